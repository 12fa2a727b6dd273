import { describe, expect, it } from 'vitest';
import { delayAfter, describeFailure, endedByUser, MAX_UPDATE_ATTEMPTS, recordFailure, retryDecision, retryStatus } from '../../src/reconcile/backoff.js';

// The back-off of a revision that failed its health gate (docs/reconcile.md, "Back-off"): pure, clock passed in.

const T0 = Date.parse('2026-12-01T14:00:00.000Z');
const REASON = 'ac.service did not stay up (failed/failed, result exit-code)';

describe('delayAfter: 10 s doubling to 5 min', () => {
  it.each([
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [4, 80_000],
    [5, 160_000],
    [6, 300_000],
    [60, 300_000],
  ])('attempt %i → %i ms', (attempt, ms) => expect(delayAfter(attempt)).toBe(ms));
});

describe('recordFailure', () => {
  it('an update that rolled back onto its last-good files is bounded: the last attempt schedules none', () => {
    expect(recordFailure('h', 1, REASON, true, T0)).toEqual({ hash: 'h', attempt: 1, maxAttempts: MAX_UPDATE_ATTEMPTS, at: '2026-12-01T14:00:00.000Z', nextAt: '2026-12-01T14:00:10.000Z', lastFailure: REASON, rolledBack: true });
    const last = recordFailure('h', MAX_UPDATE_ATTEMPTS, REASON, true, T0);
    expect(last.nextAt).toBeUndefined();
    expect(describeFailure('ac', last)).toBe(`ac failed 5 of 5 attempts (last failure: ${REASON}); running its last-good files; waiting for a changed manifest or a start`);
  });

  it('nothing good running (an install, a rollback that did not come up) retries without bound at the capped delay', () => {
    const f = recordFailure('h', 40, REASON, false, T0);
    expect(f.maxAttempts).toBeUndefined();
    expect(f.nextAt).toBe(new Date(T0 + 300_000).toISOString());
    expect(describeFailure('ac', f)).toBe(`waiting to retry ac (attempt 40, next at 2026-12-01T14:05:00.000Z, last failure: ${REASON})`);
    expect(retryStatus(f)).toEqual({ attempt: 40, nextAt: '2026-12-01T14:05:00.000Z', lastFailure: REASON });
  });
});

describe('retryDecision', () => {
  const app = { id: 'ac', hash: 'h' };
  const rec = (f: ReturnType<typeof recordFailure>) => ({ hash: 'old', units: [], configs: [], failure: f });

  it('no record, or a failure of another revision → a first attempt', () => {
    expect(retryDecision(undefined, app, T0)).toEqual({ kind: 'fresh' });
    expect(retryDecision(rec(recordFailure('other', 3, REASON, true, T0)), app, T0)).toEqual({ kind: 'fresh' });
  });

  it('waits until nextAt, then retries as the next attempt', () => {
    const r = rec(recordFailure('h', 2, REASON, true, T0));
    expect(retryDecision(r, app, T0 + 19_999)).toEqual({ kind: 'wait', retryAt: '2026-12-01T14:00:20.000Z', reason: `waiting to retry ac (attempt 2 of 5, next at 2026-12-01T14:00:20.000Z, last failure: ${REASON}); running its last-good files` });
    expect(retryDecision(r, app, T0 + 20_000)).toEqual({ kind: 'retry', attempt: 3 });
  });

  it('attempts used up → waits with no time; a user start after the failure resets it, one before does not', () => {
    const r = rec(recordFailure('h', 5, REASON, true, T0));
    expect(retryDecision(r, app, T0 + 86_400_000)).toMatchObject({ kind: 'wait' });
    expect(retryDecision(r, app, T0 + 86_400_000)).not.toHaveProperty('retryAt');
    expect(retryDecision(r, { ...app, userIntent: { intent: 'running' as const, at: new Date(T0 + 1).toISOString() } }, T0 + 2)).toEqual({ kind: 'fresh' });
    expect(retryDecision(r, { ...app, userIntent: { intent: 'running' as const, at: new Date(T0 - 1).toISOString() } }, T0 + 2)).toMatchObject({ kind: 'wait' });
  });

  it('a user stop after the failure ends the back-off at once (no hold until nextAt); one before does not', () => {
    const r = rec(recordFailure('h', 2, REASON, false, T0));
    const stopped = (at: number) => ({ ...app, userIntent: { intent: 'stopped' as const, at: new Date(at).toISOString() } });
    expect(retryDecision(r, stopped(T0 + 1), T0 + 2)).toEqual({ kind: 'fresh' });
    expect(retryDecision(r, stopped(T0 - 1), T0 + 2)).toMatchObject({ kind: 'wait', retryAt: '2026-12-01T14:00:20.000Z' });
    expect(endedByUser(r.failure, { at: new Date(T0 + 1).toISOString() })).toBe(true);
    expect(endedByUser(r.failure, undefined)).toBe(false);
  });
});
