/**
 * `archy-quadlet install APP` / `remove APP`: records a node-local install
 * intent over the manifest's `state` (persisted in the state directory), then
 * runs one pass so the app is installed and started, or stopped and removed.
 * `--no-apply` only records the intent (a running `watch` acts on it).
 */
import type { Command } from 'commander';
import { NotFoundError, InvalidInputError } from '../../errors.js';
import type { InstallIntent } from '../../reconcile/desired.js';
import { manifestsIn } from '../../reconcile/source.js';
import { gitSource } from '../../store/git-source.js';
import { writeInstallIntent } from '../../store/install-intents.js';
import { passOnce, printReport, reconcileOptions, type ReconcileCliOptions } from './apply.js';
import { DEFAULT_MANIFESTS_DIR, readCatalog } from './validate.js';

interface InstallCliOptions extends ReconcileCliOptions {
  apply: boolean;
}

/** The catalog's app ids (the current git commit's, with --git). */
async function catalogIds(opts: ReconcileCliOptions): Promise<string[]> {
  let dir = opts.manifests ?? DEFAULT_MANIFESTS_DIR;
  if (opts.git) {
    const current = await gitSource({ url: opts.git, ref: opts.ref, stateDir: opts.stateDir }).current();
    if (!current) return []; // nothing applied yet: the pass validates the id against the fetched commit
    dir = await manifestsIn(current.root);
  }
  const { manifests, problems } = await readCatalog(dir);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return manifests.map((m) => m.manifest.id);
}

/** Records `intent` for `app` and (unless --no-apply) runs a pass. Throws NotFoundError for an app not in the catalog. */
export async function setInstall(app: string, intent: InstallIntent, opts: InstallCliOptions): Promise<void> {
  const ids = await catalogIds(opts);
  if (ids.length > 0 && !ids.includes(app)) throw new NotFoundError('app', app, `the catalog has: ${ids.join(', ')}`);
  await writeInstallIntent(opts.stateDir, app, intent);
  process.stderr.write(`${app}: recorded ${intent === 'present' ? 'install' : 'remove'}\n`);
  if (opts.apply) await printReport(await passOnce(opts), opts);
}

/** Adds `install` and `remove` to the program. */
export function register(program: Command): void {
  for (const [name, intent, what] of [
    ['install', 'present', 'install APP on this node (also when its manifest says state: absent) and start it'],
    ['remove', 'absent', 'stop APP and remove its units and configs from this node (its manifest stays in the catalog)'],
  ] as const) {
    reconcileOptions(
      program
        .command(`${name} <app>`)
        .description(what)
        .option('--no-apply', 'only record the intent; the next pass (e.g. a running watch) acts on it'),
    ).action(async (app: string, _opts: unknown, cmd: Command) => {
      await setInstall(app, intent, cmd.optsWithGlobals<InstallCliOptions>());
    });
  }
}
