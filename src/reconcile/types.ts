/**
 * The reconciler's data: what a pass observed on the node, what the manifests
 * ask for, and the steps between the two. Plain data; `plan.ts` turns
 * `Observed` + `Desired` into `Step[]` without any IO.
 */
import type { Intent, ReconcilePhase } from '../controller/types.js';
import type { RenderedFile } from '../render/types.js';

/** A file in the unit directory as a pass found it. */
export interface UnitOnDisk {
  name: string;
  content: string;
  /** Carries our ownership header; files that do not are never touched. */
  owned: boolean;
}

/** What the state directory remembers about an app the reconciler installed. */
export interface AppRecord {
  /** Content hash the app's services were last started with (units without [Install], configs, secrets). */
  hash: string;
  /** Unit files that belonged to the app at that start. */
  units: string[];
  /** Config files we wrote for the app (absolute host paths). */
  configs: string[];
  /** The revision that last failed its health gate, and the back-off before it is tried again (`backoff.ts`). */
  failure?: RevisionFailure;
}

/**
 * A revision of an app that failed its health gate (docs/reconcile.md, "Back-off"), kept in the app's record.
 * Its fields past `hash` and `at` are the `RetryStatus` clients see.
 */
export interface RevisionFailure {
  /** The desired content hash that failed. */
  hash: string;
  /** Failed attempts of this revision (1 after the first). */
  attempt: number;
  /** Attempts allowed for it; absent when unbounded (nothing good runs that a retry could take down). */
  maxAttempts?: number;
  /** ISO-8601 time of the last failure. */
  at: string;
  /** ISO-8601 time from which a pass tries it again; absent once the attempts are used up. */
  nextAt?: string;
  /** The gate's reason, e.g. `lnd.service failed (exit-code, exited 1)`. */
  lastFailure: string;
  /** The update was rolled back and the last-good files came up again. */
  rolledBack?: boolean;
}

/** systemd's view of one service: its ActiveState (`active`, `inactive`, `failed`, `activating`, …), or absent. */
export type ServiceState = string;

/** Everything a pass read before planning. */
export interface Observed {
  /** Every file in the unit directory, by name. */
  units: Record<string, UnitOnDisk>;
  /** Content of each config path we care about (desired or recorded); undefined when the file is missing. */
  configs: Record<string, string | undefined>;
  /** The owner of each config file that exists and is wanted with an `owner` (DesiredConfig.owner). */
  configOwners?: Record<string, { uid: number; gid: number }>;
  /** Whether each desired data directory ({@link DesiredApp.dirs}) exists (as a directory). */
  dirs?: Record<string, boolean>;
  /** Per app id, what we remember (state dir). */
  records: Record<string, AppRecord>;
  /** ActiveState per service name (e.g. `lnd.service`); a service systemd does not know is absent. */
  services: Record<string, ServiceState>;
  /** When the pass observed, ms since the epoch: the back-off's clock (the planner reads no clock of its own). */
  now: number;
  /**
   * The podman secrets of generated secrets: the digest each was last created with (state dir), and which exist in
   * podman (read only when an app that needs one is about to start; undefined when not read).
   */
  podmanSecrets?: { recorded: Record<string, string>; present?: ReadonlySet<string> };
}

/** A derived config file an app mounts. */
export interface DesiredConfig {
  /** Absolute host path. */
  path: string;
  content: string;
  /** File mode: 0600 when the file carries a secret's value, else 0644 (the container's own user may need to read it). */
  mode: number;
  /**
   * Its owner on the host, when it is not the daemon's: rootful, the numeric `user` of the container that mounts it
   * ({@link HostOwner}), so that user can read a 0600 file. Rootless needs none (`UserNS=keep-id:uid=` maps the node's
   * user onto that user, docs/rootless.md).
   */
  owner?: HostOwner;
}

/** A host file's or directory's owner: a uid, and a gid when one is given (else the group is left as it is). */
export interface HostOwner {
  uid: number;
  gid?: number;
}

/** One app as the manifests (plus node-local intents) want it. */
export interface DesiredApp {
  id: string;
  /** Whether its services should run (state `running`, not user-stopped). */
  run: boolean;
  /** Its unit files (RenderedFile.app === id), main container first. */
  units: RenderedFile[];
  configs: DesiredConfig[];
  /**
   * The directories its containers' writable binds mount from under its data directory
   * (`/var/lib/archipelago/<id>/…`), sorted: a pass makes each one that is missing (0755), since podman does not and
   * a container whose bind source is missing does not start. A read-only bind's source (another container's output)
   * and a source elsewhere are the node's, never made. Never removed: they hold the app's data.
   */
  dirs?: string[];
  /**
   * The owner each of `dirs` is made with, where it is not the daemon's: rootful, the numeric `user` of the
   * containers that bind it (all the same one), so the container can write its data. Set only when the directory is
   * made; an existing directory is never re-owned.
   */
  dirOwners?: Record<string, HostOwner>;
  /** Hash over the units without [Install], the configs and the secrets they use. */
  hash: string;
  /** Time allowed for the start to reach active (ms): the longest `TimeoutStartSec` of its containers. */
  startTimeoutMs: number;
  /**
   * The node's generated secrets its containers take as environment values, each given to podman as the secret
   * `archy.<name>` (type env): the name and a digest of the value (`secretDigest`), sorted by name.
   */
  podmanSecrets?: Array<{ name: string; digest: string }>;
  /**
   * The user's start/stop intent as this pass read it, with its ISO-8601 time: a start or restart after a
   * failed revision resets its back-off, and a click after the pass read this one overtakes the pass's step.
   */
  userIntent?: { intent: Intent; at: string };
  /**
   * When set, the app is left exactly as it is on the node and this reason is reported
   * (the generator rejected its new units, or this revision already failed its health gate).
   */
  hold?: string;
}

