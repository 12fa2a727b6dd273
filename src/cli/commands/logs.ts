/**
 * `archy-quadlet logs APP [--container NAME] [-n N] [-f]`: an app's journal as journalctl prints it: every container
 * of an app of several interleaved in time (journalctl merges the units it is given), or one of them; `-f` follows.
 * journalctl runs on this terminal (its pager off) and its exit code is the command's. Rootless (`--user`), the
 * user's units (`--user-unit`). The same units as `GET /api/apps/:id/logs` (docs/api.md).
 */
import type { Command } from 'commander';
import type { AppRef } from '../../controller/types.js';
import type { NodeContext, NodeFlags } from '../node-context.js';
import { withOptions } from '../options.js';

export interface LogsOptions {
  /** One container of an app of several, by its short name (`db`). */
  container?: string;
  /** How many of the last lines to print first; default 100. */
  lines?: string;
  follow?: boolean;
}

/**
 * The units whose journal is `app`'s logs, for `container` (none: the app's unit and every container's).
 * Throws NotFoundError (exit 1) for a container the app does not have, naming the ones it has.
 */
export async function appLogUnits(app: AppRef, container: string | undefined): Promise<string[]> {
  if (container === undefined) return [app.unit, ...(app.containers ?? []).map((c) => c.unit)];
  const found = app.containers?.find((c) => c.name === container);
  if (found) return [found.unit];
  const { NotFoundError } = await import('../../errors.js');
  const names = app.containers?.map((c) => c.name).join(', ');
  throw new NotFoundError(`container of ${app.id}`, container, names ? `its containers: ${names}` : 'it is an app of one container: leave --container out');
}

/** journalctl's arguments for `units` of the manager (`user`: `--user-unit`). Throws UsageError for a bad `--lines`. */
export async function journalctlArgs(units: readonly string[], manager: 'system' | 'user', opts: LogsOptions): Promise<string[]> {
  const lines = opts.lines ?? '100';
  if (!/^(?:[0-9]+|all)$/.test(lines)) {
    const { UsageError } = await import('../../errors.js');
    throw new UsageError(`--lines ${JSON.stringify(lines)}: a number of lines, or all`);
  }
  return ['--no-pager', '-n', lines, ...(opts.follow ? ['--follow'] : []), ...units.flatMap((u) => [manager === 'user' ? '--user-unit' : '-u', u])];
}

/** The command's body: resolves with journalctl's exit code. Throws NotFoundError (exit 1) for an unknown app or container. */
export async function logs(id: string, ctx: NodeContext, opts: LogsOptions): Promise<number> {
  const { liveApps } = await import('../live.js');
  const { apps } = await liveApps(ctx, { fallbackLog: (m) => void process.stderr.write(`warning: ${m}\n`) });
  const app = apps.find((a) => a.id === id);
  if (!app) {
    const { NotFoundError } = await import('../../errors.js');
    throw new NotFoundError('app', id, `apps: ${apps.map((a) => a.id).join(', ') || 'none'}`);
  }
  const args = await journalctlArgs(await appLogUnits(app, opts.container), ctx.manager, opts);
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('journalctl', args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Adds `logs` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('logs <app>')
      .description("APP's journal (every container of an app of several, in time order); -f follows")
      .option('--container <name>', 'one container of an app of several')
      .option('-n, --lines <n>', 'how many of the last lines (a number, or all)', '100')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C'),
    ['unitDir'],
  ).action(async (app: string, _opts: unknown, cmd: Command) => {
    const flags = cmd.optsWithGlobals<NodeFlags & LogsOptions>();
    const { resolveNodeContext } = await import('../node-context.js');
    process.exitCode = await logs(app, resolveNodeContext(flags, { appsFromExplicitUnitDir: true }), flags);
  });
}
