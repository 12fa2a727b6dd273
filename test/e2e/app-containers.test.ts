import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/create-api.js';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppRef, AppStatus } from '../../src/controller/types.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { memoryLog } from '../support/api.js';
import { failingCommand, healthyAfterCommand, QUICK_COMMAND, slowStopCommand } from '../support/apps.js';
import { foldStates, record, waitForState, type Recorder } from '../support/controller.js';
import { jobTimes as unitJobTimes, journalCursor as hostJournalCursor, type JobTimes } from '../support/host.js';
import { until } from '../support/wait.js';

// One lifecycle and one state per app of several containers, on the real host (systemd 257, podman 5.4.2), with
// hand-written units of the design: the app's unit is `<id>.network` with `ServiceName=<id>` (a oneshot that stays
// active), each container is `PartOf=` and `WantedBy=` it, and depends on the one before it. `ac` is db (gated
// healthy) → api (takes 11 s to stop: longer than podman's default stop timeout) → web (3 s to stop); `acf` has a
// container that exits 3.

const host = useHost();

const exec = (command: string): string => `Exec=sh -c '${command}'`;

function networkUnit(id: string): string {
  return `[Unit]\nDescription=test app ${id}\n\n[Network]\nNetworkName=${id}\nServiceName=${id}\n`;
}

function containerUnit(app: string, name: string, opts: { after?: string; container: string[]; service?: string[] }): string {
  const unit = [`Description=test app ${app}: ${name}`, `PartOf=${app}.service`];
  if (opts.after) unit.push(`Requires=${app}-${opts.after}.service`, `After=${app}-${opts.after}.service`);
  const lines = ['[Unit]', ...unit, '', '[Container]', `Image=${BUSYBOX_IMAGE}`, `ContainerName=${app}-${name}`, `Network=${app}.network`, `NetworkAlias=${name}`, ...opts.container];
  if (opts.service) lines.push('', '[Service]', ...opts.service);
  lines.push('', '[Install]', `WantedBy=${app}.service`);
  return `${lines.join('\n')}\n`;
}

const slowStop = (seconds: number): string[] => [exec(slowStopCommand(seconds)), `StopTimeout=${seconds + 40}`];
const UNITS: Record<string, string> = {
  'ac.network': networkUnit('ac'),
  'ac-db.container': containerUnit('ac', 'db', { container: [exec(healthyAfterCommand(3)), 'HealthCmd=test -f /tmp/ready', 'HealthInterval=1s', 'HealthStartPeriod=0s', 'Notify=healthy'] }),
  'ac-api.container': containerUnit('ac', 'api', { after: 'db', container: slowStop(11), service: ['TimeoutStopSec=71'] }),
  'ac-web.container': containerUnit('ac', 'web', { after: 'api', container: slowStop(3), service: ['TimeoutStopSec=63'] }),
  'acf.network': networkUnit('acf'),
  'acf-ok.container': containerUnit('acf', 'ok', { container: [exec(QUICK_COMMAND)] }),
  'acf-bad.container': containerUnit('acf', 'bad', { after: 'ok', container: [exec(failingCommand(2))], service: ['Restart=no'] }),
};
const containersOf = (id: string, names: string[]) => names.map((name) => ({ name, unit: `${id}-${name}.service` }));
const APPS: AppRef[] = [
  { id: 'ac', name: 'ac', unit: 'ac.service', containers: containersOf('ac', ['db', 'api', 'web']) },
  { id: 'acf', name: 'acf', unit: 'acf.service', containers: containersOf('acf', ['ok', 'bad']) },
];

let systemd: SystemdPort;
let controller: LiveController;
let rec: Recorder;
let stateDir: string;

/** The `type` job of each of the app's containers after `cursor` (see the kit's `jobTimes`), by short name. */
async function jobTimes(cursor: string, type: 'start' | 'stop', names: readonly string[]): Promise<Record<string, JobTimes>> {
  const byUnit = await unitJobTimes(host, cursor, type, names.map((n) => `ac-${n}.service`));
  return Object.fromEntries(names.map((n) => [n, byUnit[`ac-${n}.service`]!]));
}
const journalCursor = (): Promise<string> => hostJournalCursor(host);

const wait = (id: string, state: AppStatus['state'], timeoutMs = 120_000): Promise<AppStatus> =>
  waitForState(controller, id, state, { timeoutMs, journal: (unit, n) => host.journal(unit, n) });
const containerStates = (s: AppStatus | undefined): string[] => (s?.containers ?? []).map((c) => `${c.name} ${c.state}`);

