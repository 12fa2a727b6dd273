import { describe, expect, it } from 'vitest';
import { APP_STATES, type AppState, type AppStatus, type RetryStatus, type StateEvent } from '../../src/controller/types.js';
import type { LinkStatus } from '../../src/systemd/types.js';
import {
  applyAccepted,
  applyClick,
  applyEvent,
  applyRejected,
  applyResync,
  applyServerStatus,
  applySnapshot,
  containerRows,
  displayed,
  linkBanner,
  linkUp,
  newEntry,
  onionLink,
  primaryButton,
  restartVisible,
  retryLine,
  shownStatus,
  STATE_LABELS,
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
    ['crash-loop', 'stop', 'Stop', false, false],
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

  it('wants what the click asked for at once, before any answer', () => {
    expect(displayed(applyClick(newEntry(status('running', { desired: 'running' }), 10), 'stop')).desired).toBe('stopped');
    expect(displayed(applyClick(newEntry(status('stopped', { desired: 'stopped' }), 10), 'start')).desired).toBe('running');
    expect(displayed(applyClick(newEntry(status('stopped', { desired: 'stopped' }), 10), 'restart')).desired).toBe('running');
    expect(displayed(applyClick(newEntry(status('running', { desired: 'running' }), 10), 'remove')).desired).toBe('absent');
    expect(displayed(applyClick(newEntry(status('not-installed', { desired: 'stopped' }), 10), 'install')).desired).toBe('stopped');
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

  it('a step of the action that arrives before the 202 answer keeps the clicked label, and the back-off hidden', () => {
    const retry: RetryStatus = { attempt: 2, lastFailure: 'lnd.service did not stay up', nextAt: '2025-01-01T00:10:00.000Z' };
    let e: Entry = applyClick(newEntry(status('running', { retry }), 9), 'stop');
    e = applyServerStatus(e, status('stopping', { retry, activeState: 'deactivating' }), 12); // the stream is faster than the answer
    e = applyAccepted(e, { seq: 11, status: status('stopping', { retry }) });
    expect(displayed(e)).toMatchObject({ state: 'stopping', retry: undefined, activeState: 'deactivating' });
    e = applyServerStatus(e, status('stopped', { retry }), 13);
    expect(displayed(e)).toMatchObject({ state: 'stopped', retry });
    // A settled state that came first is the server's word.
    let f: Entry = applyClick(newEntry(status('running'), 9), 'stop');
    f = applyServerStatus(f, status('stopped'), 12);
    f = applyAccepted(f, { seq: 11, status: status('stopping') });
    expect(displayed(f).state).toBe('stopped');
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

// The clock time of an ISO-8601 time in UTC: the browser formats it in its own zone, the tests in a fixed one.
const utc = (iso: string): string => iso.slice(11, 19);

describe('retryLine: the reconciler\'s back-off in words', () => {
  const failure = 'ac.service did not stay up (failed/failed, result exit-code)';
  const retry = (extra: Partial<RetryStatus>): RetryStatus => ({ attempt: 1, lastFailure: failure, ...extra });

  it('nothing when there is no back-off', () => {
    expect(retryLine(undefined, utc)).toBe('');
  });

  it('a rolled-back update waiting to retry: the attempt of how many, when, why, and that the last-good version runs', () => {
    expect(retryLine(retry({ attempt: 3, maxAttempts: 5, nextAt: '2026-12-01T14:02:10.000Z', rolledBack: true }), utc)).toBe(
      'Update failed — waiting to retry (attempt 3 of 5, next at 14:02:10; last failure: ac.service did not stay up (failed/failed, result exit-code)); running its last-good version',
    );
  });

  it('nothing good running (an install): retried without bound, so no "of N"', () => {
    expect(retryLine(retry({ attempt: 2, nextAt: '2026-12-01T14:02:10.000Z' }), utc)).toBe(
      'Failed to come up — retrying (attempt 2, next at 14:02:10; last failure: ac.service did not stay up (failed/failed, result exit-code))',
    );
  });

  it('attempts used up (no next time): what brings it back', () => {
    expect(retryLine(retry({ attempt: 5, maxAttempts: 5, rolledBack: true }), utc)).toBe(
      'Gave up after 5 attempts — waiting for a new revision or a Start (last failure: ac.service did not stay up (failed/failed, result exit-code)); running its last-good version',
    );
    expect(retryLine(retry({ attempt: 1 }), utc)).toMatch(/^Gave up after 1 attempt — /);
  });

  it('the time goes through the formatter it is given', () => {
    expect(retryLine(retry({ nextAt: '2026-12-01T14:02:10.000Z' }), () => 'LATER')).toContain('next at LATER;');
  });

  it('a click in flight hides the back-off with the old reason; the server\'s next status brings it back if it still holds', () => {
    const backing = newEntry(status('running', { retry: retry({ attempt: 1, maxAttempts: 5, nextAt: '2026-12-01T14:02:10.000Z', rolledBack: true }) }), 10);
    expect(displayed(backing).retry?.attempt).toBe(1);
    const clicked = applyClick(backing, 'restart');
    expect(displayed(clicked).retry).toBeUndefined();
  });
});

describe('systemd unreachable: states unknown, never the last guess', () => {
  const down: LinkStatus = {
    state: 'unreachable',
    address: 'unix:path=/run/dbus/system_bus_socket',
    since: '2026-12-01T14:00:00.000Z',
    reason: 'cannot connect to D-Bus at unix:path=/run/dbus/system_bus_socket: connect ENOENT /run/dbus/system_bus_socket',
    attempts: 3,
    nextAttemptAt: '2026-12-01T14:02:10.000Z',
  };
  const up: LinkStatus = { state: 'connected', address: down.address, since: '2026-12-01T14:03:00.000Z' };
  const connecting: LinkStatus = { state: 'connecting', address: down.address, since: '2026-12-01T13:59:00.000Z' };
  const running = newEntry(status('running', { deadline: '2026-12-01T14:05:00.000Z', reason: 'x' }), 10);

  it('a link that is up, or not reported by the server, shows the states as they are', () => {
    expect(linkUp(up)).toBe(true);
    expect(linkUp(undefined)).toBe(true);
    expect(shownStatus(running, up)).toEqual(displayed(running));
    expect(shownStatus(running, undefined)).toEqual(displayed(running));
    expect(linkBanner(up, utc)).toBeUndefined();
  });

  it('unreachable or connecting: every app is unknown (no state, deadline or reason from before), and no action is offered', () => {
    for (const link of [down, connecting]) {
      expect(linkUp(link)).toBe(false);
      expect(shownStatus(running, link)).toEqual({ id: 'lnd', name: 'LND', unit: 'lnd.service', state: 'unknown', since: link.since });
      // Also over a click in flight: its transitional label is a guess too.
      expect(shownStatus(applyClick(running, 'stop'), link).state).toBe('unknown');
    }
    expect(primaryButton('unknown')).toEqual({ action: null, label: 'Waiting for systemd', spinner: false, disabled: true, showReason: false });
    expect(restartVisible('unknown' as AppState)).toBe(false);
    expect(STATE_LABELS.unknown).toBe('Unknown');
  });

  it('the banner says why, when the next attempt is, and that the states are unknown', () => {
    expect(linkBanner(down, utc)).toEqual({
      title: 'systemd unreachable',
      detail:
        'cannot connect to D-Bus at unix:path=/run/dbus/system_bus_socket: connect ENOENT /run/dbus/system_bus_socket. Next attempt at 14:02:10. App states are unknown until it is back.',
    });
    expect(linkBanner({ ...down, nextAttemptAt: undefined, reason: undefined }, utc)?.detail).toBe('Not retrying. App states are unknown until it is back.');
    expect(linkBanner(connecting, utc)).toEqual({ title: 'Connecting to systemd…', detail: 'App states are unknown until it answers.' });
  });
});

describe('containerRows: the detail view of an app of several containers', () => {
  it('one row per container in the app\'s order, its own state, why and what systemd is doing', () => {
    const shop = status('stopping', {
      id: 'shop',
      unit: 'shop.service',
      containers: [
        { name: 'db', unit: 'shop-db.service', state: 'stopping', activeState: 'active', subState: 'running', job: { id: 12, type: 'stop', path: '/org/freedesktop/systemd1/job/12' } },
        { name: 'api', unit: 'shop-api.service', state: 'failed', reason: 'exit-code', activeState: 'failed', subState: 'failed' },
        { name: 'web', unit: 'shop-web.service', state: 'stopped', activeState: 'inactive', subState: 'dead' },
        { name: 'cache', unit: 'shop-cache.service', state: 'running', activeState: 'active', subState: 'running', health: 'unhealthy' },
      ],
    });
    expect(containerRows(shop)).toEqual([
      { name: 'db', unit: 'shop-db.service', state: 'stopping', label: 'Stopping', health: undefined, healthLabel: '', detail: 'stop job 12 · active/running' },
      { name: 'api', unit: 'shop-api.service', state: 'failed', label: 'Failed', health: undefined, healthLabel: '', detail: 'exit-code · failed/failed' },
      { name: 'web', unit: 'shop-web.service', state: 'stopped', label: 'Stopped', health: undefined, healthLabel: '', detail: 'inactive/dead' },
      { name: 'cache', unit: 'shop-cache.service', state: 'running', label: 'Running', health: 'unhealthy', healthLabel: 'Unhealthy', detail: 'active/running' },
    ]);
  });

  it('none for a one-container app, nor while systemd is unreachable', () => {
    expect(containerRows(status('running'))).toEqual([]);
    const entry = newEntry(status('running', { containers: [{ name: 'db', unit: 'x-db.service', state: 'running' }] }), 1);
    expect(containerRows(shownStatus(entry, { state: 'unreachable', address: 'unix:path=/x', since: '2025-01-01T00:00:00.000Z' } as LinkStatus))).toEqual([]);
    expect(containerRows(shownStatus(entry, undefined))).toHaveLength(1);
  });
});

describe('the onion address in the detail view', () => {
  const onion = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion';
  it('shows the address and a link that opens the UI over Tor; nothing for an app without one', () => {
    expect(onionLink(status('running', { onion }))).toEqual({ address: onion, href: `http://${onion}/` });
    expect(onionLink(status('running'))).toBeUndefined();
  });

  it('stays known while systemd is unreachable: it comes from tor\'s file, not from systemd', () => {
    const link = { state: 'unreachable', address: 'unix:path=/x', since: '2025-01-01T00:00:00.000Z' } as LinkStatus;
    expect(shownStatus(newEntry(status('running', { onion }), 1), link)).toMatchObject({ state: 'unknown', onion });
  });
});
