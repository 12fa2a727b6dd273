import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppState } from '../../src/controller/types.js';
import { basicAuth, rpcauth } from '../../src/reconcile/config-render.js';
import { runPass, type PassReport } from '../../src/reconcile/pass.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { hostGenerator, runUnitDir } from '../support/host.js';

// Derived config files (the catalog's own templates + secrets kept in the state
// dir) and the phases the controller shows, on the real test host. The pass
// runs outside the host: the host's `/` is its root directory seen from here.

const host = useHost();
// A pass prunes units of ours its manifests do not name: it gets a directory no other suite writes to meanwhile.
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-reconcile-cfg-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const DATA = '/var/lib/archipelago/rc-cfg';
let systemd: SystemdPort;
let controller: LiveController;
const seen: AppState[] = [];

const MANIFEST = appManifest('rc-cfg', {
  stopTimeout: '2s',
  extra: `binds:
  - source: ${DATA}/data
    target: /data
configs:
  - template: bitcoin.conf.hbs
    path: ${DATA}/bitcoin.conf
    target: /etc/bitcoin/bitcoin.conf
  - template: bitcoin-ui.nginx.conf.hbs
    path: ${DATA}/nginx.conf
    target: /etc/nginx/conf.d/default.conf
`,
});

function pass(): Promise<PassReport> {
  return runPass({
    manifestsDir: manifests,
    unitDir,
    stateDir,
    systemd,
    controller,
    configRoot: host.rootDir,
    generator: [hostGenerator(host)],
    pollMs: 100,
    allowEmpty: true,
  });
}

const onHost = (p: string): string => join(host.rootDir, p);
const secret = (name: string): string => readFileSync(join(stateDir, 'secrets', name), 'utf8');

async function invocation(): Promise<string> {
  return (await systemd.getUnitProperties('rc-cfg.service')).value.invocationId ?? '';
}

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  writeFileSync(join(manifests, 'rc-cfg.yaml'), MANIFEST);
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  controller = await createController({ systemd, stateDir, apps: [{ id: 'rc-cfg', name: 'rc-cfg', unit: 'rc-cfg.service' }] });
  controller.subscribe((e) => {
    if (e.status.id === 'rc-cfg' && seen[seen.length - 1] !== e.status.state) seen.push(e.status.state);
  });
});

afterAll(async () => {
  await controller.close();
  await systemd.stopUnit('rc-cfg.service').catch(() => undefined);
  rmSync(join(unitDir, 'rc-cfg.container'), { force: true });
  rmSync(onHost(DATA), { recursive: true, force: true });
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(work, { recursive: true, force: true });
});

