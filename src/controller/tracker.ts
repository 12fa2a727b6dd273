/**
 * Per-app bookkeeping: one {@link UnitTracker} per unit of the app (the app's unit, and for an app of several
 * containers each container's unit), each with its own ordering rules (src/controller/unit-tracker.ts), plus what
 * is the app's own: the reconciler's phase, the user's intent, the back-off, the onion address, and the status last
 * shown. Pure (no
 * IO): the controller feeds the unit trackers stamped messages and asks the app tracker to recompute.
 *
 * The methods that take systemd's messages directly (`applyProps`, `jobQueued`, …) act on the app's unit; the
 * controller reaches a container's tracker through `unit(name)`.
 */
import type { JobRef, UnitProps } from '../systemd/types.js';
import { appDeadline, deriveAppState, waitingFor, type AppFacts } from './app-state.js';
import { appSince } from './since.js';
import type { UnitFacts } from './state.js';
import type { AppRef, AppState, AppStatus, ContainerStatus, CrashLoop, DesiredState, Health, Intent, ReconcilePhase, RetryStatus, WaitingFor } from './types.js';
import { UnitTracker, type CrashMemo, type Effects, type Source } from './unit-tracker.js';

export { UnitTracker, type Effects, type Source } from './unit-tracker.js';

export class AppTracker {
  /** The app's unit: every lifecycle call acts on it. */
  private readonly main: UnitTracker;
  /** For an app of several containers: one tracker per container, in manifest order. */
  private readonly parts: ReadonlyArray<{ name: string; tracker: UnitTracker }>;
  private phase: ReconcilePhase | undefined;
  private intent: Intent | undefined;
  /** When the intent was recorded (its record's `at`, ms since the epoch); undefined when it does not say. */
  private intentAt: number | undefined;
  /** A template app's instances the user stopped on their own, by name (the intent's `stopped`). */
  private stopped: readonly string[] = [];
  private retry: RetryStatus | undefined;
  private onion: string | undefined;
  /** podman's health by unit, for the units whose manifest has a health check. */
  private health = new Map<string, Health>();
  /** The desired state a start or stop of this process set, newer than the ref's (cleared by a new ref). */
  private clicked: DesiredState | undefined;
  /** Its dependencies' current states, in `ref.dependsOn` order. */
  private deps: WaitingFor[] = [];
  private current: AppStatus | undefined;
  /** The app unit's job of our last call, while the containers may still be learning of the jobs of its transaction. */
  private callJob: number | undefined;

  /**
   * `previous`: the app's tracker before its ref changed (the catalog gave it other containers): what it knows of the
   * units that stay, its phase, intent, back-off, onion address and last status carry over, so the change is no new first look.
   */
  constructor(
    readonly ref: AppRef,
    private readonly now: () => number,
    previous?: AppTracker,
  ) {
    const unitOf = (name: string): UnitTracker => previous?.unit(name) ?? new UnitTracker(name);
    this.main = unitOf(ref.unit);
    this.parts = (ref.containers ?? []).map((c) => ({ name: c.name, tracker: unitOf(c.unit) }));
    if (previous) {
      this.phase = previous.phase;
      this.intent = previous.intent;
      this.intentAt = previous.intentAt;
      this.stopped = previous.stopped;
      this.retry = previous.retry;
      this.onion = previous.onion;
      this.health = previous.health;
      this.current = previous.current;
    }
  }

  /** Every unit of the app: its own unit first, then its containers' in manifest order. */
  units(): UnitTracker[] {
    return [this.main, ...this.parts.map((p) => p.tracker)];
  }

  /** The tracker of unit `name` of this app (its own or a container's), or undefined. */
  unit(name: string): UnitTracker | undefined {
    return this.units().find((u) => u.name === name);
  }

  /** Applies properties of the app's unit stamped `seq`. */
  applyProps(seq: number, props: UnitProps, source: Source): Effects {
    return this.main.applyProps(seq, props, source);
  }

  /** A job on the app's unit that systemd announced (JobNew) or returned to one of our calls. */
  jobQueued(seq: number, job: JobRef): Effects {
    return this.main.jobQueued(seq, job);
  }

  /** JobRemoved for a job of the app's unit. */
  jobRemoved(seq: number, jobId: number): void {
    this.main.jobRemoved(seq, jobId);
  }

  /** systemd answered that the app unit's job no longer exists. */
  jobGone(seq: number, jobId: number): void {
    this.main.jobGone(seq, jobId);
  }

  /** The JobType systemd reported for a job of the app's unit. */
  setJobType(jobId: number, type: string): void {
    this.main.setJobType(jobId, type);
  }

