import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { axeViolations, pageErrors, shotAtWidths } from '../support/browser.js';
import { uiOnHost, type UiBench } from '../support/ui-host.js';
import { until } from '../support/wait.js';

// The live log and podman's health in the web UI, in real Chromium against `serve` on the test host: a container
// counts out loud; its lines arrive in the detail view without a reload; Pause (aria-pressed) shows no new line while
// the container goes on counting; releasing it shows the missed lines, each once. The card's health badge reads
// Healthy, then Unhealthy when the check fails (the state stays Running). An app of several containers lists each
// container with its own state and health, and shows one container's log on demand.

const host = useHost();
const counter = (name: string): string => `trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "${name} $i"; sleep 0.3; done`;
const HEALTH = ['HealthCmd=test -f /tmp/ready', 'HealthInterval=1s', 'HealthStartPeriod=0s', 'HealthRetries=2'];
const unit = (description: string, lines: string[]): string => ['[Unit]', `Description=test app ${description}`, ...lines, ''].join('\n');
const UNITS = {
  ull: unit('ull: counts, healthy once ready', ['', '[Container]', `Image=${BUSYBOX_IMAGE}`, 'ContainerName=ull', `Exec=sh -c 'touch /tmp/ready; ${counter('count')}'`, ...HEALTH]),
  'ulm-db': unit('ulm: db', ['PartOf=ulm.service', '', '[Container]', `Image=${BUSYBOX_IMAGE}`, 'ContainerName=ulm-db', 'Network=ulm.network', `Exec=sh -c 'touch /tmp/ready; ${counter('db')}'`, ...HEALTH, '', '[Install]', 'WantedBy=ulm.service']),
  'ulm-web': unit('ulm: web', ['PartOf=ulm.service', '', '[Container]', `Image=${BUSYBOX_IMAGE}`, 'ContainerName=ulm-web', 'Network=ulm.network', `Exec=sh -c '${counter('web')}'`, '', '[Install]', 'WantedBy=ulm.service']),
};
const NETWORK = { 'ulm.network': '[Unit]\nDescription=test app ulm\n\n[Network]\nNetworkName=ulm\nServiceName=ulm\n' };

let bench: UiBench;
let page: Page;
let errors: string[];
let url: string;

