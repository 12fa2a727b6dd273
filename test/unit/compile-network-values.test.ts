// Network option values, subnets and names podman 5.4.2 (and netavark 1.14) refuse, at network create or at the
// first container's start, refused at validate with the pointer and a hint; subnets in podman's automatic pool warned.
// Every value here was tried on the test host with `podman network create --opt …` and `podman run --network …`.
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { loadManifests } from '../../src/manifest/load.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';

/** validate's path for one app `a` with `yaml` after its image: problems and warnings as `pointer: message (hint)`. */
function validate(yaml: string) {
  const loaded = loadManifests([{ file: 'manifests/a.yaml', text: `id: a\nimage: ${IMAGE}\n${yaml}` }], { templates: [] });
  const result = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
  const show = (p: { pointer?: string; message: string; hint?: string }) => `${p.pointer}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`;
  return { problems: [...loaded.problems, ...result.problems].map(show), warnings: result.warnings.map(show) };
}

const net = (body: string) => validate(`networks:\n  - name: lan\n${body}`);
const opt = (driver: string, name: string, value: string) => net(`    driver: ${driver}\n    subnets: [{ subnet: 10.60.0.0/24 }]\n    options: { ${JSON.stringify(name)}: ${JSON.stringify(value)} }\n`).problems;

describe('option values', () => {
  it.each([
    ['bridge', 'mode', 'l2', '/networks/0/options/mode: the bridge driver has no mode "l2" (podman refuses it) (bridge modes: managed, unmanaged)'],
    ['macvlan', 'mode', 'source', '/networks/0/options/mode: the macvlan driver has no mode "source" (podman refuses it) (macvlan modes: bridge, private, vepa, passthru)'],
    ['ipvlan', 'mode', 'bad', '/networks/0/options/mode: the ipvlan driver has no mode "bad" (podman refuses it) (ipvlan modes: l2, l3, l3s)'],
    ['bridge', 'isolate', 'maybe', '/networks/0/options/isolate: isolate is true, false or strict, not "maybe" (podman refuses it) (e.g. isolate: "true")'],
    ['macvlan', 'no_default_route', 'x', '/networks/0/options/no_default_route: no_default_route is true or false, not "x" (podman refuses it) (e.g. no_default_route: "true")'],
    ['bridge', 'vlan', '4095', '/networks/0/options/vlan: vlan 4095 is not a VLAN ID: podman takes 0–4094 (a VLAN ID from 0 to 4094)'],
    ['bridge', 'metric', '99999999999', '/networks/0/options/metric: metric 99999999999 is past 32 bits (podman refuses it) (at most 4294967295)'],
    ['bridge', 'mtu', '67', '/networks/0/options/mtu: mtu 67 is out of range: the network\'s first container fails to start (netavark cannot create the bridge) (an MTU from 68 to 65535, or leave it out for the default)'],
    ['bridge', 'mtu', '65536', '/networks/0/options/mtu: mtu 65536 is out of range: the network\'s first container fails to start (netavark cannot create the bridge) (an MTU from 68 to 65535, or leave it out for the default)'],
    ['bridge', 'com.docker.network.bridge.name', 'abcdefghijklmnop', '/networks/0/options/com.docker.network.bridge.name: bridge name "abcdefghijklmnop" is longer than an interface name may be (15 bytes): the network\'s first container fails to start (a name of at most 15 characters, e.g. br-lan)'],
  ])('%s %s=%s is refused', (driver, name, value, problem) => {
    expect(opt(driver, name, value)).toEqual([problem]);
  });

  it.each([
    ['bridge', 'mode', 'managed'], ['bridge', 'mode', 'unmanaged'], ['macvlan', 'mode', 'passthru'], ['ipvlan', 'mode', 'l3s'],
    ['bridge', 'isolate', 'strict'], ['bridge', 'isolate', 'true'], ['bridge', 'no_default_route', '1'], ['bridge', 'vlan', '4094'], ['bridge', 'vlan', '0'],
    ['bridge', 'mtu', '0'], ['bridge', 'mtu', '68'], ['bridge', 'mtu', '65535'], ['bridge', 'com.docker.network.bridge.name', 'abcdefghijklmno'], ['bridge', 'vrf', 'nosuch'],
  ])('%s %s=%s passes (podman took it on the test host; vrf and unmanaged name things of the node, checked when the network is set up)', (driver, name, value) => {
    expect(opt(driver, name, value)).toEqual([]);
  });
});