describe('derived config files and phases on the real host', () => {
  it('renders configs with secrets generated once (0600), mounts them, and shows installing → running', async () => {
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([
      'write units/rc-cfg.container',
      `write config ${DATA}/bitcoin.conf`,
      `write config ${DATA}/nginx.conf`,
      // Its bind's source: podman does not make it, and a container whose bind source is missing does not start.
      `make directory ${DATA}/data`,
      'daemon-reload',
      'start rc-cfg.service',
    ]);
    expect(statSync(onHost(`${DATA}/data`)).isDirectory()).toBe(true);
    expect(seen).toContain('installing');
    expect(seen[seen.length - 1]).toBe('running');
    expect(seen.indexOf('installing')).toBeLessThan(seen.lastIndexOf('running'));

    const password = secret('bitcoin-rpc-password');
    const salt = secret('bitcoin-rpc-password.rpcauth-salt');
    expect(statSync(join(stateDir, 'secrets', 'bitcoin-rpc-password')).mode & 0o777).toBe(0o600);
    const conf = readFileSync(onHost(`${DATA}/bitcoin.conf`), 'utf8');
    expect(conf).toMatch(/^# Managed by archy-quadlet; do not edit\.\n/);
    expect(conf).toContain(`\nrpcauth=${rpcauth('archy', password, salt)}\n`);
    expect(conf).not.toContain(password);
    // The nginx config carries the credential itself: private. bitcoin.conf only its salted HMAC: readable.
    expect(readFileSync(onHost(`${DATA}/nginx.conf`), 'utf8')).toContain(`Basic ${basicAuth('archy', password)}`);
    expect(statSync(onHost(`${DATA}/nginx.conf`)).mode & 0o777).toBe(0o600);
    expect(statSync(onHost(`${DATA}/bitcoin.conf`)).mode & 0o777).toBe(0o644);
    // Never in a unit file.
    expect(readFileSync(join(unitDir, 'rc-cfg.container'), 'utf8')).not.toContain(password);
    // The container sees the file the pass wrote.
    expect(await host.execOk(['podman', 'exec', 'rc-cfg', 'cat', '/etc/bitcoin/bitcoin.conf'])).toBe(conf);
  });

  it('re-renders are byte-identical: the next pass has nothing to do', async () => {
    const r = await pass();
    expect(r.planned).toEqual([]);
    expect(readdirSync(join(stateDir, 'secrets')).sort()).toEqual(['bitcoin-rpc-password', 'bitcoin-rpc-password.rpcauth-salt']);
  });

  it('drift on disk is rewritten and the app restarted (updating)', async () => {
    const before = await invocation();
    const good = readFileSync(onHost(`${DATA}/bitcoin.conf`), 'utf8');
    writeFileSync(onHost(`${DATA}/bitcoin.conf`), 'rpcauth=edited-by-hand\n');
    seen.length = 0;
    const r = await pass();
    expect(r.done).toEqual([`write config ${DATA}/bitcoin.conf`, 'restart rc-cfg.service']);
    expect(readFileSync(onHost(`${DATA}/bitcoin.conf`), 'utf8')).toBe(good);
    expect(await invocation()).not.toBe(before);
    expect(seen).toContain('updating');
    expect(seen[seen.length - 1]).toBe('running');
  });

  it('removing the manifest removes its configs too (removing), secrets stay for a reinstall', async () => {
    rmSync(join(manifests, 'rc-cfg.yaml'));
    seen.length = 0;
    const r = await pass();
    expect(r.done).toEqual([
      'stop rc-cfg.service',
      'remove units/rc-cfg.container',
      `remove config ${DATA}/bitcoin.conf`,
      `remove config ${DATA}/nginx.conf`,
      'daemon-reload',
      'forget rc-cfg',
    ]);
    expect(seen).toContain('removing');
    expect(existsSync(onHost(`${DATA}/bitcoin.conf`))).toBe(false);
    expect(existsSync(join(stateDir, 'secrets', 'bitcoin-rpc-password'))).toBe(true);
  });

  it("an operator's own file at a config path: the app is held, the file untouched, no unit written", async () => {
    mkdirSync(onHost(DATA), { recursive: true });
    writeFileSync(onHost(`${DATA}/bitcoin.conf`), 'server=1\nrpcpassword=the-operators-own\n');
    writeFileSync(join(manifests, 'rc-cfg.yaml'), MANIFEST);
    const r = await pass();
    expect(r.held).toEqual([{ app: 'rc-cfg', reason: `config ${DATA}/bitcoin.conf exists and is not managed by archy-quadlet; move it away to install rc-cfg` }]);
    expect(r.done).toEqual([]);
    expect(readFileSync(onHost(`${DATA}/bitcoin.conf`), 'utf8')).toBe('server=1\nrpcpassword=the-operators-own\n');
    expect(existsSync(onHost(`${DATA}/nginx.conf`))).toBe(false);
    expect(existsSync(join(unitDir, 'rc-cfg.container'))).toBe(false);
    // Moved away as the reason says: the app is planned again (a dry run: this unit has just hit systemd's start limit).
    rmSync(onHost(`${DATA}/bitcoin.conf`));
    const again = await runPass({ manifestsDir: manifests, unitDir, stateDir, systemd, configRoot: host.rootDir, generator: [hostGenerator(host)], dryRun: true });
    expect(again.held).toEqual([]);
    expect(again.planned).toContain(`write config ${DATA}/bitcoin.conf`);
  });
});
