/**
 * Opens the live view the `status`/`start`/`stop`/`restart` commands share: a
 * systemd connection and a controller over the node's apps. The apps are the
 * catalog's, or (`appsFrom: 'unit-dir'`, a live command given `--unit-dir`)
 * the apps of the units in the unit directory (units written by hand, with
 * no manifest: every `*.container`, those of an app of several grouped under
 * its `<id>.network`). The catalog's apps come with the onion addresses its Tor app has written, read once here (a
 * pass in `serve --watch` reads them again). One-shot commands fail at once when systemd cannot be reached;
 * the daemon (`serve`) opens a view that waits for it (`openWaitingLive`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiController, SystemdLinkSource } from '../api/types.js';
import { createController, type ControllerDeps, type LiveController } from '../controller/controller.js';
import type { AppRef, StateEvent } from '../controller/types.js';
import { appRef, unitDirAppRefs } from '../controller/app-refs.js';
import { readUnitDir } from '../store/node/unit-dir.js';
import { readIntents, type IntentRecord } from '../store/state/intents.js';
import { readOnionAddresses } from '../store/node/onion-addresses.js';
import { onionHostnames } from '../manifest/onion.js';
import { createSystemd } from '../systemd/client.js';
import type { LinkStatus, SystemdPort } from '../systemd/types.js';
import { describeLink } from '../systemd/link.js';
import { formatProblem, InvalidInputError, SystemdError } from '../errors.js';
import type { NodeContext } from './node-context.js';

/** What the live view needs of the node. */
export type LiveContext = Pick<NodeContext, 'manifestsDir' | 'stateDir' | 'unitDir' | 'appsFrom' | 'busAddress' | 'manager'>;

/** Where the apps come from when the catalog cannot be read. */
export interface AppsFallback {
  /** The node's unit directory: its `*.container` units of ours are the apps. */
  unitDir: string;
  /** The state directory: a template app's instances the user stopped on their own (its intent) are its instances too. */
  stateDir?: string;
  log: (line: string) => void;
}

/**
 * The apps in a Quadlet unit directory (only the files archy-quadlet wrote, with `ownedOnly`): one per
 * `<id>.container`, except the containers of an app of several, which are grouped under its `<id>.network`
 * (`unitDirAppRefs`).
 */
export async function unitDirApps(dir: string, { ownedOnly = false, stateDir }: { ownedOnly?: boolean; stateDir?: string } = {}): Promise<AppRef[]> {
  const entries = await readUnitDir(dir);
  // An unreadable intent only hides the instances stopped on their own; the stop of an app must still work.
  const intents = stateDir === undefined ? new Map() : await readIntents(stateDir).catch(() => new Map<string, IntentRecord>());
  const stopped = new Map([...intents].flatMap(([id, r]) => (r.stopped ? [[id, r.stopped] as const] : [])));
  return unitDirAppRefs(entries.filter((e) => !ownedOnly || e.owned), stopped);
}

/** The apps a live view tracks, and the onion addresses its Tor app has written for them (by app id). */
export interface LiveApps {
  apps: AppRef[];
  onions: Record<string, string>;
}

/**
 * The apps of the catalog in `dir`, with the onion addresses tor wrote on this host; throws InvalidInputError with
 * every problem when a manifest is invalid. An address that cannot be read is left out (and logged). The daemons'
 * own addresses are not asked for: a live view tracks the apps, and whether one may publish where a daemon listens
 * is `validate`'s and the pass's check (it would cost `status` a D-Bus read per daemon: issue 15).
 */
export async function manifestApps(dir: string, log: (m: string) => void = () => {}): Promise<LiveApps> {
  // The loader (YAML, the schema's validator) only when the apps come from manifests: not for --unit-dir.
  const { readCatalog } = await import('./catalog.js');
  const { manifests, problems } = await readCatalog(dir);
  if (problems.length > 0) throw new InvalidInputError(problems);
  const onions = await readOnionAddresses(onionHostnames(manifests, {})).catch((err: unknown) => {
    log(`reading the onion addresses failed: ${(err as Error).message}`);
    return {};
  });
  return { apps: manifests.map(({ manifest }) => appRef(manifest)), onions };
}

/**
 * The catalog's apps; with a fallback, an unreadable or invalid catalog does not take the live view down (a
 * stop must keep working while someone fixes a manifest): the units of ours on the node are tracked instead,
 * and the reconciler's first pass replaces them with the catalog once it is valid.
 */
export async function catalogApps(dir: string, fallback?: AppsFallback): Promise<LiveApps> {
  try {
    return await manifestApps(dir, fallback?.log);
  } catch (err) {
    if (!fallback || !(err instanceof InvalidInputError)) throw err;
    const [first, ...more] = err.problems;
    const what = first ? `${formatProblem(first)}${more.length > 0 ? ` (and ${more.length} more; see archy-quadlet validate)` : ''}` : err.message;
    fallback.log(`the catalog cannot be used: ${what}; tracking the apps installed in ${fallback.unitDir} meanwhile`);
    return { apps: await unitDirApps(fallback.unitDir, { ownedOnly: true, ...(fallback.stateDir !== undefined ? { stateDir: fallback.stateDir } : {}) }).catch(() => []), onions: {} };
  }
}

