import { describe, expect, it } from 'vitest';
import { failureCause } from '../../src/api/failure-cause.js';

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
