import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassReport } from '../../src/reconcile/pass.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { jobTimes, journalCursor, passOnHost, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

// An app of several containers from its manifest, on the real host: the pass installs it with one start of the
// app's unit, gated on every container; systemd starts them in dependency order (db healthy → one-shot migrate
// completed → api healthy → web), the containers reach each other by short name on the app's own network, a stop
// stops them in reverse order, and a change restarts only the container it touches.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-reconcile-containers-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const APP = 'rc-pad';
const CONTAINERS = ['db', 'migrate', 'api', 'web'] as const;
const service = (name: string): string => `${APP}-${name}.service`;
let h: HostController;

/** The app's manifest; `webTag` changes only the web container. */
function manifest(opts: { state?: 'running' | 'stopped'; webTag?: string } = {}): string {
  const sh = (script: string): string => `[sh, -c, ${JSON.stringify(script)}]`;
  return `id: ${APP}
${opts.state ? `state: ${opts.state}\n` : ''}containers:
  db:
    image: ${BUSYBOX_IMAGE}
    command: ${sh('trap "exit 0" TERM; sleep 2; touch /tmp/ready; while true; do sleep 1; done')}
    health:
      cmd: [test, -f, /tmp/ready]
      interval: 1s
      retries: 2
    stop:
      timeout: 5s
  migrate:
    image: ${BUSYBOX_IMAGE}
    command: ${sh('echo migrating; touch /shared/migrated')}
    oneshot: true
    volumes:
      - name: shared
        target: /shared
    dependsOn:
      - container: db
        condition: healthy
  api:
    image: ${BUSYBOX_IMAGE}
    command: ${sh('trap "exit 0" TERM; test -f /shared/migrated || exit 3; mkdir -p /tmp/www; echo api-ok > /tmp/www/index.html; httpd -f -p 8080 -h /tmp/www & while true; do sleep 1; done')}
    volumes:
      - name: shared
        target: /shared
    health:
      cmd: [wget, -q, -O, /dev/null, "http://127.0.0.1:8080/"]
      interval: 1s
      retries: 5
    dependsOn:
      - container: db
        condition: healthy
      - container: migrate
        condition: completed
    stop:
      timeout: 5s
  web:
    image: ${BUSYBOX_IMAGE}
    command: ${sh(`trap "exit 0" TERM; echo web ${opts.webTag ?? 'v1'}; while true; do sleep 1; done`)}
    # podman's init (catatonit) as PID 1: reaps what the shell leaves and passes signals on.
    init: true
    health:
      # The api container by its short name, on the app's own network.
      cmd: [wget, -q, -O, /dev/null, "http://api:8080/"]
      interval: 1s
      retries: 5
    dependsOn:
      - container: api
        condition: healthy
    stop:
      timeout: 5s
`;
}

function pass(): Promise<PassReport> {
  return passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir });
}

/** systemd's properties of `unit` (`systemctl show`), by name. */
async function show(unit: string, props: string[]): Promise<Record<string, string>> {
  const out = await host.execOk(['systemctl', 'show', unit, `--property=${props.join(',')}`]);
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}
/**
 * A monotonic timestamp of `unit` (µs). Never 0: systemd unloads an inactive unit nothing references, and a unit
 * loaded again by the query has no timestamps, which would make every order check pass on zeros.
 */
async function monotonic(unit: string, prop: string): Promise<number> {
  const value = Number((await show(unit, [prop]))[prop]);
  expect(value, `${unit} ${prop}`).toBeGreaterThan(0);
  return value;
}

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  h = await controllerOnHost(host, [APP], { stateDir });
});

