/**
 * Real Chromium (Debian's, driven by playwright-core) for the web UI tests, and where their screenshots go.
 */
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
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
