import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DBusError, Message, type MessageBus, type Variant, sessionBus } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHost } from '../host/index.js';

// Facts about systemd 257 + podman 5.4.2 that the product is built on, shown
// on the real test host over its real system bus (raw D-Bus messages, on
// purpose independent of the project's own systemd port). The units are the
// hand-written fixtures in test/fixtures/host-facts/.

const FIXTURES = fileURLToPath(new URL('../fixtures/host-facts/', import.meta.url));
const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';

const host = useHost();
let bus: MessageBus;
const installed: string[] = [];

async function call(path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
  const reply = await bus.call(new Message({ destination: SYSTEMD, path, interface: iface, member, signature, body }));
  return reply?.body ?? [];
}

/** `LoadUnit(name)` → the unit's object path (loads it if needed; a missing unit still gets a path, LoadState `not-found`). */
async function loadUnit(name: string): Promise<string> {
  return (await call(MANAGER_PATH, MANAGER, 'LoadUnit', 's', [name]))[0] as string;
}

async function unitProps(path: string): Promise<Record<string, unknown>> {
  const [all] = (await call(path, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [UNIT])) as [Record<string, Variant>];
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
}

async function activeState(path: string): Promise<string> {
  return (await unitProps(path)).ActiveState as string;
}

/** Polls the unit's ActiveState every 100 ms until it is `want`; returns when that was first seen. Throws after `timeoutMs` with the unit's journal. */
async function waitForState(unit: string, path: string, want: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await activeState(path);
    if (last === want) return Date.now();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${unit}: ActiveState still ${last} after ${timeoutMs} ms, wanted ${want}\n${await host.journal(unit, 40)}`);
}

/** Copies fixture `fixture` into the host's Quadlet dir as `name` and reloads systemd (`Reload()` waits for the generators). */
async function install(fixture: string, name: string): Promise<void> {
  copyFileSync(join(FIXTURES, fixture), join(host.unitDir, name));
  installed.push(name);
  await call(MANAGER_PATH, MANAGER, 'Reload');
}

beforeAll(() => {
  bus = sessionBus({ busAddress: host.busAddress });
});

afterAll(async () => {
  for (const name of installed) {
    const service = name.replace(/\.container$/, '.service');
    await call(MANAGER_PATH, MANAGER, 'StopUnit', 'ss', [service, 'replace']).catch(() => undefined);
    rmSync(join(host.unitDir, name), { force: true });
  }
  await call(MANAGER_PATH, MANAGER, 'Reload');
  bus.disconnect();
});

describe('host facts: Quadlet units through systemd 257 + podman 5.4.2', () => {
  it('a .container written into /etc/containers/systemd becomes a loaded, generated service after Reload()', async () => {
    await install('sleeper.container', 'fact-sleeper.container');
    const path = await loadUnit('fact-sleeper.service');
    const props = await unitProps(path);
    expect(props.LoadState).toBe('loaded');
    expect(props.UnitFileState).toBe('generated');
    expect(props.FragmentPath).toBe('/run/systemd/generator/fact-sleeper.service');
    expect(props.SourcePath).toBe('/etc/containers/systemd/fact-sleeper.container');

    await call(MANAGER_PATH, MANAGER, 'StartUnit', 'ss', ['fact-sleeper.service', 'replace']);
    await waitForState('fact-sleeper.service', path, 'active', 60_000);
    expect(await host.execOk(['podman', 'ps', '--format', '{{.Names}} {{.Image}}', '--filter', 'name=systemd-fact-sleeper'])).toBe(
      'systemd-fact-sleeper localhost/busybox:latest\n',
    );
  });

  it('StopUnit returns its job at once while a slow container keeps the unit deactivating until it has exited', async () => {
    await install('slow-stop.container', 'fact-slow-stop.container');
    const path = await loadUnit('fact-slow-stop.service');
    await call(MANAGER_PATH, MANAGER, 'StartUnit', 'ss', ['fact-slow-stop.service', 'replace']);
    await waitForState('fact-slow-stop.service', path, 'active', 60_000);
    // The SIGTERM trap must be in place before the stop, or the container dies at once.
    for (let i = 0; (await host.exec(['podman', 'exec', 'systemd-fact-slow-stop', 'test', '-e', '/tmp/trapped'])).code !== 0; i++) {
      if (i > 100) throw new Error('the slow-stop container never set its SIGTERM trap');
      await new Promise((r) => setTimeout(r, 100));
    }

    const asked = Date.now();
    const [job] = (await call(MANAGER_PATH, MANAGER, 'StopUnit', 'ss', ['fact-slow-stop.service', 'replace'])) as [string];
    const answered = Date.now();
    expect(job).toMatch(/^\/org\/freedesktop\/systemd1\/job\/\d+$/);
    expect(answered - asked).toBeLessThan(1000);

    // The job runs right after the reply; from then on the unit is deactivating ...
    await waitForState('fact-slow-stop.service', path, 'deactivating', 2_000);
    await new Promise((r) => setTimeout(r, 5_000));
    const during = await unitProps(path);
    expect(during.ActiveState).toBe('deactivating');
    expect(['stop', 'stop-sigterm']).toContain(during.SubState);

    // ... until the container has run its 10 s trap and exited.
    const inactiveAt = await waitForState('fact-slow-stop.service', path, 'inactive', 60_000);
    expect(inactiveAt - asked).toBeGreaterThanOrEqual(9_000);
    expect((await unitProps(path)).SubState).toBe('dead');
  });

  it('Notify=healthy keeps the unit activating until its HealthCmd succeeds, then active', async () => {
    await install('healthy.container', 'fact-healthy.container');
    const path = await loadUnit('fact-healthy.service');
    const asked = Date.now();
    // StartUnit returns the job at once; the start job itself waits for READY=1, which podman sends once healthy.
    await call(MANAGER_PATH, MANAGER, 'StartUnit', 'ss', ['fact-healthy.service', 'replace']);
    await new Promise((r) => setTimeout(r, 2_000));
    const early = await unitProps(path);
    expect(early.ActiveState).toBe('activating');
    expect(early.SubState).toBe('start');
    expect((await host.exec(['podman', 'exec', 'systemd-fact-healthy', 'test', '-e', '/tmp/ready'])).code).toBe(1);

    const activeAt = await waitForState('fact-healthy.service', path, 'active', 60_000);
    // The container creates /tmp/ready only after 5 s, so the health check cannot pass earlier.
    expect(activeAt - asked).toBeGreaterThanOrEqual(4_500);
    expect((await unitProps(path)).SubState).toBe('running');
    expect(await host.execOk(['podman', 'healthcheck', 'run', 'systemd-fact-healthy'])).toBe('');
  });

  it('a unit with a key podman 5.4.2 does not know (Memory=) is not generated: after Reload() the service does not exist', async () => {
    await install('unknown-key.container', 'fact-unknown-key.container');
    const path = await loadUnit('fact-unknown-key.service');
    expect((await unitProps(path)).LoadState).toBe('not-found');
    await expect(call(MANAGER_PATH, MANAGER, 'GetUnit', 's', ['fact-unknown-key.service'])).rejects.toSatisfy(
      (e: unknown) => e instanceof DBusError && e.type === 'org.freedesktop.systemd1.NoSuchUnit',
    );
    // The reason, in the generator's own words (it only reaches the console, so run it again to read it).
    const dry = await host.exec(['/usr/libexec/podman/quadlet', '-dryrun']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain(`converting "fact-unknown-key.container": unsupported key 'Memory' in group 'Container'`);
  });
});
