import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassReport } from '../../src/reconcile/pass.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { rootlessCatalog, type NodeUnderTest, type RootlessCatalog } from '../support/node.js';
import { createApi } from '../../src/api/create-api.js';
import type { AppStatus } from '../../src/controller/types.js';
import { hostJournal, memoryLog } from '../support/api.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { passOnHost, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

// Issue 17: template units on the real host. One manifest with instances [1, 2] renders tu-idx@.container and the
// app unit tu-idx.network wanting tu-idx@1.service and tu-idx@2.service. podman 5.4.2's generator accepts the
// template, a pass starts both instances, each with its own %i (container name, argument, environment, data
// directory), stopping one leaves the other, the app's unit stops and starts them all, an instance taken out of the
// list is stopped, and removing the app removes the template.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-template-units-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const APP = 'tu-idx';
const DATA = `/var/lib/archipelago/${APP}`;
let h: HostController;

const manifest = (instances: string[]): string => `id: ${APP}
image: ${BUSYBOX_IMAGE}
instances: [${instances.map((i) => JSON.stringify(i)).join(', ')}]
command: [sh, -c, 'echo "shard $SHARD" > /data/who; trap "exit 0" TERM; echo started %i; while true; do sleep 1; done', "%i"]
environment:
  SHARD: "s-%i"
binds:
  - source: ${DATA}/%i
    target: /data
stop:
  timeout: 5s
`;

function pass(): Promise<PassReport> {
  return passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir });
}
const active = async (unit: string): Promise<string> => (await host.exec(['systemctl', 'is-active', unit])).stdout.trim();

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  h = await controllerOnHost(host, [APP], { stateDir });
});

afterAll(async () => {
  rmSync(join(manifests, `${APP}.yaml`), { force: true });
  await pass().catch(() => undefined);
  await h.close();
  await host.exec(['rm', '-rf', DATA]);
  rmSync(work, { recursive: true, force: true });
});

describe('template units: one manifest, N instances, on the real host', () => {
  it('a pass installs the template and starts both instances, each with its own %i', async () => {
    writeFileSync(join(manifests, `${APP}.yaml`), manifest(['1', '2']));
    const r = await pass();
    expect(r.failures).toEqual([]);
    // One start of the app's unit; each instance's data directory made from the bind's %i.
    expect(r.done).toEqual([`write units/${APP}.network`, `write units/${APP}@.container`, `make directory ${DATA}/1`, `make directory ${DATA}/2`, 'daemon-reload', `start ${APP}.service`]);
    // The generator made the template (not two units): systemd knows indexer@.service as a template's file.
    expect((await host.execOk(['systemctl', 'show', `${APP}@1.service`, '--property=FragmentPath'])).trim()).toBe(`FragmentPath=/run/systemd/generator/${APP}@.service`);
    for (const i of ['1', '2']) {
      expect(await active(`${APP}@${i}.service`), i).toBe('active');
      expect(await host.execOk(['podman', 'inspect', '--format', '{{.Name}} {{.Config.Cmd}}', `${APP}-${i}`]), i).toContain(`${APP}-${i} `);
      expect((await host.execOk(['podman', 'exec', `${APP}-${i}`, 'sh', '-c', 'echo $SHARD'])).trim(), i).toBe(`s-${i}`);
      await until(`${i}'s data`, () => host.exec(['cat', `${DATA}/${i}/who`]).then((x) => x.stdout), (t) => t === `shard s-${i}\n`);
      expect(await host.execOk(['journalctl', '-u', `${APP}@${i}.service`, '-o', 'cat', '--no-pager']), i).toContain(`started ${i}`);
    }
    expect(readdirSync(unitDir).filter((n) => n.startsWith(APP)).sort()).toEqual([`${APP}.network`, `${APP}@.container`]);
    expect((await pass()).done).toEqual([]);
  });

  it('status and the API list the instances as the app\'s containers, each with its state and its own log', async () => {
    const app = await until('both instances running in the controller', async () => h.controller.list().find((a) => a.id === APP), (a) => a?.containers?.every((c) => c.state === 'running') === true);
    expect(app?.state).toBe('running');
    expect(app?.containers?.map((c) => `${c.name} ${c.unit}`)).toEqual([`1 ${APP}@1.service`, `2 ${APP}@2.service`]);
    const token = 'instances-token-0123456789abcdef';
    const api = createApi({ controller: h.controller, token, log: memoryLog(), journal: hostJournal(host) });
    const auth = { authorization: `Bearer ${token}` };
    const detail = (await api.inject({ method: 'GET', url: `/api/apps/${APP}`, headers: auth })).json() as AppStatus;
    expect(detail.containers?.map((c) => `${c.name} ${c.state}`)).toEqual(['1 running', '2 running']);
    const log = (await api.inject({ method: 'GET', url: `/api/apps/${APP}/logs?container=2`, headers: auth })).json() as { lines: string[] };
    expect(log.lines.join('\n')).toContain('started 2');
    expect(log.lines.join('\n')).not.toContain('started 1');
    await api.close();
  });

  it('stopping one instance leaves the other; the app unit stops and starts them all', async () => {
    await host.execOk(['systemctl', 'stop', `${APP}@1.service`]);
    expect(await active(`${APP}@1.service`)).toBe('inactive');
    expect(await active(`${APP}@2.service`)).toBe('active');
    await host.execOk(['systemctl', 'start', `${APP}@1.service`]);
    await host.execOk(['systemctl', 'stop', `${APP}.service`]);
    for (const i of ['1', '2']) expect(await active(`${APP}@${i}.service`), i).toBe('inactive');
    await host.execOk(['systemctl', 'start', `${APP}.service`]);
    for (const i of ['1', '2']) await until(`${APP}@${i} active`, () => active(`${APP}@${i}.service`), (s) => s === 'active');
  });

  it('an instance taken out of the list is stopped and one put back started, the other untouched; removing the app removes the template and stops the rest', async () => {
    writeFileSync(join(manifests, `${APP}.yaml`), manifest(['2']));
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([`stop ${APP}@1.service`, `write units/${APP}.network`, 'daemon-reload', `adopt ${APP}`]);
    await until(`${APP}@1 stopped`, () => active(`${APP}@1.service`), (s) => s === 'inactive' || s === 'failed');
    expect(await active(`${APP}@2.service`)).toBe('active');
    // Back to two: the new instance starts, the one that stayed keeps running (the same invocation throughout).
    const invocation = async (): Promise<string> => (await host.execOk(['systemctl', 'show', `${APP}@2.service`, '--property=InvocationID'])).trim();
    const before = await invocation();
    writeFileSync(join(manifests, `${APP}.yaml`), manifest(['1', '2']));
    const grown = await pass();
    expect(grown.failures).toEqual([]);
    expect(grown.done).toContain(`start ${APP}.service`);
    expect(await active(`${APP}@1.service`)).toBe('active');
    expect(await invocation()).toBe(before);

    rmSync(join(manifests, `${APP}.yaml`));
    const removed = await pass();
    expect(removed.failures).toEqual([]);
    expect(removed.done).toContain(`forget ${APP}`);
    await until(`${APP}@2 stopped`, () => active(`${APP}@2.service`), (s) => s !== 'active' && s !== 'deactivating');
    expect(readdirSync(unitDir).filter((n) => n.startsWith(APP))).toEqual([]);
    expect(readFileSync(join(host.rootDir, DATA, '2', 'who'), 'utf8')).toBe('shard s-2\n');
  });
});

