/**
 * Pure derivation of one state per app from all of its units. A one-container app is its container's unit
 * (`deriveState` alone). An app of several containers has an app unit (its network, a oneshot that stays active
 * with RemainAfterExit) that every lifecycle call acts on, and one unit per container, `PartOf=` and `WantedBy=` it:
 * the app unit is active before any container is up, so the state comes from the containers, the jobs of all units,
 * and the app unit only for whether the app is installed at all. No IO.
 */
import { deadlineFor, deriveState, isRestartJob, type Derived, type UnitFacts } from './state.js';
import type { AppState, ContainerStatus, DesiredState, ReconcilePhase, WaitingFor } from './types.js';

/** What systemd says about one container of an app of several. */
export interface ContainerFacts {
  /** Its short name in the manifest (`db`). */
  name: string;
  /** Its service (`mempool-db.service`). */
  unit: string;
  /** Undefined while the unit has not been read. */
  facts: UnitFacts | undefined;
  /** A template app's instance the user stopped on their own (`stop indexer@2`): not part of the app's state. */
  stopped?: boolean;
}

/** One container's own derived state (its `ContainerStatus` without the raw systemd fields). */
export type ContainerDerived = Pick<ContainerStatus, 'name' | 'unit' | 'state' | 'reason'>;

/** Everything an app's state depends on. */
export interface AppFacts {
  /** The app unit (`<id>.service`), named in a reason when it fails itself. */
  unit: string;
  /** What systemd says about the app unit; undefined while it has not been read. */
  facts: UnitFacts | undefined;
  /** For an app of several containers, each container's facts in manifest order; undefined (or empty) for one container. */
  containers?: readonly ContainerFacts[];
  /** The reconciler's phase, which wins. */
  phase?: ReconcilePhase;
}

export interface DerivedApp extends Derived {
  /** For an app of several containers: each container's own state (`deriveState` of its unit alone), in order. */
  containers?: ContainerDerived[];
}

/**
 * The dependency an app waits for: when the node wants it running and it is stopped, starting or failed (a start
 * job systemd failed with result `dependency` leaves it stopped), the first of its dependencies (`deps`, in the
 * manifest's order) that is not running. Undefined otherwise.
 */
export function waitingFor(state: AppState, desired: DesiredState | undefined, deps: readonly WaitingFor[]): WaitingFor | undefined {
  if (desired !== 'running' || !(state === 'stopped' || state === 'starting' || state === 'failed')) return undefined;
  return deps.find((d) => d.state !== 'running');
}

const TRANSITIONAL: ReadonlySet<AppState> = new Set(['starting', 'stopping', 'restarting']);

/** The container's settled meaning, its job left out. */
const natural = (c: ContainerFacts): Derived => deriveState(c.facts && { ...c.facts, jobType: undefined });
/** Up: active (a one-shot container: active/exited, RemainAfterExit). */
const isUp = (c: ContainerFacts): boolean => natural(c).state === 'running';
/** Down: inactive, failed, or no unit at all. */
const isDown = (c: ContainerFacts): boolean => ['stopped', 'failed', 'not-installed'].includes(natural(c).state);

/** `<name>: <why>` for every container that failed or cannot load (`db: exit-code`, `web: not-found`), or undefined. */
function failures(containers: readonly ContainerFacts[], only: (c: ContainerFacts) => boolean = () => true): string | undefined {
  const out: string[] = [];
  for (const c of containers) {
    if (!only(c)) continue;
    const d = natural(c);
    if (d.state === 'failed') out.push(`${c.name}: ${d.reason ?? 'failed'}`);
    else if (d.state === 'not-installed') out.push(`${c.name}: not-found`);
  }
  return out.length > 0 ? out.join(', ') : undefined;
}

