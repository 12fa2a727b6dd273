import { describe, expect, it } from 'vitest';
import type { AppState, AppStatus } from '../../src/controller/types.js';
import type { LinkStatus } from '../../src/systemd/types.js';
import { applyClick, applySnapshot, localTimes, type Model } from '../../src/web/public/ui-logic.js';
import { announcements, clockDuration, countdownLine, crashLoopLine, desiredLine, heldLine, openLink, reasonWords, removeConfirmation, waitingLine } from '../../src/web/public/ui-words.js';

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

describe('openLink: where the Open link goes, from the manifest\'s web:', () => {
  const node = { protocol: 'http:', hostname: 'node.local' };
  const onionUrl = 'http://pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion/';
  it('the published port on the host the page came from, with the path', () => {
    expect(openLink({ port: 3006, path: '/admin/', loopbackOnly: false }, node)).toEqual({ href: 'http://node.local:3006/admin/', label: 'Open' });
    expect(openLink({ port: 3006, path: '/', loopbackOnly: false, onionUrl }, { protocol: 'https:', hostname: '[fd00::1]' })).toEqual({ href: 'https://[fd00::1]:3006/', label: 'Open' });
  });
  it('a UI on loopback only: there when the page is on loopback too, else over Tor, else none', () => {
    const web = { port: 8180, path: '/', loopbackOnly: true };
    expect(openLink(web, { protocol: 'http:', hostname: '127.0.0.1' })).toEqual({ href: 'http://127.0.0.1:8180/', label: 'Open' });
    expect(openLink(web, { protocol: 'http:', hostname: 'localhost' })).toEqual({ href: 'http://localhost:8180/', label: 'Open' });
    expect(openLink({ ...web, onionUrl }, node)).toEqual({ href: onionUrl, label: 'Open over Tor' });
    expect(openLink(web, node)).toBeUndefined();
  });
  it('none without a web UI', () => expect(openLink(undefined, node)).toBeUndefined());
});

describe('removeConfirmation: what goes and that the data stays', () => {
  it('names the app, its units and configs going, its data directories and volumes kept', () => {
    const c = removeConfirmation('Bitcoin Core');
    expect(c.title).toBe('Remove Bitcoin Core?');
    expect(c.confirm).toBe('Remove Bitcoin Core');
    expect(c.body).toMatch(/^Bitcoin Core stops, and its units and the config files .* are removed\. Its data is kept: its data directories and volumes stay on the node/);
  });
});

describe('crashLoopLine: a crash loop said as such', () => {
  const loop = (lastExit: { result: string; code?: 'exited' | 'killed' | 'dumped'; status?: number }, restarts = 4, spanMs = 20_000) => ({
    restarts,
    since: new Date(T0).toISOString(),
    lastAt: new Date(T0 + spanMs).toISOString(),
    lastExit,
  });
  it('reads "Crash loop — exited 1, restarted 4× in 20 s"', () => {
    expect(crashLoopLine(loop({ result: 'exit-code', code: 'exited', status: 1 }))).toBe('Crash loop — exited 1, restarted 4× in 20 s');
  });
  it('says a signal, a core dump, or systemd\'s result', () => {
    expect(crashLoopLine(loop({ result: 'signal', code: 'killed', status: 9 }, 2, 3_000))).toBe('Crash loop — killed by signal 9, restarted 2× in 3 s');
    expect(crashLoopLine(loop({ result: 'core-dump', code: 'dumped', status: 11 }, 30, 600_000))).toBe('Crash loop — dumped core (signal 11), restarted 30× in 10 min');
    expect(crashLoopLine(loop({ result: 'timeout' }, 5, 4 * 3_600_000 + 5 * 60_000))).toBe('Crash loop — timeout, restarted 5× in 4 h 5 min');
  });
});

describe('desiredLine: what is wanted, beside the state, where they differ', () => {
  it.each([
    ['running', 'stopped', 'Wanted: running'],
    ['running', 'failed', 'Wanted: running'],
    ['running', 'not-installed', 'Wanted: running'],
    ['stopped', 'running', 'Wanted: stopped'],
    ['absent', 'running', 'Wanted: not installed'],
    ['running', 'running', ''],
    ['running', 'starting', ''],
    ['running', 'installing', ''],
    ['stopped', 'stopping', ''],
    ['absent', 'removing', ''],
    ['running', 'unknown', ''],
    [undefined, 'stopped', ''],
  ] as const)('desired %s, state %s → %j', (desired, state, line) => expect(desiredLine(desired, state)).toBe(line));
});

describe('waitingLine: the dependency an app waits for', () => {
  it('reads "Waiting for Bitcoin Core (failed)"', () => {
    expect(waitingLine({ name: 'Bitcoin Core', state: 'failed' })).toBe('Waiting for Bitcoin Core (failed)');
    expect(waitingLine({ name: 'Tor', state: 'starting' })).toBe('Waiting for Tor (starting)');
    expect(waitingLine(undefined)).toBe('');
  });
});

describe('one time format: the server\'s ISO-8601 times in the locale\'s words', () => {
  const timeOf = (iso: string): string => `<${new Date(iso).getTime()}>`;
  const AT = '2026-12-01T18:51:21.162Z';
  const REASON = `waiting to retry lnd (attempt 3 of 5, next at ${AT}, last failure: lnd.service did not stay up)`;

  it('localTimes writes each ISO time of a text with timeOf, and leaves the rest', () => {
    expect(localTimes(`at ${AT} and 2026-12-01T18:00:00+01:00; not 2026-12-01`, timeOf)).toBe(`at <${Date.parse(AT)}> and <${Date.parse('2026-12-01T17:00:00Z')}>; not 2026-12-01`);
  });

  it('heldLine: a held app\'s reason reads no ISO time, and the next retry once', () => {
    const line = heldLine({ reason: REASON, retryAt: AT }, timeOf);
    expect(line).toBe(`waiting to retry lnd (attempt 3 of 5, next at <${Date.parse(AT)}>, last failure: lnd.service did not stay up)`);
    expect(line).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(heldLine({ reason: 'config exists', retryAt: AT }, timeOf)).toBe(`config exists; next retry at <${Date.parse(AT)}>`);
    expect(heldLine({ reason: 'config exists' }, timeOf)).toBe('config exists');
  });
});

describe('reasonWords: systemd\'s Result words on the card in plain words', () => {
  it.each([
    ['exit-code', 'exited with an error'],
    ['bitcoind: start-limit-hit', 'bitcoind: gave up after repeated failures'],
    ['timeout', 'timed out'],
    ['signal', 'was killed'],
    ['db: oom-kill, web: exit-code', 'db: ran out of memory, web: exited with an error'],
    ['web: inactive', 'web: inactive'],
    ['bad-setting', 'bad-setting'],
    ['constructor', 'constructor'],
  ])('%s → %s', (reason, words) => expect(reasonWords(reason)).toBe(words));
});
