import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { axeViolations, launchChromium, pageErrors, shotAtWidths, UI_ARTIFACTS } from '../support/browser.js';
import { hostGenerator, removeUnits, runUnitDir } from '../support/host.js';
import { serveInProcess, type ServeInProcess } from '../support/serve.js';

// The catalog in the web UI, against `serve --watch` (the node's daemon: the reconciler in the same process) on the
// test host: each app as a person knows it (icon, name, version, description, the Open link where its manifest's
// `web:` says), an app of the catalog installed from its card, and an installed one removed after a confirmation that
// says what happens to its data. Real Chromium at 1280 and 390 px; axe-core over the open confirmation.

const host = useHost();
const ARTIFACTS = join(UI_ARTIFACTS, 'catalog');
// A pass prunes units of ours its manifests do not name: a directory no other suite writes to meanwhile.
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'aq-ui-catalog-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="4" fill="#c60"/></svg>\n';
const WEB = appManifest('uc-web', {
  state: 'running',
  extra: 'name: Web Thing\ndescription: Serves a page on 18080\nicon: icons/uc-web.svg\nports:\n  - container: 8080\n    host: 18080\nweb: { port: 8080, path: /admin/ }\n',
});
const OPT = appManifest('uc-opt', { state: 'absent', extra: 'name: Optional Thing\ndescription: Installed from the catalog\n' });

let server: ServeInProcess;
let browser: Browser;
let page: Page;
let errors: string[];

