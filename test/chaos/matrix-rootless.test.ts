import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppState } from '../../src/controller/types.js';
import { appService } from '../../src/naming.js';
import { readIntent } from '../../src/store/state/intents.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost, userManager, type UserManager } from '../host/index.js';
import { appManifest, healthyAfterCommand, slowStopCommand } from '../support/apps.js';
import { fileDiff, ownedFiles, streamViolations } from '../support/chaos-checks.js';
import { msSince, recordFigures } from '../support/chaos-figures.js';
import { rawRequest } from '../support/chaos-http.js';
import { appRefs, foldStates, record, type Recorder, waitForState } from '../support/controller.js';
import { userNode, type NodeUnderTest } from '../support/node.js';
import { sleep } from '../support/wait.js';

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
let owned0: Map<string, string>;
const rows: Array<{ scenario: string; ms: number; violations: number; fileIssues: number; final: string }> = [];

/** Every content a completed pass has written, per file of ours: a file holding anything else is torn. */
const known = new Map<string, Set<string>>();
function rememberPass(): void {
  for (const [name, content] of ownedFiles(unitDir)) known.set(name, (known.get(name) ?? new Set()).add(content));
}

function fileIssues(): string[] {
  const now = ownedFiles(unitDir);
  const out = fileDiff(owned0, now).filter((d) => !d.startsWith('changed '));
  for (const [name, content] of now) if (!known.get(name)?.has(content)) out.push(`torn ${name}`);
  return out;
}

async function endOf(scenario: string, t0: number, id: string, from: number, want: AppState, intent: 'running' | 'stopped' | undefined): Promise<void> {
  const violations = streamViolations(rec.seen(id), from);
  const files = fileIssues();
  const persisted = (await readIntent(dirs.stateDir, id))?.intent;
  const final = controller.get(id)!.state;
  rows.push({ scenario, ms: msSince(t0), violations: violations.length, fileIssues: files.length, final });
  expect({ final, violations, files, persisted }).toEqual({ final: want, violations: [], files: [], persisted: intent });
}

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
  for (const name of owned0?.keys() ?? []) rmSync(join(unitDir, name), { force: true });
  await systemd?.reload().catch(() => undefined);
  await systemd?.close();
  await user?.close();
  recordFigures('chaos-matrix-rootless', {
    scenarios: rows.length,
    'scenarios in their desired state': rows.filter((r) => r.violations === 0 && r.fileIssues === 0).length,
    'stream violations': rows.reduce((n, r) => n + r.violations, 0),
    'files lost or torn': rows.reduce((n, r) => n + r.fileIssues, 0),
    ...Object.fromEntries(rows.map((r) => [`${r.scenario} (ms → ${r.final})`, r.ms])),
  });
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
    owned0 = ownedFiles(unitDir);
    rememberPass();
    expect([...owned0.keys()].sort()).toEqual(['archy.network', ...IDS.map((id) => `${id}.container`)].sort());
    const again = await cli(['apply', '--dry-run']);
    expect(again.stdout.trim()).toBe('nothing to do');
    await endOf('install-fresh', t0, HEALTH, 0, 'running', undefined);
  });

  it(`graceful-stop: the slow app takes ≥ ${SLOW_STOP_S - 2} s; stopping throughout, never running; the next apply keeps it stopped`, async () => {
    const t0 = performance.now();
    const from = rec.mark(SLOW);
    const res = await controller.stop(SLOW);
    expect(res.status.state).toBe('stopping');
    const stopped = await waitForState(controller, SLOW, 'stopped', { timeoutMs: 90_000 });
    expect(Date.parse(stopped.since) - (Date.now() - (performance.now() - t0))).toBeGreaterThanOrEqual((SLOW_STOP_S - 2) * 1000);
    expect(foldStates(rec.seen(SLOW), from)).toEqual(['running', 'stopping', 'stopped']);
    const pass = await cli(['apply']);
    expect(pass.code, pass.stderr + pass.stdout).toBe(0);
    rememberPass();
    expect(ownedFiles(unitDir).get(`${SLOW}.container`)).not.toContain('WantedBy=');
    await endOf('graceful-stop', t0, SLOW, from, 'stopped', 'stopped');
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
    await endOf('sigkill', t0, HEALTH, from, 'running', undefined);
  });

  it("rm-container: the user's podman rm -f under the unit → systemd brings a new container up", async () => {
    const t0 = performance.now();
    const from = rec.mark(NET);
    const before = (await node.execOk(['podman', 'inspect', '-f', '{{.Id}}', NET])).trim();
    await node.execOk(['podman', 'rm', '-f', '-t', '0', NET]);
    let after = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const r = await node.exec(['podman', 'inspect', '-f', '{{.Id}} {{.State.Status}}', NET]);
      if (r.code === 0 && !r.stdout.startsWith(before) && r.stdout.includes('running')) {
        after = r.stdout.split(' ')[0]!;
        break;
      }
      await sleep(300);
    }
    expect(after).not.toBe('');
    await waitForState(controller, NET, 'running', { timeoutMs: 30_000 });
    await endOf('rm-container', t0, NET, from, 'running', undefined);
  });

  it('restart of archy-quadlet mid-stop: the daemon (inside, as the user) killed while the slow app stops; a new one shows stopping, then stopped; intent kept', async () => {
    const t0 = performance.now();
    await controller.start(SLOW);
    await waitForState(controller, SLOW, 'running', { timeoutMs: 60_000 });
    const from = rec.mark(SLOW);
    const token = (await cli(['token'])).stdout.trim();
    const auth = { authorization: `Bearer ${token}` };
    const serve = () => node.serve(dirs, ['serve', '--watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
    const first = await serve();
    const stop = await rawRequest(first.url, { method: 'POST', path: `/api/apps/${SLOW}/stop`, headers: auth });
    expect(stop.status, first.log()).toBe(202);
    expect(JSON.parse(stop.body).status.state).toBe('stopping');
    await first.stop('SIGKILL');

    const second = await serve();
    const seen: string[] = [];
    let code: number | null;
    try {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const res = await rawRequest(second.url, { path: `/api/apps/${SLOW}`, headers: auth });
        const state = (JSON.parse(res.body) as { state: string }).state;
        if (seen[seen.length - 1] !== state) seen.push(state);
        if (state === 'stopped' || Date.now() > deadline) break;
        await sleep(250);
      }
      expect(seen).toEqual(['stopping', 'stopped']);
      expect((await readIntent(dirs.stateDir, SLOW))?.intent).toBe('stopped');
      const start = await rawRequest(second.url, { method: 'POST', path: `/api/apps/${SLOW}/start`, headers: auth });
      expect(start.status).toBe(202);
      await waitForState(controller, SLOW, 'running', { timeoutMs: 60_000 });
    } finally {
      code = await second.stop();
    }
    expect(code).toBe(0);
    rememberPass();
    await endOf('restart-of-archy-quadlet', t0, SLOW, from, 'running', 'running');
  });
});
