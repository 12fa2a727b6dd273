import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../src/cli/commands/serve.js';
import { loadOrCreateToken } from '../../src/store/token.js';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { recordEvents, statesOf, until } from './api-fixture.js';

// `serve --watch`, the node's daemon: the reconciler runs in the same process
// as the controller and the API, so the API's install/remove work and the
// reconciler's phases reach the event stream. The re-check interval is an hour: every pass here must be
// triggered by the intent the API wrote.

const host = useHost();
// Quadlet's /run search path: a pass prunes units of ours its manifests do not name, so it gets a directory
// no other suite writes to while this file runs.
const unitDir = join('/proc', String(host.pid), 'root/run/containers/systemd');
const generator = join(host.rootDir, 'usr/libexec/podman/quadlet');
const work = mkdtempSync(join(tmpdir(), 'archy-serve-watch-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const PORT = 18_000 + (process.pid % 1000);
const base = `http://127.0.0.1:${PORT}`;
let token: string;
let stopServe: () => void;
let served: Promise<void>;

// It takes 3 s to stop, so a removal is seen while the container is still exiting.
const app = (id: string, state: string): string =>
  `id: ${id}\nstate: ${state}\nimage: ${BUSYBOX_IMAGE}\ncommand: [sh, -c, "trap 'sleep 3; exit 0' TERM; while true; do sleep 1; done"]\nstop:\n  timeout: 10s\n`;

async function api(method: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

/** Records the event stream until `close()`; `states()` are those of `id` so far, each repeat in a row dropped. */
function recordStates(id: string): { states: () => string[]; close: () => void } {
  const rec = recordEvents(base, token);
  return { states: () => statesOf(rec.messages, id), close: rec.close };
}

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(join(manifests, 'sw-on.yaml'), app('sw-on', 'running'));
  writeFileSync(join(manifests, 'sw-opt.yaml'), app('sw-opt', 'absent'));
  token = await loadOrCreateToken(stateDir);
  served = serve(
    { listen: `127.0.0.1:${PORT}`, bus: host.busAddress, stateDir, manifests, unitDir, generator, watch: true, interval: '1h' },
    new Promise<void>((resolve) => (stopServe = resolve)),
  );
  await until('serve to answer', () => fetch(`${base}/`).then((r) => r.status, () => 0), (s) => s === 200);
});

afterAll(async () => {
  stopServe?.();
  await served;
  for (const id of ['sw-on', 'sw-opt']) {
    await host.exec(['systemctl', 'stop', `${id}.service`]);
    rmSync(join(unitDir, `${id}.container`), { force: true });
  }
  await host.exec(['systemctl', 'daemon-reload']);
  rmSync(work, { recursive: true, force: true });
});

describe('serve --watch', () => {
  it('installs the catalog at start: a running app is written and started, an absent one is not', async () => {
    await until('sw-on running', () => api('GET', '/api/apps/sw-on'), (r) => r.body.state === 'running');
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
    await until('sw-opt running', () => api('GET', '/api/apps/sw-opt'), (r) => r.body.state === 'running');
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
    await until('sw-opt not-installed', () => api('GET', '/api/apps/sw-opt'), (r) => r.body.state === 'not-installed');
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
});
