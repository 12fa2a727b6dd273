import { describe, expect, it } from 'vitest';
import { deadlineFor, deriveState, type UnitFacts } from '../../src/controller/state.js';

const loaded = (f: Partial<UnitFacts>): UnitFacts => ({ loadState: 'loaded', ...f });

describe('deriveState', () => {
  const table: Array<[string, UnitFacts | undefined, string, string | undefined]> = [
    ['no unit at all', undefined, 'not-installed', undefined],
    ['LoadState not-found', { loadState: 'not-found', activeState: 'inactive' }, 'not-installed', undefined],
    ['bad-setting', { loadState: 'bad-setting', activeState: 'inactive' }, 'failed', 'bad-setting'],
    ['masked', { loadState: 'masked', activeState: 'inactive' }, 'stopped', 'masked'],
    ['active', loaded({ activeState: 'active', subState: 'running' }), 'running', undefined],
    ['reloading', loaded({ activeState: 'reloading' }), 'running', undefined],
    ['inactive', loaded({ activeState: 'inactive', subState: 'dead' }), 'stopped', undefined],
    ['activating (waiting for healthy)', loaded({ activeState: 'activating', subState: 'start' }), 'starting', undefined],
    ['deactivating', loaded({ activeState: 'deactivating', subState: 'stop-sigterm' }), 'stopping', undefined],
    ['failed with Result', loaded({ activeState: 'failed', result: 'exit-code' }), 'failed', 'exit-code'],
    ['failed, timeout', loaded({ activeState: 'failed', result: 'timeout' }), 'failed', 'timeout'],
    ['stop job queued while still active', loaded({ activeState: 'active', jobType: 'stop' }), 'stopping', undefined],
    ['stop job, deactivating', loaded({ activeState: 'deactivating', jobType: 'stop' }), 'stopping', undefined],
    ['stop job on an inactive unit', loaded({ activeState: 'inactive', jobType: 'stop' }), 'stopped', undefined],
    ['start job queued while inactive', loaded({ activeState: 'inactive', jobType: 'start' }), 'starting', undefined],
    ['start job while still deactivating (start during stop)', loaded({ activeState: 'deactivating', jobType: 'start' }), 'starting', undefined],
    ['start job on an active unit (no-op, about to end)', loaded({ activeState: 'active', jobType: 'start' }), 'running', undefined],
    ['restart job, stop half', loaded({ activeState: 'deactivating', jobType: 'restart' }), 'restarting', undefined],
    ['restart job, between halves', loaded({ activeState: 'inactive', jobType: 'restart' }), 'restarting', undefined],
    ['restart job, start half', loaded({ activeState: 'activating', jobType: 'restart' }), 'restarting', undefined],
    ['try-restart job', loaded({ activeState: 'active', jobType: 'try-restart' }), 'restarting', undefined],
  ];
  it.each(table)('%s', (_name, facts, state, reason) => {
    const d = deriveState(facts);
    expect(d.state).toBe(state);
    expect(d.reason).toBe(reason);
  });

  it('a reconciler phase wins over anything systemd says', () => {
    expect(deriveState(loaded({ activeState: 'active' }), 'updating').state).toBe('updating');
    expect(deriveState(undefined, 'installing').state).toBe('installing');
    expect(deriveState(loaded({ activeState: 'deactivating', jobType: 'stop' }), 'removing').state).toBe('removing');
  });
});

describe('deadlineFor', () => {
  const t0 = 1_700_000_000_000; // ms
  const facts = (f: Partial<UnitFacts>): UnitFacts => loaded({ timeoutStartUsec: 90_000_000, timeoutStopUsec: 30_000_000, stateChangeUsec: t0 * 1000, ...f });

  it('settled states have none', () => {
    expect(deadlineFor('running', facts({ activeState: 'active' }), t0)).toBeUndefined();
    expect(deadlineFor('stopped', facts({ activeState: 'inactive' }), t0)).toBeUndefined();
    expect(deadlineFor('failed', facts({ activeState: 'failed' }), t0)).toBeUndefined();
  });
  it('deactivating: StateChangeTimestamp + TimeoutStopUSec', () => {
    expect(deadlineFor('stopping', facts({ activeState: 'deactivating' }), t0 + 5)).toBe(t0 + 30_000);
  });
  it('activating: StateChangeTimestamp + TimeoutStartUSec', () => {
    expect(deadlineFor('starting', facts({ activeState: 'activating' }), t0 + 5)).toBe(t0 + 90_000);
  });
  it('a stop queued on an active unit counts from when the state began', () => {
    expect(deadlineFor('stopping', facts({ activeState: 'active', jobType: 'stop' }), t0 + 500)).toBe(t0 + 500 + 30_000);
  });
  it('restarting uses the stop timeout in its stop half and the start timeout in its start half', () => {
    expect(deadlineFor('restarting', facts({ activeState: 'deactivating', jobType: 'restart' }), t0)).toBe(t0 + 30_000);
    expect(deadlineFor('restarting', facts({ activeState: 'activating', jobType: 'restart' }), t0)).toBe(t0 + 90_000);
  });
  it('infinite or zero timeouts have no deadline', () => {
    expect(deadlineFor('stopping', facts({ activeState: 'deactivating', timeoutStopUsec: Infinity }), t0)).toBeUndefined();
    expect(deadlineFor('starting', facts({ activeState: 'activating', timeoutStartUsec: 0 }), t0)).toBeUndefined();
  });
});
