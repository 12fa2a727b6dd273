import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/create-api.js';
import type { ActionAccepted } from '../../src/api/types.js';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppStatus } from '../../src/controller/types.js';
import type { PassReport } from '../../src/reconcile/pass.js';
import { readIntent } from '../../src/store/state/intents.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { hostJournal, memoryLog } from '../support/api.js';
import { passOnHost, runUnitDir } from '../support/host.js';
import { rootlessCatalog, type NodeUnderTest, type RootlessCatalog } from '../support/node.js';
import { until } from '../support/wait.js';

// Issue 17: one instance of a template app started and stopped on its own, kept as an app's stop is kept. The
// controller records the stop (the intent's `stopped`) and takes the instance out of the app unit's Wants= before
// systemd hears of the call; neither a pass, nor a daemon-reload and a start of the app's unit, nor the generator's
// next run (a boot) starts it again; the other instance runs on; a start of it (or of the app) clears the stop.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-template-instances-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const APP = 'tl-idx';
const TOKEN = 'instances-lifecycle-token-0123456789';
let systemd: SystemdPort;
let controller: LiveController;

const manifest = `id: ${APP}
image: ${BUSYBOX_IMAGE}
instances: ["1", "2"]
command: [sh, -c, 'trap "exit 0" TERM; echo started %i; while true; do sleep 1; done']
stop:
  timeout: 5s
`;

const pass = (): Promise<PassReport> => passOnHost(host, { systemd, controller }, { manifestsDir: manifests, stateDir, unitDir });
const active = async (unit: string): Promise<string> => (await host.exec(['systemctl', 'is-active', unit])).stdout.trim();
const settled = (unit: string, want: string): Promise<string> => until(`${unit} ${want}`, () => active(unit), (s) => s === want, { timeoutMs: 60_000 });
const appUnit = (): string => readFileSync(join(unitDir, `${APP}.network`), 'utf8');
/** The instances systemd's loaded app unit wants (its Wants= also has podman's network-online.target). */
const wanted = async (): Promise<string> =>
  (await host.execOk(['systemctl', 'show', `${APP}.service`, '--property=Wants', '--value'])).trim().split(/\s+/).filter((u) => u.startsWith(`${APP}@`)).sort().join(' ');
const instance = (s: AppStatus | undefined, name: string) => s?.containers?.find((c) => c.name === name);

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  systemd = createSystemd({ address: host.busAddress });
  controller = await createController({ systemd, stateDir, apps: [], unitDir, relistIntervalMs: 0 });
  writeFileSync(join(manifests, `${APP}.yaml`), manifest);
  const r = await pass();
  expect(r.failures).toEqual([]);
  for (const i of ['1', '2']) await settled(`${APP}@${i}.service`, 'active');
});

afterAll(async () => {
  rmSync(join(manifests, `${APP}.yaml`), { force: true });
  await pass().catch(() => undefined);
  await controller.close();
  await systemd.close();
  rmSync(work, { recursive: true, force: true });
});