/** A connected controller and the port under it; `close()` closes both. */
export interface LiveSession {
  controller: LiveController;
  systemd: SystemdPort;
  close(): Promise<void>;
}

/** What `openLive` and `openWaitingLive` take besides the node. */
export interface LiveExtra {
  relistIntervalMs?: number;
  log?: (m: string) => void;
  /** The catalog's directory, when not `manifestsDir` (`serve --git`: the applied commit's manifests). */
  catalogDir?: string;
  /**
   * Keep the view up when the catalog cannot be used: the units of ours in the unit directory are the apps
   * meanwhile, and this logs why. Absent: an invalid catalog fails the view.
   */
  fallbackLog?: (m: string) => void;
  /** `false`: one snapshot, no signals followed (`status` without `--watch`; see `SystemdOptions.signals`). */
  signals?: boolean;
}

/** The apps of the live view: the unit directory's units, or the catalog's (with the fallback, when asked for). */
export async function liveApps(ctx: LiveContext, extra: LiveExtra): Promise<LiveApps> {
  if (ctx.appsFrom === 'unit-dir') return { apps: await unitDirApps(ctx.unitDir, { stateDir: ctx.stateDir }), onions: {} };
  return catalogApps(extra.catalogDir ?? ctx.manifestsDir, extra.fallbackLog ? { unitDir: ctx.unitDir, stateDir: ctx.stateDir, log: extra.fallbackLog } : undefined);
}

/** The controller's deps of the node; a stop or start makes the boot follow the user in the unit directory. */
const controllerDeps = (ctx: LiveContext, systemd: SystemdPort, { apps, onions }: LiveApps, extra: LiveExtra): ControllerDeps => ({
  systemd,
  stateDir: ctx.stateDir,
  apps,
  onions,
  relistIntervalMs: extra.relistIntervalMs ?? 0,
  ...(extra.log ? { log: extra.log } : {}),
  unitDir: ctx.unitDir,
  user: ctx.manager === 'user',
});

/**
 * Connects to systemd and builds the controller. Throws InvalidInputError for
 * invalid manifests and SystemdError when systemd cannot be reached.
 */
export async function openLive(ctx: LiveContext, extra: LiveExtra = {}): Promise<LiveSession> {
  // Connecting (socket, auth, Hello, and the subscription) while the apps are read: a one-shot command waits for
  // the longer of the two, not for both (issue 15). The apps' error still comes first: the controller needs them.
  const systemd = createSystemd({ address: ctx.busAddress, log: extra.log, ...(extra.signals === false ? { signals: false } : {}) });
  try {
    const apps = await liveApps(ctx, extra);
    const controller = await createController(controllerDeps(ctx, systemd, apps, extra));
    return {
      controller,
      systemd,
      async close() {
        await controller.close();
        await systemd.close();
      },
    };
  } catch (err) {
    await systemd.close();
    throw err;
  }
}

/** The daemon's reconnect backoff: 0.5 s doubling to 30 s, for the first connect and after a lost connection. */
export const DAEMON_BACKOFF = { initialMs: 500, maxMs: 30_000 };

/** The daemon's live view: usable before systemd is reachable. */
export interface WaitingLiveSession {
  /**
   * What the API talks to: no apps, and every call refused with SystemdError, until systemd has been reached and
   * the first snapshot taken; then the controller's apps and events (its events renumbered from 1 in this
   * view, after one event per app for the first snapshot).
   */
  controller: LiveView;
  /** The link to systemd as clients should see it: `connected` only once the controller holds a snapshot taken since. */
  link: SystemdLinkSource;
  systemd: SystemdPort;
  /**
   * Resolves with the controller once systemd has been reached and the first snapshot taken. Rejects with
   * SystemdError when closed before that, or with whatever else the controller failed with (not a lost bus, which is waited out).
   */
  connected: Promise<LiveController>;
  /** Closes the controller (if any) and the port. */
  close(): Promise<void>;
}

/**
 * The daemon's live view (`serve`): returns at once with a view that waits for systemd, connecting with
 * {@link DAEMON_BACKOFF}, then builds the controller; a bus lost while the first snapshot is taken is waited
 * out too. Throws InvalidInputError for invalid manifests (without a fallback).
 */
