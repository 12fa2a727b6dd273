/**
 * Execute: runs a plan's steps through a table of executors keyed by action,
 * with the ports passed in. Then the health gate: every gated start/restart
 * must reach `active` within its start timeout; an update that does not is
 * rolled back to its last-good files. Phases go to the controller while an
 * app is worked on and are cleared as soon as that app's own work ends.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NotOwnedError } from '../errors.js';
import { parseUnitFileName, serviceName, serviceOf, servicesOfUnit } from '../naming.js';
import { isOwned } from '../render/types.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { readTextIfExists } from '../store/fs.js';
import { makeDataDir, onHost, readConfigFiles, removeConfigFile, writeConfigFile } from '../store/node/config-files.js';
import { readLastGood, removeRecord, writeLastGood, writeRecord, type LastGood } from '../store/state/records.js';
import { readIntent } from '../store/state/intents.js';
import { recordPodmanSecret } from '../store/state/podman-secrets.js';
import { secretStore } from '../store/state/secrets.js';
import type { PodmanSecrets } from '../store/node/podman-secrets.js';
import { awaitAllActive, awaitStopped, type GateResult } from './await-active.js';
import { boundedReads } from './bounded-reads.js';
import { describeFailure, recordFailure, retryStatus } from './backoff.js';
import { configIsOurs, stableMsOf } from './plan.js';
import type { Log, PhaseSink, UnitManager } from './ports.js';
import * as S from './steps.js';
import type { AppRecord, Desired, DesiredApp, Gate, Observed, RestartStep, StartStep, Step, StepAction, StopStep } from './types.js';

/** How long a pass keeps an app `removing` while its unit stops (bitcoind may take its whole 630 s TimeoutStopSec). */
const REMOVAL_STOP_WAIT_MS = 15 * 60_000;

/** What executors may touch. */
export interface ExecuteDeps {
  unitDir: string;
  stateDir: string;
  systemd: UnitManager;
  phases: PhaseSink;
  log: Log;
  /** Poll interval of the health gate (ms); default 250. */
  pollMs?: number;
  /** Where the host's `/` is for config files; default `/`. */
  configRoot?: string;
  /** The node's podman secret store, for `write-secret` steps. */
  podmanSecrets?: PodmanSecrets;
}

/** What a pass did, counted; the no-op pass is all zeros. */
export interface Counters {
  writes: number;
  removes: number;
  reloads: number;
  starts: number;
  stops: number;
  restarts: number;
  rollbacks: number;
}

/** A step that failed, or an update that failed its gate. */
export interface Failure {
  app?: string;
  step: string;
  error: string;
}

export interface ExecuteReport {
  /** describe() of every step run, in order (rollbacks included). */
  done: string[];
  failures: Failure[];
  counters: Counters;
}

/** Mode of a restored config whose record predates modes: private, to be safe. */
const SECRET_CONFIG_MODE = 0o600;

interface Ctx {
  deps: ExecuteDeps;
  desired: Desired;
  observed: Observed;
  counters: Counters;
}

type Executor<A extends StepAction> = (step: Extract<Step, { action: A }>, ctx: Ctx) => Promise<void>;

async function ensureOurs(path: string): Promise<void> {
  const text = await readTextIfExists(path);
  if (text === undefined) return;
  // Re-checked at write time: a file can appear between observe and execute.
  if (!isOwned(text)) throw new NotOwnedError(path);
}

function appOf(ctx: Ctx, id: string): DesiredApp | undefined {
  return ctx.desired.apps.find((a) => a.id === id);
}

function lastGoodOf(app: DesiredApp): LastGood {
  return { units: app.units.map((u) => ({ name: u.name, content: u.content })), configs: app.configs.map((c) => ({ path: c.path, content: c.content, mode: c.mode, ...(c.owner ? { owner: c.owner } : {}) })) };
}

