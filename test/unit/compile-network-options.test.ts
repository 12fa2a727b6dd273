// Shared networks with options (issue 17, "What users need and cannot express"): a subnet, a gateway, IPv6, internal,
// a driver and its options are rendered into the .network unit, podman 5.4.2's generator turns them into
// podman network create's arguments, and what podman refuses when the network is created is refused at the field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { overlaps } from '../../src/compile/network-options.js';
import { loadManifests } from '../../src/manifest/load.js';
import type { Manifest, NetworkSpec } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import { dryRunFiles } from '../support/quadlet.js';
import { execCommands, keyValues } from '../support/systemd-exec.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';
const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };

/** validate's path: YAML → schema and checks → compile; every problem as `file pointer: message`. */
function validate(manifests: Manifest[]) {
  const loaded = loadManifests(manifests.map((m) => ({ file: `manifests/${m.id}.yaml`, text: JSON.stringify(m) })), { templates: [] });
  const result = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
  return { units: result.units, problems: [...loaded.problems, ...result.problems].map((p) => `${p.file} ${p.pointer}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`) };
}

const app = (id: string, net: NetworkSpec | string): Manifest => ({ id, image: IMAGE, networks: [net] });

describe('a shared network with options', () => {
  it('renders Subnet=/Gateway=/IPRange= in order, IPv6=, Internal=, DNS=, Options=, and podman network create gets them', () => {
    const lan: NetworkSpec = {
      name: 'lan',
      subnets: [{ subnet: '10.90.0.0/24', gateway: '10.90.0.1', ipRange: '10.90.0.128/25' }, { subnet: 'fd00:90::/64', gateway: 'fd00:90::1' }],
      ipv6: true,
      internal: true,
      dns: ['10.90.0.1'],
      options: { mtu: '1400', isolate: 'true' },
    };
    const { units, problems } = validate([app('a', lan), app('b', 'lan')]);
    expect(problems).toEqual([]);
    const files = renderUnits(units, templates);
    const unit = files.find((f) => f.name === 'lan.network')!;
    expect(unit.sources).toEqual(['manifests/a.yaml', 'manifests/b.yaml']);
    expect(unit.content).toContain(
      '[Network]\nNetworkName=lan\nSubnet=10.90.0.0/24\nSubnet=fd00:90::/64\nGateway=10.90.0.1\nGateway=fd00:90::1\nIPRange=10.90.0.128/25\nIPv6=true\nInternal=true\nDNS=10.90.0.1\nOptions=isolate=true\nOptions=mtu=1400\n',
    );
    const run = dryRunFiles(files);
    expect(run.complaints).toEqual([]);
    const create = execCommands(keyValues(run.services.get('lan-network.service')!, 'ExecStart')[0]!);
    if (!create.ok) throw new Error(create.message);
    expect(create.value).toHaveLength(1);
    // The generator keeps the flags and driver options in maps: their order differs from run to run.
    const argv = create.value[0]!;
    const opts = argv.flatMap((w, i) => (argv[i - 1] === '--opt' ? [w] : []));
    expect(opts.sort()).toEqual(['isolate=true', 'mtu=1400']);
    expect(argv.filter((w) => w === '--internal' || w === '--ipv6').sort()).toEqual(['--internal', '--ipv6']);
    expect(argv.filter((w, i) => !['--opt', '--internal', '--ipv6'].includes(w) && argv[i - 1] !== '--opt')).toEqual([
      '/usr/bin/podman', 'network', 'create', '--ignore', '--dns', '10.90.0.1',
      '--subnet', '10.90.0.0/24', '--gateway', '10.90.0.1', '--ip-range', '10.90.0.128/25', '--subnet', 'fd00:90::/64', '--gateway', 'fd00:90::1', 'lan',
    ]);
    // Both apps' containers join it by name.
    for (const id of ['a', 'b']) expect(files.find((f) => f.name === `${id}.container`)!.content).toContain('Network=lan.network\n');
  });

  it('an app that only names the network takes the options another app gives; two that give options give the same ones', () => {
    expect(validate([app('a', { name: 'lan', internal: true }), app('b', { name: 'lan', internal: true })]).problems).toEqual([]);
    expect(validate([app('a', { name: 'lan', internal: true }), app('b', { name: 'lan' })]).problems).toEqual([
      'manifests/b.yaml /networks/0: network lan is defined with other options at manifests/a.yaml /networks/0 (give it the same options everywhere, or name it alone (networks: [name]) where another app defines it)',
    ]);
  });

  it('refuses, at the field, what podman network create refuses (each shown with podman 5.4.2 on the test host)', () => {
    const cases: Array<[NetworkSpec, string]> = [
      [{ name: 'n', subnets: [{ subnet: '10.97.0.0/33' }] }, '/networks/0/subnets/0/subnet: "10.97.0.0/33" is not a subnet in CIDR notation (e.g. 10.60.0.0/24 or fd00:60::/64)'],
      [{ name: 'n', subnets: [{ subnet: '10.92.0.0/24', gateway: '10.93.0.1' }] }, '/networks/0/subnets/0/gateway: gateway 10.93.0.1 is not in subnet 10.92.0.0/24 (an address of 10.92.0.0/24, or leave it out for the subnet\'s first address)'],
      [{ name: 'n', subnets: [{ subnet: '10.92.0.0/24', gateway: 'fd00::1' }] }, '/networks/0/subnets/0/gateway: gateway fd00::1 is not in subnet 10.92.0.0/24 (an address of 10.92.0.0/24, or leave it out for the subnet\'s first address)'],
      [{ name: 'n', subnets: [{ subnet: '10.98.0.0/24', ipRange: '10.99.0.0/25' }] }, '/networks/0/subnets/0/ipRange: lease range 10.99.0.0/25 is not in subnet 10.98.0.0/24 (a part of 10.98.0.0/24, as a CIDR or first-last)'],
      [{ name: 'n', subnets: [{ subnet: '10.98.0.0/24', ipRange: '10.98.0.200-10.98.0.100' }] }, '/networks/0/subnets/0/ipRange: lease range 10.98.0.200-10.98.0.100 ends before it starts (a part of 10.98.0.0/24, as a CIDR or first-last)'],
      [{ name: 'n', subnets: [{ subnet: '10.88.5.0/24' }] }, "/networks/0/subnets/0/subnet: subnet 10.88.5.0/24 overlaps podman's default network (10.88.0.0/16), which podman refuses (choose a subnet outside 10.88.0.0/16, e.g. 10.60.0.0/24)"],
      [{ name: 'n', subnets: [{ subnet: '10.90.0.0/24' }, { subnet: '10.90.0.0/25' }] }, '/networks/0/subnets/1/subnet: subnet 10.90.0.0/25 overlaps subnet 0 of this network (10.90.0.0/24) (give each subnet its own addresses)'],
      [{ name: 'n', subnets: [{ subnet: '10.90.0.0/24' }, { subnet: '10.91.0.0/24', gateway: '10.91.0.1' }] }, '/networks/0/subnets/1/gateway: podman pairs the n-th gateway with the n-th subnet, and subnet 0 has none (give subnet 0 a gateway too, or list this subnet first)'],
      [{ name: 'n', subnets: [{ subnet: 'fd00:94::/64' }], ipv6: false }, '/networks/0/ipv6: an IPv6 subnet turns IPv6 on for the network (podman enables it), so ipv6: false cannot hold (remove ipv6: false, or the IPv6 subnet)'],
      [{ name: 'n', driver: 'ipvlan' }, '/networks/0: an ipvlan network needs a subnet (podman has no address management for it otherwise) (add subnets: [{ subnet: … }])'],
      [{ name: 'n', options: { parent: 'eth0' } }, '/networks/0/options/parent: the bridge driver has no option "parent" (podman refuses it) (bridge options: mtu, vlan, isolate, metric, no_default_route, vrf, mode, com.docker.network.bridge.name)'],
      [{ name: 'n', driver: 'macvlan', options: { isolate: 'true' } }, '/networks/0/options/isolate: the macvlan driver has no option "isolate" (podman refuses it) (macvlan options: mtu, metric, no_default_route, mode, parent, bclim)'],
      [{ name: 'n', options: { mtu: 'abc' } }, '/networks/0/options/mtu: mtu is a whole number, not "abc" (e.g. mtu: "1400")'],
      [{ name: 'n', dns: ['resolver.lan'] }, '/networks/0/dns/0: "resolver.lan" is not an IP address (a DNS server by its address, e.g. 192.168.1.1)'],
    ];
    for (const [spec, problem] of cases) expect(validate([app('a', spec)]).problems, JSON.stringify(spec)).toEqual([`manifests/a.yaml ${problem}`]);
  });

  it('accepts what podman accepts: host bits in a subnet, an IPv6 subnet without ipv6, a first-last lease range, a macvlan parent', () => {
    for (const spec of [
      { name: 'n', subnets: [{ subnet: '10.91.0.1/24' }] },
      { name: 'n', subnets: [{ subnet: 'fd00:94::/64' }] },
      { name: 'n', subnets: [{ subnet: '10.104.0.0/24', ipRange: '10.104.0.128-10.104.0.200' }] },
      { name: 'n', driver: 'macvlan', options: { parent: 'eth0', mode: 'bridge' } },
    ] satisfies NetworkSpec[]) {
      expect(validate([app('a', spec)]).problems, JSON.stringify(spec)).toEqual([]);
    }
  });

  it('two networks of the catalog keep their subnets apart (podman refuses the second)', () => {
    expect(validate([app('a', { name: 'one', subnets: [{ subnet: '10.90.0.0/16' }] }), app('b', { name: 'two', subnets: [{ subnet: '10.90.5.0/24' }] })]).problems).toEqual([
      'manifests/b.yaml /networks/0/subnets/0/subnet: subnet 10.90.5.0/24 overlaps 10.90.0.0/16 of network one, which podman refuses (give each network its own subnet)',
    ]);
    expect(overlaps('fd00:90::/64', 'fd00:90::/48')).toBe(true);
    expect(overlaps('fd00:90::/64', 'fd00:91::/64')).toBe(false);
    expect(overlaps('10.90.0.0/24', 'fd00::/8')).toBe(false);
  });

  it('an unknown field or driver is refused by the schema', () => {
    expect(validate([app('a', { name: 'n', subnet: '10.90.0.0/24' } as unknown as NetworkSpec)]).problems.join('\n')).toMatch(/networks\/0.*subnet/);
    expect(validate([app('a', { name: 'n', driver: 'overlay' } as unknown as NetworkSpec)]).problems.join('\n')).toMatch(/networks\/0/);
  });
});
