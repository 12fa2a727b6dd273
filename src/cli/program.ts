/**
 * The `archy-quadlet` command tree. Each command is a plain async function in
 * `src/cli/commands/<name>.ts` that exports `register(program)`; add one entry
 * to COMMANDS below. A command module never imports another one: what commands
 * share lives beside them in `src/cli/` (the node context, the shared options,
 * the pass report, the live view).
 */
import { Command } from './commander.js';
import type { OutputConfiguration } from 'commander';
import { addGlobalOptions, GLOBAL_VALUE_OPTIONS } from './options.js';
import { VERSION } from './version.js';

type Register = (program: Command) => void;

/**
 * Every command module and the command names it registers. Modules load
 * lazily: `serve` should not pay for the compiler's schema, nor `render` for
 * fastify and D-Bus (start-up time and resident memory of the daemon).
 */
const COMMANDS: Array<{ names: string[]; load: () => Promise<{ register: Register }> }> = [
  { names: ['validate'], load: () => import('./commands/validate.js') },
  { names: ['render'], load: () => import('./commands/render.js') },
  { names: ['diff'], load: () => import('./commands/diff.js') },
  { names: ['status'], load: () => import('./commands/status.js') },
  { names: ['start', 'stop', 'restart'], load: () => import('./commands/lifecycle.js') },
  { names: ['logs'], load: () => import('./commands/logs.js') },
  { names: ['apply'], load: () => import('./commands/apply.js') },
  { names: ['watch'], load: () => import('./commands/watch.js') },
  { names: ['install', 'remove'], load: () => import('./commands/install.js') },
  { names: ['serve'], load: () => import('./commands/serve.js') },
  { names: ['token'], load: () => import('./commands/token.js') },
  { names: ['import'], load: () => import('./commands/import.js') },
];

/** The command named on the command line (the first word that is no option or option value), if any. */
export function commandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * Builds the program for `argv` (as `process.argv`). Only the module of the named
 * command is loaded; help, no command, or an unknown one load them all (so help
 * lists every command and a typo gets a suggestion). `output` replaces commander's
 * writers for every command (the build's help texts, tests); default stdout/stderr.
 */
export async function buildProgram(argv: string[], output?: OutputConfiguration): Promise<Command> {
  const program = addGlobalOptions(
    new Command('archy-quadlet')
      .description('Compile app manifests into Podman Quadlet units, reconcile them onto this node, and control them live.')
      .version(VERSION, '-V, --version', 'print the version and exit'),
  )
    .showHelpAfterError()
    .exitOverride();
  // Before any command is added: each copies the program's output settings when created.
  if (output) program.configureOutput(output);
  const named = commandName(argv.slice(2));
  const known = COMMANDS.filter((c) => named !== undefined && c.names.includes(named));
  for (const entry of known.length > 0 ? known : COMMANDS) (await entry.load()).register(program);
  return program;
}

