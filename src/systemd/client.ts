/**
 * The systemd port over one self-healing D-Bus connection. Race-free tracking
 * as systemd documents it: add the signal matches and call `Subscribe()`
 * first, then announce `connected` so the consumer takes its snapshot; a
 * dropped bus or systemd re-executing (its bus name changing owner) leads to a
 * reconnect with backoff, the matches and the subscription are re-established,
 * and `connected` is announced again. With `waitForSystemd`, a first connect
 * that fails is retried by the same backoff (a daemon started before the bus).
 */
import { EventEmitter } from 'node:events';
import { Message, Variant } from './dbus-next.js';
import { SystemdError } from '../errors.js';
import { openConnection, type Connection } from './connection.js';
import { decodeJobSignal, decodeListEntry, decodeUnitProps } from './decode.js';
import { describeLink } from './link.js';
import type { JobMode, LinkStatus, Stamped, SystemdEvent, SystemdPort, UnitListEntry, UnitProps } from './types.js';
import { MANAGER_PATH, UNIT_PATH_PREFIX, unitNameOfPath, unitPath } from './unit-path.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const DBUS = 'org.freedesktop.DBus';
const DISCONNECTED = 'org.freedesktop.DBus.Error.Disconnected';
const UNIT = 'org.freedesktop.systemd1.Unit';

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
  /**
   * Retry a failing first connect with the backoff instead of failing `ready()` (the daemon, which must come up
   * before the bus does). Off by default: one-shot commands fail at once when systemd cannot be reached.
   */
  waitForSystemd?: boolean;
  /**
   * Follow systemd's signals (the default). `false`: a reader of one snapshot (`status` without `--watch`): no match
   * rules and no `Subscribe()`, so the bus sends it none of the signals of every unit on the node, which it would
   * only decode and drop (issue 15); `connected` is announced once the connection is up.
   */
  signals?: boolean;
  callTimeoutMs?: number;
  /** Milliseconds since the epoch, for the link's times; default Date.now. */
  clock?: () => number;
  log?: (message: string) => void;
}

/**
 * Connects to systemd at `options.address` and keeps the connection alive.
 * `ready()` rejects with SystemdError when the first connection fails (unless
 * `waitForSystemd`); after that, drops are retried forever (until `close()`).
 */
