import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GeneratorError, rejectedUnits } from '../../src/reconcile/generator.js';
import { planSteps } from '../../src/reconcile/plan.js';
import { LockedError, withPassLock } from '../../src/store/state/pass-lock.js';
import type { Desired, Observed } from '../../src/reconcile/types.js';
import { OWNERSHIP_MARKER } from '../../src/render/types.js';
import { quadletBinary } from '../support/quadlet.js';

// The staged-set check against podman 5.4.2's real Quadlet generator, and the
// pass lock on a real state directory.

const GOOD = `${OWNERSHIP_MARKER}\n[Container]\nImage=localhost/busybox:latest\nExec=sleep 1000\n`;
const BAD = `${OWNERSHIP_MARKER}\n[Container]\nImage=localhost/busybox:latest\nMemory=64M\n`;

function observedWith(units: Record<string, string>): Observed {
  const o: Observed = { units: {}, configs: {}, records: {}, services: {}, now: Date.now() };
  for (const [name, content] of Object.entries(units)) o.units[name] = { name, content, owned: content.startsWith(OWNERSHIP_MARKER) };
  return o;
}

function desiredWith(units: Record<string, string>): Desired {
  return {
    shared: [],
    apps: Object.entries(units).map(([name, content]) => ({
      id: name.split('.')[0]!,
      run: true,
      units: [{ name, content, sources: [], app: name.split('.')[0]! }],
      configs: [],
      hash: content,
      startTimeoutMs: 1000,
    })),
  };
}

describe('generator check over the staged unit set (real podman 5.4.2 generator)', () => {
  const command = [quadletBinary()];

  it('a unit the generator rejects is reported with its words, naming units/, not the stage dir', async () => {
    const observed = observedWith({ 'a.container': GOOD });
    const steps = planSteps(observed, desiredWith({ 'a.container': BAD, 'b.container': GOOD }));
    expect(await rejectedUnits(observed, steps, { command })).toEqual([
      { name: 'a.container', reason: "the Quadlet generator rejects units/a.container: unsupported key 'Memory' in group 'Container' in units/a.container" },
    ]);
  });

  it('a unit that needs a file the plan removes is rejected too (the set is judged as a whole)', async () => {
    const net = `${OWNERSHIP_MARKER}\n[Network]\n`;
    const usesNet = `${OWNERSHIP_MARKER}\n[Container]\nImage=localhost/busybox:latest\nNetwork=gone.network\n`;
    const observed = observedWith({ 'gone.network': net });
    const steps = planSteps(observed, desiredWith({ 'c.container': usesNet }));
    expect(steps.map((s) => s.describe())).toContain('remove units/gone.network');
    const rejected = await rejectedUnits(observed, steps, { command });
    expect(rejected.map((r) => r.name)).toEqual(['c.container']);
  });

  it('files the plan does not write are staged but never reported (someone else\'s broken unit)', async () => {
    const observed = observedWith({ 'theirs.container': '[Container]\nMemory=1G\n' });
    const steps = planSteps(observed, desiredWith({ 'a.container': GOOD }));
    expect(await rejectedUnits(observed, steps, { command })).toEqual([]);
  });

  it('no unit written → the generator is not even run', async () => {
    expect(await rejectedUnits(observedWith({}), [], { command: ['/nonexistent/quadlet'] })).toEqual([]);
  });

  it('a generator that cannot run is a GeneratorError, not a silent pass', async () => {
    const steps = planSteps(observedWith({}), desiredWith({ 'a.container': GOOD }));
    await expect(rejectedUnits(observedWith({}), steps, { command: ['/nonexistent/quadlet'] })).rejects.toBeInstanceOf(GeneratorError);
  });
});

describe('pass lock (real state directory)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archy-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a second pass waits for the first; without waiting it is refused naming the holder', async () => {
    const order: string[] = [];
    let release!: () => void;
    const first = withPassLock(dir, async () => {
      order.push('first in');
      await new Promise<void>((r) => (release = r));
      order.push('first out');
    });
    await new Promise((r) => setTimeout(r, 50));
    await expect(withPassLock(dir, async () => undefined)).rejects.toThrow(new RegExp(`pid ${process.pid}`));
    await expect(withPassLock(dir, async () => undefined)).rejects.toBeInstanceOf(LockedError);
    const second = withPassLock(dir, async () => void order.push('second'), 5000);
    setTimeout(() => release(), 300);
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second']);
  });

  it('the lock file is never seen without its pid, and no temp file stays behind', async () => {
    const seen: string[] = [];
    const watcher = setInterval(() => {
      readFile(join(dir, 'reconcile.lock'), 'utf8').then((t) => seen.push(t), () => undefined);
    }, 1);
    await Promise.all(Array.from({ length: 20 }, () => withPassLock(dir, async () => new Promise((r) => setTimeout(r, 5)), 10_000)));
    clearInterval(watcher);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((t) => t !== `${process.pid}\n`)).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.startsWith('reconcile.lock'))).toEqual([]);
  });

  it('a lock left by a process that is gone is taken over', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', 'console.log(process.pid)']);
    await writeFile(join(dir, 'reconcile.lock'), stdout);
    expect(await withPassLock(dir, async () => readFile(join(dir, 'reconcile.lock'), 'utf8'))).toBe(`${process.pid}\n`);
  });
});
