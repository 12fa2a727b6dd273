/**
 * The systemd port over one self-healing D-Bus connection. Race-free tracking
 * as systemd documents it: add the signal matches and call `Subscribe()`
 * first, then announce `connected` so the consumer takes its snapshot; a
 * dropped bus or systemd re-executing (its bus name changing owner) leads to a
 * reconnect with backoff, the matches and the subscription are re-established,
 * and `connected` is announced again.
 */
import { EventEmitter } from 'node:events';
import { Message, Variant } from '@jellybrick/dbus-next';
import { SystemdError } from '../errors.js';
import { openConnection, type Connection } from './connection.js';
import { decodeJobSignal, decodeListEntry, decodeUnitProps } from './decode.js';
import type { JobMode, Stamped, SystemdEvent, SystemdPort, UnitListEntry, UnitProps } from './types.js';
import { MANAGER_PATH, UNIT_PATH_PREFIX, unitNameOfPath, unitPath } from './unit-path.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const DBUS = 'org.freedesktop.DBus';

/** The match rules the port adds on every connection. */
export const MATCH_RULES = [
  `type='signal',sender='${SYSTEMD}',interface='${PROPERTIES}',member='PropertiesChanged',path_namespace='${UNIT_PATH_PREFIX.slice(0, -1)}'`,
  `type='signal',sender='${SYSTEMD}',interface='${MANAGER}',path='${MANAGER_PATH}'`,
  `type='signal',sender='${DBUS}',interface='${DBUS}',member='NameOwnerChanged',arg0='${SYSTEMD}'`,
];

export interface SystemdOptions {
  /** D-Bus address of a bus daemon on which systemd's manager is `org.freedesktop.systemd1` (see `busAddressFor`). */
  address: string;
  /** Reconnect backoff: first delay and cap, in ms (default 100 → 5000, doubling). */
  backoff?: { initialMs: number; maxMs: number };
  callTimeoutMs?: number;
  log?: (message: string) => void;
}

/**
 * Connects to systemd at `options.address` and keeps the connection alive.
 * `ready()` rejects with SystemdError when the first connection fails; after
 * that, drops are retried forever (until `close()`).
 */
