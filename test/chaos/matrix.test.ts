import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureCause } from '../../src/api/failure-cause.js';
import { createController, type LiveController } from '../../src/controller/controller.js';
import { appService } from '../../src/naming.js';
import { readIntent } from '../../src/store/state/intents.js';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { appManifest, healthyAfterCommand, slowStopCommand } from '../support/apps.js';
import { fileDiff, ownedFiles, streamViolations } from '../support/chaos-checks.js';
import { daemonKilledMidStop, matrixChecks, removeContainerAndWait } from '../support/chaos-matrix.js';
import { hostArgs, hostCli, startServeChild } from '../support/cli.js';
import { appRefs, foldStates, record, type Recorder, waitForState } from '../support/controller.js';
import { jobTimes, journalCursor } from '../support/host.js';
import { sleep } from '../support/wait.js';

// The chaos matrix on the real host (systemd 257, podman 5.4.2): apps installed through the real pipeline
// (manifests → `apply`), then faults from outside. Every scenario ends with the same checks: the app is in its
// desired state within its own timeouts, the event stream never showed `running` during a stop and no transitional
// state outlived its deadline, none of our files is lost or torn, and the user's intent is kept.

const host = useHost();
const SLOW = 'cx-slow';
const HEALTH = 'cx-health';
const NET = 'cx-net';
const IMG = 'cx-img';
/** An app of several containers: db (gated on health) → api (slow to stop) → web. */
const STACK = 'cx-stack';
const STACK_CONTAINERS = ['db', 'api', 'web'] as const;
const IDS = [SLOW, HEALTH, NET, IMG, STACK];
const SPARE_IMAGE = 'localhost/chaos-img:1';
const SLOW_STOP_S = 12;

const work = mkdtempSync(join(tmpdir(), 'aq-chaos-matrix-'));
const dirs = { stateDir: join(work, 'state'), manifests: join(work, 'manifests') };
let systemd: SystemdPort;
let controller: LiveController;
let rec: Recorder;
let owned0: Map<string, string>;
let rmImageReason = '';
const checks = matrixChecks(host.unitDir, dirs.stateDir, () => ({ controller, rec }));
const { endOf, rememberPass } = checks;

const sh = (script: string): string => `[sh, -c, ${JSON.stringify(script)}]`;
const STACK_MANIFEST = `id: ${STACK}
containers:
  db:
    image: ${BUSYBOX_IMAGE}
    command: ${sh(healthyAfterCommand(2))}
    health:
      cmd: [test, -f, /tmp/ready]
      interval: 1s
      retries: 2
    stop:
      timeout: 5s
  api:
    image: ${BUSYBOX_IMAGE}
    command: ${sh(slowStopCommand(4))}
    dependsOn:
      - container: db
        condition: healthy
    stop:
      timeout: 20s
  web:
    image: ${BUSYBOX_IMAGE}
    command: ${sh('trap "exit 0" TERM; while true; do sleep 1; done')}
    dependsOn:
      - container: api
    stop:
      timeout: 5s
`;

/** The controller's apps: the one-container ones, and the stack with its containers. */
const appsOfMatrix = () => [
  ...appRefs(IDS.filter((id) => id !== STACK)),
  { id: STACK, name: STACK, unit: appService(STACK), containers: STACK_CONTAINERS.map((name) => ({ name, unit: `${STACK}-${name}.service` })) },
];

/** Events of the stack that read `running` while one of its containers does not (each as a line); none is allowed. */
function stackRunningEarly(from: number): string[] {
  return rec
    .seen(STACK)
    .slice(Math.max(0, from - 1))
    .filter((e) => e.state === 'running' && (e.containers ?? []).some((c) => c.state !== 'running'))
    .map((e) => `running while ${(e.containers ?? []).map((c) => `${c.name} ${c.state}`).join(', ')}`);
}

