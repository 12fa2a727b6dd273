import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { QUICK_COMMAND } from '../support/apps.js';
import { axeViolations, pageErrors, shotAtWidths } from '../support/browser.js';
import { uiOnHost, type UiBench } from '../support/ui-host.js';
import { until } from '../support/wait.js';

// Issue 17: a template app's instances in the web UI (real Chromium, serve over the host's unit directory). The
// detail view lists each instance with its own state and a Start/Stop of its own; a click on instance 2's Stop stops
// that instance alone (instance 1 runs on, the app reads Running), and its Start brings it back. axe-core finds
// nothing over the view.

const host = useHost();
const ID = 'tui';
const FILES: Record<string, string> = {
  [`${ID}.network`]: ['# Managed by archy-quadlet; do not edit.', '', '[Unit]', `Description=${ID}`, `Wants=${ID}@1.service`, `Wants=${ID}@2.service`, '', '[Network]', `NetworkName=${ID}`, `ServiceName=${ID}`, ''].join('\n'),
  [`${ID}@.container`]: [
    '# Managed by archy-quadlet; do not edit.', '', '[Unit]', `Description=${ID}`, `PartOf=${ID}.service`, '',
    '[Container]', `Image=${BUSYBOX_IMAGE}`, `ContainerName=${ID}-%i`, `Exec=sh -c '${QUICK_COMMAND}'`, `Network=${ID}.network`, '',
  ].join('\n'),
};
let bench: UiBench;
let page: Page;
let errors: string[];

const active = async (unit: string): Promise<string> => (await host.exec(['systemctl', 'is-active', unit])).stdout.trim();
/** Each instance row of the detail view: `name state button`. */
const rows = (): Promise<string[]> =>
  page
    .locator('table.containers tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-container'), tr.querySelector('[data-role="container-state"]')?.textContent, tr.querySelector('[data-role="instance-action"]')?.textContent].join(' ')));
const button = (name: string) => page.locator(`tr[data-container="${name}"] [data-role="instance-action"]`);

beforeAll(async () => {
  bench = await uiOnHost(host, 'template-instances', {}, [ID], FILES);
  for (const i of ['1', '2']) await until(`${ID}@${i} active`, () => active(`${ID}@${i}.service`), (s) => s === 'active', { timeoutMs: 60_000 });
  page = await bench.browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = pageErrors(page);
  await page.goto(`${bench.server().url}/#token=${bench.token}`);
});

afterAll(async () => {
  await bench?.close();
});

describe("web UI: a template app's instances, each started and stopped on its own", () => {
  it('the detail view lists the instances with their state and a Stop each; axe finds nothing', async () => {
    await page.locator(`[data-app="${ID}"] .app-name`).click();
    await expect.poll(rows, { timeout: 30_000 }).toEqual(['1 Running Stop', '2 Running Stop']);
    expect(await page.locator('section.detail h3', { hasText: 'Instances' }).count()).toBe(1);
    expect(await button('2').getAttribute('aria-label')).toBe('Stop instance 2');
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, bench.artifacts, 'running'), 'widths that scroll sideways').toEqual([]);
  });

  it("a click on instance 2's Stop stops it alone; the app reads Running; its Start brings it back", async () => {
    await button('2').click();
    await expect.poll(rows, { timeout: 60_000 }).toEqual(['1 Running Stop', '2 Stopped Start']);
    expect(await active(`${ID}@2.service`)).toBe('inactive');
    expect(await active(`${ID}@1.service`)).toBe('active');
    expect(await page.locator('dl.facts [data-role="state"]').textContent()).toBe('Running');
    expect(await page.locator('tr[data-container="2"]').textContent()).toContain('stopped by user');
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, bench.artifacts, 'instance-2-stopped'), 'widths that scroll sideways').toEqual([]);

    await button('2').click();
    await expect.poll(rows, { timeout: 60_000 }).toEqual(['1 Running Stop', '2 Running Stop']);
    expect(await active(`${ID}@2.service`)).toBe('active');
    expect(errors).toEqual([]);
  });
});
