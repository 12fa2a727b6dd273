/**
 * A shared network's options → its `[Network]` (issue 17: "a network with a subnet, gateway, IPv6, internal").
 * Checks what podman 5.4.2's `podman network create` refuses when the network's service runs, so `validate` says it
 * at the field instead (each refusal below was shown with podman 5.4.2 on the test host):
 * - a subnet that is no CIDR (`invalid CIDR address`), a gateway or lease range outside its subnet (`gateway … not in
 *   subnet …`, `lease range start ip … not in subnet …`);
 * - a subnet overlapping podman's default network 10.88.0.0/16 or another network of the catalog (`subnet … is
 *   already used on the host or by another config`);
 * - a driver option the driver does not know (`unsupported bridge network option parent`), a number that is none
 *   (`strconv.Atoi`), `ipvlan` without a subnet (`ipam driver dhcp is not supported with ipvlan`).
 * Podman pairs the n-th `Gateway=` and `IPRange=` with the n-th `Subnet=`, so a subnet's gateway needs one on every
 * subnet before it. An IPv6 subnet turns IPv6 on by itself, so `ipv6: false` beside one is a contradiction.
 * Pure: no IO.
 */
import ipaddr from 'ipaddr.js';
import type { NetworkSpec } from '../manifest/types.js';
import type { NetworkSection } from './model.js';
import { pointerToken, type ManifestContext } from './context.js';

/** Podman's default network (`podman`), whose subnet no other network may overlap. */
export const PODMAN_DEFAULT_SUBNET = '10.88.0.0/16';

/** Driver options netavark 5.4.2 accepts, per driver (the rest it refuses); numbers are parsed as integers. */
const DRIVER_OPTIONS: Record<NonNullable<NetworkSpec['driver']>, readonly string[]> = {
  bridge: ['mtu', 'vlan', 'isolate', 'metric', 'no_default_route', 'vrf', 'mode', 'com.docker.network.bridge.name'],
  macvlan: ['mtu', 'metric', 'no_default_route', 'mode', 'parent', 'bclim'],
  ipvlan: ['mtu', 'metric', 'no_default_route', 'mode', 'parent'],
};
const NUMERIC_OPTIONS = new Set(['mtu', 'vlan', 'metric', 'bclim']);

/**
 * What each option's value may be, as podman 5.4.2 and netavark 1.14 take it (each shown on the test host):
 * `podman network create` refuses another `mode` ("unknown bridge mode \"l2\"", "unknown macvlan mode
 * \"source\""), a non-boolean `isolate`/`no_default_route` (strconv.ParseBool; `isolate` also takes `strict`), a
 * `vlan` outside 0–4094 ("vlan ID 4095 must be between 0 and 4094") and a `metric` past 32 bits; netavark refuses at
 * the first container's start an `mtu` outside 68–65535 (0 is its default; "create bridge: … Invalid argument") and a
 * bridge name past the kernel's 15 bytes (IFNAMSIZ; "Numerical result out of range"). Returns a problem's message
 * and hint, or undefined.
 */
function optionValueProblem(driver: string, name: string, value: string): [string, string] | undefined {
  const modes: Record<string, readonly string[]> = { bridge: ['managed', 'unmanaged'], macvlan: ['bridge', 'private', 'vepa', 'passthru'], ipvlan: ['l2', 'l3', 'l3s'] };
  const bools = ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'];
  const n = Number(value);
  if (name === 'mode' && modes[driver] && !modes[driver].includes(value)) return [`the ${driver} driver has no mode "${value}" (podman refuses it)`, `${driver} modes: ${modes[driver].join(', ')}`];
  if (name === 'isolate' && ![...bools, 'strict'].includes(value)) return [`isolate is true, false or strict, not "${value}" (podman refuses it)`, 'e.g. isolate: "true"'];
  if (name === 'no_default_route' && !bools.includes(value)) return [`no_default_route is true or false, not "${value}" (podman refuses it)`, 'e.g. no_default_route: "true"'];
  if (name === 'vlan' && n > 4094) return [`vlan ${value} is not a VLAN ID: podman takes 0–4094`, 'a VLAN ID from 0 to 4094'];
  if (name === 'metric' && n > 4294967295) return [`metric ${value} is past 32 bits (podman refuses it)`, 'at most 4294967295'];
  if (name === 'mtu' && n !== 0 && (n < 68 || n > 65535)) return [`mtu ${value} is out of range: the network's first container fails to start (netavark cannot create the bridge)`, 'an MTU from 68 to 65535, or leave it out for the default'];
  if (name === 'com.docker.network.bridge.name' && new TextEncoder().encode(value).length > 15) return [`bridge name "${value}" is longer than an interface name may be (15 bytes): the network's first container fails to start`, 'a name of at most 15 characters, e.g. br-lan'];
  return undefined;
}

/**
 * Podman 5.4.2's automatic subnet pool (containers.conf `default_subnet_pools`, unset on Debian 13, so the built-in
 * one its containers.conf documents; a network created without a subnet got 10.89.0.0/24 on the test host): a network
 * without subnets takes the first free /24 of these, in creation order, so a fixed subnet in them may be taken first.
 */
