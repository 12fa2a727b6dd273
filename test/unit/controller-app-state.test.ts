import { describe, expect, it } from 'vitest';
import { appDeadline, deriveAppState, type AppFacts, type ContainerFacts } from '../../src/controller/app-state.js';
import { deriveState, type UnitFacts } from '../../src/controller/state.js';

// The app state of an app of several containers (db → api → web), derived from all of its units.

const loaded = (f: Partial<UnitFacts>): UnitFacts => ({ loadState: 'loaded', ...f });
const ACTIVE = loaded({ activeState: 'active', subState: 'running' });
const INACTIVE = loaded({ activeState: 'inactive', subState: 'dead' });
/** The app unit: a oneshot network with RemainAfterExit, active as soon as its network exists. */
const APP_UP = loaded({ activeState: 'active', subState: 'exited' });

type Three = [UnitFacts | undefined, UnitFacts | undefined, UnitFacts | undefined];
const NAMES = ['db', 'api', 'web'] as const;
const containers = (facts: Three): ContainerFacts[] => NAMES.map((name, i) => ({ name, unit: `shop-${name}.service`, facts: facts[i] }));
const app = (appUnit: UnitFacts | undefined, facts: Three, phase?: AppFacts['phase']): AppFacts => ({ unit: 'shop.service', facts: appUnit, containers: containers(facts), ...(phase ? { phase } : {}) });
const up = (f: Partial<UnitFacts> = {}): UnitFacts => ({ ...ACTIVE, ...f });
const down = (f: Partial<UnitFacts> = {}): UnitFacts => ({ ...INACTIVE, ...f });

