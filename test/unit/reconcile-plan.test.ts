import { describe, expect, it } from 'vitest';
import { findHolds, planSteps, withHolds } from '../../src/reconcile/plan.js';
import { describeAll } from '../../src/reconcile/steps.js';
import type { AppRecord, Desired, DesiredApp, Observed, RevisionFailure, Step } from '../../src/reconcile/types.js';
import { withoutInstall } from '../../src/reconcile/unit-text.js';
import { OWNERSHIP_MARKER, type RenderedFile } from '../../src/render/types.js';

// Pure planner tests: observed + desired → step descriptions. The planner is
// plain data in, plain data out, so these are its whole contract.

const INSTALL = '\n[Install]\nWantedBy=multi-user.target\n';
/** The clock every observed node is read at. */
const NOW = Date.parse('2026-12-01T14:00:00.000Z');
const iso = (ms: number): string => new Date(NOW + ms).toISOString();
/** A failure of revision `hash` recorded at NOW - 20 s, next attempt at NOW + `nextInMs` (none when undefined). */
function failure(hash: string, attempt: number, nextInMs: number | undefined, extra: Partial<RevisionFailure> = {}): RevisionFailure {
  return { hash, attempt, at: iso(-20_000), ...(nextInMs !== undefined ? { nextAt: iso(nextInMs) } : {}), lastFailure: 'lnd.service did not stay up (failed/failed, result exit-code)', ...extra };
}

function unit(name: string, body: string, install = true): string {
  return `${OWNERSHIP_MARKER} source: manifests/${name.split('.')[0]}.yaml\n[Container]\n${body}\n${install ? INSTALL : ''}`;
}

function file(name: string, content: string, app?: string): RenderedFile {
  return { name, content, sources: [], ...(app ? { app } : {}) };
}

interface AppSpec {
  id: string;
  body?: string;
  run?: boolean;
  install?: boolean;
  hash?: string;
  configs?: Record<string, string>;
  extraUnits?: RenderedFile[];
  hold?: string;
  dirs?: string[];
}

function app(s: AppSpec): DesiredApp {
  const a: DesiredApp = {
    id: s.id,
    run: s.run ?? true,
    units: [file(`${s.id}.container`, unit(`${s.id}.container`, s.body ?? 'Image=img', s.install ?? s.run ?? true), s.id), ...(s.extraUnits ?? [])],
    configs: Object.entries(s.configs ?? {}).map(([path, content]) => ({ path, content, mode: 0o644 })),
    hash: s.hash ?? `h-${s.id}-${s.body ?? 'Image=img'}`,
    startTimeoutMs: 90_000,
  };
  if (s.hold) a.hold = s.hold;
  if (s.dirs) a.dirs = s.dirs;
  return a;
}

/** The node after a clean install of these apps: files on disk, records, services active (or not, when run=false). */
function installed(apps: DesiredApp[], services: Record<string, string> = {}): Observed {
  const o: Observed = { units: {}, configs: {}, records: {}, services: {}, now: NOW };
  for (const a of apps) {
    for (const u of a.units) o.units[u.name] = { name: u.name, content: u.content, owned: true };
    for (const c of a.configs) o.configs[c.path] = c.content;
    o.records[a.id] = { hash: a.hash, units: a.units.map((u) => u.name), configs: a.configs.map((c) => c.path) };
    o.services[`${a.id}.service`] = a.run ? 'active' : 'inactive';
    for (const d of a.dirs ?? []) o.dirs = { ...o.dirs, [d]: true };
  }
  Object.assign(o.services, services);
  return o;
}

function plan(observed: Observed, desired: Desired): string[] {
  return describeAll(planSteps(observed, withHolds(desired, findHolds(observed, desired))));
}

function desired(...apps: DesiredApp[]): Desired {
  return { apps, shared: [] };
}

const lnd = app({ id: 'lnd' });
const btc = app({ id: 'bitcoin', configs: { '/var/lib/archipelago/bitcoin/bitcoin.conf': 'rpcauth=a:b$c\n' } });

interface Case {
  name: string;
  observed: Observed;
  desired: Desired;
  steps: string[];
}

