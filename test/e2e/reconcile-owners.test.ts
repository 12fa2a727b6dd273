import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, chownSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPass, type PassReport } from '../../src/reconcile/pass.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { hostGenerator, runUnitDir } from '../support/host.js';

// A rootful container with a numeric `user` reads the private (0600) config the node wrote for it and writes its own
// data directory: the pass gives both to that user (src/reconcile/desired.ts hostOwners). Without it, uid 1000 meets
// a root-owned 0600 file and a root-owned 0755 directory, and the container below exits at once.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-reconcile-owners-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const ID = 'rc-own';
const DATA = `/var/lib/archipelago/${ID}`;
let systemd: SystemdPort;

// nginx.conf carries the RPC credential itself (private, 0600); the command fails unless uid 1000 can read it and
// write into its data directory.
const MANIFEST = `id: ${ID}
image: ${BUSYBOX_IMAGE}
user: "1000:1000"
command: [sh, -c, "cat /etc/app/nginx.conf > /data/copy && trap 'exit 0' TERM && while true; do sleep 1; done"]
stop:
  timeout: 2s
restart: "no"
binds:
  - source: ${DATA}/data
    target: /data
configs:
  - template: bitcoin-ui.nginx.conf.hbs
    path: ${DATA}/nginx.conf
    target: /etc/app/nginx.conf
`;

const onHost = (p: string): string => join(host.rootDir, p);
const owner = (p: string): string => {
  const st = statSync(onHost(p));
  return `${st.uid}:${st.gid} ${(st.mode & 0o777).toString(8)}`;
};
const pass = (dryRun = false): Promise<PassReport> =>
  runPass({ manifestsDir: manifests, unitDir, stateDir, systemd, configRoot: host.rootDir, generator: [hostGenerator(host)], pollMs: 100, dryRun, allowEmpty: true });
const active = async (): Promise<string> => (await systemd.getUnitProperties(`${ID}.service`)).value.activeState ?? '';

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  writeFileSync(join(manifests, `${ID}.yaml`), MANIFEST);
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  await systemd.stopUnit(`${ID}.service`).catch(() => undefined);
  rmSync(join(unitDir, `${ID}.container`), { force: true });
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(onHost(DATA), { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe("rootful: a container's numeric user owns its private config and its data directory", () => {
  it('the pass writes the 0600 config and makes the data directory as 1000:1000; the container reads one and writes the other', async () => {
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([
      `write units/${ID}.container`,
      `write config ${DATA}/nginx.conf (owner 1000:1000)`,
      `make directory ${DATA}/data (owner 1000:1000)`,
      'daemon-reload',
      `start ${ID}.service`,
    ]);
    expect(owner(`${DATA}/nginx.conf`)).toBe('1000:1000 600');
    expect(owner(`${DATA}/data`)).toBe('1000:1000 755');
    // The parent stays the node's.
    expect(owner(DATA)).toBe('0:0 755');
    expect(await active()).toBe('active');
    expect((await host.execOk(['podman', 'exec', ID, 'id', '-u'])).trim()).toBe('1000');
    // What the container copied out of the config, as uid 1000, is the file the pass wrote.
    expect(readFileSync(onHost(`${DATA}/data/copy`), 'utf8')).toBe(readFileSync(onHost(`${DATA}/nginx.conf`), 'utf8'));
    expect((await pass(true)).planned).toEqual([]);
  });

  it('a config left root-owned (an older version, or a write killed before its chown) is written again and the app restarted', async () => {
    chownSync(onHost(`${DATA}/nginx.conf`), 0, 0);
    const r = await pass();
    expect(r.done).toEqual([`write config ${DATA}/nginx.conf (owner 1000:1000)`, `restart ${ID}.service`]);
    expect(owner(`${DATA}/nginx.conf`)).toBe('1000:1000 600');
    expect(await active()).toBe('active');
  });

  it('an existing data directory is never re-owned', async () => {
    chownSync(onHost(`${DATA}/data`), 0, 0);
    expect((await pass(true)).planned).toEqual([]);
    expect(owner(`${DATA}/data`)).toBe('0:0 755');
  });
});
