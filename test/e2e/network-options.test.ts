import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassReport } from '../../src/reconcile/pass.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { passOnHost, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

// Issue 17: a shared network with options, on the real host. One app gives the network its subnet, gateway, lease
// range, internal flag and an option; another app only names it. A pass creates it as podman network create does
// from the generator's line (podman network inspect shows each), both apps' containers get addresses from the lease
// range and reach each other by name, nothing routes out. The network unit belongs to no app: removing the app
// that gave the options leaves it (and the other app) running; removing the last app removes the unit. Options changed
// later do not reach the existing network or volume (podman creates each once): the pass reports the drift.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-network-options-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const [A, B, NET, V] = ['no-a', 'no-b', 'no-lan', 'no-vol'];
let h: HostController;

const sh = (script: string): string => `[sh, -c, ${JSON.stringify(script)}]`;
const definer = (subnet = '10.90.0.0/24', gateway = '10.90.0.1', range = '10.90.0.128/25'): string => `id: ${A}
image: ${BUSYBOX_IMAGE}
command: ${sh('trap "exit 0" TERM; mkdir -p /tmp/www; echo from-a > /tmp/www/index.html; httpd -f -p 8080 -h /tmp/www & while true; do sleep 1; done')}
networks:
  - name: ${NET}
    subnets:
      - subnet: ${subnet}
        gateway: ${gateway}
        ipRange: ${range}
    internal: true
    options:
      mtu: "1400"
`;
const joiner = `id: ${B}
image: ${BUSYBOX_IMAGE}
command: ${sh('trap "exit 0" TERM; while true; do sleep 1; done')}
networks: [${NET}]
`;

function pass(): Promise<PassReport> {
  return passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir });
}

interface Inspected {
  subnets: Array<{ subnet: string; gateway: string; lease_range?: { start_ip: string; end_ip: string } }>;
  internal: boolean;
  options?: Record<string, string>;
}
async function inspectNetwork(): Promise<Inspected> {
  return (JSON.parse(await host.execOk(['podman', 'network', 'inspect', NET])) as Inspected[])[0]!;
}
const address = async (container: string): Promise<string> =>
  (await host.execOk(['podman', 'inspect', '--format', `{{(index .NetworkSettings.Networks "${NET}").IPAddress}}`, container])).trim();
const active = async (unit: string): Promise<string> => (await host.exec(['systemctl', 'is-active', unit])).stdout.trim();

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  h = await controllerOnHost(host, [A, B, V], { stateDir });
});

