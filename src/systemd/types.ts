/**
 * The typed surface of the systemd port: what the controller reads from and
 * sends to systemd's manager over D-Bus. Every message the port receives is
 * stamped with `seq`, a number that grows in the order messages arrived on the
 * connection (across reconnects too). D-Bus delivers one connection's messages
 * in the order systemd sent them, so a reply stamped N describes systemd's
 * state after every signal stamped < N and before every signal stamped > N.
 */

/** A job systemd has queued for a unit. `type` is systemd's JobType when known (`start`, `stop`, `restart`, …). */
export interface JobRef {
  id: number;
  path: string;
  type?: string;
}

/** The unit properties the controller follows; every field optional because a signal carries only what changed. */
export interface UnitProps {
  /** `loaded`, `not-found`, `bad-setting`, `error`, `masked`. */
  loadState?: string;
  /** `active`, `reloading`, `inactive`, `failed`, `activating`, `deactivating`, `maintenance`, `refreshing`. */
  activeState?: string;
  subState?: string;
  /** The service's Result (`success`, `exit-code`, `signal`, `timeout`, …). */
  result?: string;
  /** The unit's InvocationID as 32 hex digits ('' when never started). */
  invocationId?: string;
  /** The service's NRestarts: restarts systemd made by itself (`Restart=`) since the unit was last started by a job. */
  nRestarts?: number;
  /**
   * The main process's last exit, as waitid(2) tells it: ExecMainCode (`1` CLD_EXITED, `2` CLD_KILLED, `3` CLD_DUMPED;
   * 0 while it runs or never ran) and ExecMainStatus (the exit status, or the signal number).
   */
  execMainCode?: number;
  execMainStatus?: number;
  /** StateChangeTimestamp: CLOCK_REALTIME microseconds of the last ActiveState change (0 = never). */
  stateChangeUsec?: number;
  /** TimeoutStartUSec / TimeoutStopUSec in microseconds; `Infinity` for systemd's infinity. */
  timeoutStartUsec?: number;
  timeoutStopUsec?: number;
  /** The job in flight (`null` when systemd reports none). */
  job?: JobRef | null;
  /** The units it requires (`Requires=` and `BindsTo=`, as a `GetAll` reads them; never in a PropertiesChanged). */
  requires?: string[];
}

/** One row of `ListUnitsByNames`. */
export interface UnitListEntry {
  name: string;
  loadState: string;
  activeState: string;
  subState: string;
  path: string;
  job: JobRef | null;
}

/** A value read from systemd together with the arrival stamp of its reply. */
export interface Stamped<T> {
  seq: number;
  value: T;
}

/** What the port reports; all but `connected`/`disconnected`/`link` are systemd's own signals. */
export type SystemdEvent =
  | { type: 'properties'; seq: number; unit: string; path: string; props: UnitProps; invalidated: string[] }
  | { type: 'job-new'; seq: number; unit: string; job: JobRef }
  | { type: 'job-removed'; seq: number; unit: string; job: JobRef; result: string }
  | { type: 'reloading'; seq: number; active: boolean }
  | { type: 'unit-new'; seq: number; unit: string; path: string }
  | { type: 'unit-removed'; seq: number; unit: string; path: string }
  /** Matches added and `Subscribe()` done (first connect, reconnect, or systemd came back on the bus): resync now. */
  | { type: 'connected'; seq: number }
  | { type: 'disconnected'; seq: number; reason: string }
  /** The link changed (see {@link LinkStatus}): connecting, connected, or unreachable with the next attempt's time. */
  | { type: 'link'; seq: number; link: LinkStatus };

/**
 * How the port's connection to systemd stands, for people and health checks (`GET /api/health`, the web UI's
 * banner). Times are ISO-8601.
 */
export interface LinkStatus {
  /**
   * `connecting`: the first attempt is under way (or, as `serve` shows it, systemd was reached and the states are
   * being read); `connected`: matches added and subscribed; `unreachable`: the last attempt failed or the
   * connection was lost, and `nextAttemptAt` says when the port tries again (absent: it does not retry).
   */
  state: 'connecting' | 'connected' | 'unreachable';
  /** The D-Bus address, e.g. `unix:path=/run/dbus/system_bus_socket`. */
  address: string;
  /** Which systemd manager the address reaches, when the caller knows: `system`, or `user` (rootless apps of one user). */
  manager?: 'system' | 'user';
  /** When the link entered `state` (for `unreachable`: when it was lost or the first attempt failed). */
  since: string;
  /** Why it is unreachable: the last error, e.g. `cannot connect to D-Bus at unix:path=…: connect ENOENT …`. */
  reason?: string;
  /** Failed attempts since the link was last up (0 right after it was lost). */
  attempts?: number;
  /** When the next attempt starts. */
  nextAttemptAt?: string;
}

/** Job modes of `StartUnit` & co.; the controller always uses `replace`. */
export type JobMode = 'replace' | 'fail' | 'isolate' | 'ignore-dependencies' | 'ignore-requirements';

/**
 * The systemd manager, reached over one D-Bus connection that the port keeps
 * alive (reconnecting with backoff). Calls throw `SystemdError` with the D-Bus
 * error name when systemd refuses or the bus is down.
 */
export interface SystemdPort {
  /** Listens to every event; returns the function that removes the listener. */
  onEvent(listener: (event: SystemdEvent) => void): () => void;
  /**
   * Resolves once connected and subscribed (the first time). Rejects with SystemdError when the first connect
   * fails, or, for a port made with `waitForSystemd`, only when it is closed before systemd was reached.
   */
  ready(): Promise<void>;
  /** `ListUnitsByNames`: one row per name, `loadState: 'not-found'` for a unit that does not exist. */
  listUnitsByNames(names: string[]): Promise<Stamped<UnitListEntry[]>>;
  /**
   * `ListUnitsByPatterns`: the units systemd has loaded whose name matches a glob of `patterns` (`ex@*.service`), in
   * one of `states` (any when empty); a unit whose file is gone but which still runs is listed (`not-found`, `active`).
   */
  listUnitsByPatterns(states: string[], patterns: string[]): Promise<Stamped<UnitListEntry[]>>;
  /**
   * The followed properties of one unit: one `GetAll` of every interface (Unit + Service). A port made with
   * `signals: false` reads only the Unit interface of a settled unit (active/running or inactive/dead, loaded, no
   * job), whose state the Service interface's properties do not decide (result, restarts, exit, timeouts are absent).
   */
  getUnitProperties(unit: string): Promise<Stamped<UnitProps>>;
  /** The JobType of a job, or undefined when the job no longer exists. */
  getJobType(jobPath: string): Promise<Stamped<string | undefined>>;
  startUnit(unit: string, mode?: JobMode): Promise<Stamped<string>>;
  stopUnit(unit: string, mode?: JobMode): Promise<Stamped<string>>;
  restartUnit(unit: string, mode?: JobMode): Promise<Stamped<string>>;
  /**
   * `ResetFailedUnit()`: clears a failed state and resets the unit's start rate-limit and restart counters.
   * Throws SystemdError (e.g. `NoSuchUnit`).
   */
  resetFailedUnit(unit: string): Promise<void>;
  /** `Reload()` (daemon-reload); resolves when systemd has finished reloading. */
  reload(): Promise<void>;
  /** Whether the connection is up and subscribed. */
  connected(): boolean;
  /** The link as it stands now (every change is also a `link` event). */
  link(): LinkStatus;
  /** Unsubscribes and disconnects; no reconnect after this. */
  close(): Promise<void>;
}
