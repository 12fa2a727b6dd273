import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_IN_HOST, useHost } from '../host/index.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { installUnits, removeUnits } from '../support/host.js';
import { until } from '../support/wait.js';

// `archy-quadlet logs APP` on the node (the command line inside the test host, as root): the app's journal as
// journalctl prints it, the last N lines; an unknown app or container exits 1 and names what there is.

const host = useHost();
const ID = 'cli-logs';
const UNIT = `[Unit]
Description=test app: numbered lines

[Container]
Image=${BUSYBOX_IMAGE}
Exec=sh -c 'for i in 1 2 3 4 5 6 7 8; do echo "line $i"; done; trap "exit 0" TERM; while true; do sleep 1; done'
`;
const cli = (...args: string[]) => host.exec(['node', `${REPO_IN_HOST}/bin/archy-quadlet`, ...args, '--unit-dir', '/etc/containers/systemd']);

beforeAll(async () => {
  await installUnits(host, { [ID]: UNIT });
  await host.execOk(['systemctl', 'start', `${ID}.service`]);
  await until('the app wrote its lines', () => host.journal(`${ID}.service`, 50), (j) => j.includes('line 8'), { timeoutMs: 60_000 });
});

afterAll(async () => {
  await removeUnits(host, [ID]);
});

it('prints the last N lines of the app\'s journal', async () => {
  const r = await cli('logs', ID, '-n', '3');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(3);
  // The unit's own journal, as journalctl prints it.
  expect(r.stdout).toBe(await host.execOk(['journalctl', '--no-pager', '-n', '3', '-u', `${ID}.service`]));
  const all = await cli('logs', ID, '-n', 'all');
  const numbered = all.stdout.split('\n').flatMap((l) => /line (\d)$/.exec(l)?.[1] ?? []);
  expect(numbered).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
});

it('an unknown app, or a container of an app of one container: exit 1 with what there is', async () => {
  const app = await cli('logs', 'no-such-app');
  expect(app.code).toBe(1);
  expect(app.stderr).toMatch(/app "no-such-app" not found \(apps: .*cli-logs/);
  const container = await cli('logs', ID, '--container', 'db');
  expect(container.code).toBe(1);
  expect(container.stderr).toContain('it is an app of one container: leave --container out');
  const lines = await cli('logs', ID, '-n', 'many');
  expect(lines.code).toBe(2);
  expect(lines.stderr).toContain('--lines "many": a number of lines, or all');
});