afterAll(async () => {
  await h.systemd.stopUnit(`${APP}.service`).catch(() => undefined);
  rmSync(join(manifests, `${APP}.yaml`), { force: true });
  await pass().catch(() => undefined);
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

describe('an app of several containers, reconciled on the real host', () => {
  it('installs with one start of the app unit; every container comes up in dependency order, and the gate waits for all', async () => {
    writeFileSync(join(manifests, `${APP}.yaml`), manifest());
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([
      `write units/${APP}-api.container`,
      `write units/${APP}-db.container`,
      `write units/${APP}-migrate.container`,
      `write units/${APP}-shared.volume`,
      `write units/${APP}-web.container`,
      `write units/${APP}.network`,
      'daemon-reload',
      `start ${APP}.service`,
    ]);
    // The gate returned only once every container was up: nothing is still starting.
    for (const name of CONTAINERS) {
      expect(await show(service(name), ['ActiveState', 'SubState', 'Result']), name).toEqual({
        ActiveState: 'active',
        SubState: name === 'migrate' ? 'exited' : 'running',
        Result: 'success',
      });
    }
    // Order, by systemd's own clock: migrate starts after db is healthy (active), api after migrate completed, web
    // after api is healthy.
    const up = async (name: string): Promise<number> => monotonic(service(name), 'ActiveEnterTimestampMonotonic');
    const began = async (name: string): Promise<number> => monotonic(service(name), 'InactiveExitTimestampMonotonic');
    expect(await began('migrate')).toBeGreaterThanOrEqual(await up('db'));
    expect(await began('api')).toBeGreaterThanOrEqual(await up('migrate'));
    expect(await began('web')).toBeGreaterThanOrEqual(await up('api'));
    // The one-shot ran to completion and wrote what api checked for.
    expect(await host.execOk(['podman', 'exec', `${APP}-api`, 'cat', '/tmp/www/index.html'])).toBe('api-ok\n');
    // init: true is podman's init as the container's PID 1 (the node's catatonit, mounted as /run/podman-init), the
    // shell its child; without it the command is PID 1 itself.
    expect((await host.execOk(['podman', 'exec', `${APP}-web`, 'cat', '/proc/1/comm'])).trim()).toBe('podman-init');
    expect((await host.execOk(['podman', 'exec', `${APP}-web`, 'cat', '/proc/1/cmdline'])).split('\0')[0]).toBe('/run/podman-init');
    expect((await host.execOk(['podman', 'exec', `${APP}-api`, 'cat', '/proc/1/comm'])).trim()).toBe('sh');
    // A second pass has nothing to do.
    expect((await pass()).done).toEqual([]);
  });

  it('a change to one container restarts that container only', async () => {
    const dbInvocation = (await show(service('db'), ['InvocationID'])).InvocationID;
    writeFileSync(join(manifests, `${APP}.yaml`), manifest({ webTag: 'v2' }));
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([`write units/${APP}-web.container`, 'daemon-reload', `restart ${service('web')}`]);
    expect((await show(service('db'), ['InvocationID'])).InvocationID).toBe(dbInvocation);
    expect((await show(service('web'), ['ActiveState'])).ActiveState).toBe('active');
    expect(await host.execOk(['journalctl', '-u', service('web'), '-n', '20', '--no-pager', '-o', 'cat'])).toContain('web v2');
  });

  it('stopped in the manifest: one stop of the app unit; systemd stops the containers in reverse order', async () => {
    writeFileSync(join(manifests, `${APP}.yaml`), manifest({ state: 'stopped', webTag: 'v2' }));
    const cursor = await journalCursor(host);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toContain(`stop ${APP}.service`);
    // A pass queues the stop and goes on (a stop may take each container's whole stop timeout): wait for systemd.
    for (const name of CONTAINERS) await until(`${service(name)} inactive`, async () => (await show(service(name), ['ActiveState'])).ActiveState, (s) => s === 'inactive');
    // From systemd's job messages in the journal: a stopped unit may be unloaded at once, losing its timestamps.
    const stops = await jobTimes(host, cursor, 'stop', CONTAINERS.map(service));
    for (const name of CONTAINERS) expect(stops[service(name)], name).toMatchObject({ result: 'done', began: expect.any(Number) });
    const stop = (name: string): { began: number; ended: number } => stops[service(name)]!;
    for (const name of CONTAINERS) expect(stop(name).ended, name).toBeGreaterThan(0);
    expect(stop('api').began).toBeGreaterThanOrEqual(stop('web').ended);
    expect(stop('migrate').began).toBeGreaterThanOrEqual(stop('api').ended);
    expect(stop('db').began).toBeGreaterThanOrEqual(stop('migrate').ended);
    // Not started at boot: the app's unit has no [Install], its containers are only wanted by it.
    expect((await show(`${APP}.service`, ['UnitFileState'])).UnitFileState).not.toBe('enabled');
  });

  it('running again, then removed: every unit of the app is gone and nothing of it runs', async () => {
    writeFileSync(join(manifests, `${APP}.yaml`), manifest({ webTag: 'v2' }));
    expect((await pass()).failures).toEqual([]);
    for (const name of CONTAINERS) expect((await show(service(name), ['ActiveState'])).ActiveState, name).toBe('active');
    rmSync(join(manifests, `${APP}.yaml`));
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toContain(`forget ${APP}`);
    for (const name of CONTAINERS) {
      expect(await show(service(name), ['LoadState', 'ActiveState']), name).toMatchObject({ ActiveState: 'inactive' });
    }
    expect(readdirSync(unitDir).filter((n) => n.startsWith(APP))).toEqual([]);
  });
});
