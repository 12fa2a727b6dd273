/**
 * `archy-quadlet diff`: the unified diff of what `render` would change in
 * `--out`, file by file. Writes nothing; exit 0 whether or not there are
 * changes (`render --check` is the gate).
 */
import type { Command } from 'commander';
import { unifiedDiff } from '../../render/line-diff.js';
import { DEFAULT_OUT_DIR, DEFAULT_PODMAN_VERSION, planRender, type RenderOptions } from './render.js';

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
    .description('print a unified diff of what render would change in --out; writes nothing')
    .option('--out <dir>', 'unit directory to compare with', DEFAULT_OUT_DIR)
    .option('--podman-version <version>', 'podman the units are for', DEFAULT_PODMAN_VERSION)
    .action(async (_opts: unknown, cmd: Command) => {
      await diff(cmd.optsWithGlobals<RenderOptions>());
    });
}
