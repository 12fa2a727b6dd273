import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHost } from '../host/index.js';
import { failingUnit, healthGatedUnit, QUICK_UNIT, slowStopUnit } from '../support/apps.js';
import { axeViolations, pageErrors, UI_WIDTHS } from '../support/browser.js';
import { uiOnHost, type UiBench } from '../support/ui-host.js';

// Every view of the web UI (the app list, an app's detail, a healthy app's detail with its live log paused, the token
// form, an app stopping) in real Chromium against
// `serve` on the test host, at a phone's width (390 px) and a desktop's (1280 px), in the light and the dark colour
// scheme: axe-core finds no violation of WCAG 2.1 A and AA, nothing scrolls sideways, the colours follow the system
// setting, and the page logs no JavaScript error. A screenshot of each goes to test-artifacts/ui/views/.

const host = useHost();
const APPS = { 'uv-quick': QUICK_UNIT, 'uv-idle': QUICK_UNIT, 'uv-fail': failingUnit(0), 'uv-slow': slowStopUnit(300), 'uv-health': healthGatedUnit(0) };
const SCHEMES = ['light', 'dark'] as const;

let bench: UiBench;
let browser: Browser;
let page: Page;
let errors: string[];
let url: string;
let ARTIFACTS: string;

const primary = (p: Page, id: string) => p.locator(`[data-app="${id}"] [data-role="primary"]`);

/** The relative luminance (WCAG 2.1) of a computed CSS colour `rgb(r, g, b)`. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((x) => {
    const c = Number(x) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/**
 * At each width and colour scheme: the page's colours are the scheme's, nothing scrolls sideways, axe-core finds no
 * WCAG 2.1 A/AA violation, and a screenshot `<view>-<width>-<scheme>.png`. `ready` waits for what the view shows.
 */
async function checkView(p: Page, view: string, ready: () => Promise<void>): Promise<void> {
  for (const width of UI_WIDTHS) {
    for (const colorScheme of SCHEMES) {
      await p.setViewportSize({ width, height: 900 });
      await p.emulateMedia({ colorScheme });
      await ready();
      const [bg, text] = await p.evaluate(() => {
        const s = getComputedStyle(document.documentElement);
        return [s.backgroundColor, s.color];
      });
      const where = `${view} at ${width} px, ${colorScheme}`;
      if (colorScheme === 'dark') expect(luminance(bg!) < 0.05 && luminance(text!) > 0.6, `${where}: ${bg} / ${text}`).toBe(true);
      else expect(luminance(bg!) > 0.85 && luminance(text!) < 0.05, `${where}: ${bg} / ${text}`).toBe(true);
      expect(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${where}: scrolls sideways`).toBe(true);
      expect(await axeViolations(p), where).toEqual([]);
      await p.screenshot({ path: join(ARTIFACTS, `${view}-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
}

beforeAll(async () => {
  bench = await uiOnHost(host, 'views', APPS, ['uv-quick', 'uv-fail', 'uv-slow', 'uv-health']);
  ({ browser, artifacts: ARTIFACTS } = bench);
  url = bench.server().url;
  page = await browser.newPage();
  errors = pageErrors(page);
  await page.goto(`${url}/#token=${bench.token}`);
});

afterAll(async () => {
  await bench?.close();
});

describe('every view at 390 and 1280 px, light and dark: accessible, no sideways scroll, no JavaScript error', () => {
  it('the app list: one column on a phone, a grid on a desktop', async () => {
    await checkView(page, 'list', async () => {
      await expect.poll(() => primary(page, 'uv-quick').textContent(), { timeout: 30_000 }).toBe('Stop');
      await expect.poll(() => primary(page, 'uv-slow').textContent(), { timeout: 30_000 }).toBe('Stop');
      await expect.poll(() => page.locator('[data-app="uv-fail"] [data-role="reason"]').textContent(), { timeout: 30_000 }).toBe('Failed: exited with an error');
      const boxes = await page.locator('li.app').evaluateAll((lis) => lis.map((li) => li.getBoundingClientRect().x));
      const columns = new Set(boxes.map((x) => Math.round(x))).size;
      expect(columns).toBe(page.viewportSize()!.width < 600 ? 1 : 3);
    });
  });

  it('an app stopping, with its countdown', async () => {
    await primary(page, 'uv-slow').click();
    await checkView(page, 'stopping', async () => {
      await expect.poll(() => page.locator('[data-app="uv-slow"] [data-role="countdown"]').textContent(), { timeout: 10_000 }).toMatch(/^Stopping… up to \d+:\d\d$/);
    });
    // It would take 300 s to stop (long enough for every check above, however slow the machine): end it now.
    await host.exec(['systemctl', 'kill', '--signal=SIGKILL', 'uv-slow.service']);
    await expect.poll(() => primary(page, 'uv-slow').textContent(), { timeout: 30_000 }).toMatch(/^Start$/);
  });

  it('the detail view of a failed app: facts, history, unit, log lines', async () => {
    await page.locator('[data-app="uv-fail"] .app-name').click();
    await checkView(page, 'detail', async () => {
      await expect.poll(() => page.locator('pre.unit').textContent(), { timeout: 10_000 }).toBe(APPS['uv-fail']);
      await expect.poll(() => page.locator('pre.logs').textContent(), { timeout: 10_000 }).toContain('about to fail');
      expect(await page.locator('dl.facts [data-role="state"]').textContent()).toBe('Failed');
    });
  });

  it('the detail view of a healthy app: its health badge, its live log, paused', async () => {
    await page.locator('.back').click();
    await page.locator('[data-app="uv-health"] .app-name').click();
    await expect.poll(() => page.locator('dl.facts [data-role="health"]').textContent(), { timeout: 30_000 }).toBe('Healthy');
    await expect.poll(() => page.locator('[data-role="log-status"]').textContent(), { timeout: 10_000 }).toBe('Following live');
    await page.locator('[data-role="pause"]').click();
    await checkView(page, 'detail-health', async () => {
      expect(await page.locator('section.detail [data-app="uv-health"] [data-role="health"]').textContent()).toBe('Healthy');
      expect(await page.locator('[data-role="pause"]').getAttribute('aria-pressed')).toBe('true');
    });
  });

  it('the token form, and a wrong token\'s message', async () => {
    const form = await browser.newPage();
    const formErrors = pageErrors(form);
    await form.goto(`${url}/`);
    await checkView(form, 'token', async () => {
      await expect.poll(() => form.locator('label[for="token-input"]').textContent(), { timeout: 10_000 }).toBe('API token');
    });
    expect(formErrors).toEqual([]);
    await form.locator('#token-input').fill('x'.repeat(43));
    await form.locator('button[type="submit"]').click();
    await expect.poll(() => form.locator('[role="alert"]').textContent(), { timeout: 10_000 }).toContain('not accepted');
    expect(await axeViolations(form)).toEqual([]);
    await form.screenshot({ path: join(ARTIFACTS, 'token-rejected-1280-dark.png'), fullPage: true });
    await form.close();
  });

  it('the page logged no JavaScript error through all of it', () => {
    expect(errors).toEqual([]);
  });
});
