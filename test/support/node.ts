/**
 * The node under test, rootful or rootless, so one suite runs against both (issue "Rootless"): which systemd manager
 * its apps are units of, where its units are, the bus the test's own checks read, how its commands run, and the
 * command line and daemon of the product as they run on such a node.
 *
 * - `system`: the host's system manager; the command line runs here, as root, over `--bus` (the host's system bus).
 * - `user`: the rootless user's manager (test/host/rootless.ts); the command line and the daemon run inside the host
 *   as that user, with `--user` and its defaults (unit directory `~/.config/containers/systemd`, the user's podman and
 *   generator), as on a node. Their directories are made in the user's home and handed over to the user; the daemon
 *   keeps this machine's network namespace, so the test reaches its API on 127.0.0.1.
 *
 * Paths a test holds are this machine's (it writes manifests there); the kit turns them into the host's own for a
 * command line that runs inside.
 */
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_IN_HOST, USER_ENV, userManager, type ExecOptions, type ExecResult, type TestHost, type UserManager } from '../host/index.js';
import { childrenOf } from '../host/proc.js';
import { hostArgs, reconcileArgs, runCli, startCliChild, startServeChild, type CliChild, type CliOptions, type CliRun, type CliVia, type NodeDirs, type ServeChild } from './cli.js';
import { gitIn } from './git.js';
import { runUnitDir } from './host.js';

/** Which manager the node's apps are units of. */
export type Manager = 'system' | 'user';

/** Both, for `describe.each`: the same tests rootful and rootless. */
export const MANAGERS: readonly Manager[] = ['system', 'user'];

export interface NodeUnderTest {
  manager: Manager;
  host: TestHost;
  /** The bus, on this machine, of the apps' manager: the host's system bus, or the user's through the harness's bridge. */
  busAddress: string;
  /** This machine's path of the manager's Quadlet unit directory (where the product writes units). */
  unitDir: string;
  /** `systemctl` for the manager (`systemctl --user` rootless), to run with {@link exec}. */
  systemctl: readonly string[];
  /**
   * Quadlet's search path under /run of the manager (the system's /run/containers/systemd, the user's
   * $XDG_RUNTIME_DIR/containers/systemd), made if missing: for a suite whose passes own a whole unit directory (a
   * pass prunes the units of ours its manifests do not name, and other suites share {@link unitDir}).
   */
  runUnitDir(): Promise<string>;
  /** A fresh directory the product may own (state, manifests): this machine's path. */
  tempDir(prefix: string): string;
  /** `git -C repo …` as a test committer on the node (rootless: inside the host, as the user); returns its output, trimmed. */
  git(repo: string): (...args: string[]) => Promise<string>;
  /** A path of this machine (made with {@link tempDir}) as the node's command line sees it. */
  inside(path: string): string;
  /** This machine's path of a path the node's command line names (a config it writes). */
  local(path: string): string;
  /** Gives `path` (recursively; nothing while it does not exist) to the manager's user, after the test wrote into it as root; nothing to do rootful. */
  handOver(path: string): Promise<void>;
  /** Runs `argv` inside the host as the manager's user (root, or the rootless user). */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  execOk(argv: readonly string[], opts?: ExecOptions): Promise<string>;
  /** The last journal lines of one of the manager's units. */
  journal(unit: string, lines?: number): Promise<string>;
  /** The command line with the node's global options for `dirs`, then `args`, then for a reconciling command the node's reconcile options. */
  cli(dirs: NodeDirs & { unitDir?: string }, args: readonly string[], opts?: CliOptions): Promise<CliRun>;
  /** A long-running command (`watch`) with the node's options, as {@link cli} builds them. */
  start(dirs: NodeDirs & { unitDir?: string }, args: readonly string[]): CliChild;
  /** `archy-quadlet serve …` as the node runs it, listening on 127.0.0.1 of this machine. */
  serve(dirs: NodeDirs & { unitDir?: string }, args: readonly string[]): Promise<ServeChild>;
}

