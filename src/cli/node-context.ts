/**
 * The node a command works on, resolved once from the command line: where
 * things are (manifests, state, units), which systemd manager over which bus,
 * where the manifests come from (a directory or git), and how a pass runs.
 * Every command that touches the node takes one `NodeContext`; no other module
 * decides these defaults.
 */
import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_GENERATOR, DEFAULT_PODMAN_VERSION, DEFAULT_STATE_DIR } from '../defaults.js';
import type { NodeFacts } from '../compile/compile-app.js';
import { nodeFacts } from '../store/node/facts.js';
import { UsageError } from '../errors.js';
import { gitSource, type FollowPolicy, type GitSource } from '../store/state/git-source.js';
import { busAddressFor } from '../systemd/address.js';
import type { ReservedPort } from '../manifest/checks.js';

/** The command line's flags that say which node and how (the global options and the shared command options), as parsed. */
export interface NodeFlags {
  /** D-Bus address of the systemd manager; default the system manager (or the user manager with `user`). */
  bus?: string;
  /** Talk to the user manager and use the rootless unit directory and state directory. */
  user?: boolean;
  /** `--state-dir`; default {@link defaultStateDir}. */
  stateDir?: string;
  manifests?: string;
  json?: boolean;
  unitDir?: string;
  git?: string;
  ref?: string;
  /** `--ring NAME`: `--ref ring/NAME`. */
  ring?: string;
  /** `--node-name`; default the host name. */
  nodeName?: string;
  verifyCommits?: boolean;
  allowedSigners?: string;
  gpgHome?: string;
  allowRollbackTo?: string;
  generator?: string;
  podmanVersion?: string;
  podman?: string;
  nodeDomain?: string;
  allowEmpty?: boolean;
  dryRun?: boolean;
  /** `serve --listen`: where this process's daemon listens (no app may publish there). Other commands: not given. */
  listen?: string;
}

/** Where the live commands' apps come from: the catalog's manifests, or the `*.container` units in the unit directory. */
export type AppsFrom = 'catalog' | 'unit-dir';

/** How a pass runs on this node. */
export interface PassSettings {
  /** argv of the node's Quadlet generator, run in dry-run over the staged units. */
  generator: readonly string[];
  /** The podman the units are rendered for. */
  podmanVersion: string;
  /** argv of podman on this node (podman secrets of generated secrets apps take as environment values). */
  podman: readonly string[];
  /** The node's facts (`{ node }` values, `{{node}}` in templates). */
  node: NodeFacts;
  /** Plan and check only; change nothing. */
  dryRun: boolean;
  /** A catalog with no manifest may remove every app installed (`--allow-empty`; `PassOptions.allowEmpty`). */
  allowEmpty: boolean;
}

/** One resolved node: what every node command works on. */
export interface NodeContext {
  /** The catalog's directory (`--manifests`); the manifests come from it unless `git` is set. */
  manifestsDir: string;
  /** Intents, secrets, records, the pass lock, the API token, the git cache. */
  stateDir: string;
  /** The Quadlet unit directory: where the reconciler writes units and the controller keeps a stop durable. */
  unitDir: string;
  /** Where the live view's apps come from (`unit-dir` only for a live command given `--unit-dir`). */
  appsFrom: AppsFrom;
  /** The D-Bus address of the systemd manager. */
  busAddress: string;
  manager: 'system' | 'user';
  /** The git source of the manifests (`--git`, `--ref`/`--ring`) and how the node follows it; absent: `manifestsDir`. */
  git?: GitSource;
  /** Print machine-readable JSON. */
  json: boolean;
  pass: PassSettings;
  /**
   * Host addresses the node's own daemons bind, where no app may publish ({@link reservationsOf}), asked of systemd
   * at the first call (one D-Bus property read per daemon) and kept; only commands that check ports call it.
   */
  reserved(): Promise<ReservedPort[]>;
}

