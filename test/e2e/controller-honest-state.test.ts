import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHost } from '../host/index.js';
import { failureCause } from '../../src/api/failure-cause.js';
import { AUTO_RESTART } from '../../src/controller/state.js';
import { crashLoopUnit, givingUpUnit, MISSING_IMAGE_UNIT, QUICK_UNIT } from '../support/apps.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { installUnits, removeUnits } from '../support/host.js';
import { systemNode } from '../support/node.js';
import { until } from '../support/wait.js';

// Honest state from systemd's own signals on the real host (systemd 257, podman 5.4.2). A crash loop: a container
// that exits 1 and is restarted by Restart=always reads `starting` at systemd's first restart and `crash-loop` from
// its second on, with its exit status and the restart count, never `starting` with a start deadline again; the
// user's stop ends it as `stopped`, the last failure kept as a note. A dependency that failed: its dependant, meant
// to run, says what it waits for, and the failed one's cause is podman's own error line from the journal.

const host = useHost();
const ID = 'ctl-crashloop';
const DEP = 'ctl-dep';
const DEPENDANT = 'ctl-dependant';
const GIVES_UP = 'ctl-gives-up';
/** QUICK_UNIT, needing DEP: systemd starts DEP first and fails this start with result `dependency` when DEP fails. */
const DEPENDANT_UNIT = QUICK_UNIT.replace('[Unit]\n', `[Unit]\nRequires=${DEP}.service\nAfter=${DEP}.service\n`);

describe('a crash loop on the real host', () => {
  let h: HostController;

  beforeAll(async () => {
    await installUnits(systemNode(host), { [ID]: crashLoopUnit(2), [DEP]: MISSING_IMAGE_UNIT, [DEPENDANT]: DEPENDANT_UNIT, [GIVES_UP]: givingUpUnit(1, 3) });
    h = await controllerOnHost(systemNode(host), [ID, DEP, DEPENDANT, GIVES_UP], {
      refs: { [DEP]: { name: 'The Dependency', desired: 'running' }, [DEPENDANT]: { dependsOn: [DEP], desired: 'running' } },
    });
  });

  afterAll(async () => {
    await h?.close();
    await removeUnits(systemNode(host), [ID, DEPENDANT, DEP, GIVES_UP]);
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
    // Its first restart was systemd bringing it back, not yet a loop: starting through the auto-restart sub-states.
    expect(seen.slice(0, first).some((s) => s.state === 'starting' && AUTO_RESTART.has(s.subState ?? '')), JSON.stringify(seen.slice(0, first).map((s) => [s.state, s.subState]))).toBe(true);
    expect(seen.slice(0, first).map((s) => s.state)).not.toContain('failed');
    expect(seen[first]!.crashLoop!.restarts).toBe(2);
    // Once in the loop, systemd's own stop-post, auto-restart and start never read as the user's stopping/starting.
    expect([...new Set(after.map((s) => s.state))].filter((s) => s !== 'crash-loop' && s !== 'running'), JSON.stringify(after.map((s) => [s.state, s.activeState, s.subState]))).toEqual([]);
    for (const s of after.filter((x) => x.state === 'crash-loop')) {
      expect(s.deadline).toBeUndefined();
      expect(s.reason).toMatch(/^exited 1, restarted \d+×$/);
    }
    // The sub-states systemd went through, as evidence of what was read.
    expect(after.some((s) => s.subState === 'auto-restart' || s.subState === 'auto-restart-queued')).toBe(true);
  });

  it("the user's stop ends it: stopped (through stopping unless systemd was between two runs), the last failure kept as a note", async () => {
    const before = h.controller.get(ID)!;
    const restarts = before.crashLoop!.restarts;
    const result = await h.controller.stop(ID);
    // The stop job ends at once when it catches systemd between two runs (auto-restart): stopped already then.
    expect(['stopping', 'stopped']).toContain(result.status.state);
    const stopped = await h.waitFor(ID, 'stopped', 60_000);
    expect(stopped.note).toMatch(/^last failure: exited 1, restarted \d+×$/);
    expect(stopped.crashLoop!.restarts).toBeGreaterThanOrEqual(restarts);
  });

  it('a start clears the loop: the restarts count again from its next loop', async () => {
    const from = h.seen(ID).length;
    await h.controller.start(ID);
    const fresh = await until(() => `${ID} started afresh`, () => h.controller.get(ID)!, (s) => s.state === 'running' || s.state === 'starting', { timeoutMs: 60_000 });
    expect(fresh.note).toBeUndefined();
    expect(fresh.crashLoop).toBeUndefined();
    // It still exits 1: systemd's first restart after the start reads starting again, its second a loop of 2.
    await h.waitFor(ID, 'crash-loop', 60_000);
    const again = h.seen(ID).slice(from);
    expect(again.find((s) => s.state === 'crash-loop')!.crashLoop!.restarts).toBe(2);
    await h.controller.stop(ID);
    expect((await h.waitFor(ID, 'stopped', 60_000)).note).toMatch(/^last failure: exited 1, restarted \d+×$/);
  });

  it('a loop systemd gives up on (its start limit): failed, start-limit-hit, the last failure as the note; a start begins afresh', async () => {
    await h.controller.start(GIVES_UP);
    const failed = await h.waitFor(GIVES_UP, 'failed', 90_000);
    expect(failed).toMatchObject({ reason: 'start-limit-hit', crashLoop: { lastExit: { result: 'exit-code', code: 'exited', status: 1 } } });
    expect(failed.note).toMatch(/^last failure: exited 1, restarted \d+×$/);
    expect(h.seen(GIVES_UP).map((s) => s.state)).toContain('crash-loop');
    // systemd's own words for it; its Result stays the last exit's (exit-code), which is why the tracker says it.
    expect(await host.journal(`${GIVES_UP}.service`, 30)).toContain('Start request repeated too quickly');
    // The user's start resets systemd's limit (reset-failed) and the loop: starting, no note, until it loops again.
    const started = await h.controller.start(GIVES_UP);
    expect(started.status).toMatchObject({ state: 'starting' });
    expect(started.status.note).toBeUndefined();
    await h.controller.stop(GIVES_UP);
    await h.waitFor(GIVES_UP, 'stopped', 60_000);
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
