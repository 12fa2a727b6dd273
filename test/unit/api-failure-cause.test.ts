import { describe, expect, it } from 'vitest';
import { appFailureCause, failureCause } from '../../src/api/failure-cause.js';
import { formatCauses } from '../../src/cli/commands/status.js';
import type { AppStatus } from '../../src/controller/types.js';

describe("failureCause: a failure's cause from the unit's journal", () => {
  it("podman's own Error line, not systemd's words about the unit", () => {
    const lines = [
      '2026-12-01T14:00:00.000001+00:00 node systemd[1]: Starting bitcoin.service - Bitcoin Core...',
      '2026-12-01T14:00:01.000002+00:00 node bitcoin[812]: Trying to pull docker.io/bitcoin/bitcoin:28.1...',
      '2026-12-01T14:00:02.000003+00:00 node bitcoin[812]: Error: initializing source docker://bitcoin/bitcoin:28.1: pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host',
      '2026-12-01T14:00:02.000004+00:00 node systemd[1]: bitcoin.service: Main process exited, code=exited, status=125/n/a',
      "2026-12-01T14:00:02.000005+00:00 node systemd[1]: bitcoin.service: Failed with result 'exit-code'.",
    ];
    expect(failureCause(lines)).toBe('Error: initializing source docker://bitcoin/bitcoin:28.1: pinging container registry registry-1.docker.io: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host');
  });

  it("a daemon's own error line; none when nothing says error", () => {
    expect(failureCause(['2026-12-01T14:00:00.1+00:00 node lnd[9]: 2026-12-01 14:00:00.100 [ERR] LTND: level=error msg="unable to connect to bitcoind"'])).toBe('2026-12-01 14:00:00.100 [ERR] LTND: level=error msg="unable to connect to bitcoind"');
    expect(failureCause(['2026-12-01T14:00:00.1+00:00 node x[9]: started', "2026-12-01T14:00:01.1+00:00 node systemd[1]: x.service: Failed with result 'exit-code'."])).toBeUndefined();
  });

  it('keeps a long line to 500 characters', () => {
    expect(failureCause([`2026-12-01T14:00:00.1+00:00 node x[9]: Error: ${'y'.repeat(1000)}`])!.length).toBe(500);
  });
});

describe('failureCause with short-precise lines (journalctl -o short-precise)', () => {
  it('strips that prefix too and skips systemd', () => {
    expect(failureCause(['Dec 01 14:37:20.938260 h16 ctl-dep[482]: Error: initializing source docker://localhost/x:latest: connection refused', "Dec 01 14:37:21.000001 h16 systemd[1]: ctl-dep.service: Failed with result 'exit-code'."])).toBe(
      'Error: initializing source docker://localhost/x:latest: connection refused',
    );
  });
});

describe("appFailureCause: a failed app's cause from its units' journals (the API's detail and `status`)", () => {
  const app = (state: AppStatus['state'], extra: Partial<AppStatus> = {}): AppStatus => ({ id: 'mempool', name: 'mempool', unit: 'mempool.service', state, ...extra }) as AppStatus;
  const journals: Record<string, string[]> = {
    'mempool.service': ['2026-12-01T14:00:00.000001+00:00 node systemd[1]: Starting mempool.service...'],
    'mempool-db.service': ['2026-12-01T14:00:01.000001+00:00 node mempool-db[70]: Error: statfs /var/lib/mempool/db: no such file or directory'],
    'mempool-api.service': ['2026-12-01T14:00:00.500001+00:00 node mempool-api[71]: error: connect ECONNREFUSED 10.89.0.2:3306'],
  };
  const asked: string[] = [];
  const journal = async (unit: string, lines: number): Promise<string[]> => {
    asked.push(`${unit} ${lines}`);
    return journals[unit] ?? [];
  };
  const containers = [
    { name: 'db', unit: 'mempool-db.service' },
    { name: 'api', unit: 'mempool-api.service' },
  ] as AppStatus['containers'];

  it("reads the app's unit and every container's, 50 lines each, and gives the latest error line of them all", async () => {
    asked.length = 0;
    expect(await appFailureCause(app('failed', { containers }), journal)).toBe('Error: statfs /var/lib/mempool/db: no such file or directory');
    expect(asked).toEqual(['mempool.service 50', 'mempool-db.service 50', 'mempool-api.service 50']);
    expect(await appFailureCause(app('crash-loop', { containers }), journal)).toBe('Error: statfs /var/lib/mempool/db: no such file or directory');
  });

  it('reads nothing for an app that shows no failure; a journal that cannot be read gives no cause, not an error', async () => {
    asked.length = 0;
    expect(await appFailureCause(app('running', { containers }), journal)).toBeUndefined();
    expect(await appFailureCause(app('stopped'), journal)).toBeUndefined();
    expect(asked).toEqual([]);
    expect(await appFailureCause(app('failed'), () => Promise.reject(new Error('journalctl: No journal files were found.')))).toBeUndefined();
  });

  it('status prints them under failures:, ids padded; nothing when none failed', () => {
    expect(formatCauses(new Map([['lnd', 'Error: localhost/lnd:v0.18: image not known'], ['mempool', 'Error: statfs /var/lib/mempool/db: no such file or directory']]))).toBe(
      '\nfailures:\n  lnd      Error: localhost/lnd:v0.18: image not known\n  mempool  Error: statfs /var/lib/mempool/db: no such file or directory\n',
    );
    expect(formatCauses(new Map())).toBe('');
  });
});
