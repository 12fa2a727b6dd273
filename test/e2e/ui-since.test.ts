import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/controller/types.js';
import { useHost } from '../host/index.js';
import { QUICK_UNIT } from '../support/apps.js';
import { daemonReload } from '../support/host.js';
import { axeViolations, pageErrors, shotAtWidths } from '../support/browser.js';
import { uiOnHost, type UiBench } from '../support/ui-host.js';

// What a person sees when nothing knows when an app's state began (real Chromium, `serve` on the test host): an app
// never started, after a daemon-reload (systemd has no StateChangeTimestamp for a unit it loaded afresh) and a restart
// of `serve`, reads "Since: Not known" in its detail view and its history, never the time `serve` came up. An app
// the user stopped here reads the time of that stop.

const host = useHost();
const IDLE = 'ui-since-idle';
const WAS = 'ui-since-was';
let bench: UiBench;
let page: Page;
let errors: string[];

const card = (id: string) => page.locator(`[data-app="${id}"]`);
const primary = (id: string) => card(id).locator('[data-role="primary"]');
const api = async (id: string): Promise<AppStatus> =>
  (await (await fetch(`${bench.server().url}/api/apps/${id}`, { headers: { authorization: `Bearer ${bench.token}` } })).json()) as AppStatus;

beforeAll(async () => {
  bench = await uiOnHost(host, 'since', { [IDLE]: QUICK_UNIT, [WAS]: QUICK_UNIT }, [WAS]);
  page = await bench.browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors = pageErrors(page);
  await page.goto(`${bench.server().url}/#token=${bench.token}`);
}, 240_000);

afterAll(async () => {
  await bench?.close();
});

describe('web UI: a since nothing knows', () => {
  it('the user stops one app here; systemd forgets both units\' times; serve starts again', async () => {
    await expect.poll(() => primary(WAS).textContent(), { timeout: 60_000 }).toBe('Stop');
    await primary(WAS).click();
    await expect.poll(() => primary(WAS).textContent(), { timeout: 60_000 }).toBe('Start');
    // The page leaves first: its event stream would log the refused reconnects while serve is down.
    await page.goto('about:blank');
    await daemonReload(host);
    await bench.server().stop();
    await bench.restartServe();
    await page.goto(`${bench.server().url}/#token=${bench.token}`);
  }, 180_000);

  it('the API has none for the app never started, and the stop\'s time for the app stopped here', async () => {
    const idle = await api(IDLE);
    expect(idle.state).toBe('stopped');
    expect(idle).not.toHaveProperty('since');
    const was = await api(WAS);
    expect(was).toMatchObject({ state: 'stopped', intent: 'stopped' });
    expect(Date.parse(was.since!)).toBeGreaterThan(0);
  });

  it('the detail view reads "Not known", in its facts and its history: accessible, no sideways scroll', async () => {
    await expect.poll(() => primary(IDLE).textContent(), { timeout: 60_000 }).toBe('Start');
    await card(IDLE).locator('.app-name').click();
    const since = page.locator('dl.facts [data-role="since"]');
    await expect.poll(() => since.textContent(), { timeout: 30_000 }).toBe('Not known');
    await expect.poll(() => page.locator('table.history tbody tr').first().locator('td').nth(1).textContent(), { timeout: 30_000 }).toBe('Not known');
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, bench.artifacts, 'since-not-known'), 'widths that scroll sideways').toEqual([]);
  });

  it('the app stopped here reads the time of that stop, as the browser writes it', async () => {
    await page.locator('.back').click();
    await card(WAS).locator('.app-name').click();
    const was = await api(WAS);
    const shown = await page.evaluate((iso) => new Date(iso).toLocaleString(), was.since!);
    await expect.poll(() => page.locator('dl.facts [data-role="since"]').textContent(), { timeout: 30_000 }).toBe(shown);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('logged no JavaScript error', () => {
    expect(errors).toEqual([]);
  });
});
