import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import { useHost } from '../host/index.js';
import { apiOnHost } from '../support/api.js';
import { failingUnit, QUICK_UNIT, slowStopUnit } from '../support/apps.js';
import { uiOnHost, type UiBench } from '../support/ui-host.js';

// The web UI in real Chromium against `serve` (the command's own function,
// with --bus and --unit-dir pointing at the real test host): the one primary
// button per app reads the transitional label at once after a click and keeps
// it, without a flicker, until systemd's final state arrives over SSE.

const host = useHost();
const APPS = { 'ui-slow': slowStopUnit(12), 'ui-quick': QUICK_UNIT, 'ui-fail': failingUnit(0) };

let bench: UiBench;
let browser: Browser;
let page: Page;
let url: string;
let ARTIFACTS: string;

const button = (id: string, role = 'primary') => page.locator(`[data-app="${id}"] [data-role="${role}"]`);
const label = async (id: string): Promise<string> => ((await button(id).textContent()) ?? '').trim();

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A render of an app's card: its button's label, its state, and what it says is wanted ('' for no such line). */
type Render = { t: number; label: string; state: string; wanted: string };

/** Records every render of the app's button, state and "Wanted" line, from inside the page (a MutationObserver misses no render). */
async function recordLabels(id: string): Promise<void> {
  await page.evaluate((appId) => {
    const w = window as unknown as { __labels: Render[] };
    w.__labels = [];
    const read = (): void => {
      const card = document.querySelector(`[data-app="${appId}"]`);
      const label = card?.querySelector('[data-role="primary"]')?.textContent?.trim() ?? '';
      const state = card?.querySelector('[data-role="state"]')?.textContent?.trim() ?? '';
      const wanted = card?.querySelector('[data-role="desired"]')?.textContent?.trim() ?? '';
      const last = w.__labels[w.__labels.length - 1];
      if (!last || last.label !== label || last.state !== state || last.wanted !== wanted) w.__labels.push({ t: performance.now(), label, state, wanted });
    };
    read();
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, id);
}

/** Records every message of the page's live region (role=status, aria-live=polite) from now on. */
async function recordAnnouncements(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __said: string[] };
    w.__said = [];
    const region = document.querySelector('[data-role="announcer"]')!;
    if (region.getAttribute('aria-live') !== 'polite') throw new Error('the announcer is not a live region');
    new MutationObserver(() => {
      const text = region.textContent ?? '';
      if (text !== '') w.__said.push(text);
    }).observe(region, { subtree: true, childList: true, characterData: true });
  });
}

const announced = (): Promise<string[]> => page.evaluate(() => (window as unknown as { __said: string[] }).__said);

/** The seconds a countdown `Stopping… up to m:ss` reads. */
function seconds(countdown: string): number {
  const m = /(\d+):(\d\d)$/.exec(countdown);
  if (!m) throw new Error(`not a countdown: ${countdown}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const recorded = (): Promise<Render[]> => page.evaluate(() => (window as unknown as { __labels: Render[] }).__labels);

/** Samples the button every 100 ms until it reads `until`; returns the samples. */
async function sampleUntil(id: string, until: string, timeoutMs: number): Promise<Array<{ ms: number; label: string }>> {
  const t0 = Date.now();
  const samples: Array<{ ms: number; label: string }> = [];
  for (;;) {
    const l = await label(id);
    samples.push({ ms: Date.now() - t0, label: l });
    if (l === until) return samples;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${id}: button never read ${until} within ${timeoutMs} ms; samples: ${JSON.stringify(samples.slice(-10))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  bench = await uiOnHost(host, 'lifecycle', APPS, ['ui-slow', 'ui-quick']);
  ({ browser, artifacts: ARTIFACTS } = bench);
  url = bench.server().url;
  page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  await page.goto(`${url}/#token=${bench.token}`);
});

afterAll(async () => {
  await bench?.close();
});

