import { describe, expect, it } from 'vitest';
import { appSince, type SinceInput } from '../../src/controller/since.js';
import { AppTracker } from '../../src/controller/tracker.js';

// When an app entered its state: systemd's StateChangeTimestamp, the moment the controller saw the change, the user's
// stop through us (the intent record's `at`), or not known. A unit systemd loaded afresh (it unloads an inactive unit
// nothing references) has StateChangeTimestamp 0; `systemctl status` shows no time for it then, and neither do we.

const T0 = 1_700_000_000_000;
const STAMP = T0 - 3_600_000;
const STOPPED_AT = T0 - 7 * 86_400_000;

const input = (over: Partial<SinceInput>): SinceInput => ({ state: 'stopped', previous: undefined, natural: 'stopped', stampMs: undefined, freshStamp: false, stoppedAtMs: undefined, nowMs: T0, ...over });

describe('appSince: the rule', () => {
  it('the first look: systemd\'s timestamp when it has one for the plain state', () => {
    expect(appSince(input({ stampMs: STAMP }))).toBe(STAMP);
    expect(appSince(input({ state: 'running', natural: 'running', stampMs: STAMP }))).toBe(STAMP);
    // The intent's time is only for a state systemd has no time for: its own timestamp is the stop's end.
    expect(appSince(input({ stampMs: STAMP, stoppedAtMs: STOPPED_AT }))).toBe(STAMP);
  });

  it('the first look without a timestamp: the user\'s stop through us says when, else not known (never now)', () => {
    expect(appSince(input({ stoppedAtMs: STOPPED_AT }))).toBe(STOPPED_AT);
    expect(appSince(input({}))).toBeUndefined();
    expect(appSince(input({ state: 'not-installed', natural: 'not-installed' }))).toBeUndefined();
    // A stop the user asked for says nothing of another state (a unit failed, or started outside us).
    expect(appSince(input({ state: 'failed', natural: 'failed', stoppedAtMs: STOPPED_AT }))).toBeUndefined();
    expect(appSince(input({ state: 'running', natural: 'running', stoppedAtMs: STOPPED_AT }))).toBeUndefined();
    // A job seen in flight at the first look: when it was queued is not known.
    expect(appSince(input({ state: 'starting', natural: 'stopped' }))).toBeUndefined();
    expect(appSince(input({ state: 'starting', natural: 'stopped', stampMs: STAMP }))).toBeUndefined();
  });

  it('a change the controller saw keeps its exact time: systemd\'s fresh timestamp, else the moment it saw it', () => {
    const previous = { state: 'stopping' as const, sinceMs: T0 - 5000 };
    expect(appSince(input({ previous, stampMs: STAMP, freshStamp: true }))).toBe(STAMP);
    expect(appSince(input({ previous, stampMs: STAMP, freshStamp: false }))).toBe(T0);
    expect(appSince(input({ previous, stoppedAtMs: STOPPED_AT }))).toBe(T0);
    expect(appSince(input({ previous: { state: 'stopped', sinceMs: undefined }, state: 'starting', natural: 'stopped' }))).toBe(T0);
  });

  it('the same state keeps its since, known or not; one not known takes systemd\'s timestamp once one is read', () => {
    expect(appSince(input({ previous: { state: 'stopped', sinceMs: STOPPED_AT }, stampMs: STAMP, freshStamp: true }))).toBe(STOPPED_AT);
    expect(appSince(input({ previous: { state: 'stopped', sinceMs: undefined } }))).toBeUndefined();
    expect(appSince(input({ previous: { state: 'stopped', sinceMs: undefined }, stoppedAtMs: STOPPED_AT }))).toBeUndefined();
    expect(appSince(input({ previous: { state: 'running', sinceMs: undefined }, state: 'running', natural: 'running', stampMs: STAMP }))).toBe(STAMP);
    expect(appSince(input({ previous: { state: 'starting', sinceMs: undefined }, state: 'starting', natural: 'stopped', stampMs: STAMP }))).toBeUndefined();
  });
});