/** The executors, one per action. Each throws on failure; the runner records it. */
export const EXECUTORS: { [A in StepAction]: Executor<A> } = {
  'write-unit': async (s, { deps, counters }) => {
    const path = join(deps.unitDir, s.file.name);
    await ensureOurs(path);
    await mkdir(deps.unitDir, { recursive: true, mode: 0o755 });
    await writeFileAtomic(path, s.file.content);
    counters.writes++;
  },
  'remove-unit': async (s, { deps, counters }) => {
    const path = join(deps.unitDir, s.name);
    await ensureOurs(path);
    await rm(path, { force: true });
    counters.removes++;
  },
  'write-config': async (s, { deps, observed, counters }) => {
    // Re-checked at write time, like units: an operator's file may appear after observe.
    const now = (await readConfigFiles([s.path], deps.configRoot))[s.path];
    if (!configIsOurs({ ...observed, configs: { [s.path]: now } }, s.path)) throw new NotOwnedError(onHost(s.path, deps.configRoot));
    await writeConfigFile(s.path, s.content, s.mode, deps.configRoot, s.owner);
    counters.writes++;
  },
  'remove-config': async (s, { deps, counters }) => {
    await removeConfigFile(s.path, deps.configRoot);
    counters.removes++;
  },
  'make-dir': async (s, { deps, counters }) => {
    await makeDataDir(s.path, deps.configRoot, s.owner);
    counters.writes++;
  },
  'write-secret': async (s, { deps, counters }) => {
    const value = await secretStore(deps.stateDir).peek(s.secret);
    if (value === undefined) throw new Error(`secret ${s.secret} does not exist in the state directory (a pass creates it before it plans this step)`);
    if (!deps.podmanSecrets) throw new Error(`no podman to create ${s.name} with`);
    await deps.podmanSecrets.create(s.name, value);
    await recordPodmanSecret(deps.stateDir, s.name, s.digest);
    counters.writes++;
  },
  reload: async (_s, { deps, counters }) => {
    await deps.systemd.reload();
    counters.reloads++;
  },
  start: async (s, { deps, counters }) => {
    await resetStartLimit(deps, s.service);
    await deps.systemd.startUnit(s.service, 'replace');
    counters.starts++;
  },
  stop: async (s, { deps, counters }) => {
    await deps.systemd.stopUnit(s.service, 'replace');
    counters.stops++;
    if (s.settle) {
      const stopped = await awaitStopped(deps.systemd, s.service, REMOVAL_STOP_WAIT_MS, deps.pollMs ?? 250);
      if (!stopped.ok) throw new Error(stopped.reason);
    }
  },
  restart: async (s, { deps, counters }) => {
    await resetStartLimit(deps, s.service);
    await deps.systemd.restartUnit(s.service, 'replace');
    counters.restarts++;
  },
  adopt: async (s, ctx) => {
    await writeRecord(ctx.deps.stateDir, s.app, s.record);
    const app = appOf(ctx, s.app);
    if (s.lastGood && app) await writeLastGood(ctx.deps.stateDir, s.app, lastGoodOf(app));
  },
  forget: async (s, { deps }) => {
    await removeRecord(deps.stateDir, s.app);
  },
  rollback: async (s, ctx) => {
    const { deps, counters } = ctx;
    const good = await readLastGood(deps.stateDir, s.app);
    if (!good) throw new Error(`no last-good files of ${s.app} are kept; left as it is`);
    for (const u of good.units) {
      const path = join(deps.unitDir, u.name);
      await ensureOurs(path);
      await writeFileAtomic(path, u.content);
      counters.writes++;
    }
    for (const c of good.configs) {
      await writeConfigFile(c.path, c.content, c.mode ?? SECRET_CONFIG_MODE, deps.configRoot, c.owner);
      counters.writes++;
    }
    await deps.systemd.reload();
    counters.reloads++;
    // Every container of the app goes back to what it last ran healthy with: through the app's unit when it is the
    // network of an app of several (a restart of it restarts them all, in order), else container by container.
    const viaApp = good.units.some((u) => parseUnitFileName(u.name)?.kind === 'network' && serviceOf(u.name, u.content) === s.service);
    const services = viaApp ? [s.service] : [s.service, ...good.units.filter((u) => parseUnitFileName(u.name)?.kind === 'container').map((u) => serviceName(u.name))];
    for (const svc of new Set(services)) {
      await resetStartLimit(deps, svc);
      await deps.systemd.restartUnit(svc, 'replace');
      counters.restarts++;
    }
    counters.rollbacks++;
  },
};

