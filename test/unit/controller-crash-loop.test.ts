import { describe, expect, it } from 'vitest';
import { deriveAppState } from '../../src/controller/app-state.js';
import { deriveState, inCrashLoop, type UnitFacts } from '../../src/controller/state.js';
import { AppTracker } from '../../src/controller/tracker.js';
import type { AppState } from '../../src/controller/types.js';
import { LOOP_WINDOW_MS } from '../../src/controller/unit-tracker.js';

// A crash loop from systemd's own properties (the auto-restart sub-states, ExecMainCode/ExecMainStatus, Result,
// NRestarts for a reset) and the tracker's count of restart cycles, in the pure derivation and the tracker.

const T0 = 1_700_000_000_000;
const usec = (ms: number): number => ms * 1000;
const JOB = (id: number, type?: string) => ({ id, path: `/org/freedesktop/systemd1/job/${id}`, ...(type ? { type } : {}) });
const loaded = { loadState: 'loaded' };

describe('deriveState: crash-loop', () => {
  it("systemd's second restart in a loop or later is a crash loop, also with its own start job queued", () => {
    expect(deriveState({ ...loaded, activeState: 'failed', subState: 'failed-before-auto-restart', result: 'exit-code', restartCycles: 2 }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'inactive', subState: 'dead-before-auto-restart', restartCycles: 2 }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart', restartCycles: 3 }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart-queued', restartCycles: 2, jobType: 'start' }).state).toBe('crash-loop');
  });

  it('its first restart (a kill -9, an OOM kill) is systemd bringing it back: starting, whatever ActiveState reads', () => {
    expect(deriveState({ ...loaded, activeState: 'failed', subState: 'failed-before-auto-restart', result: 'signal', restartCycles: 1 }).state).toBe('starting');
    expect(deriveState({ ...loaded, activeState: 'inactive', subState: 'dead-before-auto-restart', restartCycles: 1 }).state).toBe('starting');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart', restartCycles: 1 }).state).toBe('starting');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart-queued', restartCycles: 1, jobType: 'start' }).state).toBe('starting');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'start', restartCycles: 1, jobType: 'start' }).state).toBe('starting');
    expect(deriveState({ ...loaded, activeState: 'deactivating', subState: 'stop-post', restartCycles: 1 }).state).toBe('stopping');
  });

  it('on its way down and up again in a loop, with no job but its start', () => {
    expect(deriveState({ ...loaded, activeState: 'deactivating', subState: 'stop-post', restartCycles: 2 }).state).toBe('crash-loop');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'start', restartCycles: 2, jobType: 'start' }).state).toBe('crash-loop');
  });

  it("the user's stop and restart decide first; up, stopped and failed stay what they are", () => {
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart', restartCycles: 3, jobType: 'stop' }).state).toBe('stopping');
    expect(deriveState({ ...loaded, activeState: 'activating', subState: 'auto-restart', restartCycles: 3, jobType: 'restart' }).state).toBe('restarting');
    expect(deriveState({ ...loaded, activeState: 'active', subState: 'running', restartCycles: 3 }).state).toBe('running');
    expect(deriveState({ ...loaded, activeState: 'inactive', subState: 'dead', restartCycles: 3 }).state).toBe('stopped');
    expect(deriveState({ ...loaded, activeState: 'failed', subState: 'failed', result: 'start-limit-hit', restartCycles: 5 })).toEqual({ state: 'failed', reason: 'start-limit-hit' });
  });

  it('without restarts, activating and deactivating keep their meaning', () => {
    expect(inCrashLoop({ ...loaded, activeState: 'activating', subState: 'start', restartCycles: 0, jobType: 'start' })).toBe(false);
    expect(deriveState({ ...loaded, activeState: 'deactivating', subState: 'stop-sigterm' }).state).toBe('stopping');
  });

  it('an app of several containers: a looping container makes the app crash-loop, naming it; a single restart makes it starting', () => {
    const up = { ...loaded, activeState: 'active', subState: 'running' };
    const app = (api: UnitFacts) =>
      deriveAppState({
        unit: 'shop.service',
        facts: { ...loaded, activeState: 'active', subState: 'exited' },
        containers: [
          { name: 'db', unit: 'shop-db.service', facts: up },
          { name: 'api', unit: 'shop-api.service', facts: api },
        ],
      });
    expect(app({ ...loaded, activeState: 'activating', subState: 'auto-restart', restartCycles: 2 })).toMatchObject({ state: 'crash-loop', reason: 'api' });
    expect(app({ ...loaded, activeState: 'failed', subState: 'failed-before-auto-restart', result: 'signal', restartCycles: 1 }).state).toBe('starting');
  });
});