/** The commands that reconcile (they take the unit directory and the generator). */
const RECONCILING = ['apply', 'watch', 'install', 'remove', 'serve'];
/** The live commands: the rootful node's need the host's unit directory (this machine has its own). */
const LIVE = ['status', 'start', 'stop', 'restart'];

/** The command of an argv: its first word that is not an option (`--json apply` → `apply`). */
const commandOf = (args: readonly string[]): string => args.find((a) => !a.startsWith('-')) ?? '';

/** The rootful command line: the host's bus and `dirs`, `args`, then the options its command needs to act on the host. */
function systemArgv(host: TestHost, dirs: NodeDirs & { unitDir?: string }, args: readonly string[]): string[] {
  const command = commandOf(args);
  const extra = RECONCILING.includes(command) ? reconcileArgs(host, dirs.unitDir) : LIVE.includes(command) ? ['--unit-dir', dirs.unitDir ?? host.unitDir] : [];
  return [...hostArgs(host, dirs), ...args, ...extra];
}

/** The rootful node: the host's system manager, the command line here as root. */
export function systemNode(host: TestHost): NodeUnderTest {
  return {
    manager: 'system',
    host,
    // Read at every use: a reboot gives the host a new PID 1, and its bus a new address.
    get busAddress() {
      return host.busAddress;
    },
    get unitDir() {
      return host.unitDir;
    },
    systemctl: ['systemctl'],
    runUnitDir: async () => {
      mkdirSync(runUnitDir(host), { recursive: true });
      return runUnitDir(host);
    },
    tempDir: (prefix) => mkdtempSync(join(tmpdir(), prefix)),
    git: (repo) => {
      const git = gitIn(repo);
      return async (...args) => git(...args);
    },
    inside: (path) => path,
    local: (path) => path,
    handOver: async () => {},
    exec: (argv, opts) => host.exec(argv, opts),
    execOk: (argv, opts) => host.execOk(argv, opts),
    journal: (unit, lines) => host.journal(unit, lines),
    cli: (dirs, args, opts = {}) => runCli(systemArgv(host, dirs, args), { timeoutMs: 180_000, ...opts }),
    start: (dirs, args) => startCliChild(systemArgv(host, dirs, args)),
    serve: (dirs, args) => startServeChild([...hostArgs(host, dirs), ...args, ...reconcileArgs(host, dirs.unitDir)]),
  };
}