/** What one pass should converge to. */
export interface Desired {
  /** Installed apps (effective state `running` or `stopped`); absent apps are not listed. */
  apps: DesiredApp[];
  /** Files no single app owns (e.g. the shared app network). */
  shared: RenderedFile[];
}

/** Which step kinds exist; the executors table is keyed by these. */
export type StepAction =
  | 'write-unit'
  | 'remove-unit'
  | 'write-config'
  | 'remove-config'
  | 'make-dir'
  | 'reload'
  | 'write-secret'
  | 'start'
  | 'stop'
  | 'restart'
  | 'adopt'
  | 'forget'
  | 'rollback';

interface StepBase {
  action: StepAction;
  /** The app the step belongs to, when it belongs to one. */
  app?: string;
  /** The phase the controller shows for the app while this pass works on it. */
  phase?: ReconcilePhase;
  /** Human text: the same string serves `apply --dry-run`, logs, API payloads and tests. */
  describe(): string;
}

export interface WriteUnitStep extends StepBase {
  action: 'write-unit';
  file: RenderedFile;
}
export interface RemoveUnitStep extends StepBase {
  action: 'remove-unit';
  name: string;
}
export interface WriteConfigStep extends StepBase {
  action: 'write-config';
  app: string;
  path: string;
  content: string;
  mode: number;
  owner?: HostOwner;
}
export interface RemoveConfigStep extends StepBase {
  action: 'remove-config';
  app: string;
  path: string;
}
export interface MakeDirStep extends StepBase {
  action: 'make-dir';
  app: string;
  /** Absolute host path. */
  path: string;
  /** Given to the directory when it is made (DesiredApp.dirOwners). */
  owner?: HostOwner;
}
export interface ReloadStep extends StepBase {
  action: 'reload';
}

/** What a started/restarted app must reach, and what to do when it does not. */
export interface Gate {
  timeoutMs: number;
  /** Restore the last-good files when the app does not become active (updates; a first install has none). */
  rollback: boolean;
  /** Which attempt at this revision the start is (1 unless it failed before): recorded if it fails again. */
  attempt: number;
  /**
   * How long the service must stay active in one invocation before the start counts as good (ms): 0 when a
   * health check gates the start (`Notify=healthy`: active means a check passed), else `STABLE_MS` of plan.ts.
   */
  stableMs: number;
  /**
   * An app of several containers: every container service to wait for, each with its own stable window (0 for
   * one gated on health or a one-shot). Absent: the step's own service with `stableMs`.
   */
  services?: Array<{ service: string; stableMs: number }>;
}

/**
 * Where a start/stop/restart follows from the app's effective desired state (which the user's
 * start/stop intent decides), the state it moves the app toward. The executor re-reads the
 * user's intent right before the step and skips it when the intent now says otherwise: the
 * pass read the intent earlier, and the user's latest click wins.
 */
export interface IntendedStep {
  intended?: Intent;
  /** The time of the user's intent the pass planned from ('' when there was none): a different one on disk is a newer click. */
  intentAt?: string;
}

export interface StartStep extends StepBase, IntendedStep {
  action: 'start';
  app: string;
  service: string;
  /** Present on the app's main service: the pass waits for it and then records `record`. */
  gate?: Gate;
  record?: AppRecord;
}
export interface RestartStep extends StepBase, IntendedStep {
  action: 'restart';
  app: string;
  service: string;
  gate?: Gate;
  record?: AppRecord;
}
export interface StopStep extends StepBase, IntendedStep {
  action: 'stop';
  service: string;
  /**
   * Wait here until the unit has stopped, before the next step: the service's name goes on as another unit of the
   * pass (an app's unit changing kind: its container's `ex.service` becomes its network's), and once the files are
   * written the name is the new unit's, whose state says nothing of the old one's stop.
   */
  settle?: boolean;
}
/** An app found installed and matching: remember it as last-good, touch nothing. */
export interface AdoptStep extends StepBase {
  action: 'adopt';
  app: string;
  record: AppRecord;
  /** Also keep the files as the app's last-good set (only for an app found running). */
  lastGood: boolean;
}
/** Drop what the state directory remembers about a removed app. */
export interface ForgetStep extends StepBase {
  action: 'forget';
  app: string;
}
/** Restore an app's last-good files, reload and restart it (run when an update fails its gate). */
export interface RollbackStep extends StepBase {
  action: 'rollback';
  app: string;
  service: string;
  reason: string;
  /** The desired hash that failed, remembered so the same revision is retried only after a back-off. */
  failedHash: string;
}

/** One thing a pass does. */
/** Creates (or replaces) the podman secret `name` from the node's generated secret, before the apps that take it start. */
export interface WriteSecretStep extends StepBase {
  action: 'write-secret';
  /** The generated secret's name; the podman secret is `archy.<name>`. */
  secret: string;
  /** The podman secret's name. */
  name: string;
  /** `secretDigest` of the value it gets (recorded once created). */
  digest: string;
}
export type Step =
  | WriteUnitStep
  | WriteSecretStep
  | RemoveUnitStep
  | WriteConfigStep
  | RemoveConfigStep
  | MakeDirStep
  | ReloadStep
  | StartStep
  | RestartStep
  | StopStep
  | AdoptStep
  | ForgetStep
  | RollbackStep;

/** An app the pass left alone on purpose, with the reason. */
export interface Held {
  app: string;
  reason: string;
  /**
   * Set when the hold is a back-off: ISO-8601 time from which a pass tries the app again (controller-runtime's
   * RequeueAfter). Absent for a hold that only a change ends (a foreign file, attempts used up).
   */
  retryAt?: string;
}
