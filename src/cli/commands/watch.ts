/**
 * `archy-quadlet watch [--git URL --ref REF] [--interval 1m]`: reconciles
 * until SIGINT/SIGTERM — on every change of the manifests directory (or every
 * fetch of the git ref), every node-local intent written, and on a timer.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { signalled } from '../node-paths.js';
import { watch } from '../../reconcile/watch.js';
import { gitSource } from '../../store/git-source.js';
import { withPassLock } from '../../store/pass-lock.js';
import { reconcileOptions, withPassOptions, type ReconcileCliOptions } from './apply.js';
import { DEFAULT_MANIFESTS_DIR } from './validate.js';

interface WatchCliOptions extends ReconcileCliOptions {
  interval: string;
}

/** `30s`, `1m`, `500ms`, `1h` → ms. Throws UsageError otherwise. */
export function parseInterval(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new UsageError(`--interval ${JSON.stringify(text)}: expected a duration such as 30s, 1m or 1h`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (ms < 1000) throw new UsageError(`--interval ${text}: at least 1s`);
  return ms;
}

function stamp(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
}

/** Runs until `stop` resolves (SIGINT/SIGTERM by default). */
export async function watchCommand(opts: WatchCliOptions, stop: Promise<unknown> = signalled()): Promise<void> {
  const intervalMs = parseInterval(opts.interval);
  const ac = new AbortController();
  void stop.then(() => ac.abort());
  await withPassOptions(opts, (pass) =>
    watch({
      ...pass,
      log: stamp,
      intervalMs,
      signal: ac.signal,
      ...(opts.git ? { git: gitSource({ url: opts.git, ref: opts.ref, stateDir: opts.stateDir }) } : { manifestsDir: opts.manifests ?? DEFAULT_MANIFESTS_DIR }),
      exclusive: (fn) => withPassLock(opts.stateDir, fn, 15 * 60_000),
      onPass: ({ report }) => {
        if (!report) return;
        const c = report.counters;
        const did = report.done.length > 0 ? `${report.done.length} step(s): ${c.writes} written, ${c.removes} removed, ${c.reloads} reload(s), ${c.starts} started, ${c.stops} stopped, ${c.restarts} restarted, ${c.rollbacks} rolled back` : 'no change';
        stamp(`pass done${'commit' in report && report.commit ? ` at ${String(report.commit)}` : ''}: ${did}`);
        for (const f of report.failures) stamp(`failed ${f.step}: ${f.error}`);
      },
    }),
  );
}


/** Adds `watch` to the program. */
export function register(program: Command): void {
  reconcileOptions(
    program
      .command('watch')
      .description('reconcile on every manifest change (directory or git ref), every install/remove/stop intent, and every --interval')
      .option('--interval <duration>', 'periodic re-check (and git fetch) interval', '1m'),
  ).action(async (_opts: unknown, cmd: Command) => {
    await watchCommand(cmd.optsWithGlobals<WatchCliOptions>());
  });
}
