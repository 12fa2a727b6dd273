import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RetryStatus } from '../../src/controller/types.js';
import { useHost } from '../host/index.js';
import { apiOnHost, type HostApi } from '../support/api.js';
import { QUICK_UNIT } from '../support/apps.js';
import { launchChromium, UI_ARTIFACTS as ARTIFACTS } from '../support/browser.js';

// The reconciler's back-off in the web UI (real Chromium, the real controller on the host): the line under the
// app says what failed, which attempt, when the next one is and what runs meanwhile; it follows the controller's
// `retry` over SSE, and the app's button keeps its labels (a click hides the line until the server answers).
// The back-off is set on the controller directly, as the reconciler does (`setRetry`).

const host = useHost();
const ID = 'ui-retry';
const FAILURE = `${ID}.service did not stay up (failed/failed, result exit-code)`;
let h: HostApi;
let browser: Browser;
let page: Page;

const card = () => page.locator(`[data-app="${ID}"]`);
const line = () => card().locator('[data-role="retry"]');
const label = async (): Promise<string> => ((await card().locator('[data-role="primary"]').textContent()) ?? '').trim();

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await apiOnHost(host, [{ id: ID, name: 'Retry', unit: QUICK_UNIT }]);
  await h.controller.start(ID);
  await h.waitFor(ID, 'running');
  const server = await h.listen();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 600, height: 500 } });
  await page.goto(`${server.url}/#token=${h.token}`);
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

describe('web UI: the reconciler backing off from an update', () => {
  it('a rolled-back update waiting to retry: one line with the attempt, the next time, the failure, and that the last-good version runs', async () => {
    await expect.poll(label, { timeout: 30_000 }).toBe('Stop');
    const retry: RetryStatus = { attempt: 3, maxAttempts: 5, nextAt: new Date(Date.now() + 10 * 60_000).toISOString(), lastFailure: FAILURE, rolledBack: true };
    h.controller.setRetry(ID, retry);
    await expect.poll(() => line().textContent(), { timeout: 10_000 }).toMatch(/^Update failed — waiting to retry \(attempt 3 of 5, next at /);
    const text = (await line().textContent()) ?? '';
    expect(text).toMatch(/next at [^;]+\d\d[^;]*; last failure: /);
    expect(text.endsWith(`; last failure: ${FAILURE}); running its last-good version`)).toBe(true);
    // The button is the state's, as ever.
    expect(await label()).toBe('Stop');
    await page.screenshot({ path: join(ARTIFACTS, 'retry-waiting.png'), fullPage: true });
  });

  it('attempts used up: what brings it back', async () => {
    h.controller.setRetry(ID, { attempt: 5, maxAttempts: 5, lastFailure: FAILURE, rolledBack: true });
    await expect.poll(() => line().textContent(), { timeout: 10_000 }).toBe(
      `Gave up after 5 attempts — waiting for a new revision or a Start (last failure: ${FAILURE}); running its last-good version`,
    );
  });

  it('a click keeps the no-flicker labels; a stop ends the back-off, so the line goes with the click and does not come back', async () => {
    // Every render from inside the page (a MutationObserver misses none): the label and whether the line is there.
    await page.evaluate((id) => {
      const w = window as unknown as { __renders: Array<{ label: string; retry: boolean }> };
      w.__renders = [];
      const read = (): void => {
        const c = document.querySelector(`[data-app="${id}"]`);
        const r = { label: c?.querySelector('[data-role="primary"]')?.textContent?.trim() ?? '', retry: c?.querySelector('[data-role="retry"]') !== null };
        const last = w.__renders[w.__renders.length - 1];
        if (!last || last.label !== r.label || last.retry !== r.retry) w.__renders.push(r);
      };
      read();
      new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    }, ID);
    await card().locator('[data-role="primary"]').click();
    await expect.poll(label, { timeout: 30_000 }).toBe('Start');
    const renders = await page.evaluate(() => (window as unknown as { __renders: Array<{ label: string; retry: boolean }> }).__renders);
    const labels = renders.map((r) => r.label).filter((l, i, a) => i === 0 || a[i - 1] !== l);
    expect(labels, JSON.stringify(renders)).toEqual(['Stop', 'Stopping…', 'Start']);
    expect(renders.filter((r) => r.label === 'Stopping…').every((r) => !r.retry), JSON.stringify(renders)).toBe(true);
    // A user's stop ends the back-off at once (docs/reconcile.md#back-off): the controller dropped the retry with the
    // stop, so the server's status never brings the line back.
    expect(h.controller.get(ID)?.retry).toBeUndefined();
    const after = await page.evaluate(() => (window as unknown as { __renders: Array<{ label: string; retry: boolean }> }).__renders);
    expect(after.filter((r) => r.label !== 'Stop').every((r) => !r.retry), JSON.stringify(after)).toBe(true);
    expect(await line().count()).toBe(0);
    expect(await label()).toBe('Start');
  });
});
