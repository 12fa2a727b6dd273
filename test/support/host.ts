/**
 * Apps on the test host: where its Quadlet generator and unit directories are, and hand-written units written
 * into it and taken out again.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appService } from '../../src/naming.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { TestHost } from '../host/index.js';

/** Host-side path of the host's own Quadlet generator (podman 5.4.2's), as a pass runs it. */
export function hostGenerator(host: TestHost): string {
  return join(host.rootDir, 'usr/libexec/podman/quadlet');
}

/**
 * Quadlet's search path under /run (seen through the host's PID 1). Other suites share `host.unitDir`
 * (/etc/containers/systemd), and a pass rightly prunes any unit of ours there that its manifests do not name: a
 * suite whose passes own a whole directory uses this one.
 */
export function runUnitDir(host: TestHost): string {
  return join('/proc', String(host.pid), 'root/run/containers/systemd');
}

/** Writes units `<id>.container` into `unitDir` (default the host's Quadlet directory) and reloads systemd (Reload() returns after the generators ran). */
export async function installUnits(host: TestHost, units: Record<string, string>, unitDir = host.unitDir): Promise<void> {
  for (const [id, text] of Object.entries(units)) writeFileSync(join(unitDir, `${id}.container`), text);
  const systemd = createSystemd({ address: host.busAddress });
  try {
    await systemd.ready();
    await systemd.reload();
  } finally {
    await systemd.close();
  }
}

/** Stops the apps `ids`, removes their `<id>.container` from `unitDir` (default the host's Quadlet directory) and reloads systemd. */
export async function removeUnits(host: TestHost, ids: readonly string[], unitDir = host.unitDir): Promise<void> {
  const systemd = createSystemd({ address: host.busAddress });
  try {
    await systemd.ready();
    for (const id of ids) await systemd.stopUnit(appService(id)).catch(() => undefined);
    for (const id of ids) rmSync(join(unitDir, `${id}.container`), { force: true });
    await systemd.reload();
  } finally {
    await systemd.close();
  }
}
