/**
 * The web UI's test bench on the real host: hand-written units in the host's Quadlet directory (some started),
 * `serve` in the test's process over them (its journalctl and podman run inside the host: logs, the live log, health), its token, headless Chromium, and a
 * folder of its own for the screenshots.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { TestHost } from '../host/index.js';
import { launchChromium, UI_ARTIFACTS } from './browser.js';
import { hostVia, installUnits, removeUnits } from './host.js';
import { serveInProcess, type ServeInProcess } from './serve.js';

export interface UiBench {
  browser: Browser;
  token: string;
  /** This suite's screenshot folder, `test-artifacts/ui/<name>/`, emptied at the start. */
  artifacts: string;
  /** `serve` as it runs now. */
  server(): ServeInProcess;
  /** Starts `serve` again on the address it had (after `server().stop()`); resolves once it answers. */
  restartServe(): Promise<void>;
  /** Closes the browser, stops `serve`, stops and removes the units. */
  close(): Promise<void>;
}

/**
 * Installs `units` (`<id>.container` text by app id) and `files` (other unit files by file name, e.g. the `<id>.network`
 * of an app of several containers), starts the apps `start`, runs `serve` and launches Chromium. Screenshots go to
 * `test-artifacts/ui/<name>/`.
 */
export async function uiOnHost(host: TestHost, name: string, units: Record<string, string>, start: readonly string[], files: Record<string, string> = {}): Promise<UiBench> {
  const artifacts = join(UI_ARTIFACTS, name);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(host.unitDir, file), text);
  await installUnits(host, units);
  const systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  for (const id of start) await systemd.startUnit(`${id}.service`);
  await systemd.close();
  const stateDir = mkdtempSync(join(tmpdir(), `aq-ui-${name}-`));
  const run = (listen?: string): Promise<ServeInProcess> =>
    serveInProcess({ bus: host.busAddress, unitDir: host.unitDir, stateDir, manifests: 'manifests', ...(listen ? { listen } : {}) }, { via: hostVia(host) });
  let server = await run();
  const token = await loadOrCreateToken(stateDir);
  const browser = await launchChromium();
  return {
    browser,
    token,
    artifacts,
    server: () => server,
    async restartServe() {
      server = await run(server.listen);
    },
    async close() {
      await browser.close();
      await server.stop().catch(() => undefined);
      for (const file of Object.keys(files)) rmSync(join(host.unitDir, file), { force: true });
      await removeUnits(host, [...new Set([...start, ...Object.keys(units)])]);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
