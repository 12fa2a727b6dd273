/**
 * Compose `ports` → the manifest's `ports`. Short forms (Compose Specification, "ports"): `"3000"`,
 * `"3000-3005"`, `"8000:8000"`, `"9090-9091:8080-8081"`, `"127.0.0.1:8001:8001"`, `"127.0.0.1::5000"`,
 * `"[::1]:6001:6001"`, `"6060:6060/udp"`, a bare number; and the long syntax (`target`, `published`,
 * `host_ip`, `protocol`, `mode`, `name`, `app_protocol`). A range becomes one entry per port.
 */
import type { PortSpec } from '../manifest/types.js';
import type { Findings } from './findings.js';
import { seg } from './findings.js';

/** More ports than this from one entry is refused (`1-65535` would publish the whole host). */
export const MAX_RANGE = 1024;

interface Range {
  from: number;
  to: number;
}

function range(text: string): Range | undefined {
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return from >= 1 && to <= 65535 && from <= to ? { from, to } : undefined;
}

interface PortParts {
  hostIp?: string;
  host?: string;
  container: string;
  protocol: string;
}

/** Splits a short-form entry into its address, host part, container part and protocol. */
function shortParts(text: string): PortParts {
  const slash = text.lastIndexOf('/');
  const protocol = slash >= 0 ? text.slice(slash + 1).toLowerCase() : 'tcp';
  const rest = slash >= 0 ? text.slice(0, slash) : text;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\]:([^:]*):([^:]+)$/.exec(rest);
  if (bracketed) return { hostIp: bracketed[1]!, host: bracketed[2]!, container: bracketed[3]!, protocol };
  const parts = rest.split(':');
  if (parts.length === 1) return { container: parts[0]!, protocol };
  if (parts.length === 2) return { host: parts[0]!, container: parts[1]!, protocol };
  return { hostIp: parts.slice(0, -2).join(':'), host: parts[parts.length - 2]!, container: parts[parts.length - 1]!, protocol };
}

/** Converts one `ports` list (`pointer`: the list) and reports what it changes or cannot carry over. */
export function convertPorts(list: unknown, pointer: string, findings: Findings): PortSpec[] {
  if (!Array.isArray(list)) {
    findings.drop(pointer, 'ports', 'must be a list');
    return [];
  }
  return list.flatMap((entry, i) => {
    const at = `${pointer}${seg(i)}`;
    if (typeof entry === 'number' || typeof entry === 'string') return expand(shortParts(String(entry)), at, String(entry), findings);
    if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) return longPort(entry as Record<string, unknown>, at, findings);
    findings.drop(at, 'this port', 'a port is a string such as "8080:80" or a mapping with target');
    return [];
  });
}

function longPort(p: Record<string, unknown>, at: string, findings: Findings): PortSpec[] {
  for (const key of Object.keys(p)) {
    if (['target', 'published', 'host_ip', 'protocol', 'mode'].includes(key) || key.startsWith('x-')) continue;
    if (key === 'name' || key === 'app_protocol') findings.note(`${at}${seg(key)}`, `${key} is left out: a label for humans and tools, podman has no use for it`);
    else findings.drop(`${at}${seg(key)}`, key, 'no such key of a port in the Compose Specification');
  }
  if (p.mode !== undefined && p.mode !== 'host' && p.mode !== 'ingress') findings.drop(`${at}/mode`, `mode ${JSON.stringify(p.mode)}`, 'a port mode is host or ingress');
  if (p.target === undefined) {
    findings.drop(at, 'this port', 'it has no target (the container port)');
    return [];
  }
  const parts: PortParts = {
    container: String(p.target),
    protocol: typeof p.protocol === 'string' ? p.protocol.toLowerCase() : 'tcp',
    ...(p.published !== undefined && p.published !== '' ? { host: String(p.published) } : { host: '' }),
    ...(typeof p.host_ip === 'string' ? { hostIp: p.host_ip } : {}),
  };
  return expand(parts, at, JSON.stringify(p), findings);
}

/** One entry's parts → one port per container port, checked. */
function expand(parts: PortParts, at: string, shown: string, findings: Findings): PortSpec[] {
  if (parts.protocol !== 'tcp' && parts.protocol !== 'udp') {
    findings.drop(at, `port ${shown}`, `protocol ${parts.protocol}: a manifest publishes tcp or udp`);
    return [];
  }
  const hostIp = parts.hostIp?.replace(/^\[|\]$/g, '');
  if (hostIp !== undefined && hostIp !== '' && !/^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})$/.test(hostIp)) {
    findings.drop(at, `port ${shown}`, `${JSON.stringify(hostIp)} is no IP address`);
    return [];
  }
  const container = range(parts.container);
  const host = parts.host === undefined || parts.host === '' ? undefined : range(parts.host);
  if (!container || (parts.host !== undefined && parts.host !== '' && !host)) {
    findings.drop(at, `port ${shown}`, 'ports are numbers 1-65535 or ranges such as 8000-8010');
    return [];
  }
  const count = container.to - container.from + 1;
  if (count > MAX_RANGE) {
    findings.drop(at, `port ${shown}`, `a range of ${count} ports (at most ${MAX_RANGE})`);
    return [];
  }
  let hostFrom = host?.from ?? container.from;
  if (host === undefined) {
    findings.note(at, `compose publishes ${parts.container} on a random host port; the manifest publishes it on the same port number`, 'give the host port explicitly if another one is wanted');
  } else if (host.to - host.from + 1 !== count) {
    if (count !== 1) {
      findings.drop(at, `port ${shown}`, 'the host and container ranges differ in length');
      return [];
    }
    hostFrom = host.from;
    findings.note(at, `compose picks a free host port of ${parts.host}; the manifest publishes ${host.from}`);
  }
  return Array.from({ length: count }, (_, k): PortSpec => {
    const spec: PortSpec = { container: container.from + k };
    if (hostFrom + k !== spec.container) spec.host = hostFrom + k;
    if (hostIp !== undefined && hostIp !== '' && hostIp !== '0.0.0.0') spec.hostIp = hostIp;
    if (parts.protocol === 'udp') spec.protocol = 'udp';
    return spec;
  });
}
