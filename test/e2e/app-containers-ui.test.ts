import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/controller/types.js';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import { createSystemd } from '../../src/systemd/client.js';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { QUICK_COMMAND, slowStopCommand } from '../support/apps.js';
import { launchChromium, UI_ARTIFACTS } from '../support/browser.js';
import { hostVia } from '../support/host.js';
import { serveInProcess, type ServeInProcess } from '../support/serve.js';
import { until } from '../support/wait.js';

// An app of several containers through `serve` over the host's unit directory (hand-written units: the app is
// grouped from its `<id>.network` and the containers PartOf= it) and the web UI in real Chromium: one card, one
// button for the whole app, and the detail view shows every container's own state while the app stops.

const host = useHost();
const ARTIFACTS = join(UI_ARTIFACTS, 'app-containers');
const UNITS: Record<string, string> = {
  'acu.network': '[Unit]\nDescription=test app acu\n\n[Network]\nNetworkName=acu\nServiceName=acu\n',
  'acu-db.container': [
    '[Unit]', 'Description=test app acu: db', 'PartOf=acu.service', '',
    '[Container]', `Image=${BUSYBOX_IMAGE}`, 'ContainerName=acu-db', 'Network=acu.network', 'NetworkAlias=db', `Exec=sh -c '${QUICK_COMMAND}'`, '',
    '[Install]', 'WantedBy=acu.service', '',
  ].join('\n'),
  'acu-web.container': [
    '[Unit]', 'Description=test app acu: web', 'PartOf=acu.service', 'Requires=acu-db.service', 'After=acu-db.service', '',
    '[Container]', `Image=${BUSYBOX_IMAGE}`, 'ContainerName=acu-web', 'Network=acu.network', 'NetworkAlias=web', `Exec=sh -c '${slowStopCommand(6)}'`, 'StopTimeout=46', '',
    '[Service]', 'TimeoutStopSec=66', '',
    '[Install]', 'WantedBy=acu.service', '',
  ].join('\n'),
};

let browser: Browser;
let page: Page;
let server: ServeInProcess;
let stateDir: string;
let token: string;

const api = async (path: string, method = 'GET'): Promise<{ status: number; body: unknown }> => {
  const r = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
};
/** Each container row of the detail view: `name state`. */
const rows = (): Promise<string[]> =>
  page.locator('table.containers tbody tr').evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-container')} ${tr.querySelector('[data-role="container-state"]')?.textContent ?? ''}`));
const appState = (): Promise<string | null> => page.locator('dl.facts [data-role="state"]').textContent();

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const [file, text] of Object.entries(UNITS)) writeFileSync(join(host.unitDir, file), text);
  const systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  await systemd.reload();
  await systemd.close();
  stateDir = mkdtempSync(join(tmpdir(), 'aq-app-containers-ui-'));
  server = await serveInProcess({ bus: host.busAddress, unitDir: host.unitDir, stateDir, manifests: 'manifests' }, { via: hostVia(host) });
  token = await loadOrCreateToken(stateDir);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${server.url}/#token=${token}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => undefined);
  const systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  await systemd.stopUnit('acu.service', 'replace').catch(() => undefined);
  await until('acu stopped', async () => (await host.exec(['systemctl', 'is-active', 'acu-db.service', 'acu-web.service'])).stdout, (out) => !/^(active|deactivating)$/m.test(out), { timeoutMs: 60_000 }).catch(() => undefined);
  for (const file of Object.keys(UNITS)) rmSync(join(host.unitDir, file), { force: true });
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('an app of several containers in serve and the web UI', () => {
  it('is one app of the unit directory, not one per container', async () => {
    const { body } = await api('/api/apps');
    const apps = (body as { apps: AppStatus[] }).apps;
    expect(apps.map((a) => a.id)).toContain('acu');
    expect(apps.map((a) => a.id)).not.toContain('acu-db');
    expect(apps.map((a) => a.id)).not.toContain('acu-web');
    expect(apps.find((a) => a.id === 'acu')?.containers?.map((c) => `${c.name} ${c.unit} ${c.state}`)).toEqual(['db acu-db.service stopped', 'web acu-web.service stopped']);
  });

  it('the card\'s one button starts the whole app; the detail view shows every container running', async () => {
    const primary = page.locator('[data-app="acu"] [data-role="primary"]');
    await expect.poll(() => primary.textContent(), { timeout: 30_000 }).toBe('Start');
    await primary.click();
    await expect.poll(() => primary.textContent(), { timeout: 60_000 }).toBe('Stop');
    await page.locator('[data-app="acu"] .app-name').click();
    await expect.poll(rows, { timeout: 10_000 }).toEqual(['db Running', 'web Running']);
    expect(await appState()).toBe('Running');
    // Its unit files, and every container's log lines.
    await expect.poll(() => page.locator('pre.unit').textContent()).toBe(`# acu.network\n${UNITS['acu.network']}\n# acu-db.container\n${UNITS['acu-db.container']}\n# acu-web.container\n${UNITS['acu-web.container']}`);
    await expect.poll(() => page.locator('pre.logs').textContent(), { timeout: 10_000 }).toMatch(/acu-db\[\d+\]: started[\s\S]*acu-web\[\d+\]: started/);
    await page.screenshot({ path: join(ARTIFACTS, '1-running.png'), fullPage: true });
  });

  it('Stop from the detail view: the app reads Stopping while web stops, and each container shows its own state', async () => {
    const seen: Array<{ app: string | null; rows: string[] }> = [];
    const record = async (): Promise<void> => void seen.push({ app: await appState(), rows: await rows() });
    await page.locator('section.detail [data-app="acu"] [data-role="primary"]').click();
    // web takes 6 s to stop; db stops after it.
    await until('web stopping in the detail view', async () => (await record(), seen.at(-1)!), (s) => s.rows[1] === 'web Stopping', { timeoutMs: 30_000, intervalMs: 100 });
    expect(seen.at(-1)).toEqual({ app: 'Stopping', rows: ['db Stopping', 'web Stopping'] });
    await page.screenshot({ path: join(ARTIFACTS, '2-stopping.png'), fullPage: true });
    await until('the app stopped in the detail view', async () => (await record(), seen.at(-1)!), (s) => s.app === 'Stopped', { timeoutMs: 60_000, intervalMs: 100 });
    expect(seen.at(-1)!.rows).toEqual(['db Stopped', 'web Stopped']);
    // Never Running once the stop began, and never Stopped while a container was not.
    expect(seen.filter((s) => s.app === 'Running')).toEqual([]);
    expect(seen.filter((s) => s.app === 'Stopped' && s.rows.some((r) => !r.endsWith('Stopped')))).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, '3-stopped.png'), fullPage: true });
  });
});
