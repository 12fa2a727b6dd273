import { describe, expect, it } from 'vitest';
import { boundedReads } from '../../src/reconcile/bounded-reads.js';
import type { UnitManager } from '../../src/reconcile/ports.js';

// The health gates of a pass poll every gated container side by side; one D-Bus connection may have only so many
// calls awaiting a reply (LimitsExceeded past it, seen with 400 apps). The reads go through a bounded number of slots.

function fakeSystemd(): { manager: UnitManager; inFlight: () => number; peak: () => number; release: () => void; calls: string[] } {
  let inFlight = 0;
  let peak = 0;
  const waiting: Array<() => void> = [];
  const calls: string[] = [];
  const read = <T>(name: string, value: T): Promise<T> => {
    calls.push(name);
    inFlight++;
    peak = Math.max(peak, inFlight);
    return new Promise<T>((resolve) =>
      waiting.push(() => {
        inFlight--;
        resolve(value);
      }),
    );
  };
  const manager: UnitManager = {
    listUnitsByNames: (names) => read(`list ${names.join(',')}`, { value: [] }),
    getUnitProperties: (unit) => read(`get ${unit}`, { value: {} }),
    startUnit: async (unit) => calls.push(`start ${unit}`),
    stopUnit: async (unit) => calls.push(`stop ${unit}`),
    restartUnit: async (unit) => calls.push(`restart ${unit}`),
    resetFailedUnit: async (unit) => void calls.push(`reset ${unit}`),
    reload: async () => void calls.push('reload'),
  };
  return { manager, inFlight: () => inFlight, peak: () => peak, release: () => waiting.shift()?.(), calls };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('bounded reads of systemd', () => {
  it('at most `max` reads in flight; the rest start in call order as slots free up; every read answers', async () => {
    const f = fakeSystemd();
    const bounded = boundedReads(f.manager, 3);
    const answers = Array.from({ length: 10 }, (_, i) => (i % 2 ? bounded.listUnitsByNames([`u${i}`]) : bounded.getUnitProperties(`u${i}`)));
    await tick();
    expect(f.inFlight()).toBe(3);
    for (let i = 0; i < 10; i++) {
      f.release();
      await tick();
      expect(f.inFlight()).toBeLessThanOrEqual(3);
    }
    await Promise.all(answers);
    expect(f.peak()).toBe(3);
    expect(f.calls).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? `list u${i}` : `get u${i}`)));
  });

  it('lifecycle calls and reloads are not held behind reads', async () => {
    const f = fakeSystemd();
    const bounded = boundedReads(f.manager, 1);
    void bounded.getUnitProperties('a');
    void bounded.getUnitProperties('b');
    await bounded.startUnit('c', 'replace');
    await bounded.reload();
    // `b` waits for `a`'s slot; the start and the reload went through meanwhile.
    expect([...f.calls].sort()).toEqual(['get a', 'reload', 'start c']);
  });
});
