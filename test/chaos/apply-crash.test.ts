import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planRender } from '../../src/cli/render-plan.js';
import { appService, parseUnitFileName } from '../../src/naming.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { judge, readDir } from '../support/chaos-crash.js';
import { msSince, recordFigures } from '../support/chaos-figures.js';
import { hostArgs, hostCli, reconcileArgs, runCli } from '../support/cli.js';

// Crash consistency of `apply` on the real host: the pass is SIGKILLed at a random point while it rewrites the
// units of two running apps (write, daemon-reload, restart). After each kill the unit files are old or new in full,
// and the passes after it converge: exit 0, every app active on its new unit, and a further pass has nothing to do
// (counted: converged by the next pass alone, or only by one more).

const host = useHost();
const IDS = ['ac-a', 'ac-b'];
const TRIALS = 12;
const work = mkdtempSync(join(tmpdir(), 'aq-chaos-apply-crash-'));
const dirs = { stateDir: join(work, 'state'), manifests: join(work, 'manifests') };
const empty = join(work, 'empty');
let systemd: SystemdPort;

function writeGeneration(gen: number): void {
  for (const id of IDS) writeFileSync(join(dirs.manifests, `${id}.yaml`), appManifest(id, { environment: { V: String(gen) }, stopTimeout: '2s' }));
}

async function desired(): Promise<Map<string, string>> {
  return new Map((await planRender({ manifests: dirs.manifests, out: empty })).files.map((f) => [f.name, f.content]));
}

beforeAll(async () => {
  mkdirSync(dirs.manifests, { recursive: true });
  mkdirSync(empty);
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  for (const id of IDS) await systemd.stopUnit(appService(id)).catch(() => undefined);
  for (const id of IDS) rmSync(join(host.unitDir, `${id}.container`), { force: true });
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(work, { recursive: true, force: true });
});

describe('kill -9 of apply on the real host', () => {
  it(`${TRIALS} trials: unit files old or new in full; the next pass converges (apps active on the new units, nothing left to do)`, async () => {
    const t0 = performance.now();
    writeGeneration(0);
    const first = await hostCli(host, dirs, ['apply']);
    expect(first.code, first.stderr + first.stdout).toBe(0);
    let old = await desired();
    // What apply wrote is exactly what render computes: the render is the reference for old and new.
    for (const [name, content] of old) expect(readDir(host.unitDir).units.get(name), name).toBe(content);

    // Calibrate the kill window on a full pass that rewrites and restarts both apps.
    writeGeneration(1);
    const c0 = performance.now();
    const cal = await hostCli(host, dirs, ['apply']);
    expect(cal.code, cal.stderr).toBe(0);
    const spanMs = Math.round(msSince(c0) * 1.1);
    old = await desired();

    const f = { trials: 0, killed: 0, torn: [] as string[], lost: [] as string[], stray: [] as string[], mixed: 0, notConverged: [] as string[], secondPass: [] as string[], staleLocks: 0 };
    for (let t = 2; t < TRIALS + 2; t++) {
      writeGeneration(t);
      const next = await desired();
      const foreign = [...readDir(host.unitDir).units.keys()].filter((n) => !old.has(n) && !next.has(n));
      const delay = Math.floor(Math.random() * spanMs);
      const run = await runCli([...hostArgs(host, dirs), 'apply', ...reconcileArgs(host)], { killAfterMs: delay });
      f.trials++;
      if (run.killed) f.killed++;
      if (existsSync(join(dirs.stateDir, 'reconcile.lock'))) f.staleLocks++;
      const v = judge(host.unitDir, old, next, foreign);
      f.torn.push(...v.torn.map((n) => `trial ${t} (${delay} ms): ${n}`));
      f.lost.push(...v.lost.map((n) => `trial ${t} (${delay} ms): ${n}`));
      f.stray.push(...v.stray.filter((n) => parseUnitFileName(n)).map((n) => `trial ${t}: ${n}`));
      if (v.phase === 'mixed') f.mixed++;

      // Passes until a further one has nothing to do (at most 3): the next pass should be enough.
      let passes = 0;
      let converged = false;
      let last = '';
      let first = '';
      while (!converged && passes < 3) {
        const again = await hostCli(host, dirs, ['apply']);
        passes++;
        const nothing = await hostCli(host, dirs, ['apply', '--dry-run']);
        const units = readDir(host.unitDir).units;
        const active = await Promise.all(IDS.map(async (id) => (await systemd.getUnitProperties(appService(id))).value.activeState));
        converged = again.code === 0 && nothing.stdout.trim() === 'nothing to do' && [...next].every(([n, c]) => units.get(n) === c) && active.every((a) => a === 'active');
        last = `pass ${passes}: exit ${again.code}: ${`${again.stderr}${again.stdout}`.trim().replace(/\n/g, '; ')} / then: ${nothing.stdout.trim().replace(/\n/g, '; ')} / ${active.join(',')}`;
        first ||= last;
      }
      if (!converged) f.notConverged.push(`trial ${t} (${delay} ms): ${first} … ${last}`);
      else if (passes > 1) f.secondPass.push(`trial ${t} (${delay} ms): ${first}`);
      old = next;
    }
    recordFigures('crash-apply-host', {
      trials: f.trials,
      'killed before exit': f.killed,
      'kill fell between renames (mixed old/new)': f.mixed,
      'torn files': f.torn.length,
      'lost files': f.lost.length,
      'temp files named like units': f.stray.length,
      'lock files left by the kill (taken over by the next pass)': f.staleLocks,
      'converged by the next pass': f.trials - f.secondPass.length - f.notConverged.length,
      'needed one more pass': f.secondPass.length,
      'not converged within 3 passes': f.notConverged.length,
      'kill delay range ms': `0..${spanMs}`,
      durationMs: msSince(t0),
    });
    expect([...f.torn, ...f.lost, ...f.stray, ...f.notConverged]).toEqual([]);
    // After some kills an app is still in the stop half of the killed pass's restart: the next pass holds it (exit 1)
    // and the one after converges (apply-settling.test.ts, docs/reliability.md).
    if (f.secondPass.length > 0) console.warn(`apply needed a second pass after ${f.secondPass.length} kill(s):\n${f.secondPass.join('\n')}`);
    expect(f.killed).toBeGreaterThan(TRIALS / 2);
  });
});
