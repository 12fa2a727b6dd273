/**
 * The lifecycle vocabulary every client sees (CLI, API, web UI). systemd is the
 * single source of truth: these states are derived from a unit's ActiveState
 * plus its pending job; the reconciler adds installing/updating/removing.
 */

export const APP_STATES = [
  'running',
  'stopped',
  'starting',
  'stopping',
  'restarting',
  /** systemd's `Restart=` keeps starting a main process that keeps exiting (see `CrashLoop`); not transitional: no job of the user's is in flight. */
  'crash-loop',
  'failed',
  'not-installed',
  'installing',
  'updating',
  'removing',
] as const;
export type AppState = (typeof APP_STATES)[number];

/** States in which a job is in flight: nothing may overwrite them with a settled state from a stale read. */
export const TRANSITIONAL_STATES: readonly AppState[] = [
  'starting',
  'stopping',
  'restarting',
  'installing',
  'updating',
  'removing',
];

export function isTransitional(state: AppState): boolean {
  return TRANSITIONAL_STATES.includes(state);
}

/** What the user last asked for an app, persisted in the state directory. */
export type Intent = 'running' | 'stopped';

/** The reconciler's phase for an app; shown instead of systemd's own transitional state until cleared. */
export type ReconcilePhase = 'installing' | 'updating' | 'removing';

/** An app the controller tracks: every manifest in the catalog, installed or not. */
export interface AppRef {
  id: string;
  /** Display name. */
  name: string;
  /**
   * The app's unit, `appService(id)` = `<id>.service`: the one every lifecycle call acts on. For a one-container app
   * it is the container; for an app of several containers it is the app's network (`<id>.network` with
   * `ServiceName=<id>`), which every container is `PartOf=` and `WantedBy=` (docs/manifest.md, "Apps of several
   * containers"): a stop of it stops them in reverse dependency order, a start starts them in order.
   */
  unit: string;
  /** For an app of several containers: each container's short name and service (`db` → `mempool-db.service`), in manifest order. Absent for a one-container app. */
  containers?: ContainerRef[];
  /** What the manifest tells a person about the app (description, icon, version, web UI); shown with its status. */
  meta?: AppMeta;
  /** A one-container app whose manifest has `health:` (its unit `HealthCmd=`): its status carries `health`. */
  health?: true;
  /** The apps it waits for (their ids: `dependsOn: [{ app }]` and environment values from them). */
  dependsOn?: string[];
  /**
   * What the node wants of it: the last pass's effective state (manifest, install intent and the user's start/stop,
   * docs/reconcile.md), or before any pass the manifest's `state`. Undefined for units found without a manifest.
   */
  desired?: DesiredState;
}

/** What the node wants of an app: running, installed and stopped, or not installed. */
export type DesiredState = 'running' | 'stopped' | 'absent';

/** A dependency that keeps an app from running: its id, display name and state. */
export interface WaitingFor {
  id: string;
  name: string;
  state: AppState;
}

/** One container of an app of several containers. */
export interface ContainerRef {
  /** The container's short name in the manifest (`containers.<name>`); its DNS alias on the app's network. */
  name: string;
  /** Its service, `<app id>-<name>.service`. */
  unit: string;
  /** Its manifest entry has `health:` (its unit `HealthCmd=`): its status carries `health`. */
  health?: true;
}

/**
 * podman's health of a running container with a health check (`podman inspect`'s `State.Health.Status`, the
 * `health_status` event): `starting` until a check passes (or fails its retries), then `healthy` or `unhealthy`.
 */
export const HEALTH_STATES = ['starting', 'healthy', 'unhealthy'] as const;
export type Health = (typeof HEALTH_STATES)[number];

/** One container's own state, in an app of several containers (the API's detail view and the UI show them). */
export interface ContainerStatus {
  name: string;
  unit: string;
  /** The state `deriveState` (src/controller/state.ts) gives this container's unit alone. */
  state: AppState;
  reason?: string;
  activeState?: string;
  subState?: string;
  job?: { id: number; type: string; path: string };
  /** podman's health of its running container, when it has a health check (absent while it does not run). */
  health?: Health;
  /**
   * `stopped`: a template app's instance the user stopped on its own (`stop indexer@2`, issue 17); it stays stopped
   * across passes and reboots until it or the app is started, and the app's `state` leaves it out.
   */
  intent?: 'stopped';
}

