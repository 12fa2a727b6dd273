/**
 * `archy-quadlet serve [--listen HOST:PORT]`: the controller, the API and the
 * web UI in one process, until SIGINT/SIGTERM. Composed from factories so that
 * more loops (e.g. the reconciler's watch) are one more line here.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { journalctl } from '../../api/journalctl.js';
import { DEFAULT_LISTEN, parseListen } from '../../api/listen.js';
import { startServer } from '../../api/server.js';
import type { ApiDeps, ApiLog } from '../../api/types.js';
import { unitTextFrom } from '../../api/unit-text.js';
import { loadOrCreateToken } from '../../store/token.js';
import { openLive, type LiveOptions } from '../live.js';

export interface ServeOptions extends LiveOptions {
  listen: string;
}

/** How often `serve` re-lists every unit as a safety net against a missed signal. */
const RELIST_INTERVAL_MS = 180_000;

/** Timestamped lines on stderr. */
export function stderrLog(): ApiLog {
  const line = (level: string) => (message: string) => void process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** The Quadlet unit directory of the system manager, or (with `user`) of this user's manager. */
export function quadletUnitDir(user: boolean | undefined): string {
  return user ? join(homedir(), '.config/containers/systemd') : '/etc/containers/systemd';
}

/**
 * Runs until `stop` resolves (by default SIGINT or SIGTERM), then closes the
 * server, then the controller and its bus connection. `extra` replaces ports
 * (the reconciler's installer; a journal reader for another machine).
 * Throws UsageError for a bad --listen, InvalidInputError for invalid manifests,
 * SystemdError when systemd cannot be reached, and when the address cannot be bound.
 */
export async function serve(opts: ServeOptions, stop: Promise<unknown> = signalled(), extra: Partial<Pick<ApiDeps, 'installer' | 'journal' | 'units'>> = {}): Promise<void> {
  const address = parseListen(opts.listen);
  const log = stderrLog();
  const token = await loadOrCreateToken(opts.stateDir);
  const live = await openLive(opts, { relistIntervalMs: RELIST_INTERVAL_MS, log: log.info });
  try {
    const server = await startServer(
      { controller: live.controller, token, log, units: unitTextFrom(opts.unitDir ?? quadletUnitDir(opts.user)), journal: journalctl({ user: opts.user }), ...extra },
      address,
    );
    await stop;
    log.info('shutting down');
    await server.close();
  } finally {
    await live.close();
  }
}

function signalled(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Adds `serve` to the program. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the controller, the HTTP API and the web UI (bearer token: `archy-quadlet token`)')
    .option('--listen <host:port>', 'address to listen on (loopback unless you say otherwise)', DEFAULT_LISTEN)
    .option('--unit-dir <dir>', 'track the *.container units in DIR instead of the manifests')
    .action(async (_opts: unknown, cmd: Command) => {
      await serve(cmd.optsWithGlobals<ServeOptions>());
    });
}