export const PODMAN_SUBNET_POOLS = ['10.89.0.0/16', '10.90.0.0/15', '10.92.0.0/14', '10.96.0.0/11', '10.128.0.0/9'] as const;

/**
 * What makes a subnet useless though podman creates it (shown on the test host): an IPv4 /31 or /32 and an IPv6 /127
 * or /128 leave no address for a container ("IPAM error: failed to find free IP in range"), and an IPv4 gateway on
 * the subnet's broadcast address cannot be routed to ("add default route … Invalid argument"); a gateway on the
 * network address works and passes.
 */
function subnetAddressProblem(cidr: Cidr, gateway: ipaddr.IPv4 | ipaddr.IPv6 | undefined): { at: 'subnet' | 'gateway'; message: string; hint: string } | undefined {
  const v4 = cidr[0].kind() === 'ipv4';
  if (cidr[1] > (v4 ? 30 : 126)) return { at: 'subnet', message: `a /${cidr[1]} subnet leaves no address for a container besides the gateway: its first container fails to start (podman's IPAM finds no free address)`, hint: v4 ? 'a /30 or larger (e.g. /24)' : 'a /126 or larger (e.g. /64)' };
  if (v4 && gateway && gateway.toString() === ipaddr.IPv4.broadcastAddressFromCIDR(cidr.join('/')).toString()) return { at: 'gateway', message: `gateway ${gateway.toString()} is the subnet's broadcast address: no route can go through it, and the first container fails to start`, hint: 'leave gateway out for the subnet\'s first address' };
  return undefined;
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseCidr(text: string): Cidr | undefined {
  try {
    return ipaddr.parseCIDR(text);
  } catch {
    return undefined;
  }
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  return ipaddr.isValid(text) ? ipaddr.parse(text) : undefined;
}

function inside(address: ipaddr.IPv4 | ipaddr.IPv6, cidr: Cidr): boolean {
  return address.kind() === cidr[0].kind() && address.match(cidr);
}

/** Whether two subnets share an address (one contains the other's network address). */
export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y || x[0].kind() !== y[0].kind()) return false;
  const first = (c: Cidr) => ipaddr.parse(c[0].kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(c.join('/')).toString() : networkAddress6(c));
  return first(x).match(y) || first(y).match(x);
}

function networkAddress6([address, bits]: Cidr): string {
  const bytes = address.toByteArray();
  const out = bytes.map((b, i) => (i * 8 >= bits ? 0 : i * 8 + 8 <= bits ? b : b & (0xff << (8 - (bits - i * 8)))));
  return ipaddr.fromByteArray(out).toString();
}

function compareBytes(x: number[], y: number[]): number {
  const i = x.findIndex((v, k) => v !== y[k]);
  return i < 0 ? 0 : x[i]! - y[i]!;
}

/** Checks a lease range (`CIDR` or `first-last`) against its subnet; returns a problem's message or undefined. */
function rangeProblem(range: string, subnet: Cidr): string | undefined {
  const dash = range.indexOf('-');
  if (dash < 0) {
    const cidr = parseCidr(range);
    if (!cidr) return `"${range}" is no range: a CIDR or first-last`;
    return inside(cidr[0], subnet) && cidr[1] >= subnet[1] ? undefined : `lease range ${range} is not in subnet ${subnet.join('/')}`;
  }
  const [a, b] = [parseAddress(range.slice(0, dash)), parseAddress(range.slice(dash + 1))];
  if (!a || !b) return `"${range}" is no range: a CIDR or first-last`;
  if (!inside(a, subnet) || !inside(b, subnet)) return `lease range ${range} is not in subnet ${subnet.join('/')}`;
  return compareBytes(a.toByteArray(), b.toByteArray()) > 0 ? `lease range ${range} ends before it starts` : undefined;
}

/**
 * The `[Network]` of the shared network `spec` names, problems recorded at `pointer` (the container's
 * `/networks/N`). `NetworkName=` is the name.
 */