const logText = async (): Promise<string> => (await page.locator('pre.logs').textContent().catch(() => null)) ?? '';
/** The numbers of `name N` lines in the log view, in order. */
const shown = async (name: string): Promise<number[]> => [...(await logText()).matchAll(new RegExp(`: ${name} (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
/** The last number the container has written, from the host's journal. */
const written = async (service: string, name: string): Promise<number> => Number(new RegExp(`${name} (\\d+)`).exec(await host.journal(service, 1))?.[1] ?? 0);
const pause = () => page.locator('[data-role="pause"]');

beforeAll(async () => {
  bench = await uiOnHost(host, 'live-log', UNITS, ['ull', 'ulm'], NETWORK);
  url = bench.server().url;
  page = await bench.browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = pageErrors(page);
  await page.goto(`${url}/#token=${bench.token}`);
});

afterAll(async () => {
  await bench?.close();
});

describe('the live log and health in the web UI', () => {
  it('the card shows the health as a badge with words', async () => {
    await expect.poll(() => page.locator('[data-app="ull"] [data-role="health"]').textContent(), { timeout: 60_000 }).toBe('Healthy');
    expect(await page.locator('[data-app="ull"] [data-role="state"]').textContent()).toBe('Running');
    // An app of several containers: the worst of its checked containers' (db; web has no check).
    await expect.poll(() => page.locator('[data-app="ulm"] [data-role="health"]').textContent(), { timeout: 60_000 }).toBe('Healthy');
  });

  it('lines arrive in the detail view as the container writes them, without a reload', async () => {
    await page.locator('[data-app="ull"] .app-name').click();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await expect.poll(async () => (await shown('count')).length, { timeout: 30_000 }).toBeGreaterThan(0);
    const first = (await shown('count')).at(-1)!;
    await expect.poll(async () => (await shown('count')).at(-1)!, { timeout: 30_000 }).toBeGreaterThanOrEqual(first + 5);
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    expect(await pause().getAttribute('aria-pressed')).toBe('false');
    expect(await page.locator('[data-role="log-status"]').textContent()).toBe('Following live');
    expect(await page.locator('dl.facts [data-role="health"]').textContent()).toBe('Healthy');
  });

  it('Pause shows no new line while the container goes on; released, the missed lines appear, each once', async () => {
    await pause().click();
    expect(await pause().getAttribute('aria-pressed')).toBe('true');
    const frozen = await logText();
    const last = (await shown('count')).at(-1)!;
    await until('ten lines written while paused', () => written('ull.service', 'count'), (n) => n >= last + 10, { timeoutMs: 30_000 });
    expect(await logText()).toBe(frozen);
    expect(await page.locator('[data-role="log-status"]').textContent()).toMatch(/^Paused/);
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, bench.artifacts, 'paused')).toEqual([]);
    await pause().click();
    expect(await pause().getAttribute('aria-pressed')).toBe('false');
    await expect.poll(async () => (await shown('count')).at(-1)!, { timeout: 30_000 }).toBeGreaterThanOrEqual(last + 12);
    const all = await shown('count');
    // Contiguous from the first line shown: every line written while paused is there, none twice.
    expect(all).toEqual(all.map((_, i) => all[0]! + i));
  });

  it('the health turns Unhealthy when the check fails, and the state stays Running', async () => {
    await host.execOk(['podman', 'exec', 'ull', 'rm', '/tmp/ready']);
    await expect.poll(() => page.locator('dl.facts [data-role="health"]').textContent(), { timeout: 60_000 }).toBe('Unhealthy');
    expect(await page.locator('section.detail [data-app="ull"] [data-role="health"]').textContent()).toBe('Unhealthy');
    expect(await page.locator('dl.facts [data-role="state"]').textContent()).toBe('Running');
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, bench.artifacts, 'unhealthy')).toEqual([]);
    await host.execOk(['podman', 'exec', 'ull', 'touch', '/tmp/ready']);
    await expect.poll(() => page.locator('dl.facts [data-role="health"]').textContent(), { timeout: 60_000 }).toBe('Healthy');
  });

  it('an app of several containers: each container with its own state and health, and its own log on demand', async () => {
    await page.goto(`${url}/#/apps/ulm`);
    const rows = () => page.locator('table.containers tbody tr').evaluateAll((trs) =>
      trs.map((tr) => `${tr.getAttribute('data-container')} ${tr.querySelector('[data-role="container-state"]')?.textContent} ${tr.querySelector('[data-role="container-health"]')?.textContent}`));
    await expect.poll(rows, { timeout: 30_000 }).toEqual(['db Running Healthy', 'web Running —']);
    // Every container's lines first.
    await expect.poll(async () => (await shown('db')).length > 0 && (await shown('web')).length > 0, { timeout: 30_000 }).toBe(true);
    await page.locator('tr[data-container="web"] [data-role="show-log"]').click();
    await expect.poll(() => page.locator('#log-title').textContent()).toBe('Log of web');
    await expect.poll(async () => (await shown('web')).length, { timeout: 30_000 }).toBeGreaterThan(3);
    expect(await shown('db')).toEqual([]);
    await page.locator('[data-role="log-of"]').selectOption('db');
    await expect.poll(async () => (await shown('db')).length, { timeout: 30_000 }).toBeGreaterThan(3);
    expect(await shown('web')).toEqual([]);
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, bench.artifacts, 'containers')).toEqual([]);
    // The same choice for the recent lines of GET /logs.
    const logs = async (query: string): Promise<{ status: number; body: any }> => {
      const r = await fetch(`${url}/api/apps/ulm/logs?${query}`, { headers: { authorization: `Bearer ${bench.token}` } });
      return { status: r.status, body: await r.json() };
    };
    const db = await logs('lines=20&container=db');
    expect(db.status).toBe(200);
    expect(db.body.unit).toBe('ulm-db.service');
    expect(db.body.lines.join('\n')).toMatch(/ulm-db\[\d+\]: db \d+/);
    expect(db.body.lines.join('\n')).not.toMatch(/: web \d+/);
    const all = (await logs('lines=50')).body.lines.join('\n');
    expect(all).toMatch(/: db \d+/);
    expect(all).toMatch(/: web \d+/);
    expect(await logs('container=cache')).toMatchObject({ status: 400, body: { error: 'invalid-input', message: 'app ulm has no container "cache"; its containers: db, web' } });
  });

  it('leaves no journalctl of a log view behind, and the page logged no JavaScript error', async () => {
    await page.goto(`${url}/#/`);
    await until('no log view follows', async () => (await host.exec(['pgrep', '-a', 'journalctl'])).stdout, (out) => !/--follow.*-u (ull|ulm)/.test(out), { timeoutMs: 20_000 });
    expect(errors).toEqual([]);
  });
});
