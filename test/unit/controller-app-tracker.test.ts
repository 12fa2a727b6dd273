import { describe, expect, it } from 'vitest';
import { AppTracker } from '../../src/controller/tracker.js';

// The app tracker of an app of several containers: one unit tracker per unit, each with its own ordering rules,
// and one status derived from all of them.

const JOB = (id: number, type?: string) => ({ id, path: `/org/freedesktop/systemd1/job/${id}`, ...(type ? { type } : {}) });
const T0 = 1_700_000_000_000;
const REF = {
  id: 'shop',
  name: 'Shop',
  unit: 'shop.service',
  containers: [
    { name: 'db', unit: 'shop-db.service' },
    { name: 'api', unit: 'shop-api.service' },
    { name: 'web', unit: 'shop-web.service' },
  ],
};
const CONTAINERS = REF.containers.map((c) => c.unit);

function running(now = T0): AppTracker {
  const t = new AppTracker(REF, () => now);
  t.applyProps(1, { loadState: 'loaded', activeState: 'active', subState: 'exited', job: null, stateChangeUsec: (T0 - 90_000) * 1000 }, 'snapshot');
  CONTAINERS.forEach((unit, i) => t.unit(unit)!.applyProps(1, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null, stateChangeUsec: (T0 - 60_000 + i) * 1000, timeoutStopUsec: 20_000_000 }, 'snapshot'));
  t.recompute();
  return t;
}

