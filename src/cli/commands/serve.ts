/**
 * `archy-quadlet serve [--listen HOST:PORT] [--watch …]`: the controller, the
 * API and the web UI in one process, until SIGINT/SIGTERM. With `--watch` the
 * reconciler's watch loop runs in the same process, so its phases
 * (installing/updating/removing) reach the API's event stream, and the API's
 * install/remove work. It listens before systemd is reachable (boot order, a
 * restarting bus): the API reports the link, and the controller and the
 * reconciler start once systemd has been reached.
 */
import type { Command } from 'commander';
import { journalctl } from '../../api/journalctl.js';
import { DEFAULT_LISTEN, parseListen } from '../../api/listen.js';
import { startServer } from '../../api/server.js';
import type { ApiDeps, ApiLog } from '../../api/types.js';
import type { LiveController } from '../../controller/controller.js';
import type { SystemdPort } from '../../systemd/types.js';
import { unitTextFrom } from '../../api/unit-text.js';
import { loadOrCreateToken } from '../../store/token.js';
import { watch } from '../../reconcile/watch.js';
import { gitSource } from '../../store/git-source.js';
import { manifestsIn } from '../../reconcile/source.js';
import { join } from 'node:path';
import { withPassLock } from '../../store/pass-lock.js';
import { intentInstaller } from '../intent-installer.js';
import { openWaitingLive, type LiveOptions } from '../live.js';
import { DEFAULT_GENERATOR } from '../../reconcile/generator.js';
import { reconcileOptions, type ReconcileCliOptions } from './apply.js';
import { defaultUnitDir, signalled } from '../node-paths.js';
import { DEFAULT_MANIFESTS_DIR } from './validate.js';
import { parseInterval } from './watch.js';

export interface ServeOptions extends LiveOptions, Omit<ReconcileCliOptions, keyof LiveOptions | 'ref'> {
  listen: string;
  ref?: string;
  /** Run the reconciler's watch loop in this process. */
  watch?: boolean;
  interval?: string;
}

/** How often `serve` re-lists every unit as a safety net against a missed signal. */
const RELIST_INTERVAL_MS = 180_000;

/** Timestamped lines on stderr. */
export function stderrLog(): ApiLog {
  const line = (level: string) => (message: string) => void process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/**
 * Runs until `stop` resolves (by default SIGINT or SIGTERM), then closes the
 * server, then the controller and its bus connection. It listens at once and
 * waits for systemd with back-off (`DAEMON_BACKOFF`), reporting the link in the
 * API; the controller and the `--watch` loop start once systemd is reached.
 * `extra` replaces ports (the reconciler's installer; a journal reader for
 * another machine). Throws UsageError for a bad --listen, InvalidInputError for
 * invalid manifests (without --watch), and when the address cannot be bound.
 */
export async function serve(opts: ServeOptions, stop: Promise<unknown> = signalled(), extra: Partial<Pick<ApiDeps, 'installer' | 'journal' | 'units'>> = {}): Promise<void> {
  const address = parseListen(opts.listen);
  const intervalMs = opts.watch ? parseInterval(opts.interval ?? '1m') : 0;
  const log = stderrLog();
  const token = await loadOrCreateToken(opts.stateDir);
  // With --watch the unit directory is where the reconciler writes; the apps are the catalog's (the applied git
  // commit's), and until it is valid, those installed in the unit directory: the daemon never goes down over a manifest.
  const live = opts.watch
    ? await openWaitingLive(
        { ...opts, unitDir: undefined, manifests: await catalogDir(opts) },
        { relistIntervalMs: RELIST_INTERVAL_MS, log: log.info, fallback: { unitDir: opts.unitDir ?? defaultUnitDir(opts.user), log: log.warn } },
      )
    : await openWaitingLive(opts, { relistIntervalMs: RELIST_INTERVAL_MS, log: log.info });
  const ac = new AbortController();
  const aborted = new Promise<undefined>((resolve) => ac.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const installer = opts.watch ? intentInstaller(opts.stateDir, live.controller) : undefined;
    server = await startServer(
      {
        controller: live.controller,
        link: live.link,
        token,
        log,
        units: unitTextFrom(opts.unitDir ?? defaultUnitDir(opts.user)),
        journal: journalctl({ user: opts.user }),
        ...(installer ? { installer } : {}),
        ...extra,
      },
      address,
    );
    // Until stopped: once systemd is reached, the reconciler (with --watch) acts on it. Ends early only when the
    // controller or the loop fails for a reason other than an unreachable systemd.
    const work = (async (): Promise<void> => {
      const controller = await Promise.race([live.connected, aborted]);
      if (!controller) return;
      if (opts.watch) await reconcileLoop(opts, { systemd: live.systemd, controller }, ac.signal, log, intervalMs);
      else await aborted;
    })();
    await Promise.race([stop, work]);
    log.info('shutting down');
    ac.abort();
    await server.close();
    server = undefined;
    await work;
  } finally {
    ac.abort();
    await server?.close();
    await live.close();
  }
}

/** The manifests directory the daemon starts from: `--manifests`, or the applied commit's with `--git` (if any yet). */
async function catalogDir(opts: ServeOptions): Promise<string> {
  if (!opts.git) return opts.manifests ?? DEFAULT_MANIFESTS_DIR;
  const current = await gitSource({ url: opts.git, ref: opts.ref ?? 'main', stateDir: opts.stateDir }).current();
  return current ? manifestsIn(current.root) : join(opts.stateDir, 'git', 'nothing-applied-yet');
}

/** The reconciler's watch loop over the live session's systemd port, reporting phases to its controller. */
async function reconcileLoop(opts: ServeOptions, live: { systemd: SystemdPort; controller: LiveController }, signal: AbortSignal, log: ApiLog, intervalMs: number): Promise<void> {
  await watch({
    unitDir: opts.unitDir ?? defaultUnitDir(opts.user),
    stateDir: opts.stateDir,
    systemd: live.systemd,
    controller: live.controller,
    generator: [opts.generator ?? DEFAULT_GENERATOR],
    user: opts.user ?? false,
    log: log.info,
    ...(opts.podmanVersion ? { podmanVersion: opts.podmanVersion } : {}),
    intervalMs,
    signal,
    ...(opts.git ? { git: gitSource({ url: opts.git, ref: opts.ref ?? 'main', stateDir: opts.stateDir }) } : { manifestsDir: opts.manifests ?? DEFAULT_MANIFESTS_DIR }),
    exclusive: (fn) => withPassLock(opts.stateDir, fn, 15 * 60_000),
    onPass: ({ report, error }) => {
      if (error) log.error(`pass failed: ${error.message}`);
      for (const f of report?.failures ?? []) log.error(`failed ${f.step}: ${f.error}`);
      for (const h of report?.held ?? []) log.warn(`held ${h.app}: ${h.reason}`);
      if (report && report.done.length > 0) log.info(`pass done: ${report.done.join('; ')}`);
    },
  });
}


/** Adds `serve` to the program. */
export function register(program: Command): void {
  reconcileOptions(
    program
      .command('serve')
      .description('run the controller, the HTTP API and the web UI (bearer token: `archy-quadlet token`); with --watch also the reconciler')
      .option('--listen <host:port>', 'address to listen on (loopback unless you say otherwise)', DEFAULT_LISTEN)
      .option('--watch', "reconcile in this process, as `watch` does (the node's daemon); enables install/remove in the API")
      .option('--interval <duration>', 'with --watch: periodic re-check (and git fetch) interval', '1m'),
  )
    .action(async (_opts: unknown, cmd: Command) => {
      await serve(cmd.optsWithGlobals<ServeOptions>());
    });
}
