/**
 * `archy-quadlet start|stop|restart APP|APP@INSTANCE [--wait]`: queues the job and returns
 * at once, printing the transitional state; `--wait` follows the job to its
 * end and fails (exit 3) unless systemd reports it `done`.
 */
import type { Command } from 'commander';
import type { AppStatus, Controller, LifecycleResult } from '../../controller/types.js';
import { UsageError } from '../../errors.js';
import { parseAppTarget } from '../../naming.js';
import type { NodeContext, NodeFlags } from '../node-context.js';
import { withOptions } from '../options.js';

export interface LifecycleOptions {
  wait?: boolean;
}

type Action = LifecycleResult['action'];

/** Resolves with the app's status once it is not transitional (at once if it is not). */
async function settled(controller: Controller, id: string): Promise<AppStatus | undefined> {
  const { isTransitional } = await import('../../controller/types.js');
  return new Promise((resolve) => {
    const off = controller.subscribe((e) => {
      if (e.status.id !== id || isTransitional(e.status.state)) return;
      off();
      resolve(e.status);
    });
    const now = controller.get(id);
    if (!now || !isTransitional(now.state)) {
      off();
      resolve(now);
    }
  });
}

/** The instance's own status within its app's (`containers`), or the app's when the call acted on the app. */
function shown(status: AppStatus, instance: string | undefined): { state: string; reason?: string; unit: string } {
  return (instance === undefined ? undefined : status.containers?.find((c) => c.name === instance)) ?? status;
}

/** The command's body. Throws NotFoundError (exit 1) for an unknown app, SystemdError (exit 3) when systemd refuses, Error (exit 3) when a waited-for job does not end `done` or leaves the app failed. */
export async function lifecycle(action: Action, arg: string, ctx: NodeContext, opts: LifecycleOptions, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  // `indexer@2`: one instance of a template app, as systemctl names it (issue 17).
  const target = parseAppTarget(arg);
  if (!target) throw new UsageError(`${JSON.stringify(arg)} is neither an app id nor APP@INSTANCE (e.g. indexer@2)`);
  const { app: id, instance } = target;
  // Invalid manifests must not stop an emergency stop: the apps installed on the node are tracked instead.
  const { openLive } = await import('../live.js');
  const session = await openLive(ctx, { fallbackLog: (m) => void process.stderr.write(`warning: ${m}\n`) });
  try {
    const { controller } = session;
    const result = await controller[action](id, instance);
    const queued = result.status;
    const name = instance === undefined ? id : `${id}@${instance}`;
    if (ctx.json && !opts.wait) {
      stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    if (!ctx.json) stdout.write(`${name}: ${shown(queued, instance).state} (${action} job ${result.job.split('/').pop()} queued)\n`);
    if (!opts.wait) return;
    // systemd sends the unit's final ActiveState before JobRemoved, so the state is settled once this resolves.
    const outcome = await controller.waitForJob(result.job);
    // An app of several containers: the app unit's job ends before its containers' (a oneshot network); the app is
    // settled once every container is.
    const app = (queued.containers && instance === undefined ? await settled(controller, id) : controller.get(id)) ?? queued;
    if (ctx.json) stdout.write(`${JSON.stringify({ ...result, result: outcome, status: app })}\n`);
    const final = shown(app, instance);
    if (!ctx.json) stdout.write(`${name}: ${final.state}${final.reason ? ` (${final.reason})` : ''} (job ${outcome})\n`);
    if (outcome !== 'done' || final.state === 'failed') {
      throw new Error(`${final.unit}: the ${action} job ended "${outcome}"${final.reason ? `, state ${final.state} (${final.reason})` : ''}; see journalctl -u ${final.unit}`);
    }
  } finally {
    await session.close();
  }
}

/** Adds `start`, `stop` and `restart` to the program. */
export function register(program: Command): void {
  const verbs: Array<[Action, string]> = [
    ['start', 'start APP (or one instance, APP@INSTANCE); returns once systemd has queued the job'],
    ['stop', 'stop APP or APP@INSTANCE (and keep it stopped across reboots and reconciles); returns once the job is queued'],
    ['restart', 'restart APP or APP@INSTANCE; returns once systemd has queued the job'],
  ];
  for (const [action, description] of verbs) {
    withOptions(
      program
        .command(`${action} <app>`)
        .description(description)
        .option('--wait', 'follow the job to its end; exit 3 if it failed'),
      ['unitDir'],
    ).action(async (app: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<NodeFlags & LifecycleOptions>();
      const { resolveNodeContext } = await import('../node-context.js');
      await lifecycle(action, app, resolveNodeContext(flags, { appsFromExplicitUnitDir: true }), flags);
    });
  }
}
