/**
 * The live controller: follows systemd's signals for the tracked apps, keeps
 * one derived state per app, and sends lifecycle calls that return as soon as
 * systemd has queued the job.
 */
import { NotFoundError } from '../errors.js';
import { endedByUser, retryStatus } from '../reconcile/backoff.js';
import { readRecords } from '../store/state/records.js';
import { readIntents, writeIntent, type IntentRecord } from '../store/state/intents.js';
import { keepAcrossReboot } from '../store/node/unit-install.js';
import type { JobRef, SystemdEvent, SystemdPort, UnitProps } from '../systemd/types.js';
import { jobIdOfPath } from '../systemd/unit-path.js';
import { AppTracker, type Effects, type Source, type UnitTracker } from './tracker.js';
import { compareNames, instanceService } from '../naming.js';
import type { AppRef, Controller, Health, Intent, LifecycleResult, ReconcilePhase, RetryStatus, StateEvent, WaitingFor } from './types.js';

export interface ControllerDeps {
  systemd: SystemdPort;
  /** Where intents live (`<stateDir>/intents`). */
  stateDir: string;
  /** The apps to track. */
  apps: AppRef[];
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  log?: (message: string) => void;
  /** The safety-net re-list period (default 3 minutes; 0 turns it off). */
  relistIntervalMs?: number;
  /** How long a re-list's disagreement may wait for a late signal before it counts as a miss (default 1 s). */
  missGraceMs?: number;
  /**
   * The Quadlet unit directory: a stop takes `[Install]` out of the app's unit file there and a start or restart
   * puts it back (src/store/node/unit-install.ts; beside the call, a template app's before it), so a reboot after
   * the call's answer keeps the user's wish without a pass. Absent: only the intent is written, and the next pass renders the unit.
   */
  unitDir?: string;
  /** With `unitDir`: the units are the user manager's (`WantedBy=default.target`). */
  user?: boolean;
  /** Onion addresses known at start, by app id (the live view reads them from tor's files); a pass updates them with `setOnion`. */
  onions?: Readonly<Record<string, string>>;
}

/** What one re-list found. */
export interface RelistReport {
  units: number;
  /** Apps whose state the re-list showed to differ from what signals had said. */
  differing: string[];
}

/** The controller with its operational extras (tests, benchmarks, `status`). */
export interface LiveController extends Controller {
  /** Runs the safety-net re-list now (ListUnitsByNames for every tracked unit). */
  relist(): Promise<RelistReport>;
  /**
   * Resolves with systemd's JobRemoved result for a job (`done`, `canceled`,
   * `timeout`, `failed`, `dependency`, `skipped`), or `gone` when the job ended
   * unseen (e.g. while the bus was down).
   */
  waitForJob(jobPath: string): Promise<string>;
  /** Re-lists so far and states they found that signals had not delivered. */
  stats(): { relists: number; misses: number };
  /** The tracked apps, as last given (`deps.apps`, `setApps`), in id order. */
  apps(): AppRef[];
}

type Action = LifecycleResult['action'];

/**
 * The back-off recorded for each app (`<state-dir>/apps/<id>.json`), but for one the user started or stopped since
 * (`intents`: the back-off is over, `endedByUser`); an unreadable record shows none, logged.
 */
async function readRetries(stateDir: string, intents: ReadonlyMap<string, IntentRecord>, log: (m: string) => void): Promise<Map<string, RetryStatus>> {
  try {
    const out = new Map<string, RetryStatus>();
    for (const [id, rec] of Object.entries(await readRecords(stateDir))) {
      if (rec.failure && rec.failure.hash !== rec.hash && !endedByUser(rec.failure, intents.get(id))) out.set(id, retryStatus(rec.failure));
    }
    return out;
  } catch (err) {
    log(`reading the app records failed: ${(err as Error).message}`);
    return new Map();
  }
}

/**
 * Creates a controller over a connected (or connecting) systemd port: waits
 * until the port is subscribed, reads the persisted intents, and takes the
 * first snapshot, so `list()` is complete when this resolves. The port stays
 * the caller's: `close()` detaches from it but does not close it. Throws
 * SystemdError when systemd cannot be reached.
 */
