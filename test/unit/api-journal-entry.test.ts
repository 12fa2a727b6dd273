import { describe, expect, it } from 'vitest';
import { CURSOR_PATTERN, isoMicros, parseJournalLine } from '../../src/api/journal-entry.js';

// One entry of `journalctl -o json` as the live log stream sends it (fields as journalctl 257 prints them).

const CURSOR = 's=ded50152884c45b39e57ade3679531ee;i=a6;b=53c754bd768c4d3bb98f9c59a24dad26;m=ea1401416;t=66195f1a4e25b;x=db09b63aa882a25a';
const entry = (fields: Record<string, unknown>): string =>
  JSON.stringify({ __CURSOR: CURSOR, __REALTIME_TIMESTAMP: '1796146492400191', _HOSTNAME: 'h16b', ...fields });

describe('journal entries for the live log', () => {
  it('gives the cursor, the unit, the message and the line as short-iso-precise prints it', () => {
    const e = parseJournalLine(entry({ MESSAGE: 'line 29\n', SYSLOG_IDENTIFIER: 'systemd-hx', _PID: '278', _SYSTEMD_UNIT: 'hx.service' }), ['hx.service']);
    expect(e).toEqual({ cursor: CURSOR, unit: 'hx.service', message: 'line 29', time: '2026-12-01T17:34:52.400191+00:00', line: '2026-12-01T17:34:52.400191+00:00 h16b systemd-hx[278]: line 29' });
  });

  it('takes the unit a systemd message is about (UNIT=, USER_UNIT=), and a byte array message as UTF-8', () => {
    const started = parseJournalLine(entry({ MESSAGE: 'Started hx.service.', SYSLOG_IDENTIFIER: 'systemd', _PID: '1', _SYSTEMD_UNIT: 'init.scope', UNIT: 'shop-db.service' }), ['shop.service', 'shop-db.service']);
    expect(started?.unit).toBe('shop-db.service');
    const user = parseJournalLine(entry({ MESSAGE: 'x', _SYSTEMD_USER_UNIT: 'rl.service', _SYSTEMD_UNIT: 'user@1000.service' }), ['rl.service']);
    expect(user?.unit).toBe('rl.service');
    const bytes = parseJournalLine(entry({ MESSAGE: [0x68, 0xc3, 0xa9, 0x0a] }), ['a.service']);
    expect(bytes).toMatchObject({ message: 'hé', unit: 'a.service' });
  });

  it('skips what is not an entry', () => {
    expect(parseJournalLine('not json', ['a.service'])).toBeUndefined();
    expect(parseJournalLine(JSON.stringify({ MESSAGE: 'no cursor' }), ['a.service'])).toBeUndefined();
  });

  it('cursors: journalctl\'s form only', () => {
    expect(CURSOR_PATTERN.test(CURSOR)).toBe(true);
    expect(CURSOR_PATTERN.test('17')).toBe(false);
    expect(CURSOR_PATTERN.test(`${CURSOR}\nevent: x`)).toBe(false);
    expect(isoMicros('1000001')).toBe('1970-01-01T00:00:01.000001+00:00');
  });
});