describe('one instance of a template app, started and stopped on its own (rootful, API and controller)', () => {
  it('POST /api/apps/:id/instances/2/stop answers 202 with the job queued; only instance 2 stops, and the app reads running', async () => {
    const server = createApi({ controller, token: TOKEN, log: memoryLog(), journal: hostJournal(host) });
    const auth = { authorization: `Bearer ${TOKEN}` };
    try {
      const res = await server.inject({ method: 'POST', url: `/api/apps/${APP}/instances/2/stop`, headers: auth });
      expect(res.statusCode).toBe(202);
      const body = res.json() as ActionAccepted;
      expect(body.action).toBe('stop');
      expect(body.instance).toBe('2');
      expect(body.job).toMatch(/^\/org\/freedesktop\/systemd1\/job\/\d+$/);
      // Answered as soon as the job was queued: instance 2's own status carries the stop, instance 1's does not.
      expect(instance(body.status, '2')?.job?.type).toBe('stop');
      expect(instance(body.status, '1')?.job).toBeUndefined();

      await settled(`${APP}@2.service`, 'inactive');
      expect(await active(`${APP}@1.service`)).toBe('active');
      const app = await until('the controller shows 2 stopped by the user and the app running', async () => controller.get(APP), (s) => s?.state === 'running' && instance(s, '2')?.state === 'stopped');
      expect(app?.containers?.map((c) => `${c.name} ${c.state} ${c.intent ?? '-'}`)).toEqual(['1 running -', '2 stopped stopped']);
      const detail = (await server.inject({ method: 'GET', url: `/api/apps/${APP}`, headers: auth })).json() as AppStatus;
      expect(detail.containers?.map((c) => `${c.name} ${c.state} ${c.intent ?? '-'}`)).toEqual(['1 running -', '2 stopped stopped']);

      // Unknown instances and actions: 404 naming what there is, before anything is written.
      const unknown = await server.inject({ method: 'POST', url: `/api/apps/${APP}/instances/3/stop`, headers: auth });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({ error: 'not-found', message: `instance "${APP}@3" not found (instances of ${APP}: 1, 2)` });
      const verb = await server.inject({ method: 'POST', url: `/api/apps/${APP}/instances/2/install`, headers: auth });
      expect(verb.statusCode).toBe(404);
      expect((await server.inject({ method: 'POST', url: `/api/apps/${APP}/instances/Bad!/stop`, headers: auth })).statusCode).toBe(400);
    } finally {
      await server.close();
    }
  });

  it('the stop is durable: the intent lists it, the app unit no longer wants it, exactly as a pass renders it', async () => {
    expect(await readIntent(stateDir, APP)).toMatchObject({ intent: 'running', stopped: ['2'] });
    expect(appUnit()).toContain(`Wants=${APP}@1.service\n`);
    expect(appUnit()).not.toContain(`Wants=${APP}@2.service`);
    // The controller reloaded systemd after its answer: the loaded app unit no longer wants instance 2 either.
    await until('the loaded app unit wanting instance 1 alone', wanted, (w) => w === `${APP}@1.service`);
    // The controller's file is the pass's: nothing to write, nothing to start, nothing restarted.
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([]);
    expect(await active(`${APP}@2.service`)).toBe('inactive');
    expect(await active(`${APP}@1.service`)).toBe('active');
  });

  it('neither a daemon-reload and a start of the app unit, nor a pass after instance 1 went down, nor the generator starts instance 2', async () => {
    await host.execOk(['systemctl', 'daemon-reload']);
    // What a boot runs: the generator's service of the app unit wants instance 1 only.
    expect(await wanted()).toBe(`${APP}@1.service`);
    await host.execOk(['systemctl', 'start', `${APP}.service`]);
    expect(await active(`${APP}@2.service`)).toBe('inactive');
    // Instance 1 taken down behind the product's back: the pass starts the app's unit, which brings back 1 alone.
    await host.execOk(['systemctl', 'stop', `${APP}@1.service`]);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([`start ${APP}.service`]);
    await settled(`${APP}@1.service`, 'active');
    expect(await active(`${APP}@2.service`)).toBe('inactive');
    expect((await pass()).done).toEqual([]);
  });

  it('a start of instance 2 clears its stop; a pass keeps both running', async () => {
    const r = await controller.start(APP, '2');
    expect(r.instance).toBe('2');
    await settled(`${APP}@2.service`, 'active');
    expect(appUnit()).toContain(`Wants=${APP}@1.service\nWants=${APP}@2.service\n`);
    expect(await readIntent(stateDir, APP)).not.toHaveProperty('stopped');
    const p = await pass();
    expect(p.failures).toEqual([]);
    expect(p.done).toEqual([]);
    await until('the app unit wants both again once reloaded', wanted, (w) => w === `${APP}@1.service ${APP}@2.service`);
  });

  it("the app's stop and start act on every instance, and a start of the app brings back an instance stopped on its own", async () => {
    await controller.stop(APP, '1');
    await settled(`${APP}@1.service`, 'inactive');
    await controller.stop(APP);
    for (const i of ['1', '2']) await settled(`${APP}@${i}.service`, 'inactive');
    await controller.start(APP);
    for (const i of ['1', '2']) await settled(`${APP}@${i}.service`, 'active');
    expect(appUnit()).toContain(`Wants=${APP}@1.service\nWants=${APP}@2.service\n`);
    // Instance 1 stopped on its own, then the app started: both run, and the stop is gone.
    await controller.stop(APP, '1');
    await settled(`${APP}@1.service`, 'inactive');
    await controller.start(APP);
    await settled(`${APP}@1.service`, 'active');
    expect(await active(`${APP}@2.service`)).toBe('active');
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([]);
  });

  it('a start of one instance of a stopped app runs that instance alone', async () => {
    await controller.stop(APP);
    for (const i of ['1', '2']) await settled(`${APP}@${i}.service`, 'inactive');
    await controller.start(APP, '2');
    await settled(`${APP}@2.service`, 'active');
    expect(await active(`${APP}@1.service`)).toBe('inactive');
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(await active(`${APP}@1.service`)).toBe('inactive');
    expect(await active(`${APP}@2.service`)).toBe('active');
    await until('the app running with instance 1 stopped by the user', async () => controller.get(APP), (s) => s?.state === 'running' && instance(s, '1')?.intent === 'stopped');
  });
});

