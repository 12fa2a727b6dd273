import { describe, expect, it } from 'vitest';
import { AppTracker } from '../../src/controller/tracker.js';

const JOB = (id: number, type?: string) => ({ id, path: `/org/freedesktop/systemd1/job/${id}`, ...(type ? { type } : {}) });
const T0 = 1_700_000_000_000;

function tracker(now = T0): AppTracker {
  return new AppTracker({ id: 'app', name: 'App', unit: 'app.service' }, () => now);
}

function running(): AppTracker {
  const t = tracker();
  t.applyProps(1, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null, stateChangeUsec: (T0 - 60_000) * 1000, timeoutStopUsec: 20_000_000 }, 'snapshot');
  t.recompute();
  return t;
}

describe('AppTracker ordering rules', () => {
  it('an older snapshot never overwrites a newer signal', () => {
    const t = running();
    t.applyProps(10, { activeState: 'deactivating', subState: 'stop-sigterm' }, 'signal');
    // A GetAll reply that arrived at seq 8 but is applied only now.
    t.applyProps(8, { activeState: 'active', subState: 'running' }, 'snapshot');
    expect(t.facts()?.activeState).toBe('deactivating');
    expect(t.status().state).toBe('running'); // not recomputed yet
    expect(t.recompute()?.status.state).toBe('stopping');
  });

  it('a newer snapshot does overwrite older signals', () => {
    const t = running();
    t.applyProps(10, { activeState: 'deactivating' }, 'signal');
    t.applyProps(12, { activeState: 'inactive', subState: 'dead' }, 'snapshot');
    expect(t.recompute()?.status.state).toBe('stopped');
  });

  it('a stale re-list showing active without a job never turns stopping into running', () => {
    const t = running();
    t.jobQueued(5, JOB(77, 'stop'));
    expect(t.recompute()?.status.state).toBe('stopping');
    const effects = t.applyProps(9, { activeState: 'active', subState: 'running', job: null }, 'relist');
    expect(effects.verifyJob).toEqual({ id: 77, path: JOB(77).path });
    expect(t.recompute()?.status.state ?? t.status().state).toBe('stopping');
    // Only systemd saying the job is gone clears it.
    t.jobGone(11, 77);
    expect(t.recompute()?.status.state).toBe('running');
  });

  it('a resync snapshot without the job asks for a check too', () => {
    const t = running();
    t.jobQueued(5, JOB(3, 'stop'));
    expect(t.applyProps(6, { job: null }, 'snapshot').verifyJob?.id).toBe(3);
    expect(t.jobInFlight()?.id).toBe(3);
  });

  it('PropertiesChanged Job=(0,"/") clears the job', () => {
    const t = running();
    t.jobQueued(5, JOB(3, 'stop'));
    t.applyProps(6, { activeState: 'inactive', subState: 'dead', job: null }, 'signal');
    expect(t.jobInFlight()).toBeUndefined();
    expect(t.recompute()?.status.state).toBe('stopped');
  });

  it('JobRemoved clears the job, and a late snapshot showing it does not bring it back', () => {
    const t = running();
    t.jobQueued(5, JOB(3, 'stop'));
    t.jobRemoved(9, 3);
    t.applyProps(12, { activeState: 'deactivating', job: JOB(3, 'stop') }, 'snapshot');
    expect(t.jobInFlight()).toBeUndefined();
  });

  it('a restart job stays restarting through both halves: the first type learned wins', () => {
    const t = running();
    t.jobQueued(5, JOB(40, 'restart'));
    expect(t.recompute()?.status.state).toBe('restarting');
    t.applyProps(6, { activeState: 'deactivating', subState: 'stop-sigterm' }, 'signal');
    t.applyProps(7, { activeState: 'inactive', subState: 'dead' }, 'signal');
    // systemd turns the job into a start job for the second half; a list row says so.
    t.applyProps(8, { activeState: 'activating', job: JOB(40, 'start') }, 'relist');
    t.setJobType(40, 'start');
    expect(t.recompute()?.status.state ?? t.status().state).toBe('restarting');
    t.applyProps(9, { activeState: 'active', subState: 'running' }, 'signal');
    expect(t.recompute()?.status.state ?? t.status().state).toBe('restarting');
    t.jobRemoved(10, 40);
    expect(t.recompute()?.status.state).toBe('running');
  });

  it('a job announced while our own restart call is in flight is that restart: never `stopping` on the way', () => {
    const t = running();
    t.expectJob('restart');
    // systemd's signals arrive before its reply: the job without its type, the unit already deactivating.
    expect(t.applyProps(5, { activeState: 'deactivating', subState: 'stop-sigterm', job: JOB(41) }, 'signal').needJobType).toBeUndefined();
    expect(t.recompute()?.status.state).toBe('restarting');
    t.expectJob(undefined);
    t.jobQueued(6, JOB(41, 'restart'));
    expect(t.recompute()?.status.state ?? t.status().state).toBe('restarting');
    // A job someone else queues later is not taken for ours.
    t.jobRemoved(7, 41);
    t.applyProps(8, { activeState: 'active', subState: 'running' }, 'signal');
    expect(t.applyProps(9, { job: JOB(42) }, 'signal').needJobType).toEqual({ id: 42, path: JOB(42).path });
  });

  it('a JobNew without a type asks for it', () => {
    const t = running();
    expect(t.jobQueued(5, JOB(8)).needJobType).toEqual({ id: 8, path: JOB(8).path });
    expect(t.jobQueued(6, JOB(8, 'stop')).needJobType).toBeUndefined();
  });

  it('a re-list that differs from what signals said reports it; a later signal means it was only late', () => {
    const t = running();
    const effects = t.applyProps(20, { activeState: 'failed', subState: 'failed', job: null }, 'relist');
    expect(effects.differs).toEqual(['activeState active → failed', 'subState running → failed']);
    expect(t.confirmMisses(20)).toBe(true);
    t.applyProps(21, { activeState: 'failed', subState: 'failed' }, 'signal');
    expect(t.confirmMisses(20)).toBe(false);
  });

  it('a re-list that agrees reports nothing', () => {
    const t = running();
    expect(t.applyProps(20, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null }, 'relist').differs).toBeUndefined();
  });
});

