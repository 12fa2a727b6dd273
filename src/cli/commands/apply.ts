/**
 * `archy-quadlet apply [--unit-dir DIR] [--dry-run] [--git URL [--ref REF]]`:
 * one reconcile pass over this node (observe → plan → generator check →
 * execute). `--dry-run` prints the plan and changes nothing (the node-level
 * diff: units, configs, reloads, starts, restarts). `--json` prints the report.
 * Exit 0 when converged, 1 when input is invalid or an app had to be held back,
 * 3 when a step failed (systemd, IO) or an update was rolled back.
 */
import type { Command } from 'commander';
import type { NodeContext, NodeFlags } from '../node-context.js';
import { RECONCILE_OPTIONS, withOptions } from '../options.js';

/** The command's body: one pass (a dry run with `--dry-run`), its report on stdout; throws for the exit code. */
export async function apply(ctx: NodeContext): Promise<void> {
  const { passAndReport } = await import('../node-pass.js');
  await passAndReport(ctx);
}

/** Adds `apply` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('apply')
      .description('run one reconcile pass: write changed units and configs, one daemon-reload, start/restart what changed, prune what is gone')
      .option('--dry-run', 'print the plan (what would be written, removed, reloaded, started, restarted) and change nothing'),
    RECONCILE_OPTIONS,
  ).action(async (_opts: unknown, cmd: Command) => {
    const { resolveNodeContext } = await import('../node-context.js');
    await apply(resolveNodeContext(cmd.optsWithGlobals<NodeFlags>()));
  });
}