/** The rootless node: the user's manager (`userManager(host)`), the command line and the daemon inside as the user. */
export function userNode(host: TestHost, user: UserManager): NodeUnderTest {
  const inside = (path: string): string => {
    if (!path.startsWith(`${host.rootDir}/`)) throw new Error(`${path} is not inside the host (${host.rootDir}): make it with node.tempDir()`);
    return path.slice(host.rootDir.length);
  };
  const via = (network: boolean): CliVia => ({
    argv: [...user.prefix({ network }), 'node', `${REPO_IN_HOST}/bin/archy-quadlet`],
    env: USER_ENV,
    // nsenter forks into the host's PID namespace and passes no signal on: the program is its child (setpriv and
    // env exec into it).
    kill(child, signal) {
      const program = child.pid === undefined ? undefined : childrenOf(child.pid)[0];
      if (program !== undefined) process.kill(program, signal);
      else child.kill(signal);
    },
  });
  const globals = (dirs: NodeDirs & { unitDir?: string }): string[] => [
    '--user', '--state-dir', inside(dirs.stateDir), ...(dirs.manifests ? ['--manifests', inside(dirs.manifests)] : []),
  ];
  const unitDirArg = (dirs: { unitDir?: string }): string[] => (dirs.unitDir ? ['--unit-dir', inside(dirs.unitDir)] : []);
  return {
    manager: 'user',
    host,
    busAddress: user.busAddress,
    get unitDir() {
      return user.unitDir;
    },
    systemctl: ['systemctl', '--user'],
    async runUnitDir() {
      const dir = `${USER_ENV.XDG_RUNTIME_DIR}/containers/systemd`;
      await user.execOk(['mkdir', '-p', dir]);
      return `${host.rootDir}${dir}`;
    },
    // Inside: git cannot work in a tree under /proc/PID/root from here (no working directory it can name).
    git: (repo) => async (...args) => (await user.execOk(['git', '-C', inside(repo), '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args])).trim(),
    inside,
    local: (path) => `${host.rootDir}${path}`,
    async handOver(path) {
      // Nothing to hand over while it does not exist yet (the product makes it then, as the user).
      await host.execOk(['sh', '-c', 'test ! -e "$2" || chown -R "$1" "$2"', 'handOver', `${user.user.uid}:${user.user.gid}`, inside(path)]);
    },
    tempDir(prefix) {
      const dir = mkdtempSync(join(user.homeDir, prefix));
      chownSync(dir, user.user.uid, user.user.gid);
      return dir;
    },
    exec: (argv, opts) => user.exec(argv, opts),
    execOk: (argv, opts) => user.execOk(argv, opts),
    journal: (unit, lines) => user.journal(unit, lines),
    cli: (dirs, args, opts = {}) =>
      runCli([...globals(dirs), ...args, ...(RECONCILING.includes(commandOf(args)) ? unitDirArg(dirs) : [])], { timeoutMs: 180_000, via: via(true), ...opts }),
    start: (dirs, args) => startCliChild([...globals(dirs), ...args, ...(RECONCILING.includes(commandOf(args)) ? unitDirArg(dirs) : [])], via(true)),
    serve: (dirs, args) => startServeChild([...globals(dirs), ...args, ...unitDirArg(dirs)], via(false)),
  };
}

/** The node under test of `manager` on `host`; rootless, with the user's side (`userManager(host)`), which the suite closes after it. */
export async function nodeOf(host: TestHost, manager: Manager): Promise<{ node: NodeUnderTest; user?: UserManager }> {
  if (manager === 'system') return { node: systemNode(host) };
  const user = await userManager(host);
  return { node: userNode(host, user), user };
}

/** A suite's own rootless catalog (see {@link rootlessCatalog}). */
export interface RootlessCatalog {
  user: UserManager;
  node: NodeUnderTest;
  /** Fresh state and manifests directories (this machine's paths), and the user's runtime unit directory. */
  dirs: { stateDir: string; manifests: string; unitDir: string };
  /** `systemctl --user is-active UNIT`'s answer. */
  active(unit: string): Promise<string>;
  /** Removes the manifests `ids`, applies what is left (their units go) and closes the user's manager. */
  close(ids: readonly string[]): Promise<void>;
}

/**
 * The rootless user's node with a catalog of the suite's own: state and manifests directories in the user's home, and
 * the user's runtime unit directory, where a pass prunes only what no manifest of this catalog names.
 */
export async function rootlessCatalog(host: TestHost, prefix: string): Promise<RootlessCatalog> {
  const user = await userManager(host);
  const node = userNode(host, user);
  const own = node.tempDir(prefix);
  const dirs = { stateDir: join(own, 'state'), manifests: join(own, 'manifests'), unitDir: await node.runUnitDir() };
  mkdirSync(dirs.manifests, { recursive: true });
  return {
    user,
    node,
    dirs,
    active: async (unit) => (await node.exec([...node.systemctl, 'is-active', unit])).stdout.trim(),
    async close(ids) {
      for (const id of ids) rmSync(join(dirs.manifests, `${id}.yaml`), { force: true });
      await node.handOver(dirs.manifests);
      await node.cli(dirs, ['apply', '--allow-empty']).catch(() => undefined);
      await user.close();
    },
  };
}