const DATA = '/var/lib/archipelago/lnd/data';
const lndData = app({ id: 'lnd', dirs: [DATA] });
// Rootful, for a container whose `user` is 1000:1000 (desired.ts hostOwners).
const OWNER = { uid: 1000, gid: 1000 };
const CONF = '/var/lib/archipelago/lnd/lnd.conf';
const lndOwned: DesiredApp = { ...app({ id: 'lnd', dirs: [DATA], configs: { [CONF]: 'rpcpass=x\n' } }), dirOwners: { [DATA]: OWNER } };
lndOwned.configs = lndOwned.configs.map((c) => ({ ...c, mode: 0o600, owner: OWNER }));

const CASES: Case[] = [
  {
    name: "new app whose container has a numeric user → its config written and its data directory made for that user",
    observed: installed([]),
    desired: desired(lndOwned),
    steps: ['write units/lnd.container', `write config ${CONF} (owner 1000:1000)`, `make directory ${DATA} (owner 1000:1000)`, 'daemon-reload', 'start lnd.service'],
  },
  {
    name: 'its config owned as wanted → nothing to do',
    observed: { ...installed([lndOwned]), configOwners: { [CONF]: { uid: 1000, gid: 1000 } } },
    desired: desired(lndOwned),
    steps: [],
  },
  {
    name: "its config with the right content but root's (an older version; a write killed before its chown) → written again, restarted",
    observed: { ...installed([lndOwned]), configOwners: { [CONF]: { uid: 0, gid: 0 } } },
    desired: desired(lndOwned),
    steps: [`write config ${CONF} (owner 1000:1000)`, 'restart lnd.service'],
  },
  {
    name: 'a uid without a gid: any group will do',
    observed: { ...installed([lndOwned]), configOwners: { [CONF]: { uid: 1000, gid: 0 } } },
    desired: desired({ ...lndOwned, configs: lndOwned.configs.map((c) => ({ ...c, owner: { uid: 1000 } })) }),
    steps: [],
  },
  {
    name: 'new app with a writable bind under its data directory → the directory made before the start',
    observed: installed([]),
    desired: desired(lndData),
    steps: ['write units/lnd.container', `make directory ${DATA}`, 'daemon-reload', 'start lnd.service'],
  },
  {
    name: 'its data directory there → nothing to do',
    observed: installed([lndData]),
    desired: desired(lndData),
    steps: [],
  },
  {
    name: 'its data directory deleted while it runs → made again, nothing restarted (the container keeps its mount)',
    observed: { ...installed([lndData]), dirs: { [DATA]: false } },
    desired: desired(lndData),
    steps: [`make directory ${DATA}`],
  },
  {
    name: 'a stopped app: its data directory is made all the same (whoever starts it needs it), and it stays stopped',
    observed: { ...installed([app({ id: 'lnd', run: false, dirs: [DATA] })]), dirs: {} },
    desired: desired(app({ id: 'lnd', run: false, dirs: [DATA] })),
    steps: [`make directory ${DATA}`],
  },
  {
    name: 'new app, desired running → write, one reload, start',
    observed: installed([]),
    desired: desired(lnd),
    steps: ['write units/lnd.container', 'daemon-reload', 'start lnd.service'],
  },
  {
    name: 'new app with a config → unit and config written, started',
    observed: installed([]),
    desired: desired(btc),
    steps: ['write units/bitcoin.container', 'write config /var/lib/archipelago/bitcoin/bitcoin.conf', 'daemon-reload', 'start bitcoin.service'],
  },
  {
    name: 'new app, desired stopped → written (no [Install]), reloaded, not started, recorded',
    observed: installed([]),
    desired: desired(app({ id: 'lnd', run: false })),
    steps: ['write units/lnd.container', 'daemon-reload', 'record lnd'],
  },
  {
    name: 'nothing changed → no steps at all (no writes, no reload, no restart)',
    observed: installed([lnd, btc]),
    desired: desired(lnd, btc),
    steps: [],
  },
  {
    name: 'unit changed (env var) → write, reload, restart only that app',
    observed: installed([lnd, btc]),
    desired: desired(app({ id: 'lnd', body: 'Image=img\nEnvironment=A=2' }), btc),
    steps: ['write units/lnd.container', 'daemon-reload', 'restart lnd.service'],
  },
  {
    name: 'only a config it mounts changed → config written, no reload, restart',
    observed: installed([lnd, btc]),
    desired: desired(lnd, app({ id: 'bitcoin', configs: { '/var/lib/archipelago/bitcoin/bitcoin.conf': 'rpcauth=new\n' }, hash: 'h-btc-2' })),
    steps: ['write config /var/lib/archipelago/bitcoin/bitcoin.conf', 'restart bitcoin.service'],
  },
  {
    name: 'config drifted on disk (desired unchanged) → rewritten and the app restarted',
    observed: { ...installed([lnd, btc]), configs: { '/var/lib/archipelago/bitcoin/bitcoin.conf': 'edited by hand\n' } },
    desired: desired(lnd, btc),
    steps: ['write config /var/lib/archipelago/bitcoin/bitcoin.conf', 'restart bitcoin.service'],
  },
  {
    name: 'a secret it uses changed (hash only) → restart, nothing written',
    observed: installed([lnd]),
    desired: desired(app({ id: 'lnd', hash: 'h-lnd-new-secret' })),
    steps: ['restart lnd.service'],
  },
  {
    name: 'only [Install] changed (user stopped it) → write + reload, no restart, no stop',
    observed: installed([lnd], { 'lnd.service': 'inactive' }),
    desired: desired(app({ id: 'lnd', run: false })),
    steps: ['write units/lnd.container', 'daemon-reload'],
  },
  {
    name: 'only [Install] changed on a running app → reload, no restart',
    observed: installed([lnd]),
    desired: desired(app({ id: 'lnd', install: false })),
    steps: ['write units/lnd.container', 'daemon-reload'],
  },
  {
    name: 'user-stopped app stays stopped: already rendered without [Install], inactive → nothing',
    observed: installed([app({ id: 'lnd', run: false })]),
    desired: desired(app({ id: 'lnd', run: false })),
    steps: [],
  },
  {
    name: 'desired stopped but running → stop',
    observed: installed([app({ id: 'lnd', run: false })], { 'lnd.service': 'active' }),
    desired: desired(app({ id: 'lnd', run: false })),
    steps: ['stop lnd.service'],
  },
  {
    name: 'desired running, unit unchanged but inactive → start (no restart)',
    observed: installed([lnd], { 'lnd.service': 'inactive' }),
    desired: desired(lnd),
    steps: ['start lnd.service'],
  },
  {
    name: 'app activating (starting) → leave it',
    observed: installed([lnd], { 'lnd.service': 'activating' }),
    desired: desired(lnd),
    steps: [],
  },
  {
    name: 'app changed while stopping (deactivating) → held: nothing written (it would restart with it unrecorded); the next pass looks again',
    observed: installed([lnd], { 'lnd.service': 'deactivating' }),
    desired: desired(app({ id: 'lnd', body: 'Image=img2' })),
    steps: [],
  },
  {
    name: 'manifest removed → stop, remove unit and config, reload, forget',
    observed: installed([lnd, btc]),
    desired: desired(lnd),
    steps: [
      'stop bitcoin.service',
      'remove units/bitcoin.container',
      'remove config /var/lib/archipelago/bitcoin/bitcoin.conf',
      'daemon-reload',
      'forget bitcoin',
    ],
  },
  {
    name: 'manifest removed, app already stopped → no stop, files removed',
    observed: installed([lnd, btc], { 'bitcoin.service': 'failed' }),
    desired: desired(lnd),
    steps: ['remove units/bitcoin.container', 'remove config /var/lib/archipelago/bitcoin/bitcoin.conf', 'daemon-reload', 'forget bitcoin'],
  },
  {
    name: 'existing matching unit, nothing recorded, running → adopted, no restart, no write',
    observed: { ...installed([lnd]), records: {} },
    desired: desired(lnd),
    steps: ['adopt lnd'],
  },
  {
    name: 'existing but different unit, nothing recorded, running → write, reload, restart',
    observed: { ...installed([lnd]), records: {} },
    desired: desired(app({ id: 'lnd', body: 'Image=img2' })),
    steps: ['write units/lnd.container', 'daemon-reload', 'restart lnd.service'],
  },
  {
    name: 'files written but the restart never happened (crash) → restart now, nothing rewritten',
    observed: installed([app({ id: 'lnd', body: 'Image=img2' })], {}),
    desired: desired(app({ id: 'lnd', body: 'Image=img2', hash: 'h-new' })),
    steps: ['restart lnd.service'],
  },
  {
    name: 'orphan of ours without a record → stopped and pruned',
    observed: { ...installed([lnd]), units: { ...installed([lnd]).units, 'old.container': { name: 'old.container', content: unit('old.container', 'Image=x'), owned: true } }, services: { 'lnd.service': 'active', 'old.service': 'active' } },
    desired: desired(lnd),
    steps: ['stop old.service', 'remove units/old.container', 'daemon-reload'],
  },
  {
    name: 'a file without our header is never touched, not even as an orphan',
    observed: { ...installed([lnd]), units: { ...installed([lnd]).units, 'mine.container': { name: 'mine.container', content: '[Container]\nImage=x\n', owned: false } } },
    desired: desired(lnd),
    steps: [],
  },
  {
    name: 'a desired unit name taken by a file without our header → app held, nothing written',
    observed: { ...installed([]), units: { 'lnd.container': { name: 'lnd.container', content: '[Container]\nImage=x\n', owned: false } } },
    desired: desired(lnd),
    steps: [],
  },
  {
    name: 'held app (generator rejected its new unit) → no steps for it; the others proceed',
    observed: installed([lnd, btc]),
    desired: desired(app({ id: 'lnd', body: 'Memory=1G', hold: 'generator: unsupported key' }), app({ id: 'bitcoin', body: 'Image=img2', configs: { '/var/lib/archipelago/bitcoin/bitcoin.conf': 'rpcauth=a:b$c\n' } })),
    steps: ['write units/bitcoin.container', 'daemon-reload', 'restart bitcoin.service'],
  },
  {
    name: 'held app is not pruned even when its units would change name',
    observed: installed([app({ id: 'lnd', extraUnits: [file('lnd-data.volume', `${OWNERSHIP_MARKER}\n[Volume]\n`, 'lnd')] })]),
    desired: desired(app({ id: 'lnd', hold: 'rejected' })),
    steps: [],
  },
  {
    name: 'revision that failed its health gate, back-off not over → held',
    observed: { ...installed([lnd]), records: { lnd: { hash: 'h-lnd-Image=img', units: ['lnd.container'], configs: [], failure: failure('h-bad', 1, 5_000) } } },
    desired: desired(app({ id: 'lnd', body: 'Image=bad', hash: 'h-bad' })),
    steps: [],
  },
  {
    name: 'revision that failed its health gate, back-off over → tried again',
    observed: { ...installed([lnd]), records: { lnd: { hash: 'h-lnd-Image=img', units: ['lnd.container'], configs: [], failure: failure('h-bad', 2, -1) } } },
    desired: desired(app({ id: 'lnd', body: 'Image=bad', hash: 'h-bad' })),
    steps: ['write units/lnd.container', 'daemon-reload', 'restart lnd.service'],
  },
  {
    name: 'revision whose attempts are used up → held, whatever the time',
    observed: { ...installed([lnd]), records: { lnd: { hash: 'h-lnd-Image=img', units: ['lnd.container'], configs: [], failure: failure('h-bad', 5, undefined, { maxAttempts: 5, rolledBack: true }) } } },
    desired: desired(app({ id: 'lnd', body: 'Image=bad', hash: 'h-bad' })),
    steps: [],
  },
  {
    name: 'attempts used up, then the user started the app → tried again',
    observed: { ...installed([lnd]), records: { lnd: { hash: 'h-lnd-Image=img', units: ['lnd.container'], configs: [], failure: failure('h-bad', 5, undefined, { maxAttempts: 5 }) } } },
    desired: desired({ ...app({ id: 'lnd', body: 'Image=bad', hash: 'h-bad' }), userIntent: { intent: 'running', at: iso(-1_000) } }),
    steps: ['write units/lnd.container', 'daemon-reload', 'restart lnd.service'],
  },
  {
    name: 'a user start before the failure does not reset it',
    observed: { ...installed([lnd]), records: { lnd: { hash: 'h-lnd-Image=img', units: ['lnd.container'], configs: [], failure: failure('h-bad', 5, undefined, { maxAttempts: 5 }) } } },
    desired: desired({ ...app({ id: 'lnd', body: 'Image=bad', hash: 'h-bad' }), userIntent: { intent: 'running', at: iso(-60_000) } }),
    steps: [],
  },
  {
    name: 'a new revision after a failed one → tried at once',
    observed: { ...installed([lnd]), records: { lnd: { hash: 'h-lnd-Image=img', units: ['lnd.container'], configs: [], failure: failure('h-bad', 3, 60_000) } } },
    desired: desired(app({ id: 'lnd', body: 'Image=fixed', hash: 'h-fixed' })),
    steps: ['write units/lnd.container', 'daemon-reload', 'restart lnd.service'],
  },
  {
    name: 'a failed install, back-off over → started again',
    observed: { ...installed([]), units: { 'lnd.container': { name: 'lnd.container', content: lnd.units[0]!.content, owned: true } }, records: { lnd: { hash: '', units: ['lnd.container'], configs: [], failure: failure(lnd.hash, 4, -1) } }, services: { 'lnd.service': 'failed' } },
    desired: desired(lnd),
    steps: ['start lnd.service'],
  },
  {
    name: 'companion container: both services started, volume written',
    observed: installed([]),
    desired: desired(app({ id: 'lnd', extraUnits: [file('archy-lnd-ui.container', unit('archy-lnd-ui.container', 'Image=ui'), 'lnd'), file('lnd-data.volume', `${OWNERSHIP_MARKER}\n[Volume]\n`, 'lnd')] })),
    steps: ['write units/lnd.container', 'write units/archy-lnd-ui.container', 'write units/lnd-data.volume', 'daemon-reload', 'start lnd.service', 'start archy-lnd-ui.service'],
  },
  {
    name: 'shared network written once, before the apps that use it; unchanged → nothing',
    observed: installed([]),
    desired: { apps: [lnd], shared: [file('archy.network', `${OWNERSHIP_MARKER}\n[Network]\n`)] },
    steps: ['write units/archy.network', 'write units/lnd.container', 'daemon-reload', 'start lnd.service'],
  },
  {
    name: 'app moved to absent (remove intent) while others change → one reload for all',
    observed: installed([lnd, btc]),
    desired: desired(app({ id: 'bitcoin', body: 'Image=img2', configs: { '/var/lib/archipelago/bitcoin/bitcoin.conf': 'rpcauth=a:b$c\n' } })),
    steps: ['stop lnd.service', 'remove units/lnd.container', 'write units/bitcoin.container', 'daemon-reload', 'restart bitcoin.service', 'forget lnd'],
  },
];