/** How a command reads `--unit-dir`. */
export interface ResolveOptions {
  /**
   * The live commands (status, start, stop, restart, serve without --watch): an explicit `--unit-dir` also says
   * the apps are its `*.container` units (units written by hand, with no manifest), not the catalog's.
   */
  appsFromExplicitUnitDir?: boolean;
}

/**
 * `--state-dir` when not given: {@link DEFAULT_STATE_DIR} for the system manager; with `user` (rootless), the XDG
 * base directory specification's state home, `$XDG_STATE_HOME/archy-quadlet` (default `~/.local/state/archy-quadlet`),
 * the directory a user unit's `StateDirectory=archy-quadlet` names too (systemd.exec(5)).
 */
export function defaultStateDir(user: boolean | undefined, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (!user) return DEFAULT_STATE_DIR;
  const xdg = env.XDG_STATE_HOME;
  // The specification: a relative path in the variable is invalid and is ignored.
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local/state'), 'archy-quadlet');
}

/** Where an installed node keeps its catalog. */
export const INSTALLED_MANIFESTS_DIR = '/etc/archy-quadlet/manifests';

/** `--manifests` when not given: `./manifests` in a checkout of the catalog, else the installed node's directory. */
export function defaultManifestsDir(exists: (path: string) => boolean = existsSync): string {
  return exists('manifests') || !exists(INSTALLED_MANIFESTS_DIR) ? 'manifests' : INSTALLED_MANIFESTS_DIR;
}

/** The catalog's directory the flags name: `--manifests`, or its default. */
export function manifestsDirOf(flags: Pick<NodeFlags, 'manifests'>): string {
  return flags.manifests ?? defaultManifestsDir();
}

/** The Quadlet unit directory of the system manager, or (with `user`) of this user's manager. */
export function defaultUnitDir(user: boolean | undefined): string {
  return user ? join(homedir(), '.config/containers/systemd') : '/etc/containers/systemd';
}

/** The D-Bus address of the flags' manager: `--bus`, else the system bus, or with `--user` this user's bus. */
export function busAddressOf(flags: Pick<NodeFlags, 'bus' | 'user'>): string {
  return busAddressFor({ bus: flags.bus, user: flags.user, uid: process.getuid?.() ?? 0 });
}

/**
 * The host addresses the node's own daemons bind, for the flags' manager (issue 17): serve's own `--listen`, else
 * the daemon unit's address as systemd holds it, rootless the system daemon's too, and rootful as root on the node
 * itself (no `--bus`) the daemons of the users' managers that run (src/cli/daemon-reservations.ts has the rule);
 * where systemd cannot be reached, the packaged addresses. A note a person should see (a daemon unit
 * whose address cannot be read) goes to `note`, by default stderr. Loaded only by the commands that check ports, so
 * that `status` and `--help` do without it (issue 15). Throws UsageError for a bad `listen`.
 */
export async function reservationsOf(flags: Pick<NodeFlags, 'bus' | 'user' | 'listen'>, note: (line: string) => void = (line) => void process.stderr.write(`note: ${line}\n`)): Promise<ReservedPort[]> {
  const { learnReservations } = await import('./daemon-reservations.js');
  // Root on the node itself (the system bus, not one named by --bus) can ask the users' managers too.
  const onNode = !flags.user && flags.bus === undefined && process.getuid?.() === 0;
  const users = onNode ? await import('../systemd/user-managers.js').then((m) => ({ list: () => m.runningUserManagers(), read: m.readUserServiceSettings })) : undefined;
  return learnReservations({ manager: flags.user ? 'user' : 'system', busAddress: busAddressOf(flags), ...(flags.listen !== undefined ? { listen: flags.listen } : {}), ...(users ? { users } : {}), note });
}

