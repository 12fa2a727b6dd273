// ExecStartPost= of archy-quadlet.service (system and user): the daemon counts
// as started once its API answers GET /api/health with 200, i.e. it listens and
// has reached systemd. Until then the unit stays "activating", so
// `systemctl start`, and the package's postinst, return once the daemon is
// really up. This script has no deadline of its own: TimeoutStartSec= ends it,
// the start fails, and Restart=on-failure tries again (StartLimitBurst= caps it).
//
// Reads: ARCHY_QUADLET_LISTEN (the unit's --listen), STATE_DIRECTORY (set by
// systemd from StateDirectory=; the API token is STATE_DIRECTORY/api-token).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const listen = process.env.ARCHY_QUADLET_LISTEN || '127.0.0.1:8080';
const stateDir = (process.env.STATE_DIRECTORY || '/var/lib/archy-quadlet').split(':')[0];
const url = `http://${loopbackFor(listen)}/api/health`;
let last = 'no answer yet';

/** The address to reach `--listen` HOST:PORT, [IPv6]:PORT or PORT from this machine (a wildcard is reached on loopback). */
function loopbackFor(value) {
  if (/^[0-9]+$/.test(value)) return `127.0.0.1:${value}`;
  const v6 = /^\[([^\]]+)\]:([0-9]+)$/.exec(value);
  if (v6) return `[${v6[1] === '::' ? '::1' : v6[1]}]:${v6[2]}`;
  const i = value.lastIndexOf(':');
  const host = value.slice(0, i);
  return `${host === '0.0.0.0' ? '127.0.0.1' : host}:${value.slice(i + 1)}`;
}

function report(signal) {
  // The system unit runs as root; the user unit as its user, whose units' logs are read with journalctl --user.
  const journal = process.getuid?.() === 0 ? 'journalctl -u archy-quadlet.service' : 'journalctl --user -u archy-quadlet.service';
  process.stderr.write(`await-health: ${url} did not answer 200 before ${signal} (last: ${last}); see ${journal}\n`);
  process.exit(1);
}
process.on('SIGTERM', () => report('SIGTERM (TimeoutStartSec= passed)'));

for (;;) {
  let token;
  try {
    token = readFileSync(join(stateDir, 'api-token'), 'utf8').trim();
  } catch (e) {
    last = `${join(stateDir, 'api-token')}: ${e.code ?? e.message}`;
  }
  if (token) {
    try {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (res.status === 200) {
        process.stdout.write(`await-health: ${url} answered 200\n`);
        process.exit(0);
      }
      last = `${res.status} ${body.slice(0, 300)}`;
    } catch (e) {
      last = e.cause?.code ?? e.message;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