describe('planSteps: observed + desired → steps', () => {
  it.each(CASES)('$name', ({ observed, desired: d, steps }) => {
    expect(plan(observed, d)).toEqual(steps);
  });

  it('plans exactly one daemon-reload whenever unit files change, and none otherwise', () => {
    for (const c of CASES) {
      const texts = plan(c.observed, c.desired);
      const unitChanges = texts.filter((t) => t.startsWith('write units/') || t.startsWith('remove units/')).length;
      expect(texts.filter((t) => t === 'daemon-reload').length, c.name).toBe(unitChanges > 0 ? 1 : 0);
    }
  });
});

describe('steps carry what the executors and the controller need', () => {
  const steps = (o: Observed, d: Desired): Step[] => planSteps(o, withHolds(d, findHolds(o, d)));

  it('a new app is installing; its start is gated without rollback and records the new hash', () => {
    const s = steps(installed([]), desired(lnd));
    expect(s.map((x) => x.phase)).toEqual(['installing', undefined, 'installing']);
    const start = s[2]!;
    expect(start.action === 'start' && start.gate).toEqual({ timeoutMs: 90_000, rollback: false, attempt: 1, stableMs: 5_000 });
    expect(start.action === 'start' && start.record?.hash).toBe(lnd.hash);
  });

  it('a start gated by a health check counts at its first healthy check; one without must stay up for STABLE_MS', () => {
    const checked = app({ id: 'lnd', body: 'Image=img\nHealthCmd=true\nNotify=healthy' });
    const start = steps(installed([]), desired(checked)).find((x) => x.action === 'start')!;
    expect(start.action === 'start' && start.gate?.stableMs).toBe(0);
  });

  it('an update is updating; its restart is gated with rollback', () => {
    const s = steps(installed([lnd]), desired(app({ id: 'lnd', body: 'Image=img2' })));
    const restart = s.find((x) => x.action === 'restart')!;
    expect(restart.phase).toBe('updating');
    expect(restart.action === 'restart' && restart.gate?.rollback).toBe(true);
  });

  it('a retry after a back-off is gated as the next attempt', () => {
    const o: Observed = { ...installed([lnd]), records: { lnd: { hash: lnd.hash, units: ['lnd.container'], configs: [], failure: failure('h-bad', 2, -1) } } };
    const restart = steps(o, desired(app({ id: 'lnd', body: 'Image=bad', hash: 'h-bad' }))).find((x) => x.action === 'restart')!;
    expect(restart.action === 'restart' && restart.gate).toEqual({ timeoutMs: 90_000, rollback: true, attempt: 3, stableMs: 5_000 });
  });

  it("start/stop/restart name the user's click they follow from, so the executor tells a newer click apart", () => {
    const at = iso(-5_000);
    const stop = steps(installed([lnd]), desired({ ...app({ id: 'lnd', run: false }), userIntent: { intent: 'running', at } })).find((x) => x.action === 'stop')!;
    expect(stop.action === 'stop' && [stop.intended, stop.intentAt]).toEqual(['stopped', at]);
    const start = steps(installed([]), desired(lnd)).find((x) => x.action === 'start')!;
    expect(start.action === 'start' && [start.intended, start.intentAt]).toEqual(['running', '']);
  });

  it('a removal is removing', () => {
    const s = steps(installed([lnd]), desired());
    expect(s.filter((x) => x.app === 'lnd').map((x) => x.phase)).toEqual(['removing', 'removing', 'removing']);
  });

  it('holds name the reason', () => {
    const rec: AppRecord = { hash: 'a', units: [], configs: [], failure: failure('h-x', 2, 30_000, { lastFailure: 'x.service did not become active within 5s' }) };
    const o: Observed = { ...installed([]), records: { x: rec } };
    expect(findHolds(o, desired(app({ id: 'x', hash: 'h-x' })))).toEqual([
      { app: 'x', reason: `waiting to retry x (attempt 2, next at ${iso(30_000)}, last failure: x.service did not become active within 5s)`, retryAt: iso(30_000) },
    ]);
    const spent: AppRecord = { ...rec, failure: failure('h-x', 5, undefined, { maxAttempts: 5, rolledBack: true }) };
    expect(findHolds({ ...o, records: { x: spent } }, desired(app({ id: 'x', hash: 'h-x' })))).toEqual([
      { app: 'x', reason: 'x failed 5 of 5 attempts (last failure: lnd.service did not stay up (failed/failed, result exit-code)); running its last-good files; waiting for a changed manifest or a start' },
    ]);
    const stopping = installed([lnd], { 'lnd.service': 'deactivating' });
    expect(findHolds(stopping, desired(app({ id: 'lnd', body: 'Image=img2' })))).toEqual([
      { app: 'lnd', reason: 'lnd.service is deactivating (a systemd job is in flight); its change waits for the next pass', retryAt: iso(2_000) },
    ]);
    // Unchanged while stopping: nothing to hold.
    expect(findHolds(stopping, desired(lnd))).toEqual([]);
  });
});

