/**
 * The `archy-quadlet` command tree. Each command is a plain async function in
 * `src/cli/commands/<name>.ts` that exports `register(program)`; add one entry
 * to COMMANDS below.
 */
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  { names: ['apply'], load: () => import('./commands/apply.js') },
  { names: ['watch'], load: () => import('./commands/watch.js') },
  { names: ['install', 'remove'], load: () => import('./commands/install.js') },
  { names: ['serve'], load: () => import('./commands/serve.js') },
  { names: ['token'], load: () => import('./commands/token.js') },
];

/** Global options that take a value, so their value is not taken for the command name. */
const VALUE_OPTIONS = new Set(['--bus', '--state-dir', '--manifests']);

/** The command named on the command line (the first word that is no option or option value), if any. */
export function commandName(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Where an installed node keeps its catalog. */
export const INSTALLED_MANIFESTS_DIR = '/etc/archy-quadlet/manifests';

/** `--manifests` when not given: `./manifests` in a checkout of the catalog, else the installed node's directory. */
export function defaultManifestsDir(exists: (path: string) => boolean = existsSync): string {
  return exists('manifests') || !exists(INSTALLED_MANIFESTS_DIR) ? 'manifests' : INSTALLED_MANIFESTS_DIR;
}

/** Options every command accepts (see README "Global options"). */
export interface GlobalOptions {
  /** D-Bus address of the systemd manager; default the system manager (or the user manager with `user`). */
  bus?: string;
  /** Talk to the user manager and use the rootless unit directory. */
  user?: boolean;
  stateDir: string;
  manifests: string;
  json?: boolean;
}

/**
 * Builds the program for `argv` (as `process.argv`). Only the module of the named
 * command is loaded; help, no command, or an unknown one load them all (so help
 * lists every command and a typo gets a suggestion).
 */
export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('archy-quadlet')
    .description('Compile app manifests into Podman Quadlet units, reconcile them onto this node, and control them live.')
    .version(version, '-V, --version', 'print the version and exit')
    .option('--bus <address>', 'D-Bus address of the systemd manager (default: the system manager)')
    .option('--user', 'use the user manager and ~/.config/containers/systemd (rootless)')
    .option('--state-dir <dir>', 'state directory (intents, secrets, token)', '/var/lib/archy-quadlet')
    .option('--manifests <dir>', 'manifests directory (default: ./manifests, or /etc/archy-quadlet/manifests when installed)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', (root) => {
      if (root.opts().manifests === undefined) root.setOptionValue('manifests', defaultManifestsDir());
    });
  const named = commandName(argv.slice(2));
  const known = COMMANDS.filter((c) => named !== undefined && c.names.includes(named));
  for (const entry of known.length > 0 ? known : COMMANDS) (await entry.load()).register(program);
  return program;
}

