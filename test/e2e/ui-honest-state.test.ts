import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalFollower } from '../../src/api/journalctl.js';
import { useHost } from '../host/index.js';
import { apiOnHost, type HostApi } from '../support/api.js';
import { crashLoopUnit, MISSING_IMAGE_UNIT, QUICK_UNIT } from '../support/apps.js';
import { axeViolations, pageErrors, shotAtWidths } from '../support/browser.js';
import { hostVia } from '../support/host.js';
import { uiOnHost, type UiBench } from '../support/ui-host.js';

// Honest state in the web UI (real Chromium, the real controller on the test host). A crash loop: an app whose main
// process exits 1 and that systemd restarts by itself (Restart=always) reads "Crash loop — exited 1, restarted N× in
// T s" with a Stop button, never "Starting" with a deadline; the count follows systemd's; a Stop ends it, and it then
// reads Stopped, with the last failure kept as a note, not Failed. A dependency that failed: its dependant, meant to
// run, reads "Waiting for <dependency> (failed)" and what is wanted beside its state; the failed one's detail view
// gives the cause in podman's words.

const host = useHost();
const ID = 'ui-loop';
let bench: UiBench;
let page: Page;
let errors: string[];

const card = () => page.locator(`[data-app="${ID}"]`);
const primary = () => card().locator('[data-role="primary"]');
const loopLine = () => card().locator('[data-role="crash-loop"]');
const restarts = (line: string | null): number => Number(/restarted (\d+)×/.exec(line ?? '')?.[1] ?? -1);

beforeAll(async () => {
  bench = await uiOnHost(host, 'honest-state', { [ID]: crashLoopUnit(2) }, [ID]);
  page = await bench.browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors = pageErrors(page);
  await page.goto(`${bench.server().url}/#token=${bench.token}`);
});

afterAll(async () => {
  await bench?.close();
});

describe('web UI: an app in a crash loop', () => {
  it('reads as a crash loop with the last exit and the restarts, and offers Stop', async () => {
    await expect.poll(() => loopLine().textContent(), { timeout: 60_000 }).toMatch(/^Crash loop — exited 1, restarted [1-9]\d*× in \d+ s$/);
    expect(await card().locator('[data-role="state"]').textContent()).toBe('Crash loop');
    expect(await primary().textContent()).toBe('Stop');
    expect(await primary().isDisabled()).toBe(false);
    expect(await card().locator('[data-role="countdown"]').count()).toBe(0);
    // systemd goes on restarting it: the count the page shows goes up.
    const first = restarts(await loopLine().textContent());
    await expect.poll(async () => restarts(await loopLine().textContent()), { timeout: 60_000 }).toBeGreaterThan(first);
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, bench.artifacts, 'crash-loop'), 'widths that scroll sideways').toEqual([]);
  });

  it('Stop ends it: Stopping…, then Stopped with the last failure as a note, never Failed', async () => {
    await primary().click();
    await expect.poll(() => primary().textContent(), { timeout: 60_000 }).toBe('Start');
    expect(await card().locator('[data-role="state"]').textContent()).toBe('Stopped');
    await expect.poll(() => card().locator('[data-role="note"]').textContent(), { timeout: 10_000 }).toMatch(/exited 1/);
    expect(await loopLine().count()).toBe(0);
    expect(await shotAtWidths(page, bench.artifacts, 'stopped-after-loop'), 'widths that scroll sideways').toEqual([]);
  });

  it('logged no JavaScript error', () => {
    expect(errors).toEqual([]);
  });
});

describe('web UI: a dependency that failed', () => {
  const DEP = 'ui-dep';
  const DEPENDANT = 'ui-dependant';
  let h: HostApi;
  let p: Page;
  let pErrors: string[];
  const dependant = () => p.locator(`[data-app="${DEPENDANT}"]`);

  beforeAll(async () => {
    h = await apiOnHost(host, [
      { id: DEP, name: 'The Dependency', unit: MISSING_IMAGE_UNIT, desired: 'running' },
      // systemd starts the dependency first, and fails this start (result `dependency`) when it fails.
      { id: DEPENDANT, name: 'The Dependant', unit: QUICK_UNIT.replace('[Unit]\n', `[Unit]\nRequires=${DEP}.service\nAfter=${DEP}.service\n`), dependsOn: [DEP], desired: 'running' },
    ]);
    // The detail view follows the app's journal live: serve's follower, reading the host's journal.
    const server = await h.listen({ follow: journalFollower({ via: hostVia(host) }) });
    p = await bench.browser.newPage({ viewport: { width: 1280, height: 800 } });
    pErrors = pageErrors(p);
    await p.goto(`${server.url}/#token=${h.token}`);
  });

  afterAll(async () => {
    await p?.close();
    await h?.close();
  });

  it('the dependant reads "Waiting for The Dependency (failed)" and "Wanted: running" beside Stopped', async () => {
    await expect.poll(() => dependant().locator('[data-role="primary"]').textContent(), { timeout: 30_000 }).toBe('Start');
    await dependant().locator('[data-role="primary"]').click();
    await expect.poll(() => dependant().locator('[data-role="waiting"]').textContent(), { timeout: 60_000 }).toBe('Waiting for The Dependency (failed)');
    expect(await dependant().locator('[data-role="state"]').textContent()).toBe('Stopped');
    expect(await dependant().locator('[data-role="desired"]').textContent()).toBe('Wanted: running');
    expect(await p.locator(`[data-app="${DEP}"] [data-role="reason"]`).textContent()).toBe('Failed: exited with an error');
    // Why, in podman's words, on the card too (read once with the app's detail).
    await expect.poll(() => p.locator(`[data-app="${DEP}"] [data-role="cause"]`).textContent(), { timeout: 10_000 }).toMatch(/^Error: .*no-such-image/);
    expect(await axeViolations(p)).toEqual([]);
    expect(await shotAtWidths(p, bench.artifacts, 'waiting-for'), 'widths that scroll sideways').toEqual([]);
  });

  it('the failed dependency\'s detail view gives its cause in podman\'s words', async () => {
    await p.locator(`[data-app="${DEP}"] .app-name`).click();
    await expect.poll(() => p.locator('dl.facts [data-role="cause"]').textContent(), { timeout: 10_000 }).toMatch(/^Error: .*no-such-image/);
    expect(await p.locator('dl.facts [data-role="desired"]').textContent()).toBe('Running');
    expect(await axeViolations(p)).toEqual([]);
    expect(await shotAtWidths(p, bench.artifacts, 'failed-cause'), 'widths that scroll sideways').toEqual([]);
    expect(pErrors).toEqual([]);
  });
});
