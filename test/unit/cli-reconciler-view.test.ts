import { describe, expect, it } from 'vitest';
import type { ReconcilerStatus } from '../../src/api/types.js';
import { reconcilerView } from '../../src/cli/reconciler-view.js';
import type { AnyPassReport } from '../../src/cli/report.js';

const T0 = Date.parse('2026-12-01T14:00:00.000Z');
const report = (over: Partial<AnyPassReport> = {}): AnyPassReport =>
  ({ dryRun: false, planned: [], held: [], done: [], failures: [], counters: {}, warnings: [], timings: { load: 0, observe: 0, plan: 0, execute: 0 }, ...over }) as AnyPassReport;

describe('reconcilerView: what the API tells of the reconciler', () => {
  it('running while a look runs, then the last pass: what it did, its holds with the next retry', async () => {
    const v = reconcilerView({ pending: async () => ({ steps: [], held: [] }), now: () => T0 });
    const seen: ReconcilerStatus[] = [];
    v.subscribe((s) => seen.push(s));
    expect(v.reconcileNow()).toBe(false);
    let trigger = 0;
    v.setTrigger(() => trigger++);
    await v.aroundPass(async () => {
      expect(v.current().passRunning).toBe(true);
      v.onPass({ report: report({ done: ['start lnd.service'], held: [{ app: 'bitcoin', reason: 'health gate failed', retryAt: '2026-12-01T14:02:00.000Z' }], requeueAt: '2026-12-01T14:02:00.000Z' }) });
    });
    expect(await v.status()).toEqual({
      passRunning: false,
      passes: 1,
      canReconcileNow: true,
      lastPass: { at: '2026-12-01T14:00:00.000Z', ok: true, done: ['start lnd.service'], failures: [], held: [{ app: 'bitcoin', reason: 'health gate failed', retryAt: '2026-12-01T14:02:00.000Z' }], nextPassAt: '2026-12-01T14:02:00.000Z' },
    });
    expect(seen.map((s) => [s.passRunning, s.passes])).toEqual([[false, 0], [true, 0], [false, 1]]);
    expect(v.reconcileNow()).toBe(true);
    expect(trigger).toBe(1);
  });

  it('a failed step, a rejected commit or an error is not ok; the git source is passed through as recorded', async () => {
    const source = { commit: 'abc', rejected: { commit: 'def', error: 'invalid', at: '2026-12-01T13:00:00.000Z', kind: 'invalid' } };
    const v = reconcilerView({ source: async () => source, pending: async () => ({ steps: [], held: [] }), now: () => T0 });
    v.onPass({ report: report({ failures: [{ app: 'lnd', step: 'start lnd.service', error: 'boom' }] }) });
    expect((await v.status()).lastPass!.ok).toBe(false);
    v.onPass({ report: { ...report(), rejected: source.rejected } as AnyPassReport });
    expect((await v.status()).lastPass!.ok).toBe(false);
    // A volume or network podman keeps with other options: the API shows it with the pass.
    const drift = [{ kind: 'volume' as const, name: 'media-library', unit: 'media-library.volume', apps: ['media'], differences: ['type: nfs4 wanted, the volume has none'], hint: 'h' }];
    v.onPass({ report: report({ drift }) });
    expect((await v.status()).lastPass!.drift).toEqual(drift);
    v.onPass({ error: new Error('manifests/x.yaml:1:1 /id: bad') });
    const s = await v.status();
    expect(s.lastPass).toMatchObject({ ok: false, error: 'manifests/x.yaml:1:1 /id: bad' });
    expect(s.source).toEqual(source);
  });
});
