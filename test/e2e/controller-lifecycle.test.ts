import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, SystemdError } from '../../src/errors.js';
import { readIntent } from '../../src/store/state/intents.js';
import { useHost, userManager, type UserManager } from '../host/index.js';
import { failingUnit, healthGatedUnit, QUICK_UNIT, slowStopUnit } from '../support/apps.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { installUnits, removeUnits } from '../support/host.js';
import { MANAGERS, systemNode, userNode, type NodeUnderTest } from '../support/node.js';
import { eventually } from '../support/wait.js';

// Lifecycle calls and the live state on the real test host (systemd 257,
// podman 5.4.2), on the system manager and rootless on the user's (through the
// harness's bridge to the user bus): calls return as soon as systemd queued the
// job, and the states the controller emits follow systemd without ever going back.

const host = useHost();
const UNITS = {
  'ctl-slow': slowStopUnit(12),
  'ctl-quick': QUICK_UNIT,
  'ctl-health': healthGatedUnit(4),
  'ctl-fails': failingUnit(1),
};
const IDS = Object.keys(UNITS);

describe.each(MANAGERS)('controller on the real host (%s manager)', (manager) => {
  let h: HostController;
  let user: UserManager | undefined;
  let node: NodeUnderTest;

  beforeAll(async () => {
    user = manager === 'user' ? await userManager(host) : undefined;
    node = user ? userNode(host, user) : systemNode(host);
    await installUnits(node, UNITS);
    h = await controllerOnHost(node, IDS);
  });

  afterAll(async () => {
    await h?.close();
    if (node) await removeUnits(node, IDS);
    await user?.close();
  });

  it('reports every app from the first snapshot', () => {
    expect(h.controller.list().map((s) => [s.id, s.state])).toEqual([
      ['ctl-fails', 'stopped'],
      ['ctl-health', 'stopped'],
      ['ctl-quick', 'stopped'],
      ['ctl-slow', 'stopped'],
    ]);
  });

  it('stop returns at once while the container takes ≥ 10 s; running → stopping → stopped, never running in between, even across re-lists', async () => {
    await h.controller.start('ctl-slow');
    await h.waitFor('ctl-slow', 'running');
    const from = h.seen('ctl-slow').length;

    const t0 = performance.now();
    const result = await h.controller.stop('ctl-slow');
    const callMs = performance.now() - t0;
    expect(callMs).toBeLessThan(500);
    expect(result.status.state).toBe('stopping');
    expect(result.status.job?.type).toBe('stop');
    expect(result.status.deadline).toBeDefined();
    expect((await readIntent(h.stateDir, 'ctl-slow'))?.intent).toBe('stopped');

    // Full re-lists while the container is still handling SIGTERM.
    const relists: Array<Promise<unknown>> = [];
    for (const ms of [200, 1500, 4000, 8000]) relists.push(new Promise((r) => setTimeout(r, ms)).then(() => h.controller.relist()));
    const stopped = await h.waitFor('ctl-slow', 'stopped', 60_000);
    await Promise.all(relists);

    expect(h.states('ctl-slow', from)).toEqual(['running', 'stopping', 'stopped']);
    const during = h.seen('ctl-slow').slice(from);
    expect(during.some((o) => o.activeState === 'deactivating')).toBe(true);
    // The container really took its time: the stop ended ≥ 10 s after the call returned.
    expect(Date.parse(stopped.since!) - Date.now() + (performance.now() - t0)).toBeGreaterThanOrEqual(10_000);
    expect(h.controller.stats().misses).toBe(0);
  });

  it('restart → restarting (through its stop and start halves) → running', async () => {
    await h.controller.start('ctl-quick');
    await h.waitFor('ctl-quick', 'running');
    const from = h.seen('ctl-quick').length;
    const result = await h.controller.restart('ctl-quick');
    expect(result.status.state).toBe('restarting');
    await h.waitFor('ctl-quick', 'running', 60_000);
    expect(h.states('ctl-quick', from)).toEqual(['running', 'restarting', 'running']);
    const restarting = h.seen('ctl-quick').slice(from).filter((o) => o.state === 'restarting');
    expect(restarting.some((o) => o.activeState === 'deactivating')).toBe(true);
    expect(restarting.some((o) => o.activeState === 'activating' || o.activeState === 'inactive')).toBe(true);
  });

  it('a health-gated start stays starting until the container is healthy', async () => {
    const from = h.seen('ctl-health').length;
    const result = await h.controller.start('ctl-health');
    expect(result.status.state).toBe('starting');
    // While starting, the container runs but is not healthy yet.
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.controller.get('ctl-health')?.state).toBe('starting');
    expect(h.controller.get('ctl-health')?.activeState).toBe('activating');
    expect((await node.execOk(['podman', 'inspect', '--format', '{{.State.Running}}', 'systemd-ctl-health'])).trim()).toBe('true');
    expect((await node.exec(['podman', 'exec', 'systemd-ctl-health', 'test', '-f', '/tmp/ready'])).code).not.toBe(0);
    await h.waitFor('ctl-health', 'running', 60_000);
    expect((await node.execOk(['podman', 'inspect', '--format', '{{.State.Health.Status}}', 'systemd-ctl-health'])).trim()).toBe('healthy');
    expect(h.states('ctl-health', from)).toEqual(['stopped', 'starting', 'running']);
  });

  it('a unit that exits non-zero is failed, with systemd\'s Result', async () => {
    await h.controller.start('ctl-fails');
    const failed = await h.waitFor('ctl-fails', 'failed', 60_000);
    expect(failed.reason).toBe('exit-code');
    expect(failed.activeState).toBe('failed');
  });

  it('stop during a start ends stopped', async () => {
    await h.controller.stop('ctl-health');
    await h.waitFor('ctl-health', 'stopped', 60_000);
    const from = h.seen('ctl-health').length;
    const start = await h.controller.start('ctl-health');
    expect(start.status.state).toBe('starting');
    // Stop while it waits for healthy: the container runs, the start job is still in flight.
    await eventually('the container of ctl-health running', async () => (await node.exec(['podman', 'inspect', '--format', '{{.State.Running}}', 'systemd-ctl-health'])).stdout.trim() === 'true', { timeoutMs: 30_000, intervalMs: 100 });
    expect(h.controller.get('ctl-health')).toMatchObject({ state: 'starting', activeState: 'activating' });
    const stop = await h.controller.stop('ctl-health');
    expect(stop.status.state).toBe('stopping');
    expect(await h.controller.waitForJob(start.job)).toBe('canceled');
    await h.waitFor('ctl-health', 'stopped', 60_000);
    await new Promise((r) => setTimeout(r, 5000)); // longer than the health gate: nothing starts it again
    expect(h.controller.get('ctl-health')).toMatchObject({ state: 'stopped', intent: 'stopped' });
    expect(h.states('ctl-health', from)).toEqual(['stopped', 'starting', 'stopping', 'stopped']);
  });

  it('start during a stop ends running', async () => {
    await h.controller.start('ctl-slow');
    await h.waitFor('ctl-slow', 'running', 60_000);
    const from = h.seen('ctl-slow').length;
    const stop = await h.controller.stop('ctl-slow');
    await new Promise((r) => setTimeout(r, 1000));
    expect(h.controller.get('ctl-slow')?.activeState).toBe('deactivating');
    const start = await h.controller.start('ctl-slow');
    expect(start.status.state).toBe('starting');
    expect(await h.controller.waitForJob(stop.job)).toBe('canceled');
    expect(await h.controller.waitForJob(start.job)).toBe('done');
    await h.waitFor('ctl-slow', 'running', 60_000);
    expect(h.controller.get('ctl-slow')?.intent).toBe('running');
    expect(h.states('ctl-slow', from)).toEqual(['running', 'stopping', 'starting', 'running']);
  });

  it('ops on one app queue behind each other\'s call; different apps run in parallel', async () => {
    // Both calls are issued together; the second is sent only after the first's reply, so the last one wins.
    const [a, b] = await Promise.all([h.controller.stop('ctl-quick'), h.controller.start('ctl-quick')]);
    expect(a.action).toBe('stop');
    expect(b.action).toBe('start');
    expect(await h.controller.waitForJob(b.job)).toBe('done');
    await h.waitFor('ctl-quick', 'running', 60_000);
    const t0 = performance.now();
    const results = await Promise.all([h.controller.stop('ctl-slow'), h.controller.stop('ctl-quick')]);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(results.map((r) => r.status.state)).toEqual(['stopping', 'stopping']);
    await h.waitFor('ctl-quick', 'stopped', 60_000);
    await h.waitFor('ctl-slow', 'stopped', 60_000);
  });

  it('an unknown app is NotFoundError; systemd refusing is SystemdError with the D-Bus name', async () => {
    await expect(h.controller.start('no-such-app')).rejects.toBeInstanceOf(NotFoundError);
    await expect(h.controller.start('no-such-app')).rejects.toThrow(/app "no-such-app" not found/);
    const err = await h.systemd.startUnit('ctl-missing-unit.service').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SystemdError);
    expect((err as SystemdError).dbusName).toBe('org.freedesktop.systemd1.NoSuchUnit');
  });
});
