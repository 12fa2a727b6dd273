/**
 * The filesystem edge of manifest loading: reads a manifests directory (and
 * the names of the config templates shipped with the package) for the pure
 * loader in `src/manifest/load.ts`.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestSource } from '../manifest/load.js';

/** The package's config templates: `templates/config/`, two levels above this file (from src/store as from dist/store). */
export const CONFIG_TEMPLATES_DIR = new URL('../../templates/config/', import.meta.url);

/** How a directory is shown in problems: relative to the working directory when inside it, else absolute. */
function displayDir(dir: string, cwd: string): string {
  const rel = path.relative(cwd, path.resolve(cwd, dir));
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(cwd, dir) : rel;
}

/**
 * Reads every `*.yaml` / `*.yml` file directly in `dir`, sorted by name. Each `file` is the path shown in problems,
 * e.g. `manifests/lnd.yaml` (relative to `cwd` when the directory is inside it).
 * @throws the fs error (ENOENT, ENOTDIR, EACCES) when the directory cannot be read.
 */
export async function readManifestFiles(dir: string, cwd: string = process.cwd()): Promise<ManifestSource[]> {
  const shown = displayDir(dir, cwd);
  const entries = await readdir(path.resolve(cwd, dir), { withFileTypes: true });
  const names = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => ({
      file: shown === '.' ? name : `${shown}/${name}`,
      text: await readFile(path.resolve(cwd, dir, name), 'utf8'),
    })),
  );
}

/**
 * The config template names shipped with the package (`bitcoin.conf.hbs`, …), sorted.
 * @throws the fs error when the templates directory cannot be read.
 */
export async function listConfigTemplates(dir: URL = CONFIG_TEMPLATES_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.hbs'))
    .map((e) => e.name)
    .sort();
}
