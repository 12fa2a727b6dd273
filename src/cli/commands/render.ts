/**
 * `archy-quadlet render`: manifests → Quadlet unit files in `--out` (default
 * ./units). Writes only when every manifest is valid, all files at once;
 * prunes files of ours that are no longer rendered; never touches a file
 * without our header. `--check` compares instead of writing (exit 1 when stale).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT, formatProblem, InvalidInputError, ReportedError, type Problem } from '../../errors.js';
import { withOptions } from '../options.js';
import type { ChangeAction, RenderOptions } from '../render-plan.js';

/**
 * The command's body. Throws InvalidInputError (exit 1) for invalid manifests and, with `check`, for a stale out
 * directory (ReportedError with `--json`, whose answer says it).
 */
export async function render(opts: RenderOptions & { check?: boolean }, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { planRender } = await import('../render-plan.js');
  const plan = await planRender(opts);
  if (opts.check) {
    const stale = plan.changes.map((c): Problem => ({ file: join(plan.out, c.name), message: `would be ${c.action}d by render`, hint: 'run archy-quadlet render' }));
    if (opts.json) stdout.write(`${JSON.stringify({ ok: stale.length === 0, out: plan.out, changes: plan.changes.map(({ name, action }) => ({ name, action })), warnings: plan.warnings }, null, 2)}\n`);
    else if (stale.length === 0) stdout.write(`${plan.out}: up to date (${plan.files.length} unit file(s))\n`);
    if (stale.length === 0) return;
    if (opts.json) throw new ReportedError(EXIT.invalid, `${plan.out} is stale`);
    throw new InvalidInputError(stale, `${plan.out} is stale`);
  }
  if (plan.changes.length > 0) {
    const [{ mkdir }, { isOwned }, { writeFilesAtomic }] = await Promise.all([import('node:fs/promises'), import('../../render/types.js'), import('../../store/atomic-write.js')]);
    await mkdir(plan.out, { recursive: true });
    await writeFilesAtomic(
      plan.changes.filter((c) => c.after !== undefined).map((c) => ({ path: join(plan.out, c.name), content: c.after! })),
      { owned: isOwned, remove: plan.changes.filter((c) => c.action === 'delete').map((c) => join(plan.out, c.name)) },
    );
  }
  if (opts.json) {
    const by = (a: ChangeAction): string[] => plan.changes.filter((c) => c.action === a).map((c) => c.name);
    stdout.write(`${JSON.stringify({ ok: true, out: plan.out, created: by('create'), updated: by('update'), deleted: by('delete'), unchanged: plan.unchanged, warnings: plan.warnings }, null, 2)}\n`);
    return;
  }
  for (const w of plan.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  for (const c of plan.changes) stdout.write(`${c.action} ${join(plan.out, c.name)}\n`);
  stdout.write(`${plan.out}: ${plan.files.length} unit file(s), ${plan.changes.length} change(s)\n`);
}

/** Adds `render` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('render')
      .description('compile the manifests into Quadlet unit files in --out; writes nothing unless every manifest is valid'),
    ['out', 'podmanVersion', 'nodeDomain'],
  )
    .option('--check', 'write nothing; exit 1 and list the files when --out differs from the render')
    .action(async (_opts: unknown, cmd: Command) => {
      await render(cmd.optsWithGlobals<RenderOptions & { check?: boolean }>());
    });
}
