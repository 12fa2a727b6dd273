import { describe, expect, it } from 'vitest';
import { waitingFor } from '../../src/controller/app-state.js';
import { AppTracker } from '../../src/controller/tracker.js';
import { appDependencies } from '../../src/manifest/app-meta.js';
import type { Manifest } from '../../src/manifest/types.js';

// A dependant whose dependency does not run says so, beside what the node wants of it.

const BITCOIN = { id: 'bitcoin', name: 'Bitcoin Core' };

describe('waitingFor', () => {
  it('an app the node wants running, stopped/starting/failed, waits for its first dependency that is not running', () => {
    const deps = [{ ...BITCOIN, state: 'failed' as const }, { id: 'tor', name: 'Tor', state: 'starting' as const }];
    for (const state of ['stopped', 'starting', 'failed'] as const) expect(waitingFor(state, 'running', deps)).toEqual({ ...BITCOIN, state: 'failed' });
    expect(waitingFor('stopped', 'running', [{ ...BITCOIN, state: 'running' }, deps[1]!])).toEqual(deps[1]);
  });

  it('nothing when it runs, is meant to be stopped, or every dependency runs', () => {
    const failed = [{ ...BITCOIN, state: 'failed' as const }];
    expect(waitingFor('running', 'running', failed)).toBeUndefined();
    expect(waitingFor('stopped', 'stopped', failed)).toBeUndefined();
    expect(waitingFor('stopped', undefined, failed)).toBeUndefined();
    expect(waitingFor('stopped', 'running', [{ ...BITCOIN, state: 'running' }])).toBeUndefined();
  });
});

describe('appDependencies', () => {
  it('declared app dependencies and the apps whose exports the environment takes, once each, in order', () => {
    const m = {
      id: 'lnd',
      containers: {
        lnd: { image: 'x/lnd:1', dependsOn: [{ app: 'bitcoin', condition: 'healthy' }], environment: { RPC: { app: 'bitcoin', export: 'rpc.host' }, TOR: { app: 'tor', export: 'x' }, PLAIN: 'y' } },
        ui: { image: 'x/ui:1', dependsOn: [{ container: 'lnd' }] },
      },
    } as unknown as Manifest;
    expect(appDependencies(m)).toEqual(['bitcoin', 'tor']);
  });
});

describe('AppTracker: desired beside actual, and the dependency it waits for', () => {
  const T0 = 1_700_000_000_000;
  it('shows desired and waitingFor; a stop here makes desired stopped and the wait goes', () => {
    const t = new AppTracker({ id: 'lnd', name: 'LND', unit: 'lnd.service', dependsOn: ['bitcoin'], desired: 'running' }, () => T0);
    t.applyProps(1, { loadState: 'loaded', activeState: 'inactive', subState: 'dead', job: null }, 'snapshot');
    t.setDependencies([{ ...BITCOIN, state: 'failed' }]);
    expect(t.recompute()!.status).toMatchObject({ state: 'stopped', desired: 'running', waitingFor: { id: 'bitcoin', name: 'Bitcoin Core', state: 'failed' } });
    t.setClicked('stopped');
    const s = t.recompute()!.status;
    expect(s.desired).toBe('stopped');
    expect(s.waitingFor).toBeUndefined();
  });
});
