/**
 * Durable writes: a file is staged as a temp file in its own directory,
 * fsynced, renamed over the target, and the directory fsynced, so a reader (or
 * a crash) sees the old content or the new one, never a mix. The multi-file
 * form stages every file before renaming any, refuses before writing anything
 * when a target is not ours, and puts the old files back if a rename fails.
 *
 * A writer killed mid-way leaves its temp file (`.NAME.tmp-PID-NS-HEX`, or a
 * `.NAME.old-…` backup link); the next write to that directory sweeps those
 * whose writer is gone (see {@link sweepDeadTemps}).
 */
import { randomBytes } from 'node:crypto';
import * as fsSync from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { NotOwnedError } from '../errors.js';
import { isMissing, syncDir, syncFileSystems } from './fs.js';

/** The file operations of a batch's write ({@link writeFilesAtomic}, {@link sweepDeadTemps}); tests pass a wrapper to make one of them fail. */
export interface AtomicWriteIo {
  open: typeof nodeFs.open;
  writeFile: typeof nodeFs.writeFile;
  chmod: typeof nodeFs.chmod;
  rename: typeof nodeFs.rename;
  link: typeof nodeFs.link;
  unlink: typeof nodeFs.unlink;
  readFile: typeof nodeFs.readFile;
  readdir: typeof nodeFs.readdir;
  /** syncfs(2) of the directories' file systems ({@link syncFileSystems}); absent in a test's io: each file is fsynced instead. */
  syncFileSystems?: (dirs: readonly string[]) => Promise<void>;
}

const defaultIo: AtomicWriteIo = {
  open: nodeFs.open,
  writeFile: nodeFs.writeFile,
  chmod: nodeFs.chmod,
  rename: nodeFs.rename,
  link: nodeFs.link,
  unlink: nodeFs.unlink,
  readFile: nodeFs.readFile,
  readdir: nodeFs.readdir,
  syncFileSystems,
};

/**
 * The file operations of one file's atomic write ({@link writeFileAtomic}); tests pass a wrapper to make one of them
 * fail. Every step but the two flushes is synchronous: creating, writing and renaming a file of a few KiB touches
 * only the page cache, where each promise-API step is a round trip through libuv's thread pool and back to the event
 * loop (on 2 busy cores, the intent record's five such steps took 1.41 ms at p50 and 7.09 ms at p90, its one fsync
 * 0.63 and 0.93 ms: issue 15, docs/performance.md, "A click's writes"). The `fsync`s, which wait for the disk, stay
 * off the event loop.
 */
export interface FileWriteIo {
  openSync: typeof fsSync.openSync;
  /** Writes all of `text` (UTF-8) at the file's position, however many write(2) calls that takes. */
  writeSync: (fd: number, text: string) => void;
  fchmodSync: typeof fsSync.fchmodSync;
  closeSync: typeof fsSync.closeSync;
  renameSync: typeof fsSync.renameSync;
  unlinkSync: typeof fsSync.unlinkSync;
  readdirSync: (dir: string) => string[];
  /** fsync(2) of an open file or directory, through the thread pool. */
  fsync: (fd: number) => Promise<void>;
}

export const defaultFileIo: FileWriteIo = {
  openSync: fsSync.openSync,
  writeSync: (fd, text) => fsSync.writeFileSync(fd, text, 'utf8'),
  fchmodSync: fsSync.fchmodSync,
  closeSync: fsSync.closeSync,
  renameSync: fsSync.renameSync,
  unlinkSync: fsSync.unlinkSync,
  readdirSync: (dir) => fsSync.readdirSync(dir),
  fsync: promisify(fsSync.fsync),
};

/**
 * This process's PID namespace: the inode of `/proc/self/ns/pid` (e.g. `4026531836`), `0` when it cannot be read.
 * A PID names a process only within its namespace: a temp file's PID is checked only by a sweeper of the same one.
 */
