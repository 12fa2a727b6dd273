import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import type { LinkStatus } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { launchChromium, UI_ARTIFACTS as ARTIFACTS } from '../support/browser.js';
import { runCli } from '../support/cli.js';
import { afterBusRestart, hostGenerator, runUnitDir } from '../support/host.js';
import { serveInProcess, type ServeInProcess } from '../support/serve.js';
import { followEvents, statesOf } from '../support/sse.js';
import { until, type WaitOptions } from '../support/wait.js';

// `serve` started before systemd's bus can be reached (boot order, a restarting dbus): it listens at once, says
// `systemd unreachable` (why, and when it tries next) on every API channel and in the web UI, with every app's
// state unknown, and connects with back-off. Once the bus is there, everything works as usual: the controller
// reads the states, the --watch loop (started only then) installs the catalog, a stop works. The bus address
// given to serve is a socket path that does not exist until the test links it to the host's real bus socket.
// One-shot commands still fail at once (exit 3). Needs `npm run build` (the one-shot commands run bin/).

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-serve-unreachable-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const busPath = join(work, 'bus');
const APP = 'su-app';
/** A read that fails (a request while the bus comes and goes) is one more try. */
const POLL: WaitOptions = { retryErrors: true };
let token: string;
let server: ServeInProcess | undefined;
let browser: Browser;
let page: Page;

/** The base URL of `serve`. */
const base = (): string => server!.url;

async function api(method: string, path: string, body?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base()}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

/** The stream's `systemd` link events and the app's states so far, in order. */
function recordStream(): { links: () => LinkStatus[]; states: () => string[]; close: () => void } {
  const stream = followEvents(base(), token);
  return {
    links: () => stream.messages.filter((m) => m.event === 'systemd').map((m) => m.data.systemd as LinkStatus),
    states: () => statesOf(stream.messages, APP),
    close: stream.close,
  };
}

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(manifests, `${APP}.yaml`), appManifest(APP, { stopTimeout: '5s' }));
  token = await loadOrCreateToken(stateDir);
  server = await serveInProcess({ bus: `unix:path=${busPath}`, stateDir, manifests, unitDir, generator: hostGenerator(host), watch: true, interval: '1h' });
  expect(server.ended()).toBeUndefined();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 800, height: 600 } });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
  // With systemctl inside the host: it reaches systemd whether or not the bus is up.
  await host.exec(['systemctl', 'stop', `${APP}.service`]);
  rmSync(join(unitDir, `${APP}.container`), { force: true });
  await host.exec(['systemctl', 'daemon-reload']);
  rmSync(work, { recursive: true, force: true });
});