  /** After a grace period: whether the app unit's re-listed fields were untouched by any signal since (a real miss). */
  confirmMisses(relistSeq: number): boolean {
    return this.main.confirmMisses(relistSeq);
  }

  /**
   * While our own start/stop/restart call on the app is in flight (`type`, or undefined to forget it): a job that
   * appears meanwhile on any unit of the app takes that type. systemd announces the app unit's job before it
   * answers the call; see `callAnswered` for the containers'.
   */
  expectJob(type: string | undefined): void {
    for (const u of this.units()) u.expectJob(type);
    this.callJob = undefined;
  }

  /**
   * Our call answered with the app unit's job `jobId` (undefined: none). The app unit expects no other job. systemd
   * announces the other jobs of the call's transaction (the containers it pulls in by PartOf= or WantedBy=) only after
   * its answer, though before that job ends: the containers keep expecting the call's type until the app unit's job
   * is gone, so a start of an app whose unit is already up never reads as a settled mix on its way.
   */
  callAnswered(jobId: number | undefined): void {
    this.main.expectJob(undefined);
    if (jobId === undefined || this.parts.length === 0) this.expectJob(undefined);
    else this.callJob = jobId;
  }

  /** Ends the containers' expectation once the app unit's job of our call is no longer in flight. */
  private settleCall(): void {
    if (this.callJob === undefined || this.main.jobInFlight()?.id === this.callJob) return;
    this.expectJob(undefined);
  }

  setPhase(phase: ReconcilePhase | undefined): void {
    this.phase = phase;
  }

  /** The user's intent and when it was recorded (the record's `at`, ISO-8601; absent or unreadable: not known). */
  setIntent(intent: Intent | undefined, at?: string): void {
    this.intent = intent;
    const ms = intent === undefined || at === undefined ? NaN : Date.parse(at);
    this.intentAt = Number.isNaN(ms) ? undefined : ms;
  }

  /**
   * When the user stopped the app through us, while that still holds: the intent `stopped`, or a template app whose
   * every instance the user stopped on its own (the record's `at` is its last write: the last of those stops).
   */
  private stoppedAt(): number | undefined {
    if (this.intent === 'stopped') return this.intentAt;
    const all = this.parts.length > 0 && this.parts.every((p) => this.stopped.includes(p.name));
    return this.intent === 'running' && all ? this.intentAt : undefined;
  }

  /** A template app's instances the user stopped on their own (the intent's `stopped`; empty: none). */
  setStopped(names: readonly string[]): void {
    this.stopped = names;
  }

  /** The instances the user stopped on their own, as last set. */
  stoppedInstances(): readonly string[] {
    return this.stopped;
  }

  /** What the node wants of the app as this process knows it: a click here, the intent on disk, else the ref's. */
  wanted(): DesiredState | undefined {
    return this.clicked ?? this.intent ?? this.ref.desired;
  }

  /** The user started or stopped the app here: that is what the node wants now, until the next pass says. */
  setClicked(intent: Intent): void {
    this.clicked = intent;
  }

  /** Its dependencies' current states (the controller passes them in before every recompute). */
  setDependencies(deps: WaitingFor[]): void {
    this.deps = deps;
  }

  /** The reconciler's back-off for this app, shown with its status (not part of the derived state). */
  setRetry(retry: RetryStatus | undefined): void {
    this.retry = retry;
  }

  /** The app's onion address, shown with its status (not part of the derived state). */
  setOnion(address: string | undefined): void {
    this.onion = address;
  }

  /** podman's health of unit `unit`'s container (undefined: not running), kept only for a health-checked unit; not part of the derived state. */
  setHealth(unit: string, health: Health | undefined): void {
    const checked = this.parts.length > 0 ? this.ref.containers?.some((c) => c.unit === unit && c.health) : unit === this.ref.unit && this.ref.health;
    if (health === undefined || !checked) this.health.delete(unit);
    else this.health.set(unit, health);
  }

  /** podman's health of unit `unit`'s container while the unit runs (a missed `died` event never shows a stopped unit's). */
  private healthOf(unit: UnitTracker): Health | undefined {
    const active = unit.facts()?.activeState;
    return active === 'active' || active === 'activating' || active === 'deactivating' || active === 'reloading' ? this.health.get(unit.name) : undefined;
  }

  /** The app's health: its container's, or for several containers the worst of theirs; undefined when none is known. */
  private appHealth(): Health | undefined {
    const known = this.units().flatMap((u) => this.healthOf(u) ?? []);
    return (['unhealthy', 'starting', 'healthy'] as const).find((h) => known.includes(h));
  }

