import { describe, expect, it } from 'vitest';
import { deriveAppState } from '../../src/controller/app-state.js';
import { deriveState, inCrashLoop } from '../../src/controller/state.js';
import { AppTracker } from '../../src/controller/tracker.js';

// A crash loop from systemd's own properties (NRestarts, ExecMainCode/ExecMainStatus, Result, the auto-restart
// sub-states), in the pure derivation and the tracker.

const T0 = 1_700_000_000_000;
const usec = (ms: number): number => ms * 1000;
const JOB = (id: number, type?: string) => ({ id, path: `/org/freedesktop/systemd1/job/${id}`, ...(type ? { type } : {}) });
const loaded = { loadState: 'loaded' };

describe('deriveState: crash-loop', () => {
  it('an auto-restart sub-state is a crash loop, also with its own start job queued', () => {
    expect(deriveState({ ...loaded, activeState: 'failed', subState: 'failed-before-auto-restart', result: 'exit-code' }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'inactive', subState: 'dead-before-auto-restart' }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart', nRestarts: 0 }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart-queued', nRestarts: 1, jobType: 'start' }).state).toBe('crash-loop');
  });

  it('on its way down and up again with NRestarts > 0 and no job but its start', () => {
    expect(deriveState({ ...loaded, activeState: 'deactivating', subState: 'stop-post', nRestarts: 2 }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'start', nRestarts: 2, jobType: 'start' }).state).toBe('crash-loop');
  });

  it("the user's stop and restart decide first; up, stopped and failed stay what they are", () => {
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart', nRestarts: 3, jobType: 'stop' }).state).toBe('stopping');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart', nRestarts: 3, jobType: 'restart' }).state).toBe('restarting');
    expect(deriveState({ ...loaded, activeState: 'active', subState: 'running', nRestarts: 3 }).state).toBe('running');
    expect(deriveState({ ...loaded, activeState: 'inactive', subState: 'dead', nRestarts: 3 }).state).toBe('stopped');
    expect(deriveState({ ...loaded, activeState: 'failed', subState: 'failed', result: 'start-limit-hit', nRestarts: 5 })).toEqual({ state: 'failed', reason: 'start-limit-hit' });
  });

  it('without restarts, activating and deactivating keep their meaning', () => {
    expect(inCrashLoop({ ...loaded, activeState: 'activating', subState: 'start', nRestarts: 0, jobType: 'start' })).toBe(false);
    expect(deriveState({ ...loaded, activeState: 'deactivating', subState: 'stop-sigterm', nRestarts: 0 }).state).toBe('stopping');
  });

  it('an app of several containers: a looping container makes the app crash-loop, naming it', () => {
    const up = { ...loaded, activeState: 'active', subState: 'running' };
    const d = deriveAppState({
      unit: 'shop.service',
      facts: { ...loaded, activeState: 'active', subState: 'exited' },
      containers: [
        { name: 'db', unit: 'shop-db.service', facts: up },
        { name: 'api', unit: 'shop-api.service', facts: { ...loaded, activeState: 'activating', subState: 'auto-restart', nRestarts: 1 } },
      ],
    });
    expect(d).toMatchObject({ state: 'crash-loop', reason: 'api' });
  });
});

/** A tracker of one unit that systemd takes round its restart cycle `n` times, exit status 1, 2 s apart. */
function looping(n: number): { t: AppTracker; seq: number } {
  const t = new AppTracker({ id: 'app', name: 'App', unit: 'app.service' }, () => T0);
  let seq = 1;
  t.applyProps(seq++, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null, nRestarts: 0, execMainCode: 0, execMainStatus: 0, result: 'success', stateChangeUsec: usec(T0) }, 'snapshot');
  t.recompute();
  for (let i = 0; i < n; i++) {
    const at = T0 + 2000 * (i + 1);
    // The Service interface's changes come before the Unit interface's (systemd sends them in that order).
    t.applyProps(seq++, { result: 'exit-code', execMainCode: 1, execMainStatus: 1 }, 'signal');
    t.applyProps(seq++, { activeState: 'deactivating', subState: 'stop-post', stateChangeUsec: usec(at - 500) }, 'signal');
    t.recompute();
    // systemd 257: failed for a moment before auto-restart (seen on the test host).
    t.applyProps(seq++, { activeState: 'failed', subState: 'failed-before-auto-restart', stateChangeUsec: usec(at - 100) }, 'signal');
    expect(t.recompute()?.status.state ?? t.status().state).toBe('crash-loop');
    t.applyProps(seq++, { activeState: 'activating', subState: 'auto-restart', stateChangeUsec: usec(at) }, 'signal');
    t.recompute();
    t.applyProps(seq++, { nRestarts: i + 1 }, 'signal');
    t.applyProps(seq++, { subState: 'auto-restart-queued' }, 'signal');
    t.jobQueued(seq++, JOB(100 + i, 'start'));
    t.recompute();
    // The new run: systemd resets Result and the main process's exit.
    t.applyProps(seq++, { result: 'success', execMainCode: 0, execMainStatus: 0 }, 'signal');
    t.applyProps(seq++, { subState: 'start' }, 'signal');
    t.recompute();
  }
  return { t, seq };
}