/** `serve` on the host's bus, tracking the units in the host's Quadlet directory. */
const startServe = () => startServeChild([...hostArgs(host, { stateDir: dirs.stateDir }), 'serve', '--unit-dir', host.unitDir, '--listen', '127.0.0.1:0']);

/** Main PID of an app's container, as the host sees it. */
async function containerPid(id: string): Promise<number> {
  return Number((await host.execOk(['podman', 'inspect', '-f', '{{.State.Pid}}', id])).trim());
}

beforeAll(async () => {
  mkdirSync(dirs.manifests, { recursive: true });
  await host.execOk(['podman', 'tag', BUSYBOX_IMAGE, SPARE_IMAGE]);
  writeFileSync(join(dirs.manifests, `${SLOW}.yaml`), appManifest(SLOW, { command: slowStopCommand(SLOW_STOP_S), stopTimeout: '40s' }));
  writeFileSync(join(dirs.manifests, `${HEALTH}.yaml`), appManifest(HEALTH, { command: healthyAfterCommand(3), health: true }));
  writeFileSync(join(dirs.manifests, `${NET}.yaml`), appManifest(NET, { network: 'archy' }));
  writeFileSync(join(dirs.manifests, `${IMG}.yaml`), appManifest(IMG, { image: SPARE_IMAGE }));
  writeFileSync(join(dirs.manifests, `${STACK}.yaml`), STACK_MANIFEST);
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  rec?.stop();
  await controller?.close();
  for (const id of IDS) await systemd.stopUnit(appService(id)).catch(() => undefined);
  for (const name of owned0?.keys() ?? []) rmSync(join(host.unitDir, name), { force: true });
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  await host.exec(['podman', 'rmi', SPARE_IMAGE]);
  checks.figures('chaos-matrix', { 'rm-image: reason of the crash loop': rmImageReason });
  rmSync(work, { recursive: true, force: true });
});

