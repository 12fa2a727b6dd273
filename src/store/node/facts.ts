/**
 * The node's facts, read from the machine a command runs on: what `{ node: FACT }` environment values and
 * `{{node "FACT"}}` in config templates resolve to (README, "Manifest reference").
 */
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import type { NodeFacts } from '../../compile/compile-app.js';

/**
 * `hostname` (the kernel's host name), `lanAddress` (the IPv4 address of the interface of the default route, else
 * the first non-loopback IPv4 address; absent without one), `timeZone` (the IANA zone the process runs in, e.g.
 * `Europe/Zurich`), `domain` (only when given: a node domain is configuration, not something to guess).
 */
export function nodeFacts(opts: { domain?: string } = {}): NodeFacts {
  const lan = lanAddress();
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return {
    hostname: hostname(),
    ...(lan ? { lanAddress: lan } : {}),
    ...(zone ? { timeZone: zone } : {}),
    ...(opts.domain ? { domain: opts.domain } : {}),
  };
}

/** The interface of the IPv4 default route (`/proc/net/route`: destination 00000000), or undefined. */
function defaultRouteInterface(): string | undefined {
  try {
    const rows = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1);
    return rows.map((r) => r.trim().split(/\s+/)).find((cols) => cols[1] === '00000000')?.[0];
  } catch {
    return undefined;
  }
}

function lanAddress(): string | undefined {
  const all = networkInterfaces();
  const v4 = (name: string): string | undefined => all[name]?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  const preferred = defaultRouteInterface();
  return (preferred ? v4(preferred) : undefined) ?? Object.keys(all).map(v4).find((a) => a !== undefined);
}
