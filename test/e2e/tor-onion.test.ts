import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/create-api.js';
import { startServer } from '../../src/api/server.js';
import { formatOnions, formatTable } from '../../src/cli/commands/status.js';
import type { PassReport } from '../../src/reconcile/pass.js';
import { APPS_IMAGE, BUSYBOX_IMAGE, ensureAppsImage, useHost } from '../host/index.js';
import { memoryLog } from '../support/api.js';
import { launchChromium, UI_ARTIFACTS } from '../support/browser.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { isV3OnionAddress } from '../support/onion.js';
import { passOnHost, runUnitDir } from '../support/host.js';

// The node's Tor app publishing an app's UI as an onion service, from manifests, by real passes: Debian's tor (the
// test host has no registry for the catalog's image) on the host's network with the catalog's torrc template, a
// busybox httpd UI whose port says `onion: 80`, and an app whose config takes the UI's `onion.address`. No network
// reaches the host: tor writes the service's keys and hostname when it reads its config, before it tries a relay
// (docs/testhost.md, "Tor without a network"), which is all the node reads.

const host = useHost();
const log = (line: string): void => void process.stderr.write(`[tor-onion] ${line}\n`);
// A pass prunes units of ours its manifests do not name: it gets a directory no other suite writes to meanwhile.
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-tor-onion-'));
const manifests = join(work, 'manifests');
const templates = join(work, 'templates');
const stateDir = join(work, 'state');

const TOR = 'onion-tor';
const WEB = 'onion-web';
const FEED = 'onion-feed';
const IDS = [FEED, TOR, WEB];
const WEB_PORT = 18491;
const TOR_DATA = `/var/lib/archipelago/${TOR}/data`;
const TOR_HS = `/var/lib/archipelago/${TOR}/hs`;
const FEED_CONF = `/var/lib/archipelago/${FEED}/feed.conf`;

// tor as Debian packages it, in the foreground as PID 1, as the catalog's Tor app runs it: the container's root with
// every capability dropped, owning the data directory the node bound in.
const TOR_MANIFEST = `id: ${TOR}
name: Tor
onionServiceDir: ${TOR_HS}
image: ${APPS_IMAGE}
command: [tor, -f, /etc/tor/torrc]
hostNetwork: true
binds:
  - source: ${TOR_DATA}
    target: /var/lib/tor
  - source: ${TOR_HS}
    target: /var/lib/tor-hs
configs:
  - template: torrc.hbs
    path: /var/lib/archipelago/${TOR}/torrc
    target: /etc/tor/torrc
security:
  readOnly: true
  noNewPrivileges: true
  capDrop: [ALL]
health:
  cmd: ${JSON.stringify(catalogTorHealth())}
  interval: 1s
  timeout: 5s
  retries: 3
stop:
  timeout: 30s
`;

const WEB_MANIFEST = `id: ${WEB}
name: Onion web
image: ${BUSYBOX_IMAGE}
command: [sh, -c, 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8080 -h /www']
ports:
  - container: 8080
    host: ${WEB_PORT}
    hostIp: 127.0.0.1
    onion: 80
`;

const FEED_MANIFEST = `id: ${FEED}
name: Onion feed
image: ${BUSYBOX_IMAGE}
command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 1; done']
configs:
  - template: feed.conf.hbs
    path: ${FEED_CONF}
    target: /etc/feed.conf
`;

/** A config that shows another app's onion address, and says so while there is none yet. */
const FEED_TEMPLATE = `{{#if (export "${WEB}" "onion.address")}}web=http://{{export "${WEB}" "onion.address"}}/
{{else}}# ${WEB} has no onion address yet
{{/if}}`;

/** The catalog's Tor health check (manifests/tor.yaml): every HiddenServiceDir of the torrc has its hostname. */
function catalogTorHealth(): string[] {
  const line = /^ {2}cmd: \[sh, -c, '(.*)'\]$/m.exec(readFileSync(join(import.meta.dirname, '../../manifests/tor.yaml'), 'utf8'));
  return ['sh', '-c', line![1]!];
}

let h: HostController;
const pass = (): Promise<PassReport> => passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir }, { configTemplatesDir: pathToFileURL(`${templates}/`) });
const onHost = (path: string): string => join(host.rootDir, path);
const hostnameFile = onHost(`${TOR_HS}/${WEB}/hostname`);

beforeAll(async () => {
  await ensureAppsImage(host, log);
  for (const dir of [manifests, templates, stateDir]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(manifests, `${TOR}.yaml`), TOR_MANIFEST);
  writeFileSync(join(manifests, `${WEB}.yaml`), WEB_MANIFEST);
  writeFileSync(join(manifests, `${FEED}.yaml`), FEED_MANIFEST);
  // The catalog's torrc template as it ships; the feed's own template beside it.
  copyFileSync(join(import.meta.dirname, '../../templates/config/torrc.hbs'), join(templates, 'torrc.hbs'));
  writeFileSync(join(templates, 'feed.conf.hbs'), FEED_TEMPLATE);
  // podman binds only a host directory that exists.
  for (const dir of [TOR_DATA, TOR_HS]) mkdirSync(onHost(dir), { recursive: true });
  h = await controllerOnHost(host, IDS, { stateDir });
}, 1_200_000);