describe('config files that are not ours', () => {
  const CONF = '/var/lib/archipelago/bitcoin/bitcoin.conf';
  const mine = app({ id: 'bitcoin', configs: { [CONF]: `${OWNERSHIP_MARKER}; do not edit.\nrpcauth=a:b$c\n` } });
  const held = (o: Observed): { held: ReturnType<typeof findHolds>; steps: string[] } => ({ held: findHolds(o, desired(mine, lnd)), steps: plan(o, desired(mine, lnd)) });

  it("an operator's own file at a config path: the app is held, naming the file, and nothing of it is touched", () => {
    const o: Observed = { ...installed([]), configs: { [CONF]: 'server=1\nrpcpassword=mine\n' } };
    expect(held(o)).toEqual({
      held: [{ app: 'bitcoin', reason: `config ${CONF} exists and is not managed by archy-quadlet; move it away to install bitcoin` }],
      steps: ['write units/lnd.container', 'daemon-reload', 'start lnd.service'],
    });
  });

  it('a file that starts with our marker line, or one a record says we wrote (drifted by hand), is ours', () => {
    const marked: Observed = { ...installed([]), configs: { [CONF]: `${OWNERSHIP_MARKER}; do not edit.\nold\n` } };
    expect(held(marked).held).toEqual([]);
    expect(held(marked).steps).toContain(`write config ${CONF}`);
    const recorded: Observed = { ...installed([mine]), configs: { [CONF]: 'rpcauth=edited-by-hand\n' } };
    expect(held(recorded).held).toEqual([]);
    expect(held(recorded).steps).toContain(`write config ${CONF}`);
  });
});

