// The planner for an app of template instances (issue 17): its container services are the instances its app unit
// wants (indexer@1.service, indexer@2.service), never the template indexer@.service.
import { describe, expect, it } from 'vitest';
import { planSteps } from '../../src/reconcile/plan.js';
import { describeAll } from '../../src/reconcile/steps.js';
import type { DesiredApp, Observed } from '../../src/reconcile/types.js';
import { OWNERSHIP_MARKER } from '../../src/render/types.js';

const NOW = Date.parse('2026-12-01T14:00:00.000Z');
const header = `${OWNERSHIP_MARKER}; do not edit. source: manifests/indexer.yaml\n`;
const network = (instances: string[]): string =>
  `${header}[Unit]\n${instances.map((i) => `Wants=indexer@${i}.service\n`).join('')}[Network]\nNetworkName=indexer\nServiceName=indexer\n[Install]\nWantedBy=multi-user.target\n`;
const template = (exec: string): string => `${header}[Unit]\nPartOf=indexer.service\n[Container]\nImage=img\nContainerName=indexer-%i\nExec=${exec}\n[Service]\nTimeoutStartSec=90\n`;

function indexer(instances: string[], exec = 'run %i'): DesiredApp {
  const units = [
    { name: 'indexer.network', content: network(instances), sources: [], app: 'indexer' },
    { name: 'indexer@.container', content: template(exec), sources: [], app: 'indexer' },
  ];
  return { id: 'indexer', run: true, units, configs: [], hash: `h-${instances.join()}-${exec}`, startTimeoutMs: 90_000 };
}

/** The node with `app` installed as given, and these services' ActiveStates. */
function installed(app: DesiredApp, services: Record<string, string>): Observed {
  const units = Object.fromEntries(app.units.map((u) => [u.name, { name: u.name, content: u.content, owned: true }]));
  return { units, configs: {}, records: { indexer: { hash: app.hash, units: app.units.map((u) => u.name), configs: [] } }, services, now: NOW };
}

const plan = (observed: Observed, app: DesiredApp) => planSteps(observed, { apps: [app], shared: [] });

describe('an app of template instances, planned', () => {
  it('a first install starts the app unit, and its gate waits for every instance', () => {
    const steps = plan({ units: {}, configs: {}, records: {}, services: {}, now: NOW }, indexer(['1', '2']));
    expect(describeAll(steps)).toEqual(['write units/indexer.network', 'write units/indexer@.container', 'daemon-reload', 'start indexer.service']);
    const start = steps.find((s) => s.action === 'start');
    expect(start && 'gate' in start ? start.gate?.services?.map((s) => s.service) : undefined).toEqual(['indexer@1.service', 'indexer@2.service']);
  });

  it('running as desired: nothing; one instance stopped: the app unit starts it', () => {
    const app = indexer(['1', '2']);
    expect(describeAll(plan(installed(app, { 'indexer.service': 'active', 'indexer@1.service': 'active', 'indexer@2.service': 'active' }), app))).toEqual([]);
    expect(describeAll(plan(installed(app, { 'indexer.service': 'active', 'indexer@1.service': 'active', 'indexer@2.service': 'inactive' }), app))).toEqual(['start indexer.service']);
  });

  it('a changed template restarts each instance; an instance taken out of the list is stopped', () => {
    const running = { 'indexer.service': 'active', 'indexer@1.service': 'active', 'indexer@2.service': 'active' };
    expect(describeAll(plan(installed(indexer(['1', '2']), running), indexer(['1', '2'], 'run %i --fast')))).toEqual([
      'write units/indexer@.container',
      'daemon-reload',
      'restart indexer@1.service',
      'restart indexer@2.service',
    ]);
    // The instance that stays keeps running: no restart of the app.
    expect(describeAll(plan(installed(indexer(['1', '2']), running), indexer(['1'])))).toEqual(['stop indexer@2.service', 'write units/indexer.network', 'daemon-reload', 'adopt indexer']);
    // A new instance: the app unit's start pulls it in, and leaves the running ones.
    expect(describeAll(plan(installed(indexer(['1']), { 'indexer.service': 'active', 'indexer@1.service': 'active' }), indexer(['1', '2'])))).toEqual(['write units/indexer.network', 'daemon-reload', 'start indexer.service']);
  });
});

describe('an app changing kind between instances and one container, planned (issue 17, from a review on the host)', () => {
  const plainUnit = `${header}[Container]\nImage=img\nContainerName=indexer\n`;
  const plain: DesiredApp = { id: 'indexer', run: true, units: [{ name: 'indexer.container', content: plainUnit, sources: [], app: 'indexer' }], configs: [], hash: 'h-plain', startTimeoutMs: 90_000 };
  const running = { 'indexer.service': 'active', 'indexer@1.service': 'active', 'indexer@2.service': 'active' };

  it('instances taken away: every running instance systemd lists is stopped before the template goes', () => {
    const steps = plan(installed(indexer(['1', '2']), running), plain);
    expect(describeAll(steps)).toEqual([
      'stop indexer@1.service',
      'stop indexer@2.service',
      'remove units/indexer.network',
      'remove units/indexer@.container',
      'write units/indexer.container',
      'daemon-reload',
      'restart indexer.service',
    ]);
  });

  it('an instance left running by a template already gone (seen only from systemd) is stopped; an inactive one is not', () => {
    const base = installed(plain, { 'indexer.service': 'active', 'indexer@1.service': 'active', 'indexer@3.service': 'inactive' });
    expect(describeAll(plan(base, plain))).toEqual(['stop indexer@1.service']);
  });

  it('an instance running but out of the list and out of the unit on disk is stopped too', () => {
    const app = indexer(['1']);
    expect(describeAll(plan(installed(app, { 'indexer.service': 'active', 'indexer@1.service': 'active', 'indexer@7.service': 'active' }), app))).toEqual(['stop indexer@7.service']);
  });

  it('removing the app stops every instance systemd runs, then its unit', () => {
    const observed = installed(indexer(['1']), { ...running });
    expect(describeAll(planSteps(observed, { apps: [], shared: [] })).slice(0, 3)).toEqual(['stop indexer@1.service', 'stop indexer@2.service', 'stop indexer.service']);
  });

  it('instances added to a running plain app: its container stops and is waited for before the files change', () => {
    const units = { 'indexer.container': { name: 'indexer.container', content: plainUnit, owned: true } };
    const observed: Observed = { units, configs: {}, records: { indexer: { hash: 'h-plain', units: ['indexer.container'], configs: [] } }, services: { 'indexer.service': 'active' }, now: NOW };
    const steps = plan(observed, indexer(['1', '2']));
    expect(describeAll(steps)).toEqual([
      'stop indexer.service',
      'remove units/indexer.container',
      'write units/indexer.network',
      'write units/indexer@.container',
      'daemon-reload',
      'start indexer.service',
    ]);
    const stop = steps[0];
    expect(stop?.action === 'stop' && stop.settle).toBe(true);
    // A stop of a removed app whose service no wanted unit takes over is not waited for in line.
    const removed = planSteps(observed, { apps: [], shared: [] })[0];
    expect(removed?.action === 'stop' && removed.settle).toBeFalsy();
  });
});
