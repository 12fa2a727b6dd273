/**
 * `archy-quadlet apply [--unit-dir DIR] [--dry-run] [--git URL [--ref REF]]`:
 * one reconcile pass over this node (observe → plan → generator check →
 * execute). `--dry-run` prints the plan and changes nothing (the node-level
 * diff: units, configs, reloads, starts, restarts). `--json` prints the report.
 * Exit 0 when converged, 1 when input is invalid or an app had to be held back,
 * 3 when a step failed (systemd, IO) or an update was rolled back.
 */
import { defaultUnitDir } from '../node-paths.js';
import type { Command } from 'commander';
import { InvalidInputError } from '../../errors.js';
import { DEFAULT_PODMAN_VERSION } from '../../compile/target-version.js';
import { DEFAULT_GENERATOR } from '../../reconcile/generator.js';
import type { PassOptions, PassReport } from '../../reconcile/pass.js';
import { runPass } from '../../reconcile/pass.js';
import { gitPass, readSourceState, type GitPassReport } from '../../reconcile/source.js';
import { gitSource } from '../../store/git-source.js';
import { withPassLock } from '../../store/pass-lock.js';
import { busAddressFor } from '../../systemd/address.js';
import { createSystemd } from '../../systemd/client.js';
import type { GlobalOptions } from '../program.js';
import { DEFAULT_MANIFESTS_DIR } from './validate.js';

/** Options shared by `apply`, `watch`, `install` and `remove`. */
export interface ReconcileCliOptions extends GlobalOptions {
  unitDir?: string;
  dryRun?: boolean;
  generator?: string;
  podmanVersion?: string;
  git?: string;
  ref: string;
}

/** Adds the options every reconciling command takes. */
export function reconcileOptions(cmd: Command): Command {
  return cmd
    .option('--unit-dir <dir>', 'Quadlet unit directory (default /etc/containers/systemd, or ~/.config/containers/systemd with --user)')
    .option('--git <url>', 'take the manifests from this git repository (a path or any URL git can fetch) instead of --manifests')
    .option('--ref <ref>', 'branch or tag of --git', 'main')
    .option('--generator <path>', "the node's Quadlet generator, run in dry-run over the staged units", DEFAULT_GENERATOR)
    .option('--podman-version <version>', 'podman version the units are rendered for', DEFAULT_PODMAN_VERSION);
}


/** How long a CLI pass waits for another pass (e.g. `watch`) to finish. */
const LOCK_WAIT_MS = 15 * 60_000;

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Runs `fn` with a connected systemd port and the pass options of `opts`; closes the bus after.
 * Throws SystemdError when systemd cannot be reached.
 */
export async function withPassOptions<T>(opts: ReconcileCliOptions, fn: (pass: Omit<PassOptions, 'manifestsDir'>) => Promise<T>): Promise<T> {
  const systemd = createSystemd({ address: busAddressFor({ bus: opts.bus, user: opts.user, uid: process.getuid?.() ?? 0 }) });
  try {
    await systemd.ready();
    return await fn({
      unitDir: opts.unitDir ?? defaultUnitDir(opts.user),
      stateDir: opts.stateDir,
      systemd,
      generator: [opts.generator ?? DEFAULT_GENERATOR],
      user: opts.user ?? false,
      dryRun: opts.dryRun ?? false,
      log: progress,
      ...(opts.podmanVersion ? { podmanVersion: opts.podmanVersion } : {}),
    });
  } finally {
    await systemd.close();
  }
}

/** One pass from the directory or git source of `opts`, under the state dir's lock. */
export async function passOnce(opts: ReconcileCliOptions): Promise<PassReport | GitPassReport> {
  return withPassOptions(opts, (pass) =>
    withPassLock(
      opts.stateDir,
      () => (opts.git ? gitPass(gitSource({ url: opts.git, ref: opts.ref, stateDir: opts.stateDir }), pass) : runPass({ ...pass, manifestsDir: opts.manifests ?? DEFAULT_MANIFESTS_DIR })),
      LOCK_WAIT_MS,
    ),
  );
}

/** Prints a report (text or JSON) and throws for the exit code it implies. */
export async function printReport(report: PassReport | GitPassReport, opts: ReconcileCliOptions, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const source = opts.git ? await readSourceState(opts.stateDir) : undefined;
  if (opts.json) {
    out.write(`${JSON.stringify({ ...report, ...(source ? { source } : {}) }, null, 2)}\n`);
  } else {
    const lines = report.dryRun ? report.planned.map((s) => `would ${s}`) : [];
    if (report.dryRun && lines.length === 0) lines.push('nothing to do');
    for (const h of report.held) lines.push(`held ${h.app}: ${h.reason}`);
    for (const f of report.failures) lines.push(`failed ${f.step}: ${f.error}`);
    if ('rejected' in report && report.rejected) lines.push(`rejected commit ${report.rejected.commit}:\n${report.rejected.error}`);
    if ('commit' in report && report.commit) lines.push(`applied commit ${report.commit}`);
    if (!report.dryRun) {
      const c = report.counters;
      lines.push(`${c.writes} written, ${c.removes} removed, ${c.reloads} reload(s), ${c.starts} started, ${c.stops} stopped, ${c.restarts} restarted, ${c.rollbacks} rolled back`);
    }
    out.write(`${lines.join('\n')}\n`);
  }
  if (report.failures.length > 0) throw new Error(`${report.failures.length} step(s) failed: ${report.failures.map((f) => f.error).join('; ')}`);
  const rejected = 'rejected' in report ? report.rejected : undefined;
  if (report.held.length > 0 || rejected) {
    // Already printed above; the empty problem list keeps main from printing it twice.
    throw new InvalidInputError([], `${report.held.length} app(s) held back${rejected ? `; commit ${rejected.commit} rejected` : ''}`);
  }
}

/** The command body. */
export async function apply(opts: ReconcileCliOptions): Promise<void> {
  await printReport(await passOnce(opts), opts);
}

/** Adds `apply` to the program. */
export function register(program: Command): void {
  reconcileOptions(
    program
      .command('apply')
      .description('run one reconcile pass: write changed units and configs, one daemon-reload, start/restart what changed, prune what is gone')
      .option('--dry-run', 'print the plan (what would be written, removed, reloaded, started, restarted) and change nothing'),
  ).action(async (_opts: unknown, cmd: Command) => {
    await apply(cmd.optsWithGlobals<ReconcileCliOptions>());
  });
}