/**
 * Takes a tracker's unit round systemd's restart cycle once, `at` (ms): the exit (`code`/`status`), stop-post,
 * failed-before-auto-restart, auto-restart, NRestarts + 1 and the queued start job, the new run's start; as seen on
 * the test host (systemd 257). Returns the states read at each step.
 */
function cycle(t: AppTracker, seq: { n: number }, at: number, exit: { code: number; status: number; result: string } = { code: 1, status: 1, result: 'exit-code' }): AppState[] {
  const states: AppState[] = [];
  const read = (): void => void states.push((t.recompute()?.status ?? t.status()).state);
  const restarts = (t.facts()?.restartCycles ?? 0) + 1;
  // The Service interface's changes come before the Unit interface's (systemd sends them in that order).
  t.applyProps(seq.n++, { result: exit.result, execMainCode: exit.code, execMainStatus: exit.status }, 'signal');
  t.applyProps(seq.n++, { activeState: 'deactivating', subState: 'stop-post', stateChangeUsec: usec(at - 500) }, 'signal');
  read();
  // systemd 257: failed for a moment before auto-restart (seen on the test host).
  t.applyProps(seq.n++, { activeState: 'failed', subState: 'failed-before-auto-restart', stateChangeUsec: usec(at - 100) }, 'signal');
  read();
  t.applyProps(seq.n++, { activeState: 'activating', subState: 'auto-restart', stateChangeUsec: usec(at) }, 'signal');
  read();
  t.applyProps(seq.n++, { nRestarts: restarts }, 'signal');
  t.applyProps(seq.n++, { subState: 'auto-restart-queued' }, 'signal');
  t.jobQueued(seq.n++, JOB(seq.n, 'start'));
  read();
  // The new run: systemd resets Result and the main process's exit.
  t.applyProps(seq.n++, { result: 'success', execMainCode: 0, execMainStatus: 0 }, 'signal');
  t.applyProps(seq.n++, { subState: 'start' }, 'signal');
  read();
  return states;
}

/** A tracker of one unit, running, then taken round the restart cycle `n` times 2 s apart (exit status 1), each new run but the last up for a moment (busybox exiting 1 after a second). */
function looping(n: number): { t: AppTracker; seq: number; states: AppState[][] } {
  const t = new AppTracker({ id: 'app', name: 'App', unit: 'app.service' }, () => T0);
  const seq = { n: 1 };
  t.applyProps(seq.n++, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null, nRestarts: 0, execMainCode: 0, execMainStatus: 0, result: 'success', stateChangeUsec: usec(T0) }, 'snapshot');
  t.recompute();
  const states: AppState[][] = [];
  for (let i = 0; i < n; i++) {
    const at = T0 + 2000 * (i + 1);
    // The last run is left starting: the loop is going on.
    states.push(i < n - 1 ? [...cycle(t, seq, at), up(t, seq, at + 500)] : cycle(t, seq, at));
  }
  return { t, seq: seq.n, states };
}

/** Brings a tracker's unit up (active/running) at `at` (ms), the start job done. */
function up(t: AppTracker, seq: { n: number }, at: number): AppState {
  const job = t.jobInFlight();
  if (job) t.jobRemoved(seq.n++, job.id);
  t.applyProps(seq.n++, { activeState: 'active', subState: 'running', stateChangeUsec: usec(at), job: null }, 'signal');
  return (t.recompute()?.status ?? t.status()).state;
}