/**
 * The reconciler's own starts are not a crash loop: like a user's start, each resets systemd's start rate limit
 * first (`StartLimitBurst=`, 5 starts in 10 s by default, restarts included), or a burst of commits or a pass
 * killed and run again would leave the app `failed (start-limit-hit)`. A unit systemd does not know yet (its
 * file was just written) fails here harmlessly; the start itself then reports what is wrong.
 */
async function resetStartLimit(deps: ExecuteDeps, service: string): Promise<void> {
  await deps.systemd.resetFailedUnit(service).catch(() => undefined);
}

function run(step: Step, ctx: Ctx): Promise<void> {
  return (EXECUTORS[step.action] as Executor<StepAction>)(step as never, ctx);
}

/**
 * Runs `steps` in order. A failed step is reported and the rest of its app's
 * steps are skipped; a failed daemon-reload skips every start and restart.
 * Then waits for every gated start/restart and records or rolls back. Each
 * app's phase is cleared after its last step, or after its own gate when it
 * has one (never after the slowest gate of the pass).
 */
export async function executeSteps(steps: readonly Step[], desired: Desired, observed: Observed, deps: ExecuteDeps): Promise<ExecuteReport> {
  const counters: Counters = { writes: 0, removes: 0, reloads: 0, starts: 0, stops: 0, restarts: 0, rollbacks: 0 };
  // The gates of many apps poll side by side: their reads share a bounded number of D-Bus calls in flight.
  deps = { ...deps, systemd: boundedReads(deps.systemd) };
  const ctx: Ctx = { deps, desired, observed, counters };
  const done: string[] = [];
  const failures: Failure[] = [];
  const failedApps = new Set<string>();
  const phased = new Set<string>();
  let reloadFailed = false;
  const gated: Array<StartStep | RestartStep> = [];
  // An app being removed stays `removing` until its stop has ended (a stop job returns at once; the unit may take
  // minutes to exit), or clients would see it fall back to `stopping` before `not-installed`.
  const removals: StopStep[] = [];
  // An app's phase ends with its own work (its last step, or its own health gate),
  // not with the whole pass: another app's gate may wait for up to its start timeout.
  const lastIndex = new Map<string, number>();
  steps.forEach((s, i) => {
    if (s.app !== undefined) lastIndex.set(s.app, i);
  });
  // A clear resolves once the controller shows systemd's own state again; the pass returns after all of them.
  const clearing: Array<void | Promise<void>> = [];
  const clearPhase = (app: string): void => {
    if (phased.delete(app)) clearing.push(deps.phases.setPhase(app, undefined));
  };
  const gatedApps = (): Set<string> => new Set([...gated, ...removals].filter((s) => !failedApps.has(s.app!)).map((s) => s.app!));

  try {
    for (const [i, step] of steps.entries()) {
      await runStep(step);
      if (step.app !== undefined && lastIndex.get(step.app) === i && !gatedApps().has(step.app)) clearPhase(step.app);
    }
    // Apps whose gate will not run (a later step of theirs failed) are done too.
    const waiting = gatedApps();
    for (const app of [...phased]) if (!waiting.has(app)) clearPhase(app);
    await Promise.all([
      ...gated
        .filter((s) => !failedApps.has(s.app))
        .map(async (s) => {
          try {
            await gate(s, ctx, done, failures);
          } catch (err) {
            // systemd could not be read: this app's revision is not judged, the others' gates go on.
            failures.push({ app: s.app, step: s.describe(), error: `the health gate of ${s.app} could not read systemd: ${(err as Error).message}` });
          } finally {
            clearPhase(s.app);
          }
        }),
      ...removals
        .filter((s) => !failedApps.has(s.app!))
        .map(async (s) => {
          try {
            const stopped = await awaitStopped(deps.systemd, s.service, REMOVAL_STOP_WAIT_MS, deps.pollMs ?? 250);
            if (!stopped.ok) deps.log(`${s.describe()}: ${stopped.reason}`);
          } catch (err) {
            deps.log(`${s.describe()}: could not follow the stop: ${(err as Error).message}`);
          } finally {
            clearPhase(s.app!);
          }
        }),
    ]);
  } finally {
    for (const app of [...phased]) clearPhase(app);
    await Promise.allSettled(clearing);
  }

  async function runStep(step: Step): Promise<void> {
    if (step.app !== undefined && failedApps.has(step.app)) return;
    if (reloadFailed && (step.action === 'start' || step.action === 'restart')) return;
    try {
      const skip = await overtaken(step, deps.stateDir);
      if (skip !== undefined) {
        deps.log(skip);
        return;
      }
      if (step.app !== undefined && step.phase !== undefined && !phased.has(step.app)) {
        phased.add(step.app);
        deps.phases.setPhase(step.app, step.phase);
      }
      await run(step, ctx);
      done.push(step.describe());
      deps.log(step.describe());
      if ((step.action === 'start' || step.action === 'restart') && step.gate) gated.push(step);
      if (step.action === 'stop' && step.phase === 'removing' && step.app !== undefined && !step.settle) removals.push(step);
    } catch (err) {
      const error = (err as Error).message;
      failures.push({ ...(step.app !== undefined ? { app: step.app } : {}), step: step.describe(), error });
      deps.log(`${step.describe()} failed: ${error}`);
      if (step.app !== undefined) failedApps.add(step.app);
      if (step.action === 'reload') reloadFailed = true;
    }
  }
  return { done, failures, counters };
}

