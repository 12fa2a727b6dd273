import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppRef, AppState } from '../../src/controller/types.js';
import { loadDesired, type DesiredLoader } from '../../src/reconcile/load-desired.js';
import { runPass, type PassReport } from '../../src/reconcile/pass.js';
import type { ControllerSink } from '../../src/reconcile/ports.js';
import { readIntent } from '../../src/store/state/intents.js';
import { useHost } from '../host/index.js';
import { appManifest, healthyAfterCommand } from '../support/apps.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { hostGenerator, runUnitDir } from '../support/host.js';

// The executor's ordering on the real host: each app's phase ends with its own
// health gate, and a start/stop whose user intent changed after the pass read
// it is skipped. The races are driven through the ports a pass takes: the
// loader (runs before observe) and the controller's setApps (between observe
// and execute), around the real loadDesired and the real controller.

const host = useHost();
// A pass prunes units of ours its manifests do not name: it gets a directory no other suite writes to meanwhile.
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-reconcile-exec-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const IDS = ['rx-gone', 'rx-quick', 'rx-slow', 'rx-user', 'rx-conf'];
const CONF = '/var/lib/archipelago/rx-conf/bitcoin.conf';
let h: HostController;

const plain = (id: string): string => appManifest(id, { stopTimeout: '2s' });
/** Healthy only once /tmp/ready exists, 8 s after the start; gateStart keeps the unit activating until then. */
const SLOW = appManifest('rx-slow', {
  command: healthyAfterCommand(8),
  stopTimeout: '2s',
  extra: 'startTimeout: 60s\nhealth:\n  cmd: [test, -f, /tmp/ready]\n  interval: 1s\n  gateStart: true\n',
});