describe('AppTracker status', () => {
  it('since is systemd\'s StateChangeTimestamp for a plain ActiveState, else the time the state began here', () => {
    const t = tracker(T0);
    t.applyProps(1, { loadState: 'loaded', activeState: 'active', job: null, stateChangeUsec: (T0 - 60_000) * 1000, timeoutStopUsec: 20_000_000 }, 'snapshot');
    expect(t.recompute()?.status.since).toBe(new Date(T0 - 60_000).toISOString());
    t.jobQueued(2, JOB(5, 'stop'));
    const stopping = t.recompute()!.status;
    expect(stopping).toMatchObject({ state: 'stopping', since: new Date(T0).toISOString(), deadline: new Date(T0 + 20_000).toISOString(), job: { id: 5, type: 'stop' } });
    t.applyProps(3, { activeState: 'deactivating', stateChangeUsec: (T0 + 3) * 1000 }, 'signal');
    const deact = t.recompute()!.status;
    expect(deact.since).toBe(stopping.since); // same state: since does not move
    expect(deact.deadline).toBe(new Date(T0 + 3 + 20_000).toISOString());
    t.applyProps(4, { activeState: 'inactive', stateChangeUsec: (T0 + 12_000) * 1000, job: null }, 'signal');
    expect(t.recompute()?.status).toMatchObject({ state: 'stopped', since: new Date(T0 + 12_000).toISOString() });
  });

  it('recompute reports only changes, with the previous state', () => {
    const t = running();
    expect(t.recompute()).toBeUndefined();
    t.applyProps(2, { activeState: 'failed', result: 'exit-code' }, 'signal');
    expect(t.recompute()).toMatchObject({ previous: 'running', status: { state: 'failed', reason: 'exit-code' } });
  });

  it('phases and intents show in the status', () => {
    const t = running();
    t.setPhase('updating');
    t.setIntent('stopped');
    expect(t.recompute()?.status).toMatchObject({ state: 'updating', intent: 'stopped' });
    t.setPhase(undefined);
    expect(t.recompute()?.status.state).toBe('running');
  });

  it('an app never observed is not-installed', () => {
    expect(tracker().status().state).toBe('not-installed');
  });
});

describe('AppTracker job types across orderings', () => {
  it('our call\'s reply names the type even when the signal announcing the job was stamped later', () => {
    const t = running();
    t.applyProps(12, { job: JOB(90) }, 'signal'); // PropertiesChanged Job=(90,…), processed first
    t.jobQueued(11, JOB(90, 'stop')); // the StopUnit reply, stamped earlier
    expect(t.jobInFlight()).toEqual(JOB(90, 'stop'));
    expect(t.recompute()?.status.state).toBe('stopping');
  });
});