afterAll(async () => {
  for (const id of [A, B, V]) rmSync(join(manifests, `${id}.yaml`), { force: true });
  await pass().catch(() => undefined);
  await host.exec(['podman', 'network', 'rm', '-f', NET]);
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a shared network with options, reconciled on the real host', () => {
  it('podman creates it with the subnet, gateway, lease range, internal flag and option; both apps are on it', async () => {
    writeFileSync(join(manifests, `${A}.yaml`), definer());
    writeFileSync(join(manifests, `${B}.yaml`), joiner);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual(expect.arrayContaining([`write units/${NET}.network`, `start ${A}.service`, `start ${B}.service`]));
    expect(readFileSync(join(unitDir, `${NET}.network`), 'utf8')).toContain(`source: manifests/${A}.yaml, manifests/${B}.yaml`);

    const net = await inspectNetwork();
    // A CIDR range leases from its first host address.
    expect(net.subnets).toEqual([{ subnet: '10.90.0.0/24', gateway: '10.90.0.1', lease_range: { start_ip: '10.90.0.129', end_ip: '10.90.0.255' }  }]);
    expect(net.internal).toBe(true);
    expect(net.options).toMatchObject({ mtu: '1400' });

    // Addresses from the lease range; b reaches a by its container name on the network.
    for (const c of [A, B]) {
      const ip = (await address(c)).split('.');
      expect([ip.slice(0, 3).join('.'), Number(ip[3]) >= 129 && Number(ip[3]) <= 254], c).toEqual(['10.90.0', true]);
    }
    expect(await host.execOk(['podman', 'exec', B, 'wget', '-q', '-O', '-', `http://${A}:8080/`])).toBe('from-a\n');
    // Internal: no default route in the container (the kernel's table: destination 00000000).
    const routes = await host.execOk(['podman', 'exec', B, 'cat', '/proc/net/route']);
    expect(routes.split('\n').slice(1).filter((l) => l.split(/\s+/)[1] === '00000000')).toEqual([]);
    expect(await host.execOk(['podman', 'exec', B, 'cat', '/sys/class/net/eth0/mtu'])).toBe('1400\n');
  });

  it('changed options are written, the existing network keeps its own (podman network create --ignore), and the pass says so', async () => {
    writeFileSync(join(manifests, `${A}.yaml`), definer('10.91.0.0/24', '10.91.0.1', '10.91.0.128/25'));
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toContain(`write units/${NET}.network`);
    expect(readFileSync(join(unitDir, `${NET}.network`), 'utf8')).toContain('Subnet=10.91.0.0/24\n');
    expect((await inspectNetwork()).subnets[0]!.subnet).toBe('10.90.0.0/24');
    // The pass after the write compares the unit with podman's network: the drift, with the commands that fix it.
    const again = await pass();
    expect(again.drift).toEqual([{
      kind: 'network', name: NET, unit: `${NET}.network`, apps: [A, B],
      differences: ['subnets: 10.91.0.0/24 wanted, the network has 10.90.0.0/24'],
      hint: `podman keeps a network as it was created; to apply the change: systemctl stop ${A}.service ${B}.service ${NET}-network.service; podman network rm ${NET}; systemctl start ${A}.service ${B}.service (the network is created anew with the unit's options)`,
    }]);
    // Following the hint gives the unit's network, and the drift is gone.
    await host.execOk(['systemctl', 'stop', `${A}.service`, `${B}.service`, `${NET}-network.service`]);
    await host.execOk(['podman', 'network', 'rm', NET]);
    await host.execOk(['systemctl', 'start', `${A}.service`, `${B}.service`]);
    expect((await inspectNetwork()).subnets[0]!.subnet).toBe('10.91.0.0/24');
    expect((await pass()).drift).toEqual([]);
  });

  it('a volume moved to other options: the existing volume keeps its own, the pass reports it and keeps its data', async () => {
    const vol = (opts: string) => `id: ${V}\nimage: ${BUSYBOX_IMAGE}\ncommand: ${sh('trap "exit 0" TERM; echo kept > /data/f; while true; do sleep 1; done')}\nvolumes:\n  - { name: data, target: /data${opts} }\n`;
    writeFileSync(join(manifests, `${V}.yaml`), vol(''));
    expect((await pass()).failures).toEqual([]);
    await until(`${V}.service active`, () => active(`${V}.service`), (s) => s === 'active');
    writeFileSync(join(manifests, `${V}.yaml`), vol(', type: tmpfs, device: tmpfs, options: "size=1m"'));
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.drift).toEqual([{
      kind: 'volume', name: `${V}-data`, unit: `${V}-data.volume`, apps: [V],
      differences: ['type: tmpfs wanted, the volume has none', 'device: tmpfs wanted, the volume has none', 'o: size=1m wanted, the volume has none'],
      hint: `podman keeps a volume as it was created; to apply the change, save its data, then systemctl stop ${V}.service ${V}-data-volume.service; podman volume rm ${V}-data; systemctl start ${V}.service (the pass does not remove a volume: it holds data)`,
    }]);
    expect(JSON.parse(await host.execOk(['podman', 'volume', 'inspect', '--format', 'json', `${V}-data`]))[0].Options).toEqual({});
    await until(`${V}.service active`, () => active(`${V}.service`), (s) => s === 'active');
    expect(await host.execOk(['podman', 'exec', V, 'cat', '/data/f'])).toBe('kept\n');
    // Following the hint: the volume is created anew with the unit's options, and the drift is gone.
    await host.execOk(['systemctl', 'stop', `${V}.service`, `${V}-data-volume.service`]);
    await host.execOk(['podman', 'volume', 'rm', `${V}-data`]);
    await host.execOk(['systemctl', 'start', `${V}.service`]);
    expect(JSON.parse(await host.execOk(['podman', 'volume', 'inspect', '--format', 'json', `${V}-data`]))[0].Options).toMatchObject({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    expect((await pass()).drift).toEqual([]);
    rmSync(join(manifests, `${V}.yaml`));
    expect((await pass()).failures).toEqual([]);
    await host.exec(['podman', 'volume', 'rm', '-f', `${V}-data`]);
  });

  it('removing the app that gave the options leaves the network and the other app; removing the last removes the unit', async () => {
    rmSync(join(manifests, `${A}.yaml`));
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual(expect.arrayContaining([`forget ${A}`, `write units/${NET}.network`]));
    await until(`${A}.service gone`, () => active(`${A}.service`), (s) => s !== 'active' && s !== 'deactivating');
    expect(readFileSync(join(unitDir, `${NET}.network`), 'utf8')).toContain(`source: manifests/${B}.yaml\n`);
    expect(await active(`${B}.service`)).toBe('active');
    expect((await inspectNetwork()).internal).toBe(true);

    rmSync(join(manifests, `${B}.yaml`));
    expect((await pass()).failures).toEqual([]);
    expect(readdirSync(unitDir).filter((n) => n.startsWith('no-'))).toEqual([]);
  });
});
