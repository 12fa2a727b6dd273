/**
 * `archy-quadlet diff`: the unified diff of what `render` would change in
 * `--out`, file by file. Writes nothing; exit 0 whether or not there are
 * changes (`render --check` is the gate).
 *
 * `diff --node` (or with `--unit-dir`/`--git`): the plan a reconcile pass on this
 * node would run — the same text `apply --dry-run` prints (diff = plan + print;
 * apply = plan + execute).
 */
import type { Command } from 'commander';
import type { NodeFlags } from '../node-context.js';
import { RECONCILE_OPTIONS, withOptions } from '../options.js';
import type { RenderOptions } from '../render-plan.js';

interface DiffFlags extends RenderOptions, NodeFlags {
  node?: boolean;
}

/** The command's body; throws what `planRender` throws (invalid manifests: exit 1). */
export async function diff(opts: RenderOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  const [{ planRender }, { unifiedDiff }] = await Promise.all([import('../render-plan.js'), import('../../render/line-diff.js')]);
  const plan = await planRender(opts);
  const diffs = plan.changes.map((c) => ({ name: c.name, action: c.action, diff: unifiedDiff(`${plan.out}/${c.name}`, c.before, c.after) }));
  if (opts.json) {
    stdout.write(`${JSON.stringify({ out: plan.out, changes: diffs, warnings: plan.warnings }, null, 2)}\n`);
    return;
  }
  for (const d of diffs) stdout.write(d.diff);
  if (diffs.length === 0) stdout.write(`${plan.out}: no changes\n`);
}

/** Adds `diff` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('diff')
      .description('print a unified diff of what render would change in --out; with --node (or --unit-dir, --git), the plan a reconcile pass would run on this node; writes nothing')
      .option('--node', "this node's plan (as apply --dry-run): units and configs to write or remove, reloads, starts, restarts"),
    ['out', ...RECONCILE_OPTIONS],
  ).action(async (_opts: unknown, cmd: Command) => {
    const flags = cmd.optsWithGlobals<DiffFlags>();
    // The node's plan is a dry-run pass, printed as `apply --dry-run` prints it.
    if (flags.node || flags.unitDir !== undefined || flags.git !== undefined) {
      const [{ passAndReport }, { resolveNodeContext }] = await Promise.all([import('../node-pass.js'), import('../node-context.js')]);
      await passAndReport(resolveNodeContext({ ...flags, dryRun: true }));
    } else await diff(flags);
  });
}
