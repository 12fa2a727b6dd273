/**
 * The ports the API is built from. `createApi(deps)` takes every one of them as
 * a parameter; the API holds no module-level state.
 */
import type { AppStatus, Controller, StateEvent } from '../controller/types.js';
import type { LinkStatus } from '../systemd/types.js';
import type { JournalEntry } from './journal-entry.js';

/** What the API asks of the controller: reads, the lifecycle calls and the event stream. */
export type ApiController = Pick<Controller, 'list' | 'get' | 'start' | 'stop' | 'restart' | 'subscribe'>;

/**
 * The server's link to systemd as clients should see it (`serve` waits for systemd with back-off). While it is not
 * `connected`, app states are not known: the API refuses lifecycle calls and says so on every channel.
 */
export interface SystemdLinkSource {
  current(): LinkStatus;
  /** Calls `listener` on every change; returns the function that removes it. */
  subscribe(listener: (link: LinkStatus) => void): () => void;
}

/**
 * The reconciler's single-app operations, as the API exposes them. Each call
 * returns as soon as the operation has begun, with the transitional status it
 * implies (`installing`, `removing`), already the controller's own (an event at
 * or below the answer's seq; src/cli/intent-installer.ts); it never waits for
 * the operation to end.
 */
export interface Installer {
  /** Renders and writes the app's units, reloads systemd and starts it. Throws NotFoundError for an app not in the catalog. */
  install(id: string): Promise<AppStatus>;
  /** Stops the app and removes its units. Throws NotFoundError for an unknown app. */
  remove(id: string): Promise<AppStatus>;
}

/** Recent journal lines of a unit, oldest first (e.g. `journalctl -u UNIT -n N`). */
export type Journal = (unit: string, lines: number) => Promise<string[]>;

/** What a journal follower starts from: the last `lines` entries of `units`, or every entry after `afterCursor`. */
export interface FollowRequest {
  units: readonly string[];
  lines: number;
  afterCursor?: string;
}

/** A running follower: `pause`/`resume` its reading (back-pressure), `stop` it (its process ends). */
export interface FollowHandle {
  /** The follower's process, while it runs (tests count them). */
  pid?: number;
  pause(): void;
  resume(): void;
  stop(): void;
}

/**
 * Follows units' journals live (`journalctl -o json --follow`, src/api/journalctl.ts): `entry` for each entry in
 * journal order, `end` once when it ends by itself (with what went wrong, if anything); never after `stop()`.
 */
export type JournalFollower = (req: FollowRequest, handlers: { entry(e: JournalEntry): void; end(error?: string): void }) => FollowHandle;

/**
 * The rendered unit text of an app (its `<id>.container` file; for an app of several containers, given the
 * containers' services, its `<id>.network` and each container's file, each under a `# <file>` line), or undefined
 * when it is not installed.
 */
export type UnitText = (id: string, containerUnits?: readonly string[]) => Promise<string | undefined>;

/**
 * An app's icon file (the manifest's `icon:`, a path in the manifests directory): its bytes and content type, or
 * undefined when there is none to serve (missing, too big, outside the directory).
 */
export type IconReader = (path: string) => Promise<{ type: string; body: Uint8Array } | undefined>;

/** How the in-process reconciler stands (`GET /api/reconciler`, the `reconciler` event). */
export interface ReconcilerStatus {
  /** A pass (or a look at an unchanged invalid revision) is running now. */
  passRunning: boolean;
  /** Passes ended since `serve` started. */
  passes: number;
  /** Whether `POST /api/reconciler/reconcile` can start a pass (the loop runs: systemd was reached). */
  canReconcileNow: boolean;
  /**
   * The last pass: when it ended, whether it went through (no failed step, no rejected commit), what it did
   * (`describe()` of each step), the steps that failed, the apps it held (a back-off: `retryAt`, the next attempt),
   * the next time it looks again by itself (`nextPassAt`), or the error that ended it (invalid manifests, a fetch).
   */
  lastPass?: {
    at: string;
    ok: boolean;
    done: string[];
    failures: Array<{ app?: string; step: string; error: string }>;
    held: Array<{ app: string; reason: string; retryAt?: string }>;
    /**
     * Volumes and networks podman keeps with other options than their units ask (`Drift`, src/reconcile/drift.ts:
     * kind, name, unit, apps, differences, hint); the pass changes none of them.
     */
    drift?: Array<{ kind: 'volume' | 'network'; name: string; unit: string; apps: string[]; differences: string[]; hint: string }>;
    nextPassAt?: string;
    error?: string;
  };
  /**
   * With `--git`: the source as the passes record it (`SourceState`, src/store/state/source-state.ts: `commit` and
   * `appliedAt` of the applied commit, `rejected: {commit, error, at, kind?}`, `fetchError`, ring, node), as it is.
   */
  source?: object;
}

