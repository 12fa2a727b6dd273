import { spawn } from 'node:child_process';
import { appendFileSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CachePaths, type InstancePaths, instancePaths, repoRoot } from './paths.js';
import { childrenOf, cmdline, findNspawnFor, isAlive, isNspawnFor, signalPid, sleep, waitExit } from './proc.js';
import { removeTree } from './remove-tree.js';
import { ROOTLESS_USER } from './rootfs.js';
import { describeFailure, run } from './run.js';

/**
 * Environment of systemd-nspawn. `SYSTEMD_SECCOMP=0`: crun needs `bpf()` for
 * the device cgroup. Unified hierarchy: systemd 257 refuses cgroup v1.
 */
const NSPAWN_ENV = { SYSTEMD_SECCOMP: '0', SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' } as const;

/** Where this checkout is inside every host (read-only): `node REPO_IN_HOST/bin/archy-quadlet` runs the CLI there. */
export const REPO_IN_HOST = '/opt/archy-quadlet';

const BOOT_TIMEOUT_MS = 90_000;
const POWEROFF_TIMEOUT_MS = 30_000;
/** A reboot stops every unit the way systemd does (no `podman kill`): an app that takes its time to stop is waited for. */
const REBOOT_SHUTDOWN_TIMEOUT_MS = 180_000;

/** How an instance's root is made. */
export interface BootOptions {
  /**
   * Keep what the host writes to its root across a reboot ({@link rebootInstance}): the root is an overlay of the
   * pristine rootfs with the instance's own `upper/`, mounted at `INSTANCE/root` on this machine and booted from
   * there. Default: `--volatile=overlay` (a tmpfs upper; nothing survives the machine).
   */
  persistent?: boolean;
}

/** A booted instance, as the harness records it. */
export interface BootedInstance {
  paths: InstancePaths;
  /** The pristine tree the root is made from. */
  rootfs: string;
  /** True when the root is the instance's persistent overlay (see {@link BootOptions.persistent}). */
  persistent: boolean;
  /** PID of systemd-nspawn (started by the harness). */
  nspawnPid: number;
  /** PID of the host's PID 1 (`/usr/lib/systemd/systemd`), as seen from the machine running the tests. */
  pid: number;
}

/**
 * Boots instance `name` from the pristine `rootfs`, clean every time: cleans a
 * stale instance of the same name first (see {@link cleanStale}), then starts
 * systemd-nspawn in its own session, with its own log file, and records its
 * PID; waits until systemd reports `running` or `degraded`.
 *
 * The rootfs is never written: `--volatile=overlay` puts a tmpfs over it, so
 * every boot starts from the pristine tree and nothing is copied or deleted
 * (copying 440 MB and removing it again took 15-25 s per run on a busy
 * disk). With `persistent`, the overlay's upper layer is the instance's own
 * directory instead, mounted here before the boot (systemd-nspawn's
 * `--overlay=` cannot replace the root), so a reboot keeps it; it goes with
 * the instance. Podman's storage cannot live on an overlay (overlay-on-overlay),
 * so `/var/lib/containers` is the instance's own directory, bound in.
 * Throws with the tail of the boot log when the boot fails or times out (and
 * then ends the processes it started).
 */
export async function bootInstance(cache: CachePaths, rootfs: string, name: string, log: (line: string) => void = () => {}, opts: BootOptions = {}): Promise<BootedInstance> {
  const paths = instancePaths(cache, name);
  await cleanStale(paths, log);
  mkdirSync(join(paths.dir, 'containers'), { recursive: true });
  // The rootless user's podman store: like the system's, on this machine's filesystem, and the user's own.
  mkdirSync(join(paths.dir, 'user-containers'), { recursive: true });
  chownSync(join(paths.dir, 'user-containers'), ROOTLESS_USER.uid, ROOTLESS_USER.gid);
  writeFileSync(join(paths.dir, 'hostname'), `${name}\n`);
  const persistent = opts.persistent ?? false;
  if (persistent) await mountRoot(rootfs, paths);
  writeFileSync(paths.logFile, '');
  return launch(paths, rootfs, persistent, log);
}

/**
 * Reboots a persistent instance: `systemctl reboot` inside (every unit stops as on a real machine; systemd-nspawn
 * then exits), and boots the same root again. What the host wrote to its root and to podman's storage is there
 * after; `/run` and the PID 1 are new. Throws for a volatile instance, when the host does not shut down within
 * 3 minutes (its processes are left to the caller's stop), or when the boot fails.
 */
export async function rebootInstance(booted: BootedInstance, log: (line: string) => void = () => {}): Promise<BootedInstance> {
  const { paths } = booted;
  if (!booted.persistent) throw new Error(`test host ${paths.name}: its root is volatile (nothing would survive a reboot); boot it with persistent: true`);
  appendFileSync(paths.logFile, `\n--- test harness: rebooting ${paths.name} ---\n`);
  await run(['nsenter', '-t', String(booted.pid), '-m', '-p', 'systemctl', 'reboot', '--no-block'], { timeoutMs: 10_000 });
  if (!(await waitExit(booted.nspawnPid, REBOOT_SHUTDOWN_TIMEOUT_MS))) {
    throw bootError(paths, `did not shut down for a reboot within ${REBOOT_SHUTDOWN_TIMEOUT_MS / 1000} s (systemd-nspawn PID ${booted.nspawnPid} still runs)`);
  }
  log(`test host ${paths.name}: shut down for a reboot; booting it again`);
  return launch(paths, booted.rootfs, true, log);
}

/** Mounts the persistent root: an overlay of `rootfs` (read-only below) and the instance's `upper`, at `paths.root`. */
async function mountRoot(rootfs: string, paths: InstancePaths): Promise<void> {
  for (const p of [rootfs, paths.upper, paths.work]) {
    // The option string is comma- and colon-separated: such a path would be read as another option.
    if (/[,:\\]/.test(p)) throw new Error(`test host ${paths.name}: cannot overlay ${p} (it has a comma, colon or backslash); set ARCHY_TESTHOST_CACHE to another path`);
  }
  for (const d of [paths.upper, paths.work, paths.root]) mkdirSync(d, { recursive: true });
  const r = await run(['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${rootfs},upperdir=${paths.upper},workdir=${paths.work}`, paths.root]);
  if (r.code !== 0) throw new Error(`test host ${paths.name}: cannot mount the persistent root: ${describeFailure(['mount', '-t', 'overlay', paths.root], r)}`);
}

/** Starts systemd-nspawn on the instance's root and waits until its systemd has booted. */
async function launch(paths: InstancePaths, rootfs: string, persistent: boolean, log: (line: string) => void): Promise<BootedInstance> {
  const logFd = openSync(paths.logFile, 'a');
  const argv = [
    // No host systemd to register with: --register=no --keep-unit. The private
    // network gives netavark CAP_NET_ADMIN in its own namespace; nothing leaves the machine.
    '--register=no', '--keep-unit', '--private-network', '--capability=all',
    ...(persistent ? ['-D', paths.root] : ['-D', rootfs, '--volatile=overlay']),
    `--bind=${paths.dir}/containers:/var/lib/containers`,
    `--bind=${paths.dir}/user-containers:${ROOTLESS_USER.home}/.local/share/containers`,
    // This checkout, read-only: the CLI and the daemon run inside as on a node (Debian's nodejs), e.g. rootless.
    // `norbind`: without the mounts below it (other instances' roots under .cache/ and all theirs), which the host
    // would otherwise carry and unmount one by one at every shutdown (a reboot took 2 minutes instead of seconds).
    `--bind-ro=${repoRoot()}:${REPO_IN_HOST}:norbind`,
    `--bind-ro=${paths.dir}/hostname:/etc/hostname`,
    '-b', '--console=pipe', `--machine=${paths.name}`,
  ];
  const child = spawn('systemd-nspawn', argv, {
    detached: true, // setsid: a Ctrl-C of the test runner must not reach the machine before teardown
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, ...NSPAWN_ENV },
  });
  closeSync(logFd);
  if (child.pid === undefined) {
    const e = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`test host: cannot start systemd-nspawn (${e.message}); run scripts/ensure-deps.sh as root`);
  }
  child.unref();
  const nspawnPid = child.pid;
  writeFileSync(paths.pidFile, `${nspawnPid}\n`);

  try {
    const pid = await waitForInit(nspawnPid, paths);
    await waitForSystem(pid, nspawnPid, paths);
    return { paths, rootfs, persistent, nspawnPid, pid };
  } catch (e) {
    await stopInstance(paths, nspawnPid, log);
    throw e;
  }
}

/** Finds the machine's PID 1: the child of systemd-nspawn that runs systemd. */
async function waitForInit(nspawnPid: number, paths: InstancePaths): Promise<number> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isAlive(nspawnPid)) throw bootError(paths, 'systemd-nspawn exited during boot');
    for (const c of childrenOf(nspawnPid)) {
      const argv0 = cmdline(c)?.[0] ?? '';
      if (argv0.endsWith('/systemd') || argv0 === '/sbin/init') return c;
    }
    await sleep(50);
  }
  throw bootError(paths, `no systemd under systemd-nspawn (PID ${nspawnPid}) after ${BOOT_TIMEOUT_MS / 1000} s`);
}

