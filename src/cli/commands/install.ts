/**
 * `archy-quadlet install APP` / `remove APP`: records a node-local install
 * intent over the manifest's `state` (persisted in the state directory), then
 * runs one pass so the app is installed and started, or stopped and removed.
 * `--no-apply` only records the intent (a running `watch` acts on it).
 */
import type { Command } from 'commander';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { InstallIntent } from '../../reconcile/desired.js';
import type { NodeContext, NodeFlags } from '../node-context.js';
import { RECONCILE_OPTIONS, withOptions } from '../options.js';

export interface InstallOptions {
  /** Run a pass after recording the intent (`--no-apply` turns it off). */
  apply: boolean;
}

/** The catalog's app ids (the applied git commit's, with --git; none while no commit is applied). */
async function catalogIds(ctx: NodeContext): Promise<string[]> {
  const [{ readCatalog }, { appliedCatalogDir }] = await Promise.all([import('../catalog.js'), import('../node-pass.js')]);
  const dir = await appliedCatalogDir(ctx);
  if (dir === undefined) return []; // nothing applied yet: the pass validates the id against the fetched commit
  const { manifests, problems } = await readCatalog(dir, await ctx.reserved());
  if (problems.length > 0) throw new InvalidInputError(problems);
  return manifests.map((m) => m.manifest.id);
}

/** Records `intent` for `app` and (unless --no-apply) runs a pass. Throws NotFoundError for an app not in the catalog. */
export async function setInstall(app: string, intent: InstallIntent, ctx: NodeContext, opts: InstallOptions): Promise<void> {
  const [{ writeInstallIntent }, { passAndReport }] = await Promise.all([import('../../store/state/install-intents.js'), import('../node-pass.js')]);
  const ids = await catalogIds(ctx);
  if (ids.length > 0 && !ids.includes(app)) throw new NotFoundError('app', app, `the catalog has: ${ids.join(', ')}`);
  await writeInstallIntent(ctx.stateDir, app, intent);
  process.stderr.write(`${app}: recorded ${intent === 'present' ? 'install' : 'remove'}\n`);
  if (opts.apply) await passAndReport(ctx);
}

/** Adds `install` and `remove` to the program. */
export function register(program: Command): void {
  for (const [name, intent, what] of [
    ['install', 'present', 'install APP on this node (also when its manifest says state: absent) and start it'],
    ['remove', 'absent', 'stop APP and remove its units and configs from this node (its manifest stays in the catalog)'],
  ] as const) {
    withOptions(
      program
        .command(`${name} <app>`)
        .description(what)
        .option('--no-apply', 'only record the intent; the next pass (e.g. a running watch) acts on it'),
      RECONCILE_OPTIONS,
    ).action(async (app: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<NodeFlags & InstallOptions>();
      const { resolveNodeContext } = await import('../node-context.js');
      await setInstall(app, intent, resolveNodeContext(flags), flags);
    });
  }
}
