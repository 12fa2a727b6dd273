/**
 * What the reconciler needs from the world, as ports passed in (no singletons).
 * `SystemdPort` of `src/systemd` satisfies `UnitManager` as is; the
 * controller satisfies `PhaseSink`.
 */
import type { AppRef, ReconcilePhase, RetryStatus } from '../controller/types.js';

/** One row of systemd's unit list, as far as the reconciler reads it. */
export interface UnitRow {
  name: string;
  loadState: string;
  activeState: string;
  subState: string;
  job: { id: number; path: string } | null;
}

/** The part of the systemd manager the reconciler uses. */
export interface UnitManager {
  listUnitsByNames(names: string[]): Promise<{ value: UnitRow[] }>;
  /**
   * The loaded units matching a glob (`ex@*.service`): the instances of a template that run, whatever the unit files
   * on disk say (a template removed while its instances ran leaves them `not-found` `active`). Optional for fakes.
   */
  listUnitsByPatterns?(states: string[], patterns: string[]): Promise<{ value: UnitRow[] }>;
  getUnitProperties(unit: string): Promise<{
    value: { result?: string; activeState?: string; subState?: string; invocationId?: string; nRestarts?: number; execMainCode?: number; execMainStatus?: number; requires?: string[] };
  }>;
  startUnit(unit: string, mode?: 'replace'): Promise<unknown>;
  stopUnit(unit: string, mode?: 'replace'): Promise<unknown>;
  restartUnit(unit: string, mode?: 'replace'): Promise<unknown>;
  /**
   * `systemctl reset-failed`: clears a failed state and the start rate limit (`StartLimitBurst=`). The
   * reconciler calls it before each of its own starts and restarts, which are not a crash loop.
   */
  resetFailedUnit(unit: string): Promise<void>;
  /** daemon-reload; resolves when systemd has finished reloading. */
  reload(): Promise<void>;
}

/** Where phases and back-offs go (the controller's event stream); a no-op for a one-shot CLI pass. */
export interface PhaseSink {
  /** Shows (or clears, undefined) an app's phase; a clear may resolve later, once the app's own state is shown. */
  setPhase(id: string, phase: ReconcilePhase | undefined): void | Promise<void>;
  /** Shows (or clears, undefined) an app's back-off after a failed revision. */
  setRetry?(id: string, retry: RetryStatus | undefined): void;
  /** Shows (or clears, undefined) an app's onion address, as the pass read it from tor's `hostname` file. */
  setOnion?(id: string, address: string | undefined): void;
}

/** The controller as a pass sees it: phases, and (in a long-running process) the catalog it tracks. */
export interface ControllerSink extends PhaseSink {
  setApps?(apps: AppRef[]): Promise<void>;
}

/** Log lines of a pass (stderr in the CLI). */
export type Log = (line: string) => void;
