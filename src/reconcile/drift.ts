/**
 * Drift of podman's volumes and networks from their units (docs/reconcile.md, "Volumes and networks that exist").
 * Podman creates each once (`podman volume create --ignore`, `podman network create --ignore`: shown on the test
 * host, a second create with other options exits 0 and changes nothing), so a volume moved to NFS or a network given
 * another subnet keeps what it was created with while the pass succeeds. A pass compares what exists
 * (`podman volume inspect`, `podman network inspect`) with what the units ask and reports each difference; it never
 * removes a volume (its data) nor a network (its containers) by itself. Pure: the inspected JSON is passed in.
 */
import ipaddr from 'ipaddr.js';
import { parseUnit } from '../render/parse-unit.js';
import type { RenderedFile } from '../render/types.js';
import type { Desired } from './types.js';
import { serviceOf } from '../naming.js';

/** A volume or network a unit of the desired set makes, with the keys of its `[Volume]`/`[Network]` section. */
export interface WantedResource {
  kind: 'volume' | 'network';
  /** Podman's name (`VolumeName=`/`NetworkName=`). */
  name: string;
  /** Its unit file, e.g. `media-library.volume`. */
  unit: string;
  /** The apps whose containers use it. */
  apps: string[];
  /** The service that creates it (`media-library-volume.service`; an app's own network: the app's `<id>.service`). */
  service: string;
  keys: Map<string, string[]>;
}

/** One volume or network that differs from its unit. */
export interface Drift {
  kind: 'volume' | 'network';
  name: string;
  unit: string;
  apps: string[];
  /** Each difference: `type: nfs4 wanted, the volume has none`. */
  differences: string[];
  /** What to do, with the commands. */
  hint: string;
}

/** `podman volume inspect` of one volume, the fields compared. */
export interface InspectedVolume {
  Driver?: string;
  Options?: Record<string, string>;
}

/** `podman network inspect` of one network (netavark), the fields compared. */
export interface InspectedNetwork {
  driver?: string;
  subnets?: Array<{ subnet: string; gateway?: string }>;
  internal?: boolean;
  ipv6_enabled?: boolean;
  options?: Record<string, string>;
  network_dns_servers?: string[];
}

/**
 * The volumes and networks the desired units make, each once, in the order of their unit files. Each unit is parsed
 * once: a container's `Volume=`/`Network=` values are indexed by the unit file they name (`data.volume`, or
 * `data.volume:/srv` for a volume), so the cost grows with the units, not units × resources (with 400 apps, 160
 * networks × 719 containers parsed each pass took over a second of every no-op pass; issue 15).
 */
export function wantedResources(desired: Desired): WantedResource[] {
  const files: RenderedFile[] = [...desired.apps.flatMap((a) => a.units), ...desired.shared];
  // The apps whose containers name each volume or network unit (`Volume=` for a .volume, `Network=` for a .network).
  const usedBy = new Map<string, Set<string>>();
  for (const c of files) {
    if (!c.name.endsWith('.container') || c.app === undefined) continue;
    for (const s of parseUnit(c.content)) {
      if (s.name !== 'Container') continue;
      for (const [k, v] of s.entries) {
        if (k !== 'Volume' && k !== 'Network') continue;
        const unit = v.split(':', 1)[0]!;
        if (!unit.endsWith(k === 'Volume' ? '.volume' : '.network')) continue;
        let apps = usedBy.get(unit);
        if (!apps) usedBy.set(unit, (apps = new Set()));
        apps.add(c.app);
      }
    }
  }
  const out: WantedResource[] = [];
  for (const file of files) {
    const kind = file.name.endsWith('.volume') ? 'volume' : file.name.endsWith('.network') ? 'network' : undefined;
    if (!kind) continue;
    const section = parseUnit(file.content).find((s) => s.name === (kind === 'volume' ? 'Volume' : 'Network'));
    const keys = new Map<string, string[]>();
    for (const [k, v] of section?.entries ?? []) keys.set(k, [...(keys.get(k) ?? []), v]);
    const name = keys.get(kind === 'volume' ? 'VolumeName' : 'NetworkName')?.[0];
    if (name === undefined) continue;
    const apps = [...new Set([...(file.app ? [file.app] : []), ...(usedBy.get(file.name) ?? [])])].sort();
    out.push({ kind, name, unit: file.name, apps, service: serviceOf(file.name, file.content), keys });
  }
  return out;
}

const none = (v: string | undefined): string => (v === undefined || v === '' ? 'none' : v);

/** Differences of an existing volume from its unit: the driver and the local driver's `type`, `device` and `o`. */
export function volumeDifferences(want: WantedResource, have: InspectedVolume): string[] {
  const out: string[] = [];
  const first = (k: string) => want.keys.get(k)?.[0];
  const driver = first('Driver') ?? 'local';
  if ((have.Driver ?? 'local') !== driver) out.push(`driver: ${driver} wanted, the volume has ${have.Driver}`);
  for (const [key, opt] of [['Type', 'type'], ['Device', 'device'], ['Options', 'o']] as const) {
    const w = first(key);
    const h = have.Options?.[opt];
    if ((w ?? '') !== (h ?? '')) out.push(`${opt}: ${none(w)} wanted, the volume has ${none(h)}`);
  }
  return out;
}