  /** The job in flight on the app's unit, if any. */
  jobInFlight(): JobRef | undefined {
    return this.main.jobInFlight();
  }

  /** The app unit's current facts. */
  facts(): UnitFacts | undefined {
    return this.main.facts();
  }

  /** Everything the app's state is derived from. */
  private appFacts(stripJobs = false): AppFacts {
    const strip = (f: UnitFacts | undefined): UnitFacts | undefined => (f && stripJobs ? { ...f, jobType: undefined } : f);
    const containers = this.parts.map((p) => ({ name: p.name, unit: p.tracker.name, facts: strip(p.tracker.facts()), ...(this.stopped.includes(p.name) ? { stopped: true } : {}) }));
    return { unit: this.ref.unit, facts: strip(this.main.facts()), ...(containers.length > 0 ? { containers } : {}), ...(this.phase ? { phase: this.phase } : {}) };
  }

  /**
   * Recomputes the status; returns it with the previous state when anything a
   * client sees changed, undefined otherwise.
   */
  recompute(): { status: AppStatus; previous: AppState | undefined } | undefined {
    this.settleCall();
    const input = this.appFacts();
    const derived = deriveAppState(input);
    const crash = this.crashOf();
    // A crash loop the user stopped: systemd ends it `failed` when the stop catches a run starting (its main process
    // killed), yet the user asked for stopped and got it; the loop's failure stays as the note.
    const stoppedLoop = derived.state === 'failed' && crash !== undefined && this.intent === 'stopped';
    const gaveUp = derived.state === 'failed' && !stoppedLoop ? this.gaveUp() : undefined;
    const { state, reason } = stoppedLoop ? { state: 'stopped' as const, reason: undefined } : gaveUp !== undefined ? { state: 'failed' as const, reason: gaveUp } : derived;
    const prev = this.current;
    // The units whose StateChangeTimestamp stands for the app's: its containers, or its own unit when it is one.
    const stamped = this.parts.length > 0 ? this.parts.map((p) => p.tracker) : [this.main];
    const freshStamp = this.units().map((u) => u.takeFreshStamp() && stamped.includes(u)).some(Boolean);
    // systemd's own timestamp (for several containers the latest change among them), the moment we saw the change,
    // the user's stop, or not known: src/controller/since.ts.
    // The state's plain meaning is derived again only when a `since` is to be found (not for a state kept with its own).
    const seeking = !prev || prev.state !== state || prev.since === undefined;
    const natural = seeking && (input.facts || input.containers) ? deriveAppState(this.appFacts(true)).state : undefined;
    const stamp = Math.max(0, ...stamped.map((u) => u.facts()?.stateChangeUsec ?? 0));
    const sinceMs = appSince({
      state,
      previous: prev && { state: prev.state, sinceMs: prev.since === undefined ? undefined : Date.parse(prev.since) },
      natural,
      stampMs: stamp ? Math.floor(stamp / 1000) : undefined,
      freshStamp,
      stoppedAtMs: this.stoppedAt(),
      nowMs: this.now(),
    });
    const deadline = appDeadline(state, input, sinceMs);
    const desired = this.clicked ?? this.ref.desired;
    const waiting = waitingFor(state, desired, this.deps);
    const facts = input.facts;
    const job = this.jobInFlight();
    const status: AppStatus = {
      id: this.ref.id,
      name: this.ref.name,
      unit: this.ref.unit,
      state,
      ...(sinceMs !== undefined ? { since: new Date(sinceMs).toISOString() } : {}),
      ...(deadline !== undefined ? { deadline: new Date(deadline).toISOString() } : {}),
      ...(state === 'crash-loop' && crash ? { reason: describeCrash(crash, reason) } : reason !== undefined ? { reason } : {}),
      ...(facts?.activeState !== undefined ? { activeState: facts.activeState } : {}),
      ...(facts?.subState !== undefined ? { subState: facts.subState } : {}),
      ...(job ? { job: jobView(job) } : {}),
      ...(this.intent !== undefined ? { intent: this.intent } : {}),
      ...(this.retry !== undefined ? { retry: this.retry } : {}),
      ...(derived.containers ? { containers: derived.containers.map((c, i) => containerStatus(c, this.parts[i]!.tracker, this.healthOf(this.parts[i]!.tracker), this.stopped.includes(c.name))) } : {}),
      ...(this.onion !== undefined ? { onion: this.onion } : {}),
      ...optional('health', this.appHealth()),
      ...(crash ? { crashLoop: crashLoopView(crash) } : {}),
      ...(desired !== undefined ? { desired } : {}),
      ...(waiting ? { waitingFor: waiting } : {}),
      ...(crash && (state === 'stopped' || state === 'failed') ? { note: `last failure: ${describeCrash(crash, crash.unit)}` } : {}),
      ...metaFields(this.ref, this.onion),
    };
    this.current = status;
    if (prev && JSON.stringify(prev) === JSON.stringify(status)) return undefined;
    return { status, previous: prev?.state };
  }