/** The in-process reconciler, for the API (`serve --watch`). */
export interface ReconcilerPort {
  /** The status with the git source read now. */
  status(): Promise<ReconcilerStatus>;
  /** The status without the source (for events). */
  current(): ReconcilerStatus;
  subscribe(listener: (status: ReconcilerStatus) => void): () => void;
  /** Asks the loop for a pass now; false while the loop is not running yet. */
  reconcileNow(): boolean;
  /** What a pass would do now (a dry run: `diff --node`): the planned steps and the apps it would hold. */
  pending(): Promise<{ steps: string[]; held: Array<{ app: string; reason: string; retryAt?: string }> }>;
}

/** Where the API reports what it does. Never given the token. */
export interface ApiLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Everything `createApi` needs. */
export interface ApiDeps {
  controller: ApiController;
  /** The link to systemd; without it the API takes systemd as reachable and reports no link. */
  link?: SystemdLinkSource;
  /** Install/remove; without it those routes answer 501. */
  installer?: Installer;
  /** The bearer token every API route requires. */
  token: string;
  log: ApiLog;
  /** The rendered unit text for the detail view. */
  units?: UnitText;
  /** Recent journal lines for `GET /api/apps/:id/logs`. */
  journal?: Journal;
  /** The live journal for `GET /api/apps/:id/journal`; without it that route answers 501. */
  follow?: JournalFollower;
  /** How many live journal streams may be open at once (default 32); one more is refused with 503 `too-many-followers`. */
  maxFollowers?: number;
  /**
   * The git source's state for `GET /api/source` (`serve --watch --git`; docs/fleet.md): a `SourceState`
   * (src/store/state/source-state.ts, not imported here: the web UI's types read this file). Without it: `null`.
   */
  source?: () => Promise<object>;
  /** The apps' icons for `GET /api/apps/:id/icon`. */
  icons?: IconReader;
  /** The in-process reconciler for `/api/reconciler` (`serve --watch`); without it those routes answer 501. */
  reconciler?: ReconcilerPort;
  /** SSE heartbeat interval in ms (default 15 000). */
  heartbeatMs?: number;
  /** How many state events the API keeps for `Last-Event-ID` resume (default 1 000). */
  ringSize?: number;
  /** How many state changes per app the detail view shows (default 50). */
  historySize?: number;
  /** Largest accepted request body in bytes (default 16 KiB). */
  bodyLimit?: number;
}

/** One past state of an app, as the detail view lists it. */
export interface HistoryEntry {
  seq: number;
  state: AppStatus['state'];
  /** As in AppStatus: absent when nothing knows when the state began. */
  since?: string;
  reason?: string;
}

/** `GET /api/apps` answer: the statuses and the seq they are current as of. */
export interface AppList {
  /** Identifies this server process; a client seeing a new epoch drops its optimistic states (seq restarted). */
  epoch: string;
  seq: number;
  apps: AppStatus[];
  /** The link to systemd (when the server knows it): while not `connected`, `apps` are not current (empty before systemd was first reached). */
  systemd?: LinkStatus;
}

/** `GET /api/health` answer: 200 while systemd is reachable, 503 (with `error` and `message`) while it is not. */
export interface Health {
  ok: boolean;
  systemd?: LinkStatus;
  /** `systemd-unavailable` when not ok. */
  error?: string;
  /** What is wrong, e.g. `systemd unreachable at unix:path=… (…), next attempt at …`. */
  message?: string;
}

/** `GET /api/apps/:id` answer. */
export interface AppDetail extends AppStatus {
  epoch: string;
  seq: number;
  /** The rendered unit file, when the app is installed and the server can read it. */
  unitText?: string;
  /**
   * Why it failed (or crash-loops, or failed before the user stopped it), in the failing program's words: the last
   * error line of its journal, e.g. podman's `Error: initializing source docker://…: pinging container registry …`.
   */
  cause?: string;
  history: HistoryEntry[];
  /** The link to systemd (when the server knows it): while not `connected`, the status is the last one seen, not current. */
  systemd?: LinkStatus;
}

/** `POST /api/apps/:id/<action>` answer (202). */
export interface ActionAccepted {
  epoch: string;
  /** The last state-event seq the server had seen when the call returned: only a later event may replace `status`. */
  seq: number;
  action: 'start' | 'stop' | 'restart' | 'install' | 'remove';
  /** A template app's instance the action acted on (`POST /api/apps/:id/instances/:instance/:action`). */
  instance?: string;
  /** The systemd job path, for start/stop/restart. */
  job?: string;
  status: AppStatus;
}

export type { JournalEntry, LinkStatus, StateEvent };