/** A node name: it names a file, `nodes/<name>.yaml`. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

/** The ref the flags follow: `--ring NAME` is `ring/NAME`. Throws UsageError for both with another ref, or a bad ring. */
export function refOf(flags: Pick<NodeFlags, 'ref' | 'ring'>): string | undefined {
  if (flags.ring === undefined) return flags.ref;
  if (!NODE_NAME.test(flags.ring)) throw new UsageError(`--ring ${JSON.stringify(flags.ring)}: a ring is a name such as canary or stable`);
  if (flags.ref !== undefined && flags.ref !== 'main' && flags.ref !== `ring/${flags.ring}`) throw new UsageError(`--ring ${flags.ring} and --ref ${flags.ref}: give one of them`);
  return `ring/${flags.ring}`;
}

/**
 * How the node follows `--git` (docs/fleet.md): whom it trusts, the rollback it allows once, its name.
 * Throws UsageError for `--verify-commits` without keys, keys without `--verify-commits`, or a bad name.
 */
export function followPolicyOf(flags: NodeFlags, hostname: string): FollowPolicy {
  const node = flags.nodeName ?? hostname;
  if (!NODE_NAME.test(node)) throw new UsageError(`--node-name ${JSON.stringify(node)}: a node name is letters, digits, '.', '_' and '-'`);
  const keys = { ...(flags.allowedSigners ? { allowedSigners: flags.allowedSigners } : {}), ...(flags.gpgHome ? { gpgHome: flags.gpgHome } : {}) };
  if (flags.verifyCommits && Object.keys(keys).length === 0) throw new UsageError('--verify-commits needs the keys it accepts: --allowed-signers FILE (SSH) or --gpg-home DIR (OpenPGP)');
  if (!flags.verifyCommits && Object.keys(keys).length > 0) throw new UsageError('--allowed-signers and --gpg-home are the keys of --verify-commits: give it too');
  if (flags.allowRollbackTo !== undefined && !/^[0-9a-f]{7,64}$/.test(flags.allowRollbackTo)) throw new UsageError(`--allow-rollback-to ${JSON.stringify(flags.allowRollbackTo)}: a commit id (at least 7 hex digits)`);
  return { node, ...(flags.verifyCommits ? { verify: keys } : {}), ...(flags.allowRollbackTo ? { allowRollbackTo: flags.allowRollbackTo } : {}) };
}

/**
 * Resolves the flags into the node context. Touches nothing (the git source is not fetched); the node's facts are
 * read when a pass first asks for `pass.node` (the time zone alone is ICU's start-up, ~20 ms, which `status`, `start`
 * or `stop` do not need: issue 15), the daemons' addresses when a command that checks ports first asks `reserved()`.
 */
export function resolveNodeContext(flags: NodeFlags, { appsFromExplicitUnitDir = false }: ResolveOptions = {}): NodeContext {
  const stateDir = flags.stateDir ?? defaultStateDir(flags.user);
  let node: NodeFacts | undefined;
  let reserved: Promise<ReservedPort[]> | undefined;
  return {
    manifestsDir: manifestsDirOf(flags),
    stateDir,
    unitDir: flags.unitDir ?? defaultUnitDir(flags.user),
    appsFrom: appsFromExplicitUnitDir && flags.unitDir !== undefined ? 'unit-dir' : 'catalog',
    busAddress: busAddressOf(flags),
    manager: flags.user ? 'user' : 'system',
    ...(flags.git ? { git: gitSource({ url: flags.git, ref: refOf(flags), stateDir, policy: followPolicyOf(flags, hostname()) }) } : {}),
    json: flags.json ?? false,
    pass: {
      generator: [flags.generator ?? DEFAULT_GENERATOR],
      podmanVersion: flags.podmanVersion ?? DEFAULT_PODMAN_VERSION,
      podman: [flags.podman ?? 'podman'],
      get node(): NodeFacts {
        return (node ??= nodeFacts(flags.nodeDomain ? { domain: flags.nodeDomain } : {}));
      },
      dryRun: flags.dryRun ?? false,
      allowEmpty: flags.allowEmpty ?? false,
    },
    reserved: () => (reserved ??= reservationsOf(flags)),
  };
}
