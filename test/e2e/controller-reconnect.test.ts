import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemdEvent } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { QUICK_UNIT } from '../support/apps.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { afterBusRestart, installUnits, removeUnits } from '../support/host.js';
import { eventually } from '../support/wait.js';

// The port survives systemd re-executing and the bus daemon restarting: it
// re-adds its matches, subscribes again, and the controller resyncs, so states
// keep following systemd afterwards. Runs on its own units (`ctl-rc-*`).

const host = useHost();
const IDS = ['ctl-rc-a'];
let h: HostController;
const events: SystemdEvent[] = [];

beforeAll(async () => {
  await installUnits(host, { 'ctl-rc-a': QUICK_UNIT });
  h = await controllerOnHost(host, IDS);
  h.systemd.onEvent((e) => events.push(e));
});

afterAll(async () => {
  await h?.close();
  await removeUnits(host, IDS);
});

/** Waits until `check()` holds; the error names the connection events so far. */
function waitForEvents(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const seen = (): string => events.filter((e) => e.type !== 'properties' && !e.type.startsWith('unit-')).map((e) => JSON.stringify(e)).join(' ');
  return eventually(() => `${what}; events: ${seen()}`, check, { timeoutMs, intervalMs: 50 });
}

describe('reconnect', () => {
  it('systemd re-executing: resynced after it is back; a stop made outside is followed', async () => {
    await h.controller.start('ctl-rc-a');
    await h.waitFor('ctl-rc-a', 'running');
    const from = events.length;
    await host.execOk(['systemctl', 'daemon-reexec']);
    // systemd 257 keeps its bus connection across the re-exec and announces the end with Reloading(false)
    // (a new bus name owner would lead to a fresh Subscribe() and `connected`): either way, a resync.
    await waitForEvents(
      () => events.slice(from).some((e) => (e.type === 'reloading' && !e.active) || e.type === 'connected'),
      'Reloading(false) or connected after daemon-reexec',
    );
    // A change nobody told the controller about, made with systemctl inside the host.
    await host.execOk(['systemctl', 'stop', 'ctl-rc-a.service']);
    await h.waitFor('ctl-rc-a', 'stopped', 30_000);
  });

  it('the bus daemon restarting: disconnected, reconnected with backoff, resynced', async () => {
    await h.controller.start('ctl-rc-a');
    await h.waitFor('ctl-rc-a', 'running');
    const from = events.length;
    await host.execOk(['systemctl', 'restart', 'dbus.service']);
    await waitForEvents(() => events.slice(from).some((e) => e.type === 'disconnected'), 'disconnected');
    await waitForEvents(() => events.slice(from).some((e) => e.type === 'connected') && h.systemd.connected(), 'reconnected', 60_000);
    await afterBusRestart(host);
    await host.execOk(['systemctl', 'stop', 'ctl-rc-a.service']);
    await h.waitFor('ctl-rc-a', 'stopped', 30_000);
    // And calls work again on the new connection.
    const r = await h.controller.start('ctl-rc-a');
    expect(r.status.state).toBe('starting');
    await h.waitFor('ctl-rc-a', 'running');
  });
});
