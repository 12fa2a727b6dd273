/**
 * `archy-quadlet token`: prints the API's bearer token (creating it, 0600 in
 * the state directory, when `serve` has not run yet).
 */
import type { Command } from 'commander';
import type { NodeContext, NodeFlags } from '../node-context.js';

/** Writes the token and a newline to `out`. Throws when the state directory cannot be read or written. */
export async function printToken(ctx: Pick<NodeContext, 'stateDir'>, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const { loadOrCreateToken } = await import('../../store/state/token.js');
  out.write(`${await loadOrCreateToken(ctx.stateDir)}\n`);
}

/** Adds `token` to the program. */
export function register(program: Command): void {
  program
    .command('token')
    .description('print the bearer token of the API and the web UI (made on first use, stored 0600 in the state directory)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { resolveNodeContext } = await import('../node-context.js');
      await printToken(resolveNodeContext(cmd.optsWithGlobals<NodeFlags>()));
    });
}
