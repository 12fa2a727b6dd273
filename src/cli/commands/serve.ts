/**
 * `archy-quadlet serve [--listen HOST:PORT] [--watch …]`: the controller, the
 * API and the web UI in one process, until SIGINT/SIGTERM. With `--watch` the
 * reconciler's watch loop runs in the same process, so its phases
 * (installing/updating/removing) reach the API's event stream, and the API's
 * install/remove work. It listens before systemd is reachable (boot order, a
 * restarting bus): the API reports the link, and the controller and the
 * reconciler start once systemd has been reached.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ApiDeps, ApiLog } from '../../api/types.js';
import { stampLines } from '../stamp.js';
import { DEFAULT_LISTEN } from '../../defaults.js';
import type { HealthWatch } from '../../podman/health-events.js';
import type { NodeFlags } from '../node-context.js';
import { parseInterval, RECONCILE_OPTIONS, withOptions } from '../options.js';
import { signalled } from '../signalled.js';

/** `serve`'s own options, besides the node's. */
export interface ServeOptions extends NodeFlags {
  listen: string;
  /** Run the reconciler's watch loop in this process. */
  watch?: boolean;
  interval?: string;
}

/** Ports that replace serve's own, and a command prefix (`via`) its journalctl and podman run under (tests: `nsenter` into the test host). */
export type ServeExtra = Partial<Pick<ApiDeps, 'installer' | 'journal' | 'follow' | 'units' | 'icons'>> & { via?: readonly string[] };

/** How often `serve` re-lists every unit as a safety net against a missed signal. */
const RELIST_INTERVAL_MS = 180_000;

/** Timestamped lines on stderr, each line of a message with its time and level ({@link stampLines}). */
export function stderrLog(): ApiLog {
  const line = (level: string) => (message: string) => void process.stderr.write(stampLines(level, message));
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/**
 * Runs until `stop` resolves (by default SIGINT or SIGTERM), then closes the
 * server, then the controller and its bus connection. It listens at once and
 * waits for systemd with back-off (`DAEMON_BACKOFF`), reporting the link in the
 * API; the controller and the `--watch` loop start once systemd is reached.
 * `extra` replaces ports (the reconciler's installer; a journal reader for
 * another machine), or runs journalctl and podman under a prefix (`via`). Throws UsageError for a bad --listen, InvalidInputError for
 * invalid manifests (without --watch), and when the address cannot be bound.
 */
export async function serve(opts: ServeOptions, stop: Promise<unknown> = signalled(), serveExtra: ServeExtra = {}): Promise<void> {
  const { via, ...extra } = serveExtra;
  // What the daemon runs, loaded now rather than for every command's --help (issue 15).
  const [
    { resolveNodeContext },
    { parseListen },
    { startServer },
    { openWaitingLive },
    { journalctl, journalFollower },
    { unitTextFrom },
    { readCatalogIcon },
    { stateLayout },
    { readSourceState },
    { loadOrCreateToken },
    { intentInstaller },
    { appliedCatalogDir, passOnce, reconcileLoop },
    { reconcilerView },
    { followHealth },
  ] = await Promise.all([
    import('../node-context.js'),
    import('../../api/listen.js'),
    import('../../api/server.js'),
    import('../live.js'),
    import('../../api/journalctl.js'),
    import('../../api/unit-text.js'),
    import('../../store/node/catalog-files.js'),
    import('../../store/state/layout.js'),
    import('../../store/state/source-state.js'),
    import('../../store/state/token.js'),
    import('../intent-installer.js'),
    import('../node-pass.js'),
    import('../reconciler-view.js'),
    import('../health-feed.js'),
  ]);
  // With --watch, --unit-dir is where the reconciler writes; without, an explicit one names the apps to track.
  const ctx = resolveNodeContext(opts, { appsFromExplicitUnitDir: !opts.watch });
  const address = parseListen(opts.listen);
  const intervalMs = opts.watch ? parseInterval(opts.interval ?? '1m') : 0;
  const log = stderrLog();
  const token = await loadOrCreateToken(ctx.stateDir);
  // The apps are the catalog's (the applied git commit's); with --watch, until it is valid, those installed in the
  // unit directory: the daemon never goes down over a manifest. While no commit is applied, the catalog is a
  // directory that does not exist yet: it reads as unusable, and with --watch the installed apps are tracked.
  const live = await openWaitingLive(ctx, {
    relistIntervalMs: RELIST_INTERVAL_MS,
    log: log.info,
    catalogDir: (await appliedCatalogDir(ctx)) ?? join(stateLayout(ctx.stateDir).git, 'nothing-applied-yet'),
    ...(opts.watch ? { fallbackLog: log.warn } : {}),
  });
  const ac = new AbortController();
  const aborted = new Promise<undefined>((resolve) => ac.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let health: HealthWatch | undefined;
  try {
    const installer = opts.watch ? intentInstaller(ctx.stateDir, live.controller) : undefined;
    const source = ctx.git ? () => readSourceState(ctx.stateDir) : undefined;
    // The pending changes are a dry run of the node's pass, as `diff --node` prints them.
    const reconciler = opts.watch
      ? reconcilerView({
          ...(source ? { source } : {}),
          pending: async () => {
            const report = await passOnce({ ...ctx, pass: { ...ctx.pass, dryRun: true } }, () => {});
            return { steps: report.planned, held: report.held.map((h) => ({ app: h.app, reason: h.reason, ...(h.retryAt ? { retryAt: h.retryAt } : {}) })) };
          },
        })
      : undefined;
    server = await startServer(
      {
        controller: live.controller,
        link: live.link,
        token,
        log,
        units: unitTextFrom(ctx.unitDir),
        journal: journalctl({ user: ctx.manager === 'user', ...(via ? { via } : {}) }),
        follow: journalFollower({ user: ctx.manager === 'user', ...(via ? { via } : {}) }),
        ...(source ? { source } : {}),
        ...(reconciler ? { reconciler } : {}),
        // The catalog's directory at the time of the request: with --git, the applied commit's.
        icons: async (path) => {
          const dir = await appliedCatalogDir(ctx);
          return dir === undefined ? undefined : readCatalogIcon(dir, path);
        },
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
      health = followHealth(controller, { user: ctx.manager === 'user', log: log.warn, ...(via ? { via } : {}) });
      if (opts.watch) {
        // Each look runs inside the installer's hook (it settles the phases it announced) inside the view's (passRunning).
        const around = (fn: () => Promise<void>): Promise<void> => reconciler!.aroundPass(() => (installer ? installer.aroundPass(fn) : fn()));
        await reconcileLoop(ctx, { systemd: live.systemd, controller, intervalMs, signal: ac.signal, log, summary: 'steps', aroundPass: around, onPass: (r) => reconciler!.onPass(r), onTrigger: (t) => reconciler!.setTrigger(t) });
      }
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
    health?.stop();
    await server?.close();
    await live.close();
  }
}

/** Adds `serve` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('serve')
      .description('run the controller, the HTTP API and the web UI (bearer token: `archy-quadlet token`); with --watch also the reconciler')
      .option('--listen <host:port>', 'address to listen on (loopback unless you say otherwise)', DEFAULT_LISTEN)
      .option('--watch', "reconcile in this process, as `watch` does (the node's daemon); enables install/remove in the API"),
    [...RECONCILE_OPTIONS, 'interval'],
  ).action(async (_opts: unknown, cmd: Command) => {
    await serve(cmd.optsWithGlobals<ServeOptions>());
  });
}