describe('AppTracker of an app of several containers', () => {
  it('tracks the app unit and every container, in order', () => {
    expect(running().units().map((u) => u.name)).toEqual(['shop.service', ...CONTAINERS]);
    expect(running().unit('shop-api.service')?.name).toBe('shop-api.service');
    expect(running().unit('other.service')).toBeUndefined();
  });

  it('shows every container\'s own state, and the app\'s since is the last container\'s change', () => {
    const s = running().status();
    expect(s).toMatchObject({ state: 'running', unit: 'shop.service', activeState: 'active', subState: 'exited', since: new Date(T0 - 60_000 + 2).toISOString() });
    expect(s.containers).toEqual(REF.containers.map((c) => ({ ...c, state: 'running', activeState: 'active', subState: 'running' })));
  });

  it('a stop: stopping while any container is up, the containers stopping in reverse, then stopped; a stale re-list changes nothing', () => {
    const t = running();
    t.expectJob('stop');
    // systemd announces the jobs of the transaction (the app unit's and, by PartOf=, each container's) before its reply.
    CONTAINERS.forEach((unit, i) => expect(t.unit(unit)!.jobQueued(2 + i, JOB(10 + i)).needJobType).toBeUndefined());
    t.expectJob(undefined);
    t.jobQueued(5, JOB(9, 'stop'));
    const stopping = t.recompute()!.status;
    expect(stopping).toMatchObject({ state: 'stopping', job: { id: 9, type: 'stop' }, deadline: new Date(T0 + 20_000).toISOString() });
    expect(stopping.containers?.map((c) => [c.name, c.state, c.job?.type])).toEqual([['db', 'stopping', 'stop'], ['api', 'stopping', 'stop'], ['web', 'stopping', 'stop']]);

    const web = t.unit('shop-web.service')!;
    web.applyProps(6, { activeState: 'deactivating', subState: 'stop-sigterm', stateChangeUsec: (T0 + 1000) * 1000 }, 'signal');
    web.applyProps(7, { activeState: 'inactive', subState: 'dead', stateChangeUsec: (T0 + 4000) * 1000, job: null }, 'signal');
    // A re-list stamped before those signals, shown late, cannot bring web back; one without db's job cannot clear it.
    expect(t.unit('shop-db.service')!.applyProps(8, { activeState: 'active', subState: 'running', job: null }, 'relist').verifyJob?.id).toBe(10);
    web.applyProps(5, { activeState: 'active', subState: 'running' }, 'relist');
    expect(t.recompute()?.status.state ?? t.status().state).toBe('stopping');
    expect(t.status().containers?.map((c) => c.state)).toEqual(['stopping', 'stopping', 'stopped']);

    for (const [i, unit] of ['shop-api.service', 'shop-db.service'].entries()) {
      t.unit(unit)!.applyProps(10 + i, { activeState: 'inactive', subState: 'dead', stateChangeUsec: (T0 + 8000 + i) * 1000 }, 'signal');
      t.unit(unit)!.jobRemoved(10 + i, unit === 'shop-api.service' ? 11 : 10);
    }
    // Every container is down; the app unit's own stop job does not hold the app in stopping.
    const stopped = t.recompute()!.status;
    expect(stopped).toMatchObject({ state: 'stopped', since: new Date(T0 + 8001).toISOString(), job: { id: 9 } });
    expect(stopped.deadline).toBeUndefined();
  });

  it('a restart: a job on any unit announced during the call takes the call\'s type, restarting until every job is gone', () => {
    const t = running();
    t.expectJob('restart');
    t.unit('shop-web.service')!.applyProps(2, { activeState: 'deactivating', job: JOB(21) }, 'signal');
    t.expectJob(undefined);
    t.jobQueued(3, JOB(20, 'restart'));
    expect(t.recompute()?.status.state).toBe('restarting');
    t.jobRemoved(4, 20); // the oneshot app unit is done long before its containers
    t.unit('shop-web.service')!.setJobType(21, 'start'); // systemd's own type in the start half: the first learned stays
    expect(t.recompute()?.status.state ?? t.status().state).toBe('restarting');
    t.unit('shop-web.service')!.applyProps(5, { activeState: 'active', job: null }, 'signal');
    expect(t.recompute()?.status.state).toBe('running');
  });

  it('a start: starting until every container is up, a health-gated db activating included', () => {
    const t = new AppTracker(REF, () => T0);
    t.applyProps(1, { loadState: 'loaded', activeState: 'inactive', job: null }, 'snapshot');
    for (const unit of CONTAINERS) t.unit(unit)!.applyProps(1, { loadState: 'loaded', activeState: 'inactive', job: null }, 'snapshot');
    expect(t.recompute()?.status.state).toBe('stopped');
    CONTAINERS.forEach((unit, i) => t.unit(unit)!.jobQueued(2, JOB(30 + i, 'start')));
    t.applyProps(3, { activeState: 'active', subState: 'exited' }, 'signal');
    t.unit('shop-db.service')!.applyProps(4, { activeState: 'activating', subState: 'start' }, 'signal');
    expect(t.recompute()?.status.state).toBe('starting');
    t.unit('shop-db.service')!.applyProps(5, { activeState: 'active', subState: 'running', job: null }, 'signal');
    t.unit('shop-api.service')!.applyProps(6, { activeState: 'active', subState: 'running', job: null }, 'signal');
    expect(t.recompute()?.status.state ?? t.status().state).toBe('starting');
    t.unit('shop-web.service')!.applyProps(7, { activeState: 'active', subState: 'running', job: null }, 'signal');
    expect(t.recompute()?.status.state).toBe('running');
  });

  it('a start of a settled mix: the container\'s job, announced after the answer, takes the call\'s type until the app unit\'s job ends', () => {
    const t = running();
    t.unit('shop-web.service')!.applyProps(2, { activeState: 'inactive', subState: 'dead' }, 'signal');
    expect(t.recompute()?.status).toMatchObject({ state: 'failed', reason: 'web: inactive' });
    t.expectJob('start');
    t.jobQueued(3, JOB(50, 'start')); // the answer: the app unit's job (already active: it ends at once)
    t.callAnswered(50);
    expect(t.recompute()?.status.state).toBe('starting');
    // systemd announces web's job after its answer, and ends the app unit's job right after.
    expect(t.unit('shop-web.service')!.jobQueued(4, JOB(51)).needJobType).toBeUndefined();
    t.jobRemoved(5, 50);
    expect(t.recompute()?.status.state ?? t.status().state).toBe('starting');
    // Once the app unit's job is gone, a new job is nobody's call: its type is asked for.
    expect(t.unit('shop-db.service')!.jobQueued(6, JOB(52)).needJobType?.id).toBe(52);
    t.unit('shop-db.service')!.jobRemoved(7, 52);
    t.unit('shop-web.service')!.applyProps(8, { activeState: 'active', subState: 'running', job: null }, 'signal');
    expect(t.recompute()?.status.state).toBe('running');
  });

  it('a call that queued no job forgets the expectation at once', () => {
    const t = running();
    t.expectJob('stop');
    t.callAnswered(undefined);
    expect(t.unit('shop-db.service')!.jobQueued(2, JOB(60)).needJobType?.id).toBe(60);
  });

  it('a container that fails names itself and systemd\'s Result', () => {
    const t = running();
    t.unit('shop-db.service')!.applyProps(2, { activeState: 'failed', subState: 'failed', result: 'exit-code' }, 'signal');
    expect(t.recompute()?.status).toMatchObject({ state: 'failed', reason: 'db: exit-code' });
  });
});

