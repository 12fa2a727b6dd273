import { describe, expect, it } from 'vitest';
import type { AppState, AppStatus } from '../../src/controller/types.js';
import type { LinkStatus } from '../../src/systemd/types.js';
import { applyClick, applySnapshot, type Model } from '../../src/web/public/ui-logic.js';
import { announcements, clockDuration, countdownLine } from '../../src/web/public/ui-words.js';

const T0 = Date.parse('2026-12-01T14:00:00.000Z');
const status = (id: string, state: AppState, extra: Partial<AppStatus> = {}): AppStatus => ({ id, name: id.toUpperCase(), unit: `${id}.service`, state, since: '2026-12-01T13:00:00.000Z', ...extra });
const snapshot = (apps: AppStatus[], seq = 1): Model => applySnapshot({ epoch: undefined, entries: {} }, { epoch: 'e1', seq, apps });

describe('clockDuration: m:ss, h:mm:ss from an hour on, whole seconds rounded up', () => {
  it.each([
    [0, '0:00'],
    [-5_000, '0:00'],
    [200, '0:01'],
    [1_000, '0:01'],
    [59_001, '1:00'],
    [582_000, '9:42'],
    [3_599_000, '59:59'],
    [3_600_000, '1:00:00'],
    [3_661_000, '1:01:01'],
  ])('%i ms → %s', (ms, text) => expect(clockDuration(ms)).toBe(text));
});

describe('countdownLine: a transitional state counts down to systemd\'s deadline', () => {
  const deadline = new Date(T0 + 582_000).toISOString();
  it('reads "Stopping… up to 9:42", and less a second later', () => {
    expect(countdownLine({ state: 'stopping', deadline }, T0)).toBe('Stopping… up to 9:42');
    expect(countdownLine({ state: 'stopping', deadline }, T0 + 1_000)).toBe('Stopping… up to 9:41');
    expect(countdownLine({ state: 'starting', deadline }, T0 + 581_500)).toBe('Starting… up to 0:01');
  });
  it('says when the time limit has passed', () => {
    expect(countdownLine({ state: 'restarting', deadline }, T0 + 582_000)).toBe('Restarting… time limit reached');
  });
  it('is empty for a settled state, a state without a deadline, and an unknown one', () => {
    expect(countdownLine({ state: 'running', deadline }, T0)).toBe('');
    expect(countdownLine({ state: 'stopping' }, T0)).toBe('');
    expect(countdownLine({ state: 'unknown' }, T0)).toBe('');
    expect(countdownLine({ state: 'stopping', deadline: 'not a time' }, T0)).toBe('');
  });
});

describe('announcements: every change of a shown state, once', () => {
  it('says nothing about apps seen for the first time', () => {
    const said = announcements({}, snapshot([status('a', 'running'), status('b', 'stopped')]), undefined);
    expect(said).toEqual({ labels: { a: 'Running', b: 'Stopped' }, messages: [] });
  });

  it('says each app whose state changed, by its name, and nothing for the others', () => {
    const first = announcements({}, snapshot([status('a', 'running'), status('b', 'stopped')]), undefined);
    const next = announcements(first.labels, snapshot([status('a', 'stopping'), status('b', 'stopped')], 2), undefined);
    expect(next.messages).toEqual(['A: Stopping']);
    expect(announcements(next.labels, snapshot([status('a', 'stopping'), status('b', 'stopped')], 3), undefined).messages).toEqual([]);
  });

  it('says a click\'s transitional state at once (the state shown, not the server\'s)', () => {
    const m = snapshot([status('a', 'running')]);
    const clicked: Model = { ...m, entries: { a: applyClick(m.entries.a!, 'stop') } };
    expect(announcements({ a: 'Running' }, clicked, undefined).messages).toEqual(['A: Stopping']);
  });

  it('while systemd is unreachable says nothing per app (the banner does), and each app once it is back', () => {
    const down: LinkStatus = { state: 'unreachable', address: 'unix:path=/run/dbus/system_bus_socket', since: '2026-12-01T14:00:00.000Z' };
    const m = snapshot([status('a', 'running')]);
    const gone = announcements({ a: 'Running' }, m, down);
    expect(gone).toEqual({ labels: { a: 'Unknown' }, messages: [] });
    expect(announcements(gone.labels, m, undefined).messages).toEqual(['A: Running']);
  });
});