describe('deriveAppState, an app of several containers', () => {
  const table: Array<[string, AppFacts, string, string | undefined]> = [
    // not installed, phases
    ['no app unit read yet', app(undefined, [undefined, undefined, undefined]), 'not-installed', undefined],
    ['app unit not-found', app(loaded({ loadState: 'not-found', activeState: 'inactive' }), [down(), down(), down()]), 'not-installed', undefined],
    ['app unit bad-setting', app(loaded({ loadState: 'bad-setting', activeState: 'inactive' }), [down(), down(), down()]), 'failed', 'bad-setting'],
    ['a reconciler phase wins over a stop job', app(APP_UP, [up(), up({ jobType: 'stop' }), up()], 'updating'), 'updating', undefined],
    ['a phase wins over a missing app unit', app(undefined, [undefined, undefined, undefined], 'installing'), 'installing', undefined],
    // settled
    ['all active', app(APP_UP, [up(), up(), up()]), 'running', undefined],
    ['all active, a one-shot container active/exited', app(APP_UP, [up(), up({ subState: 'exited' }), up()]), 'running', undefined],
    ['all inactive, app unit active', app(APP_UP, [down(), down(), down()]), 'stopped', undefined],
    ['all inactive, app unit inactive', app(INACTIVE, [down(), down(), down()]), 'stopped', undefined],
    ['one failed, others inactive', app(INACTIVE, [down({ activeState: 'failed', result: 'exit-code' }), down(), down()]), 'failed', 'db: exit-code'],
    ['one failed, others active', app(APP_UP, [up(), up(), down({ activeState: 'failed', result: 'signal' })]), 'failed', 'web: signal'],
    ['two failed: both named, in manifest order', app(APP_UP, [down({ activeState: 'failed', result: 'timeout' }), up(), down({ activeState: 'failed', result: 'exit-code' })]), 'failed', 'db: timeout, web: exit-code'],
    ['a container without a unit', app(APP_UP, [up(), loaded({ loadState: 'not-found', activeState: 'inactive' }), up()]), 'failed', 'api: not-found'],
    ['the app unit failed (its network could not be made)', app(loaded({ activeState: 'failed', result: 'exit-code' }), [down(), down(), down()]), 'failed', 'shop.service: exit-code'],
    ['a settled mix is not running: failed, naming what is down', app(APP_UP, [up(), up(), down()]), 'failed', 'web: inactive'],
    ['a settled mix of two down', app(APP_UP, [up(), down(), down()]), 'failed', 'api: inactive, web: inactive'],
    // stop
    ['stop job on the app unit, containers still active', app(loaded({ ...APP_UP, jobType: 'stop' }), [up(), up(), up()]), 'stopping', undefined],
    ['stop jobs queued, web deactivating first', app(loaded({ ...APP_UP, jobType: 'stop' }), [up({ jobType: 'stop' }), up({ jobType: 'stop' }), up({ activeState: 'deactivating', jobType: 'stop' })]), 'stopping', undefined],
    ['web and api stopped, db still active with its stop job', app(loaded({ ...APP_UP, jobType: 'stop' }), [up({ jobType: 'stop' }), down(), down()]), 'stopping', undefined],
    ['a stop job on an active container alone, the rest stopped', app(APP_UP, [up({ jobType: 'stop' }), down(), down()]), 'stopping', undefined],
    ['every container down, only the app unit\'s stop job left', app(loaded({ ...APP_UP, jobType: 'stop' }), [down(), down(), down()]), 'stopped', undefined],
    ['every container down, one failed while stopping', app(loaded({ ...APP_UP, jobType: 'stop' }), [down(), down({ activeState: 'failed', result: 'timeout' }), down()]), 'failed', 'api: timeout'],
    ['a container failed during the stop, others still stopping', app(loaded({ ...APP_UP, jobType: 'stop' }), [up({ jobType: 'stop' }), down(), down({ activeState: 'failed', result: 'timeout' })]), 'stopping', undefined],
    ['deactivating without a job (a container stopped by PartOf after the job ended)', app(APP_UP, [up({ activeState: 'deactivating' }), down(), down()]), 'stopping', undefined],
    // start
    ['start job on the app unit, nothing up yet', app(loaded({ ...INACTIVE, jobType: 'start' }), [down({ jobType: 'start' }), down({ jobType: 'start' }), down({ jobType: 'start' })]), 'starting', undefined],
    ['the app unit is up before any container: still starting', app(APP_UP, [down({ jobType: 'start' }), down({ jobType: 'start' }), down({ jobType: 'start' })]), 'starting', undefined],
    ['db activating (Notify=healthy, not yet healthy)', app(APP_UP, [up({ activeState: 'activating', subState: 'start', jobType: 'start' }), down({ jobType: 'start' }), down({ jobType: 'start' })]), 'starting', undefined],
    ['db healthy, api and web still to come', app(APP_UP, [up(), down({ jobType: 'start' }), down({ jobType: 'start' })]), 'starting', undefined],
    ['all up, the last start job about to go', app(APP_UP, [up(), up(), up({ jobType: 'start' })]), 'running', undefined],
    ['systemd\'s own Restart= again in one loop (auto-restart, its second restart): a crash loop, naming the container', app(APP_UP, [up(), up({ activeState: 'activating', subState: 'auto-restart', restartCycles: 2 }), up()]), 'crash-loop', 'api'],
    ['systemd\'s own first restart of a container (a kill -9): starting', app(APP_UP, [up(), up({ activeState: 'failed', subState: 'failed-before-auto-restart', restartCycles: 1 }), up()]), 'starting', undefined],
    ['activating without a job, no restart counted (Notify=healthy after a start by hand): starting', app(APP_UP, [up(), up({ activeState: 'activating', subState: 'start' }), up()]), 'starting', undefined],
    ['db failed for good during the start (its job is gone): failed now', app(APP_UP, [down({ activeState: 'failed', result: 'exit-code' }), down({ jobType: 'start' }), down({ jobType: 'start' })]), 'failed', 'db: exit-code'],
    ['db failed but a start job of its own is queued (a start of a failed app)', app(APP_UP, [down({ activeState: 'failed', result: 'exit-code', jobType: 'start' }), down({ jobType: 'start' }), down()]), 'starting', undefined],
    ['a start of a settled mix starts the missing container', app(loaded({ ...APP_UP, jobType: 'start' }), [up(), up(), down({ jobType: 'start' })]), 'starting', undefined],
    ['a start job while a container still deactivates (start during stop)', app(APP_UP, [up({ activeState: 'deactivating', jobType: 'start' }), down({ jobType: 'start' }), down({ jobType: 'start' })]), 'starting', undefined],
    // restart
    ['restart job on the app unit', app(loaded({ ...APP_UP, jobType: 'restart' }), [up(), up(), up()]), 'restarting', undefined],
    ['restart propagated: a container in its stop half', app(APP_UP, [up({ jobType: 'restart' }), up({ jobType: 'restart' }), up({ activeState: 'deactivating', jobType: 'try-restart' })]), 'restarting', undefined],
    ['restart beats a stop job elsewhere', app(loaded({ ...APP_UP, jobType: 'stop' }), [up({ jobType: 'restart' }), up(), up()]), 'restarting', undefined],
    ['restart: db back up, web still in its start half', app(APP_UP, [up(), up(), up({ activeState: 'activating', jobType: 'restart' })]), 'restarting', undefined],
    // stop beats start
    ['a stop job and a start job: stopping', app(APP_UP, [up({ jobType: 'stop' }), down({ jobType: 'start' }), down()]), 'stopping', undefined],
  ];
  it.each(table)('%s', (_name, input, state, reason) => {
    const d = deriveAppState(input);
    expect(d.state).toBe(state);
    expect(d.reason).toBe(reason);
  });

  it('every container\'s own state is deriveState of its unit alone, in manifest order', () => {
    const d = deriveAppState(app(loaded({ ...APP_UP, jobType: 'stop' }), [up({ jobType: 'stop' }), down(), down({ activeState: 'failed', result: 'exit-code' })]));
    expect(d.containers).toEqual([
      { name: 'db', unit: 'shop-db.service', state: 'stopping' },
      { name: 'api', unit: 'shop-api.service', state: 'stopped' },
      { name: 'web', unit: 'shop-web.service', state: 'failed', reason: 'exit-code' },
    ]);
    expect(deriveAppState(app(APP_UP, [up(), up(), up()], 'updating')).containers?.map((c) => c.state)).toEqual(['running', 'running', 'running']);
  });

  it('never reads running while any container is in a stop job or deactivating; stopping until all are down', () => {
    const states: Array<Partial<UnitFacts>> = [
      { activeState: 'active' }, { activeState: 'active', jobType: 'stop' }, { activeState: 'deactivating' }, { activeState: 'deactivating', jobType: 'stop' },
      { activeState: 'inactive' }, { activeState: 'inactive', jobType: 'stop' }, { activeState: 'failed', result: 'exit-code' },
    ];
    for (const a of states) for (const b of states) for (const c of states) {
      const facts: Three = [loaded(a), loaded(b), loaded(c)];
      const inStop = facts.some((f) => f!.activeState === 'deactivating' || f!.jobType === 'stop');
      const allDown = facts.every((f) => f!.activeState === 'inactive' || f!.activeState === 'failed');
      const state = deriveAppState(app(APP_UP, facts)).state;
      if (inStop && !allDown) expect([a, b, c, state]).toEqual([a, b, c, 'stopping']);
      if (inStop) expect(state).not.toBe('running');
      if (!inStop) expect([a, b, c, state]).not.toEqual([a, b, c, 'stopping']);
    }
  });
});