/** One app's live status. */
export interface AppStatus {
  /** The app id (a DNS label; names the unit `<id>.container` → `<id>.service`). */
  id: string;
  /** Display name. */
  name: string;
  /** The systemd service, e.g. `lnd.service`. */
  unit: string;
  state: AppState;
  /**
   * ISO-8601 time the app entered `state`: systemd's StateChangeTimestamp, the moment this controller saw the change,
   * or for an app the user stopped through this product the intent record's `at`. Absent when nothing knows it:
   * systemd unloads an inactive unit nothing references and a unit loaded afresh has no timestamp (`systemctl status`
   * shows no time then either), e.g. an app stopped outside this product or never started since boot, seen by a
   * one-shot `status` or by `serve` after a restart (src/controller/since.ts; docs/controller.md).
   */
  since?: string;
  /** While transitional: ISO-8601 time by which systemd's own timeout (TimeoutStartUSec/TimeoutStopUSec) ends the job. */
  deadline?: string;
  /** For `failed`: systemd's Result (e.g. `exit-code`, `timeout`, `signal`), or the reconciler's reason. */
  reason?: string;
  /** Raw systemd view, for detail pages and debugging. */
  activeState?: string;
  subState?: string;
  /** The job in flight, if any: its systemd type (`start`, `stop`, `restart`, …) and object path. */
  job?: { id: number; type: string; path: string };
  /** The user's persisted intent, if any. */
  intent?: Intent;
  /** Set while the reconciler backs off from a revision that failed its health gate (see {@link RetryStatus}). */
  retry?: RetryStatus;
  /** For an app of several containers: each container's own state, in manifest order. */
  containers?: ContainerStatus[];
  /**
   * The app's onion address (`<56 base32 characters>.onion`), once the node's Tor app has written it: the app
   * publishes a port over Tor (`ports[].onion`). Read from tor's `hostname` file, not from systemd.
   */
  onion?: string;
  /**
   * podman's health of the app's running container, when its manifest has `health:`; for an app of several
   * containers the worst of its health-checked containers' (`unhealthy`, then `starting`, then `healthy`). Never
   * part of `state`: a health change does not change the state, and a state change does not wait for it.
   */
  health?: Health;
  /**
   * While `crash-loop` (systemd's second restart of a unit in one loop on), and kept after it (a stop of a
   * crash-looping app reads `stopped`, a loop systemd gave up on
   * `failed`) until the app is started again: the last exit and how often systemd restarted it.
   */
  crashLoop?: CrashLoop;
  /** What the node wants of the app, when known (see `AppRef.desired`; a start or stop of this process counts at once). */
  desired?: DesiredState;
  /**
   * The dependency it is waiting for, when it should run and does not because an app it depends on is not running:
   * `{"id": "bitcoin", "name": "Bitcoin Core", "state": "failed"}` reads "Waiting for Bitcoin Core (failed)".
   */
  waitingFor?: WaitingFor;
  /** A note to show beside a settled state, e.g. `last failure: exited 1 (restarted 4×)` after a crash loop was stopped. */
  note?: string;
  /** The manifest's one-line description. */
  description?: string;
  /** The icon's path in the manifests directory; when set, `GET /api/apps/<id>/icon` serves it. */
  icon?: string;
  /** The version people know: the image tag of the app's first container (`28.1`). */
  version?: string;
  /** Where its web UI opens (the manifest's `web:`), with the onion URL once the app has an onion address. */
  web?: AppWeb;
}

/** Where an app's web UI can be opened: the host side of the published port its manifest's `web:` names (src/manifest/app-meta.ts). */
export interface WebLink {
  /** The host port the UI's container port is published on. */
  port: number;
  /** The path to open, `/` by default. */
  path: string;
  /** Published on a loopback address only (127.0.0.1, ::1): no other machine reaches it but over Tor. */
  loopbackOnly: boolean;
  /** The onion service's virtual port, when the port is published over Tor (`ports[].onion`). */
  onionPort?: number;
}

/** What the dashboard shows of an app besides its state, from its manifest (`appMeta` in src/manifest/app-meta.ts). */
export interface AppMeta {
  description?: string;
  /** The icon's path in the manifests directory, as the manifest gives it. */
  icon?: string;
  /** The image tag of the app's first container (the version people know: `28.1`, `v0.18.5-beta`). */
  version?: string;
  web?: WebLink;
}