describe('web UI on serve, real Chromium, real host', () => {
  it('takes the token from the fragment, strips it, and lists the apps live', async () => {
    await sampleUntil('ui-slow', 'Stop', 30_000);
    await sampleUntil('ui-quick', 'Stop', 30_000);
    expect(page.url()).toBe(`${url}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('archy-quadlet.token'))).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await expect.poll(() => page.locator('[data-role="connection"]').textContent()).toBe('Live');
    expect(await button('ui-slow', 'restart').isVisible()).toBe(true);
    expect(await button('ui-slow').getAttribute('aria-busy')).toBe('false');
    // One full-width primary button: as wide as its card's content box.
    const [b, card] = await Promise.all([button('ui-slow').boundingBox(), page.locator('[data-app="ui-slow"]').boundingBox()]);
    expect(Math.abs(card!.width - 2 * 12 - 2 - b!.width)).toBeLessThan(2);
    await shot('1-running');
  });

  it('Stop on an app that takes 12 s to stop: "Stopping…" within 1 s, kept without a flicker until "Start"', async () => {
    await recordLabels('ui-slow');
    const t0 = Date.now();
    await button('ui-slow').click();
    const samples = await sampleUntil('ui-slow', 'Start', 60_000);
    const tookMs = Date.now() - t0;
    const first = samples.findIndex((s) => s.label === 'Stopping…');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(samples[first]!.ms).toBeLessThan(1000);
    // Every sample from the click to the end: Stopping… until Start, nothing else.
    expect(samples.slice(0, -1).every((s) => s.label === 'Stopping…'), JSON.stringify(samples)).toBe(true);
    expect(tookMs).toBeGreaterThan(10_000); // the stop really took its time
    // Every render the page made after the click: Stop (before the click) → Stopping… → Start; never Stop/Running again.
    const renders = await recorded();
    const labels = renders.map((r) => r.label).filter((l, i, a) => i === 0 || a[i - 1] !== l);
    expect(labels, JSON.stringify(renders)).toEqual(['Stop', 'Stopping…', 'Start']);
    const afterClick = renders.slice(renders.findIndex((r) => r.label === 'Stopping…'));
    expect(afterClick.some((r) => r.state === 'Running' || r.label === 'Stop')).toBe(false);
    // The click is what the user wants: from it on, the card never says the app is wanted running.
    expect(afterClick.filter((r) => r.wanted !== ''), JSON.stringify(renders)).toEqual([]);
    expect(await button('ui-slow', 'restart').count()).toBe(0);
    await shot('3-stopped');
  });

  it('while stopping, the button is disabled, aria-busy, with a spinner, and Restart is hidden (screenshot)', async () => {
    await recordLabels('ui-slow');
    await button('ui-slow').click(); // Start
    await sampleUntil('ui-slow', 'Stop', 30_000);
    // Start is what the user wants: from the click on, the card never says the app is wanted stopped.
    const started = await recorded();
    expect(started.map((r) => r.label).filter((l, i, a) => i === 0 || a[i - 1] !== l), JSON.stringify(started)).toEqual(['Start', 'Starting…', 'Stop']);
    expect(started.slice(1).filter((r) => r.wanted !== ''), JSON.stringify(started)).toEqual([]);
    await recordAnnouncements();
    await button('ui-slow').click(); // Stop again, to look at the transitional state
    await expect.poll(() => label('ui-slow'), { timeout: 1000 }).toBe('Stopping…');
    expect(await button('ui-slow').isDisabled()).toBe(true);
    expect(await button('ui-slow').getAttribute('aria-busy')).toBe('true');
    expect(await page.locator('[data-app="ui-slow"] .spinner').count()).toBe(1);
    expect(await button('ui-slow', 'restart').count()).toBe(0);
    await shot('2-stopping');
    // systemd's deadline for the stop (TimeoutStopSec=72) counts down: read it, wait for the page to change it, read again.
    const countdown = page.locator('[data-app="ui-slow"] [data-role="countdown"]');
    await expect.poll(() => countdown.textContent(), { timeout: 5_000 }).toMatch(/^Stopping… up to 1:\d\d$/);
    const first = (await countdown.textContent())!;
    await expect.poll(() => countdown.textContent(), { timeout: 10_000 }).not.toBe(first);
    const second = (await countdown.textContent())!;
    expect(seconds(second), `${first} then ${second}`).toBeLessThan(seconds(first));
    // Whole seconds rounded up, from the job's start by systemd's clock: at most 72 s and the part of a second begun.
    expect(seconds(first)).toBeLessThanOrEqual(73);
    await sampleUntil('ui-slow', 'Start', 60_000);
    expect(await countdown.count()).toBe(0);
    // Each change was said in the page's live region, once: the click's Stopping, then systemd's Stopped.
    await expect.poll(announced, { timeout: 5_000 }).toEqual(['ui-slow: Stopping', 'ui-slow: Stopped']);
  });

  it('Restart shows "Restarting…" at once, then "Stop"', async () => {
    await button('ui-slow').click(); // Start
    await sampleUntil('ui-slow', 'Stop', 30_000);
    await recordLabels('ui-slow');
    await button('ui-slow', 'restart').click();
    await expect.poll(() => label('ui-slow'), { timeout: 1000 }).toBe('Restarting…');
    await shot('4-restarting');
    const samples = await sampleUntil('ui-slow', 'Stop', 60_000);
    expect(samples.slice(0, -1).every((s) => s.label === 'Restarting…'), JSON.stringify(samples)).toBe(true);
    const labels = (await recorded()).map((r) => r.label).filter((l, i, a) => i === 0 || a[i - 1] !== l);
    expect(labels).toEqual(['Stop', 'Restarting…', 'Stop']);
    await shot('5-running-again');
  });

  it('failed: Start with the failure reason shown', async () => {
    await button('ui-fail').click();
    await expect.poll(() => page.locator('[data-app="ui-fail"] [data-role="reason"]').textContent(), { timeout: 30_000 }).toBe('Failed: exited with an error');
    expect(await label('ui-fail')).toBe('Start');
    expect(await page.locator('[data-app="ui-fail"] [data-role="state"]').textContent()).toBe('Failed');
    // systemd's own word stays at hand: in the line's title.
    expect(await page.locator('[data-app="ui-fail"] [data-role="reason"]').getAttribute('title')).toBe('systemd: exit-code');
    await shot('6-failed');
  });

  it('detail view: state history, the rendered unit, recent log lines', async () => {
    await page.locator('[data-app="ui-quick"] .app-name').click();
    await expect.poll(() => page.locator('pre.unit').textContent()).toBe(QUICK_UNIT);
    await expect.poll(() => page.locator('pre.logs').textContent(), { timeout: 10_000 }).toContain('started');
    expect(await page.locator('table.history tbody tr').count()).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('detail-title');
    await shot('7-detail');
    await page.locator('a.back').click();
    await sampleUntil('ui-quick', 'Stop', 5_000);
  });

  it('reconnects by itself when serve restarts, and follows changes made elsewhere', async () => {
    await bench.server().stop();
    await expect.poll(() => page.locator('[data-role="connection"]').textContent(), { timeout: 10_000 }).toMatch(/^(Offline, reconnecting…|Connecting…)$/);
    await bench.restartServe();
    await expect.poll(() => page.locator('[data-role="connection"]').textContent(), { timeout: 20_000 }).toBe('Live');
    // A stop that does not come from this page: systemd says so, the page follows.
    const systemd = createSystemd({ address: host.busAddress });
    await systemd.ready();
    await systemd.stopUnit('ui-quick.service');
    await systemd.close();
    await sampleUntil('ui-quick', 'Start', 30_000);
    await button('ui-quick').click();
    await sampleUntil('ui-quick', 'Stop', 30_000);
  });

  it('is usable on a phone: one column, full-width buttons, no horizontal scroll', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const [b, card] = await Promise.all([button('ui-quick').boundingBox(), page.locator('[data-app="ui-quick"]').boundingBox()]);
    expect(card!.width).toBeGreaterThan(340);
    expect(b!.height).toBeGreaterThanOrEqual(44);
    expect(Math.abs(card!.width - 2 * 12 - 2 - b!.width)).toBeLessThan(2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await shot('8-phone');
  });

  it('a wrong token sends the user back to the token form', async () => {
    const other = await browser.newPage();
    await other.goto(`${url}/#token=${'x'.repeat(43)}`);
    await expect.poll(() => other.locator('[role="alert"]').textContent(), { timeout: 10_000 }).toContain('not accepted');
    expect(await other.locator('label[for="token-input"]').textContent()).toBe('API token');
    await other.screenshot({ path: join(ARTIFACTS, '9-token-form.png') });
    await other.close();
  });
});

describe('web UI: an app that is not installed', () => {
  it('shows Install (screenshot)', async () => {
    const h = await apiOnHost(host, [{ id: 'ui-absent', name: 'Absent' }]);
    try {
      const s = await h.listen();
      const p = await browser.newPage({ viewport: { width: 600, height: 400 } });
      await p.goto(`${s.url}/#token=${h.token}`);
      await expect.poll(() => p.locator('[data-app="ui-absent"] [data-role="primary"]').textContent(), { timeout: 10_000 }).toBe('Install');
      expect(await p.locator('[data-app="ui-absent"] [data-role="state"]').textContent()).toBe('Not installed');
      await p.screenshot({ path: join(ARTIFACTS, '0-not-installed.png') });
      await p.close();
    } finally {
      await h.close();
    }
  });
});
