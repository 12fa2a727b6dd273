/**
 * Pure derivation of an app's lifecycle state from what systemd reports:
 * LoadState + ActiveState + SubState + the pending job's type + Result, plus
 * the reconciler's phase. No IO; the tracker feeds it facts.
 */
import type { AppState, ReconcilePhase } from './types.js';

/** What systemd says about one unit, as far as the state depends on it. */
export interface UnitFacts {
  loadState?: string;
  activeState?: string;
  subState?: string;
  result?: string;
  /** CLOCK_REALTIME µs of the last ActiveState change (0/undefined = unknown). */
  stateChangeUsec?: number;
  timeoutStartUsec?: number;
  timeoutStopUsec?: number;
  /**
   * systemd's own restarts (`Restart=`) of the unit in its current loop, as the tracker counted them
   * (src/controller/unit-tracker.ts): entries into an auto-restart sub-state since the user's last start or restart,
   * each within `LOOP_WINDOW_MS` of the one before. Not NRestarts: systemd raises that only once the restart's start
   * job is queued, and keeps it across incidents hours apart. 0/undefined: none.
   */
  restartCycles?: number;
  /** systemd's JobType of the job in flight; undefined when there is none (or its type is not known yet). */
  jobType?: string;
}

export interface Derived {
  state: AppState;
  /** Why, where it helps: systemd's Result for `failed`, the LoadState for a unit that cannot load. */
  reason?: string;
}

/** Job types that run a stop and then a start of the same unit. */
const RESTART_JOBS = new Set(['restart', 'try-restart', 'reload-or-restart', 'try-reload-or-restart']);

/** Whether a JobType runs a stop and then a start of its unit (`restart`, `try-restart`, `reload-or-restart`, …). */
export function isRestartJob(jobType: string): boolean {
  return RESTART_JOBS.has(jobType);
}

/**
 * The app state for a unit's facts.
 *
 * - a reconciler phase wins (`installing`, `updating`, `removing`);
 * - no unit / `LoadState=not-found` → `not-installed`; `bad-setting`/`error` → `failed` (reason: the LoadState);
 * - a job in flight decides before ActiveState, because ActiveState lags the job:
 *   restart → `restarting` for both halves; stop → `stopping` (even while still `active`);
 * - systemd restarting an exiting main process by itself for the second time or more in a loop → `crash-loop`
 *   ({@link inCrashLoop}), also while its own start job is queued or running; its first restart (a kill -9, an OOM
 *   kill) → `starting`, whatever ActiveState reads for the moment (failed, inactive) — systemd is bringing it back;
 * - a start job → `starting` (unless already active: the job is about to go);
 * - otherwise ActiveState: active/reloading/refreshing → `running`, activating → `starting`,
 *   deactivating → `stopping`, inactive → `stopped`, failed → `failed` (reason: Result).
 */
export function deriveState(facts: UnitFacts | undefined, phase?: ReconcilePhase): Derived {
  if (phase) return { state: phase };
  if (!facts || facts.loadState === undefined || facts.loadState === 'not-found') return { state: 'not-installed' };
  if (facts.loadState === 'bad-setting' || facts.loadState === 'error') return { state: 'failed', reason: facts.loadState };
  const active = facts.activeState;
  const failed = (): Derived => ({ state: 'failed', reason: facts.result && facts.result !== 'success' ? facts.result : 'failed' });
  const job = facts.jobType;
  if (job !== undefined) {
    if (isRestartJob(job)) return { state: 'restarting' };
    if (job === 'stop') {
      if (active === 'inactive') return { state: 'stopped' };
      if (active === 'failed') return failed();
      return { state: 'stopping' };
    }
  }
  if (inCrashLoop(facts)) return { state: 'crash-loop' };
  if (facts.subState !== undefined && AUTO_RESTART.has(facts.subState)) return { state: 'starting' };
  if (job !== undefined) {
    if (job === 'start' && active !== 'active' && active !== 'reloading' && active !== 'refreshing') return { state: 'starting' };
  }
  switch (active) {
    case 'active':
    case 'reloading':
    case 'refreshing':
      return { state: 'running' };
    case 'activating':
      return { state: 'starting' };
    case 'deactivating':
      return { state: 'stopping' };
    case 'failed':
      return failed();
    case 'maintenance':
      return { state: 'running' };
    default:
      return facts.loadState === 'masked' ? { state: 'stopped', reason: 'masked' } : { state: 'stopped' };
  }
}

/**
 * systemd's sub-states of a service that `Restart=` is about to start again: `dead-before-auto-restart` and
 * `failed-before-auto-restart` (ActiveState inactive/failed for a moment, systemd 254 and later), `auto-restart`
 * (RestartSec= running), `auto-restart-queued` (its start job queued). Seen on the test host in this order.
 */
export const AUTO_RESTART: ReadonlySet<string> = new Set(['dead-before-auto-restart', 'failed-before-auto-restart', 'auto-restart', 'auto-restart-queued']);

/**
 * Whether systemd is restarting, by itself, a main process that exited again after an earlier restart of its own in
 * the same loop (`restartCycles` ≥ 2, counted by the tracker): the service is in an auto-restart sub-state, or on its
 * way down or up again (deactivating, activating) with no job but its own start. One exit and one restart (a kill -9,
 * an OOM kill) is systemd bringing the service back, not a loop. A start or restart the user asks for clears the count
 * (the controller tells the tracker); a stop or restart job decides before this (`deriveState`).
 */
export function inCrashLoop(facts: UnitFacts): boolean {
  if ((facts.restartCycles ?? 0) < 2) return false;
  if (facts.subState !== undefined && AUTO_RESTART.has(facts.subState)) return true;
  if (facts.jobType !== undefined && facts.jobType !== 'start') return false;
  return facts.activeState === 'activating' || facts.activeState === 'deactivating';
}

/**
 * The deadline (ms since the epoch) by which systemd's own timeout ends the
 * transition, or undefined when the state is settled or the timeout is
 * infinite/zero. The stop timeout applies while deactivating (and to a stop
 * not yet begun), the start timeout while activating; the clock starts at
 * StateChangeTimestamp when systemd is already in that ActiveState, else at
 * `sinceMs` (the job is queued but has not begun); undefined too when that
 * start is not known (`sinceMs` undefined: src/controller/since.ts).
 */
export function deadlineFor(state: AppState, facts: UnitFacts | undefined, sinceMs: number | undefined): number | undefined {
  if (!facts || (state !== 'starting' && state !== 'stopping' && state !== 'restarting')) return undefined;
  const active = facts.activeState;
  let phase: 'start' | 'stop';
  if (active === 'deactivating') phase = 'stop';
  else if (active === 'activating') phase = 'start';
  else phase = state === 'starting' ? 'start' : 'stop';
  const timeout = phase === 'start' ? facts.timeoutStartUsec : facts.timeoutStopUsec;
  if (timeout === undefined || timeout <= 0 || !Number.isFinite(timeout)) return undefined;
  const inPhase = active === (phase === 'start' ? 'activating' : 'deactivating');
  const base = inPhase && facts.stateChangeUsec ? facts.stateChangeUsec / 1000 : sinceMs;
  return base === undefined ? undefined : Math.round(base + timeout / 1000);
}