export function networkSection(ctx: ManifestContext, pointer: string, spec: NetworkSpec): NetworkSection {
  const section: NetworkSection = { NetworkName: spec.name };
  const driver = spec.driver ?? 'bridge';
  // The schema allows these three; the compiler also runs on manifests it never saw (property tests, imports).
  const known: readonly string[] = Object.hasOwn(DRIVER_OPTIONS, driver) ? DRIVER_OPTIONS[driver] : [];
  if (known.length === 0) ctx.problem(`${pointer}/driver`, `podman 5.4.2 has no network driver "${driver}"`, 'bridge, macvlan or ipvlan');
  if (spec.driver !== undefined) section.Driver = ctx.text(`${pointer}/driver`, spec.driver, 'value') as NetworkSpec['driver'] & string;
  const subnets = spec.subnets ?? [];
  let v6 = false;
  subnets.forEach((s, i) => {
    const at = `${pointer}/subnets/${i}`;
    const cidr = parseCidr(s.subnet);
    if (!cidr) {
      ctx.problem(`${at}/subnet`, `"${s.subnet}" is not a subnet in CIDR notation`, 'e.g. 10.60.0.0/24 or fd00:60::/64');
      return;
    }
    if (cidr[0].kind() === 'ipv6') v6 = true;
    const unusable = subnetAddressProblem(cidr, s.gateway !== undefined ? parseAddress(s.gateway) : undefined);
    if (unusable) ctx.problem(`${at}/${unusable.at}`, unusable.message, unusable.hint);
    const pool = PODMAN_SUBNET_POOLS.find((p) => overlaps(s.subnet, p));
    if (pool) ctx.warn(`${at}/subnet`, `subnet ${s.subnet} is in podman's automatic pool ${pool}: a network created without a subnet takes the first free /24 there, so one created before this one may already hold it`, 'choose one below 10.88.0.0 (e.g. 10.60.0.0/24), in 172.16.0.0/12 or in 192.168.0.0/16');
    if (cidr[0].kind() === 'ipv4' && overlaps(s.subnet, PODMAN_DEFAULT_SUBNET)) {
      ctx.problem(`${at}/subnet`, `subnet ${s.subnet} overlaps podman's default network (${PODMAN_DEFAULT_SUBNET}), which podman refuses`, 'choose a subnet outside 10.88.0.0/16, e.g. 10.60.0.0/24');
    }
    subnets.slice(0, i).forEach((earlier, j) => {
      if (overlaps(s.subnet, earlier.subnet)) ctx.problem(`${at}/subnet`, `subnet ${s.subnet} overlaps subnet ${j} of this network (${earlier.subnet})`, 'give each subnet its own addresses');
    });
    (section.Subnet ??= []).push(ctx.text(`${at}/subnet`, s.subnet, 'value'));
    for (const key of ['gateway', 'ipRange'] as const) {
      const value = s[key];
      if (value === undefined) continue;
      const missing = subnets.slice(0, i).findIndex((e) => e[key] === undefined);
      if (missing >= 0) ctx.problem(`${at}/${key}`, `podman pairs the n-th ${key} with the n-th subnet, and subnet ${missing} has none`, `give subnet ${missing} a ${key} too, or list this subnet first`);
    }
    if (s.gateway !== undefined) {
      const gw = parseAddress(s.gateway);
      if (!gw) ctx.problem(`${at}/gateway`, `"${s.gateway}" is not an IP address`, 'e.g. 10.90.0.1');
      else if (!inside(gw, cidr)) ctx.problem(`${at}/gateway`, `gateway ${s.gateway} is not in subnet ${s.subnet}`, `an address of ${s.subnet}, or leave it out for the subnet's first address`);
      (section.Gateway ??= []).push(ctx.text(`${at}/gateway`, s.gateway, 'value'));
    }
    if (s.ipRange !== undefined) {
      const problem = rangeProblem(s.ipRange, cidr);
      if (problem) ctx.problem(`${at}/ipRange`, problem, `a part of ${s.subnet}, as a CIDR or first-last`);
      (section.IPRange ??= []).push(ctx.text(`${at}/ipRange`, s.ipRange, 'value'));
    }
  });
  if (spec.ipv6 === false && v6) ctx.problem(`${pointer}/ipv6`, 'an IPv6 subnet turns IPv6 on for the network (podman enables it), so ipv6: false cannot hold', 'remove ipv6: false, or the IPv6 subnet');
  if (spec.ipv6) section.IPv6 = true;
  if (spec.internal) section.Internal = true;
  if (driver === 'ipvlan' && subnets.length === 0) ctx.problem(pointer, 'an ipvlan network needs a subnet (podman has no address management for it otherwise)', 'add subnets: [{ subnet: … }]');
  (spec.dns ?? []).forEach((d, i) => {
    if (!parseAddress(d)) ctx.problem(`${pointer}/dns/${i}`, `"${d}" is not an IP address`, 'a DNS server by its address, e.g. 192.168.1.1');
    (section.DNS ??= []).push(ctx.text(`${pointer}/dns/${i}`, d, 'value'));
  });
  for (const [name, value] of Object.entries(spec.options ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const at = `${pointer}/options/${pointerToken(name)}`;
    if (known.length > 0 && !known.includes(name)) ctx.problem(at, `the ${driver} driver has no option "${name}" (podman refuses it)`, `${driver} options: ${known.join(', ')}`, 'key');
    else if (NUMERIC_OPTIONS.has(name) && !/^[0-9]+$/.test(value)) ctx.problem(at, `${name} is a whole number, not "${value}"`, `e.g. ${name}: "1400"`);
    else {
      const bad = optionValueProblem(driver, name, value);
      if (bad) ctx.problem(at, bad[0], bad[1]);
    }
    (section.Options ??= []).push(ctx.text(at, `${name}=${value}`, 'word'));
  }
  return section;
}