beforeAll(async () => {
  for (const [file, text] of Object.entries(UNITS)) writeFileSync(join(host.unitDir, file), text);
  stateDir = mkdtempSync(join(tmpdir(), 'aq-app-containers-'));
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  await systemd.reload();
  controller = await createController({ systemd, stateDir, apps: APPS, relistIntervalMs: 0 });
  rec = record(controller);
});

afterAll(async () => {
  rec?.stop();
  await controller?.close();
  if (systemd) {
    for (const a of APPS) await systemd.stopUnit(a.unit, 'replace').catch(() => undefined);
    const units = APPS.flatMap((a) => a.containers!.map((c) => c.unit));
    const down = (out: string): boolean => out.split('\n').every((l) => l !== 'active' && l !== 'activating' && l !== 'deactivating');
    await until('the test apps stopped', async () => (await host.exec(['systemctl', 'is-active', ...units])).stdout, down, { timeoutMs: 120_000 }).catch(() => undefined);
    for (const file of Object.keys(UNITS)) rmSync(join(host.unitDir, file), { force: true });
    await systemd.reload().catch(() => undefined);
    await systemd.close();
  }
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('an app of three containers on the real host: one lifecycle, one state', () => {
  it('is one app, stopped, with every container\'s own state', () => {
    const s = controller.get('ac');
    expect(s).toMatchObject({ state: 'stopped', unit: 'ac.service' });
    expect(containerStates(s)).toEqual(['db stopped', 'api stopped', 'web stopped']);
  });

  it('start: starting until every container is up and db healthy, in dependency order, then running', async () => {
    const from = rec.mark('ac');
    const cursor = await journalCursor();
    const result = await controller.start('ac');
    expect(result.status.state).toBe('starting');
    // The oneshot app unit is up at once; db waits for healthy meanwhile, and the app stays starting.
    const gated = await until('db activating (not yet healthy)', () => controller.get('ac')!, (s) => s.containers?.[0]?.activeState === 'activating', { intervalMs: 100 });
    expect(gated.state).toBe('starting');
    const running = await wait('ac', 'running');
    expect(containerStates(running)).toEqual(['db running', 'api running', 'web running']);
    expect(foldStates(rec.seen('ac'), from)).toEqual(['stopped', 'starting', 'running']);
    // Never running before every container was.
    for (const s of rec.seen('ac').slice(from)) if (s.state === 'running') expect(containerStates(s)).toEqual(['db running', 'api running', 'web running']);
    expect((await host.execOk(['podman', 'inspect', '--format', '{{.State.Health.Status}}', 'ac-db'])).trim()).toBe('healthy');
    const t = await jobTimes(cursor, 'start', ['db', 'api', 'web']);
    const seen = JSON.stringify(t);
    for (const name of ['db', 'api', 'web']) expect(t[name], seen).toMatchObject({ result: 'done', began: expect.any(Number) });
    expect(t.db!.began, seen).toBeGreaterThan(0);
    expect(t.api!.began, seen).toBeGreaterThanOrEqual(t.db!.ended); // api began once db was healthy
    expect(t.web!.began, seen).toBeGreaterThanOrEqual(t.api!.ended);
  });

  it('REST stop answers 202 while the stop runs; stopping (never running) through re-lists and re-reads, containers in reverse order, each stop timeout honoured, then stopped', async () => {
    const from = rec.mark('ac');
    const cursor = await journalCursor();
    const token = 'test-token-app-containers-0123456789';
    const api = createApi({ controller, token, log: memoryLog() });
    const auth = { authorization: `Bearer ${token}` };
    const res = await api.inject({ method: 'POST', url: '/api/apps/ac/stop', headers: auth });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ action: 'stop', status: { state: 'stopping' } });
    // The answer came while the stop runs: api (11 s to stop) has not stopped yet.
    expect((await host.exec(['systemctl', 'is-active', 'ac-api.service'])).stdout.trim()).not.toBe('inactive');
    const detail = (await api.inject({ method: 'GET', url: '/api/apps/ac', headers: auth })).json() as AppStatus;
    expect(detail.state).toBe('stopping');
    expect(detail.containers?.map((c) => c.name)).toEqual(['db', 'api', 'web']);

    // Scans while containers stop one by one: a re-list and a re-read of every unit (what a pass's setApps does).
    const webDown = await until('web stopped, api stopping', () => controller.get('ac')!, (s) => s.containers?.[2]?.state === 'stopped', { intervalMs: 100 });
    expect(webDown.state).toBe('stopping');
    expect(webDown.containers?.[1]?.state).toBe('stopping');
    await controller.relist();
    expect(controller.get('ac')?.state).toBe('stopping');
    await controller.setApps(controller.apps());
    expect(controller.get('ac')?.state).toBe('stopping');
    await controller.relist();

    const stopped = await wait('ac', 'stopped');
    expect(containerStates(stopped)).toEqual(['db stopped', 'api stopped', 'web stopped']);
    expect(foldStates(rec.seen('ac'), from)).toEqual(['running', 'stopping', 'stopped']);
    for (const s of rec.seen('ac').slice(from)) if (s.containers?.some((c) => c.state !== 'stopped')) expect(s.state).not.toBe('stopped');
    expect(controller.stats().misses).toBe(0);

    const t = await jobTimes(cursor, 'stop', ['db', 'api', 'web']);
    const seen = JSON.stringify(t);
    for (const name of ['db', 'api', 'web']) expect(t[name], seen).toMatchObject({ result: 'done', success: true });
    // Reverse order: each container's stop began once the one that depends on it had stopped.
    expect(t.web!.began, seen).toBeGreaterThan(0);
    expect(t.api!.began, seen).toBeGreaterThanOrEqual(t.web!.ended);
    expect(t.db!.began, seen).toBeGreaterThanOrEqual(t.api!.ended);
    // Each stop timeout honoured: api (StopTimeout=51) stopped by itself after its 11 s, not killed at podman's
    // default 10 s; web after its 3 s.
    expect(t.api!.ended - t.api!.began, seen).toBeGreaterThanOrEqual(11_000_000);
    expect(t.web!.ended - t.web!.began, seen).toBeGreaterThanOrEqual(3_000_000);
    await api.close();
  });

  it('restart: restarting through every container\'s stop and start, then running', async () => {
    await controller.start('ac');
    await wait('ac', 'running');
    const from = rec.mark('ac');
    const cursor = await journalCursor();
    const result = await controller.restart('ac');
    expect(result.status.state).toBe('restarting');
    await wait('ac', 'running');
    expect(foldStates(rec.seen('ac'), from)).toEqual(['running', 'restarting', 'running']);
    // Every container really went down and came up again, web first down, db first up.
    const [stop, start] = [await jobTimes(cursor, 'stop', ['db', 'api', 'web']), await jobTimes(cursor, 'start', ['db', 'api', 'web'])];
    const seen = JSON.stringify({ stop, start });
    expect(stop.web!.began, seen).toBeGreaterThan(0);
    expect(stop.db!.began, seen).toBeGreaterThanOrEqual(stop.web!.ended);
    expect(start.web!.began, seen).toBeGreaterThanOrEqual(start.db!.ended);
    const restarting = rec.seen('ac').slice(from).filter((s) => s.state === 'restarting');
    expect(restarting.some((s) => s.containers?.some((c) => c.activeState === 'deactivating'))).toBe(true);
  });

  it('a container stopped by hand: failed naming it; a Start of the app starts it again', async () => {
    await host.execOk(['systemctl', 'stop', 'ac-web.service']);
    const mixed = await wait('ac', 'failed');
    expect(mixed.reason).toBe('web: inactive');
    expect(containerStates(mixed)).toEqual(['db running', 'api running', 'web stopped']);
    // The app unit is active: its StartUnit still pulls in the container it wants.
    expect((await host.execOk(['systemctl', 'is-active', 'ac.service'])).trim()).toBe('active');
    const from = rec.mark('ac');
    const result = await controller.start('ac');
    expect(result.status.state).toBe('starting');
    const running = await wait('ac', 'running');
    expect(containerStates(running)).toEqual(['db running', 'api running', 'web running']);
    expect(foldStates(rec.seen('ac'), from)).toEqual(['failed', 'starting', 'running']);
  });

  it('one container failing: the app is failed, naming the container and systemd\'s Result', async () => {
    const from = rec.mark('acf');
    await controller.start('acf');
    const failed = await wait('acf', 'failed');
    expect(failed.reason).toBe('bad: exit-code');
    expect(containerStates(failed)).toEqual(['ok running', 'bad failed']);
    expect(failed.containers?.[1]).toMatchObject({ reason: 'exit-code', activeState: 'failed' });
    // Up for its 2 s, then bad's main process exits and systemd runs its stop commands (deactivating, as for a
    // one-container app) on the way to failed.
    const fold = foldStates(rec.seen('acf'), from);
    const seen = JSON.stringify(rec.seen('acf').slice(from).map((x) => [x.state, x.reason, containerStates(x)]));
    expect(fold.slice(0, 2), seen).toEqual(['stopped', 'starting']);
    expect(fold.at(-1), seen).toBe('failed');
    expect(fold.filter((x) => !['stopped', 'starting', 'running', 'stopping', 'failed'].includes(x)), seen).toEqual([]);
  });
});