describe('AppTracker: the crash loop as a person reads it', () => {
  it('the first restart reads stopping, then starting; from the second on, every sub-state of the cycle reads crash-loop', () => {
    const { states } = looping(4);
    expect(states[0]).toEqual(['stopping', 'starting', 'starting', 'starting', 'starting', 'running']);
    // The second exit's stop-post is not known to be a restart yet (counted once it enters auto-restart).
    expect(states[1]).toEqual(['stopping', 'crash-loop', 'crash-loop', 'crash-loop', 'crash-loop', 'running']);
    // Up for a moment between two exits: systemd says active, so it reads running; its way down again is the loop.
    for (const s of states.slice(2, -1)) expect(s).toEqual(['crash-loop', 'crash-loop', 'crash-loop', 'crash-loop', 'crash-loop', 'running']);
    expect(states.at(-1)).toEqual(['crash-loop', 'crash-loop', 'crash-loop', 'crash-loop', 'crash-loop']);
  });

  it('crash-loop with the last exit (kept across the new run) and the restart count; no deadline', () => {
    const { t } = looping(4);
    const s = t.status();
    expect(s).toMatchObject({ state: 'crash-loop', reason: 'exited 1, restarted 4×' });
    expect(s.deadline).toBeUndefined();
    expect(s.crashLoop).toEqual({ restarts: 4, since: new Date(T0 + 1900).toISOString(), lastAt: new Date(T0 + 8000).toISOString(), lastExit: { result: 'exit-code', code: 'exited', status: 1 } });
  });

  it('one kill -9 and systemd brings it back: starting, then running; no loop, no note', () => {
    const t = new AppTracker({ id: 'app', name: 'App', unit: 'app.service' }, () => T0);
    const seq = { n: 1 };
    t.applyProps(seq.n++, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null, nRestarts: 0, stateChangeUsec: usec(T0) }, 'snapshot');
    expect(cycle(t, seq, T0 + 2000, { code: 2, status: 9, result: 'signal' })).not.toContain('crash-loop');
    const s = t.recompute()?.status ?? t.status();
    expect(up(t, seq, T0 + 3000)).toBe('running');
    expect(t.status().crashLoop).toBeUndefined();
    expect(s.note).toBeUndefined();
    // Another kill within the window: systemd restarting it again is a loop, read in a person's words.
    expect(cycle(t, seq, T0 + 30_000, { code: 2, status: 9, result: 'signal' }).slice(1)).toEqual(['crash-loop', 'crash-loop', 'crash-loop', 'crash-loop']);
    expect(t.status()).toMatchObject({ state: 'crash-loop', reason: 'killed by signal 9, restarted 2×', crashLoop: { lastExit: { result: 'signal', code: 'killed', status: 9 } } });
  });

  it(`kills further apart than ${LOOP_WINDOW_MS / 60_000} min are separate incidents, each a single restart, though NRestarts keeps counting`, () => {
    const t = new AppTracker({ id: 'app', name: 'App', unit: 'app.service' }, () => T0);
    const seq = { n: 1 };
    t.applyProps(seq.n++, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null, nRestarts: 7, stateChangeUsec: usec(T0) }, 'snapshot');
    let at = T0;
    for (let i = 0; i < 3; i++) {
      at += LOOP_WINDOW_MS + 60_000;
      expect(cycle(t, seq, at)).not.toContain('crash-loop');
      expect(up(t, seq, at + 1000)).toBe('running');
    }
  });

  it("the user's stop: stopping, then stopped with the last failure as a note; the user's start forgets it", () => {
    const { t, seq } = looping(4);
    t.jobQueued(seq, JOB(200, 'stop'));
    expect(t.recompute()!.status.state).toBe('stopping');
    t.jobRemoved(seq + 1, 200);
    t.applyProps(seq + 2, { activeState: 'inactive', subState: 'dead', job: null }, 'signal');
    const stopped = t.recompute()!.status;
    expect(stopped).toMatchObject({ state: 'stopped', note: 'last failure: exited 1, restarted 4×' });
    // The controller forgets the loop as the user starts it (NRestarts still says 4 until systemd runs the start).
    t.forgetCrash();
    t.jobQueued(seq + 3, JOB(201, 'start'));
    const starting = t.recompute()!.status;
    expect(starting.state).toBe('starting');
    expect(starting.note).toBeUndefined();
    expect(starting.crashLoop).toBeUndefined();
  });

  it("a start of the user's in the middle of a loop: starting; the loop counts again from its next restart", () => {
    const { t, seq } = looping(3);
    const s = { n: seq };
    t.forgetCrash();
    t.jobQueued(s.n++, JOB(300, 'start'));
    expect(t.recompute()!.status.state).toBe('starting');
    // systemd runs the start from auto-restart; the run exits again: a first restart after the user's start.
    expect(cycle(t, s, T0 + 20_000)).not.toContain('crash-loop');
    expect(cycle(t, s, T0 + 22_000).slice(1)).toEqual(['crash-loop', 'crash-loop', 'crash-loop', 'crash-loop']);
    expect(t.status().reason).toBe('exited 1, restarted 2×');
  });

  it('systemd counting from 0 again outside auto-restart (reset-failed by a pass) ends the loop', () => {
    const { t, seq } = looping(3);
    t.applyProps(seq, { nRestarts: 0 }, 'signal');
    t.applyProps(seq + 1, { activeState: 'active', subState: 'running' }, 'signal');
    expect(t.recompute()!.status).toMatchObject({ state: 'running' });
    expect(t.status().crashLoop).toBeUndefined();
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
  });

  it('a loop systemd gives up on (its start limit, straight from auto-restart to failed, Result still exit-code): failed, start-limit-hit, with the note', () => {
    const { t, seq } = looping(2);
    const s = { n: seq };
    up(t, s, T0 + 6000);
    // The third exit: stop-post, auto-restart, the restart's start job queued; then systemd refuses it (as seen on
    // the test host with StartLimitBurst=3: "Start request repeated too quickly", Result=exit-code, SubState failed).
    t.applyProps(s.n++, { result: 'exit-code', execMainCode: 1, execMainStatus: 1 }, 'signal');
    t.applyProps(s.n++, { activeState: 'deactivating', subState: 'stop-post', stateChangeUsec: usec(T0 + 7000) }, 'signal');
    t.applyProps(s.n++, { activeState: 'failed', subState: 'failed-before-auto-restart', stateChangeUsec: usec(T0 + 7100) }, 'signal');
    t.applyProps(s.n++, { activeState: 'activating', subState: 'auto-restart', stateChangeUsec: usec(T0 + 7200) }, 'signal');
    t.applyProps(s.n++, { nRestarts: 3 }, 'signal');
    t.jobQueued(s.n++, JOB(400, 'start'));
    t.applyProps(s.n++, { subState: 'auto-restart-queued' }, 'signal');
    expect(t.recompute()!.status.state).toBe('crash-loop');
    t.jobRemoved(s.n++, 400);
    t.applyProps(s.n++, { activeState: 'failed', subState: 'failed', stateChangeUsec: usec(T0 + 8200), job: null }, 'signal');
    expect(t.recompute()!.status).toMatchObject({ state: 'failed', reason: 'start-limit-hit', note: 'last failure: exited 1, restarted 3×' });
    // A run that fails for good on its own (no Restart= left to apply) keeps systemd's Result.
    const other = looping(2);
    other.t.applyProps(other.seq, { result: 'exit-code', execMainCode: 1, execMainStatus: 1 }, 'signal');
    other.t.applyProps(other.seq + 1, { activeState: 'failed', subState: 'failed', job: null }, 'signal');
    expect(other.t.recompute()!.status).toMatchObject({ state: 'failed', reason: 'exit-code', note: 'last failure: exited 1, restarted 2×' });
  });
});
