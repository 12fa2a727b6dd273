import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_IN_HOST, useHost } from '../host/index.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { installUnits, removeUnits } from '../support/host.js';
import { until } from '../support/wait.js';

// `archy-quadlet status` on the node (the command line inside the test host, as root): an app that failed says why
// in podman's own words, read from its journal, under `failures:` (and as `cause` with --json); a running app has none.

const host = useHost();
const BROKEN = 'cli-cause-broken';
const FINE = 'cli-cause-fine';
const units = {
  // An image that is not on the node and may not be pulled: podman exits 125 with "Error: … image not known".
  [BROKEN]: `[Unit]
Description=test app: its image is not on the node

[Container]
Image=localhost/cli-cause-missing:1
Pull=never
`,
  [FINE]: `[Unit]
Description=test app: runs

[Container]
Image=${BUSYBOX_IMAGE}
Exec=sh -c 'trap "exit 0" TERM; while true; do sleep 1; done'
`,
};
const cli = (...args: string[]) => host.exec(['node', `${REPO_IN_HOST}/bin/archy-quadlet`, ...args, '--unit-dir', '/etc/containers/systemd']);

beforeAll(async () => {
  await installUnits(host, units);
  await host.exec(['systemctl', 'start', `${BROKEN}.service`]);
  await host.execOk(['systemctl', 'start', `${FINE}.service`]);
  await until(`${BROKEN} failed`, async () => (await host.exec(['systemctl', 'is-failed', `${BROKEN}.service`])).stdout.trim(), (s) => s === 'failed', { timeoutMs: 60_000 });
});

afterAll(async () => {
  await removeUnits(host, [BROKEN, FINE]);
  await host.exec(['systemctl', 'reset-failed', `${BROKEN}.service`]);
});

it("names the failed app's cause in podman's words under failures:; the running app has none", async () => {
  const r = await cli('status');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^${BROKEN} +failed .*exit-code`, 'm'));
  expect(r.stdout).toMatch(new RegExp(`^${FINE} +running`, 'm'));
  const failures = r.stdout.slice(r.stdout.indexOf('\nfailures:\n'));
  expect(failures).toMatch(new RegExp(`^failures:\\n  ${BROKEN}  Error: .*localhost/cli-cause-missing:1.*image not known`, 'm'));
  expect(failures).not.toContain(FINE);
});

it('--json gives the same cause on the failed app alone', async () => {
  const r = await cli('status', '--json');
  expect(r.code, r.stderr).toBe(0);
  const apps = (JSON.parse(r.stdout) as { apps: Array<{ id: string; state: string; cause?: string }> }).apps;
  expect(apps.find((a) => a.id === BROKEN)).toMatchObject({ state: 'failed', cause: expect.stringMatching(/^Error: .*image not known/) });
  expect(apps.find((a) => a.id === FINE)).not.toHaveProperty('cause');
});
