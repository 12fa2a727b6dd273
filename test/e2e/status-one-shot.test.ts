import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createController } from '../../src/controller/controller.js';
import type { AppStatus } from '../../src/controller/types.js';
import { createSystemd } from '../../src/systemd/client.js';
import { useHost } from '../host/index.js';
import { assertBuilt, hostArgs, runCliOk } from '../support/cli.js';
import { appRefs, controllerOnHost, newStateDir, type HostController } from '../support/controller.js';
import { failingUnit, MISSING_IMAGE_UNIT, QUICK_UNIT, slowStopUnit } from '../support/apps.js';
import { installUnits, removeUnits } from '../support/host.js';

// A one-shot `status` reads a settled unit's Unit interface only, and every interface of the others (issue 15:
// src/systemd/client.ts, `signals: false`). What it shows must be what a snapshot reading every property of every
// unit (the daemon's port) shows, for units in each state a node has: running, stopped after running, never started,
// failed with an exit code, failed to start (its image missing), stopping with a deadline.

const host = useHost();
const IDS = ['sos-run', 'sos-was', 'sos-idle', 'sos-exit', 'sos-image', 'sos-slow'];
const stateDir = newStateDir();
let full: HostController;

/** The first snapshot of a new controller over a port made with `options` (then closed). */
async function snapshot(options: { signals?: boolean }): Promise<AppStatus[]> {
  const systemd = createSystemd({ address: host.busAddress, ...options });
  try {
    const controller = await createController({ systemd, stateDir, apps: appRefs(IDS), relistIntervalMs: 0 });
    const list = controller.list();
    await controller.close();
    return list;
  } finally {
    await systemd.close();
  }
}

/**
 * What a person reads of an app: the fields the table and `--json` show. `since` only where systemd keeps a stamp:
 * it unloads an inactive unit nothing references, and a unit loaded afresh has none (then the intent's `at` or no
 * `since`: status-since.test.ts), which may happen between the two snapshots.
 */
function shown(s: AppStatus | undefined): Record<string, unknown> {
  if (!s) return {};
  const stamped = s.state !== 'stopped';
  return { id: s.id, state: s.state, reason: s.reason, activeState: s.activeState, subState: s.subState, job: s.job?.type, deadline: s.deadline, ...(stamped ? { since: s.since } : {}) };
}

beforeAll(async () => {
  assertBuilt();
  await installUnits(host, { 'sos-run': QUICK_UNIT, 'sos-was': QUICK_UNIT, 'sos-idle': QUICK_UNIT, 'sos-exit': failingUnit(0), 'sos-image': MISSING_IMAGE_UNIT, 'sos-slow': slowStopUnit(60) });
  full = await controllerOnHost(host, IDS, { stateDir });
  for (const id of ['sos-run', 'sos-was', 'sos-slow']) await full.controller.start(id);
  await full.controller.start('sos-exit');
  await full.controller.start('sos-image');
  for (const id of ['sos-run', 'sos-was', 'sos-slow']) await full.waitFor(id, 'running');
  await full.waitFor('sos-exit', 'failed');
  await full.waitFor('sos-image', 'failed');
  await full.controller.stop('sos-was');
  await full.waitFor('sos-was', 'stopped');
  await full.controller.stop('sos-slow');
  await full.waitFor('sos-slow', 'stopping');
});

afterAll(async () => {
  await full?.close();
  // Its stop would take the rest of its minute: the suites after this one need no container of it.
  await host.exec(['systemctl', 'kill', '--signal=SIGKILL', 'sos-slow.service']);
  await removeUnits(host, IDS);
});

describe('one-shot status', () => {
  it('shows every state as a snapshot reading every property does', async () => {
    const got = await snapshot({ signals: false });
    expect(got.map(shown)).toEqual((await snapshot({})).map(shown));
    expect(Object.fromEntries(got.map((s) => [s.id, s.state]))).toEqual({
      'sos-exit': 'failed',
      'sos-idle': 'stopped',
      'sos-image': 'failed',
      'sos-run': 'running',
      'sos-slow': 'stopping',
      'sos-was': 'stopped',
    });
    expect(got.find((s) => s.id === 'sos-exit')?.reason).toMatch(/exit-code/);
    expect(got.find((s) => s.id === 'sos-slow')?.deadline).toBeDefined();
  });

  it('the command line prints the same table', async () => {
    const { stdout } = await runCliOk([...hostArgs(host, { stateDir }), '--json', 'status', '--unit-dir', host.unitDir]);
    const apps = (JSON.parse(stdout) as { apps: AppStatus[] }).apps.filter((s) => IDS.includes(s.id));
    expect(apps.map(shown)).toEqual((await snapshot({})).map(shown));
  });
});