afterAll(async () => {
  if (h) {
    for (const f of readdirSync(manifests)) rmSync(join(manifests, f));
    await pass().catch((e: unknown) => log(`removal pass: ${(e as Error).message}`));
    await h.close();
  }
  for (const id of IDS) rmSync(onHost(`/var/lib/archipelago/${id}`), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}, 300_000);

describe('the Tor app publishes an app\'s UI as an onion service (Debian\'s tor, no network)', () => {
  let address = '';

  it('one pass installs the three apps; tor, started on the host\'s network, is up once it has written the service\'s hostname', async () => {
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual(expect.arrayContaining([`write units/${TOR}.container`, `start ${TOR}.service`, `start ${WEB}.service`, `start ${FEED}.service`]));
    for (const id of IDS) await h.waitFor(id, 'running', 120_000);
    // The torrc from the catalog's template: one hidden service directory for the app, its port on 127.0.0.1.
    const torrc = readFileSync(onHost(`/var/lib/archipelago/${TOR}/torrc`), 'utf8');
    expect(torrc).toContain(`\nHiddenServiceDir /var/lib/tor-hs/${WEB}\nHiddenServicePort 80 127.0.0.1:${WEB_PORT}\n`);
    expect(await host.execOk(['podman', 'inspect', '--format', '{{.HostConfig.NetworkMode}}', TOR])).toBe('host\n');
    // Gated on its health check: active means every hidden service of its torrc has its hostname.
    address = readFileSync(hostnameFile, 'utf8').trim();
    expect(isV3OnionAddress(address), address).toBe(true);
    expect(readFileSync(hostnameFile, 'utf8')).toBe(`${address}\n`);
    const dir = onHost(`${TOR_HS}/${WEB}`);
    expect(readdirSync(dir).sort()).toEqual(expect.arrayContaining(['hostname', 'hs_ed25519_public_key', 'hs_ed25519_secret_key']));
    // tor keeps the service's directory to itself.
    expect(statSync(dir).mode & 0o077).toBe(0);
    log(`tor wrote ${address} for ${WEB}`);
    // The pass read the addresses before tor ran: none shown yet, the feed's config says so, and the pass asks to look again soon.
    expect(h.controller.get(WEB)?.onion).toBeUndefined();
    expect(readFileSync(onHost(FEED_CONF), 'utf8')).toBe(`# ${WEB} has no onion address yet\n`);
    expect(r.requeueAt).toBeDefined();
  });

  it('the next pass reads the address: the app\'s status carries it (API, event stream, status), and the consumer\'s config is rendered again with it', async () => {
    const from = h.seen(WEB).length;
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([`write config ${FEED_CONF}`, `restart ${FEED}.service`]);
    expect(r.requeueAt).toBeUndefined();
    // The exported value reached the consumer: its config on the host and inside its container.
    expect(readFileSync(onHost(FEED_CONF), 'utf8')).toBe(`web=http://${address}/\n`);
    await h.waitFor(FEED, 'running', 60_000);
    expect(await host.execOk(['podman', 'exec', FEED, 'cat', '/etc/feed.conf'])).toBe(`web=http://${address}/\n`);
    // The controller: a status event when the address appeared, and every status of the app since carries it.
    expect(h.seen(WEB).slice(from).map((s) => s.onion)).toContain(address);
    expect(h.controller.get(WEB)).toMatchObject({ state: 'running', onion: address });
    expect(h.controller.get(TOR)?.onion).toBeUndefined();
    // The API.
    const token = 'tor-onion-test-token-0123456789';
    const api = createApi({ controller: h.controller, token, log: memoryLog() });
    const headers = { authorization: `Bearer ${token}` };
    const list = (await api.inject({ url: '/api/apps', headers })).json() as { apps: Array<{ id: string; onion?: string }> };
    expect(list.apps.map((a) => [a.id, a.onion])).toEqual([[FEED, undefined], [TOR, undefined], [WEB, address]]);
    expect((await api.inject({ url: `/api/apps/${WEB}`, headers })).json()).toMatchObject({ id: WEB, state: 'running', onion: address });
    await api.close();
    // `status`, as the command prints the controller's list.
    const text = formatTable(h.controller.list()) + formatOnions(h.controller.list());
    expect(text.endsWith(`\nonion services:\n  ${WEB}  ${address}\n`)).toBe(true);
  });

  it('the web UI\'s detail view shows the address, with a link that opens the UI over Tor', async () => {
    const token = 'tor-onion-test-token-0123456789';
    const server = await startServer({ controller: h.controller, token, log: memoryLog() }, { host: '127.0.0.1', port: 0 });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(`${server.url}/#token=${token}`);
      await page.locator(`[data-app="${WEB}"]`).first().waitFor();
      await page.goto(`${server.url}/#/apps/${WEB}`);
      const onion = page.locator('dl.facts [data-role="onion"]');
      await onion.waitFor();
      expect(await onion.locator('code').textContent()).toBe(address);
      expect(await onion.locator('a').getAttribute('href')).toBe(`http://${address}/`);
      expect(await onion.locator('a').textContent()).toBe('Open over Tor');
      // An app without an onion service has no such line.
      await page.goto(`${server.url}/#/apps/${FEED}`);
      await page.locator('dl.facts [data-role="state"]').waitFor();
      expect(await page.locator('dl.facts [data-role="onion"]').count()).toBe(0);
      await page.goto(`${server.url}/#/apps/${WEB}`);
      await onion.waitFor();
      mkdirSync(UI_ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(UI_ARTIFACTS, 'tor-onion-detail.png') });
    } finally {
      await browser.close();
      await server.close();
    }
  });

  it('then nothing is left to do: the address is stable, and no pass waits for one', async () => {
    const r = await pass();
    expect(r.planned).toEqual([]);
    expect(r.requeueAt).toBeUndefined();
    expect(readFileSync(hostnameFile, 'utf8').trim()).toBe(address);
  });
});