  /**
   * The crash loop of the app's unit, or of its first container that has one (with that container's name): systemd's
   * second restart of it or later in one loop. A single restart (a kill -9) is systemd bringing it back, not a loop.
   */
  private crashOf(): (CrashMemo & { unit?: string }) | undefined {
    const loop = (c: CrashMemo | undefined): c is CrashMemo => c !== undefined && c.restarts >= 2;
    const own = this.main.crash();
    if (loop(own)) return own;
    for (const p of this.parts) {
      const c = p.tracker.crash();
      if (loop(c)) return { ...c, unit: p.name };
    }
    return undefined;
  }

  /**
   * `start-limit-hit` (with `<container>: ` first in an app of several) when systemd gave up restarting a unit of the
   * app (its start limit), although its Result still names the last exit; undefined otherwise.
   */
  private gaveUp(): string | undefined {
    if (this.main.crash()?.gaveUp) return 'start-limit-hit';
    const part = this.parts.find((p) => p.tracker.crash()?.gaveUp);
    return part ? `${part.name}: start-limit-hit` : undefined;
  }

  /** The user started or restarted the app here: systemd's restarts of its units before that are forgotten. */
  forgetCrash(): void {
    for (const u of this.units()) u.forgetCrash();
  }

  /** The last computed status (computing it the first time). */
  status(): AppStatus {
    if (!this.current) this.recompute();
    return this.current!;
  }
}

/** The manifest's description, icon, version and web UI (with its onion URL once `onion` is known), as status fields. */
function metaFields(ref: AppRef, onion: string | undefined): Pick<AppStatus, 'description' | 'icon' | 'version' | 'web'> {
  const meta = ref.meta;
  if (!meta) return {};
  const { web, ...rest } = meta;
  if (!web) return rest;
  const onionUrl = onion !== undefined && web.onionPort !== undefined ? `http://${onion}${web.onionPort === 80 ? '' : `:${web.onionPort}`}${web.path}` : undefined;
  return { ...rest, web: { ...web, ...(onionUrl ? { onionUrl } : {}) } };
}

const CLD = ['exited', 'exited', 'killed', 'dumped'] as const;

/** The main process's last exit as a person reads it: `exited 1`, `killed by signal 9`, or systemd's Result. */
function describeExit(c: CrashMemo): string {
  if (c.code === 1) return `exited ${c.status}`;
  if (c.code === 2 || c.code === 3) return `killed by signal ${c.status}${c.code === 3 ? ' (core dumped)' : ''}`;
  return c.result;
}

/** `exited 1, restarted 4×` (with `<container>: ` first in an app of several). */
function describeCrash(c: CrashMemo, container: string | undefined): string {
  return `${container ? `${container}: ` : ''}${describeExit(c)}, restarted ${c.restarts}×`;
}

function crashLoopView(c: CrashMemo): CrashLoop {
  const code = CLD[c.code];
  return {
    restarts: c.restarts,
    since: new Date(Math.floor(c.firstUsec / 1000)).toISOString(),
    lastAt: new Date(Math.floor(c.lastUsec / 1000)).toISOString(),
    lastExit: { result: c.result, ...(c.code > 0 && code ? { code, status: c.status } : {}) },
  };
}

const jobView = (job: JobRef): { id: number; type: string; path: string } => ({ id: job.id, type: job.type ?? 'unknown', path: job.path });

/** `{ [key]: value }`, or nothing when the value is undefined. */
const optional = <K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [k in K]: V }));

/** A container's status: its own derived state, systemd's raw view of its unit, and podman's health of its container. */
function containerStatus(derived: Pick<ContainerStatus, 'name' | 'unit' | 'state' | 'reason'>, unit: UnitTracker, health: Health | undefined, stopped: boolean): ContainerStatus {
  const facts = unit.facts();
  const job = unit.jobInFlight();
  return {
    ...derived,
    ...(facts?.activeState !== undefined ? { activeState: facts.activeState } : {}),
    ...(facts?.subState !== undefined ? { subState: facts.subState } : {}),
    ...(job ? { job: jobView(job) } : {}),
    ...optional('health', health),
    ...(stopped ? { intent: 'stopped' as const } : {}),
  };
}