/** Waits until `systemctl is-system-running` says `running` or `degraded` (a container always fails systemd-modules-load). */
async function waitForSystem(pid: number, nspawnPid: number, paths: InstancePaths): Promise<void> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    if (!isAlive(nspawnPid)) throw bootError(paths, 'systemd-nspawn exited during boot');
    const r = await run(['nsenter', '-t', String(pid), '-m', '-p', 'systemctl', 'is-system-running'], { timeoutMs: 10_000 });
    last = (r.stdout.trim() || r.stderr.trim()).split('\n').at(-1) ?? '';
    if (last === 'running' || last === 'degraded') return;
    await sleep(100);
  }
  throw bootError(paths, `systemd did not finish booting in ${BOOT_TIMEOUT_MS / 1000} s (last state: ${last || 'none'})`);
}

function bootError(paths: InstancePaths, what: string): Error {
  let tail = '';
  try {
    tail = readFileSync(paths.logFile, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    // no log: nothing to add
  }
  return new Error(`test host ${paths.name}: ${what}. Boot log ${paths.logFile}:\n${tail}`);
}

/**
 * Stops instance `paths` booted by systemd-nspawn `nspawnPid`: `systemctl
 * poweroff` inside, waits for systemd-nspawn to exit, and if the machine does
 * not stop in time, SIGKILLs its PID 1 and then systemd-nspawn, by PID. Then
 * removes the instance directory (a persistent root's overlay is unmounted
 * first) and the pid file (the boot log stays for reading).
 */
export async function stopInstance(paths: InstancePaths, nspawnPid: number, log: (line: string) => void = () => {}): Promise<void> {
  if (isAlive(nspawnPid)) {
    const init = childrenOf(nspawnPid).find((c) => isAlive(c));
    if (init !== undefined) {
      // A container that ignores SIGTERM would hold the poweroff for podman's 10 s stop timeout; the host is thrown away anyway.
      await run(['nsenter', '-t', String(init), '-m', '-u', '-i', '-n', '-p', 'podman', 'kill', '--all'], { timeoutMs: 10_000 });
      await run(['nsenter', '-t', String(init), '-m', '-p', 'systemctl', 'poweroff', '--no-block'], { timeoutMs: 10_000 });
    }
    if (!(await waitExit(nspawnPid, POWEROFF_TIMEOUT_MS))) {
      log(`test host ${paths.name}: no poweroff after ${POWEROFF_TIMEOUT_MS / 1000} s; killing PID ${init ?? '?'} and ${nspawnPid}`);
      // Killing the machine's PID 1 ends its whole PID namespace; systemd-nspawn then exits by itself.
      if (init !== undefined) signalPid(init, 'SIGKILL');
      if (!(await waitExit(nspawnPid, 5_000))) signalPid(nspawnPid, 'SIGKILL');
      await waitExit(nspawnPid, 5_000);
    }
  }
  if (existsSync(paths.dir)) await removeTree(paths.dir);
  rmSync(paths.pidFile, { force: true });
}

/**
 * Cleans what a crashed run left of instance `paths`: a live systemd-nspawn
 * named by its pid file, or any systemd-nspawn booting its directory (only
 * such processes are touched: their command line must name this instance's
 * directory), then the instance directory.
 */
export async function cleanStale(paths: InstancePaths, log: (line: string) => void = () => {}): Promise<void> {
  const pids = new Set(findNspawnFor(paths.dir));
  if (existsSync(paths.pidFile)) {
    const recorded = Number(readFileSync(paths.pidFile, 'utf8').trim());
    if (Number.isInteger(recorded) && isAlive(recorded) && isNspawnFor(cmdline(recorded), paths.dir)) pids.add(recorded);
  }
  for (const pid of pids) {
    log(`test host ${paths.name}: a stale instance is still running (systemd-nspawn PID ${pid}); powering it off`);
    await stopInstance(paths, pid, log);
  }
  if (existsSync(paths.dir)) await removeTree(paths.dir);
  rmSync(paths.pidFile, { force: true });
}