describe('deriveAppState, a one-container app', () => {
  it('is deriveState of its unit, with no containers', () => {
    for (const f of [undefined, ACTIVE, INACTIVE, loaded({ activeState: 'active', jobType: 'stop' }), loaded({ activeState: 'failed', result: 'exit-code' })]) {
      expect(deriveAppState({ unit: 'lnd.service', facts: f })).toEqual(deriveState(f));
      expect(deriveAppState({ unit: 'lnd.service', facts: f, containers: [] })).toEqual(deriveState(f));
      expect(deriveAppState({ unit: 'lnd.service', facts: f, phase: 'removing' })).toEqual(deriveState(f, 'removing'));
    }
  });
});

describe('appDeadline', () => {
  const t0 = 1_700_000_000_000;
  const timed = (f: Partial<UnitFacts>): UnitFacts => loaded({ timeoutStartUsec: 90_000_000, timeoutStopUsec: 30_000_000, ...f });

  it('an app of several: the latest deadline among the containers in transition', () => {
    const input = app(loaded({ ...APP_UP, jobType: 'stop', timeoutStopUsec: 500_000_000 }), [
      timed({ activeState: 'active', jobType: 'stop', timeoutStopUsec: 60_000_000 }), // db: not begun, counts from since
      timed({ activeState: 'inactive' }), // api: done
      timed({ activeState: 'deactivating', jobType: 'stop', stateChangeUsec: (t0 + 1000) * 1000 }), // web: counts from its stamp
    ]);
    expect(appDeadline('stopping', input, t0)).toBe(t0 + 60_000);
    expect(appDeadline('stopping', { ...input, containers: input.containers!.slice(1) }, t0)).toBe(t0 + 1000 + 30_000);
  });

  it('start: the container waiting for healthy counts from when it began activating', () => {
    const input = app(APP_UP, [timed({ activeState: 'activating', jobType: 'start', stateChangeUsec: (t0 + 200) * 1000 }), timed({ activeState: 'inactive', jobType: 'start' }), timed({ activeState: 'inactive', jobType: 'start', timeoutStartUsec: 20_000_000 })]);
    expect(appDeadline('starting', input, t0 + 100)).toBe(t0 + 200 + 90_000);
  });

  it('settled apps and infinite timeouts have none', () => {
    expect(appDeadline('running', app(APP_UP, [timed({ activeState: 'active' }), timed({ activeState: 'active' }), timed({ activeState: 'active' })]), t0)).toBeUndefined();
    expect(appDeadline('failed', app(APP_UP, [timed({ activeState: 'active', jobType: 'stop' }), undefined, undefined]), t0)).toBeUndefined();
    expect(appDeadline('stopping', app(APP_UP, [timed({ activeState: 'deactivating', timeoutStopUsec: Infinity }), undefined, undefined]), t0)).toBeUndefined();
  });

  it('a one-container app: deadlineFor of its unit', () => {
    expect(appDeadline('stopping', { unit: 'lnd.service', facts: timed({ activeState: 'active', jobType: 'stop' }) }, t0)).toBe(t0 + 30_000);
  });
});
