import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DBusError, Message, type MessageBus, type Variant, sessionBus } from '@jellybrick/dbus-next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { formatProblem } from '../../src/errors.js';
import { loadManifests } from '../../src/manifest/load.js';
import { renderUnits } from '../../src/render/render-units.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { useHost } from '../host/index.js';
import { eventually, until } from '../support/wait.js';

// Facts about systemd 257 + podman 5.4.2 that the product is built on, shown
// on the real test host over its real system bus (raw D-Bus messages, on
// purpose independent of the project's own systemd port). The units are
// rendered by the product's pipeline from the manifests in
// test/fixtures/host-facts/ (load → compile → render).

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
  try {
    await until(`${unit}: ActiveState ${want}`, () => activeState(path), (s) => s === want, { timeoutMs, intervalMs: 100 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await host.journal(unit, 40)}`);
  }
  return Date.now();
}

/**
 * Loads, compiles and renders `test/fixtures/host-facts/ID.yaml` (for Podman 5.4.2 unless the file says
 * `# podman-version: X`), writes its units into the host's Quadlet dir and reloads systemd (`Reload()` returns once
 * the generators have run). Throws with every problem when the manifest does not compile.
 */
async function install(id: string): Promise<string> {
  const file = join(FIXTURES, `${id}.yaml`);
  const text = readFileSync(file, 'utf8');
  const loaded = loadManifests([{ file, text }]);
  if (loaded.problems.length > 0) throw new Error(loaded.problems.map(formatProblem).join('\n'));
  const podmanVersion = /^# podman-version: (\S+)$/m.exec(text)?.[1] ?? '5.4.2';
  const compiled = compileCatalog(loaded.manifests, { podmanVersion, scope: 'system' });
  if (compiled.problems.length > 0) throw new Error(compiled.problems.map(formatProblem).join('\n'));
  const files = renderUnits(compiled.units, await loadUnitTemplates());
  for (const f of files) {
    writeFileSync(join(host.unitDir, f.name), f.content);
    installed.push(f.name);
  }
  await call(MANAGER_PATH, MANAGER, 'Reload');
  return files.map((f) => f.content).join('\n');
}

beforeAll(() => {
  bus = sessionBus({ busAddress: host.busAddress });
});

afterAll(async () => {
  for (const name of installed) {
    if (name.endsWith('.container')) {
      await call(MANAGER_PATH, MANAGER, 'StopUnit', 'ss', [name.replace(/\.container$/, '.service'), 'replace']).catch(() => undefined);
    }
    rmSync(join(host.unitDir, name), { force: true });
  }
  await call(MANAGER_PATH, MANAGER, 'Reload');
  bus.disconnect();
});

describe('host facts: rendered Quadlet units through systemd 257 + podman 5.4.2', () => {
  it('a rendered .container written into /etc/containers/systemd becomes a loaded, generated service after Reload()', async () => {
    await install('fact-sleeper');
    const path = await loadUnit('fact-sleeper.service');
    const props = await unitProps(path);
    expect(props.LoadState).toBe('loaded');
    expect(props.UnitFileState).toBe('generated');
    expect(props.FragmentPath).toBe('/run/systemd/generator/fact-sleeper.service');
    expect(props.SourcePath).toBe('/etc/containers/systemd/fact-sleeper.container');

    await call(MANAGER_PATH, MANAGER, 'StartUnit', 'ss', ['fact-sleeper.service', 'replace']);
    await waitForState('fact-sleeper.service', path, 'active', 60_000);
    expect(await host.execOk(['podman', 'ps', '--format', '{{.Names}} {{.Image}}', '--filter', 'name=^fact-sleeper$'])).toBe(
      'fact-sleeper localhost/busybox:latest\n',
    );
  });

  it('StopUnit returns its job at once while a slow container keeps the unit deactivating until it has exited', async () => {
    expect(await install('fact-slow-stop')).toContain('\nStopTimeout=60\n');
    const path = await loadUnit('fact-slow-stop.service');
    await call(MANAGER_PATH, MANAGER, 'StartUnit', 'ss', ['fact-slow-stop.service', 'replace']);
    await waitForState('fact-slow-stop.service', path, 'active', 60_000);
    // The SIGTERM trap must be in place before the stop, or the container dies at once.
    await eventually('the slow-stop container to set its SIGTERM trap', async () => (await host.exec(['podman', 'exec', 'fact-slow-stop', 'test', '-e', '/tmp/trapped'])).code === 0, { timeoutMs: 30_000, intervalMs: 100 });

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
    expect(await install('fact-healthy')).toContain('\nNotify=healthy\n');
    const path = await loadUnit('fact-healthy.service');
    const asked = Date.now();
    // StartUnit returns the job at once; the start job itself waits for READY=1, which podman sends once healthy.
    await call(MANAGER_PATH, MANAGER, 'StartUnit', 'ss', ['fact-healthy.service', 'replace']);
    await new Promise((r) => setTimeout(r, 2_000));
    const early = await unitProps(path);
    expect(early.ActiveState).toBe('activating');
    expect(early.SubState).toBe('start');
    expect((await host.exec(['podman', 'exec', 'fact-healthy', 'test', '-e', '/tmp/ready'])).code).toBe(1);

    const activeAt = await waitForState('fact-healthy.service', path, 'active', 60_000);
    // The container creates /tmp/ready only after 5 s, so the health check cannot pass earlier.
    expect(activeAt - asked).toBeGreaterThanOrEqual(4_500);
    expect((await unitProps(path)).SubState).toBe('running');
    expect(await host.execOk(['podman', 'healthcheck', 'run', 'fact-healthy'])).toBe('');
  });

  it('podman 5.4.2 mangles a --health-cmd JSON array that starts with "CMD" (one word, always failing); CMD-SHELL and a bare array are kept', async () => {
    // Quadlet passes HealthCmd= verbatim to --health-cmd, so this decides what the compiler may render.
    const testOf = async (cmd: string): Promise<unknown> => {
      await host.execOk(['podman', 'create', '--name', 'fact-hc', '--health-cmd', cmd, 'localhost/busybox:latest', 'sleep', '1000']);
      try {
        return JSON.parse(await host.execOk(['podman', 'inspect', 'fact-hc', '--format', '{{json .Config.Healthcheck.Test}}']));
      } finally {
        await host.execOk(['podman', 'rm', '-f', 'fact-hc']);
      }
    };
    expect(await testOf('["CMD","test","-e","/tmp"]')).toEqual(['["CMD","test","-e","/tmp"]']);
    expect(await testOf('["CMD-SHELL","test -e /tmp"]')).toEqual(['CMD-SHELL', 'test -e /tmp']);
    expect(await testOf('["test","-e","/tmp"]')).toEqual(['CMD', 'test', '-e', '/tmp']);
  });

  it('a unit with a key podman 5.4.2 does not know (Memory=, rendered for 5.5) is not generated: after Reload() the service does not exist', async () => {
    expect(await install('fact-memory')).toContain('\nMemory=67108864\n');
    const path = await loadUnit('fact-memory.service');
    expect((await unitProps(path)).LoadState).toBe('not-found');
    await expect(call(MANAGER_PATH, MANAGER, 'GetUnit', 's', ['fact-memory.service'])).rejects.toSatisfy(
      (e: unknown) => e instanceof DBusError && e.type === 'org.freedesktop.systemd1.NoSuchUnit',
    );
    // The reason, in the generator's own words (it only reaches the console, so run it again to read it).
    const dry = await host.exec(['/usr/libexec/podman/quadlet', '-dryrun']);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain(`converting "fact-memory.container": unsupported key 'Memory' in group 'Container'`);
  });
});
