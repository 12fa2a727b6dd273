// `archy-quadlet import container` on the real host: a container made by hand with `podman run` (a bind with data, a
// named volume with data, a published port, a restart policy, on its own network) is imported through the host's
// podman, applied by a pass, and comes up as a systemd unit on the same data and the same port. The unit's
// `podman run --name imp-btc --replace` (Quadlet's) takes the old container's place: one container of that name is
// left, a new one, run by imp-btc.service, and the old one is gone, not running beside it.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemd } from '../../src/systemd/client.js';
import { useHost } from '../host/index.js';
import { hostCli, runCli } from '../support/cli.js';
import { hostPodman, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-import-container-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const podman = join(work, 'podman');
const PORT = 18480;

const sh = (script: string): Promise<string> => host.execOk(['sh', '-c', script]);
const get = (path: string): Promise<string> => host.execOk(['busybox', 'wget', '-q', '-O', '-', `http://127.0.0.1:${PORT}${path}`]);
/** Every container named exactly `name`: `ID LABEL` lines. */
const named = async (name: string): Promise<string[]> =>
  (await host.execOk(['podman', 'ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.ID}} {{index .Labels "PODMAN_SYSTEMD_UNIT"}}'])).split('\n').filter(Boolean);

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  // `--podman` names one command: a wrapper that runs the host's podman inside it.
  writeFileSync(podman, `#!/bin/sh\nexec ${hostPodman(host).join(' ')} "$@"\n`);
  chmodSync(podman, 0o755);
  await sh(
    [
      'podman network create --ignore imp-legacy',
      'podman volume create --ignore imp-btc-chain',
      'podman run --rm -v imp-btc-chain:/v localhost/busybox:latest sh -c "echo chain-data > /v/blocks"',
      'mkdir -p /srv/imp-btc && echo served-from-the-bind > /srv/imp-btc/marker',
      `podman run -d --name imp-btc --network imp-legacy --restart=always -v /srv/imp-btc:/data -v imp-btc-chain:/chain -p 127.0.0.1:${PORT}:8080 -e GREETING=hello --stop-timeout 3 localhost/busybox:latest httpd -f -p 8080 -h /data`,
    ].join(' && '),
  );
});

afterAll(async () => {
  const systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  await systemd.stopUnit('imp-btc.service').catch(() => undefined);
  for (const f of ['imp-btc.container', 'imp-btc-chain.volume', 'imp-legacy.network']) rmSync(join(unitDir, f), { force: true });
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  await sh('podman rm -f imp-btc; podman volume rm -f imp-btc-chain; podman network rm -f imp-legacy; rm -rf /srv/imp-btc').catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('import container on the host: the app comes up on the same data and port, replacing the old container', () => {
  let oldId = '';

  it('the container made by podman run serves its bind on its port', async () => {
    const before = await named('imp-btc');
    expect(before).toHaveLength(1);
    oldId = before[0]!.split(' ')[0]!;
    expect(await until('the old container to serve', () => get('/marker'), (b) => b.includes('served-from-the-bind'), { retryErrors: true, timeoutMs: 30_000 })).toContain('served-from-the-bind');
  });

  it('imports it through the host\'s podman: its bind, its volume as the app\'s, its port, network, restart and environment', async () => {
    const r = await runCli(['import', 'container', 'imp-btc', '--podman', podman, '--out', manifests]);
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('note: '))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${join(manifests, 'imp-btc.yaml')} (from podman inspect imp-btc)\n`);
    const text = readFileSync(join(manifests, 'imp-btc.yaml'), 'utf8');
    for (const part of ['image: localhost/busybox:latest', 'GREETING: hello', '  - source: /srv/imp-btc\n    target: /data', '  - name: chain\n    target: /chain', `  - container: 8080\n    host: ${PORT}\n    hostIp: 127.0.0.1`, 'networks:\n  - imp-legacy', 'restart: always']) expect(text).toContain(part);
    expect(text).not.toMatch(/HOSTNAME|container: podman|PATH/);
  });

  it('apply replaces the old container with the unit\'s: one container of that name, a new one, run by systemd', async () => {
    const r = await hostCli(host, { stateDir, manifests, unitDir }, ['apply']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('start imp-btc.service');
    const after = await until('the unit\'s container', () => named('imp-btc'), (l) => l.length === 1 && l[0]!.endsWith(' imp-btc.service'), { timeoutMs: 60_000 });
    expect(after).toHaveLength(1);
    expect(after[0]!.split(' ')[0]).not.toBe(oldId);
    expect(await host.exec(['podman', 'container', 'exists', oldId]).then((x) => x.code)).toBe(1);
    expect((await sh('systemctl is-active imp-btc.service')).trim()).toBe('active');
  });

  it('on the same data and port: the bind is served on the same address, the volume\'s data is there', async () => {
    expect(await until('the app to serve', () => get('/marker'), (b) => b.includes('served-from-the-bind'), { retryErrors: true, timeoutMs: 30_000 })).toContain('served-from-the-bind');
    expect((await host.execOk(['podman', 'exec', 'imp-btc', 'cat', '/chain/blocks'])).trim()).toBe('chain-data');
    expect((await host.execOk(['podman', 'volume', 'ls', '--format', '{{.Name}}'])).split('\n')).toContain('imp-btc-chain');
    expect((await host.execOk(['podman', 'exec', 'imp-btc', 'sh', '-c', 'echo $GREETING'])).trim()).toBe('hello');
  });
});
