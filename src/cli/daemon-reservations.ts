/**
 * The host addresses the node's own daemons bind, where no app may publish (issue 17: "the port-clash check must
 * include the daemon's own listen address and anything else the node's config reserves"), learned from systemd, the
 * one source of truth: the daemon unit `archy-quadlet.service` of the command's manager, drop-ins included
 * (`systemctl edit archy-quadlet.service` → `Environment=ARCHY_QUADLET_LISTEN=…`, packaging/archy-quadlet.service).
 * Rootless, the user's daemon and the system's: a user's apps publish on the same host's ports.
 *
 * The rule, per daemon (README, manifest reference, "ports"):
 * - `serve`'s own `--listen`: this process is that daemon.
 * - its unit is loaded: reserved when it runs now or is enabled (it starts at boot), at its `ARCHY_QUADLET_LISTEN`,
 *   or at the last `--listen` in `ARCHY_QUADLET_OPTIONS` (ExecStart puts those after, and serve takes the last);
 *   not reserved when it is disabled or masked and not running (a rootless node's system daemon, docs/rootless.md).
 * - its unit is not installed, or the manager cannot be reached (a checkout, CI, an offline `validate`): the packaged
 *   unit's address, 127.0.0.1:8080 (rootful) or 127.0.0.1:8081 (a user's).
 * - rootful, run by root on the node itself: every user manager that runs there is asked too (a user's daemon shares
 *   the host's ports with the rootful apps); there only what is seen running or enabled is reserved, no default.
 */
import { existsSync } from 'node:fs';
import { DEFAULT_LISTEN, parseListen } from '../api/listen.js';
import { daemonReservation, type ReservedPort } from '../manifest/checks.js';
import { SYSTEM_BUS_ADDRESS } from '../systemd/address.js';
import { environmentOf, splitUnbraced } from '../systemd/unit-environment.js';
import type { ServiceSettings } from '../systemd/unit-settings.js';

type Manager = 'system' | 'user';

/** The daemon's unit, in the system manager and in a user's (packaging/archy-quadlet.service, archy-quadlet.user.service). */
export const DAEMON_UNIT = 'archy-quadlet.service';

/** Where the packaged daemons listen, by manager. */
export const DAEMON_LISTEN = { system: DEFAULT_LISTEN, user: '127.0.0.1:8081' } as const;

/** The daemon by the name a person knows it: `serve` when the address is serve's own or the packaged default. */
const SERVE = { system: "archy-quadlet serve (the node's API and web UI)", user: "archy-quadlet serve --user (this user's API and web UI)" } as const;
/** The daemon by its unit, when systemd said where it listens. */
const UNIT = { system: `${DAEMON_UNIT} (the node's API and web UI`, user: `${DAEMON_UNIT} of the user's manager (this user's API and web UI` } as const;
const EDIT = { system: `systemctl edit ${DAEMON_UNIT}`, user: `systemctl --user edit ${DAEMON_UNIT}` } as const;

/** UnitFileState values of a unit that does not start at boot. */
const NOT_AT_BOOT = new Set(['disabled', 'masked', 'masked-runtime']);
/** ActiveState values of a unit that binds nothing now. */
const NOT_RUNNING = new Set(['inactive', 'failed']);

/** What to do about a clash with the daemon: move the app, or the daemon. */
const moveHint = (manager: Manager): string => `pick another host port, or move the daemon: ${EDIT[manager]}`;

/** `serve --listen` of this process (`manager`'s daemon). Throws UsageError for a bad address. */
export function servedReservation(manager: Manager, listen: string): ReservedPort {
  return { ...daemonReservation(parseListen(listen), SERVE[manager]), hint: 'pick another host port, or give serve another --listen' };
}

/** The packaged unit's address of `manager`'s daemon. */
export function packagedReservation(manager: Manager): ReservedPort {
  return { ...daemonReservation(parseListen(DAEMON_LISTEN[manager]), SERVE[manager]), hint: moveHint(manager) };
}

/** Where a daemon unit's ExecStart makes serve listen: `ARCHY_QUADLET_LISTEN`, unless `$ARCHY_QUADLET_OPTIONS` has a `--listen` (the last counts). */
export function unitListen(environment: readonly string[]): { listen: string; setting: string } | undefined {
  const env = environmentOf(environment);
  const words = splitUnbraced(env.get('ARCHY_QUADLET_OPTIONS') ?? '');
  let listen: { listen: string; setting: string } | undefined;
  words.forEach((w, i) => {
    if (w === '--listen' && i + 1 < words.length) listen = { listen: words[i + 1]!, setting: 'ARCHY_QUADLET_OPTIONS --listen' };
    else if (w.startsWith('--listen=')) listen = { listen: w.slice('--listen='.length), setting: 'ARCHY_QUADLET_OPTIONS --listen' };
  });
  const own = env.get('ARCHY_QUADLET_LISTEN');
  return listen ?? (own === undefined ? undefined : { listen: own, setting: 'ARCHY_QUADLET_LISTEN' });
}