function pass(opts: { loader?: DesiredLoader; controller?: ControllerSink; log?: (l: string) => void } = {}): Promise<PassReport> {
  return runPass({
    manifestsDir: manifests,
    unitDir,
    stateDir,
    systemd: h.systemd,
    controller: opts.controller ?? h.controller,
    configRoot: host.rootDir,
    generator: [hostGenerator(host)],
    pollMs: 100,
    allowEmpty: true,
    ...(opts.loader ? { loader: opts.loader } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/**
 * Loads the desired state as a pass does, then has the user click Start or Stop
 * on rx-user through the controller (intent written, systemd called) and waits
 * until systemd has settled: the pass then observes and acts on a stale intent.
 */
function clickAfterLoad(action: 'start' | 'stop'): DesiredLoader {
  return async (o) => {
    const loaded = await loadDesired(o);
    await h.controller[action]('rx-user');
    await h.waitFor('rx-user', action === 'start' ? 'running' : 'stopped');
    return loaded;
  };
}

async function activeState(service: string): Promise<string> {
  return (await h.systemd.getUnitProperties(service)).value.activeState ?? '';
}

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  h = await controllerOnHost(host, IDS, { stateDir });
});

afterAll(async () => {
  for (const id of IDS) await h.systemd.stopUnit(`${id}.service`).catch(() => undefined);
  for (const id of IDS) rmSync(join(unitDir, `${id}.container`), { force: true });
  rmSync(join(host.rootDir, '/var/lib/archipelago/rx-conf'), { recursive: true, force: true });
  await h.systemd.reload().catch(() => undefined);
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

describe('executor phases on the real host', () => {
  it("a quick app leaves installing and runs, and a removed one leaves removing, while a slow app's health gate still holds it installing", async () => {
    writeFileSync(join(manifests, 'rx-gone.yaml'), plain('rx-gone'));
    expect((await pass()).failures).toEqual([]);
    expect(await activeState('rx-gone.service')).toBe('active');
    rmSync(join(manifests, 'rx-gone.yaml'));
    writeFileSync(join(manifests, 'rx-quick.yaml'), plain('rx-quick'));
    writeFileSync(join(manifests, 'rx-slow.yaml'), SLOW);
    // Every event of the two apps, in the controller's own order (seq).
    const events: Array<{ seq: number; id: string; state: AppState; activeState?: string }> = [];
    const off = h.controller.subscribe((e) => {
      if (['rx-gone', 'rx-quick', 'rx-slow'].includes(e.status.id)) events.push({ seq: e.seq, id: e.status.id, state: e.status.state, activeState: e.status.activeState });
    });
    let r: PassReport;
    try {
      r = await pass();
    } finally {
      off();
    }
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([
      'stop rx-gone.service',
      'remove units/rx-gone.container',
      'write units/rx-quick.container',
      'write units/rx-slow.container',
      'daemon-reload',
      'start rx-quick.service',
      'start rx-slow.service',
      'forget rx-gone',
    ]);
    const quickRan = events.find((e) => e.id === 'rx-quick' && e.state === 'running');
    const slowHealthy = events.find((e) => e.id === 'rx-slow' && e.activeState === 'active');
    expect(quickRan).toBeDefined();
    expect(slowHealthy).toBeDefined();
    // The quick app is shown running before systemd lets the slow one out of activating (its first healthy check) …
    expect(quickRan!.seq).toBeLessThan(slowHealthy!.seq);
    // … and meanwhile the slow one is shown installing, on its way up.
    const slowThen = events.filter((e) => e.id === 'rx-slow' && e.seq < quickRan!.seq).pop();
    expect(slowThen).toMatchObject({ state: 'installing', activeState: 'activating' });
    // The removed app showed removing, and no longer does well before that too.
    const goneRemoving = events.findIndex((e) => e.id === 'rx-gone' && e.state === 'removing');
    expect(goneRemoving).toBeGreaterThanOrEqual(0);
    const goneDone = events.slice(goneRemoving).find((e) => e.id === 'rx-gone' && e.state !== 'removing');
    expect(goneDone).toBeDefined();
    expect(goneDone!.seq).toBeLessThan(slowHealthy!.seq);
    // From the phase on, each shows installing, then running, and nothing in between.
    const fold = (id: string): AppState[] => {
      const out: AppState[] = [];
      for (const e of events) if (e.id === id && (out.length > 0 || e.state === 'installing') && out[out.length - 1] !== e.state) out.push(e.state);
      return out;
    };
    expect(fold('rx-quick')).toEqual(['installing', 'running']);
    expect(fold('rx-slow')).toEqual(['installing', 'running']);
    // The slow one really was held by its health check: systemd shows it up only now, healthy.
    expect(await activeState('rx-slow.service')).toBe('active');
    await host.execOk(['podman', 'exec', 'rx-slow', 'test', '-f', '/tmp/ready']);
  });
});

describe('the user intent is read again right before a start or stop, on the real host', () => {
  it('setup: rx-user installed, then stopped by the user through the controller', async () => {
    for (const id of ['rx-quick', 'rx-slow']) rmSync(join(manifests, `${id}.yaml`));
    writeFileSync(join(manifests, 'rx-user.yaml'), plain('rx-user'));
    const first = await pass();
    expect(first.failures).toEqual([]);
    expect(first.done).toContain('start rx-user.service');
    await h.controller.stop('rx-user');
    await h.waitFor('rx-user', 'stopped');
    expect((await readIntent(stateDir, 'rx-user'))?.intent).toBe('stopped');
    // A user-stopped app is rendered without [Install], and the pass does not start it.
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).not.toContain('start rx-user.service');
    expect(readFileSync(join(unitDir, 'rx-user.container'), 'utf8')).not.toContain('[Install]');
    expect(await activeState('rx-user.service')).toBe('inactive');
  });

  it('a stop planned from a stale "stopped" intent is skipped when the user started the app after the pass read it', async () => {
    const lines: string[] = [];
    const r = await pass({ loader: clickAfterLoad('start'), log: (l) => lines.push(l) });
    expect(r.failures).toEqual([]);
    expect(r.planned).toContain('stop rx-user.service');
    expect(r.done).not.toContain('stop rx-user.service');
    expect(r.counters.stops).toBe(0);
    expect(lines).toContain('skip stop rx-user.service: the user started it since this pass read its intent');
    expect(await activeState('rx-user.service')).toBe('active');
    expect(h.controller.get('rx-user')?.state).toBe('running');
    // The next pass plans from the new intent: [Install] back, no restart, no stop.
    const next = await pass();
    expect(next.failures).toEqual([]);
    expect(next.done).toEqual(['write units/rx-user.container', 'daemon-reload']);
    expect(readFileSync(join(unitDir, 'rx-user.container'), 'utf8')).toContain('[Install]');
    expect(await activeState('rx-user.service')).toBe('active');
  });

  it('a start planned from a stale "running" intent is skipped when the user stopped the app after the pass read it', async () => {
    const lines: string[] = [];
    const r = await pass({ loader: clickAfterLoad('stop'), log: (l) => lines.push(l) });
    expect(r.failures).toEqual([]);
    expect(r.planned).toEqual(['start rx-user.service']);
    expect(r.done).toEqual([]);
    expect(r.counters.starts).toBe(0);
    expect(lines).toContain('skip start rx-user.service: the user stopped it since this pass read its intent');
    expect(await activeState('rx-user.service')).toBe('inactive');
    expect(h.controller.get('rx-user')?.state).toBe('stopped');
  });

  it('a stop whose intent still matches runs: the app started behind the user\'s back is stopped again', async () => {
    expect((await readIntent(stateDir, 'rx-user'))?.intent).toBe('stopped');
    // Another pass in between (the next one after the click) re-renders without [Install]; then someone starts it directly.
    expect((await pass()).failures).toEqual([]);
    await h.systemd.startUnit('rx-user.service', 'replace');
    await h.waitFor('rx-user', 'running');
    const lines: string[] = [];
    const r = await pass({ log: (l) => lines.push(l) });
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual(['stop rx-user.service']);
    expect(lines.some((l) => l.startsWith('skip '))).toBe(false);
    await h.waitFor('rx-user', 'stopped');
    expect(await activeState('rx-user.service')).toBe('inactive');
  });
});

describe('config ownership is re-checked at write time, on the real host', () => {
  it('a config file that appears without our marker after the pass observed the node is not replaced', async () => {
    rmSync(join(manifests, 'rx-user.yaml'));
    writeFileSync(
      join(manifests, 'rx-conf.yaml'),
      `${plain('rx-conf')}configs:\n  - template: bitcoin.conf.hbs\n    path: ${CONF}\n    target: /etc/bitcoin/bitcoin.conf\n`,
    );
    const onHost = join(host.rootDir, CONF);
    expect(existsSync(onHost)).toBe(false);
    // An operator drops their own file after observe (setApps runs between observe and execute).
    const controller: ControllerSink = {
      setPhase: (id, phase) => h.controller.setPhase(id, phase),
      setApps: async (apps: AppRef[]) => {
        await h.controller.setApps(apps);
        if (existsSync(onHost)) return;
        mkdirSync(join(host.rootDir, '/var/lib/archipelago/rx-conf'), { recursive: true });
        writeFileSync(onHost, 'rpcpassword=the-operators-own\n');
      },
    };
    const r = await pass({ controller });
    expect(r.planned).toContain(`write config ${CONF}`);
    expect(r.failures).toEqual([{ app: 'rx-conf', step: `write config ${CONF}`, error: expect.stringContaining(`${onHost}: not managed by archy-quadlet`) }]);
    expect(readFileSync(onHost, 'utf8')).toBe('rpcpassword=the-operators-own\n');
    expect(r.done).not.toContain('start rx-conf.service');
    expect(await activeState('rx-conf.service')).not.toBe('active');
  });
});
