/**
 * What systemd said about one unit and when. Pure (no IO): the app tracker
 * (src/controller/tracker.ts) holds one per unit of an app and feeds it stamped
 * messages; the controller acts on the effects it returns.
 *
 * Ordering rules, per unit:
 * - every field remembers the stamp (`seq`) of the message that set it; a
 *   message older than the field's stamp does not overwrite it, so a snapshot
 *   whose reply was in flight while a signal arrived never undoes the signal;
 * - a job in flight is cleared only by JobRemoved, by a PropertiesChanged
 *   `Job=(0,"/")` signal, or by asking systemd for the job and hearing it is
 *   gone (`jobGone`). A snapshot (re-list, resync) that shows no job never
 *   clears it: it asks for a check instead. So a stale read can never turn
 *   `stopping` back into `running`;
 * - a job's type is the first one learned (our own call, a list row, a
 *   JobType read): a restart job stays `restart` through its start half,
 *   although systemd turns its type into `start` then.
 */
import type { JobRef, UnitProps } from '../systemd/types.js';
import { AUTO_RESTART, type UnitFacts } from './state.js';

type ScalarKey = Exclude<keyof UnitProps, 'job'>;
const SCALAR_KEYS: ScalarKey[] = [
  'loadState', 'activeState', 'subState', 'result', 'invocationId', 'nRestarts', 'execMainCode', 'execMainStatus',
  'stateChangeUsec', 'timeoutStartUsec', 'timeoutStopUsec',
];


/**
 * Two of systemd's own restarts of a unit further apart than this (ms, by systemd's StateChangeTimestamp) are separate
 * incidents (a kill -9 today, another tomorrow), not one loop. A loop restarts within seconds (RestartSec=, 100 ms by
 * default; a missing image: podman's pull retries, about 3 s on the test host).
 */
export const LOOP_WINDOW_MS = 5 * 60_000;

/**
 * What the tracker remembers of systemd's own restarts of a unit (issue 16: a crash loop shown as such), from the first
 * restart of an incident until the user starts the unit again, systemd counts from 0 again (reset-failed, a start by a
 * job after a stop), or more than `LOOP_WINDOW_MS` pass without a restart.
 */
export interface CrashMemo {
  /** Restart cycles seen in this loop: entries into an auto-restart sub-state, the one in progress included. */
  restarts: number;
  /** StateChangeTimestamp (CLOCK_REALTIME µs) of the loop's first and latest automatic restart. */
  firstUsec: number;
  lastUsec: number;
  /** Result, ExecMainCode and ExecMainStatus as the service entered auto-restart (a restart resets the last two). */
  result: string;
  code: number;
  status: number;
  /**
   * systemd gave up: the unit went from an auto-restart sub-state straight to `failed`, no stop job in flight — its
   * start limit (journal: "Start request repeated too quickly"; systemd 257 keeps the last exit's Result, e.g.
   * `exit-code`, seen on the test host).
   */
  gaveUp?: boolean;
}
/** Fields a re-list compares to find state it had missed. */
const COMPARED: ScalarKey[] = ['loadState', 'activeState', 'subState'];

/** Where a batch of properties came from. */
export type Source = 'signal' | 'snapshot' | 'relist';

/** What the controller must do after feeding the tracker. */
export interface Effects {
  /** Ask systemd for this job's JobType (then `setJobType`). */
  needJobType?: JobRef;
  /** A snapshot showed no job although one is tracked: ask whether it still exists (then `jobGone` if not). */
  verifyJob?: JobRef;
  /** Fields a re-list found different from what signals had said (check again later with `confirmMisses`). */
  differs?: string[];
}

const REMEMBERED_REMOVED_JOBS = 64;

/** What the tracker knows of one unit (an app's unit, or one container of an app of several). */
export class UnitTracker {
  private readonly fields = new Map<ScalarKey, { value: unknown; seq: number }>();
  private job: { ref: JobRef | null; seq: number } = { ref: null, seq: 0 };
  private readonly jobTypes = new Map<number, string>();
  private readonly removedJobs: number[] = [];
  /** The type of the job our own call is queueing right now (see `expectJob`). */
  private expected: string | undefined;
  private freshStamp = false;
  private observed = false;
  private crashMemo: CrashMemo | undefined;
  /** Whether the last SubState seen is one of systemd's auto-restart sub-states (to count entries into them). */
  private inAutoRestart = false;

