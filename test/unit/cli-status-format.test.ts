import { describe, expect, test } from 'vitest';
import { formatEvent, formatOnions, formatSource, formatTable } from '../../src/cli/commands/status.js';

describe('status output', () => {
  test('the table pads columns and says who stopped an app', () => {
    expect(
      formatTable([
        { id: 'bitcoin', name: 'bitcoin', unit: 'bitcoin.service', state: 'running', since: '2026-11-27T02:05:31.181Z' },
        { id: 'lnd', name: 'lnd', unit: 'lnd.service', state: 'stopping', since: '2026-11-27T02:06:14.000Z', deadline: '2026-11-27T02:12:14.000Z', intent: 'stopped' },
        { id: 'electrumx', name: 'electrumx', unit: 'electrumx.service', state: 'failed', since: '2026-11-27T01:58:02.000Z', reason: 'exit-code' },
      ]),
    ).toBe(
      [
        'APP        STATE     SINCE                DEADLINE             REASON',
        'bitcoin    running   2026-11-27 02:05:31  -',
        'lnd        stopping  2026-11-27 02:06:14  2026-11-27 02:12:14  stopped by user',
        'electrumx  failed    2026-11-27 01:58:02  -                    exit-code',
        '',
      ].join('\n'),
    );
  });

  test('a since nothing knows is `-` in the table and on a watch line (padded to a time\'s width), never a made-up time', () => {
    const idle = { id: 'electrs', name: 'electrs', unit: 'electrs.service', state: 'stopped' as const, activeState: 'inactive', subState: 'dead' };
    const lnd = { id: 'lnd', name: 'lnd', unit: 'lnd.service', state: 'stopped' as const, since: '2026-11-20T09:12:00.000Z', intent: 'stopped' as const };
    expect(formatTable([idle, lnd])).toBe(
      [
        'APP      STATE    SINCE                DEADLINE  REASON',
        'electrs  stopped  -                    -',
        'lnd      stopped  2026-11-20 09:12:00  -         stopped by user',
        '',
      ].join('\n'),
    );
    expect(formatEvent({ seq: 0, status: idle })).toBe('-                    electrs  stopped  (inactive/dead)\n');
  });

  test("the reconciler's back-off is in the REASON column and on a watch line", () => {
    const retry = { attempt: 3, maxAttempts: 5, nextAt: '2026-11-27T02:10:00.000Z', lastFailure: 'lnd.service did not stay up (failed/failed, result exit-code)', rolledBack: true };
    const lnd = { id: 'lnd', name: 'lnd', unit: 'lnd.service', state: 'running' as const, since: '2026-11-27T02:05:31.181Z', retry };
    const text = 'waiting to retry lnd (attempt 3 of 5, next at 2026-11-27T02:10:00.000Z, last failure: lnd.service did not stay up (failed/failed, result exit-code)); running its last-good files';
    expect(formatTable([lnd]).split('\n')[1]).toBe(`lnd  running  2026-11-27 02:05:31  -         ${text}`);
    expect(formatEvent({ seq: 9, status: lnd })).toBe(`2026-11-27 02:05:31  lnd  running  (${text})\n`);
  });

  test('a watch line shows the change and systemd\'s view', () => {
    expect(
      formatEvent({ seq: 4, previous: 'running', status: { id: 'lnd', name: 'lnd', unit: 'lnd.service', state: 'stopping', since: '2026-11-27T02:06:14.000Z', activeState: 'deactivating', subState: 'stop-sigterm', job: { id: 208, type: 'stop', path: '/org/freedesktop/systemd1/job/208' } } }),
    ).toBe('2026-11-27 02:06:14  lnd  running → stopping  (deactivating/stop-sigterm, job 208 stop)\n');
  });

  test('an app of several containers has one indented row per container, and its watch line names their states', () => {
    const shop = {
      id: 'shop', name: 'shop', unit: 'shop.service', state: 'stopping' as const, since: '2026-11-27T02:06:14.000Z', deadline: '2026-11-27T02:07:14.000Z',
      containers: [
        { name: 'db', unit: 'shop-db.service', state: 'stopping' as const, job: { id: 12, type: 'stop', path: '/org/freedesktop/systemd1/job/12' } },
        { name: 'web', unit: 'shop-web.service', state: 'failed' as const, reason: 'exit-code' },
      ],
    };
    expect(formatTable([shop])).toBe(
      [
        'APP    STATE     SINCE                DEADLINE             REASON',
        'shop   stopping  2026-11-27 02:06:14  2026-11-27 02:07:14',
        '  db   stopping                                            stop job 12',
        '  web  failed                                              exit-code',
        '',
      ].join('\n'),
    );
    expect(formatEvent({ seq: 3, previous: 'running', status: shop })).toBe('2026-11-27 02:06:14  shop  running → stopping  (deadline 2026-11-27 02:07:14, db stopping, web failed)\n');
  });

  test('the source footer names the applied commit, a rejected one, and a failed fetch; nothing for a directory', () => {
    expect(formatSource({})).toBe('');
    expect(
      formatSource({
        url: 'file:///srv/catalog.git',
        ref: 'main',
        commit: '3f2a9c1',
        appliedAt: '2026-11-27T02:00:00.000Z',
        rejected: { commit: '9b8e7d6', error: 'manifests/lnd.yaml:4:12 /stop/timeout: must match\nmore', at: '2026-11-27T02:10:00.000Z' },
        fetchError: 'could not read from remote repository',
      }),
    ).toBe(
      '\nsource: file:///srv/catalog.git main at 3f2a9c1 (applied 2026-11-27 02:00:00)\n' +
        'rejected: 9b8e7d6 (2026-11-27 02:10:00): manifests/lnd.yaml:4:12 /stop/timeout: must match\n' +
        'last fetch failed: could not read from remote repository\n',
    );
  });

  test("a fleet's node: its ring, its name, signed commits only, and a tip it refused", () => {
    expect(
      formatSource({
        url: 'https://git.example.org/fleet.git',
        ref: 'ring/canary',
        ring: 'canary',
        node: 'n1',
        verifyCommits: true,
        commit: '3f2a9c1',
        rejected: { commit: '9b8e7d6', error: 'commit 9b8e7d6 is not applied: it does not descend from the applied commit 3f2a9c1', at: '2026-11-27T02:10:00.000Z', kind: 'rollback' },
      }),
    ).toBe(
      '\nsource: https://git.example.org/fleet.git ring/canary at 3f2a9c1\n' +
        'follows: ring canary, node n1, signed commits only\n' +
        'refused: 9b8e7d6 (2026-11-27 02:10:00): commit 9b8e7d6 is not applied: it does not descend from the applied commit 3f2a9c1\n',
    );
  });
});

describe('status: onion addresses', () => {
  test('a footer lists the apps reached over Tor, and a watch line carries the address; nothing without one', () => {
    const base = { state: 'running' as const, since: '2026-11-27T02:05:31.181Z' };
    const statuses = [
      { id: 'bitcoin', name: 'bitcoin', unit: 'bitcoin.service', ...base, onion: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion' },
      { id: 'tor', name: 'tor', unit: 'tor.service', ...base },
      { id: 'lnd', name: 'lnd', unit: 'lnd.service', ...base, onion: 'x'.repeat(56) + '.onion' },
    ];
    expect(formatOnions(statuses)).toBe(`\nonion services:\n  bitcoin  pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion\n  lnd      ${'x'.repeat(56)}.onion\n`);
    expect(formatOnions(statuses.slice(1, 2))).toBe('');
    expect(formatEvent({ seq: 3, status: statuses[0]! })).toBe('2026-11-27 02:05:31  bitcoin  running  (onion pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion)\n');
  });
});