describe('withoutInstall', () => {
  it('drops the [Install] section and nothing else', () => {
    expect(withoutInstall('[Unit]\nA=1\n\n[Install]\nWantedBy=x\n\n[Service]\nB=2\n')).toBe('[Unit]\nA=1\n\n[Service]\nB=2\n');
    expect(withoutInstall('[Container]\nImage=x\n\n[Install]\nWantedBy=multi-user.target\n')).toBe(withoutInstall('[Container]\nImage=x\n'));
  });
});

describe('an app of several containers: driven through its unit <id>.service', () => {
  const CONF = '/var/lib/archipelago/pad/web/default.conf';
  const net = (run: boolean): string => `${OWNERSHIP_MARKER} source: manifests/pad.yaml\n[Network]\nNetworkName=pad\nServiceName=pad\n${run ? INSTALL : ''}`;
  const ctr = (name: string, body: string): string => `${OWNERSHIP_MARKER} source: manifests/pad.yaml\n[Unit]\nPartOf=pad.service\n[Container]\n${body}\nNetwork=pad.network:alias=${name}\n\n[Install]\nWantedBy=pad.service\n`;
  function pad(o: { run?: boolean; db?: string; web?: string; conf?: string; hash?: string } = {}): DesiredApp {
    const run = o.run ?? true;
    return {
      id: 'pad',
      run,
      units: [
        file('pad-db.container', ctr('db', o.db ?? 'Image=db:1\nNotify=healthy'), 'pad'),
        file('pad-migrate.container', ctr('migrate', 'Image=app:1\n[Service]\nType=oneshot'), 'pad'),
        file('pad-web.container', ctr('web', `Image=web:1\nVolume=${CONF}:/etc/nginx/conf.d/default.conf:ro${o.web ?? ''}`), 'pad'),
        file('pad.network', net(run), 'pad'),
      ],
      configs: [{ path: CONF, content: o.conf ?? 'server {}\n', mode: 0o644 }],
      hash: o.hash ?? 'h-pad-1',
      startTimeoutMs: 90_000,
    };
  }
  const UP = { 'pad.service': 'active', 'pad-db.service': 'active', 'pad-migrate.service': 'active', 'pad-web.service': 'active' };
  const steps = (o: Observed, d: DesiredApp): Step[] => planSteps(o, desired(d));

  it('install: the files, one reload, one start of pad.service gated on every container (stable window only where nothing else says up)', () => {
    const s = steps(installed([]), pad());
    expect(describeAll(s)).toEqual([
      'write units/pad-db.container',
      'write units/pad-migrate.container',
      'write units/pad-web.container',
      'write units/pad.network',
      `write config ${CONF}`,
      'daemon-reload',
      'start pad.service',
    ]);
    const start = s.at(-1) as Extract<Step, { action: 'start' }>;
    expect(start.gate?.services).toEqual([
      { service: 'pad-db.service', stableMs: 0 },
      { service: 'pad-migrate.service', stableMs: 0 },
      { service: 'pad-web.service', stableMs: 5_000 },
    ]);
    expect(start.phase).toBe('installing');
  });

  it('a container down (the others up): one start of pad.service, which starts what is missing', () => {
    expect(plan(installed([pad()], { ...UP, 'pad-web.service': 'failed' }), desired(pad()))).toEqual(['start pad.service']);
    expect(plan(installed([pad()], UP), desired(pad()))).toEqual([]);
  });

  it('stopped by the user: one stop of pad.service (systemd stops the containers in reverse order); nothing when all are down', () => {
    const o = installed([pad()], UP);
    expect(plan(o, desired(pad({ run: false })))).toEqual(['stop pad.service', 'write units/pad.network', 'daemon-reload']);
    const down = installed([pad({ run: false })], { 'pad.service': 'inactive', 'pad-db.service': 'inactive', 'pad-migrate.service': 'inactive', 'pad-web.service': 'inactive' });
    expect(plan(down, desired(pad({ run: false })))).toEqual([]);
  });

  it('restarts what a change touches: a container\'s unit or config restarts that container; the network restarts the app', () => {
    const o = installed([pad()], UP);
    expect(plan(o, desired(pad({ db: 'Image=db:2\nNotify=healthy', hash: 'h2' })))).toEqual(['write units/pad-db.container', 'daemon-reload', 'restart pad-db.service']);
    expect(plan(o, desired(pad({ conf: 'server { listen 81; }\n', hash: 'h3' })))).toEqual([`write config ${CONF}`, 'restart pad-web.service']);
    const changedNet = pad({ hash: 'h4' });
    changedNet.units[3] = file('pad.network', net(true).replace('NetworkName=pad\n', 'NetworkName=pad\nInternal=true\n'), 'pad');
    expect(plan(o, desired(changedNet))).toEqual(['write units/pad.network', 'daemon-reload', 'restart pad.service']);
  });

  it('removed from the catalog: the app unit is stopped (its containers with it), every file removed, the app forgotten', () => {
    const steps = plan(installed([pad()], UP), desired());
    expect(steps.slice(0, 4)).toEqual(['stop pad.service', 'stop pad-db.service', 'stop pad-migrate.service', 'stop pad-web.service']);
    expect(steps).toContain('remove units/pad.network');
    expect(steps.at(-1)).toBe('forget pad');
  });

  it('a container stopping (a job in flight): nothing is started or restarted over it', () => {
    expect(plan(installed([pad()], { ...UP, 'pad-web.service': 'deactivating' }), desired(pad({ hash: 'h5', web: '\nLabel=x=y' })))).toEqual(['write units/pad-web.container', 'daemon-reload']);
  });
});

