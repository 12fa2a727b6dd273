/**
 * Durable writes: a file is staged as a temp file in its own directory,
 * fsynced, renamed over the target, and the directory fsynced, so a reader (or
 * a crash) sees the old content or the new one, never a mix. The multi-file
 * form stages every file before renaming any, refuses before writing anything
 * when a target is not ours, and puts the old files back if a rename fails.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NotOwnedError } from '../errors.js';

/** The file operations used here; tests pass a wrapper to make one of them fail. */
export interface AtomicWriteIo {
  open: typeof nodeFs.open;
  rename: typeof nodeFs.rename;
  link: typeof nodeFs.link;
  unlink: typeof nodeFs.unlink;
  readFile: typeof nodeFs.readFile;
}

const defaultIo: AtomicWriteIo = { open: nodeFs.open, rename: nodeFs.rename, link: nodeFs.link, unlink: nodeFs.unlink, readFile: nodeFs.readFile };

function tempPath(target: string, tag: string): string {
  return join(dirname(target), `.${basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

async function stage(io: AtomicWriteIo, path: string, content: string, mode: number): Promise<void> {
  const handle = await io.open(path, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.chmod(mode); // the umask may have narrowed the mode given to open()
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(io: AtomicWriteIo, dir: string): Promise<void> {
  const handle = await io.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function unlinkQuietly(io: AtomicWriteIo, path: string): Promise<void> {
  await io.unlink(path).catch(() => undefined);
}

/**
 * Writes one file atomically and durably.
 * @throws the fs error (ENOENT for a missing directory, EACCES …); the target is then unchanged.
 */
export async function writeFileAtomic(path: string, content: string, opts: { mode?: number; io?: AtomicWriteIo } = {}): Promise<void> {
  const io = opts.io ?? defaultIo;
  const temp = tempPath(path, 'tmp');
  try {
    await stage(io, temp, content, opts.mode ?? 0o644);
    await io.rename(temp, path);
  } catch (err) {
    await unlinkQuietly(io, temp);
    throw err;
  }
  await syncDir(io, dirname(path));
}

export interface FileToWrite {
  path: string;
  content: string;
}

export interface WriteFilesOptions {
  /** Whether an existing file's content may be replaced (e.g. it carries our ownership header). Default: any file may. */
  owned?: (existingContent: string) => boolean;
  /** Files to delete once the writes are in place (each also checked with `owned`). */
  remove?: string[];
  mode?: number;
  io?: AtomicWriteIo;
}

async function readExisting(io: AtomicWriteIo, path: string): Promise<string | undefined> {
  try {
    return await io.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes every file or none: checks ownership of every target (and of every file to remove), stages all
 * files as fsynced temp files, then renames them into place and fsyncs their directories; if a rename fails,
 * the files already replaced get their old content back.
 * @throws NotOwnedError naming the first target that exists without being ours; nothing is written then.
 * @throws the fs error of a failed step; the targets then hold their old content.
 */
export async function writeFilesAtomic(files: readonly FileToWrite[], opts: WriteFilesOptions = {}): Promise<void> {
  const io = opts.io ?? defaultIo;
  const owned = opts.owned ?? (() => true);
  const existed = new Map<string, boolean>();
  for (const path of [...files.map((f) => f.path), ...(opts.remove ?? [])]) {
    const current = await readExisting(io, path);
    if (current !== undefined && !owned(current)) throw new NotOwnedError(path);
    existed.set(path, current !== undefined);
  }

  const staged: Array<{ path: string; temp: string; backup?: string }> = [];
  const cleanup = async (): Promise<void> => {
    for (const s of staged) {
      await unlinkQuietly(io, s.temp);
      if (s.backup) await unlinkQuietly(io, s.backup);
    }
  };
  try {
    for (const f of files) {
      const entry: { path: string; temp: string; backup?: string } = { path: f.path, temp: tempPath(f.path, 'tmp') };
      staged.push(entry);
      await stage(io, entry.temp, f.content, opts.mode ?? 0o644);
      if (existed.get(f.path)) {
        // A hard link keeps the old content reachable until every rename has succeeded.
        entry.backup = tempPath(f.path, 'old');
        await io.link(f.path, entry.backup);
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }

  for (let i = 0; i < staged.length; i++) {
    const s = staged[i]!;
    try {
      await io.rename(s.temp, s.path);
    } catch (err) {
      for (const done of staged.slice(0, i)) {
        if (done.backup) await io.rename(done.backup, done.path).catch(() => undefined);
        else await unlinkQuietly(io, done.path);
      }
      await cleanup();
      throw err;
    }
  }
  await cleanup();
  for (const path of opts.remove ?? []) if (existed.get(path)) await unlinkQuietly(io, path);
  for (const dir of new Set([...files.map((f) => f.path), ...(opts.remove ?? [])].map((p) => dirname(p)))) await syncDir(io, dir);
}