export async function openWaitingLive(ctx: LiveContext, extra: LiveExtra = {}): Promise<WaitingLiveSession> {
  const log = extra.log ?? (() => {});
  const apps = await liveApps(ctx, extra);
  const systemd = createSystemd({ address: ctx.busAddress, log, backoff: DAEMON_BACKOFF, waitForSystemd: true });
  const view = deferredController(() => new SystemdError('org.freedesktop.DBus.Error.Disconnected', describeLink(shown)));
  const linkListeners = new Set<(link: LinkStatus) => void>();
  // Reached but not yet read: the states are not known until the controller has its snapshot.
  const pending = (l: LinkStatus): LinkStatus => (l.state === 'connected' ? { ...l, state: 'connecting' } : l);
  let shown = pending(systemd.link());
  let real: LiveController | undefined;
  let closed = false;
  let generation = 0;
  const publish = (l: LinkStatus): void => {
    if (l === shown) return;
    // Every failed attempt is logged by the port; a change of state is worth a line of its own.
    if (l.state !== shown.state) log(l.state === 'connected' ? `${describeLink(l)}; app states are current` : describeLink(l));
    shown = l;
    for (const listener of linkListeners) listener(l);
  };
  const closing = new AbortController();
  const closedError = (): SystemdError => new SystemdError('org.freedesktop.DBus.Error.Disconnected', `closed before systemd at ${shown.address} was reached`);

  // The controller resyncs on every (re)connect; setApps with the apps it tracks waits for that resync
  // (overlapping resyncs coalesce), so the link shows `connected` only once the states are current again.
  const confirmLink = (c: LiveController): void => {
    const gen = generation;
    c.setApps(c.apps()).then(
      () => {
        const l = systemd.link();
        if (gen === generation && !closed && l.state === 'connected') publish(l);
      },
      (err: unknown) => log(`re-reading the app states after connecting failed: ${(err as Error).message}`),
    );
  };
  const unlisten = systemd.onEvent((event) => {
    if (event.type !== 'link') return;
    generation++;
    publish(pending(event.link));
    // Before the controller exists, the loop below confirms the link once the first snapshot is in.
    if (event.link.state === 'connected' && real) confirmLink(real);
  });

  /** The next time the port is connected (at once if it is); rejects when closed first. */
  const reached = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(closedError());
      if (systemd.connected()) return resolve();
      const done = (): void => {
        off();
        closing.signal.removeEventListener('abort', onClose);
      };
      const onClose = (): void => {
        done();
        reject(closedError());
      };
      const off = systemd.onEvent((e) => {
        if (e.type !== 'link' || e.link.state !== 'connected') return;
        done();
        resolve();
      });
      closing.signal.addEventListener('abort', onClose, { once: true });
    });

  const connected = (async (): Promise<LiveController> => {
    for (;;) {
      try {
        const controller = await createController(controllerDeps(ctx, systemd, apps, { ...extra, log }));
        if (closed) {
          await controller.close();
          throw closedError();
        }
        real = controller;
        view.attach(controller);
        if (systemd.connected()) confirmLink(controller);
        return controller;
      } catch (err) {
        if (closed || !(err instanceof SystemdError)) throw err;
        log(`taking the first snapshot failed (${err.message}); trying again once systemd is reachable`);
        // A bus that stayed up but failed a call: wait a while rather than spin, then for a connection.
        if (systemd.connected()) await sleep(DAEMON_BACKOFF.maxMs, undefined, { signal: closing.signal }).catch(() => undefined);
        await reached();
      }
    }
  })();
  // serve awaits it; a caller that closes first must not see an unhandled rejection.
  connected.catch(() => {});

  return {
    controller: view.controller,
    link: {
      current: () => ({ ...shown, manager: ctx.manager }),
      subscribe(listener) {
        const withManager = (l: LinkStatus): void => listener({ ...l, manager: ctx.manager });
        linkListeners.add(withManager);
        return () => linkListeners.delete(withManager);
      },
    },
    systemd,
    connected,
    async close() {
      closed = true;
      closing.abort();
      unlisten();
      linkListeners.clear();
      await real?.close();
      await systemd.close();
    },
  };
}

/** What the daemon's API uses of its controller: the API's calls, and the phases its installer announces. */
export type LiveView = ApiController & Pick<LiveController, 'setPhase'>;

/**
 * A controller view that exists before the controller does: empty (every call refused with `unavailable()`)
 * until `attach`, then the controller's. Its events are renumbered in its own seq space, which starts with one
 * event per app for the attached controller's first snapshot (whose own events nobody could listen to).
 */
function deferredController(unavailable: () => Error): { controller: LiveView; attach(c: LiveController): void } {
  let real: LiveController | undefined;
  let seq = 0;
  const listeners = new Set<(event: StateEvent) => void>();
  const forward = (event: StateEvent): void => {
    const renumbered = { ...event, seq: ++seq };
    for (const listener of listeners) listener(renumbered);
  };
  const need = (): LiveController => {
    if (!real) throw unavailable();
    return real;
  };
  return {
    controller: {
      list: () => real?.list() ?? [],
      get: (id) => real?.get(id),
      start: async (id, instance) => need().start(id, instance),
      stop: async (id, instance) => need().stop(id, instance),
      restart: async (id, instance) => need().restart(id, instance),
      setPhase: async (id, phase) => need().setPhase(id, phase),
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    attach(c) {
      real = c;
      // Subscribed and the snapshot sent in one synchronous step: no event of the controller falls between.
      c.subscribe(forward);
      for (const status of c.list()) forward({ seq: 0, status });
    },
  };
}