describe('podman secrets of generated secrets (environment values): created before the apps that take them start', () => {
  const withSecret = (id: string, digest: string, o: Partial<AppSpec> = {}): DesiredApp => ({ ...app({ id, ...o }), podmanSecrets: [{ name: 'bitcoin-rpc-password', digest }] });

  it('install: the podman secret is written once (however many apps take it), after the reload and before the starts', () => {
    const s = plan(installed([]), desired(withSecret('lnd', 'd1'), withSecret('electrumx', 'd1')));
    expect(s).toEqual([
      'write units/lnd.container',
      'write units/electrumx.container',
      'daemon-reload',
      'write podman secret archy.bitcoin-rpc-password',
      'start lnd.service',
      'start electrumx.service',
    ]);
  });

  it('nothing when the recorded digest is current and podman was not asked (a no-op pass runs no podman)', () => {
    const o: Observed = { ...installed([withSecret('lnd', 'd1')]), podmanSecrets: { recorded: { 'archy.bitcoin-rpc-password': 'd1' } } };
    expect(plan(o, desired(withSecret('lnd', 'd1')))).toEqual([]);
  });

  it('written again when the value changed (its digest), or when podman was seen to lack it (deleted by hand)', () => {
    const o: Observed = { ...installed([withSecret('lnd', 'd1')]), podmanSecrets: { recorded: { 'archy.bitcoin-rpc-password': 'd1' } } };
    expect(plan(o, desired(withSecret('lnd', 'd2', { hash: 'h2' })))).toEqual(['write podman secret archy.bitcoin-rpc-password', 'restart lnd.service']);
    const gone: Observed = { ...installed([withSecret('lnd', 'd1')], { 'lnd.service': 'failed' }), podmanSecrets: { recorded: { 'archy.bitcoin-rpc-password': 'd1' }, present: new Set() } };
    expect(plan(gone, desired(withSecret('lnd', 'd1')))).toEqual(['write podman secret archy.bitcoin-rpc-password', 'start lnd.service']);
  });

  it('not for an app that is stopped or held', () => {
    expect(plan(installed([]), desired(withSecret('lnd', 'd1', { run: false }), withSecret('held', 'd1', { hold: 'no' })))).not.toContain('write podman secret archy.bitcoin-rpc-password');
  });
});