describe('chaos matrix on the real host', () => {
  it('install-fresh: apply installs and starts every app; a second pass has nothing to do', async () => {
    const t0 = performance.now();
    const r = await hostCli(host, dirs, ['apply']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    controller = await createController({ systemd, stateDir: dirs.stateDir, apps: appsOfMatrix() });
    rec = record(controller);
    for (const id of IDS) await waitForState(controller, id, 'running', { timeoutMs: 60_000 });
    owned0 = checks.installedNow();
    expect([...owned0.keys()].sort()).toEqual(
      ['archy.network', ...IDS.filter((id) => id !== STACK).map((id) => `${id}.container`), `${STACK}.network`, ...STACK_CONTAINERS.map((c) => `${STACK}-${c}.container`)].sort(),
    );
    expect(controller.get(STACK)!.containers?.map((c) => c.state)).toEqual(['running', 'running', 'running']);
    const again = await hostCli(host, dirs, ['apply', '--dry-run']);
    expect(again.stdout.trim()).toBe('nothing to do');
    for (const id of IDS) expect(streamViolations(rec.seen(id))).toEqual([]);
    await endOf('install-fresh', t0, HEALTH, 0, 'running', undefined);
  });

  it(`graceful-stop: the slow app takes ≥ ${SLOW_STOP_S - 2} s; stopping throughout, never running; the next apply keeps it stopped`, async () => {
    const t0 = performance.now();
    const from = rec.mark(SLOW);
    const res = await controller.stop(SLOW);
    expect(res.status.state).toBe('stopping');
    expect(res.status.deadline).toBeDefined();
    const stopped = await waitForState(controller, SLOW, 'stopped', { timeoutMs: 90_000 });
    expect(Date.parse(stopped.since!) - (Date.now() - (performance.now() - t0))).toBeGreaterThanOrEqual((SLOW_STOP_S - 2) * 1000);
    expect(foldStates(rec.seen(SLOW), from)).toEqual(['running', 'stopping', 'stopped']);
    // The next pass keeps the user's stop: it does not start the app, and drops its [Install] so a reboot does not either.
    const pass = await hostCli(host, dirs, ['apply']);
    expect(pass.code, pass.stderr + pass.stdout).toBe(0);
    rememberPass();
    expect(ownedFiles(host.unitDir).get(`${SLOW}.container`)).not.toContain('WantedBy=');
    await sleep(1000);
    await endOf('graceful-stop', t0, SLOW, from, 'stopped', 'stopped');
  });

  it('sigkill: kill -9 of the container\'s main process → systemd restarts it, through the health gate, to running', async () => {
    const t0 = performance.now();
    const from = rec.mark(HEALTH);
    const pid = await containerPid(HEALTH);
    await host.execOk(['kill', '-9', String(pid)]);
    await waitForState(controller, HEALTH, 'starting', { timeoutMs: 30_000 }).catch(() => undefined);
    await waitForState(controller, HEALTH, 'running', { timeoutMs: 60_000 });
    expect(await containerPid(HEALTH)).not.toBe(pid);
    expect(foldStates(rec.seen(HEALTH), from)).toContain('starting');
    await endOf('sigkill', t0, HEALTH, from, 'running', undefined);
  });

  it('oom-kill (simulated: SIGKILL from outside, exit status 137; this host has no memory controller) → restarted to running', async () => {
    const t0 = performance.now();
    await controller.start(SLOW);
    await waitForState(controller, SLOW, 'running', { timeoutMs: 60_000 });
    const from = rec.mark(SLOW);
    const pid = await containerPid(SLOW);
    await host.execOk(['kill', '-KILL', String(pid)]);
    await waitForState(controller, SLOW, 'starting', { timeoutMs: 30_000 }).catch(() => undefined);
    await waitForState(controller, SLOW, 'running', { timeoutMs: 60_000 });
    expect(await host.journal(appService(SLOW), 60)).toMatch(/status=137/);
    await endOf('oom-kill', t0, SLOW, from, 'running', 'running');
  });

  it('rm-container: podman rm -f under the unit → systemd brings a new container up', async () => {
    const t0 = performance.now();
    const from = rec.mark(NET);
    expect(await removeContainerAndWait((argv) => host.exec(argv), NET)).not.toBe('');
    await waitForState(controller, NET, 'running', { timeoutMs: 30_000 });
    await endOf('rm-container', t0, NET, from, 'running', undefined);
  });

  it('network-partition: the app\'s network disconnected and reconnected; the app keeps running', async () => {
    const t0 = performance.now();
    const from = rec.mark(NET);
    const networks = async (): Promise<string> => (await host.execOk(['podman', 'inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', NET])).trim();
    expect(await networks()).toBe('archy');
    await host.execOk(['podman', 'network', 'disconnect', 'archy', NET]);
    expect(await networks()).toBe('');
    await sleep(3000);
    expect(controller.get(NET)!.state).toBe('running');
    await host.execOk(['podman', 'network', 'connect', 'archy', NET]);
    expect(await networks()).toBe('archy');
    await endOf('network-partition', t0, NET, from, 'running', undefined);
  });

  it("rm-image: image removed while stopped → start fails, and Restart=on-failure runs podman again and again: a crash loop with podman's exit and its error, intent kept; image back → start → running", async () => {
    const t0 = performance.now();
    const from = rec.mark(IMG);
    await controller.stop(IMG);
    await waitForState(controller, IMG, 'stopped', { timeoutMs: 30_000 });
    await host.execOk(['podman', 'rmi', SPARE_IMAGE]);
    await controller.start(IMG);
    // podman run exits 125 after its pull retries (about 3 s here), so 5 starts never fall within the default start
    // limit's 10 s: systemd keeps restarting it, and the honest state is a crash loop, not failed.
    const failed = await waitForState(controller, IMG, 'crash-loop', { timeoutMs: 120_000 });
    expect(failed.reason).toMatch(/^exited 125, restarted \d+×$/);
    expect(failed.deadline).toBeUndefined();
    expect(failureCause((await host.journal(appService(IMG), 50)).split('\n'))).toMatch(/^Error: .*chaos-img/);
    expect((await readIntent(dirs.stateDir, IMG))?.intent).toBe('running');
    const failedReason = failed.reason;
    await host.execOk(['podman', 'tag', BUSYBOX_IMAGE, SPARE_IMAGE]);
    await controller.start(IMG);
    await waitForState(controller, IMG, 'running', { timeoutMs: 60_000 });
    rmImageReason = failedReason ?? '';
    await endOf('rm-image', t0, IMG, from, 'running', 'running');
  });

  it('restart of archy-quadlet mid-stop: serve killed while the slow app stops; a new serve shows stopping, then stopped; intent kept', async () => {
    const t0 = performance.now();
    const from = rec.mark(SLOW);
    const token = await loadOrCreateToken(dirs.stateDir);
    expect(await daemonKilledMidStop({ serve: startServe, token, id: SLOW, stateDir: dirs.stateDir, controller })).toBe(0);
    await endOf('restart-of-archy-quadlet', t0, SLOW, from, 'running', 'running');
  });

  it('stack-stop-start: an app of several containers stops as one (stopping until every container is down, in reverse order), and starts as one', async () => {
    const t0 = performance.now();
    const from = rec.mark(STACK);
    const cursor = await journalCursor(host);
    const res = await controller.stop(STACK);
    expect(res.status.state).toBe('stopping');
    await waitForState(controller, STACK, 'stopped', { timeoutMs: 90_000 });
    expect(foldStates(rec.seen(STACK), from)).toEqual(['running', 'stopping', 'stopped']);
    // Reverse order, from systemd's job messages (a stopped unit may be unloaded at once, losing its timestamps).
    const stops = await jobTimes(host, cursor, 'stop', STACK_CONTAINERS.map((c) => `${STACK}-${c}.service`));
    const stop = (c: string): { began: number; ended: number; result: string } => stops[`${STACK}-${c}.service`]!;
    for (const c of STACK_CONTAINERS) expect({ c, result: stop(c).result, ended: stop(c).ended > 0 }).toEqual({ c, result: 'done', ended: true });
    expect(stop('api').began).toBeGreaterThanOrEqual(stop('web').ended);
    expect(stop('db').began).toBeGreaterThanOrEqual(stop('api').ended);
    const started = rec.mark(STACK);
    await controller.start(STACK);
    await waitForState(controller, STACK, 'running', { timeoutMs: 90_000 });
    expect(foldStates(rec.seen(STACK), started)).toEqual(['stopped', 'starting', 'running']);
    expect(stackRunningEarly(from)).toEqual([]);
    await endOf('stack-stop-start', t0, STACK, from, 'running', 'running');
  });

  it('stack-sigkill: kill -9 of the db container\'s main process → systemd restarts it; the app never reads running before all are up', async () => {
    const t0 = performance.now();
    const from = rec.mark(STACK);
    const pid = await containerPid(`${STACK}-db`);
    await host.execOk(['kill', '-9', String(pid)]);
    await waitForState(controller, STACK, 'starting', { timeoutMs: 30_000 }).catch(() => undefined);
    await waitForState(controller, STACK, 'running', { timeoutMs: 90_000 });
    await sleep(1000);
    await waitForState(controller, STACK, 'running', { timeoutMs: 90_000 });
    expect(await containerPid(`${STACK}-db`)).not.toBe(pid);
    expect(stackRunningEarly(from)).toEqual([]);
    await endOf('stack-sigkill', t0, STACK, from, 'running', 'running');
  });

  it('after the matrix: a pass keeps every app running, restores the installed files, and then has nothing to do', async () => {
    const r = await hostCli(host, dirs, ['apply']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(fileDiff(owned0, ownedFiles(host.unitDir))).toEqual([]);
    const again = await hostCli(host, dirs, ['apply', '--dry-run']);
    expect(again.stdout.trim()).toBe('nothing to do');
    for (const id of IDS) expect(controller.get(id)!.state).toBe('running');
  });
});