describe('serve before systemd is reachable', () => {
  it('one-shot commands still fail at once, with exit 3 and the reason', async () => {
    const status = await runCli(['status', '--bus', `unix:path=${busPath}`, '--state-dir', stateDir, '--manifests', manifests], { timeoutMs: 60_000 });
    expect(status.code).toBe(3);
    expect(status.stderr).toContain(`cannot connect to D-Bus at unix:path=${busPath}`);
    const stop = await runCli(['stop', APP, '--bus', `unix:path=${busPath}`, '--state-dir', stateDir, '--manifests', manifests], { timeoutMs: 60_000 });
    expect(stop.code).toBe(3);
    expect(stop.stderr).toContain('ENOENT');
  });

  it('listens, stays up, and reports systemd unreachable with the reason and the next attempt, retrying with back-off', async () => {
    // Two failed attempts at least: it keeps trying rather than giving up after the first.
    const health = await until('a second failed attempt', () => api('GET', '/api/health'), (r) => (r.body?.systemd?.attempts ?? 0) >= 2, POLL);
    expect(server!.ended()).toBeUndefined();
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ ok: false, error: 'systemd-unavailable', systemd: { state: 'unreachable', address: `unix:path=${busPath}` } });
    expect(health.body.systemd.reason).toContain('ENOENT');
    expect(Number.isNaN(Date.parse(health.body.systemd.nextAttemptAt))).toBe(false);
    expect(health.body.message).toContain(`systemd unreachable at unix:path=${busPath}`);
    expect(health.body.message).toContain('next attempt at');

    // The app list is empty (no state is known, and none is guessed) and says why.
    const list = await api('GET', '/api/apps');
    expect(list.status).toBe(200);
    expect(list.body.apps).toEqual([]);
    expect(list.body.systemd.state).toBe('unreachable');
  });

  it('refuses lifecycle calls with 502 before writing an intent; the dashboard RPC gets an error, not a guess', async () => {
    const stop = await api('POST', `/api/apps/${APP}/stop`);
    expect(stop.status).toBe(502);
    expect(stop.body.error).toBe('systemd-unavailable');
    expect(stop.body.message).toContain('systemd unreachable');
    expect(existsSync(join(stateDir, 'intents', `${APP}.json`))).toBe(false);
    const rpc = await api('POST', '/rpc/v1', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'container-list' }));
    expect(rpc.body.error).toMatchObject({ code: -32002, data: { error: 'systemd-unavailable' } });
    // The reconciler has not started: nothing was written to the unit directory.
    expect(existsSync(join(unitDir, `${APP}.container`))).toBe(false);
  });

  it('the web UI shows a banner with the reason and the next attempt (screenshot)', async () => {
    await page.goto(`${base()}/#token=${token}`);
    const banner = page.locator('[data-role="systemd"]');
    await expect.poll(() => banner.locator('.banner-title').textContent(), { timeout: 30_000 }).toBe('systemd unreachable');
    const detail = (await banner.locator('.banner-detail').textContent()) ?? '';
    expect(detail).toContain('ENOENT');
    expect(detail).toMatch(/Next attempt at \S+/);
    expect(detail).toContain('App states are unknown until it is back.');
    expect(await page.locator('[data-app]').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'systemd-unreachable.png'), fullPage: true });
  });

  it('once the bus is there: connected, the states arrive, the --watch loop installs the catalog, and a stop works', async () => {
    const stream = recordStream();
    try {
      await until('the stream to report the link', async () => stream.links().length, (n) => n > 0, { ...POLL, timeoutMs: 10_000 });
      symlinkSync(host.busAddress.replace(/^unix:path=/, ''), busPath);

      // The next attempt may be up to 30 s away (the back-off's cap).
      const health = await until('health 200', () => api('GET', '/api/health'), (r) => r.status === 200, { ...POLL, timeoutMs: 90_000 });
      expect(health.body).toMatchObject({ ok: true, systemd: { state: 'connected' } });
      await until(`${APP} running`, () => api('GET', `/api/apps/${APP}`), (r) => r.body?.state === 'running', { ...POLL, timeoutMs: 120_000 });
      expect(existsSync(join(unitDir, `${APP}.container`))).toBe(true);

      // The web UI: the banner is gone, the card shows the real state and its button.
      await expect.poll(() => page.locator(`[data-app="${APP}"] [data-role="primary"]`).textContent(), { timeout: 30_000 }).toBe('Stop');
      expect(await page.locator('[data-role="systemd"]').count()).toBe(0);
      expect(await page.locator(`[data-app="${APP}"] [data-role="state"]`).textContent()).toBe('Running');

      const stop = await api('POST', `/api/apps/${APP}/stop`);
      expect(stop.status).toBe(202);
      expect(stop.body.status.state).toBe('stopping');
      await until(`${APP} stopped`, () => api('GET', `/api/apps/${APP}`), (r) => r.body?.state === 'stopped', { ...POLL, timeoutMs: 60_000 });
      await expect.poll(() => page.locator(`[data-app="${APP}"] [data-role="primary"]`).textContent(), { timeout: 30_000 }).toBe('Start');

      // The stream said unreachable, then connecting (reached, states being read), then connected: in that order.
      const order = stream.links().map((l) => l.state).filter((s, i, a) => i === 0 || a[i - 1] !== s);
      expect(order).toEqual(['unreachable', 'connecting', 'connected']);
      expect(stream.states().at(-1)).toBe('stopped');
    } finally {
      stream.close();
    }
  });

  it('the bus gone while serving: unreachable, every app unknown in the UI; back: the change made meanwhile is shown, calls work', async () => {
    const stream = recordStream();
    const card = page.locator(`[data-app="${APP}"]`);
    try {
      await until('the stream to report the link', async () => stream.links().length, (n) => n > 0, { ...POLL, timeoutMs: 10_000 });
      // Both units: with dbus.socket left, the daemon's next attempt would start the bus again by socket activation.
      await host.execOk(['systemctl', 'stop', 'dbus.socket', 'dbus.service']);
      const down = await until('unreachable after a failed attempt', async () => stream.links().at(-1), (l) => l?.state === 'unreachable' && (l.attempts ?? 0) >= 1, { ...POLL, timeoutMs: 60_000 });
      expect(down!.nextAttemptAt).toBeDefined();
      expect((await api('GET', '/api/health')).status).toBe(503);
      expect((await api('POST', `/api/apps/${APP}/start`)).status).toBe(502);
      // The UI: the banner, and the app's state unknown rather than the `stopped` last seen; no action offered.
      await expect.poll(() => page.locator('[data-role="systemd"] .banner-title').textContent(), { timeout: 30_000 }).toBe('systemd unreachable');
      await expect.poll(() => card.locator('[data-role="state"]').textContent(), { timeout: 30_000 }).toBe('Unknown');
      expect(await card.locator('[data-role="primary"]').isDisabled()).toBe(true);
      expect(await card.locator('[data-role="primary"]').textContent()).toBe('Waiting for systemd');
      await page.screenshot({ path: join(ARTIFACTS, 'systemd-lost.png'), fullPage: true });

      // A change nobody can tell the daemon about (systemctl reaches systemd over its private socket, not the bus).
      await host.execOk(['systemctl', 'start', `${APP}.service`]);
      await host.execOk(['systemctl', 'start', 'dbus.socket', 'dbus.service']);
      await until('connected again', async () => stream.links().at(-1)?.state, (s) => s === 'connected', { ...POLL, timeoutMs: 120_000 });
      // Connected is announced once the states have been read again: the app is running at once, not stopped.
      expect((await api('GET', `/api/apps/${APP}`)).body.state).toBe('running');
      await expect.poll(() => card.locator('[data-role="primary"]').textContent(), { timeout: 30_000 }).toBe('Stop');
      expect(await page.locator('[data-role="systemd"]').count()).toBe(0);

      const stop = await api('POST', `/api/apps/${APP}/stop`);
      expect(stop.status).toBe(202);
      await until(`${APP} stopped`, () => api('GET', `/api/apps/${APP}`), (r) => r.body?.state === 'stopped', { ...POLL, timeoutMs: 60_000 });
      expect(server!.ended()).toBeUndefined();
    } finally {
      stream.close();
      await host.exec(['systemctl', 'start', 'dbus.socket', 'dbus.service']);
      await afterBusRestart(host);
    }
  });
});