/**
 * Why a start/stop/restart that follows the user's intent must not run: the
 * intent was read when the pass began, and the user may have clicked Start or
 * Stop since. Undefined when the step still matches the intent on disk now.
 * Throws on IO errors and for a corrupt intent file.
 */
async function overtaken(step: Step, stateDir: string): Promise<string | undefined> {
  if (step.action !== 'start' && step.action !== 'stop' && step.action !== 'restart') return undefined;
  if (step.intended === undefined || step.app === undefined) return undefined;
  const now = await readIntent(stateDir, step.app);
  if (now === undefined) return undefined;
  if (now.intent === step.intended) {
    // An instance the user stopped since (issue 17): a start of the app's unit planned before would start it again.
    const since = step.intended === 'running' && now.stopped !== undefined && now.at !== step.intentAt;
    return since ? `skip ${step.describe()}: the user stopped ${now.stopped!.map((i) => `${step.app}@${i}`).join(', ')} since this pass read its intent` : undefined;
  }
  // The intent this pass planned from, which a later manifest state outranked: not a new click.
  if (step.intentAt !== undefined && now.at === step.intentAt) return undefined;
  return `skip ${step.describe()}: the user ${now.intent === 'running' ? 'started' : 'stopped'} it since this pass read its intent`;
}

/**
 * The gate for the unit files `units` (a rollback's last-good files): the longest `TimeoutStartSec=` of their
 * containers, and each container's stable window as they say (`Notify=healthy` or a one-shot: none). Falls back to
 * `g` for what the files do not say. Pure.
 */
export function gateOfFiles(units: ReadonlyArray<{ name: string; content: string }>, service: string, g: Gate): Gate {
  const containers = units.filter((u) => parseUnitFileName(u.name)?.kind === 'container');
  const timeouts = containers.map((u) => Number(/^TimeoutStartSec=(\d+)$/m.exec(u.content)?.[1] ?? NaN)).filter((n) => Number.isFinite(n));
  const timeoutMs = timeouts.length > 0 ? Math.max(...timeouts) * 1000 : g.timeoutMs;
  if (g.services) return { ...g, timeoutMs, services: containers.flatMap((u) => servicesOfUnit(u.name, units).map((svc) => ({ service: svc, stableMs: stableMsOf(u) }))) };
  const main = containers.find((u) => serviceName(u.name) === service);
  return { ...g, timeoutMs, stableMs: main ? stableMsOf(main) : g.stableMs };
}

