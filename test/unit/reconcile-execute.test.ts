import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReconcilePhase } from '../../src/controller/types.js';
import { executeSteps } from '../../src/reconcile/execute.js';
import type { UnitManager, UnitRow } from '../../src/reconcile/ports.js';
import { planSteps } from '../../src/reconcile/plan.js';
import * as S from '../../src/reconcile/steps.js';
import { describeAll } from '../../src/reconcile/steps.js';
import type { Desired, DesiredApp, Observed } from '../../src/reconcile/types.js';
import { OWNERSHIP_MARKER } from '../../src/render/types.js';
import { writeIntent } from '../../src/store/intents.js';

// The executor's ordering logic (phases, skips) over an in-memory unit manager:
// which calls reach systemd and the phase sink, and in which order. What
// systemd itself does with them is shown on the real host (test/e2e).

const stateDir = mkdtempSync(join(tmpdir(), 'archy-execute-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** Services by name: their ActiveState, and whether a job is in flight. */
class Units implements UnitManager {
  readonly calls: string[] = [];
  readonly rows = new Map<string, { activeState: string; job: boolean }>();
  async listUnitsByNames(names: string[]): Promise<{ value: UnitRow[] }> {
    return {
      value: names.map((name) => {
        const r = this.rows.get(name);
        return { name, loadState: r ? 'loaded' : 'not-found', activeState: r?.activeState ?? 'inactive', subState: r?.activeState === 'active' ? 'running' : 'start', job: r?.job ? { id: 1, path: '/job/1' } : null };
      }),
    };
  }
  async getUnitProperties(): Promise<{ value: { result?: string } }> {
    return { value: { result: 'success' } };
  }
  async startUnit(unit: string): Promise<unknown> {
    this.calls.push(`start ${unit}`);
    if (!this.rows.has(unit)) this.rows.set(unit, { activeState: 'active', job: false });
    return undefined;
  }
  async stopUnit(unit: string): Promise<unknown> {
    this.calls.push(`stop ${unit}`);
    this.rows.set(unit, { activeState: 'inactive', job: false });
    return undefined;
  }
  async restartUnit(unit: string): Promise<unknown> {
    this.calls.push(`restart ${unit}`);
    return undefined;
  }
  async reload(): Promise<void> {
    this.calls.push('daemon-reload');
  }
}

const NONE: Observed = { units: {}, configs: {}, records: {}, services: {} };
const DESIRED: Desired = { apps: [], shared: [] };
const record = (id: string) => ({ hash: `h-${id}`, units: [`${id}.container`], configs: [] });

describe('executeSteps: phases', () => {
  it("clears each app's phase when its own work ends, not after the slowest gate of the pass", async () => {
    const units = new Units();
    // `slow` stays activating (a start job in flight) until `fast` and `gone` are shown done.
    units.rows.set('slow.service', { activeState: 'activating', job: true });
    const phases: string[] = [];
    const setPhase = (id: string, phase: ReconcilePhase | undefined): void => {
      phases.push(`${id} ${phase ?? 'cleared'}`);
      if (phases.includes('fast cleared') && phases.includes('gone cleared')) units.rows.set('slow.service', { activeState: 'active', job: false });
    };
    const gate = { timeoutMs: 50, rollback: false };
    const steps = [
      S.stop('gone.service', { app: 'gone', phase: 'removing' }),
      S.start('slow', 'slow.service', { phase: 'installing', gate, record: record('slow') }),
      S.start('fast', 'fast.service', { phase: 'installing', gate, record: record('fast') }),
      S.forget('gone'),
    ];
    const report = await executeSteps(steps, DESIRED, NONE, { unitDir: stateDir, stateDir, systemd: units, phases: { setPhase }, log: () => {}, pollMs: 5 });
    expect(report.failures).toEqual([]);
    expect(phases).toEqual(['gone removing', 'slow installing', 'fast installing', 'gone cleared', 'fast cleared', 'slow cleared']);
  });
});

describe('executeSteps: the user intent is read again right before a start or stop', () => {
  it('skips a stop the user overtook by starting the app, and a start the user overtook by stopping it', async () => {
    const units = new Units();
    units.rows.set('lnd.service', { activeState: 'active', job: false });
    const lines: string[] = [];
    // The pass planned from intents it read earlier: lnd user-stopped, bitcoin running.
    const steps = planSteps(
      { units: {}, configs: {}, records: {}, services: { 'lnd.service': 'active', 'bitcoin.service': 'inactive' } },
      { apps: [app('bitcoin', true), app('lnd', false)], shared: [] },
    ).filter((s) => s.action === 'start' || s.action === 'stop');
    expect(describeAll(steps)).toEqual(['stop lnd.service', 'start bitcoin.service']);
    // Since then, the user clicked Start on lnd and Stop on bitcoin.
    await writeIntent(stateDir, 'lnd', 'running');
    await writeIntent(stateDir, 'bitcoin', 'stopped');
    const report = await executeSteps(steps, DESIRED, NONE, { unitDir: stateDir, stateDir, systemd: units, phases: { setPhase: () => {} }, log: (l) => lines.push(l), pollMs: 5 });
    expect(units.calls).toEqual([]);
    expect(report.done).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(lines).toEqual([
      'skip stop lnd.service: the user started it since this pass read its intent',
      'skip start bitcoin.service: the user stopped it since this pass read its intent',
    ]);
  });

  it('runs the step when the intent on disk still matches', async () => {
    const units = new Units();
    units.rows.set('lnd.service', { activeState: 'active', job: false });
    await writeIntent(stateDir, 'lnd', 'stopped');
    const steps = planSteps({ units: {}, configs: {}, records: {}, services: { 'lnd.service': 'active' } }, { apps: [app('lnd', false)], shared: [] });
    const report = await executeSteps(steps.filter((s) => s.action === 'stop'), DESIRED, NONE, { unitDir: stateDir, stateDir, systemd: units, phases: { setPhase: () => {} }, log: () => {}, pollMs: 5 });
    expect(units.calls).toEqual(['stop lnd.service']);
    expect(report.done).toEqual(['stop lnd.service']);
  });
});

function app(id: string, run: boolean): DesiredApp {
  return { id, run, units: [{ name: `${id}.container`, content: `${OWNERSHIP_MARKER}\n[Container]\nImage=img\n`, sources: [], app: id }], configs: [], hash: `h-${id}`, startTimeoutMs: 50 };
}

describe('executeSteps: config files', () => {
  it('refuses to replace a config file that appeared without our marker after the pass observed the node', async () => {
    const root = mkdtempSync(join(tmpdir(), 'archy-execute-root-'));
    try {
      const path = '/var/lib/archipelago/bitcoin/bitcoin.conf';
      mkdirSync(join(root, '/var/lib/archipelago/bitcoin'), { recursive: true });
      writeFileSync(join(root, path), 'rpcpassword=the-operators-own\n');
      const steps = [S.writeConfig('bitcoin', path, `${OWNERSHIP_MARKER}; do not edit.\nrpcauth=x\n`, 0o644)];
      const report = await executeSteps(steps, DESIRED, NONE, { unitDir: stateDir, stateDir, systemd: new Units(), phases: { setPhase: () => {} }, log: () => {}, configRoot: root });
      expect(report.failures).toEqual([{ app: 'bitcoin', step: `write config ${path}`, error: expect.stringContaining(`${join(root, path)}: not managed by archy-quadlet`) }]);
      expect(readFileSync(join(root, path), 'utf8')).toBe('rpcpassword=the-operators-own\n');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