export async function createController(deps: ControllerDeps): Promise<LiveController> {
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? (() => {});
  const { systemd, stateDir } = deps;
  const missGraceMs = deps.missGraceMs ?? 1000;
  const trackers = new Map<string, AppTracker>();
  // Every unit of every app (its own and, for several containers, each container's) → the app.
  const byUnit = new Map<string, AppTracker>();
  const listeners = new Set<(event: StateEvent) => void>();
  const queues = new Map<string, Promise<unknown>>();
  const jobWaiters = new Map<string, Array<(result: string) => void>>();
  const jobResults = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  let eventSeq = 0;
  // A phase cleared while a newer one was set meanwhile must not clear the newer one.
  let phaseMarks = 0;
  const lastPhaseMark = new Map<string, number>();
  let relists = 0;
  let misses = 0;
  let closed = false;

  /** The current states of an app's dependencies (those the controller tracks), in its `dependsOn` order. */
  const dependencyStates = (t: AppTracker): WaitingFor[] =>
    (t.ref.dependsOn ?? []).flatMap((id) => {
      const d = trackers.get(id);
      return d ? [{ id, name: d.ref.name, state: d.status().state }] : [];
    });
  // Apps being recomputed now: a change reaches each dependant once (manifests cannot form a cycle; this guards anyway).
  const recomputing = new Set<string>();

  const emitIfChanged = (t: AppTracker): void => {
    if (recomputing.has(t.ref.id)) return;
    recomputing.add(t.ref.id);
    try {
      emitOwn(t);
    } finally {
      recomputing.delete(t.ref.id);
    }
  };

  /** Recomputes `t` (with its dependencies' states) and emits its change, then its dependants'. */
  const emitOwn = (t: AppTracker): void => {
    t.setDependencies(dependencyStates(t));
    const change = t.recompute();
    if (!change) return;
    const event: StateEvent = { seq: ++eventSeq, status: change.status, ...(change.previous !== undefined ? { previous: change.previous } : {}) };
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        log(`state listener threw: ${(err as Error).message}`);
      }
    }
    if (change.previous !== change.status.state) for (const d of trackers.values()) if (d.ref.dependsOn?.includes(t.ref.id)) emitIfChanged(d);
  };

  const handleEffects = (t: AppTracker, u: UnitTracker, effects: Effects): void => {
    if (effects.needJobType) void resolveJobType(t, u, effects.needJobType);
    if (effects.verifyJob) void verifyJob(t, u, effects.verifyJob);
  };

  const resolveJobType = async (t: AppTracker, u: UnitTracker, job: JobRef): Promise<void> => {
    try {
      const { seq, value } = await systemd.getJobType(job.path);
      if (value === undefined) u.jobGone(seq, job.id);
      else u.setJobType(job.id, value);
      emitIfChanged(t);
    } catch (err) {
      log(`reading the type of ${job.path} for ${u.name} failed: ${(err as Error).message}`);
    }
  };

  // A snapshot without the job we track: only systemd saying the job is gone clears it.
  const verifyJob = async (t: AppTracker, u: UnitTracker, job: JobRef): Promise<void> => {
    try {
      const { seq, value } = await systemd.getJobType(job.path);
      if (value !== undefined) return;
      u.jobGone(seq, job.id);
      settleJob(job.path, 'gone');
      emitIfChanged(t);
    } catch (err) {
      log(`checking ${job.path} for ${u.name} failed: ${(err as Error).message}`);
    }
  };

  const settleJob = (path: string, result: string): void => {
    jobResults.set(path, result);
    if (jobResults.size > 256) jobResults.delete(jobResults.keys().next().value!);
    const waiters = jobWaiters.get(path);
    jobWaiters.delete(path);
    for (const w of waiters ?? []) w(result);
  };

  const apply = (t: AppTracker, u: UnitTracker, seq: number, props: UnitProps, source: Source): Effects => {
    const effects = u.applyProps(seq, props, source);
    handleEffects(t, u, effects);
    return effects;
  };

  const refreshUnit = async (t: AppTracker, u: UnitTracker): Promise<void> => {
    const { seq, value } = await systemd.getUnitProperties(u.name);
    apply(t, u, seq, value, 'snapshot');
  };

  /** Reads every unit of the app afresh; rejects with the first failure once all reads have ended. */
  const refreshApp = async (t: AppTracker): Promise<void> => {
    const results = await Promise.allSettled(t.units().map((u) => refreshUnit(t, u)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };

  /** The tracked units named `name` (a list row, a signal), with its app. */
  const unitOf = (name: string): { t: AppTracker; u: UnitTracker } | undefined => {
    const t = byUnit.get(name);
    const u = t?.unit(name);
    return t && u ? { t, u } : undefined;
  };

  let resyncing: Promise<void> | undefined;
  let resyncAgain = false;
  /** Set once the first snapshot (`resync('start')`) has begun; from then on every connect resyncs. */
  let snapshotStarted = false;
  /** Full snapshot of every tracked unit (first look, reconnect, after a daemon-reload). Coalesces overlapping requests. */
  const resync = async (why: string): Promise<void> => {
    if (resyncing) {
      resyncAgain = true;
      return resyncing;
    }
    resyncing = (async () => {
      do {
        resyncAgain = false;
        const all = [...trackers.values()];
        if (all.length === 0) break;
        const { seq, value } = await systemd.listUnitsByNames([...byUnit.keys()]);
        for (const row of value) {
          const found = unitOf(row.name);
          if (found) apply(found.t, found.u, seq, { loadState: row.loadState, activeState: row.activeState, subState: row.subState, job: row.job }, 'snapshot');
        }
        const loaded = value.filter((r) => r.loadState !== 'not-found').flatMap((r) => unitOf(r.name) ?? []);
        const results = await Promise.allSettled(loaded.map(({ t, u }) => refreshUnit(t, u)));
        results.forEach((r, i) => {
          if (r.status === 'rejected') log(`reading ${loaded[i]!.u.name} failed: ${(r.reason as Error).message}`);
        });
        for (const t of all) emitIfChanged(t);
      } while (resyncAgain && !closed);
    })().finally(() => {
      resyncing = undefined;
    });
    log(`resync (${why})`);
    return resyncing;
  };

  const relist = async (): Promise<RelistReport> => {
    relists++;
    if (byUnit.size === 0) return { units: 0, differing: [] };
    const { seq, value } = await systemd.listUnitsByNames([...byUnit.keys()]);
    const differing: string[] = [];
    for (const row of value) {
      const found = unitOf(row.name);
      if (!found) continue;
      const { t, u } = found;
      const effects = apply(t, u, seq, { loadState: row.loadState, activeState: row.activeState, subState: row.subState, job: row.job }, 'relist');
      emitIfChanged(t);
      if (!effects.differs) continue;
      if (!differing.includes(t.ref.id)) differing.push(t.ref.id);
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!u.confirmMisses(seq)) return;
        misses++;
        log(`re-list found state that no signal had delivered for ${u.name}: ${effects.differs!.join(', ')}`);
        refreshUnit(t, u).then(() => emitIfChanged(t), (err: unknown) => log(`refreshing ${u.name} failed: ${(err as Error).message}`));
      }, missGraceMs);
      timer.unref();
      timers.add(timer);
    }
    return { units: value.length, differing };
  };

  const onEvent = (event: SystemdEvent): void => {
    if (closed) return;
    switch (event.type) {
      case 'properties': {
        const found = unitOf(event.unit);
        if (!found) return;
        const { t, u } = found;
        apply(t, u, event.seq, event.props, 'signal');
        emitIfChanged(t);
        const followed = ['ActiveState', 'SubState', 'Result', 'Job', 'StateChangeTimestamp', 'LoadState'];
        if (event.invalidated.some((p) => followed.includes(p))) {
          refreshUnit(t, u).then(() => emitIfChanged(t), (err: unknown) => log(`refreshing ${u.name} failed: ${(err as Error).message}`));
        }
        return;
      }
      case 'job-new': {
        const found = unitOf(event.unit);
        if (!found) return;
        handleEffects(found.t, found.u, found.u.jobQueued(event.seq, event.job));
        emitIfChanged(found.t);
        return;
      }
      case 'job-removed': {
        settleJob(event.job.path, event.result);
        const found = unitOf(event.unit);
        if (!found) return;
        found.u.jobRemoved(event.seq, event.job.id);
        emitIfChanged(found.t);
        return;
      }
      case 'reloading':
        // systemd sends no PropertiesChanged while it reloads: look again afterwards.
        if (!event.active) void resync('daemon-reload finished').catch((err: unknown) => log(`resync failed: ${(err as Error).message}`));
        return;
      case 'connected':
        // Before the first snapshot has begun, that snapshot follows this connect: a resync of its own would only make
        // the first one run twice (the second, coalesced, reading every unit again: issue 15).
        if (!snapshotStarted) return;
        void resync('connected').catch((err: unknown) => log(`resync failed: ${(err as Error).message}`));
        return;
      case 'disconnected':
        log(`systemd connection lost (${event.reason}); states are as last seen until it is back`);
        return;
      default:
        return;
    }
  };

  const untrack = (t: AppTracker): void => {
    for (const u of t.units()) if (byUnit.get(u.name) === t) byUnit.delete(u.name);
  };
  const sameRef = (a: AppRef, b: AppRef): boolean => JSON.stringify([a.id, a.name, a.unit, a.containers ?? [], a.meta ?? {}, a.health, a.dependsOn ?? [], a.desired ?? '']) === JSON.stringify([b.id, b.name, b.unit, b.containers ?? [], b.meta ?? {}, b.health, b.dependsOn ?? [], b.desired ?? '']);
  const track = (apps: AppRef[]): void => {
    const keep = new Set(apps.map((a) => a.id));
    for (const [id, t] of trackers) {
      if (keep.has(id)) continue;
      trackers.delete(id);
      untrack(t);
    }
    for (const app of apps) {
      const existing = trackers.get(app.id);
      if (existing && sameRef(existing.ref, app)) continue;
      if (existing) untrack(existing);
      const t = new AppTracker(app, clock, existing);
      trackers.set(app.id, t);
      for (const u of t.units()) byUnit.set(u.name, t);
    }
  };

  const trackerOf = (id: string): AppTracker => {
    const t = trackers.get(id);
    if (!t) throw new NotFoundError('app', id, `known apps: ${[...trackers.keys()].sort().join(', ') || 'none'}`);
    return t;
  };

  // One app's ops run one after another, each behind the previous op's call (never its job).
  const serialize = <T>(id: string, op: () => Promise<T>): Promise<T> => {
    const prev = queues.get(id) ?? Promise.resolve();
    const next = prev.then(op, op);
    const settled = next.catch(() => {});
    queues.set(id, settled);
    void settled.then(() => {
      if (queues.get(id) === settled) queues.delete(id);
    });
    return next;
  };

  /** A template app's instances (`1` → `indexer@1.service`), in manifest order; empty for any other app. */
  const instancesOf = (t: AppTracker): Array<{ name: string; unit: string }> => (t.ref.containers ?? []).filter((c) => c.unit === instanceService(t.ref.id, c.name));

  /** The unit tracker of instance `instance` of app `t`. Throws NotFoundError naming the instances there are. */
  const instanceOf = (t: AppTracker, instance: string): { name: string; unit: UnitTracker } => {
    const all = instancesOf(t);
    const found = all.find((c) => c.name === instance);
    const unit = found && t.unit(found.unit);
    if (!found || !unit) {
      const there = all.length > 0 ? `instances of ${t.ref.id}: ${all.map((c) => c.name).join(', ')}` : `${t.ref.id} has no instances (its manifest has no instances:)`;
      throw new NotFoundError('instance', `${t.ref.id}@${instance}`, there);
    }
    return { name: found.name, unit };
  };

  /**
   * Makes the user's wish durable before systemd hears of the call (a crash in between leaves it on disk): the
   * intent record (one fdatasync, `writeIntent`). The app's unit file follows it (`[Install]` for the boot; a
   * template app's `Wants=`, the instances the app's unit starts), written once the record is durable; a failure
   * there must not block a call: it is logged and the next pass writes the file.
   *
   * A template app's unit file is written before this resolves, since its `Wants=` decide what the call starts.
   * Any other app's decides only the next boot (the generator reads `[Install]` then): it is written beside the
   * call, and the caller awaits `booted` before it answers (issue 15: the call no longer waits for a rename and its
   * directory's fsync; a reboot after the answer still follows the click). Resolves `booted`, which never rejects.
   */
  const recordWish = async (t: AppTracker, intent: Intent, stopped: readonly string[]): Promise<{ booted: Promise<void> }> => {
    const id = t.ref.id;
    const recorded = writeIntent(stateDir, id, intent, new Date(clock()), stopped);
    const instances = instancesOf(t);
    const wants = instances.length > 0 ? { wants: instances.filter((c) => !stopped.includes(c.name)).map((c) => c.unit) } : {};
    const booted =
      deps.unitDir === undefined
        ? Promise.resolve()
        : keepAcrossReboot({ unitDir: deps.unitDir, stateDir, user: deps.user }, id, intent, { after: recorded, ...wants }).then(
            () => undefined,
            // The record's own failure is thrown below; only the unit file's is this one's to report.
            (err: unknown) =>
              recorded.then(
                () => log(`${t.ref.unit}: the unit file could not be made to say ${intent} at boot (the next pass will): ${(err as Error).message}`),
                () => undefined,
              ),
          );
    const [record] = await Promise.allSettled([recorded, instances.length > 0 ? booted : undefined]);
    if (record.status === 'rejected') {
      await booted;
      throw record.reason;
    }
    t.setIntent(intent, record.value.at);
    t.setStopped(stopped);
    t.setClicked(intent);
    // The click ends a back-off at once (`endedByUser`): a start retries now, a stop drops the retry.
    t.setRetry(undefined);
    return { booted };
  };

  /**
   * systemd reads a template app's `Wants=` when it loads the app's unit: after the file changed, a daemon-reload
   * (queued behind this app's call, never delaying its answer) makes a later start of the app's unit start exactly
   * the instances the file wants.
   */
  const reloadFor = (id: string): void => {
    void serialize(id, () => systemd.reload()).catch((err: unknown) => log(`daemon-reload after ${id}'s instances changed failed: ${(err as Error).message}`));
  };

  /** Sends `action` for unit `u` of app `t` and tracks the job systemd queued; resolves with its object path. */
  const callUnit = async (t: AppTracker, u: UnitTracker, action: Action): Promise<string> => {
    const call = action === 'start' ? systemd.startUnit : action === 'stop' ? systemd.stopUnit : systemd.restartUnit;
    const active = u.facts()?.activeState;
    // systemd collapses a restart of a unit that is not up into a start job.
    const type = action === 'restart' && (active === 'inactive' || active === 'failed' || active === 'deactivating' || active === undefined) ? 'start' : action;
    u.expectJob(type);
    let reply: Awaited<ReturnType<typeof call>>;
    try {
      reply = await call(u.name, 'replace');
    } finally {
      u.expectJob(undefined);
    }
    const { seq, value: path } = reply;
    const jobId = jobIdOfPath(path);
    if (jobId !== undefined) handleEffects(t, u, u.jobQueued(seq, { id: jobId, path, type }));
    return path;
  };

  const lifecycle = async (id: string, action: Action): Promise<LifecycleResult> => {
    const t = trackerOf(id);
    return serialize(id, async () => {
      const intent = action === 'stop' ? 'stopped' : 'running';
      // A start, stop or restart of the app acts on every instance: the instances stopped on their own are wanted again.
      const wereStopped = t.stoppedInstances();
      const { booted } = await recordWish(t, intent, []);
      // The unit file is written beside the call; the answer waits for it (see recordWish).
      try {
        // The user's start or restart begins afresh: a crash loop before it is over (a stop keeps it, as the note).
        if (action !== 'stop') t.forgetCrash();
        const active = t.facts()?.activeState;
        if (action !== 'stop') {
          // A start the user asks for is not a crash loop: systemd's start rate limit (5 starts in 10 s by default,
          // restarts included) must not turn a few clicks into `failed (start-limit-hit)`. Reset it first, as
          // `systemctl reset-failed` would; a unit that does not exist fails in the start call below, with its name.
          // Every container too: a container that failed stays `failed` (and rate-limited) until reset.
          await Promise.all(t.units().map((u) => systemd.resetFailedUnit(u.name).catch(() => {})));
        }
        const call = action === 'start' ? systemd.startUnit : action === 'stop' ? systemd.stopUnit : systemd.restartUnit;
        // systemd collapses a restart of a unit that is not up into a start job.
        const type = action === 'restart' && (active === 'inactive' || active === 'failed' || active === 'deactivating' || active === undefined) ? 'start' : action;
        // systemd announces the job (JobNew, PropertiesChanged) before it answers the call: a restart's job seen then,
        // type unknown, with the unit deactivating, must not read as `stopping` on its way to `restarting`.
        t.expectJob(type);
        let reply: Awaited<ReturnType<typeof call>>;
        try {
          reply = await call(t.ref.unit, 'replace');
        } catch (err) {
          t.expectJob(undefined);
          throw err;
        }
        const { seq, value: path } = reply;
        const jobId = jobIdOfPath(path);
        if (jobId !== undefined) handleEffects(t, t.unit(t.ref.unit)!, t.jobQueued(seq, { id: jobId, path, type }));
        t.callAnswered(jobId);
        if (wereStopped.length > 0) {
          // The loaded app unit does not want them until the reload below: they are started on their own.
          for (const u of action === 'stop' ? [] : wereStopped.flatMap((name) => t.unit(instanceService(id, name)) ?? [])) {
            await callUnit(t, u, 'start').catch((err: unknown) => log(`starting ${u.name} failed: ${(err as Error).message}`));
          }
          reloadFor(id);
        }
        emitIfChanged(t);
        return { id, action, job: path, status: t.status() };
      } finally {
        await booted;
      }
    });
  };

  /**
   * A start, stop or restart of one instance of a template app (issue 17), kept as an app's is: the intent record
   * lists the instances stopped on their own, and the app's unit stops wanting them (so neither a pass's start of the
   * app nor the next boot starts one). A start of an instance of an app that is stopped runs the app with that
   * instance alone: its unit is pulled in with the instance, and must want no other (a daemon-reload first).
   */
  const instanceLifecycle = async (id: string, instance: string, action: Action): Promise<LifecycleResult> => {
    const t = trackerOf(id);
    const { name, unit } = instanceOf(t, instance);
    return serialize(id, async () => {
      const all = instancesOf(t).map((c) => c.name);
      const before = t.stoppedInstances();
      const appRuns = (t.wanted() ?? 'running') === 'running';
      const stopped = action === 'stop' ? (appRuns ? all.filter((n) => n === name || before.includes(n)) : before) : all.filter((n) => n !== name && (before.includes(n) || !appRuns));
      const changed = stopped.join('\n') !== before.join('\n');
      // A stop of an instance of a stopped app leaves the app's wish as it is (the instance is stopped with it).
      if (appRuns || action !== 'stop') await recordWish(t, 'running', stopped);
      if (action !== 'stop') {
        unit.forgetCrash();
        await systemd.resetFailedUnit(unit.name).catch(() => {});
        if (!appRuns) await systemd.reload();
      }
      const path = await callUnit(t, unit, action);
      if (changed && (appRuns || action === 'stop')) reloadFor(id);
      emitIfChanged(t);
      return { id, instance: name, action, job: path, status: t.status() };
    });
  };

  const unlisten = systemd.onEvent(onEvent);
  track(deps.apps);
  try {
    // The intents are read while the port connects; systemd's failure to connect is still the one reported.
    const reading = readIntents(stateDir);
    reading.catch(() => {});
    await systemd.ready();
    const intents = await reading;
    for (const [id, rec] of intents) {
      trackers.get(id)?.setIntent(rec.intent, rec.at);
      trackers.get(id)?.setStopped(rec.stopped ?? []);
    }
    // A process without the reconciler (`status`) still shows a back-off: the app records hold it.
    for (const [id, retry] of await readRetries(stateDir, intents, log)) trackers.get(id)?.setRetry(retry);
    for (const [id, address] of Object.entries(deps.onions ?? {})) trackers.get(id)?.setOnion(address);
    snapshotStarted = true;
    await resync('start');
  } catch (err) {
    unlisten();
    throw err;
  }
  const interval = deps.relistIntervalMs ?? 180_000;
  const relistTimer =
    interval > 0
      ? setInterval(() => {
          relist().catch((err: unknown) => log(`re-list failed: ${(err as Error).message}`));
        }, interval)
      : undefined;
  relistTimer?.unref();

  return {
    list: () => [...trackers.values()].map((t) => t.status()).sort((a, b) => compareNames(a.id, b.id)),
    get: (id) => trackers.get(id)?.status(),
    start: (id, instance) => (instance === undefined ? lifecycle(id, 'start') : instanceLifecycle(id, instance, 'start')),
    stop: (id, instance) => (instance === undefined ? lifecycle(id, 'stop') : instanceLifecycle(id, instance, 'stop')),
    restart: (id, instance) => (instance === undefined ? lifecycle(id, 'restart') : instanceLifecycle(id, instance, 'restart')),
    async setApps(apps) {
      track(apps);
      const intents = await readIntents(stateDir);
      for (const [id, t] of trackers) {
        t.setIntent(intents.get(id)?.intent, intents.get(id)?.at);
        t.setStopped(intents.get(id)?.stopped ?? []);
      }
      await resync('apps changed');
    },
    async setPhase(id: string, phase: ReconcilePhase | undefined) {
      const t = trackerOf(id);
      const mark = ++phaseMarks;
      lastPhaseMark.set(id, mark);
      if (phase !== undefined) {
        t.setPhase(phase);
        emitIfChanged(t);
        return;
      }
      // The phase hid systemd's own state; it is read afresh before it is shown. Right after a daemon-reload the
      // resync it triggers may not have run yet, and a removed app would show its old `stopped` for a moment.
      const clear = (): void => {
        if (lastPhaseMark.get(id) !== mark || closed) return;
        t.setPhase(undefined);
        emitIfChanged(t);
      };
      await refreshApp(t).then(clear, (err: unknown) => {
        log(`reading ${t.ref.unit} after its phase failed: ${(err as Error).message}`);
        clear();
      });
    },
    setRetry(id: string, retry: RetryStatus | undefined) {
      const t = trackerOf(id);
      t.setRetry(retry);
      emitIfChanged(t);
    },
    setOnion(id: string, address: string | undefined) {
      const t = trackerOf(id);
      t.setOnion(address);
      emitIfChanged(t);
    },
    setHealth(unit: string, health: Health | undefined) {
      const t = byUnit.get(unit);
      if (!t || closed) return;
      t.setHealth(unit, health);
      emitIfChanged(t);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitForJob(jobPath: string): Promise<string> {
      const done = jobResults.get(jobPath);
      if (done !== undefined) return Promise.resolve(done);
      return new Promise((resolve) => {
        const list = jobWaiters.get(jobPath) ?? [];
        list.push(resolve);
        jobWaiters.set(jobPath, list);
        // The job may have ended before anyone waited, unseen (e.g. across a reconnect): ask.
        systemd.getJobType(jobPath).then(
          ({ value }) => {
            if (value === undefined && !jobResults.has(jobPath)) settleJob(jobPath, 'gone');
          },
          () => {},
        );
      });
    },
    relist,
    stats: () => ({ relists, misses }),
    apps: () => [...trackers.values()].map((t) => t.ref).sort((a, b) => compareNames(a.id, b.id)),
    async close() {
      closed = true;
      unlisten();
      if (relistTimer) clearInterval(relistTimer);
      for (const timer of timers) clearTimeout(timer);
      listeners.clear();
      await Promise.allSettled([...queues.values()]);
    },
  };
}
