/**
 * Wording and checks for the port's link to systemd (`LinkStatus`). Pure: the
 * same sentence serves logs, API error messages and `GET /api/health`.
 */
import type { LinkStatus } from './types.js';

/** Whether app states read over this link are current (the link is up). */
export function linkUp(link: LinkStatus): boolean {
  return link.state === 'connected';
}

/**
 * One sentence for a person: `systemd unreachable at unix:path=/run/dbus/system_bus_socket (cannot connect to D-Bus
 * at …: connect ENOENT …); 3 attempts so far, next attempt at 2026-12-01T14:02:10.000Z`, `connecting to systemd at
 * ADDRESS`, or `connected to systemd at ADDRESS`.
 */
export function describeLink(link: LinkStatus): string {
  if (link.state === 'connected') return `connected to systemd at ${link.address}`;
  if (link.state === 'connecting') return `connecting to systemd at ${link.address}; app states are not known yet`;
  const why = link.reason ? ` (${link.reason})` : '';
  const attempts = link.attempts ? `; ${link.attempts} failed ${link.attempts === 1 ? 'attempt' : 'attempts'} so far` : '';
  const next = link.nextAttemptAt ? `, next attempt at ${link.nextAttemptAt}` : '; not retrying';
  return `systemd unreachable at ${link.address}${why}${attempts}${next}`;
}