describe('one instance of a template app under a user manager (rootless), through the command line', () => {
  const id = 'tl-user';
  let rl: RootlessCatalog;
  let node: NodeUnderTest;
  let dirs: RootlessCatalog['dirs'];
  const userActive = (unit: string): Promise<string> => rl.active(unit);
  // The live commands act on the units apply wrote (the user's runtime unit directory, not the default one).
  const live = (...args: string[]): string[] => [...args, '--unit-dir', node.inside(dirs.unitDir)];

  beforeAll(async () => {
    rl = await rootlessCatalog(host, 'archy-template-instances-user-');
    ({ node, dirs } = rl);
  });

  afterAll(() => rl.close([id]));

  it('stop APP@2 stops that instance alone and apply keeps it stopped; start APP@2 runs it again; status lists both', async () => {
    writeFileSync(join(dirs.manifests, `${id}.yaml`), manifest.replace(`id: ${APP}`, `id: ${id}`));
    await node.handOver(dirs.manifests);
    const first = await node.cli(dirs, ['apply']);
    expect(first.code, first.stderr).toBe(0);
    for (const i of ['1', '2']) expect(await userActive(`${id}@${i}.service`), i).toBe('active');

    const stop = await node.cli(dirs, live('stop', `${id}@2`, '--wait'));
    expect(stop.stderr).not.toMatch(/error|failed/i);
    expect(stop.stdout).toMatch(new RegExp(`^${id}@2: stopping \\(stop job \\d+ queued\\)\\n${id}@2: stopped \\(job done\\)\\n$`));
    expect(await userActive(`${id}@1.service`)).toBe('active');
    const applied = await node.cli(dirs, ['apply']);
    expect(applied.code).toBe(0);
    expect(await userActive(`${id}@2.service`)).toBe('inactive');
    expect(await userActive(`${id}@1.service`)).toBe('active');
    const status = await node.cli(dirs, live('status'));
    expect(status.stdout).toMatch(new RegExp(`^  1 +running *$`, 'm'));
    expect(status.stdout).toMatch(new RegExp(`^  2 +stopped +stopped by user$`, 'm'));

    const unknown = await node.cli(dirs, live('stop', `${id}@9`));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`instance "${id}@9" not found (instances of ${id}: 1, 2)`);

    const start = await node.cli(dirs, live('start', `${id}@2`, '--wait'));
    expect(start.stdout).toMatch(new RegExp(`${id}@2: running \\(job done\\)\\n$`));
    expect(await userActive(`${id}@2.service`)).toBe('active');
    expect((await node.cli(dirs, ['apply'])).code).toBe(0);
    for (const i of ['1', '2']) expect(await userActive(`${id}@${i}.service`), i).toBe('active');
  });
});
