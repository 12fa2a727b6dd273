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
// that gave the options leaves it (and the other app) running; removing the last app removes the unit.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-network-options-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const [A, B, NET] = ['no-a', 'no-b', 'no-lan'];
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
  h = await controllerOnHost(host, [A, B], { stateDir });
});

afterAll(async () => {
  for (const id of [A, B]) rmSync(join(manifests, `${id}.yaml`), { force: true });
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

  it('changed options are written, and the existing network keeps its own (podman network create --ignore)', async () => {
    writeFileSync(join(manifests, `${A}.yaml`), definer('10.91.0.0/24', '10.91.0.1', '10.91.0.128/25'));
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toContain(`write units/${NET}.network`);
    expect(readFileSync(join(unitDir, `${NET}.network`), 'utf8')).toContain('Subnet=10.91.0.0/24\n');
    expect((await inspectNetwork()).subnets[0]!.subnet).toBe('10.90.0.0/24');
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
