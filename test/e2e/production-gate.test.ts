import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { BUSYBOX_IMAGE, useHost, userManager, type TestHost, type UserManager } from '../host/index.js';
import { startTestHost, type StartedHost } from '../host/start.js';
import { appManifest, QUICK_COMMAND, slowStopCommand } from '../support/apps.js';
import { assertBuilt, type ServeChild } from '../support/cli.js';
import { MANAGERS, systemNode, userNode, type NodeUnderTest } from '../support/node.js';
import { followEvents, type EventStream } from '../support/sse.js';
import { until, type WaitOptions } from '../support/wait.js';

// The node's production gate, rootful and rootless: three apps (one quick to stop, one that takes 5 s, one of several
// containers) through install → stop → start → restart → reinstall → reboot of the host → daemon restart → uninstall,
// driven through the daemon (`archy-quadlet serve --watch`, the real command line: rootful outside the host on its
// system bus, rootless inside the host as the user with `--user`, as a node runs it) and its HTTP API. After each
// step each app is in its intended state, as systemd (ActiveState over the bus) and the API say; the event stream
// (SSE) shows each transition and never `running` while a stop is in flight. The host has a persistent root of its
// own (the shared one is volatile), so the reboot keeps what was installed: a user-stopped app must come back
// stopped and a running one running, before the daemon has run a pass.

const STEP_MS = 300_000;
/** How long a step waits for a state. */
const SETTLE: WaitOptions = { timeoutMs: 120_000 };
/** Two one-container apps and an app of several containers (db, and web which takes 5 s to stop). */
const APPS = ['pg-quick', 'pg-slow', 'pg-stack'] as const;
type App = (typeof APPS)[number];

const STACK = `id: pg-stack
state: absent
containers:
  db:
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, ${JSON.stringify(QUICK_COMMAND)}]
  web:
    image: ${BUSYBOX_IMAGE}
    command: [sh, -c, ${JSON.stringify(slowStopCommand(5))}]
    stop:
      timeout: 30s
    dependsOn:
      - container: db
`;

const manifest = (id: App): string =>
  id === 'pg-stack' ? STACK : id === 'pg-slow' ? appManifest(id, { state: 'absent', command: slowStopCommand(5), stopTimeout: '30s' }) : appManifest(id, { state: 'absent' });

