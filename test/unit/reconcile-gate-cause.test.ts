import { describe, expect, it } from 'vitest';
import { awaitAllActive } from '../../src/reconcile/await-active.js';
import type { UnitManager } from '../../src/reconcile/ports.js';

// A node that cannot pull images: mempool-db's podman run exits 125, so systemd never runs the start job of
// mempool-backend (Requires=mempool-db.service): the backend stays inactive/dead with its old Result `success`.
// The gate must blame the database, with its own Result and exit, and never quote `success` for a unit that did
// not run.

interface Unit { activeState: string; subState: string; result: string; execMainCode?: number; execMainStatus?: number; requires?: string[] }

function fake(units: Record<string, Unit>): UnitManager {
  const none = async (): Promise<never> => { throw new Error('not used'); };
  return {
    listUnitsByNames: async (names) => ({ value: names.map((name) => ({ name, loadState: 'loaded', activeState: units[name]!.activeState, subState: units[name]!.subState, job: null })) }),
    getUnitProperties: async (name) => ({ value: { ...units[name]! } }),
    startUnit: none, stopUnit: none, restartUnit: none, resetFailedUnit: none, reload: none,
  };
}

const dead = { activeState: 'inactive', subState: 'dead', result: 'success' };
const pullFailed = { activeState: 'failed', subState: 'failed', result: 'exit-code', execMainCode: 1, execMainStatus: 125 };
const awaits = ['mempool-backend.service', 'mempool-db.service', 'mempool-frontend.service'].map((service) => ({ service, stableMs: 0 }));

describe('the gate of an app of several containers names the container that failed', () => {
  it('the database whose image could not be pulled, not the backend that never started', async () => {
    const systemd = fake({ 'mempool-backend.service': dead, 'mempool-db.service': pullFailed, 'mempool-frontend.service': dead });
    const r = await awaitAllActive(systemd, awaits, 1_000, 1);
    expect(r).toMatchObject({ ok: false, reason: 'mempool-db.service failed (exit-code, exited 125)' });
  });

  it('a container in systemd\'s restart loop is named with its Result and exit too', async () => {
    const looping = { ...pullFailed, activeState: 'activating', subState: 'auto-restart' };
    const r = await awaitAllActive(fake({ 'mempool-backend.service': dead, 'mempool-db.service': looping, 'mempool-frontend.service': dead }), awaits, 1_000, 1);
    expect(r).toMatchObject({ ok: false, reason: 'mempool-db.service failed (exit-code, exited 125)' });
  });

  it("a container seen in systemd's restart whose next run already reset its Result is still the one that failed", async () => {
    const systemd = fake({ 'mempool-backend.service': dead, 'mempool-db.service': pullFailed, 'mempool-frontend.service': dead });
    // The unit list shows the restart; by the time the properties are read, the next run began (RestartSec=100ms).
    const list = systemd.listUnitsByNames;
    systemd.listUnitsByNames = async (names) => {
      const r = await list(names);
      return { value: r.value.map((row) => (row.name === 'mempool-db.service' ? { ...row, activeState: 'activating', subState: 'auto-restart' } : row)) };
    };
    systemd.getUnitProperties = async (name) => ({ value: name === 'mempool-db.service' ? { activeState: 'activating', subState: 'start', result: 'success' } : { ...dead } });
    const r = await awaitAllActive(systemd, awaits, 1_000, 1);
    expect(r).toMatchObject({ ok: false, cause: true, reason: 'mempool-db.service failed (auto-restart: systemd restarts it)' });
  });

  it('a unit that did not run is never reported with result success', async () => {
    const r = await awaitAllActive(fake({ 'tor-tor.service': dead }), [{ service: 'tor-tor.service', stableMs: 0 }], 1_000, 1);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^tor-tor\.service did not start \(inactive\/dead; it did not fail itself/);
    expect(!r.ok && r.reason).not.toMatch(/success/);
  });

  it('a container killed by a signal', async () => {
    const killed = { activeState: 'failed', subState: 'failed', result: 'signal', execMainCode: 2, execMainStatus: 9 };
    const r = await awaitAllActive(fake({ 'x.service': killed }), [{ service: 'x.service', stableMs: 0 }], 1_000, 1);
    expect(r).toMatchObject({ ok: false, reason: 'x.service failed (signal, killed by signal 9)' });
  });

  it('a container down because a network it requires failed names that network\'s service', async () => {
    const onNetwork = { ...dead, requires: ['archy-network.service', 'mempool-db.service'] };
    const up = { activeState: 'active', subState: 'running', result: 'success' };
    const networkFailed = { activeState: 'failed', subState: 'failed', result: 'exit-code', execMainCode: 1, execMainStatus: 125 };
    const systemd = fake({ 'mempool-backend.service': onNetwork, 'mempool-db.service': up, 'mempool-frontend.service': up, 'archy-network.service': networkFailed });
    const r = await awaitAllActive(systemd, awaits, 1_000, 1);
    expect(r).toMatchObject({ ok: false, reason: 'mempool-backend.service did not start (inactive/dead; it did not fail itself: archy-network.service, which it requires, failed)' });
  });
});