const card = (id: string) => page.locator(`[data-app="${id}"]`);
const primary = (id: string) => card(id).locator('[data-role="primary"]');

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  mkdirSync(join(manifests, 'icons'), { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(join(manifests, 'uc-web.yaml'), WEB);
  writeFileSync(join(manifests, 'uc-opt.yaml'), OPT);
  writeFileSync(join(manifests, 'icons', 'uc-web.svg'), ICON);
  const token = await loadOrCreateToken(stateDir);
  server = await serveInProcess({ bus: host.busAddress, stateDir, manifests, unitDir, generator: hostGenerator(host), watch: true, interval: '1h' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  errors = pageErrors(page);
  await page.goto(`${server.url}/#token=${token}`);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await removeUnits(host, ['uc-web', 'uc-opt'], unitDir);
  rmSync(work, { recursive: true, force: true });
});

describe('the catalog in the web UI, on serve --watch', () => {
  it('shows each app by its name, icon, version and description, with an Open link where its manifest says', async () => {
    await expect.poll(() => primary('uc-web').textContent(), { timeout: 60_000 }).toBe('Stop');
    expect(await card('uc-web').locator('.app-name').textContent()).toBe('Web Thing');
    expect(await card('uc-web').locator('[data-role="description"]').textContent()).toBe('Serves a page on 18080');
    expect(await card('uc-web').locator('[data-role="version"]').textContent()).toBe('latest');
    // The icon, fetched with the token and shown from a blob: URL, really drawn.
    const icon = card('uc-web').locator('img[data-role="icon"]');
    await expect.poll(() => icon.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 10_000 }).toBe(true);
    expect(await icon.getAttribute('src')).toMatch(/^blob:/);
    // web: { port: 8080, path: /admin/ } on a container port published on 18080 of the node.
    const open = card('uc-web').locator('[data-role="open"]');
    expect(await open.getAttribute('href')).toBe(`${new URL(server.url).protocol}//127.0.0.1:18080/admin/`);
    expect(await open.textContent()).toBe('Open');
    // The catalog's absent app: listed, with Install, and no Open link.
    expect(await primary('uc-opt').textContent()).toBe('Install');
    expect(await card('uc-opt').locator('.app-name').textContent()).toBe('Optional Thing');
    expect(await card('uc-opt').locator('[data-role="open"]').count()).toBe(0);
    // No icon in its manifest: its initial in the icon's place, hidden from the accessibility tree (the name says it).
    expect(await card('uc-opt').locator('[data-role="initial"]').textContent()).toBe('O');
    expect(await card('uc-opt').locator('[data-role="initial"]').getAttribute('aria-hidden')).toBe('true');
    expect(await card('uc-opt').getAttribute('aria-labelledby')).toBe('app-uc-opt-name');
    expect(await card('uc-web').locator('[data-role="initial"]').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, ARTIFACTS, 'list'), 'widths that scroll sideways').toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page), 'dark').toEqual([]);
    expect(await shotAtWidths(page, ARTIFACTS, 'list-dark'), 'widths that scroll sideways').toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('Install on a catalog app: Installing… at once, then it runs (the reconciler installed it)', async () => {
    await primary('uc-opt').click();
    await expect.poll(() => primary('uc-opt').textContent(), { timeout: 2_000 }).toBe('Installing…');
    await expect.poll(() => primary('uc-opt').textContent(), { timeout: 120_000 }).toBe('Stop');
    expect(await card('uc-opt').locator('[data-role="state"]').textContent()).toBe('Running');
  });

  it('Remove asks first, saying that the data stays; Cancel keeps the app; the confirmed removal leaves it installable', async () => {
    await card('uc-opt').locator('.app-name').click();
    const remove = page.locator('[data-role="remove"]');
    const dialog = page.locator('dialog[data-role="confirm-remove"]');
    await remove.click();
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(await dialog.locator('h3').textContent()).toBe('Remove Optional Thing?');
    expect(await dialog.locator('p').textContent()).toContain('Its data is kept');
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, ARTIFACTS, 'remove-confirm', true), 'widths that scroll sideways').toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await axeViolations(page), 'dark').toEqual([]);
    expect(await shotAtWidths(page, ARTIFACTS, 'remove-confirm-dark', true), 'widths that scroll sideways').toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await dialog.locator('[data-role="cancel"]').click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    expect(await primary('uc-opt').textContent()).toBe('Stop');

    await remove.click();
    await dialog.locator('[data-role="confirm"]').click();
    await expect.poll(() => primary('uc-opt').textContent(), { timeout: 2_000 }).toBe('Removing…');
    await expect.poll(() => primary('uc-opt').textContent(), { timeout: 120_000 }).toBe('Install');
    expect(await card('uc-opt').locator('[data-role="state"]').textContent()).toBe('Not installed');
    expect(await remove.count()).toBe(0);
  });

  it('the reconciler panel: the last pass and what it did, no pending change, and Reconcile now runs one more pass', async () => {
    await page.locator('a.back').click();
    const panel = page.locator('[data-role="reconciler"]');
    const pass = panel.locator('[data-role="pass"]');
    await expect.poll(() => pass.textContent(), { timeout: 30_000 }).toMatch(/^Last pass at .+: done \(\d+ since start\)$/);
    // The removal's pass was the last one: it stopped the app and removed its unit.
    expect(await panel.locator('[data-role="done"]').textContent()).toContain('uc-opt');
    await panel.locator('[data-role="show-pending"]').click();
    await expect.poll(() => panel.locator('[data-role="pending"]').textContent(), { timeout: 30_000 }).toBe('None: the node is as the catalog says');
    const passes = (): Promise<number> => pass.textContent().then((t) => Number(/\((\d+) since start\)/.exec(t ?? '')?.[1] ?? -1));
    const before = await passes();
    await panel.locator('[data-role="reconcile-now"]').click();
    // The loop's interval is an hour: the one pass after the click is the click's.
    await expect.poll(passes, { timeout: 60_000 }).toBe(before + 1);
    expect(await panel.locator('[data-role="reconcile-now"]').isDisabled()).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    expect(await shotAtWidths(page, ARTIFACTS, 'reconciler'), 'widths that scroll sideways').toEqual([]);
  });

  it('logged no JavaScript error', () => {
    expect(errors).toEqual([]);
  });
});