describe.each(MANAGERS)('production gate (%s manager): three apps (one of several containers) through every lifecycle step, a reboot and daemon restarts', (manager) => {
  let started: StartedHost | undefined;
  let host: TestHost;
  let user: UserManager | undefined;
  let node: NodeUnderTest;
  let stateDir: string;
  let manifests: string;
  let systemd: SystemdPort | undefined;
  let daemon: Daemon | undefined;
  let token: string;
  /** The event streams of every daemon process so far. */
  const streams: EventStream[] = [];

  /**
   * The daemon's path to the app's unit file (the persistent root is mounted here, the same across reboots): its
   * container's, or for the app of several containers its network's (`ServiceName=pg-stack`).
   */
  const unitFile = (id: App): string => join(node.unitDir, id === 'pg-stack' ? `${id}.network` : `${id}.container`);

  /** One state event of the daemon's stream. */
  interface Seen {
    seq: number;
    id: string;
    state: string;
    intent?: string;
    job?: string;
  }

  /** `archy-quadlet serve --watch` as a child process, with its API's URL and every state event its stream sent. */
  interface Daemon extends ServeChild {
    events: Seen[];
  }

  /** The state events of a stream so far. */
  function seenOf(stream: EventStream): Seen[] {
    return stream.messages
      .filter((m) => m.event === 'state')
      .map((m) => {
        const { seq, status } = m.data as { seq: number; status: { id: string; state: string; intent?: string; job?: { type: string } } };
        return { seq, id: status.id, state: status.state, ...(status.intent ? { intent: status.intent } : {}), ...(status.job ? { job: status.job.type } : {}) };
      });
  }

  async function startDaemon(): Promise<Daemon> {
    const child = await node.serve({ stateDir, manifests }, ['serve', '--watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
    // The stream, open from the start: the first snapshot is in.
    const stream = followEvents(child.url, token);
    streams.push(stream);
    expect((await stream.response).status).toBe(200);
    await stream.next((m) => m.event === 'snapshot');
    return {
      ...child,
      get events() {
        return seenOf(stream);
      },
      async stop(signal) {
        stream.close();
        return child.stop(signal);
      },
    };
  }

  async function api(method: 'GET' | 'POST', path: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${daemon!.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.json() };
  }

  const apiState = async (id: App): Promise<string> => (await api('GET', `/api/apps/${id}`)).body.state as string;

  /** systemd's own view, over the bus: ActiveState, or `not-found` for a unit that does not exist. */
  async function activeState(id: App): Promise<string> {
    const { value } = await systemd!.getUnitProperties(`${id}.service`);
    return value.loadState === 'not-found' ? 'not-found' : (value.activeState ?? '?');
  }

  const BUS_STATE: Record<string, string> = { running: 'active', stopped: 'inactive', 'not-installed': 'not-found' };

  /** Waits until the API says `state` for `id` and checks systemd agrees. */
  async function settles(id: App, state: 'running' | 'stopped' | 'not-installed'): Promise<void> {
    await until(`${id} ${state} in the API`, () => apiState(id), (s) => s === state, SETTLE);
    expect(await activeState(id)).toBe(BUS_STATE[state]);
  }

  /** The API's answer to a click: the transitional state, and the last event seq the server had seen then. */
  interface Click {
    state: string;
    seq: number;
  }

  /**
   * What the clicking client shows from the click on: the state the API answered with, then the stream's events with
   * a seq above the answer's (only those may replace it; docs/api.md), repeats folded.
   */
  function shown(id: App, clicks: Map<App, Click>): string[] {
    const click = clicks.get(id)!;
    const out = [click.state];
    for (const e of daemon!.events) if (e.id === id && e.seq > click.seq && out.at(-1) !== e.state) out.push(e.state);
    return out;
  }

  /** Every event of the app, for a failure's message. */
  const eventsOf = (id: App): string => JSON.stringify(daemon!.events.filter((e) => e.id === id));

  /**
   * The stream as any client sees it (a tab that did not click too): every change out of `stopping` or `removing`
   * straight to `running`. Must be none.
   */
  function runningDuringStops(events: readonly Seen[]): string[] {
    const out: string[] = [];
    for (const id of APPS) {
      let last: Seen | undefined;
      for (const e of events.filter((x) => x.id === id)) {
        if (last && (last.state === 'stopping' || last.state === 'removing') && e.state === 'running') out.push(`${id}: seq ${last.seq} ${last.state} → seq ${e.seq} running`);
        last = e;
      }
    }
    return out;
  }

  /** POSTs `action` for `id`: 202 and the transitional state; records the answer in `clicks`. */
  async function act(id: App, action: string, transitional: string, clicks: Map<App, Click>): Promise<void> {
    const res = await api('POST', `/api/apps/${id}/${action}`);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.status.state).toBe(transitional);
    clicks.set(id, { state: res.body.status.state as string, seq: res.body.seq as number });
  }

  const hasInstall = (id: App): boolean => readFileSync(unitFile(id), 'utf8').includes(`\n[Install]\nWantedBy=${manager === 'user' ? 'default.target' : 'multi-user.target'}\n`);

  /** What a pass would do now, as `apply --dry-run` plans it (it waits for the daemon's pass, under the same lock). */
  async function plannedSteps(): Promise<string[]> {
    const r = await node.cli({ stateDir, manifests }, ['--json', 'apply', '--dry-run']);
    if (r.code !== 0 && !r.stdout) throw new Error(`apply --dry-run failed: ${r.stderr}`);
    return (JSON.parse(r.stdout) as { planned: string[] }).planned.filter((s) => APPS.some((id) => s.includes(id)));
  }

  /**
   * Clicks `action` on both apps through the API. Each click returns with the unit file already saying what a boot
   * should do ([Install] for a start or restart, none for a stop); each app settles in `final`, the clicking client
   * sees exactly `transitional → final`, and the unit file is the reconciler's own render: a pass plans nothing, and
   * none has replaced the file since the click (the same inode).
   */
  async function lifecycleStep(action: 'start' | 'stop' | 'restart', transitional: string, final: 'running' | 'stopped'): Promise<void> {
    const clicks = new Map<App, Click>();
    const inodes = new Map<App, number>();
    for (const id of APPS) {
      await act(id, action, transitional, clicks);
      // Durable at once: a reboot from here on follows the click.
      expect(hasInstall(id)).toBe(action !== 'stop');
      if (action === 'stop') expect(readFileSync(unitFile(id), 'utf8')).not.toContain('[Install]');
      inodes.set(id, statSync(unitFile(id)).ino);
    }
    for (const id of APPS) await settles(id, final);
    for (const id of APPS) expect(shown(id, clicks), eventsOf(id)).toEqual([transitional, final]);
    expect(await plannedSteps()).toEqual([]);
    for (const id of APPS) expect(statSync(unitFile(id)).ino).toBe(inodes.get(id));
  }

  /** The systemd invocation of the app's service: a new one means it was (re)started. */
  async function invocation(id: App): Promise<string> {
    return (await node.execOk([...node.systemctl, 'show', '-p', 'InvocationID', '--value', `${id}.service`])).trim();
  }

  beforeAll(async () => {
    assertBuilt();
    const name = `${useHost().name}-gate${manager === 'user' ? '-rl' : ''}`.slice(0, 63);
    started = await startTestHost({ name, persistent: true, log: (l) => void process.stderr.write(`[testhost] ${l}\n`) });
    host = started.host;
    user = manager === 'user' ? await userManager(host) : undefined;
    node = user ? userNode(host, user) : systemNode(host);
    stateDir = node.tempDir('aq-gate-state-');
    manifests = node.tempDir('aq-gate-manifests-');
    for (const id of APPS) writeFileSync(join(manifests, `${id}.yaml`), manifest(id));
    // Made by the node's own user, as the daemon reads it.
    token = (await node.cli({ stateDir }, ['token'])).stdout.trim();
    expect(token).toMatch(/^\S{20,}$/);
    systemd = createSystemd({ address: node.busAddress });
    await systemd.ready();
    daemon = await startDaemon();
  });

  // Whatever a step did, no client of any daemon was shown `running` while a stop was in flight.
  afterEach(() => {
    expect(streams.map(seenOf).flatMap(runningDuringStops)).toEqual([]);
  });

  afterAll(async () => {
    await daemon?.stop();
    await systemd?.close();
    await user?.close();
    await started?.stop();
    streams.length = 0;
  });

    it('install: installing → running; systemd agrees', { timeout: STEP_MS }, async () => {
      // The API says which manager it talks to.
      expect((await api('GET', '/api/apps')).body.systemd).toMatchObject({ state: 'connected', manager });
      expect((await api('GET', '/api/health')).body.systemd).toMatchObject({ manager });
      for (const id of APPS) expect(await apiState(id)).toBe('not-installed');
      const clicks = new Map<App, Click>();
      for (const id of APPS) await act(id, 'install', 'installing', clicks);
      for (const id of APPS) await settles(id, 'running');
      for (const id of APPS) expect(shown(id, clicks), eventsOf(id)).toEqual(['installing', 'running']);
      for (const id of APPS) expect(hasInstall(id)).toBe(true);
    });

    it('stop: the unit loses [Install] before the call returns; stopping → stopped; a pass has nothing to write', { timeout: STEP_MS }, async () => {
      await lifecycleStep('stop', 'stopping', 'stopped');
    });

    it('start: [Install] is back before the call returns; starting → running; a pass has nothing to write', { timeout: STEP_MS }, async () => {
      await lifecycleStep('start', 'starting', 'running');
    });

    it('restart: restarting through both halves (never running in between) → running, with a new invocation', { timeout: STEP_MS }, async () => {
      const before = new Map<App, string>();
      for (const id of APPS) before.set(id, await invocation(id));
      await lifecycleStep('restart', 'restarting', 'running');
      for (const id of APPS) expect(await invocation(id)).not.toBe(before.get(id));
    });

    it('reinstall: removing → not-installed (the unit gone), then installing → running', { timeout: STEP_MS }, async () => {
      let clicks = new Map<App, Click>();
      for (const id of APPS) await act(id, 'remove', 'removing', clicks);
      for (const id of APPS) await settles(id, 'not-installed');
      for (const id of APPS) expect(shown(id, clicks), eventsOf(id)).toEqual(['removing', 'not-installed']);
      for (const id of APPS) expect(existsSync(unitFile(id))).toBe(false);
      clicks = new Map<App, Click>();
      for (const id of APPS) await act(id, 'install', 'installing', clicks);
      for (const id of APPS) await settles(id, 'running');
      for (const id of APPS) expect(shown(id, clicks), eventsOf(id)).toEqual(['installing', 'running']);
    });

    it('reboot: a user-stopped app comes back stopped and a running one running, before any pass', { timeout: STEP_MS }, async () => {
      // No daemon from here until after the boot: what the host does at boot is the unit files' doing alone.
      expect(await daemon!.stop()).toBe(0);
      daemon = undefined;
      // Stopped with the command line, as a user would with the daemon down; it returns once the job is queued.
      for (const id of ['pg-quick', 'pg-stack'] as const) {
        const stop = await node.cli({ stateDir, manifests }, ['stop', id]);
        expect(stop.code, stop.stderr).toBe(0);
        expect(stop.stdout).toMatch(new RegExp(`^${id}: stopping \\(stop job \\d+ queued\\)$`, 'm'));
        expect(hasInstall(id)).toBe(false);
      }
      expect(hasInstall('pg-slow')).toBe(true);

      await systemd!.close();
      systemd = undefined;
      const oldPid = host.pid;
      // At once: the slow app is still running, and its stop is part of the shutdown.
      await started!.reboot();
      expect(host.pid).not.toBe(oldPid);
      // The user's manager comes up with the boot (lingering); its bus is there once it runs.
      await user?.ready();
      systemd = createSystemd({ address: node.busAddress });
      await systemd.ready();
      // Booted means the boot's jobs are done: the running app was started by its [Install], the stopped one was not.
      expect(await activeState('pg-quick')).toBe('inactive');
      await until('pg-slow active after the boot', () => activeState('pg-slow'), (s) => s === 'active', SETTLE);
      expect(await activeState('pg-quick')).toBe('inactive');
      // The app of several containers stays stopped as a whole: its unit and each of its containers.
      expect(await activeState('pg-stack')).toBe('inactive');
      expect(await node.execOk(['podman', 'ps', '--format', '{{.Names}}'])).toBe('pg-slow\n');
    });

    it('daemon start after the boot, and a daemon restart: the states stay, nothing is started or restarted', { timeout: STEP_MS }, async () => {
      const slow = await invocation('pg-slow');
      // Started after the boot, then restarted: each time the same states, and what its passes would do (the plan,
      // from the same inputs) is nothing to either app.
      for (const round of ['after the boot', 'restarted']) {
        if (daemon) expect(await daemon.stop(), `the daemon ${round}`).toBe(0);
        daemon = await startDaemon();
        await settles('pg-quick', 'stopped');
        await settles('pg-stack', 'stopped');
        await settles('pg-slow', 'running');
        expect(await plannedSteps(), `the daemon ${round}`).toEqual([]);
        expect(await invocation('pg-slow'), `the daemon ${round}`).toBe(slow);
        expect(await activeState('pg-quick')).toBe('inactive');
      }
    });

    it('uninstall: removing → not-installed, the running and the stopped app alike; their units are gone', { timeout: STEP_MS }, async () => {
      const clicks = new Map<App, Click>();
      for (const id of APPS) await act(id, 'remove', 'removing', clicks);
      for (const id of APPS) await settles(id, 'not-installed');
      expect(shown('pg-slow', clicks), eventsOf('pg-slow')).toEqual(['removing', 'not-installed']);
      // The stopped apps have no stop to wait for: a phase ends with its last step, and the stream may show `stopped`
      // for the moment until the controller has re-read systemd after the reload (seen: removing → stopped →
      // not-installed). Never `running`.
      for (const id of ['pg-quick', 'pg-stack'] as const) {
        const seen = shown(id, clicks);
        expect(seen, eventsOf(id)).not.toContain('running');
        expect([seen[0], seen.at(-1)]).toEqual(['removing', 'not-installed']);
      }
      for (const id of APPS) expect(existsSync(unitFile(id))).toBe(false);
      expect(await node.execOk(['podman', 'ps', '-a', '--format', '{{.Names}}'])).toBe('');
    });
});