  /** `name`: the unit, e.g. `lnd.service`. */
  constructor(readonly name: string) {}

  /** Applies properties stamped `seq`. */
  applyProps(seq: number, props: UnitProps, source: Source): Effects {
    this.observed = true;
    const effects: Effects = {};
    const differs: string[] = [];
    for (const key of SCALAR_KEYS) {
      const value = props[key];
      if (value === undefined) continue;
      const prev = this.fields.get(key);
      if (prev && prev.seq > seq) continue;
      if (source === 'relist' && prev && COMPARED.includes(key) && prev.value !== value) differs.push(`${key} ${String(prev.value)} → ${String(value)}`);
      if (key === 'stateChangeUsec' && prev?.value !== value) this.freshStamp = true;
      this.fields.set(key, { value, seq });
    }
    if (props.job !== undefined) Object.assign(effects, this.applyJob(seq, props.job, source));
    if (differs.length > 0) effects.differs = differs;
    this.noteCrash();
    return effects;
  }

  /**
   * Counts systemd's own restart cycles and remembers the exit that began each: an entry into an auto-restart
   * sub-state is one more restart of the loop (the first of a new one when the last was more than `LOOP_WINDOW_MS`
   * earlier). Forgets the loop once systemd counts from 0 again outside auto-restart (reset-failed, a start by a job
   * after a stop), or the unit changes state more than `LOOP_WINDOW_MS` after the loop's last restart (it ran since).
   * systemd sends the Service interface's changes (Result, ExecMain*, NRestarts) before the Unit interface's
   * (SubState), so they are current when the sub-state says auto-restart.
   */
  private noteCrash(): void {
    const get = <T>(k: ScalarKey): T | undefined => this.fields.get(k)?.value as T | undefined;
    const sub = get<string>('subState');
    const stamp = get<number>('stateChangeUsec') ?? 0;
    const restarting = sub !== undefined && AUTO_RESTART.has(sub);
    const wasRestarting = this.inAutoRestart;
    const entering = restarting && !wasRestarting;
    this.inAutoRestart = restarting;
    const prev = this.crashMemo;
    const window = LOOP_WINDOW_MS * 1000;
    const stale = prev !== undefined && stamp > 0 && prev.lastUsec > 0 && stamp - prev.lastUsec > window;
    if (!restarting) {
      const reset = get<number>('nRestarts') === 0;
      if (prev && (reset || stale)) this.crashMemo = undefined;
      else if (prev && wasRestarting && get<string>('activeState') === 'failed' && this.jobInFlight()?.type !== 'stop') this.crashMemo = { ...prev, gaveUp: true };
      return;
    }
    // A cycle the user's start caught midway (the memo was just forgotten) is not counted: systemd runs that start.
    if (!entering && !prev) return;
    const fresh = !prev || stale;
    // The exit is read as the service enters the cycle; once its start job is queued the values may be the next run's.
    const keep = sub === 'auto-restart-queued' && prev !== undefined && !fresh;
    this.crashMemo = {
      restarts: fresh ? 1 : prev.restarts + (entering ? 1 : 0),
      firstUsec: fresh ? stamp : prev.firstUsec || stamp,
      lastUsec: stamp || (prev?.lastUsec ?? 0),
      result: keep ? prev.result : get<string>('result') ?? 'failed',
      code: keep ? prev.code : get<number>('execMainCode') ?? 0,
      status: keep ? prev.status : get<number>('execMainStatus') ?? 0,
    };
  }

  /** The restarts systemd is making of the unit by itself, or made until stopped (see {@link CrashMemo}). */
  crash(): CrashMemo | undefined {
    return this.crashMemo;
  }

  /** The user started or restarted the unit: systemd's restarts before that are no part of what comes next. */
  forgetCrash(): void {
    this.crashMemo = undefined;
  }