/**
 * What one daemon reserves, by the rule above, from its unit as systemd holds it (`undefined`: not reachable); a
 * `note` when a person should know. `uid`: the daemon of another user's manager, asked by a rootful command, which
 * reserves only what it saw (no packaged default: most users run no daemon).
 */
export function daemonFromUnit(manager: Manager, unit: ServiceSettings | undefined, uid?: number): { reservation?: ReservedPort; note?: string } {
  const packaged = uid === undefined ? packagedReservation(manager) : undefined;
  const fallback = (note?: string): { reservation?: ReservedPort; note?: string } => ({ ...(packaged ? { reservation: packaged } : {}), ...(note ? { note } : {}) });
  const assumed = packaged ? `the port check assumes the packaged ${DAEMON_LISTEN[manager]}` : 'the port check leaves it out';
  const name = uid !== undefined ? `user ${uid}'s ${DAEMON_UNIT}` : manager === 'user' ? `the user's ${DAEMON_UNIT}` : DAEMON_UNIT;
  if (!unit || unit.loadState === 'not-found') return fallback();
  if (unit.loadState === 'masked') return {};
  if (unit.loadState !== 'loaded') return fallback(`${name} cannot be loaded (${unit.loadState}); ${assumed}`);
  if (NOT_AT_BOOT.has(unit.unitFileState) && NOT_RUNNING.has(unit.activeState)) return {};
  const found = unitListen(unit.environment);
  if (!found) return fallback(`${name} sets no ARCHY_QUADLET_LISTEN; ${assumed}`);
  try {
    const listen = parseListen(found.listen);
    if (uid !== undefined) {
      return { reservation: { ...daemonReservation(listen, `${DAEMON_UNIT} of user ${uid}'s manager (that user's API and web UI; its ${found.setting})`), hint: `pick another host port, or move that daemon: as user ${uid}, ${EDIT.user}` } };
    }
    return { reservation: { ...daemonReservation(listen, `${UNIT[manager]}; its ${found.setting})`), hint: moveHint(manager) } };
  } catch {
    return fallback(`${name}: ${found.setting} ${JSON.stringify(found.listen)} is no listen address; ${assumed}`);
  }
}

/** Each address once (the first who binds it is named). */
function distinct(reservations: ReadonlyArray<ReservedPort | undefined>): ReservedPort[] {
  const out: ReservedPort[] = [];
  for (const r of reservations) if (r && !out.some((o) => o.ip === r.ip && o.port === r.port && o.protocol === r.protocol)) out.push(r);
  return out;
}

/**
 * A unit's settings from the manager on the bus at `address`; a socket path that does not exist (no systemd here: CI,
 * a checkout) answers undefined without loading the D-Bus library at all.
 */
async function readOverDBus(address: string, unit: string): Promise<ServiceSettings | undefined> {
  const socket = /^unix:path=([^,;]+)/.exec(address)?.[1];
  if (socket !== undefined && !existsSync(socket)) return undefined;
  return (await import('../systemd/unit-settings.js')).readServiceSettings(address, unit);
}

/** What {@link learnReservations} works from. */
export interface ReservationSources {
  manager: Manager;
  /** The D-Bus address of `manager` (`NodeContext.busAddress`). */
  busAddress: string;
  /** `serve --listen`: this process is `manager`'s daemon, and that is its address. */
  listen?: string;
  /** Reads a unit's settings from the manager at a bus address (default: `readServiceSettings` over D-Bus). */
  read?: (address: string, unit: string) => Promise<ServiceSettings | undefined>;
  /**
   * Rootful on the node itself, as root: the users whose managers run, each with a reader of its units (default none;
   * `reservationsOf` gives `runningUserManagers` and `readUserServiceSettings`).
   */
  users?: { list: () => Promise<number[]>; read: (uid: number, unit: string) => Promise<ServiceSettings | undefined> };
  /** Gets the notes (one line each). */
  note?: (line: string) => void;
}

/**
 * The node's reservations for a command of `manager` (rootless: the user's daemon, then the system's; rootful with
 * `users`: the system's, then each user's), each learned from its manager by the rule above, all at once. Throws
 * UsageError for a bad `listen`.
 */
export async function learnReservations({ manager, busAddress, listen, read, users, note = () => {} }: ReservationSources): Promise<ReservedPort[]> {
  const own = listen === undefined ? undefined : servedReservation(manager, listen);
  const readUnit = read ?? readOverDBus;
  const seen = (s: { reservation?: ReservedPort; note?: string }): ReservedPort | undefined => {
    if (s.note) note(s.note);
    return s.reservation;
  };
  const learn = async (m: Manager, address: string): Promise<ReservedPort | undefined> => seen(daemonFromUnit(m, await readUnit(address, DAEMON_UNIT)));
  const others = async (): Promise<Array<ReservedPort | undefined>> => {
    if (manager !== 'system' || !users) return [];
    return Promise.all((await users.list()).map(async (uid) => seen(daemonFromUnit('user', await users.read(uid, DAEMON_UNIT), uid))));
  };
  const [mine, system, theirs] = await Promise.all([own ?? learn(manager, busAddress), manager === 'user' ? learn('system', SYSTEM_BUS_ADDRESS) : undefined, others()]);
  return distinct([mine, system, ...theirs]);
}
