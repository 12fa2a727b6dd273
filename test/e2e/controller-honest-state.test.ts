import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHost } from '../host/index.js';
import { failureCause } from '../../src/api/failure-cause.js';
import { crashLoopUnit, MISSING_IMAGE_UNIT, QUICK_UNIT } from '../support/apps.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { installUnits, removeUnits } from '../support/host.js';
import { systemNode } from '../support/node.js';
import { until } from '../support/wait.js';

// Honest state from systemd's own signals on the real host (systemd 257, podman 5.4.2). A crash loop: a container
// that exits 1 and is restarted by Restart=always reads `crash-loop` with its exit status and systemd's restart
// count, never `starting` with a start deadline; the user's stop ends it as `stopped`, the last failure kept as a
// note. A dependency that failed: its dependant, meant to run, says what it waits for, and the failed one's cause is
// podman's own error line from the journal.

const host = useHost();
const ID = 'ctl-crashloop';
const DEP = 'ctl-dep';
const DEPENDANT = 'ctl-dependant';
/** QUICK_UNIT, needing DEP: systemd starts DEP first and fails this start with result `dependency` when DEP fails. */
const DEPENDANT_UNIT = QUICK_UNIT.replace('[Unit]\n', `[Unit]\nRequires=${DEP}.service\nAfter=${DEP}.service\n`);

describe('a crash loop on the real host', () => {
  let h: HostController;

  beforeAll(async () => {
    await installUnits(systemNode(host), { [ID]: crashLoopUnit(2), [DEP]: MISSING_IMAGE_UNIT, [DEPENDANT]: DEPENDANT_UNIT });
    h = await controllerOnHost(systemNode(host), [ID, DEP, DEPENDANT], {
      refs: { [DEP]: { name: 'The Dependency', desired: 'running' }, [DEPENDANT]: { dependsOn: [DEP], desired: 'running' } },
    });
  });

  afterAll(async () => {
    await h?.close();
    await removeUnits(systemNode(host), [ID, DEPENDANT, DEP]);
  });

  it('reads crash-loop with the exit and the restart count, and no deadline, while systemd restarts it', async () => {
    const from = h.seen(ID).length;
    await h.controller.start(ID);
    await h.waitFor(ID, 'crash-loop', 60_000);
    // Two more automatic restarts: the count follows systemd's NRestarts.
    const looping = await until(() => `${ID} restarted 3 times by systemd`, () => h.controller.get(ID)!, (s) => (s.crashLoop?.restarts ?? 0) >= 3, { timeoutMs: 90_000 });
    expect(looping.crashLoop!.lastExit).toEqual({ result: 'exit-code', code: 'exited', status: 1 });
    expect(Date.parse(looping.crashLoop!.lastAt)).toBeGreaterThan(Date.parse(looping.crashLoop!.since));
    const seen = h.seen(ID).slice(from);
    const first = seen.findIndex((s) => s.state === 'crash-loop');
    const after = seen.slice(first);
    // Once in the loop, systemd's own stop-post, auto-restart and start never read as the user's stopping/starting.
    expect([...new Set(after.map((s) => s.state))].filter((s) => s !== 'crash-loop' && s !== 'running'), JSON.stringify(after.map((s) => [s.state, s.activeState, s.subState]))).toEqual([]);
    for (const s of after.filter((x) => x.state === 'crash-loop')) {
      expect(s.deadline).toBeUndefined();
      expect(s.reason).toMatch(/^exited 1, restarted \d+×$/);
    }
    // The sub-states systemd went through, as evidence of what was read.
    expect(after.some((s) => s.subState === 'auto-restart' || s.subState === 'auto-restart-queued')).toBe(true);
  });

  it("the user's stop ends it: stopping → stopped, the last failure kept as a note", async () => {
    const before = h.controller.get(ID)!;
    const restarts = before.crashLoop!.restarts;
    const result = await h.controller.stop(ID);
    expect(result.status.state).toBe('stopping');
    const stopped = await h.waitFor(ID, 'stopped', 60_000);
    expect(stopped.note).toMatch(/^last failure: exited 1, restarted \d+×$/);
    expect(stopped.crashLoop!.restarts).toBeGreaterThanOrEqual(restarts);
  });

  it('a start clears the loop: systemd counts again from 0', async () => {
    await h.controller.start(ID);
    const fresh = await until(() => `${ID} started afresh`, () => h.controller.get(ID)!, (s) => s.state === 'running' || s.state === 'starting', { timeoutMs: 60_000 });
    expect(fresh.note).toBeUndefined();
    expect(fresh.crashLoop).toBeUndefined();
    await h.controller.stop(ID);
    await h.waitFor(ID, 'stopped', 60_000);
  });

  it('a dependant whose dependency failed: stopped, desired running, waiting for it (failed); the cause in podman\'s words', async () => {
    const from = h.seen(DEPENDANT).length;
    await expect(h.controller.start(DEPENDANT)).resolves.toBeDefined();
    await h.waitFor(DEP, 'failed', 60_000);
    const dependant = await until(() => `${DEPENDANT} waiting for ${DEP}`, () => h.controller.get(DEPENDANT)!, (s) => s.waitingFor?.state === 'failed' && s.state === 'stopped', { timeoutMs: 60_000 });
    expect(dependant).toMatchObject({ state: 'stopped', desired: 'running', waitingFor: { id: DEP, name: 'The Dependency', state: 'failed' } });
    // While its dependency was starting, it said so too.
    expect(h.seen(DEPENDANT).slice(from).some((s) => s.waitingFor !== undefined)).toBe(true);
    const failed = h.controller.get(DEP)!;
    expect(failed).toMatchObject({ state: 'failed', reason: 'exit-code', desired: 'running' });
    // systemd says exit-code; the journal says why.
    const cause = failureCause((await host.journal(`${DEP}.service`, 50)).split('\n'));
    expect(cause).toMatch(/^Error: .*no-such-image/);
  });

  it('the dependant stopped by the user wants nothing any more: no wait shown', async () => {
    await h.controller.stop(DEPENDANT);
    const s = await until(() => `${DEPENDANT} stopped`, () => h.controller.get(DEPENDANT)!, (x) => x.state === 'stopped' && x.desired === 'stopped', { timeoutMs: 30_000 });
    expect(s.waitingFor).toBeUndefined();
  });
});
