import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { BUSYBOX_IMAGE, REPO_IN_HOST, ROOTLESS_USER, useHost, userManager, type UserManager } from '../host/index.js';
import { QUICK_COMMAND, slowStopCommand } from '../support/apps.js';
import { until } from '../support/wait.js';

// The rootless side of the test host, as a node runs its apps: the user's own systemd manager (lingering), its Quadlet
// directory and podman store, containers in the user's subordinate range, and the user's bus reached through the
// harness's bridge. What the rootless suites stand on.

const host = useHost();
let user: UserManager;
let systemd: SystemdPort;

const unit = (command: string, extra = ''): string => `[Container]
Image=${BUSYBOX_IMAGE}
Exec=sh -c ${JSON.stringify(command)}
${extra}
[Service]
TimeoutStopSec=30
`;

beforeAll(async () => {
  user = await userManager(host);
  systemd = createSystemd({ address: user.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  await systemd?.close();
  for (const id of ['rl-quick', 'rl-slow']) await user?.exec(['rm', '-f', `.config/containers/systemd/${id}.container`]);
  await user?.exec(['systemctl', '--user', 'daemon-reload']);
  await user?.close();
});

describe('rootless on the test host', () => {
  it('the user lingers and has its manager, its subordinate ids and its own podman store with the busybox image', async () => {
    expect(await user.execOk(['id', '-u'])).toBe(`${ROOTLESS_USER.uid}\n`);
    expect(await host.execOk(['cat', '/etc/subuid'])).toContain(`${ROOTLESS_USER.name}:100000:65536`);
    expect((await host.exec(['loginctl', 'show-user', ROOTLESS_USER.name, '-p', 'Linger', '--value'])).stdout.trim()).toBe('yes');
    const info = JSON.parse(await user.execOk(['podman', 'info', '--format', 'json'])) as { host: { security: { rootless: boolean } }; store: { graphDriverName: string } };
    expect(info.host.security.rootless).toBe(true);
    expect(info.store.graphDriverName).toBe('overlay');
    expect(await user.execOk(['podman', 'images', '--format', '{{.Repository}}:{{.Tag}}'])).toContain(BUSYBOX_IMAGE);
  });

  it('the user bus through the bridge is the user manager (not the system one)', async () => {
    // The user's own bus daemon is a unit of the user manager.
    const { value } = await systemd.getUnitProperties('dbus.service');
    expect(value.loadState).toBe('loaded');
    expect(value.activeState).toBe('active');
    // The system manager has no app of the user: a unit only the user manager loads tells them apart.
    writeFileSync(join(user.unitDir, 'rl-quick.container'), unit(QUICK_COMMAND, 'PublishPort=127.0.0.1:18080:8080\n'));
    await systemd.reload();
    expect((await systemd.getUnitProperties('rl-quick.service')).value.loadState).toBe('loaded');
    const system = createSystemd({ address: host.busAddress });
    try {
      await system.ready();
      expect((await system.getUnitProperties('rl-quick.service')).value.loadState).toBe('not-found');
    } finally {
      await system.close();
    }
  });

  it('a rootless Quadlet container starts (past network-online, with a published port through pasta) and runs in the user namespace', async () => {
    await systemd.startUnit('rl-quick.service');
    await until('rl-quick active', async () => (await systemd.getUnitProperties('rl-quick.service')).value.activeState, (s) => s === 'active', { timeoutMs: 60_000 });
    // The container's root is the user on the host: its uid map starts at the user's uid.
    const map = await user.execOk(['podman', 'exec', 'systemd-rl-quick', 'cat', '/proc/self/uid_map']);
    expect(map.trim().split(/\s+/).slice(0, 3)).toEqual(['0', String(ROOTLESS_USER.uid), '1']);
  });

  it('a stop over the user bus returns with its job at once; the unit stops later, as on the system manager', async () => {
    writeFileSync(join(user.unitDir, 'rl-slow.container'), unit(slowStopCommand(5)));
    await systemd.reload();
    await systemd.startUnit('rl-slow.service');
    await until('rl-slow active', async () => (await systemd.getUnitProperties('rl-slow.service')).value.activeState, (s) => s === 'active', { timeoutMs: 60_000 });
    const { value: job } = await systemd.stopUnit('rl-slow.service');
    expect(job).toMatch(/^\/org\/freedesktop\/systemd1\/job\/\d+$/);
    expect((await systemd.getUnitProperties('rl-slow.service')).value.activeState).toBe('deactivating');
    await until('rl-slow inactive', async () => (await systemd.getUnitProperties('rl-slow.service')).value.activeState, (s) => s === 'inactive', { timeoutMs: 60_000 });
  });

  it("Debian's nodejs runs this checkout's CLI inside the host as the user", async () => {
    const out = await user.execOk(['node', `${REPO_IN_HOST}/bin/archy-quadlet`, '--version']);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect((await user.execOk(['node', '--version'])).trim()).toMatch(/^v20\./);
  });
});
