/**
 * `archy-quadlet watch [--git URL --ref REF] [--interval 1m]`: reconciles
 * until SIGINT/SIGTERM — on every change of the manifests directory (or every
 * fetch of the git ref), every node-local intent written, and on a timer.
 */
import type { Command } from 'commander';
import type { NodeContext, NodeFlags } from '../node-context.js';
import { parseInterval, RECONCILE_OPTIONS, withOptions } from '../options.js';
import type { LevelLog } from '../report.js';
import { signalled } from '../signalled.js';
import { stampLines } from '../stamp.js';

export interface WatchOptions {
  /** `--interval`: the periodic re-check (and git fetch). */
  interval: string;
}

/** Timestamped lines on stderr, every level alike. */
function stamp(line: string): void {
  process.stderr.write(stampLines('', line));
}
const STAMPED: LevelLog = { info: stamp, warn: stamp, error: stamp };

/** Runs until `stop` resolves (SIGINT/SIGTERM by default). Throws UsageError for a bad interval, SystemdError when systemd cannot be reached. */
export async function watchCommand(ctx: NodeContext, opts: WatchOptions, stop: Promise<unknown> = signalled()): Promise<void> {
  const intervalMs = parseInterval(opts.interval);
  const { reconcileLoop, withSystemd } = await import('../node-pass.js');
  const ac = new AbortController();
  void stop.then(() => ac.abort());
  await withSystemd(ctx, (systemd) => reconcileLoop(ctx, { systemd, intervalMs, signal: ac.signal, log: STAMPED, summary: 'counts' }));
}

/** Adds `watch` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('watch')
      .description('reconcile on every manifest change (directory or git ref), every install/remove/stop intent, and every --interval'),
    [...RECONCILE_OPTIONS, 'interval'],
  ).action(async (_opts: unknown, cmd: Command) => {
    const flags = cmd.optsWithGlobals<NodeFlags & WatchOptions>();
    const { resolveNodeContext } = await import('../node-context.js');
    await watchCommand(resolveNodeContext(flags), flags);
  });
}
