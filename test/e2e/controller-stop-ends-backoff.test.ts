import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordFailure } from '../../src/reconcile/backoff.js';
import { writeRecord } from '../../src/store/state/records.js';
import { useHost } from '../host/index.js';
import { QUICK_UNIT } from '../support/apps.js';
import { controllerOnHost, newStateDir, type HostController } from '../support/controller.js';
import { installUnits, removeUnits } from '../support/host.js';
import { systemNode, type NodeUnderTest } from '../support/node.js';

// A user's stop of an app held in back-off takes effect at once (docs/reconcile.md, "Back-off"): the status drops
// the retry as the stop returns, not when the back-off's timer runs out, and a process that reads the state
// directory afresh (`archy-quadlet status`) shows none either.

const host = useHost();
const ID = 'ctl-held';
let node: NodeUnderTest;
let h: HostController | undefined;

beforeAll(async () => {
  node = systemNode(host);
  await installUnits(node, { [ID]: QUICK_UNIT });
});

afterAll(async () => {
  await h?.close();
  if (node) await removeUnits(node, [ID]);
});

it('a stop ends the back-off display at once, in this controller and in a fresh one', async () => {
  const stateDir = newStateDir();
  const failure = recordFailure('new', 2, 'ctl-held.service failed (exit-code, exited 125)', false, Date.now());
  await writeRecord(stateDir, ID, { hash: '', units: [], configs: [], failure });
  h = await controllerOnHost(node, [ID], { stateDir });
  expect(h.controller.get(ID)?.retry).toMatchObject({ attempt: 2, nextAt: failure.nextAt });

  const result = await h.controller.stop(ID);
  expect(result.status.retry).toBeUndefined();
  expect(h.controller.get(ID)).toMatchObject({ intent: 'stopped' });
  expect(h.controller.get(ID)?.retry).toBeUndefined();
  await h.close();
  h = undefined;

  const fresh = await controllerOnHost(node, [ID], { stateDir });
  try {
    expect(fresh.controller.get(ID)).toMatchObject({ intent: 'stopped' });
    expect(fresh.controller.get(ID)?.retry).toBeUndefined();
  } finally {
    await fresh.close();
  }
});
