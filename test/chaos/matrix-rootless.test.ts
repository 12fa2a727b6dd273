import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createController, type LiveController } from '../../src/controller/controller.js';
import { appService } from '../../src/naming.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost, userManager, type UserManager } from '../host/index.js';
import { appManifest, healthyAfterCommand, slowStopCommand } from '../support/apps.js';
import { ownedFiles } from '../support/chaos-checks.js';
import { daemonKilledMidStop, matrixChecks, removeContainerAndWait } from '../support/chaos-matrix.js';
import { appRefs, foldStates, record, type Recorder, waitForState } from '../support/controller.js';
import { userNode, type NodeUnderTest } from '../support/node.js';

// The chaos matrix's scenarios that apply rootless, on the user's manager of the real host: apps installed by `apply`
// run inside the host as the user (its unit directory under $XDG_RUNTIME_DIR, its podman), faults from the user's
// side (the user's podman, a signal from the user), the daemon inside as the user. Each ends with the matrix's checks:
// the app in its desired state, no stream violation (never `running` during a stop, no transitional state past its
// deadline), none of our files lost or torn, the user's intent kept.

const host = useHost();
const SLOW = 'rx-slow';
const HEALTH = 'rx-health';
const NET = 'rx-net';
const IDS = [SLOW, HEALTH, NET];
const SLOW_STOP_S = 12;

let user: UserManager;
let node: NodeUnderTest;
let unitDir: string;
let dirs: { stateDir: string; manifests: string; unitDir: string };
let work: string;
let systemd: SystemdPort;
let controller: LiveController;
let rec: Recorder;
let checks: ReturnType<typeof matrixChecks>;

/**
 * The command line inside as the user. The test's own controller (here, as root) records the user's stops and starts
 * in the same state directory, as the node's daemon would: its files are handed to the user first.
 */
async function cli(args: readonly string[]): ReturnType<NodeUnderTest['cli']> {
  await node.handOver(dirs.stateDir);
  return node.cli(dirs, args);
}

/** The container's main process, as the host sees it (the user's podman). */
async function containerPid(id: string): Promise<number> {
  return Number((await node.execOk(['podman', 'inspect', '-f', '{{.State.Pid}}', id])).trim());
}

beforeAll(async () => {
  user = await userManager(host);
  node = userNode(host, user);
  unitDir = await node.runUnitDir();
  work = node.tempDir('aq-chaos-rootless-');
  dirs = { stateDir: join(work, 'state'), manifests: join(work, 'manifests'), unitDir };
  checks = matrixChecks(unitDir, dirs.stateDir, () => ({ controller, rec }));
  mkdirSync(dirs.manifests);
  writeFileSync(join(dirs.manifests, `${SLOW}.yaml`), appManifest(SLOW, { command: slowStopCommand(SLOW_STOP_S), stopTimeout: '40s' }));
  writeFileSync(join(dirs.manifests, `${HEALTH}.yaml`), appManifest(HEALTH, { command: healthyAfterCommand(3), health: true }));
  writeFileSync(join(dirs.manifests, `${NET}.yaml`), appManifest(NET, { network: 'archy' }));
  systemd = createSystemd({ address: node.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  rec?.stop();
  await controller?.close();
  for (const id of IDS) await systemd?.stopUnit(appService(id)).catch(() => undefined);
  for (const name of checks?.installed().keys() ?? []) rmSync(join(unitDir, name), { force: true });
  await systemd?.reload().catch(() => undefined);
  await systemd?.close();
  await user?.close();
  checks?.figures('chaos-matrix-rootless');
  rmSync(work, { recursive: true, force: true });
});

describe('chaos matrix, rootless (the user manager)', () => {
  it('install-fresh: apply installs and starts every app; a second pass has nothing to do', async () => {
    const t0 = performance.now();
    const r = await cli(['apply']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    controller = await createController({ systemd, stateDir: dirs.stateDir, apps: appRefs(IDS) });
    rec = record(controller);
    for (const id of IDS) await waitForState(controller, id, 'running', { timeoutMs: 60_000 });
    expect([...checks.installedNow().keys()].sort()).toEqual(['archy.network', ...IDS.map((id) => `${id}.container`)].sort());
    const again = await cli(['apply', '--dry-run']);
    expect(again.stdout.trim()).toBe('nothing to do');
    await checks.endOf('install-fresh', t0, HEALTH, 0, 'running', undefined);
  });

  it(`graceful-stop: the slow app takes ≥ ${SLOW_STOP_S - 2} s; stopping throughout, never running; the next apply keeps it stopped`, async () => {
    const t0 = performance.now();
    const from = rec.mark(SLOW);
    const res = await controller.stop(SLOW);
    expect(res.status.state).toBe('stopping');
    const stopped = await waitForState(controller, SLOW, 'stopped', { timeoutMs: 90_000 });
    expect(Date.parse(stopped.since!) - (Date.now() - (performance.now() - t0))).toBeGreaterThanOrEqual((SLOW_STOP_S - 2) * 1000);
    expect(foldStates(rec.seen(SLOW), from)).toEqual(['running', 'stopping', 'stopped']);
    const pass = await cli(['apply']);
    expect(pass.code, pass.stderr + pass.stdout).toBe(0);
    checks.rememberPass();
    expect(ownedFiles(unitDir).get(`${SLOW}.container`)).not.toContain('WantedBy=');
    await checks.endOf('graceful-stop', t0, SLOW, from, 'stopped', 'stopped');
  });

  it("sigkill: kill -9 of the container's main process (by the user) → systemd restarts it, through the health gate, to running", async () => {
    const t0 = performance.now();
    const from = rec.mark(HEALTH);
    const pid = await containerPid(HEALTH);
    await node.execOk(['kill', '-9', String(pid)]);
    // Until systemd has seen the kill, the app still reads running: wait for the restart's start first.
    await waitForState(controller, HEALTH, 'starting', { timeoutMs: 30_000 });
    await waitForState(controller, HEALTH, 'running', { timeoutMs: 60_000 });
    expect(await containerPid(HEALTH)).not.toBe(pid);
    expect(foldStates(rec.seen(HEALTH), from)).toContain('starting');
    await checks.endOf('sigkill', t0, HEALTH, from, 'running', undefined);
  });

  it("rm-container: the user's podman rm -f under the unit → systemd brings a new container up", async () => {
    const t0 = performance.now();
    const from = rec.mark(NET);
    expect(await removeContainerAndWait((argv) => node.exec(argv), NET)).not.toBe('');
    await waitForState(controller, NET, 'running', { timeoutMs: 30_000 });
    await checks.endOf('rm-container', t0, NET, from, 'running', undefined);
  });

  it('restart of archy-quadlet mid-stop: the daemon (inside, as the user) killed while the slow app stops; a new one shows stopping, then stopped; intent kept', async () => {
    const t0 = performance.now();
    await controller.start(SLOW);
    await waitForState(controller, SLOW, 'running', { timeoutMs: 60_000 });
    const from = rec.mark(SLOW);
    const token = (await cli(['token'])).stdout.trim();
    const serve = () => node.serve(dirs, ['serve', '--watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
    expect(await daemonKilledMidStop({ serve, token, id: SLOW, stateDir: dirs.stateDir, controller })).toBe(0);
    checks.rememberPass();
    await checks.endOf('restart-of-archy-quadlet', t0, SLOW, from, 'running', 'running');
  });
});
