import { describe, expect, it } from 'vitest';
import { gateOfFiles } from '../../src/reconcile/execute.js';
import { STABLE_MS } from '../../src/reconcile/plan.js';
import type { Gate } from '../../src/reconcile/types.js';

// A rollback is judged by the last-good files' own start timeout and checks, not the failed revision's: a failed
// revision with a short startTimeout must not give up on last-good files that take longer, and a failed revision
// gated on health must not let last-good files without a check skip the stable window.

const failed: Gate = { timeoutMs: 8_000, rollback: true, attempt: 1, stableMs: 0 };
const unit = (name: string, body: string): { name: string; content: string } => ({ name, content: `# Managed by archy-quadlet\n[Container]\nImage=x\n${body}\n` });

describe('the gate a rollback waits with', () => {
  it('one container: its TimeoutStartSec and its own stable window', () => {
    const good = [unit('lnd.container', '[Service]\nTimeoutStartSec=930'), unit('lnd-data.volume', '')];
    expect(gateOfFiles(good, 'lnd.service', failed)).toEqual({ ...failed, timeoutMs: 930_000, stableMs: STABLE_MS });
    expect(gateOfFiles([unit('lnd.container', 'Notify=healthy\n[Service]\nTimeoutStartSec=60')], 'lnd.service', { ...failed, stableMs: STABLE_MS })).toMatchObject({ timeoutMs: 60_000, stableMs: 0 });
  });

  it('an app of several containers: the longest timeout, each container\'s own window', () => {
    const good = [
      unit('pad-db.container', 'Notify=healthy\n[Service]\nTimeoutStartSec=940'),
      unit('pad-job.container', '[Service]\nType=oneshot\nTimeoutStartSec=900'),
      unit('pad-web.container', '[Service]\nTimeoutStartSec=900'),
      { name: 'pad.network', content: '[Network]\nServiceName=pad\n' },
    ];
    expect(gateOfFiles(good, 'pad.service', { ...failed, services: [] })).toEqual({
      ...failed,
      timeoutMs: 940_000,
      services: [
        { service: 'pad-db.service', stableMs: 0 },
        { service: 'pad-job.service', stableMs: 0 },
        { service: 'pad-web.service', stableMs: STABLE_MS },
      ],
    });
  });

  it('files that say nothing keep the failed revision\'s settings', () => {
    expect(gateOfFiles([], 'x.service', failed)).toEqual(failed);
  });
});
