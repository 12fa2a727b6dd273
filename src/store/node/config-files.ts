/**
 * Derived config files on the host (under each app's data directory): read
 * for the planner, written atomically (parents created), removed with their app.
 * Paths are the host's absolute paths; `root` places that host's `/` elsewhere
 * (e.g. a booted machine's root directory seen from outside it).
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { readTextsIfExist } from '../fs.js';

/** Where the host path `path` is, seen from here. Throws for a relative path. */
export function onHost(path: string, root = '/'): string {
  if (!isAbsolute(path)) throw new Error(`config path must be absolute: ${JSON.stringify(path)}`);
  return root === '/' ? path : join(root, path);
}

/** The content at each host path, undefined where there is no file. Throws on IO errors other than ENOENT. */
export async function readConfigFiles(paths: Iterable<string>, root = '/'): Promise<Record<string, string | undefined>> {
  const unique = [...new Set(paths)];
  const texts = readTextsIfExist(unique.map((p) => onHost(p, root)));
  return Object.fromEntries(unique.map((p, i) => [p, texts[i]]));
}

/** Whether each of `paths` (under `root`) is a directory; a missing one, or a file, is false. */
export async function directoriesExist(paths: Iterable<string>, root = '/'): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  await Promise.all(
    [...new Set(paths)].map(async (p) => {
      out[p] = await stat(onHost(p, root)).then(
        (st) => st.isDirectory(),
        () => false,
      );
    }),
  );
  return out;
}

/** Makes an app's data directory `path` (under `root`) and its parents, 0755 (the umask may narrow it). Throws the fs error (EEXIST for a file there). */
export async function makeDataDir(path: string, root = '/'): Promise<void> {
  await mkdir(onHost(path, root), { recursive: true, mode: 0o755 });
}

/** Writes a config file atomically (temp + fsync + rename), creating its directory (0755). Throws the fs error. */
export async function writeConfigFile(path: string, content: string, mode = 0o644, root = '/'): Promise<void> {
  const target = onHost(path, root);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await writeFileAtomic(target, content, { mode });
}

/** Removes a config file (no error when there is none). */
export async function removeConfigFile(path: string, root = '/'): Promise<void> {
  await rm(onHost(path, root), { force: true });
}