describe('AppTracker: the crash loop as a person reads it', () => {
  it('crash-loop with the last exit (kept across the new run) and the restart count; no deadline', () => {
    const { t } = looping(4);
    const s = t.status();
    expect(s).toMatchObject({ state: 'crash-loop', reason: 'exited 1, restarted 4×' });
    expect(s.deadline).toBeUndefined();
    expect(s.crashLoop).toEqual({ restarts: 4, since: new Date(T0 + 1900).toISOString(), lastAt: new Date(T0 + 8000).toISOString(), lastExit: { result: 'exit-code', code: 'exited', status: 1 } });
  });

  it("the user's stop: stopping, then stopped with the last failure as a note; a fresh start forgets it", () => {
    const { t, seq } = looping(4);
    t.jobQueued(seq, JOB(200, 'stop'));
    expect(t.recompute()!.status.state).toBe('stopping');
    t.jobRemoved(seq + 1, 200);
    t.applyProps(seq + 2, { activeState: 'inactive', subState: 'dead', job: null }, 'signal');
    const stopped = t.recompute()!.status;
    expect(stopped).toMatchObject({ state: 'stopped', note: 'last failure: exited 1, restarted 4×' });
    // reset-failed before the user's start sets NRestarts to 0: the loop is over.
    t.applyProps(seq + 3, { nRestarts: 0 }, 'signal');
    t.applyProps(seq + 4, { activeState: 'active', subState: 'running' }, 'signal');
    const fresh = t.recompute()!.status;
    expect(fresh.state).toBe('running');
    expect(fresh.note).toBeUndefined();
    expect(fresh.crashLoop).toBeUndefined();
  });

  it('a stop that catches a run starting ends failed in systemd: the user asked for stopped, so it reads stopped', () => {
    const { t, seq } = looping(2);
    t.setIntent('stopped');
    t.jobQueued(seq, JOB(300, 'stop'));
    t.recompute();
    t.jobRemoved(seq + 1, 300);
    t.applyProps(seq + 2, { result: 'exit-code', execMainCode: 1, execMainStatus: 1 }, 'signal');
    t.applyProps(seq + 3, { activeState: 'failed', subState: 'failed', job: null }, 'signal');
    const s = t.recompute()!.status;
    expect(s).toMatchObject({ state: 'stopped', note: 'last failure: exited 1, restarted 2×' });
    expect(s.reason).toBeUndefined();
    // Without the user's stop, a loop systemd ends (start-limit-hit) stays failed, with the note.
    const other = looping(2).t;
    other.applyProps(1000, { result: 'start-limit-hit' }, 'signal');
    other.applyProps(1001, { activeState: 'failed', subState: 'failed', job: null }, 'signal');
    expect(other.recompute()!.status).toMatchObject({ state: 'failed', reason: 'start-limit-hit', note: 'last failure: exited 1, restarted 2×' });
  });

  it('a signal kill reads as such', () => {
    const t = new AppTracker({ id: 'app', name: 'App', unit: 'app.service' }, () => T0);
    t.applyProps(1, { loadState: 'loaded', result: 'signal', execMainCode: 2, execMainStatus: 9, nRestarts: 0 }, 'snapshot');
    t.applyProps(2, { activeState: 'activating', subState: 'auto-restart', stateChangeUsec: usec(T0) }, 'signal');
    expect(t.recompute()!.status).toMatchObject({ state: 'crash-loop', reason: 'killed by signal 9, restarted 0×', crashLoop: { lastExit: { result: 'signal', code: 'killed', status: 9 } } });
  });
});
