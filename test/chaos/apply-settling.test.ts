import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appService } from '../../src/naming.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { appManifest, slowStopCommand } from '../support/apps.js';
import { msSince, recordFigures } from '../support/chaos-figures.js';
import { hostCli } from '../support/cli.js';

// What the apply crash trials ran into, made deterministic: a pass that finds an app in the stop half of a restart
// someone else queued (deactivating: it takes 8 s to stop) while the app's unit changed. One pass should converge:
// when it exits 0, a further pass has nothing left to do.

const host = useHost();
const ID = 'as-slow';
const work = mkdtempSync(join(tmpdir(), 'aq-chaos-apply-settling-'));
const dirs = { stateDir: join(work, 'state'), manifests: join(work, 'manifests') };
let systemd: SystemdPort;

const write = (gen: number): void =>
  writeFileSync(join(dirs.manifests, `${ID}.yaml`), appManifest(ID, { command: slowStopCommand(8), environment: { V: String(gen) }, stopTimeout: '30s' }));

beforeAll(async () => {
  mkdirSync(dirs.manifests, { recursive: true });
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  await systemd.stopUnit(appService(ID)).catch(() => undefined);
  rmSync(join(host.unitDir, `${ID}.container`), { force: true });
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(work, { recursive: true, force: true });
});

describe('apply while an app is restarting', () => {
  it('a pass either converges (exit 0, nothing left for the next) or says it held the app (exit 1)', async () => {
    write(1);
    const first = await hostCli(host, dirs, ['apply']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    expect((await systemd.getUnitProperties(appService(ID))).value.activeState).toBe('active');

    // Someone restarts the app (it is deactivating for 8 s), and the manifest changes meanwhile.
    await systemd.restartUnit(appService(ID));
    write(2);
    const t0 = performance.now();
    const pass = await hostCli(host, dirs, ['apply']);
    const passMs = msSince(t0);
    const stateAfter = (await systemd.getUnitProperties(appService(ID))).value.activeState;
    // Let the restart finish, then ask what a further pass would do.
    const deadline = Date.now() + 60_000;
    while ((await systemd.getUnitProperties(appService(ID))).value.activeState !== 'active' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    const next = await hostCli(host, dirs, ['apply', '--dry-run']);
    recordFigures('apply-while-restarting', {
      'pass exit code': pass.code,
      'pass ms': passMs,
      'app state when the pass ended': stateAfter ?? '',
      'pass output': `${pass.stderr}${pass.stdout}`.trim().replace(/\n/g, '; '),
      'a further pass would': next.stdout.trim().replace(/\n/g, '; '),
    });
    // Either the pass converged, or it said (exit 1, "held") that it left the app for later.
    const verdict = pass.code === 0 ? next.stdout.trim() : `exit ${pass.code}`;
    expect(['nothing to do', 'exit 1'], `pass: exit ${pass.code} ${pass.stderr}${pass.stdout}; then: ${next.stdout}`).toContain(verdict);
  });
});
