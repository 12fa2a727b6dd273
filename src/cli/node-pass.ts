/**
 * The reconciler run for a command over its node context: one pass (`apply`,
 * `install`, `remove`, `diff --node`) or the watch loop (`watch`,
 * `serve --watch`), each pass under the state directory's pass lock. The reconciler, the watcher and the D-Bus
 * client load on first use: `serve` without `--watch` and every command's `--help` do without them.
 */
import type { LiveController } from '../controller/controller.js';
import type { PassOptions } from '../reconcile/pass.js';
import { withPassLock } from '../store/state/pass-lock.js';
import type { SystemdPort } from '../systemd/types.js';
import type { NodeContext } from './node-context.js';
import { passLogger, reportPass, type AnyPassReport, type LevelLog, type PassSummary } from './report.js';

/** How long a pass waits for another pass (e.g. `watch`) on the same state directory to finish. */
const LOCK_WAIT_MS = 15 * 60_000;

/** The node's pass options over `systemd`, progress lines to `log`. */
async function passOptions(ctx: NodeContext, systemd: SystemdPort, log: (line: string) => void): Promise<Omit<PassOptions, 'manifestsDir'>> {
  return {
    unitDir: ctx.unitDir,
    stateDir: ctx.stateDir,
    systemd,
    generator: ctx.pass.generator,
    user: ctx.manager === 'user',
    dryRun: ctx.pass.dryRun,
    allowEmpty: ctx.pass.allowEmpty,
    podmanVersion: ctx.pass.podmanVersion,
    podman: ctx.pass.podman,
    node: ctx.pass.node,
    reserved: await ctx.reserved(),
    log,
  };
}

/** Runs `fn` holding the state directory's pass lock; throws LockedError when another pass holds it too long. */
function exclusive(ctx: NodeContext): <T>(fn: () => Promise<T>) => Promise<T> {
  return (fn) => withPassLock(ctx.stateDir, fn, LOCK_WAIT_MS);
}

/** Runs `fn` with a port connected to the node's systemd; closes it after. Throws SystemdError when systemd cannot be reached. */
export async function withSystemd<T>(ctx: NodeContext, fn: (systemd: SystemdPort) => Promise<T>): Promise<T> {
  const { createSystemd } = await import('../systemd/client.js');
  const systemd = createSystemd({ address: ctx.busAddress });
  try {
    await systemd.ready();
    return await fn(systemd);
  } finally {
    await systemd.close();
  }
}

/**
 * One pass over the node's manifest source (directory or git), under the pass lock.
 * Throws SystemdError when systemd cannot be reached, InvalidInputError when the manifests are invalid.
 */
export async function passOnce(ctx: NodeContext, log: (line: string) => void): Promise<AnyPassReport> {
  const [{ runPass }, { gitPass }] = await Promise.all([import('../reconcile/pass.js'), import('../reconcile/source.js')]);
  return withSystemd(ctx, async (systemd) => {
    const pass = await passOptions(ctx, systemd, log);
    return exclusive(ctx)(() => (ctx.git ? gitPass(ctx.git, pass) : runPass({ ...pass, manifestsDir: ctx.manifestsDir })));
  });
}

/**
 * One pass with its report on stdout and its progress on stderr (`apply`, `diff --node`, `install`, `remove`).
 * Throws what `passOnce` throws, and for the exit code the report implies (`reportPass`).
 */
export async function passAndReport(ctx: NodeContext): Promise<void> {
  await reportPass(await passOnce(ctx, (line) => void process.stderr.write(`${line}\n`)), ctx);
}

/** What a reconcile loop runs over, besides the node. */
export interface LoopOptions {
  systemd: SystemdPort;
  /** The process's controller, which the passes tell their phases and the catalog (`serve --watch`). */
  controller?: LiveController;
  intervalMs: number;
  /** Ends the loop (after the pass in flight). */
  signal: AbortSignal;
  /** Progress at `info`; each pass's outcome and summary (`passLogger`: a hold when it starts or changes). */
  log: LevelLog;
  summary: PassSummary;
  /** Wraps each look of the loop (`WatchOptions.aroundPass`): the API's installer settles the phases it announced. */
  aroundPass?: (fn: () => Promise<void>) => Promise<void>;
  /** Each pass's outcome, besides the log (`serve`'s reconciler view). */
  onPass?: (result: { report?: AnyPassReport; error?: Error }) => void;
  /** Given the loop's trigger ("reconcile now"). */
  onTrigger?: (trigger: () => void) => void;
}

/** Runs the reconciler's watch loop over the node until `signal` aborts. */
export async function reconcileLoop(ctx: NodeContext, { systemd, controller, intervalMs, signal, log, summary, aroundPass, onPass, onTrigger }: LoopOptions): Promise<void> {
  const { watch } = await import('../reconcile/watch.js');
  const logReport = passLogger(log, summary);
  await watch({
    ...(await passOptions(ctx, systemd, log.info)),
    warn: log.warn,
    ...(controller ? { controller } : {}),
    intervalMs,
    signal,
    ...(ctx.git ? { git: ctx.git } : { manifestsDir: ctx.manifestsDir }),
    exclusive: exclusive(ctx),
    ...(aroundPass ? { aroundPass } : {}),
    ...(onTrigger ? { onTrigger } : {}),
    // A failed pass is logged by the loop itself, once per distinct error.
    onPass: (result) => {
      if (result.report) logReport(result.report);
      onPass?.(result);
    },
  });
}

/** The catalog's directory now: `--manifests`, or with `--git` the applied commit's manifests (undefined while none is applied). */
export async function appliedCatalogDir(ctx: NodeContext): Promise<string | undefined> {
  if (!ctx.git) return ctx.manifestsDir;
  const current = await ctx.git.current();
  if (!current) return undefined;
  const { manifestsIn } = await import('../reconcile/source.js');
  return manifestsIn(current.root);
}