/** A crash loop: systemd restarting (`Restart=`) a main process that exits, from its own properties. */
export interface CrashLoop {
  /** systemd's NRestarts: restarts it made by itself since the app was last started by a job. */
  restarts: number;
  /** ISO-8601 time of the loop's first automatic restart (systemd's StateChangeTimestamp then). */
  since: string;
  /** ISO-8601 time of its latest automatic restart. */
  lastAt: string;
  /** The main process's last exit: `exited` with its status, or `killed`/`dumped` with the signal; `result` is systemd's Result (`exit-code`, `signal`, …). */
  lastExit: { result: string; code?: 'exited' | 'killed' | 'dumped'; status?: number };
}

/** An app's web UI: the published port (`WebLink`) and, when it is published over Tor and the address is known, its URL there. */
export interface AppWeb extends WebLink {
  /** `http://<address>.onion[:<onion port>]<path>`. */
  onionUrl?: string;
}

/**
 * The reconciler's back-off for an app whose install or update failed its health gate
 * (docs/reconcile.md, "Back-off"): shown by `status`, the API, the event stream and the UI,
 * so a held app is never silent. Cleared when the revision comes up, changes, or the app is removed.
 */
export interface RetryStatus {
  /** Failed attempts of this revision so far (1 after the first failure). */
  attempt: number;
  /** Attempts the reconciler makes for this revision; absent when it retries without bound (an install: nothing good to take down). */
  maxAttempts?: number;
  /** ISO-8601 time of the next attempt; absent once the attempts are used up (then a new revision or a user's start retries). */
  nextAt?: string;
  /** Why the last attempt failed, e.g. `lnd.service failed (exit-code, exited 1)`. */
  lastFailure: string;
  /** True when the failed update was rolled back: the app runs its last-good files meanwhile. */
  rolledBack?: boolean;
}

/** A state change, as delivered on the event stream (API SSE, `status --watch`). */
export interface StateEvent {
  /** Monotonic per controller process; SSE uses it as the event id. */
  seq: number;
  status: AppStatus;
  /** Previous state, absent for the first observation. */
  previous?: AppState;
}

/** What a lifecycle call returns at once: the job systemd queued and the state it implies. */
export interface LifecycleResult {
  id: string;
  /** A template app's instance the call acted on (`2` for `indexer@2.service`); absent for the app's unit. */
  instance?: string;
  action: 'start' | 'stop' | 'restart';
  job: string;
  status: AppStatus;
}

/**
 * The controller port that the CLI, the API and the reconciler talk to.
 * Lifecycle calls return as soon as systemd has queued the job.
 */
export interface Controller {
  list(): AppStatus[];
  get(id: string): AppStatus | undefined;
  /**
   * Starts, stops or restarts app `id`'s unit; with `instance`, only that instance of a template app
   * (`<id>@<instance>.service`, issue 17). Throws NotFoundError for an unknown app or instance.
   */
  start(id: string, instance?: string): Promise<LifecycleResult>;
  stop(id: string, instance?: string): Promise<LifecycleResult>;
  restart(id: string, instance?: string): Promise<LifecycleResult>;
  /** Replaces the set of tracked apps (the catalog changed); apps without a unit are `not-installed`. */
  setApps(apps: AppRef[]): Promise<void>;
  /**
   * Sets or clears (undefined) the reconciler's phase for an app. A clear takes effect once the unit has been read
   * afresh (asynchronously): the state shown next is systemd's current one, never one from before the phase.
   */
  setPhase(id: string, phase: ReconcilePhase | undefined): Promise<void>;
  /** Sets or clears (undefined) the reconciler's back-off for an app (shown as `retry`). Throws NotFoundError for an unknown app. */
  setRetry(id: string, retry: RetryStatus | undefined): void;
  /** Sets or clears (undefined) an app's onion address (shown as `onion`). Throws NotFoundError for an unknown app. */
  setOnion(id: string, address: string | undefined): void;
  /**
   * Sets or clears (undefined: it does not run) podman's health of the container of unit `unit`; ignored for a unit
   * no tracked app has, or whose manifest has no `health:`.
   */
  setHealth(unit: string, health: Health | undefined): void;
  /** Subscribes to state changes; returns the unsubscribe function. */
  subscribe(listener: (event: StateEvent) => void): () => void;
  close(): Promise<void>;
}