function subnetOf(text: string): string {
  try {
    const [addr, bits] = ipaddr.parseCIDR(text);
    if (addr.kind() === 'ipv4') return `${ipaddr.IPv4.networkAddressFromCIDR(text).toString()}/${bits}`;
    const bytes = addr.toByteArray().map((b, i) => (i * 8 >= bits ? 0 : i * 8 + 8 <= bits ? b : b & (0xff << (8 - (bits - i * 8)))));
    return `${ipaddr.fromByteArray(bytes).toString()}/${bits}`;
  } catch {
    return text;
  }
}

const list = (xs: readonly string[]): string => (xs.length === 0 ? 'none' : xs.join(', '));

/**
 * Differences of an existing network from its unit: driver, subnets and their gateways (where the unit gives them),
 * internal, IPv6, DNS servers and driver options. Lease ranges are not compared.
 */
export function networkDifferences(want: WantedResource, have: InspectedNetwork): string[] {
  const out: string[] = [];
  const all = (k: string) => want.keys.get(k) ?? [];
  const driver = all('Driver')[0] ?? 'bridge';
  if ((have.driver ?? 'bridge') !== driver) out.push(`driver: ${driver} wanted, the network has ${have.driver}`);
  const subnets = all('Subnet').map(subnetOf);
  const v6Wanted = all('IPv6')[0] === 'true' || subnets.some((s) => s.includes(':'));
  if (subnets.length > 0) {
    // Podman adds an IPv6 subnet of its own to a network with IPv6 and none given.
    const existing = (have.subnets ?? []).map((s) => subnetOf(s.subnet)).filter((s) => s.includes(':') ? subnets.some((w) => w.includes(':')) : true);
    if ([...existing].sort().join() !== [...subnets].sort().join()) out.push(`subnets: ${list(subnets)} wanted, the network has ${list(existing)}`);
    all('Gateway').forEach((gw, i) => {
      const subnet = subnets[i];
      const found = (have.subnets ?? []).find((s) => subnetOf(s.subnet) === subnet);
      if (found && found.gateway !== gw) out.push(`gateway of ${subnet}: ${gw} wanted, the network has ${none(found.gateway)}`);
    });
  }
  const internal = all('Internal')[0] === 'true';
  if ((have.internal ?? false) !== internal) out.push(`internal: ${internal} wanted, the network has ${have.internal ?? false}`);
  if ((have.ipv6_enabled ?? false) !== v6Wanted) out.push(`ipv6: ${v6Wanted} wanted, the network has ${have.ipv6_enabled ?? false}`);
  const dns = all('DNS');
  const haveDns = have.network_dns_servers ?? [];
  if (dns.join() !== haveDns.join()) out.push(`dns: ${list(dns)} wanted, the network has ${list(haveDns)}`);
  const opts = new Map(all('Options').map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] as const));
  const haveOpts = have.options ?? {};
  for (const name of [...new Set([...opts.keys(), ...Object.keys(haveOpts)])].sort()) {
    if (opts.get(name) !== haveOpts[name]) out.push(`option ${name}: ${none(opts.get(name))} wanted, the network has ${none(haveOpts[name])}`);
  }
  return out;
}

/**
 * What to do about a drifted resource: the commands, in order. Its own service is stopped too: it is a oneshot that
 * stays active (RemainAfterExit), so a start after the removal would not run it again, and podman would make a plain
 * volume of the name (a network would be missing: the container fails). Starting the apps starts it (Requires=).
 * A volume's data is the user's to move.
 */
export function driftHint(want: WantedResource, user = false): string {
  const systemctl = user ? 'systemctl --user' : 'systemctl';
  const apps = want.apps.map((a) => `${a}.service`);
  const stop = [...new Set([...apps, want.service])].join(' ');
  const start = (apps.length > 0 ? apps : [want.service]).join(' ');
  if (want.kind === 'volume') {
    return `podman keeps a volume as it was created; to apply the change, save its data, then ${systemctl} stop ${stop}; podman volume rm ${want.name}; ${systemctl} start ${start} (the pass does not remove a volume: it holds data)`;
  }
  return `podman keeps a network as it was created; to apply the change: ${systemctl} stop ${stop}; podman network rm ${want.name}; ${systemctl} start ${start} (the network is created anew with the unit's options)`;
}

/**
 * The drift of every wanted resource that exists (`inspected` by kind and name; a missing one is created as asked);
 * `user`: rootless, the hints' commands are the user's (`systemctl --user`, the user's podman).
 */
export function findDrift(wanted: readonly WantedResource[], inspected: { volumes: ReadonlyMap<string, InspectedVolume>; networks: ReadonlyMap<string, InspectedNetwork> }, user = false): Drift[] {
  return wanted.flatMap((w): Drift[] => {
    const differences = w.kind === 'volume' ? (inspected.volumes.has(w.name) ? volumeDifferences(w, inspected.volumes.get(w.name)!) : []) : inspected.networks.has(w.name) ? networkDifferences(w, inspected.networks.get(w.name)!) : [];
    return differences.length === 0 ? [] : [{ kind: w.kind, name: w.name, unit: w.unit, apps: w.apps, differences, hint: driftHint(w, user) }];
  });
}

/** One line per drift: `volume media-library (app media) differs from media-library.volume: type: nfs4 wanted, …`. */
export function describeDrift(d: Drift): string {
  return `${d.kind} ${d.name} (${d.apps.length === 1 ? 'app' : 'apps'} ${d.apps.join(', ') || 'none'}) differs from ${d.unit}: ${d.differences.join('; ')} (${d.hint})`;
}
