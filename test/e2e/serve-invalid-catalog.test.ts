import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { serve } from '../../src/cli/commands/serve.js';
import { loadOrCreateToken } from '../../src/store/token.js';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { until } from './api-fixture.js';

// The daemon must not go down over a manifest: started with an invalid catalog, `serve --watch` tracks the apps
// installed in its unit directory, so a stop still works; once the manifest is fixed, the next pass takes over.

const host = useHost();
const unitDir = join('/proc', String(host.pid), 'root/run/containers/systemd');
const generator = join(host.rootDir, 'usr/libexec/podman/quadlet');
const work = mkdtempSync(join(tmpdir(), 'archy-serve-invalid-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const PORT = 19_000 + (process.pid % 1000);
const base = `http://127.0.0.1:${PORT}`;
const good = `id: si\nimage: ${BUSYBOX_IMAGE}\ncommand: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]\nstop:\n  timeout: 2s\n`;

afterAll(async () => {
  await host.exec(['systemctl', 'stop', 'si.service']);
  rmSync(join(unitDir, 'si.container'), { force: true });
  await host.exec(['systemctl', 'daemon-reload']);
  rmSync(work, { recursive: true, force: true });
});

it('starts with an invalid catalog, tracks the installed app (stop works), and follows the catalog once fixed', async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  // Install the app with a first, valid daemon run…
  const token = await loadOrCreateToken(stateDir);
  const auth = { authorization: `Bearer ${token}` };
  const get = (id: string) => fetch(`${base}/api/apps/${id}`, { headers: auth }).then((r) => r.json() as Promise<{ state: string }>);
  writeFileSync(join(manifests, 'si.yaml'), good);
  const opts = { listen: `127.0.0.1:${PORT}`, bus: host.busAddress, stateDir, manifests, unitDir, generator, watch: true, interval: '1h' };
  let stop!: () => void;
  let served = serve(opts, new Promise<void>((r) => (stop = r)));
  await until('si running', () => get('si'), (s) => s.state === 'running');
  stop();
  await served;

  // …then break its manifest and start the daemon again.
  writeFileSync(join(manifests, 'si.yaml'), `${good}imagee: typo\n`);
  served = serve(opts, new Promise<void>((r) => (stop = r)));
  try {
    expect((await until('si tracked', () => get('si'), (s) => s.state === 'running')).state).toBe('running');
    const res = await fetch(`${base}/api/apps/si/stop`, { method: 'POST', headers: auth });
    expect(res.status).toBe(202);
    await until('si stopped', () => get('si'), (s) => s.state === 'stopped');

    // The stop itself took [Install] out of the unit (it stays stopped at boot), although no pass can run.
    const stoppedText = readFileSync(join(unitDir, 'si.container'), 'utf8');
    expect(stoppedText).not.toContain('WantedBy=');
    // Fixed (and renamed, so the pass has something to write): the watch loop's next pass acts on the catalog;
    // the user-stopped app is rendered without [Install], and stays stopped and tracked.
    writeFileSync(join(manifests, 'si.yaml'), `${good}name: SI\n`);
    const fixed = await until('the pass over the fixed catalog', async () => readFileSync(join(unitDir, 'si.container'), 'utf8'), (t) => t.includes('Description=SI'));
    expect(fixed).not.toContain('WantedBy=');
    expect((await get('si')).state).toBe('stopped');
  } finally {
    stop();
    await served;
  }
});
