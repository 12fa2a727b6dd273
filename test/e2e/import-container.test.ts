// `archy-quadlet import container` on the real host, rootful and rootless: two containers made by hand with
// `podman run` by the manager's user — imp-btc (busybox httpd: a bind with data, a named volume with data, a published
// port, a restart policy, on its own network) and imp-web (nginx of the Debian-built image, serving a read-only bind on
// another port) — are imported through that user's podman (rootful: the host's, over `--podman`; rootless: the command
// line runs inside the host as the user with `--user`, whose podman is the user's), applied by a pass, and come up as
// units of the manager on the same data and the same ports. The unit's `podman run --name ID --replace` (Quadlet's)
// takes the old container's place: one container of that name is left, a new one, run by its unit, and the old one is
// gone, not running beside it. Rootful imports them by name, rootless with `--all` (every container of the user's).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { APPS_IMAGE, BUSYBOX_IMAGE, ensureAppsImage, useHost, type UserManager } from '../host/index.js';
import type { CliRun } from '../support/cli.js';
import { hostPodman } from '../support/host.js';
import { MANAGERS, nodeOf, type NodeUnderTest } from '../support/node.js';
import { until } from '../support/wait.js';

const host = useHost();
const APPS = ['imp-btc', 'imp-web'] as const;
/** The units a pass writes for the two apps: their containers, the app's volume, the shared network. */
const UNITS = ['imp-btc.container', 'imp-web.container', 'imp-btc-chain.volume', 'imp-legacy.network'];

/** Gives the user's podman store the Debian-built image: saved by root's podman, loaded by the user's. */
async function appsImageFor(node: NodeUnderTest): Promise<void> {
  await ensureAppsImage(host);
  if (node.manager === 'system' || (await node.exec(['podman', 'image', 'exists', APPS_IMAGE])).code === 0) return;
  const archive = '/var/tmp/imp-debian-apps.tar';
  try {
    await host.execOk(['sh', '-c', `podman save -o ${archive} ${APPS_IMAGE} && chmod 0644 ${archive}`], { timeoutMs: 600_000 });
    await node.execOk(['podman', 'load', '-i', archive], { timeoutMs: 600_000 });
  } finally {
    await host.exec(['rm', '-f', archive]);
  }
}

