import { describe, expect, it } from 'vitest';
import { APP_STATES, type AppState, type AppStatus, type StateEvent } from '../../src/controller/types.js';
import {
  applyAccepted,
  applyClick,
  applyEvent,
  applyRejected,
  applyResync,
  applyServerStatus,
  applySnapshot,
  displayed,
  newEntry,
  primaryButton,
  restartVisible,
  type Entry,
} from '../../src/web/public/ui-logic.js';

const status = (state: AppState, extra: Partial<AppStatus> = {}): AppStatus => ({
  id: 'lnd',
  name: 'LND',
  unit: 'lnd.service',
  state,
  since: '2025-01-01T00:00:00.000Z',
  ...extra,
});

describe('primaryButton: the table of the UI spec', () => {
  const table: Array<[AppState, string | null, string, boolean, boolean]> = [
    // state, action, label, spinner, disabled
    ['not-installed', 'install', 'Install', false, false],
    ['running', 'stop', 'Stop', false, false],
    ['stopped', 'start', 'Start', false, false],
    ['starting', null, 'Starting…', true, true],
    ['stopping', null, 'Stopping…', true, true],
    ['restarting', null, 'Restarting…', true, true],
    ['installing', null, 'Installing…', true, true],
    ['updating', null, 'Updating…', true, true],
    ['removing', null, 'Removing…', true, true],
    ['failed', 'start', 'Start', false, false],
  ];
  it('covers every state of the vocabulary', () => {
    expect(table.map((r) => r[0]).sort()).toEqual([...APP_STATES].sort());
  });
  it.each(table)('%s → %s %s spinner=%s disabled=%s', (state, action, label, spinner, disabled) => {
    expect(primaryButton(state)).toEqual({ action, label, spinner, disabled, showReason: state === 'failed' });
  });
  it('shows Restart only while running', () => {
    expect(APP_STATES.filter(restartVisible)).toEqual(['running']);
  });
});