describe('AppTracker: since from the facts it is given', () => {
  const INACTIVE_FRESH = { loadState: 'loaded', activeState: 'inactive', subState: 'dead', job: null, stateChangeUsec: 0, timeoutStartUsec: 90_000_000, timeoutStopUsec: 20_000_000 } as const;

  it('an app stopped through us, read from a unit loaded afresh: the intent\'s `at`, the same on every new look', () => {
    for (const now of [T0, T0 + 60_000]) {
      const t = new AppTracker({ id: 'lnd', name: 'LND', unit: 'lnd.service' }, () => now);
      t.setIntent('stopped', new Date(STOPPED_AT).toISOString());
      t.applyProps(1, INACTIVE_FRESH, 'snapshot');
      expect(t.recompute()?.status).toMatchObject({ state: 'stopped', since: new Date(STOPPED_AT).toISOString(), intent: 'stopped' });
    }
  });

  it('an app never started (or stopped outside us), read from a unit loaded afresh: no since, and no deadline made up', () => {
    const t = new AppTracker({ id: 'lnd', name: 'LND', unit: 'lnd.service' }, () => T0);
    t.applyProps(1, INACTIVE_FRESH, 'snapshot');
    const s = t.recompute()!.status;
    expect(s.state).toBe('stopped');
    expect('since' in s).toBe(false);
    // A start intent (or an intent record without a time) says nothing of when it stopped.
    const u = new AppTracker({ id: 'lnd', name: 'LND', unit: 'lnd.service' }, () => T0);
    u.setIntent('running', new Date(STOPPED_AT).toISOString());
    u.applyProps(1, INACTIVE_FRESH, 'snapshot');
    expect(u.recompute()!.status.since).toBeUndefined();
    const v = new AppTracker({ id: 'lnd', name: 'LND', unit: 'lnd.service' }, () => T0);
    v.setIntent('stopped', '');
    v.applyProps(1, INACTIVE_FRESH, 'snapshot');
    expect(v.recompute()!.status.since).toBeUndefined();
    // A start job seen at the first look, still queued: neither its start nor its deadline is known.
    const w = new AppTracker({ id: 'lnd', name: 'LND', unit: 'lnd.service' }, () => T0);
    w.applyProps(1, { ...INACTIVE_FRESH, job: { id: 7, path: '/org/freedesktop/systemd1/job/7', type: 'start' } }, 'snapshot');
    const starting = w.recompute()!.status;
    expect(starting.state).toBe('starting');
    expect(starting.since).toBeUndefined();
    expect(starting.deadline).toBeUndefined();
    // Once systemd runs it (activating, the plain meaning of starting), both count from its own timestamp, as a first
    // look at an activating unit does.
    w.applyProps(2, { activeState: 'activating', subState: 'start', stateChangeUsec: (T0 + 1000) * 1000 }, 'signal');
    expect(w.recompute()?.status).toMatchObject({ state: 'starting', since: new Date(T0 + 1000).toISOString(), deadline: new Date(T0 + 1000 + 90_000).toISOString() });
  });

  it('a change watched after a first look without a time has its exact time', () => {
    const t = new AppTracker({ id: 'lnd', name: 'LND', unit: 'lnd.service' }, () => T0 + 5000);
    t.applyProps(1, INACTIVE_FRESH, 'snapshot');
    expect(t.recompute()!.status.since).toBeUndefined();
    t.applyProps(2, { activeState: 'active', subState: 'running', stateChangeUsec: (T0 + 4000) * 1000 }, 'signal');
    expect(t.recompute()?.status).toMatchObject({ state: 'running', since: new Date(T0 + 4000).toISOString() });
    t.applyProps(3, { activeState: 'inactive', subState: 'dead', stateChangeUsec: (T0 + 4500) * 1000 }, 'signal');
    expect(t.recompute()?.status).toMatchObject({ state: 'stopped', since: new Date(T0 + 4500).toISOString() });
  });

  it('a template app whose every instance the user stopped on its own: the record\'s `at` (the last of those stops)', () => {
    const ref = { id: 'ix', name: 'Indexer', unit: 'ix.service', containers: [{ name: '1', unit: 'ix@1.service' }, { name: '2', unit: 'ix@2.service' }] };
    const at = new Date(STOPPED_AT).toISOString();
    const look = (stopped: string[]) => {
      const t = new AppTracker(ref, () => T0);
      t.setIntent('running', at);
      t.setStopped(stopped);
      t.applyProps(1, { ...INACTIVE_FRESH, activeState: 'active', subState: 'exited', stateChangeUsec: STAMP * 1000 }, 'snapshot');
      for (const u of ['ix@1.service', 'ix@2.service']) t.unit(u)!.applyProps(1, INACTIVE_FRESH, 'snapshot');
      return t.recompute()!.status;
    };
    expect(look(['1', '2'])).toMatchObject({ state: 'stopped', since: at });
    // One of two stopped on its own: the app's state is the other's, whose stop the record does not date.
    expect(look(['2'])).toMatchObject({ state: 'stopped' });
    expect(look(['2']).since).toBeUndefined();
  });
});
