/**
 * The reconcile loop. Level-triggered: a trigger (a file event, the timer, an
 * intent written) carries no data; it only means "look again". Triggers that
 * arrive during a pass coalesce into one more pass after it.
 *
 * A directory source is watched with chokidar: editor temp files are ignored
 * and events wait for writes to finish, then a debounce lets a burst (a save of
 * several files, a `git checkout`) settle into one pass. A periodic re-check
 * runs as well, for whatever no event told about (drift, a stopped service).
 * Invalid input is terminal for that revision: logged once, not retried until
 * the input changes. A revision that failed its health gate backs off
 * (`backoff.ts`): the pass reports when to look again and the loop wakes then.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { watch as chokidar, type FSWatcher } from 'chokidar';
import { InvalidInputError, formatProblems } from '../errors.js';
import type { GitSource } from '../store/state/git-source.js';
import { FileTexts } from '../store/file-texts.js';
import { readManifestFiles } from '../store/node/manifest-files.js';
import { stateLayout } from '../store/state/layout.js';
import { cachedDesiredLoader } from './load-desired.js';
import { runPass, type PassOptions, type PassReport } from './pass.js';
import { gitPass } from './source.js';

export interface WatchOptions extends Omit<PassOptions, 'manifestsDir'> {
  /** A manifests directory to watch … */
  manifestsDir?: string;
  /** … or a git source to poll. */
  git?: GitSource;
  /** Periodic re-check (and git fetch) interval, ms. */
  intervalMs: number;
  /** Quiet time after the last file event before a pass, ms; default 500. */
  debounceMs?: number;
  /** Ends the loop (after the pass in flight). */
  signal: AbortSignal;
  /** Each pass's report (or its terminal error). */
  onPass?: (result: { report?: PassReport; error?: Error }) => void;
  /** Runs one pass exclusively (e.g. under the state dir's lock); default: as is. */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  /**
   * Wraps each look the loop takes (a pass, or an unchanged invalid revision it skips): what the API's install and
   * remove announced before it began is settled after it (`intentInstaller`'s `aroundPass`).
   */
  aroundPass?: (fn: () => Promise<void>) => Promise<void>;
  /** Given the loop's trigger once it runs: calling it asks for a pass now (the API's "reconcile now"). */
  onTrigger?: (trigger: () => void) => void;
  /** Where a pass that failed or was refused (an invalid catalog, an empty one) is logged, once per distinct error; default `log`. */
  warn?: (line: string) => void;
}

/** Files no pass should wait for: editors' swap/backup files, vim's write test `4913`, dotfiles. */
export function ignoredPath(path: string): boolean {
  const name = basename(path);
  return name.startsWith('.') || name.endsWith('.swp') || name.endsWith('.swx') || name.endsWith('~') || name === '4913' || name.startsWith('#');
}

/** A fingerprint of the manifests directory's content: an invalid revision is not retried until it changes. */
async function fingerprint(dir: string, texts: FileTexts): Promise<string> {
  const h = createHash('sha256');
  for (const f of await readManifestFiles(dir, process.cwd(), texts)) h.update(`${f.file}\0${f.text}\0`);
  return h.digest('hex');
}

function describeError(err: Error): string {
  return err instanceof InvalidInputError && err.problems.length > 0 ? formatProblems(err.problems) : err.message;
}

/** Runs passes until `signal` aborts. Resolves when the loop has ended. */
export async function watch(opts: WatchOptions): Promise<void> {
  const log = opts.log ?? (() => {});
  const exclusive = opts.exclusive ?? (<T>(fn: () => Promise<T>) => fn());
  const around = opts.aroundPass ?? ((fn: () => Promise<void>) => fn());
  // Passes that find the inputs unchanged skip parsing and rendering them again.
  // And a pass whose volumes and networks were checked without drift does not ask podman again, and a file a stat
  // finds unchanged is not read again.
  const texts = opts.texts ?? new FileTexts();
  const passOpts = { ...opts, loader: opts.loader ?? cachedDesiredLoader(), driftMemo: opts.driftMemo ?? {}, texts };
  let dirty = true;
  let wake: (() => void) | undefined;
  const trigger = (): void => {
    dirty = true;
    wake?.();
  };
  let debounce: NodeJS.Timeout | undefined;
  const debounced = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(trigger, opts.debounceMs ?? 500);
  };

  const { intents, installs } = stateLayout(opts.stateDir);
  const intentDirs = [intents, installs];
  // chokidar sees a missing directory appear, but nothing written inside it afterwards: create them first.
  for (const dir of intentDirs) await mkdir(dir, { recursive: true });
  const watched = [...intentDirs, ...(opts.manifestsDir ? [opts.manifestsDir] : [])];
  const roots = new Set(watched.map((p) => resolve(p)));
  const watcher: FSWatcher = chokidar(watched, {
    ignoreInitial: true,
    // The watched directories themselves are never ignored, whatever their names (`--manifests .`).
    ignored: (p: string) => !roots.has(resolve(p)) && ignoredPath(p),
    awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 },
    depth: 0,
  });
  watcher.on('all', debounced);
  watcher.on('error', (err) => log(`watch: ${(err as Error).message}`));
  const timer = setInterval(trigger, opts.intervalMs);
  // A back-off that ends before the next interval wakes the loop itself (the report's requeueAt).
  let requeue: NodeJS.Timeout | undefined;
  const requeueAt = (at: string | undefined): void => {
    clearTimeout(requeue);
    requeue = undefined;
    if (at === undefined) return;
    requeue = setTimeout(trigger, Math.max(0, Date.parse(at) - Date.now()));
  };
  opts.signal.addEventListener('abort', () => wake?.(), { once: true });
  opts.onTrigger?.(trigger);

  let lastError: { key: string; message: string } | undefined;
  try {
    while (!opts.signal.aborted) {
      if (!dirty) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      dirty = false;
      await around(async () => {
        texts.sweep();
        const key = opts.manifestsDir ? await fingerprint(opts.manifestsDir, texts).catch(() => 'unreadable') : 'git';
        if (lastError && lastError.key === key && opts.manifestsDir && lastError.message.startsWith('invalid:')) return;
        try {
          const report = await exclusive(() => (opts.git ? gitPass(opts.git, passOpts) : runPass({ ...passOpts, manifestsDir: opts.manifestsDir! })));
          lastError = undefined;
          requeueAt(report.requeueAt);
          opts.onPass?.({ report });
        } catch (err) {
          const e = err as Error;
          const message = `${e instanceof InvalidInputError ? 'invalid:' : 'failed:'} ${describeError(e)}`;
          // Logged once per distinct error: a pass that fails the same way again says nothing new.
          if (lastError?.message !== message) (opts.warn ?? log)(`pass ${message}`);
          lastError = { key, message };
          opts.onPass?.({ error: e });
        }
      });
    }
  } finally {
    clearInterval(timer);
    clearTimeout(debounce);
    clearTimeout(requeue);
    await watcher.close();
  }
}