export function createSystemd(options: SystemdOptions): SystemdPort {
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 5000 };
  const log = options.log ?? (() => {});
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let seq = 0;
  const nextSeq = (): number => ++seq;
  let conn: Connection | undefined;
  let subscribed = false;
  let closing = false;
  let delay = backoff.initialMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let reconnecting: Promise<void> | undefined;

  const emit = (event: SystemdEvent): void => {
    events.emit('event', event);
  };

  const managerCall = (member: string, signature = '', body: unknown[] = []): Message =>
    new Message({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member, signature, body });

  const call = async (msg: Message): Promise<Stamped<Message>> => {
    if (!conn) throw new SystemdError('org.freedesktop.DBus.Error.Disconnected', `not connected to systemd at ${options.address}; reconnecting`);
    const { seq: s, message } = await conn.call(msg);
    return { seq: s, value: message };
  };

  const onSignal = (msg: Message, s: number): void => {
    if (msg.interface === PROPERTIES && msg.member === 'PropertiesChanged') {
      const unit = unitNameOfPath(msg.path);
      if (unit === undefined) return;
      const [, changed, invalidated] = msg.body as [string, Record<string, unknown>, string[]];
      emit({ type: 'properties', seq: s, unit, path: msg.path, props: decodeUnitProps(changed ?? {}), invalidated: invalidated ?? [] });
      return;
    }
    if (msg.interface === MANAGER) {
      switch (msg.member) {
        case 'JobNew':
        case 'JobRemoved': {
          const decoded = decodeJobSignal(msg.body);
          if (!decoded) return;
          if (msg.member === 'JobNew') emit({ type: 'job-new', seq: s, unit: decoded.unit, job: decoded.job });
          else emit({ type: 'job-removed', seq: s, unit: decoded.unit, job: decoded.job, result: decoded.result ?? '' });
          return;
        }
        case 'Reloading':
          emit({ type: 'reloading', seq: s, active: msg.body[0] === true });
          return;
        case 'UnitNew':
        case 'UnitRemoved': {
          const [unit, path] = msg.body as [string, string];
          emit({ type: msg.member === 'UnitNew' ? 'unit-new' : 'unit-removed', seq: s, unit, path });
          return;
        }
        default:
          return;
      }
    }
    if (msg.interface === DBUS && msg.member === 'NameOwnerChanged') {
      const [name, , newOwner] = msg.body as [string, string, string];
      // systemd re-executing drops its name and takes it again: subscribe anew.
      if (name === SYSTEMD && newOwner) void resubscribe(s);
    }
  };

  const subscribe = async (c: Connection): Promise<void> => {
    for (const rule of MATCH_RULES) {
      await c.call(new Message({ destination: DBUS, path: '/org/freedesktop/DBus', interface: DBUS, member: 'AddMatch', signature: 's', body: [rule] }));
    }
    await c.call(managerCall('Subscribe'));
  };

  const resubscribe = async (s: number): Promise<void> => {
    const c = conn;
    if (!c) return;
    try {
      await c.call(managerCall('Subscribe'));
      log(`systemd came back on the bus; subscribed again`);
      emit({ type: 'connected', seq: s });
    } catch (err) {
      log(`re-subscribing after systemd came back failed: ${(err as Error).message}`);
    }
  };

  const connectOnce = async (): Promise<void> => {
    const c = await openConnection({ address: options.address, nextSeq, callTimeoutMs: options.callTimeoutMs });
    c.onSignal(onSignal);
    c.onClose((reason) => {
      if (conn !== c) return;
      conn = undefined;
      subscribed = false;
      log(`lost the D-Bus connection (${reason}); reconnecting`);
      emit({ type: 'disconnected', seq: nextSeq(), reason });
      scheduleReconnect();
    });
    try {
      await subscribe(c);
    } catch (err) {
      c.close();
      throw err;
    }
    if (closing) {
      c.close();
      return;
    }
    conn = c;
    subscribed = true;
    delay = backoff.initialMs;
    emit({ type: 'connected', seq: nextSeq() });
  };

  const scheduleReconnect = (): void => {
    if (closing || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connectOnce().catch((err: unknown) => {
        log(`reconnect to ${options.address} failed (${(err as Error).message}); retrying in ${delay} ms`);
        delay = Math.min(delay * 2, backoff.maxMs);
        scheduleReconnect();
      });
    }, delay);
  };

  reconnecting = connectOnce();
  // The first failure is reported through ready(); later ones only retry.
  reconnecting.catch(() => {});

  const jobCall = async (member: string, unit: string, mode: JobMode): Promise<Stamped<string>> => {
    const { seq: s, value } = await call(managerCall(member, 'ss', [unit, mode]));
    return { seq: s, value: String(value.body[0]) };
  };

  return {
    onEvent(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    async ready() {
      await reconnecting;
    },
    async listUnitsByNames(names: string[]): Promise<Stamped<UnitListEntry[]>> {
      const { seq: s, value } = await call(managerCall('ListUnitsByNames', 'as', [names]));
      const rows = (value.body[0] as unknown[]) ?? [];
      return { seq: s, value: rows.map(decodeListEntry).filter((r): r is UnitListEntry => r !== undefined) };
    },
    async getUnitProperties(unit: string): Promise<Stamped<UnitProps>> {
      const path = unitPath(unit);
      const getAll = (iface: string): Message =>
        new Message({ destination: SYSTEMD, path, interface: PROPERTIES, member: 'GetAll', signature: 's', body: [iface] });
      // Both requests go out back to back; the older reply's stamp is the snapshot's.
      const [u, svc] = await Promise.all([
        call(getAll('org.freedesktop.systemd1.Unit')),
        call(getAll('org.freedesktop.systemd1.Service')),
      ]);
      const props = { ...decodeUnitProps(svc.value.body[0] as Record<string, unknown>), ...decodeUnitProps(u.value.body[0] as Record<string, unknown>) };
      return { seq: Math.min(u.seq, svc.seq), value: props };
    },
    async getJobType(jobPath: string): Promise<Stamped<string | undefined>> {
      try {
        const { seq: s, value } = await call(
          new Message({ destination: SYSTEMD, path: jobPath, interface: PROPERTIES, member: 'Get', signature: 'ss', body: ['org.freedesktop.systemd1.Job', 'JobType'] }),
        );
        const v = value.body[0];
        return { seq: s, value: v instanceof Variant ? String(v.value) : String(v) };
      } catch (err) {
        if (err instanceof SystemdError && /UnknownObject|NoSuchJob|UnknownMethod|UnknownInterface/.test(err.dbusName)) {
          return { seq: nextSeq(), value: undefined };
        }
        throw err;
      }
    },
    startUnit: (unit, mode = 'replace') => jobCall('StartUnit', unit, mode),
    stopUnit: (unit, mode = 'replace') => jobCall('StopUnit', unit, mode),
    restartUnit: (unit, mode = 'replace') => jobCall('RestartUnit', unit, mode),
    async resetFailedUnit(unit) {
      await call(managerCall('ResetFailedUnit', 's', [unit]));
    },
    async reload() {
      await call(managerCall('Reload'));
    },
    connected: () => subscribed && conn !== undefined,
    async close() {
      closing = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      const c = conn;
      conn = undefined;
      subscribed = false;
      if (!c) return;
      try {
        await c.call(managerCall('Unsubscribe'));
      } catch {
        // Closing anyway; systemd drops a subscriber whose connection ends.
      }
      c.close();
    },
  };
}
