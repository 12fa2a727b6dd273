/**
 * One service unit's settings as its systemd manager holds them (unit file and drop-ins merged): whether it is
 * loaded, enabled and running, and its `Environment`. One short-lived connection, no signals; for a command that
 * needs a unit's configuration once (the daemon's listen address: src/cli/daemon-reservations.ts).
 */
import { openConnection } from './connection.js';
import { Message, Variant } from './dbus-next.js';
import { unitPath } from './unit-path.js';

/** What a manager says of one service unit; every field is systemd's property as it is. */
export interface ServiceSettings {
  /** LoadState: `loaded`, `not-found`, `bad-setting`, `error`, `masked`. */
  loadState: string;
  /** ActiveState: `active`, `inactive`, `failed`, `activating`, … */
  activeState: string;
  /** UnitFileState: `enabled`, `disabled`, `static`, `masked`, … ('' when the unit has no file). */
  unitFileState: string;
  /** The Service interface's `Environment`, `KEY=VALUE` each ([] unless loaded). */
  environment: string[];
}

/** How long connecting and each call may take; a command falls back to its default past it. */
const TIMEOUT_MS = 2000;

/**
 * Reads `unit`'s settings from the systemd manager on the bus at `address` (Properties.Get on the unit's object,
 * which loads the unit from disk when systemd has not yet). Resolves undefined when the bus or the manager cannot be
 * reached within `timeoutMs` (ms) or refuses; never throws.
 */
export async function readServiceSettings(address: string, unit: string, { timeoutMs = TIMEOUT_MS } = {}): Promise<ServiceSettings | undefined> {
  let seq = 0;
  const conn = await openConnection({ address, nextSeq: () => ++seq, callTimeoutMs: timeoutMs, connectTimeoutMs: timeoutMs }).catch(() => undefined);
  if (!conn) return undefined;
  const get = async (iface: string, name: string): Promise<unknown> => {
    const { message } = await conn.call(
      new Message({ destination: 'org.freedesktop.systemd1', path: unitPath(unit), interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [`org.freedesktop.systemd1.${iface}`, name] }),
    );
    const v = message.body[0];
    return v instanceof Variant ? v.value : v;
  };
  try {
    // All four at once, one round trip: a unit systemd does not find still has the Service interface (empty).
    const [loadState, activeState, unitFileState, environment] = await Promise.all([get('Unit', 'LoadState'), get('Unit', 'ActiveState'), get('Unit', 'UnitFileState'), get('Service', 'Environment')]);
    return { loadState: String(loadState), activeState: String(activeState), unitFileState: String(unitFileState), environment: loadState === 'loaded' ? (environment as unknown[]).map(String) : [] };
  } catch {
    return undefined; // a refusal (SystemdError) or a reply of another shape: the caller's default applies
  } finally {
    conn.close();
  }
}
