/**
 * The few file operations every part of the store shares: reads where a missing
 * file or directory is an answer, not an error (only ENOENT is; every other
 * error is thrown), fsync of a directory, and create-once (a file that is
 * written whole by whoever comes first and never replaced).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, type Dirent } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileTexts } from './file-texts.js';

/** True when `err` is the fs error of a missing file or directory (ENOENT). */
export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * The UTF-8 text of the file at `path` (a path, or a `file:` URL), undefined when it does not exist.
 * @throws the fs error for anything but a missing file (EACCES, EISDIR …).
 */
export async function readTextIfExists(path: string | URL): Promise<string | undefined> {
  try {
    return await nodeFs.readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/**
 * The UTF-8 texts of the files at `paths`, in order, read with synchronous reads one after another. For the bulk
 * reads of a reconcile pass (manifests, unit directory, config files, app records): the promise API's read is four
 * round trips through libuv's thread pool (open, fstat, read, close), about ten times a synchronous read of a file
 * of a few KiB (880 unit files: 56 ms against 5.5 ms, issue 15); the event loop waits those few ms instead. With
 * `texts` (a reconcile loop's), a file a stat finds unchanged is not read again.
 * @throws the fs error of the first file that cannot be read (ENOENT, EACCES, EISDIR …).
 */
export function readTexts(paths: readonly string[], texts?: FileTexts): string[] {
  // A file gone since its listing reads again: its ENOENT is thrown as without `texts`.
  if (texts) return paths.map((path) => texts.read(path) ?? readFileSync(path, 'utf8'));
  return paths.map((path) => readFileSync(path, 'utf8'));
}

/**
 * {@link readTexts}, undefined for each file that does not exist.
 * @throws the fs error for anything but a missing file (EACCES, EISDIR …).
 */
export function readTextsIfExist(paths: readonly string[], texts?: FileTexts): Array<string | undefined> {
  if (texts) return paths.map((path) => texts.read(path));
  return paths.map((path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  });
}

/**
 * The names in `dir` (unsorted, as the directory lists them; with `withFileTypes`, its entries), none when the
 * directory does not exist.
 * @throws the fs error for anything but a missing directory (ENOTDIR, EACCES …).
 */
export async function readDirIfExists(dir: string | URL): Promise<string[]>;
export async function readDirIfExists(dir: string | URL, opts: { withFileTypes: true }): Promise<Dirent[]>;
export async function readDirIfExists(dir: string | URL, opts?: { withFileTypes: true }): Promise<string[] | Dirent[]> {
  try {
    return opts ? await nodeFs.readdir(dir, opts) : await nodeFs.readdir(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/**
 * {@link readDirIfExists} read synchronously, for the bulk reads of a reconcile pass (unit directory, manifests, the
 * state directory's per-app files): on a busy node each round trip through libuv's thread pool waits for a core,
 * and a listing of five directories took 1.5–22 ms that way against 1.2–2.6 ms synchronously (load 9, issue 15).
 * @throws the fs error for anything but a missing directory (ENOTDIR, EACCES …).
 */
export function readDirSyncIfExists(dir: string): string[];
export function readDirSyncIfExists(dir: string, opts: { withFileTypes: true }): Dirent[];
export function readDirSyncIfExists(dir: string, opts?: { withFileTypes: true }): string[] | Dirent[] {
  try {
    return opts ? readdirSync(dir, opts) : readdirSync(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/**
 * fsyncs directory `dir`, so that a name just created, renamed or removed in it survives a crash. `io`: where `open`
 * comes from (the atomic writes pass theirs, which tests wrap to inject faults).
 * @throws the fs error of the open or the fsync.
 */
export async function syncDir(dir: string, io: { open: typeof nodeFs.open } = nodeFs): Promise<void> {
  const handle = await io.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * syncfs(2) of the file system of each of `dirs` (coreutils' `sync --file-system`: Node has no binding for it): once
 * it resolves, every file written there before the call is on disk, data and inode. Since Linux 5.8 syncfs reports a
 * writeback error of that file system. The command is found on PATH.
 * @throws Error with `code` ENOENT when there is no `sync` to run; Error naming its stderr when it fails (an IO error).
 */
export function syncFileSystems(dirs: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sync', ['--file-system', '--', ...dirs], (err, _stdout, stderr) => {
      if (!err) return resolve();
      reject(Object.assign(new Error(`sync --file-system: ${stderr.trim() || err.message}`), { code: err.code }));
    });
  });
}

export interface CreateOnceOptions {
  /** The new file's mode (narrowed by the umask, as any new file's). Default 0644. */
  mode?: number;
  /**
   * Whether a created file must survive a crash: its content is fsynced before it is linked into place and the
   * directory after. Default true; a pass lock, which means nothing after a reboot, says false.
   */
  durable?: boolean;
}

/**
 * What {@link createOnce} found at the path: `created` when this call's text was linked into place; otherwise the
 * text another creator put there first, undefined when that file was removed again before it could be read.
 */
export type CreateOnceResult = { created: true; text: string } | { created: false; text: string | undefined };

/**
 * Creates the file at `path` holding `text`, unless a file is there already: the text is written to a temp file
 * beside it (`NAME.PID.HEX.tmp`, exclusive), then hard-linked to `path`. `link` fails when the name exists, so of
 * creators racing for one path exactly one wins, and no reader ever sees the file empty or half written. The temp
 * file is removed in every case (a creator killed in between leaves it behind). The directory must exist.
 * @returns `{ created: true, text }`, or `{ created: false, text }` with the existing file's text.
 * @throws the fs error of a failed write, link (other than EEXIST) or read; `path` then holds no file of this call.
 */
export async function createOnce(path: string, text: string, opts: CreateOnceOptions = {}): Promise<CreateOnceResult> {
  const durable = opts.durable ?? true;
  const temp = join(dirname(path), `${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await nodeFs.open(temp, 'wx', opts.mode ?? 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await nodeFs.link(temp, path);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } finally {
    await nodeFs.unlink(temp).catch(() => undefined);
  }
  // Also when another creator won: what this call returns must not outlive a crash that loses it.
  if (durable) await syncDir(dirname(path));
  return created ? { created: true, text } : { created: false, text: await readTextIfExists(path) };
}
