import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { hostGenerator, removeUnits, runUnitDir } from '../support/host.js';
import { freePort, serveInProcess } from '../support/serve.js';
import { until, type WaitOptions } from '../support/wait.js';

// The daemon must not go down over a manifest: started with an invalid catalog, `serve --watch` tracks the apps
// installed in its unit directory, so a stop still works; once the manifest is fixed, the next pass takes over.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-serve-invalid-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const good = appManifest('si', { stopTimeout: '2s' });
/** The API may not answer yet: a failed read is one more try. */
const POLL: WaitOptions = { retryErrors: true };

afterAll(async () => {
  await removeUnits(host, ['si'], unitDir);
  rmSync(work, { recursive: true, force: true });
});

it('starts with an invalid catalog, tracks the installed app (stop works), and follows the catalog once fixed', async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  // Install the app with a first, valid daemon run…
  const token = await loadOrCreateToken(stateDir);
  const auth = { authorization: `Bearer ${token}` };
  const opts = { listen: `127.0.0.1:${await freePort()}`, bus: host.busAddress, stateDir, manifests, unitDir, generator: hostGenerator(host), watch: true, interval: '1h' };
  const get = (id: string) => fetch(`http://${opts.listen}/api/apps/${id}`, { headers: auth }).then((r) => r.json() as Promise<{ state: string }>);
  writeFileSync(join(manifests, 'si.yaml'), good);
  const first = await serveInProcess(opts);
  await until('si running', () => get('si'), (s) => s.state === 'running', POLL);
  await first.stop();

  // …then break its manifest and start the daemon again.
  writeFileSync(join(manifests, 'si.yaml'), `${good}imagee: typo\n`);
  const second = await serveInProcess(opts);
  try {
    expect((await until('si tracked', () => get('si'), (s) => s.state === 'running', POLL)).state).toBe('running');
    const res = await fetch(`http://${opts.listen}/api/apps/si/stop`, { method: 'POST', headers: auth });
    expect(res.status).toBe(202);
    await until('si stopped', () => get('si'), (s) => s.state === 'stopped', POLL);

    // The stop itself took [Install] out of the unit (it stays stopped at boot), although no pass can run.
    const stoppedText = readFileSync(join(unitDir, 'si.container'), 'utf8');
    expect(stoppedText).not.toContain('WantedBy=');
    // Fixed (and renamed, so the pass has something to write): the watch loop's next pass acts on the catalog;
    // the user-stopped app is rendered without [Install], and stays stopped and tracked.
    writeFileSync(join(manifests, 'si.yaml'), `${good}name: SI\n`);
    const fixed = await until('the pass over the fixed catalog', async () => readFileSync(join(unitDir, 'si.container'), 'utf8'), (t) => t.includes('Description=SI'), POLL);
    expect(fixed).not.toContain('WantedBy=');
    expect((await get('si')).state).toBe('stopped');
  } finally {
    await second.stop();
  }
});