describe('template units under a user manager (rootless), through the command line', () => {
  const id = 'tu-user';
  let rl: RootlessCatalog;
  let node: NodeUnderTest;
  let dirs: RootlessCatalog['dirs'];
  const userActive = (unit: string): Promise<string> => rl.active(unit);

  beforeAll(async () => {
    rl = await rootlessCatalog(host, 'archy-template-user-');
    ({ node, dirs } = rl);
  });

  afterAll(() => rl.close([id]));

  it('apply starts both instances with their own %i; stopping one leaves the other; removing the app stops both', async () => {
    writeFileSync(join(dirs.manifests, `${id}.yaml`), `id: ${id}
image: ${BUSYBOX_IMAGE}
instances: ["1", "2"]
command: [sh, -c, 'trap "exit 0" TERM; echo started %i; while true; do sleep 1; done']
stop:
  timeout: 5s
`);
    await node.handOver(dirs.manifests);
    const r = await node.cli(dirs, ['apply']);
    expect(r.stderr).not.toMatch(/error|failed/i);
    expect(r.code).toBe(0);
    for (const i of ['1', '2']) {
      expect(await userActive(`${id}@${i}.service`), i).toBe('active');
      expect(await node.journal(`${id}@${i}.service`), i).toContain(`started ${i}`);
    }
    await node.execOk([...node.systemctl, 'stop', `${id}@1.service`]);
    expect(await userActive(`${id}@1.service`)).toBe('inactive');
    expect(await userActive(`${id}@2.service`)).toBe('active');

    rmSync(join(dirs.manifests, `${id}.yaml`));
    expect((await node.cli(dirs, ['apply', '--allow-empty'])).code).toBe(0);
    await until(`${id}@2 stopped`, () => userActive(`${id}@2.service`), (s) => s !== 'active' && s !== 'deactivating');
    expect(readdirSync(dirs.unitDir).filter((n) => n.startsWith(id))).toEqual([]);
  });
});
