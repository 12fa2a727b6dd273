import { afterAll, beforeAll, expect, it } from 'vitest';
import { awaitAllActive } from '../../src/reconcile/await-active.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { installUnits, removeUnits } from '../support/host.js';
import { systemNode, type NodeUnderTest } from '../support/node.js';

// A node that cannot pull an image, on the real host (systemd 257, podman 5.4.2): the database's podman run exits
// 125, and systemd never runs the start job of the backend that requires it: the backend is left inactive/dead
// with Result `success`. The gate names the database, with its own Result and exit.

const host = useHost();
const UNITS = {
  'gc-db': '[Container]\nImage=localhost/aq-no-such-image:1\n\n[Service]\nRestart=on-failure\n',
  'gc-backend': `[Unit]\nRequires=gc-db.service\nAfter=gc-db.service\n\n[Container]\nImage=${BUSYBOX_IMAGE}\nExec=sleep 600\n\n[Service]\nRestart=on-failure\n`,
};
let node: NodeUnderTest;
let systemd: SystemdPort;

beforeAll(async () => {
  node = systemNode(host);
  await installUnits(node, UNITS);
  systemd = createSystemd({ address: node.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  await systemd?.close();
  if (node) await removeUnits(node, Object.keys(UNITS));
});

it('names the container that failed, not the dependant that never started', async () => {
  await systemd.startUnit('gc-backend.service', 'replace');
  const awaits = ['gc-backend.service', 'gc-db.service'].map((service) => ({ service, stableMs: 0 }));
  const result = await awaitAllActive(systemd, awaits, 60_000);
  // Its own Result and exit, or, when its next run (RestartSec=100ms) had begun by the time its properties were read,
  // that systemd is restarting it: never the backend.
  expect(result).toMatchObject({ ok: false, cause: true });
  expect((result as { reason: string }).reason).toMatch(/^gc-db\.service failed \((exit-code, exited 125|auto-restart: systemd restarts it)\)$/);
  const backend = (await systemd.getUnitProperties('gc-backend.service')).value;
  expect(backend).toMatchObject({ activeState: 'inactive', subState: 'dead', result: 'success' });
});