/**
 * The app state for the app unit's facts and, for an app of several containers, each container's (manifest order).
 * Without containers (undefined or empty) this is `deriveState(facts, phase)`. With containers, first match wins:
 *
 * 1. a reconciler phase (`installing`, `updating`, `removing`);
 * 2. the app unit `not-found` (or never read) → `not-installed`; `bad-setting`/`error` → `failed` (reason: LoadState);
 * 3. a restart job (`restart`, `try-restart`, …) on the app unit or any container → `restarting`;
 * 4. a stop job on any unit → `stopping`, until every container is down (inactive or failed); then any container
 *    in a crash loop (its own `crash-loop`) → `crash-loop`, reason: those containers' names;
 * 5. a start job on any unit → `starting`, until every container is up (active; a one-shot container active/exited;
 *    a container still `activating`, e.g. `Notify=healthy` not yet healthy, keeps the app starting) — unless a
 *    container has failed and has no job of its own left: the start failed, → `failed` (rule 7);
 * 6. no job: any container `deactivating` → `stopping`; any container `activating` (e.g. systemd's own
 *    `Restart=` between two runs) → `starting`;
 * 7. any container failed or without a unit → `failed`, reason `<name>: <Result>` for each (`db: exit-code`,
 *    `db: exit-code, web: not-found`); the app unit failed (its network could not be made) → `failed`,
 *    reason `<app unit>: <Result>`;
 * 8. every container up → `running`; every container inactive → `stopped`;
 * 9. a settled mix (some up, some inactive, no job: e.g. one container stopped by hand, or a one-shot that ran
 *    without RemainAfterExit) is not `running`: the app does not work as a whole, and nothing systemd is doing will
 *    change that. It is `failed`, reason `<name>: inactive` for each container that is down (`web: inactive`); a
 *    Start of the app starts the missing containers (a StartUnit of the active app unit still pulls in its Wants).
 *
 * A template app's instances the user stopped on their own (`stopped`) are left out of all of this (each still has
 * its own state): the app runs when the others do. When every instance is so stopped, they all count.
 */
export function deriveAppState(input: AppFacts): DerivedApp {
  const { facts: app, phase } = input;
  if (!input.containers || input.containers.length === 0) return deriveState(app, phase);
  const own: ContainerDerived[] = input.containers.map((c) => ({ name: c.name, unit: c.unit, ...deriveState(c.facts) }));
  const running = input.containers.filter((c) => c.stopped !== true);
  const containers = running.length > 0 ? running : input.containers;
  const withOwn = (d: Derived): DerivedApp => ({ ...d, containers: own });
  if (phase) return withOwn({ state: phase });
  const appUnit = deriveState(app && { ...app, jobType: undefined });
  if (appUnit.state === 'not-installed') return withOwn({ state: 'not-installed' });
  if (app?.loadState === 'bad-setting' || app?.loadState === 'error') return withOwn(appUnit);

  const jobs = [app?.jobType, ...containers.map((c) => c.facts?.jobType)].filter((j): j is string => j !== undefined);
  if (jobs.some(isRestartJob)) return withOwn({ state: 'restarting' });
  if (jobs.includes('stop') && !containers.every(isDown)) return withOwn({ state: 'stopping' });
  const looping = own.filter((c) => c.state === 'crash-loop').map((c) => c.name);
  if (looping.length > 0) return withOwn({ state: 'crash-loop', reason: looping.join(', ') });
  if (jobs.includes('start') && !containers.every(isUp)) {
    const failedForGood = failures(containers, (c) => c.facts?.jobType === undefined);
    return withOwn(failedForGood ? { state: 'failed', reason: failedForGood } : { state: 'starting' });
  }
  const settled = containers.map(natural);
  if (settled.some((d) => d.state === 'stopping')) return withOwn({ state: 'stopping' });
  if (settled.some((d) => d.state === 'starting')) return withOwn({ state: 'starting' });
  const failed = failures(containers);
  if (failed) return withOwn({ state: 'failed', reason: failed });
  if (appUnit.state === 'failed') return withOwn({ state: 'failed', reason: `${input.unit}: ${appUnit.reason ?? 'failed'}` });
  if (settled.every((d) => d.state === 'running')) return withOwn({ state: 'running' });
  if (settled.every((d) => d.state === 'stopped')) return withOwn({ state: 'stopped' });
  const down = containers.filter((_c, i) => settled[i]!.state !== 'running').map((c) => `${c.name}: inactive`);
  return withOwn({ state: 'failed', reason: down.join(', ') });
}

/**
 * The deadline (ms since the epoch) of an app's transition: for a one-container app `deadlineFor` of its unit; for
 * an app of several, the latest of `deadlineFor` over the containers in transition (each by its own derived state:
 * a stop job, `deactivating`, a start job, `activating`, a restart job), each counted from its own
 * StateChangeTimestamp once in that ActiveState, else from `sinceMs` (none when it is undefined: not known). The app unit's own timeout is left out: it
 * only bounds the network's creation, not the containers. Undefined when the app is settled or no timeout is finite.
 */
export function appDeadline(state: AppState, { facts: app, containers }: AppFacts, sinceMs: number | undefined): number | undefined {
  if (!containers || containers.length === 0) return deadlineFor(state, app, sinceMs);
  if (!TRANSITIONAL.has(state)) return undefined;
  let latest: number | undefined;
  for (const c of containers) {
    const own = deriveState(c.facts).state;
    if (!TRANSITIONAL.has(own)) continue;
    const d = deadlineFor(own, c.facts, sinceMs);
    if (d !== undefined && (latest === undefined || d > latest)) latest = d;
  }
  return latest;
}
