/**
 * Derived config files on the host (under each app's data directory): read
 * for the planner, written atomically (parents created), removed with their app.
 * Paths are the host's absolute paths; `root` places that host's `/` elsewhere
 * (e.g. a booted machine's root directory seen from outside it).
 */
import { statSync } from 'node:fs';
import { chown, mkdir, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import type { FileTexts } from '../file-texts.js';
import { readTextsIfExist } from '../fs.js';

/** Where the host path `path` is, seen from here. Throws for a relative path. */
export function onHost(path: string, root = '/'): string {
  if (!isAbsolute(path)) throw new Error(`config path must be absolute: ${JSON.stringify(path)}`);
  return root === '/' ? path : join(root, path);
}

/**
 * The content at each host path, undefined where there is no file. `texts`: a reconcile loop's kept texts. Throws on
 * IO errors other than ENOENT.
 */
export async function readConfigFiles(paths: Iterable<string>, root = '/', texts?: FileTexts): Promise<Record<string, string | undefined>> {
  const unique = [...new Set(paths)];
  const read = readTextsIfExist(unique.map((p) => onHost(p, root)), texts);
  return Object.fromEntries(unique.map((p, i) => [p, read[i]]));
}

/**
 * Whether each of `paths` (under `root`) is a directory; a missing one, a file, or one that cannot be stat'ed, is
 * false. Stat'ed one after another synchronously, as a pass's other bulk reads (`readTexts`, src/store/fs.ts).
 */
export async function directoriesExist(paths: Iterable<string>, root = '/'): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const p of new Set(paths)) {
    const target = onHost(p, root);
    try {
      out[p] = statSync(target, { throwIfNoEntry: false })?.isDirectory() ?? false;
    } catch {
      out[p] = false;
    }
  }
  return out;
}

/** A host owner: a uid, and a gid when given (else the group stays). */
export interface FileOwner {
  uid: number;
  gid?: number;
}

/**
 * Makes an app's data directory `path` (under `root`) and its parents, 0755 (the umask may narrow it), and gives the
 * directory itself to `owner` when this call made it (an existing one is never re-owned; the parents stay root's).
 * Throws the fs error (EEXIST for a file there, EPERM when the owner cannot be set).
 */
export async function makeDataDir(path: string, root = '/', owner?: FileOwner): Promise<void> {
  const target = onHost(path, root);
  const made = await mkdir(target, { recursive: true, mode: 0o755 });
  if (owner && made !== undefined) await chown(target, owner.uid, owner.gid ?? -1);
}

/**
 * Writes a config file atomically (temp + fsync + rename), creating its directory (0755), then gives it to `owner`.
 * A write killed between the rename and the chown leaves the file root's: the next pass sees the owner and writes
 * it again ({@link readConfigOwners}). Throws the fs error.
 */
export async function writeConfigFile(path: string, content: string, mode = 0o644, root = '/', owner?: FileOwner): Promise<void> {
  const target = onHost(path, root);
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  await writeFileAtomic(target, content, { mode });
  if (owner) await chown(target, owner.uid, owner.gid ?? -1);
}

/**
 * The owner of each of `paths` (under `root`) that exists, by path; stat'ed one after another synchronously, as a
 * pass's other bulk reads. Throws on IO errors other than ENOENT.
 */
export async function readConfigOwners(paths: Iterable<string>, root = '/'): Promise<Record<string, { uid: number; gid: number }>> {
  const out: Record<string, { uid: number; gid: number }> = {};
  for (const p of new Set(paths)) {
    const st = statSync(onHost(p, root), { throwIfNoEntry: false });
    if (st) out[p] = { uid: st.uid, gid: st.gid };
  }
  return out;
}

/** Removes a config file (no error when there is none). */
export async function removeConfigFile(path: string, root = '/'): Promise<void> {
  await rm(onHost(path, root), { force: true });
}