describe.each(MANAGERS)('import container on the host (%s manager): the apps come up on the same data and ports, replacing the old containers', (manager) => {
  let user: UserManager | undefined;
  let node: NodeUnderTest;
  let systemd: SystemdPort;
  /** The pass's own unit directory, the suite's directory and in it the catalog and the state directory. */
  let unitDir: string, work: string, manifests: string, stateDir: string;
  /** The options that give the command line the manager's podman: rootful, a wrapper that runs the host's inside it. */
  let podmanArgs: string[] = [];
  // Host ports ≥ 1024 (a user's container may not bind lower ones), the managers' apart.
  const BTC_PORT = manager === 'system' ? 18470 : 18472;
  const WEB_PORT = BTC_PORT + 1;
  /** The apps' data directory, the user's (a rootless node's set-up hands /var/lib/archipelago to its user). */
  const DATA = `/var/lib/archipelago/imp-${manager}`;
  const oldIds: Record<string, string> = {};

  const cli = (...args: string[]): Promise<CliRun> => node.cli({ stateDir, manifests, unitDir }, args);
  const importArgs = (...args: string[]): string[] => ['import', 'container', ...args, ...podmanArgs];
  const get = (port: number, path: string): Promise<string> => host.execOk(['busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${port}${path}`]);
  const serves = (port: number, path: string, text: string): Promise<string> =>
    until(`${path} on port ${port}`, () => get(port, path), (b) => b.includes(text), { retryErrors: true, timeoutMs: 60_000 });
  /** Every container of the manager named exactly `name`: `ID UNIT` lines (the unit of a container systemd runs). */
  const named = async (name: string): Promise<string[]> =>
    (await node.execOk(['podman', 'ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.ID}} {{index .Labels "PODMAN_SYSTEMD_UNIT"}}'])).split('\n').filter(Boolean);
  const written = (): string[] => (existsSync(manifests) ? readdirSync(manifests).sort() : []);
  const manifestPath = (id: string): string => node.inside(join(manifests, `${id}.yaml`));

  beforeAll(async () => {
    ({ node, user } = await nodeOf(host, manager));
    [unitDir, work] = [await node.runUnitDir(), node.tempDir('archy-import-container-')];
    [manifests, stateDir] = [join(work, 'manifests'), join(work, 'state')];
    mkdirSync(manifests);
    await node.handOver(manifests);
    if (manager === 'system') {
      // `--podman` names one command: a wrapper that runs the host's podman inside it.
      const wrapper = join(work, 'podman');
      writeFileSync(wrapper, `#!/bin/sh\nexec ${hostPodman(host).join(' ')} "$@"\n`);
      chmodSync(wrapper, 0o755);
      podmanArgs = ['--podman', wrapper];
    }
    systemd = createSystemd({ address: node.busAddress });
    await systemd.ready();
    await appsImageFor(node);
    const owner = String(user?.user.uid ?? 0);
    await host.execOk(['install', '-d', '-o', owner, '-g', owner, DATA]);
    await node.execOk([
      'sh', '-c',
      [
        `mkdir -p ${DATA}/btc ${DATA}/www && echo served-from-the-bind > ${DATA}/btc/marker && echo nginx-from-the-bind > ${DATA}/www/index.html && chmod -R a+rX ${DATA}`,
        'podman network create --ignore imp-legacy',
        'podman volume create --ignore imp-btc-chain',
        `podman run --rm -v imp-btc-chain:/v ${BUSYBOX_IMAGE} sh -c "echo chain-data > /v/blocks"`,
        `podman run -d --name imp-btc --network imp-legacy --restart=always -v ${DATA}/btc:/data -v imp-btc-chain:/chain -p 127.0.0.1:${BTC_PORT}:8080 -e GREETING=hello --stop-timeout 3 ${BUSYBOX_IMAGE} httpd -f -p 8080 -h /data`,
        `podman run -d --name imp-web -v ${DATA}/www:/var/www/html:ro -p 127.0.0.1:${WEB_PORT}:80 ${APPS_IMAGE} nginx -g "daemon off;"`,
      ].join(' && '),
    ], { timeoutMs: 180_000 });
  });

  afterAll(async () => {
    for (const app of APPS) await systemd?.stopUnit(`${app}.service`).catch(() => undefined);
    for (const f of UNITS) rmSync(join(unitDir, f), { force: true });
    await systemd?.reload().catch(() => undefined);
    await systemd?.close();
    await node?.exec(['sh', '-c', 'podman rm -f imp-btc imp-web; podman volume rm -f imp-btc-chain; podman network rm -f imp-legacy']);
    await host.exec(['rm', '-rf', DATA]);
    await user?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('the containers made by podman run serve their binds on their ports', async () => {
    for (const app of APPS) {
      const before = await named(app);
      expect(before).toHaveLength(1);
      oldIds[app] = before[0]!.split(' ')[0]!;
    }
    expect(await serves(BTC_PORT, '/marker', 'served-from-the-bind')).toContain('served-from-the-bind');
    expect(await serves(WEB_PORT, '/', 'nginx-from-the-bind')).toContain('nginx-from-the-bind');
  });

  it('--dry-run prints the manifest and writes nothing', async () => {
    const r = await node.cli({ stateDir, manifests }, importArgs('imp-btc', '--dry-run'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith(`# ${manifestPath('imp-btc')}\n`)).toBe(true);
    expect(r.stdout).toContain('image: localhost/busybox:latest');
    expect(written()).toEqual([]);
  });

  it(`imports both through the ${manager} podman (${manager === 'system' ? 'by name' : '--all'}): the binds, the volume as the app's, the ports, network, restart and environment`, async () => {
    const r = await node.cli({ stateDir, manifests }, importArgs(...(manager === 'system' ? APPS : ['--all'])));
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('note: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(APPS.map((app) => `wrote ${manifestPath(app)} (from podman inspect ${app})`));
    expect(written()).toEqual(APPS.map((app) => `${app}.yaml`));
    const btc = readFileSync(join(manifests, 'imp-btc.yaml'), 'utf8');
    for (const part of [`image: ${BUSYBOX_IMAGE}`, 'GREETING: hello', `  - source: ${DATA}/btc\n    target: /data`, '  - name: chain\n    target: /chain', `  - container: 8080\n    host: ${BTC_PORT}\n    hostIp: 127.0.0.1`, 'networks:\n  - imp-legacy', 'restart: always']) expect(btc).toContain(part);
    expect(btc).not.toMatch(/HOSTNAME|container: podman|PATH/);
    const web = readFileSync(join(manifests, 'imp-web.yaml'), 'utf8');
    for (const part of [`image: ${APPS_IMAGE}`, '  - nginx\n  - -g\n  - daemon off;', `  - source: ${DATA}/www\n    target: /var/www/html\n    readOnly: true`, `  - container: 80\n    host: ${WEB_PORT}\n    hostIp: 127.0.0.1`]) expect(web).toContain(part);
    // The user's default network (pasta rootless) is no network of the manifest's.
    expect(web).not.toMatch(/networks:|pasta|PATH/);
  });

  it("apply replaces each old container with its unit's: one container of that name, a new one, run by systemd", async () => {
    const r = await cli('apply');
    expect(r.code, r.stderr).toBe(0);
    for (const app of APPS) {
      expect(r.stderr).toContain(`start ${app}.service`);
      const after = await until(`${app}'s unit's container`, () => named(app), (l) => l.length === 1 && l[0]!.endsWith(` ${app}.service`), { timeoutMs: 60_000 });
      expect(after[0]!.split(' ')[0]).not.toBe(oldIds[app]);
      expect(await node.exec(['podman', 'container', 'exists', oldIds[app]!]).then((x) => x.code)).toBe(1);
      expect((await systemd.getUnitProperties(`${app}.service`)).value.activeState).toBe('active');
    }
  });

  it('on the same data and ports: the binds are served on the same addresses, the volume\'s data is there', async () => {
    expect(await serves(BTC_PORT, '/marker', 'served-from-the-bind')).toContain('served-from-the-bind');
    expect(await serves(WEB_PORT, '/', 'nginx-from-the-bind')).toContain('nginx-from-the-bind');
    expect((await node.execOk(['podman', 'exec', 'imp-btc', 'cat', '/chain/blocks'])).trim()).toBe('chain-data');
    expect((await node.execOk(['podman', 'volume', 'ls', '--format', '{{.Name}}'])).split('\n')).toContain('imp-btc-chain');
    expect((await node.execOk(['podman', 'exec', 'imp-btc', 'sh', '-c', 'echo $GREETING'])).trim()).toBe('hello');
  });

  it('--all leaves the containers of units alone: neither is imported again', async () => {
    const r = await node.cli({ stateDir, manifests }, importArgs('--all', '--dry-run'));
    for (const app of APPS) expect(r.stderr).toContain(`container ${app}: left alone: run by the systemd unit ${app}.service`);
    expect(r.stdout).not.toMatch(/imp-btc\.yaml|imp-web\.yaml/);
  });
});
