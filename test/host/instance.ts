import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CachePaths, type InstancePaths, instancePaths } from './paths.js';
import { childrenOf, cmdline, findNspawnFor, isAlive, isNspawnFor, signalPid, sleep, waitExit } from './proc.js';
import { removeTree } from './remove-tree.js';
import { run } from './run.js';

/**
 * Environment of systemd-nspawn. `SYSTEMD_SECCOMP=0`: crun needs `bpf()` for
 * the device cgroup. Unified hierarchy: systemd 257 refuses cgroup v1.
 */
const NSPAWN_ENV = { SYSTEMD_SECCOMP: '0', SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' } as const;

const BOOT_TIMEOUT_MS = 90_000;
const POWEROFF_TIMEOUT_MS = 30_000;

/** A booted instance, as the harness records it. */
export interface BootedInstance {
  paths: InstancePaths;
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
 * disk). Podman's storage cannot live on that overlay (overlay-on-overlay), so
 * `/var/lib/containers` is the instance's own directory, bound in.
 * Throws with the tail of the boot log when the boot fails or times out (and
 * then ends the processes it started).
 */
export async function bootInstance(cache: CachePaths, rootfs: string, name: string, log: (line: string) => void = () => {}): Promise<BootedInstance> {
  const paths = instancePaths(cache, name);
  await cleanStale(paths, log);
  mkdirSync(join(paths.dir, 'containers'), { recursive: true });
  writeFileSync(join(paths.dir, 'hostname'), `${name}\n`);

  const logFd = openSync(paths.logFile, 'w');
  const argv = [
    // No host systemd to register with: --register=no --keep-unit. The private
    // network gives netavark CAP_NET_ADMIN in its own namespace; nothing leaves the machine.
    '--register=no', '--keep-unit', '--private-network', '--capability=all',
    '-D', rootfs, '--volatile=overlay',
    `--bind=${paths.dir}/containers:/var/lib/containers`,
    `--bind-ro=${paths.dir}/hostname:/etc/hostname`,
    '-b', '--console=pipe', `--machine=${name}`,
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
    return { paths, nspawnPid, pid };
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
 * removes the instance directory and the pid file (the boot log stays for reading).
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