describe('subnets and gateways with no address for a container', () => {
  it.each(['10.60.0.0/31', '10.60.0.0/32', 'fd00:60::/127', 'fd00:60::/128'])('%s is refused at its subnet', (subnet) => {
    const problems = net(`    subnets: [{ subnet: ${JSON.stringify(subnet)} }]\n`).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^\/networks\/0\/subnets\/0\/subnet: a \/1?\d+ subnet leaves no address for a container/);
  });

  it('a gateway on the broadcast address is refused; on the network address (podman runs it) it passes; /30 and /126 pass', () => {
    expect(net('    subnets: [{ subnet: 10.60.0.0/24, gateway: 10.60.0.255 }]\n').problems).toEqual([
      "/networks/0/subnets/0/gateway: gateway 10.60.0.255 is the subnet's broadcast address: no route can go through it, and the first container fails to start (leave gateway out for the subnet's first address)",
    ]);
    expect(net('    subnets: [{ subnet: 10.60.0.0/24, gateway: 10.60.0.0 }, { subnet: "fd00:60::/64", gateway: "fd00:60::" }]\n').problems).toEqual([]);
    expect(net('    subnets: [{ subnet: 10.60.0.0/30 }, { subnet: "fd00:60::/126" }]\n').problems).toEqual([]);
  });
});

describe("podman's automatic subnet pool (the built-in default_subnet_pools of podman 5.4.2)", () => {
  it('a subnet in the pool is warned, one outside is not', () => {
    expect(net('    subnets: [{ subnet: 10.89.3.0/24 }]\n')).toEqual({
      problems: [],
      warnings: ["/networks/0/subnets/0/subnet: subnet 10.89.3.0/24 is in podman's automatic pool 10.89.0.0/16: a network created without a subnet takes the first free /24 there, so one created before this one may already hold it (choose one below 10.88.0.0 (e.g. 10.60.0.0/24), in 172.16.0.0/12 or in 192.168.0.0/16)"],
    });
    for (const inPool of ['10.90.0.0/24', '10.95.1.0/24', '10.100.0.0/16', '10.200.0.0/24']) expect(net(`    subnets: [{ subnet: ${inPool} }]\n`).warnings).toHaveLength(1);
    for (const outside of ['10.60.0.0/24', '10.87.0.0/24', '172.20.0.0/16', '192.168.50.0/24', 'fd00:60::/64']) expect(net(`    subnets: [{ subnet: ${JSON.stringify(outside)} }]\n`).warnings).toEqual([]);
  });
});

describe('names podman keeps for network modes', () => {
  it.each(['bridge', 'host', 'none', 'private', 'default', 'pasta', 'slirp4netns'])('%s is refused as a network name, named or with options', (name) => {
    const message = `"${name}" is a podman network mode, which podman refuses as a network's name ("conflicts with a valid network mode") (give the network another name)`;
    expect(validate(`networks: [${name}]\n`).problems).toEqual([`/networks/0: ${message}`]);
    expect(validate(`networks: [{ name: ${name}, internal: true }]\n`).problems).toEqual([`/networks/0/name: ${message}`]);
  });

  it('an app of several containers is its own network: an id that is a mode is refused', () => {
    const loaded = loadManifests([{ file: 'manifests/host.yaml', text: `id: host\ncontainers:\n  a: { image: ${IMAGE} }\n` }], { templates: [] });
    expect(loaded.problems.map((p) => `${p.pointer}: ${p.message}`)).toEqual(['/id: an app of several containers has its own network named after it: "host" is a podman network mode, which podman refuses as a network\'s name ("conflicts with a valid network mode")']);
    expect(loadManifests([{ file: 'manifests/host.yaml', text: `id: host\nimage: ${IMAGE}\n` }], { templates: [] }).problems).toEqual([]);
  });
});
