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
import { DEFAULT_GENERATOR } from '../../reconcile/generator.js';
import { unifiedDiff } from '../../render/line-diff.js';
import { apply, type ReconcileCliOptions } from './apply.js';
import { DEFAULT_OUT_DIR, DEFAULT_PODMAN_VERSION, planRender, type RenderOptions } from './render.js';

interface DiffCliOptions extends RenderOptions, Omit<ReconcileCliOptions, keyof RenderOptions | 'ref'> {
  node?: boolean;
  ref?: string;
}

/** The command's body; throws what `planRender` throws (invalid manifests: exit 1). */
export async function diff(opts: RenderOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
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
  program
    .command('diff')
    .description('print a unified diff of what render would change in --out; with --node, the plan a reconcile pass would run on this node; writes nothing')
    .option('--out <dir>', 'unit directory to compare with', DEFAULT_OUT_DIR)
    .option('--podman-version <version>', 'podman the units are for', DEFAULT_PODMAN_VERSION)
    .option('--node', "this node's plan (as apply --dry-run): units and configs to write or remove, reloads, starts, restarts")
    .option('--unit-dir <dir>', 'with --node: the Quadlet unit directory (default /etc/containers/systemd, or ~/.config/containers/systemd with --user)')
    .option('--git <url>', 'with --node: take the manifests from this git repository')
    .option('--ref <ref>', 'with --node: branch or tag of --git', 'main')
    .option('--generator <path>', "with --node: the node's Quadlet generator", DEFAULT_GENERATOR)
    .action(async (_opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<DiffCliOptions>();
      if (opts.node || opts.unitDir !== undefined || opts.git !== undefined) await apply({ ...opts, ref: opts.ref ?? 'main', dryRun: true });
      else await diff(opts);
    });
}
