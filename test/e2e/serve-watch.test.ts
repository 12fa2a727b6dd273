import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import { useHost } from '../host/index.js';
import { appManifest, slowStopCommand } from '../support/apps.js';
import { hostGenerator, removeUnits, runUnitDir } from '../support/host.js';
import { serveInProcess, type ServeInProcess } from '../support/serve.js';
import { followEvents, statesOf } from '../support/sse.js';
import { until } from '../support/wait.js';

// `serve --watch`, the node's daemon: the reconciler runs in the same process
// as the controller and the API, so the API's install/remove work and the
// reconciler's phases reach the event stream. The re-check interval is an hour: every pass here must be
// triggered by the intent the API wrote.

const host = useHost();
// A pass prunes units of ours its manifests do not name: it gets a directory no other suite writes to meanwhile.
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-serve-watch-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
let token: string;
let server: ServeInProcess | undefined;

// It takes 3 s to stop, so a removal is seen while the container is still exiting.
const app = (id: string, state: 'running' | 'absent'): string => appManifest(id, { state, command: slowStopCommand(3), stopTimeout: '10s' });

async function api(method: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server!.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

/** Records the event stream until `close()`; `states()` are those of `id` so far, each repeat in a row dropped. */
function recordStates(id: string): { states: () => string[]; close: () => void } {
  const stream = followEvents(server!.url, token);
  return { states: () => statesOf(stream.messages, id), close: stream.close };
}

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(join(manifests, 'sw-on.yaml'), app('sw-on', 'running'));
  writeFileSync(join(manifests, 'sw-opt.yaml'), app('sw-opt', 'absent'));
  token = await loadOrCreateToken(stateDir);
  server = await serveInProcess({ bus: host.busAddress, stateDir, manifests, unitDir, generator: hostGenerator(host), watch: true, interval: '1h' });
});

afterAll(async () => {
  await server?.stop();
  await removeUnits(host, ['sw-on', 'sw-opt'], unitDir);
  rmSync(work, { recursive: true, force: true });
});

describe('serve --watch', () => {
  it('installs the catalog at start: a running app is written and started, an absent one is not', async () => {
    await until('sw-on running', () => api('GET', '/api/apps/sw-on'), (r) => r.body.state === 'running', { retryErrors: true });
    expect((await api('GET', '/api/apps/sw-opt')).body.state).toBe('not-installed');
    expect(existsSync(join(unitDir, 'sw-on.container'))).toBe(true);
    expect(existsSync(join(unitDir, 'sw-opt.container'))).toBe(false);
  });

  it('install through the API: 202 installing at once, then installing → running on the stream', async () => {
    const rec = recordStates('sw-opt');
    await new Promise((r) => setTimeout(r, 300)); // the stream is open before the click
    const res = await api('POST', '/api/apps/sw-opt/install');
    expect(res.status).toBe(202);
    expect(res.body.status.state).toBe('installing');
    await until('sw-opt running', () => api('GET', '/api/apps/sw-opt'), (r) => r.body.state === 'running', { retryErrors: true });
    rec.close();
    expect(rec.states()).toEqual(['installing', 'running']);
    expect(existsSync(join(unitDir, 'sw-opt.container'))).toBe(true);
  });

  it('remove through the API: 202 removing, then removing → not-installed, and its unit file is gone', async () => {
    const rec = recordStates('sw-opt');
    await new Promise((r) => setTimeout(r, 300));
    const res = await api('POST', '/api/apps/sw-opt/remove');
    expect(res.status).toBe(202);
    expect(res.body.status.state).toBe('removing');
    await until('sw-opt not-installed', () => api('GET', '/api/apps/sw-opt'), (r) => r.body.state === 'not-installed', { retryErrors: true });
    rec.close();
    expect(rec.states()).toEqual(['removing', 'not-installed']);
    expect(existsSync(join(unitDir, 'sw-opt.container'))).toBe(false);
    // `not-installed` only once the container has exited.
    expect((await host.exec(['podman', 'ps', '-q', '--filter', 'name=^sw-opt$'])).stdout.trim()).toBe('');
  });

  it('an unknown app is 404 and writes no intent', async () => {
    const res = await api('POST', '/api/apps/nope/install');
    expect(res.status).toBe(404);
    expect(existsSync(join(stateDir, 'installs', 'nope.json'))).toBe(false);
  });

  it('the reconciler for the dashboard: the last pass, its pending changes (none now), and "reconcile now" runs one', async () => {
    const stream = followEvents(server!.url, token);
    await until('the stream open', () => stream.messages.length, (n) => n > 0);
    const before = await api('GET', '/api/reconciler');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ passRunning: false, canReconcileNow: true, lastPass: { ok: true, failures: [], held: [] } });
    expect(before.body.passes).toBeGreaterThanOrEqual(3);
    expect(before.body.lastPass.done.some((d: string) => d.includes('sw-opt'))).toBe(true);
    expect(before.body.source).toBeUndefined();
    // What a pass would do now, as `diff --node` prints it: nothing, every app is as the catalog says.
    const pending = await api('GET', '/api/reconciler/pending');
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ steps: [], held: [] });
    // The re-check interval is an hour: only the click starts this pass.
    const now = await api('POST', '/api/reconciler/reconcile');
    expect(now.status).toBe(202);
    expect(now.body.queued).toBe(true);
    const after = await until('a pass more', () => api('GET', '/api/reconciler'), (r) => r.body.passes === before.body.passes + 1 && !r.body.passRunning);
    expect(after.body.lastPass.ok).toBe(true);
    stream.close();
    // The stream said so: the reconciler at its start, then running, then done with the pass counted.
    const told = stream.messages.filter((m) => m.event === 'reconciler').map((m) => (m.data as { reconciler: { passRunning: boolean; passes: number } }).reconciler);
    expect(told[0]!.passes).toBe(before.body.passes);
    expect(told.some((r) => r.passRunning)).toBe(true);
    expect(told.at(-1)).toMatchObject({ passRunning: false, passes: before.body.passes + 1 });
  });

  it('each app says what the node wants of it: desired beside state', async () => {
    expect((await api('GET', '/api/apps/sw-on')).body).toMatchObject({ state: 'running', desired: 'running' });
    expect((await api('GET', '/api/apps/sw-opt')).body).toMatchObject({ state: 'not-installed', desired: 'absent' });
  });
});