describe('AppTracker when the catalog changes an app\'s containers', () => {
  it('keeps what it knows of the units that stay, and the app\'s phase, intent and last status', () => {
    const before = running();
    before.setIntent('running');
    before.setPhase('updating');
    before.recompute();
    const ref = { ...REF, containers: [...REF.containers.slice(0, 2), { name: 'cache', unit: 'shop-cache.service' }] };
    const after = new AppTracker(ref, () => T0 + 5000, before);
    expect(after.unit('shop-db.service')).toBe(before.unit('shop-db.service'));
    expect(after.unit('shop-web.service')).toBeUndefined();
    expect(after.status()).toMatchObject({ state: 'updating', intent: 'running' });
    after.unit('shop-cache.service')!.applyProps(3, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null }, 'snapshot');
    after.setPhase(undefined);
    expect(after.recompute()).toMatchObject({ previous: 'updating', status: { state: 'running' } });
    expect(after.status().containers?.map((c) => c.name)).toEqual(['db', 'api', 'cache']);
  });
});

describe('AppTracker: the onion address', () => {
  it('is shown with the status once set (a change clients hear of), cleared again, and kept when the catalog changes the app\'s containers', () => {
    const t = running();
    t.setOnion('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion');
    expect(t.recompute()).toMatchObject({ previous: 'running', status: { state: 'running', onion: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion' } });
    expect(t.recompute()).toBeUndefined();
    const after = new AppTracker({ ...REF, containers: REF.containers.slice(0, 2) }, () => T0, t);
    expect(after.status().onion).toBe('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion');
    t.setOnion(undefined);
    expect(t.recompute()?.status).not.toHaveProperty('onion');
  });
});

describe('AppTracker: what the manifest tells a person, in the status', () => {
  const META_REF = {
    id: 'ui',
    name: 'UI',
    unit: 'ui.service',
    meta: { description: 'A web UI', icon: 'icons/ui.svg', version: '1.2', web: { port: 3001, path: '/admin/', loopbackOnly: true, onionPort: 80 } },
  };
  const ONION = `${'a'.repeat(56)}.onion`;

  it('carries description, icon, version and web; the onion URL once the address is known', () => {
    const t = new AppTracker(META_REF, () => T0);
    t.applyProps(1, { loadState: 'loaded', activeState: 'active', subState: 'running', job: null }, 'snapshot');
    expect(t.recompute()!.status).toMatchObject({ description: 'A web UI', icon: 'icons/ui.svg', version: '1.2', web: { port: 3001, path: '/admin/', loopbackOnly: true, onionPort: 80 } });
    expect(t.status().web!.onionUrl).toBeUndefined();
    t.setOnion(ONION);
    expect(t.recompute()!.status.web).toEqual({ port: 3001, path: '/admin/', loopbackOnly: true, onionPort: 80, onionUrl: `http://${ONION}/admin/` });
    const other = new AppTracker({ ...META_REF, meta: { web: { port: 8080, path: '/', loopbackOnly: false, onionPort: 8080 } } }, () => T0);
    other.setOnion(ONION);
    expect(other.status().web!.onionUrl).toBe(`http://${ONION}:8080/`);
  });
});