function pidNamespace(): string {
  try {
    return /^pid:\[(\d+)\]$/.exec(fsSync.readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
  } catch {
    return '0';
  }
}

/** Constant for the life of the process (a process never changes its own PID namespace). */
const PID_NS = pidNamespace();

/** `.NAME.TAG-PID-NS-HEX`: the target's name, `tmp` (staged content) or `old` (backup link), the writer, 8 random hex digits. */
const TEMP_NAME = /^\..+\.(?:tmp|old)-(\d+)-(\d+)-[0-9a-f]{8}$/;

function tempPath(target: string, tag: 'tmp' | 'old'): string {
  return join(dirname(target), `.${basename(target)}.${tag}-${process.pid}-${PID_NS}-${randomBytes(4).toString('hex')}`);
}

/** True unless `pid` is certainly gone (ESRCH); a process we may not signal (EPERM) is alive. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes the temp files of killed writes in `dir`: names matching our temp pattern (`.NAME.tmp-PID-NS-HEX` or
 * `.NAME.old-…`) written from this PID namespace whose writer PID is no longer alive. Nothing else is touched:
 * not another file, not a live writer's temp file (a PID reused by a live process keeps its file until that one
 * is gone too), not one from another PID namespace (its PID means nothing here). Best effort: a name that cannot
 * be removed (e.g. swept by another writer first) is skipped. `names`: the directory's listing, when the caller
 * has read it already.
 * @returns the names removed.
 */
export async function sweepDeadTemps(dir: string, names?: Iterable<string>, io: AtomicWriteIo = defaultIo): Promise<string[]> {
  const removed: string[] = [];
  for (const name of deadTemps(names ?? (await io.readdir(dir).catch(() => [])))) {
    try {
      await io.unlink(join(dir, name));
      removed.push(name);
    } catch {
      // gone already, or not ours to remove after all: the next write tries again
    }
  }
  return removed;
}

/** {@link sweepDeadTemps} with synchronous steps, for one file's write ({@link FileWriteIo}). */
function sweepDeadTempsSync(dir: string, io: FileWriteIo): void {
  let names: string[];
  try {
    names = io.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of deadTemps(names)) {
    try {
      io.unlinkSync(join(dir, name));
    } catch {
      // as in sweepDeadTemps
    }
  }
}

/** The names among `names` that are temp files of killed writers of this PID namespace (see {@link sweepDeadTemps}). */
function deadTemps(names: Iterable<string>): string[] {
  if (PID_NS === '0') return [];
  return [...names].filter((name) => {
    const m = TEMP_NAME.exec(name);
    return m !== null && m[2] === PID_NS && !isAlive(Number(m[1]));
  });
}

async function stage(io: AtomicWriteIo, path: string, content: string, mode: number, flush = true): Promise<void> {
  // flush: the content is fsynced before the rename makes it visible (unless the caller syncs the whole batch);
  // 'wx': a temp name never clobbers a file.
  await io.writeFile(path, content, { encoding: 'utf8', flag: 'wx', mode, flush });
  // The umask may have narrowed the mode; the usual 022 leaves 0644 as it is.
  if ((mode & process.umask()) !== 0) await io.chmod(path, mode);
}

async function unlinkQuietly(io: AtomicWriteIo, path: string): Promise<void> {
  await io.unlink(path).catch(() => undefined);
}

/**
 * Writes one file atomically and durably: sweeps the temp files of killed writes from its directory
 * ({@link sweepDeadTemps}), writes `content` to a temp file beside `path` and fsyncs it, renames it over `path` and
 * fsyncs the directory. Only the two fsyncs wait on the thread pool ({@link FileWriteIo}).
 * @throws the fs error (ENOENT for a missing directory, EACCES …); the target is then unchanged and no temp file is left.
 */
export async function writeFileAtomic(path: string, content: string, opts: { mode?: number; io?: FileWriteIo } = {}): Promise<void> {
  const io = opts.io ?? defaultFileIo;
  const mode = opts.mode ?? 0o644;
  sweepDeadTempsSync(dirname(path), io);
  const temp = tempPath(path, 'tmp');
  try {
    // 'wx': a temp name never clobbers a file.
    const fd = io.openSync(temp, 'wx', mode);
    try {
      io.writeSync(fd, content);
      // The umask may have narrowed the mode; the usual 022 leaves 0644 as it is.
      if ((mode & process.umask()) !== 0) io.fchmodSync(fd, mode);
      // The content is durable before the rename makes it visible.
      await io.fsync(fd);
    } finally {
      io.closeSync(fd);
    }
    io.renameSync(temp, path);
  } catch (err) {
    unlinkQuietlySync(io, temp);
    throw err;
  }
  const dir = io.openSync(dirname(path), 'r');
  try {
    await io.fsync(dir);
  } finally {
    io.closeSync(dir);
  }
}

function unlinkQuietlySync(io: FileWriteIo, path: string): void {
  try {
    io.unlinkSync(path);
  } catch {
    // gone already
  }
}

/** How many files are staged (written + fsynced) at once. */
const STAGE_CONCURRENCY = 64;

/**
 * Above this many files, the staged files are made durable by one syncfs(2) of their file systems instead of one
 * fsync each: 2,204 fsyncs took 255–366 ms through libuv's 4 threads, one `sync --file-system` 58–86 ms plus its
 * start (issue 15, docs/performance.md). A small batch (a reconcile pass's few units) keeps its fsyncs: a syncfs also
 * flushes whatever else is dirty on that file system.
 */
const SYNCFS_ABOVE = STAGE_CONCURRENCY;

/**
 * Makes the staged temp files durable: one syncfs of their file systems, or, when there is no `sync` to run, one
 * fsync each. Throws the error of a failed sync (nothing is renamed then).
 */
async function syncStaged(io: AtomicWriteIo, temps: readonly string[]): Promise<void> {
  const dirs = [...new Set(temps.map((t) => dirname(t)))];
  if (io.syncFileSystems) {
    try {
      await io.syncFileSystems(dirs);
      return;
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }
  await inParallel(temps, STAGE_CONCURRENCY, async (temp) => {
    const handle = await io.open(temp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** Runs `fn` over `items` with at most `limit` at a time; rejects with the first error once all started ones settle. */
async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
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

/** The names in each directory (one readdir per directory, not one failed read per new file). */
async function listDirs(io: AtomicWriteIo, paths: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const dir of new Set(paths.map((p) => dirname(p)))) {
    try {
      out.set(dir, new Set(await io.readdir(dir)));
    } catch (err) {
      if (!isMissing(err)) throw err;
      out.set(dir, new Set());
    }
  }
  return out;
}

/**
 * Writes every file or none: checks ownership of every target (and of every file to remove), stages all
 * files as durable temp files (each fsynced; more than {@link SYNCFS_ABOVE} written first, then one syncfs of their
 * file systems), then renames them into place and fsyncs their directories; if a rename fails,
 * the files already replaced get their old content back. Once every target is known to be ours, the temp files of
 * killed writes are swept from the directories involved ({@link sweepDeadTemps}).
 * @throws NotOwnedError naming the first target that exists without being ours; nothing is written then.
 * @throws the fs error of a failed step; the targets then hold their old content.
 */
export async function writeFilesAtomic(files: readonly FileToWrite[], opts: WriteFilesOptions = {}): Promise<void> {
  const io = opts.io ?? defaultIo;
  const owned = opts.owned ?? (() => true);
  const targets = [...files.map((f) => f.path), ...(opts.remove ?? [])];
  const listing = await listDirs(io, targets);
  const existed = new Map(targets.map((path) => [path, listing.get(dirname(path))!.has(basename(path))]));
  // Read side by side; the first target (in the given order) that is not ours is the one named.
  const notOwned = new Set<string>();
  await inParallel(
    targets.filter((path) => existed.get(path)),
    STAGE_CONCURRENCY,
    async (path) => void (!owned(await io.readFile(path, 'utf8')) && notOwned.add(path)),
  );
  const foreign = targets.find((path) => notOwned.has(path));
  if (foreign !== undefined) throw new NotOwnedError(foreign);
  for (const [dir, names] of listing) await sweepDeadTemps(dir, names, io);

  const staged = files.map((f) => ({ path: f.path, content: f.content, temp: tempPath(f.path, 'tmp'), backup: undefined as string | undefined, written: false }));
  const cleanup = (): Promise<void> =>
    inParallel(staged, STAGE_CONCURRENCY, async (s) => {
      if (!s.written) await unlinkQuietly(io, s.temp);
      if (s.backup) await unlinkQuietly(io, s.backup);
    });
  // A large batch is written first and made durable at once (syncStaged), before any rename.
  const syncEach = staged.length <= SYNCFS_ABOVE;
  try {
    // Staging is independent per file: fsyncs run side by side (the disk batches them) instead of one after another.
    await inParallel(staged, STAGE_CONCURRENCY, async (entry) => {
      await stage(io, entry.temp, entry.content, opts.mode ?? 0o644, syncEach);
      if (existed.get(entry.path)) {
        // A hard link keeps the old content reachable until every rename has succeeded.
        entry.backup = tempPath(entry.path, 'old');
        await io.link(entry.path, entry.backup);
      }
    });
    if (!syncEach) await syncStaged(io, staged.map((s) => s.temp));
  } catch (err) {
    await cleanup();
    throw err;
  }

  // Renames are independent too; once one fails (and every started one has settled), each file already replaced
  // gets its old content back (or is removed when it is new).
  try {
    await inParallel(staged, STAGE_CONCURRENCY, async (s) => {
      await io.rename(s.temp, s.path);
      s.written = true;
    });
  } catch (err) {
    await inParallel(
      staged.filter((s) => s.written),
      STAGE_CONCURRENCY,
      async (done) => {
        if (done.backup) {
          await io.rename(done.backup, done.path).catch(() => undefined);
          done.backup = undefined;
        } else {
          await unlinkQuietly(io, done.path);
        }
      },
    );
    await cleanup();
    throw err;
  }
  await cleanup();
  await inParallel((opts.remove ?? []).filter((path) => existed.get(path)), STAGE_CONCURRENCY, (path) => unlinkQuietly(io, path));
  await Promise.all([...new Set([...files.map((f) => f.path), ...(opts.remove ?? [])].map((p) => dirname(p)))].map((dir) => syncDir(dir, io)));
}