/**
 * The gate's wait: `service` up (stable for `g.stableMs`), or for an app of several containers every one of
 * `g.services`, side by side; the container that failed itself gives the reason.
 */
async function awaitGate(deps: ExecuteDeps, service: string, g: Gate): Promise<GateResult> {
  return awaitAllActive(deps.systemd, g.services ?? [{ service, stableMs: g.stableMs }], g.timeoutMs, deps.pollMs ?? 250);
}

/**
 * Waits for one gated start/restart; records the app on success. Otherwise records the revision as failed with
 * its back-off (`backoff.ts`) and, for an update, rolls back to the last-good files.
 */
async function gate(step: StartStep | RestartStep, ctx: Ctx, done: string[], failures: Failure[]): Promise<void> {
  const { deps } = ctx;
  const app = appOf(ctx, step.app);
  const g = step.gate!;
  const result = await awaitGate(deps, step.service, g);
  if (result.ok) {
    if (step.record) await writeRecord(deps.stateDir, step.app, step.record);
    if (app) await writeLastGood(deps.stateDir, step.app, lastGoodOf(app));
    deps.phases.setRetry?.(step.app, undefined);
    return;
  }
  // The user stopped the app while the pass waited for it: that is why it is not up, not its revision.
  const stoppedSince = await overtaken({ ...step, intended: 'running' }, deps.stateDir);
  if (stoppedSince !== undefined) {
    deps.log(`${stoppedSince}; not judging its revision`);
    return;
  }
  const previous: AppRecord | undefined = ctx.observed.records[step.app];
  const failedHash = step.record?.hash ?? app?.hash ?? '';
  const base: AppRecord = previous ?? { hash: '', units: step.record?.units ?? [], configs: step.record?.configs ?? [] };
  const units = [...new Set([...base.units, ...(step.record?.units ?? [])])];
  const configs = [...new Set([...base.configs, ...(step.record?.configs ?? [])])];
  // Remember the revision as failed, with its back-off, before anything else: a pass killed during the rollback
  // must not make the next one retry at once. The rollback's outcome then decides whether attempts are bounded.
  const remember = async (rolledBack: boolean): Promise<void> => {
    const failure = recordFailure(failedHash, g.attempt, result.reason, rolledBack, Date.now());
    await writeRecord(deps.stateDir, step.app, { hash: base.hash, units, configs, failure });
    deps.phases.setRetry?.(step.app, retryStatus(failure));
    deps.log(describeFailure(step.app, failure));
  };
  await remember(false);
  const what = step.action === 'restart' ? 'update' : 'install';
  if (!g.rollback) {
    failures.push({ app: step.app, step: step.describe(), error: `${what} of ${step.app} failed: ${result.reason}` });
    deps.log(`${what} of ${step.app} failed: ${result.reason}`);
    return;
  }
  const rb = S.rollback(step.app, step.service, result.reason, failedHash);
  deps.phases.setPhase(step.app, 'updating');
  try {
    await run(rb, ctx);
    done.push(rb.describe());
    deps.log(rb.describe());
    // The last-good files come up under their own timeouts and checks, not the failed revision's.
    const again = await awaitGate(deps, step.service, gateOfFiles((await readLastGood(deps.stateDir, step.app))?.units ?? [], step.service, g));
    if (again.ok) await remember(true);
    const after = again.ok ? 'rolled back to its last-good files, running again' : `rolled back, but the last-good files do not come up either: ${again.reason}`;
    failures.push({ app: step.app, step: step.describe(), error: `update of ${step.app} failed: ${result.reason}; ${after}` });
  } catch (err) {
    failures.push({ app: step.app, step: rb.describe(), error: `update of ${step.app} failed: ${result.reason}; rollback failed: ${(err as Error).message}` });
  }
}