  private applyJob(seq: number, job: JobRef | null, source: Source): Effects {
    // A job's type is worth knowing whatever the order: the signal announcing the
    // job may have been stamped after the reply that names its type.
    if (job?.type && !this.jobTypes.has(job.id) && !this.removedJobs.includes(job.id)) this.jobTypes.set(job.id, job.type);
    // A new job seen while our own call is queueing one is that job (systemd announces it before it answers).
    if (job && this.expected && !this.jobTypes.has(job.id) && !this.removedJobs.includes(job.id) && this.job.ref?.id !== job.id) this.jobTypes.set(job.id, this.expected);
    if (this.job.seq > seq) return {};
    if (job === null) {
      const tracked = this.job.ref;
      if (!tracked) {
        this.job = { ref: null, seq };
        return {};
      }
      if (source === 'signal') {
        this.forgetJob(tracked.id);
        this.job = { ref: null, seq };
        return {};
      }
      return { verifyJob: tracked };
    }
    if (this.removedJobs.includes(job.id)) return {};
    this.job = { ref: { id: job.id, path: job.path }, seq };
    return this.jobTypes.has(job.id) ? {} : { needJobType: { id: job.id, path: job.path } };
  }

  /** A job systemd announced (JobNew) or returned to one of our calls (with the type we asked for). */
  jobQueued(seq: number, job: JobRef): Effects {
    this.observed = true;
    return this.applyJob(seq, job, 'signal');
  }

  /** JobRemoved for `jobId`, stamped `seq`. */
  jobRemoved(seq: number, jobId: number): void {
    this.rememberRemoved(jobId);
    if (this.job.ref?.id === jobId && this.job.seq <= seq) this.job = { ref: null, seq };
    this.jobTypes.delete(jobId);
  }

  /** systemd answered that the job no longer exists (after `verifyJob`). */
  jobGone(seq: number, jobId: number): void {
    this.jobRemoved(seq, jobId);
  }

  /** The JobType systemd reported for a job; the first type learned for a job id stays. */
  setJobType(jobId: number, type: string): void {
    if (!this.jobTypes.has(jobId) && !this.removedJobs.includes(jobId)) this.jobTypes.set(jobId, type);
  }

  /** After a grace period: which of the re-list's differing fields no signal has touched since (real misses). */
  confirmMisses(relistSeq: number, keys: ScalarKey[] = COMPARED): boolean {
    return keys.some((k) => this.fields.get(k)?.seq === relistSeq);
  }

  /**
   * While our own start/stop/restart call is in flight (`type`, or undefined once it answered): a job that
   * appears for the unit meanwhile takes that type, since systemd announces a job before it answers the call.
   */
  expectJob(type: string | undefined): void {
    this.expected = type;
  }


  /** The tracked job, if any, with its type when known. */
  jobInFlight(): JobRef | undefined {
    const ref = this.job.ref;
    if (!ref) return undefined;
    const type = this.jobTypes.get(ref.id);
    return type ? { ...ref, type } : { ...ref };
  }

  /** The current facts, for derivation; undefined while nothing about the unit has been heard. */
  facts(): UnitFacts | undefined {
    if (!this.observed) return undefined;
    const get = <T>(k: ScalarKey): T | undefined => this.fields.get(k)?.value as T | undefined;
    return {
      loadState: get<string>('loadState'),
      activeState: get<string>('activeState'),
      subState: get<string>('subState'),
      result: get<string>('result'),
      stateChangeUsec: get<number>('stateChangeUsec'),
      timeoutStartUsec: get<number>('timeoutStartUsec'),
      timeoutStopUsec: get<number>('timeoutStopUsec'),
      restartCycles: this.crashMemo?.restarts ?? 0,
      jobType: this.jobInFlight()?.type,
    };
  }

  /** Whether StateChangeTimestamp changed since the last call (a state's `since` may take systemd's stamp then). */
  takeFreshStamp(): boolean {
    const fresh = this.freshStamp;
    this.freshStamp = false;
    return fresh;
  }

  private forgetJob(jobId: number): void {
    this.rememberRemoved(jobId);
    this.jobTypes.delete(jobId);
  }

  private rememberRemoved(jobId: number): void {
    if (this.removedJobs.includes(jobId)) return;
    this.removedJobs.push(jobId);
    if (this.removedJobs.length > REMEMBERED_REMOVED_JOBS) this.removedJobs.shift();
  }
}
