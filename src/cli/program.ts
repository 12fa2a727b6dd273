/**
 * The `archy-quadlet` command tree. Each command is a plain async function in
 * `src/cli/commands/<name>.ts` that exports `register(program)`; add one line
 * to COMMANDS below.
 */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { register as registerValidate } from './commands/validate.js';
import { register as registerRender } from './commands/render.js';
import { register as registerDiff } from './commands/diff.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerLifecycle } from './commands/lifecycle.js';
import { register as registerServe } from './commands/serve.js';
import { register as registerToken } from './commands/token.js';
import { register as registerApply } from './commands/apply.js';
import { register as registerWatch } from './commands/watch.js';
import { register as registerInstall } from './commands/install.js';

/** Each entry adds one or more commands to the program. */
const COMMANDS: Array<(program: Command) => void> = [registerValidate, registerRender, registerDiff, registerStatus, registerLifecycle, registerApply, registerWatch, registerInstall, registerServe, registerToken];

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

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

export function buildProgram(): Command {
  const program = new Command('archy-quadlet')
    .description('Compile app manifests into Podman Quadlet units, reconcile them onto this node, and control them live.')
    .version(version, '-V, --version', 'print the version and exit')
    .option('--bus <address>', 'D-Bus address of the systemd manager (default: the system manager)')
    .option('--user', 'use the user manager and ~/.config/containers/systemd (rootless)')
    .option('--state-dir <dir>', 'state directory (intents, secrets, token)', '/var/lib/archy-quadlet')
    .option('--manifests <dir>', 'manifests directory (default: ./manifests, or /etc/archy-quadlet/manifests when installed)')
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

