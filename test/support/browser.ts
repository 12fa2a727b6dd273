/**
 * Real Chromium (Debian's, driven by playwright-core) for the web UI tests, where their screenshots go, axe-core's
 * accessibility check of a page, and the page's JavaScript errors.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './cli.js';

/** Screenshots of the web UI tests. */
export const UI_ARTIFACTS = join(REPO, 'test-artifacts', 'ui');

/** Launches headless Chromium, with nothing that reaches out to the network by itself. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The rule sets of WCAG 2.1 levels A and AA, as axe-core tags them. */
export const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;

/** One rule axe-core found broken, with where (CSS selectors of the elements) and why. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string; summary: string }>;
}

let axeSource: string | undefined;

/**
 * Runs axe-core (the npm package's own build, evaluated in the page as a script the page did not ship; the page's
 * CSP stays as served) over the whole document with the rules of `tags`; resolves with the violations ([] when none).
 */
export async function axeViolations(page: Page, tags: readonly string[] = WCAG21_AA): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async (values) => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })) }));
  }, [...tags]);
}

/**
 * Collects every JavaScript error of the page from now on: uncaught exceptions (`pageerror`) and console errors
 * (which include requests the browser saw fail). The returned array fills as they come.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  return errors;
}

/** The two widths every view is looked at: a phone's and a desktop's (px). */
export const UI_WIDTHS = [390, 1280] as const;

/**
 * Screenshots the page at each of {@link UI_WIDTHS} as `<dir>/<name>-<width>.png` (full page unless `viewportOnly`),
 * then gives the page back its viewport. Resolves with the widths at which the page scrolled sideways ([] when none).
 */
export async function shotAtWidths(page: Page, dir: string, name: string, viewportOnly = false): Promise<number[]> {
  const before = page.viewportSize();
  const sideways: number[] = [];
  for (const width of UI_WIDTHS) {
    await page.setViewportSize({ width, height: before?.height ?? 900 });
    if (await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)) sideways.push(width);
    await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: !viewportOnly });
  }
  if (before) await page.setViewportSize(before);
  return sideways;
}