describe('optimistic state', () => {
  const running = newEntry(status('running'), 10);

  it('shows the transitional label at the click, before any answer', () => {
    const e = applyClick(running, 'stop');
    expect(displayed(e).state).toBe('stopping');
  });

  it('ignores a running event that arrives before the 202 answer, and one that predates it', () => {
    let e: Entry = applyClick(running, 'stop');
    e = applyServerStatus(e, status('running'), 11); // arrives before the answer
    expect(displayed(e).state).toBe('stopping');
    e = applyAccepted(e, { seq: 12, status: status('stopping') });
    expect(displayed(e).state).toBe('stopping');
    e = applyServerStatus(e, status('running'), 12); // not later than the answer
    expect(displayed(e).state).toBe('stopping');
  });

  it('is replaced by the first status of a later seq than the answer', () => {
    let e: Entry = applyClick(running, 'stop');
    e = applyAccepted(e, { seq: 12, status: status('stopping', { deadline: '2025-01-01T00:01:30.000Z' }) });
    expect(displayed(e).deadline).toBe('2025-01-01T00:01:30.000Z');
    e = applyServerStatus(e, status('stopping'), 13);
    expect(displayed(e).state).toBe('stopping');
    e = applyServerStatus(e, status('stopped'), 20);
    expect(e.optimistic).toBeUndefined();
    expect(displayed(e).state).toBe('stopped');
  });

  it('counts a later status that arrived before the answer', () => {
    let e: Entry = applyClick(running, 'stop');
    e = applyServerStatus(e, status('stopped'), 15);
    expect(displayed(e).state).toBe('stopping');
    e = applyAccepted(e, { seq: 12, status: status('stopping') });
    expect(displayed(e).state).toBe('stopped');
  });

  it('takes a settled answer at once (the job had nothing to do)', () => {
    let e: Entry = applyClick(newEntry(status('stopped'), 10), 'stop');
    e = applyAccepted(e, { seq: 10, status: status('stopped') });
    expect(e.optimistic).toBeUndefined();
    expect(displayed(e).state).toBe('stopped');
  });

  it('never shows running between a stop click and the stopped event (any interleaving)', () => {
    // Server truth: running at 10 (before the click), the 202 at seq 11, stopping at 12, stopped at 13.
    const stale = { seq: 10, status: status('running') };
    const later = [
      { seq: 12, status: status('stopping') },
      { seq: 13, status: status('stopped') },
    ];
    for (let answerAt = 0; answerAt <= 3; answerAt++) {
      const seen: AppState[] = [];
      let e: Entry = applyClick(newEntry(status('running'), 9), 'stop');
      const deliveries = [stale, ...later];
      deliveries.forEach((d, i) => {
        if (i === answerAt) e = applyAccepted(e, { seq: 11, status: status('stopping') });
        e = applyServerStatus(e, d.status, d.seq);
        seen.push(displayed(e).state);
      });
      if (answerAt === 3) {
        e = applyAccepted(e, { seq: 11, status: status('stopping') });
        seen.push(displayed(e).state);
      }
      expect(seen).not.toContain('running');
      expect(seen[seen.length - 1]).toBe('stopped');
    }
  });

  it('restart: Restarting… until a later running event', () => {
    let e: Entry = applyClick(running, 'restart');
    expect(primaryButton(displayed(e).state).label).toBe('Restarting…');
    e = applyAccepted(e, { seq: 11, status: status('restarting') });
    e = applyServerStatus(e, status('running'), 11);
    expect(primaryButton(displayed(e).state).label).toBe('Restarting…');
    e = applyServerStatus(e, status('restarting'), 12);
    e = applyServerStatus(e, status('running'), 14);
    expect(primaryButton(displayed(e).state).label).toBe('Stop');
  });

  it('ignores a settled answer that is no outcome of the action (running for a stop)', () => {
    let e: Entry = applyClick(running, 'stop');
    e = applyAccepted(e, { seq: 12, status: status('running') });
    expect(displayed(e).state).toBe('stopping');
    e = applyServerStatus(e, status('running'), 12);
    expect(displayed(e).state).toBe('stopping');
    e = applyServerStatus(e, status('stopping'), 13);
    expect(displayed(e).state).toBe('stopping');
    let r: Entry = applyAccepted(applyClick(running, 'restart'), { seq: 12, status: status('running') });
    expect(displayed(r).state).toBe('restarting');
    r = applyServerStatus(r, status('running'), 15);
    expect(displayed(r).state).toBe('running');
  });

  it('restart: keeps Restarting… through the stop and start halves', () => {
    let e: Entry = applyAccepted(applyClick(running, 'restart'), { seq: 11, status: status('restarting') });
    for (const [state, seq] of [['stopping', 12], ['starting', 13]] as const) {
      e = applyServerStatus(e, status(state), seq);
      expect(primaryButton(displayed(e).state).label).toBe('Restarting…');
    }
    e = applyServerStatus(e, status('running'), 14);
    expect(primaryButton(displayed(e).state).label).toBe('Stop');
  });

  it('a later transitional state of another operation replaces the label', () => {
    let e: Entry = applyAccepted(applyClick(running, 'stop'), { seq: 11, status: status('stopping') });
    e = applyServerStatus(e, status('removing'), 12);
    expect(primaryButton(displayed(e).state).label).toBe('Removing…');
  });

  it('drops the optimistic state when the call fails', () => {
    const e = applyRejected(applyClick(running, 'stop'));
    expect(displayed(e).state).toBe('running');
  });

  it('resync: the server status after the answer settles a click no event followed', () => {
    let e: Entry = applyClick(newEntry(status('stopped'), 10), 'start');
    e = applyResync(e, status('stopped'), 30); // no answer yet: recorded, not shown
    expect(displayed(e).state).toBe('starting');
    e = applyAccepted(e, { seq: 31, status: status('starting') });
    e = applyResync(e, status('failed', { reason: 'exit-code' }), 31);
    expect(displayed(e)).toMatchObject({ state: 'failed', reason: 'exit-code' });
  });
});

describe('model: snapshots and events', () => {
  const ev = (seq: number, state: AppState, id = 'lnd'): StateEvent => ({ seq, status: status(state, { id, name: id }) });

  it('adds apps from events, drops apps missing from a snapshot', () => {
    let m = applySnapshot({ epoch: undefined, entries: {} }, { epoch: 'a', seq: 5, apps: [status('running')] });
    m = applyEvent(m, ev(6, 'stopped', 'btc'));
    expect(Object.keys(m.entries).sort()).toEqual(['btc', 'lnd']);
    m = applySnapshot(m, { epoch: 'a', seq: 7, apps: [status('running')] });
    expect(Object.keys(m.entries)).toEqual(['lnd']);
  });

  it('keeps an optimistic state across a same-epoch snapshot, drops it on a new epoch', () => {
    let m = applySnapshot({ epoch: undefined, entries: {} }, { epoch: 'a', seq: 5, apps: [status('running')] });
    m = { ...m, entries: { lnd: applyAccepted(applyClick(m.entries.lnd!, 'stop'), { seq: 6, status: status('stopping') }) } };
    const same = applySnapshot(m, { epoch: 'a', seq: 6, apps: [status('running')] });
    expect(displayed(same.entries.lnd!).state).toBe('stopping');
    const other = applySnapshot(m, { epoch: 'b', seq: 2, apps: [status('stopped')] });
    expect(displayed(other.entries.lnd!).state).toBe('stopped');
  });

  it('ignores an older event than the one held', () => {
    let m = applySnapshot({ epoch: undefined, entries: {} }, { epoch: 'a', seq: 5, apps: [status('running')] });
    m = applyEvent(m, ev(4, 'stopped'));
    expect(m.entries.lnd!.status.state).toBe('running');
  });
});
