/**
 * Every option more than one command takes, declared once: its flag, its one
 * help text and its default. Commands add them by name; `node-context.ts`
 * resolves what they mean on this node. This module and the command modules'
 * `register` are all that `--help` loads (issue 15): a command's pipeline is
 * imported inside the function that runs it.
 */
import { Option, type Command } from './commander.js';
import { DEFAULT_GENERATOR, DEFAULT_PODMAN_VERSION, DEFAULT_STATE_DIR } from '../defaults.js';
import { UsageError } from '../errors.js';

/** The global options (before or after the command; README "Global options"). */
const GLOBAL: ReadonlyArray<() => Option> = [
  () => new Option('--bus <address>', 'D-Bus address of the systemd manager (default: the system manager)'),
  () => new Option('--user', "use this user's systemd manager, ~/.config/containers/systemd and ~/.local/state/archy-quadlet (rootless)"),
  () => new Option('--state-dir <dir>', `state directory: intents, secrets, token (default: ${DEFAULT_STATE_DIR}, or $XDG_STATE_HOME/archy-quadlet with --user)`),
  () => new Option('--manifests <dir>', 'manifests directory (default: ./manifests, or /etc/archy-quadlet/manifests when installed)'),
  () => new Option('--json', 'print machine-readable JSON'),
];

/** The global options that take a value (so a command-line scan does not take their value for the command name). */
export const GLOBAL_VALUE_OPTIONS: ReadonlySet<string> = new Set(GLOBAL.map((o) => o()).filter((o) => o.required).map((o) => o.long!));

/** Adds the global options to the program. */
export function addGlobalOptions(program: Command): Command {
  for (const option of GLOBAL) program.addOption(option());
  return program;
}

/** `--out` when not given: the repository's committed render. */
export const DEFAULT_OUT_DIR = 'units';

const SHARED = {
  out: () => new Option('--out <dir>', 'the unit directory render writes (and diff compares with)').default(DEFAULT_OUT_DIR),
  importOut: () => new Option('--out <dir>', 'the directory import writes the manifests to (default: the manifests directory, --manifests)'),
  unitDir: () =>
    new Option(
      '--unit-dir <dir>',
      "the node's Quadlet unit directory (default /etc/containers/systemd, or ~/.config/containers/systemd with --user); given to status, start, stop, restart or serve without --watch, its *.container units are the apps",
    ),
  git: () => new Option('--git <url>', 'take the manifests from this git repository (a path or any URL git can fetch) instead of --manifests'),
  ref: () => new Option('--ref <ref>', 'branch or tag of --git').default('main'),
  ring: () => new Option('--ring <name>', 'follow the ring\'s ref of --git: --ring canary is --ref ring/canary (docs/fleet.md)'),
  nodeName: () => new Option('--node-name <name>', "this node's name in --git: its nodes/<name>.yaml gives its values and apps (default: the host name)"),
  verifyCommits: () => new Option('--verify-commits', 'apply only a --git tip signed by an allowed key (--allowed-signers, or --gpg-home); refuse any other'),
  allowedSigners: () => new Option('--allowed-signers <file>', "the SSH keys whose signatures --verify-commits accepts (git's gpg.ssh.allowedSignersFile format)"),
  gpgHome: () => new Option('--gpg-home <dir>', 'the OpenPGP keyring whose ultimately trusted keys --verify-commits accepts (GNUPGHOME)'),
  allowRollbackTo: () => new Option('--allow-rollback-to <commit>', 'apply this --git commit once although it does not descend from the applied one'),
  generator: () => new Option('--generator <path>', "the node's Quadlet generator, run in dry-run over the staged units").default(DEFAULT_GENERATOR),
  podmanVersion: () => new Option('--podman-version <version>', 'podman version the units are for (decides which keys may be written)').default(DEFAULT_PODMAN_VERSION),
  interval: () => new Option('--interval <duration>', 'periodic re-check (and git fetch) interval of the reconciler').default('1m'),
  podman: () => new Option('--podman <path>', 'the podman command, for the podman secrets of generated secrets that apps take as environment values and the drift check of volumes and networks').default('podman'),
  nodeDomain: () => new Option('--node-domain <domain>', "the node's domain, for manifests' { node: domain } values and {{node \"domain\"}} in templates"),
  allowEmpty: () => new Option('--allow-empty', 'let a catalog with no manifest remove every app installed (refused without it: a wrong or empty directory is the likelier cause)'),
} satisfies Record<string, () => Option>;

/** The name of a shared command option. */
export type SharedOption = keyof typeof SHARED;

/** The options of every command that reconciles (apply, watch, install, remove, serve, diff --node). */
export const RECONCILE_OPTIONS: readonly SharedOption[] = [
  'unitDir',
  'git',
  'ref',
  'ring',
  'nodeName',
  'verifyCommits',
  'allowedSigners',
  'gpgHome',
  'allowRollbackTo',
  'generator',
  'podmanVersion',
  'podman',
  'nodeDomain',
  'allowEmpty',
];

/** Adds the named shared options to `cmd`. */
export function withOptions(cmd: Command, names: readonly SharedOption[]): Command {
  for (const name of names) cmd.addOption(SHARED[name]());
  return cmd;
}

/** `--interval`'s value: `30s`, `1m`, `500ms`, `1h` → ms. Throws UsageError otherwise, or below 1 s. */
export function parseInterval(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new UsageError(`--interval ${JSON.stringify(text)}: expected a duration such as 30s, 1m or 1h`);
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  if (ms < 1000) throw new UsageError(`--interval ${text}: at least 1s`);
  return ms;
}