export function createSystemd(options: SystemdOptions): SystemdPort {
  const backoff = options.backoff ?? { initialMs: 100, maxMs: 5000 };
  const log = options.log ?? (() => {});
  const clock = options.clock ?? Date.now;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let seq = 0;
  const nextSeq = (): number => ++seq;
  let conn: Connection | undefined;
  let subscribed = false;
  let closing = false;
  let delay = backoff.initialMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let link: LinkStatus = { state: 'connecting', address: options.address, since: iso(clock()) };

  const emit = (event: SystemdEvent): void => {
    events.emit('event', event);
  };

  const setLink = (next: LinkStatus): void => {
    link = next;
    emit({ type: 'link', seq: nextSeq(), link });
  };

  const managerCall = (member: string, signature = '', body: unknown[] = []): Message =>
    new Message({ destination: SYSTEMD, path: MANAGER_PATH, interface: MANAGER, member, signature, body });

  const call = async (msg: Message, opts?: { resumeFirst?: boolean }): Promise<Stamped<Message>> => {
    if (!conn) throw new SystemdError(DISCONNECTED, describeLink(link));
    const { seq: s, message } = await conn.call(msg, opts);
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
    if (options.signals === false) return;
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
      delay = backoff.initialMs;
      log(`lost the D-Bus connection (${reason}); reconnecting in ${delay} ms`);
      emit({ type: 'disconnected', seq: nextSeq(), reason });
      const now = clock();
      setLink({ state: 'unreachable', address: options.address, since: iso(now), reason: `connection lost: ${reason}`, attempts: 0, nextAttemptAt: iso(now + delay) });
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
    setLink({ state: 'connected', address: options.address, since: iso(clock()) });
    emit({ type: 'connected', seq: nextSeq() });
  };

  /** A failed attempt: the link says why and when the next one starts; the delay doubles up to its cap. */
  const attemptFailed = (err: unknown, retry: boolean): void => {
    // A SystemdError's message starts with its D-Bus error name; a person needs only the rest.
    const reason = err instanceof SystemdError ? err.message.slice(err.dbusName.length + 2) : (err as Error).message;
    const now = clock();
    const wasDown = link.state === 'unreachable';
    const next = retry ? { nextAttemptAt: iso(now + delay) } : {};
    if (retry) log(`connecting to systemd at ${options.address} failed (${reason}); retrying in ${delay} ms`);
    setLink({ state: 'unreachable', address: options.address, since: wasDown ? link.since : iso(now), reason, attempts: (wasDown ? link.attempts ?? 0 : 0) + 1, ...next });
  };

  const scheduleReconnect = (): void => {
    if (closing || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connectOnce().catch((err: unknown) => {
        if (closing) return;
        delay = Math.min(delay * 2, backoff.maxMs);
        attemptFailed(err, true);
        scheduleReconnect();
      });
    }, delay);
  };

  // ready(): the first connect, or with waitForSystemd the first that succeeds (retried by the same backoff).
  let settleFirst: { resolve: () => void; reject: (err: Error) => void } | undefined;
  const first = new Promise<void>((resolve, reject) => (settleFirst = { resolve, reject }));
  // Reported through ready(); a caller that never asks must not see an unhandled rejection.
  first.catch(() => {});
  const onFirstConnected = (event: SystemdEvent): void => {
    if (event.type !== 'connected') return;
    events.off('event', onFirstConnected);
    settleFirst?.resolve();
  };
  events.on('event', onFirstConnected);
  connectOnce().catch((err: unknown) => {
    if (closing) return;
    if (!options.waitForSystemd) {
      attemptFailed(err, false);
      settleFirst?.reject(err as Error);
      return;
    }
    attemptFailed(err, true);
    scheduleReconnect();
  });

  /** `GetAll` of one interface of a unit (`''`: every interface), decoded. */
  const getAll = async (unit: string, iface: string): Promise<Stamped<UnitProps>> => {
    const { seq: s, value } = await call(new Message({ destination: SYSTEMD, path: unitPath(unit), interface: PROPERTIES, member: 'GetAll', signature: 's', body: [iface] }));
    return { seq: s, value: decodeUnitProps(value.body[0] as Record<string, unknown>) };
  };

  /**
   * A reader of one snapshot (`signals: false`): the Unit interface (~100 properties) first, and every interface
   * (~450) only for a unit that is not settled. Decoding the whole reply of every unit, cold (the decoder not yet
   * compiled by V8), was most of a one-shot `status`'s time: 379 → 303 ms for 10 never-started units (issue 15,
   * docs/performance.md). A settled unit (loaded, no job, active/running or inactive/dead) derives its state from
   * the Unit interface alone (src/controller/state.ts); the Service interface's Result, NRestarts, ExecMain* and
   * timeouts describe a failure or a transition. Single `Get`s instead cost ~1 ms each on the bus: slower still.
   */
  const readForSnapshot = async (unit: string): Promise<Stamped<UnitProps>> => {
    const first = await getAll(unit, UNIT);
    const p = first.value;
    const running = p.activeState === 'active' && p.subState === 'running';
    const stopped = p.activeState === 'inactive' && p.subState === 'dead';
    return p.loadState === 'loaded' && p.job === null && (running || stopped) ? first : getAll(unit, '');
  };

  // A job's caller (a click) resumes before the unit's next signals are handled: its answer goes first (connection.ts).
  const jobCall = async (member: string, unit: string, mode: JobMode): Promise<Stamped<string>> => {
    const { seq: s, value } = await call(managerCall(member, 'ss', [unit, mode]), { resumeFirst: true });
    return { seq: s, value: String(value.body[0]) };
  };

  return {
    onEvent(listener) {
      events.on('event', listener);
      return () => events.off('event', listener);
    },
    ready: () => first,
    async listUnitsByNames(names: string[]): Promise<Stamped<UnitListEntry[]>> {
      const { seq: s, value } = await call(managerCall('ListUnitsByNames', 'as', [names]));
      const rows = (value.body[0] as unknown[]) ?? [];
      return { seq: s, value: rows.map(decodeListEntry).filter((r): r is UnitListEntry => r !== undefined) };
    },
    async listUnitsByPatterns(states: string[], patterns: string[]): Promise<Stamped<UnitListEntry[]>> {
      const { seq: s, value } = await call(managerCall('ListUnitsByPatterns', 'asas', [states, patterns]));
      const rows = (value.body[0] as unknown[]) ?? [];
      return { seq: s, value: rows.map(decodeListEntry).filter((r): r is UnitListEntry => r !== undefined) };
    },
    async getUnitProperties(unit: string): Promise<Stamped<UnitProps>> {
      if (options.signals === false) return readForSnapshot(unit);
      // GetAll with an empty interface name: sd-bus answers with the properties of every interface of the object
      // (the Unit and the Service interface at once; `systemctl show` reads a unit this way). One call instead of
      // one per interface: half the round trips, and systemd loads an unreferenced inactive unit once instead of
      // twice (issue 15); the properties are also read in one step of systemd's, not two.
      return getAll(unit, '');
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
    link: () => link,
    async close() {
      closing = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      settleFirst?.reject(new SystemdError(DISCONNECTED, `closed before systemd at ${options.address} was reached`));
      const c = conn;
      conn = undefined;
      subscribed = false;
      if (!c) return;
      if (options.signals === false) {
        c.close();
        return;
      }
      try {
        await c.call(managerCall('Unsubscribe'));
      } catch {
        // Closing anyway; systemd drops a subscriber whose connection ends.
      }
      c.close();
    },
  };
}
