/**
 * The filesystem edge of manifest loading: reads a manifests directory (the
 * node's catalog, `--manifests`, or a git checkout's) for the pure loader in
 * `src/manifest/load.ts`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { ManifestSource } from '../../manifest/load.js';
import type { FileTexts } from '../file-texts.js';
import { readTexts } from '../fs.js';

/**
 * How a directory is shown in problems: relative to the working directory when inside it, else absolute. From `/`
 * (a daemon's working directory) always absolute: `/etc/archy-quadlet/manifests`, not `etc/archy-quadlet/manifests`.
 */
export function displayDir(dir: string, cwd: string): string {
  if (path.resolve(cwd) === '/') return path.resolve(cwd, dir);
  const rel = path.relative(cwd, path.resolve(cwd, dir));
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(cwd, dir) : rel;
}

/**
 * Reads every `*.yaml` / `*.yml` file directly in `dir`, sorted by name. Each `file` is the path shown in problems,
 * e.g. `manifests/lnd.yaml` (relative to `cwd` when the directory is inside it). `texts`: a reconcile loop's kept texts.
 * @throws the fs error (ENOENT, ENOTDIR, EACCES) when the directory cannot be read.
 */
export async function readManifestFiles(dir: string, cwd: string = process.cwd(), texts?: FileTexts): Promise<ManifestSource[]> {
  const shown = displayDir(dir, cwd);
  const entries = readdirSync(path.resolve(cwd, dir), { withFileTypes: true });
  const names = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort();
  const read = readTexts(names.map((name) => path.resolve(cwd, dir, name)), texts);
  return names.map((name, i) => ({ file: shown === '.' ? name : `${shown}/${name}`, text: read[i]! }));
}
