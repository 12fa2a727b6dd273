import { describe, expect, it } from 'vitest';
import { AppTracker } from '../../src/controller/tracker.js';
import type { AppRef } from '../../src/controller/types.js';

// podman's health as the tracker shows it: a field beside the state, only for health-checked containers, only
// while their unit runs, and for an app of several containers the worst of theirs.

const T0 = 1_700_000_000_000;
const ACTIVE = { loadState: 'loaded', activeState: 'active', subState: 'running', job: null, stateChangeUsec: T0 * 1000 };
const INACTIVE = { ...ACTIVE, activeState: 'inactive', subState: 'dead' };

function tracker(ref: AppRef): AppTracker {
  const t = new AppTracker(ref, () => T0);
  for (const u of t.units()) u.applyProps(1, ACTIVE, 'snapshot');
  t.recompute();
  return t;
}

describe('health in the app tracker', () => {
  it('a one-container app with a health check shows podman\'s health, and a health change never changes the state or since', () => {
    const t = tracker({ id: 'a', name: 'a', unit: 'a.service', health: true });
    const before = t.status();
    expect(before.health).toBeUndefined();
    t.setHealth('a.service', 'starting');
    expect(t.recompute()?.status).toMatchObject({ state: 'running', health: 'starting', since: before.since });
    t.setHealth('a.service', 'unhealthy');
    expect(t.recompute()?.status).toMatchObject({ state: 'running', health: 'unhealthy', since: before.since });
    // The same health again is no change.
    t.setHealth('a.service', 'unhealthy');
    expect(t.recompute()).toBeUndefined();
    t.setHealth('a.service', undefined);
    expect(t.recompute()?.status.health).toBeUndefined();
  });

  it('an app whose manifest has no health check never shows one', () => {
    const t = tracker({ id: 'b', name: 'b', unit: 'b.service' });
    t.setHealth('b.service', 'healthy');
    expect(t.recompute()).toBeUndefined();
    expect(t.status().health).toBeUndefined();
  });

  it('a unit that no longer runs shows no health, even when the event that said so was missed', () => {
    const t = tracker({ id: 'a', name: 'a', unit: 'a.service', health: true });
    t.setHealth('a.service', 'healthy');
    t.recompute();
    t.applyProps(2, INACTIVE, 'signal');
    expect(t.recompute()?.status).toMatchObject({ state: 'stopped' });
    expect(t.status().health).toBeUndefined();
  });

  it('an app of several containers: each checked container has its own, and the app the worst of them', () => {
    const t = tracker({
      id: 'shop', name: 'Shop', unit: 'shop.service',
      containers: [{ name: 'db', unit: 'shop-db.service', health: true }, { name: 'web', unit: 'shop-web.service', health: true }, { name: 'cron', unit: 'shop-cron.service' }],
    });
    t.setHealth('shop-db.service', 'healthy');
    t.setHealth('shop-web.service', 'starting');
    t.setHealth('shop-cron.service', 'healthy');
    let s = t.recompute()!.status;
    expect(s.health).toBe('starting');
    expect(s.containers!.map((c) => `${c.name} ${c.health ?? '-'}`)).toEqual(['db healthy', 'web starting', 'cron -']);
    t.setHealth('shop-db.service', 'unhealthy');
    t.setHealth('shop-web.service', 'healthy');
    s = t.recompute()!.status;
    expect(s).toMatchObject({ state: 'running', health: 'unhealthy' });
    t.setHealth('shop-db.service', 'healthy');
    expect(t.recompute()!.status.health).toBe('healthy');
  });
});
