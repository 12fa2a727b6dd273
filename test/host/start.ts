import { importBusybox } from './image.js';
import { type BootedInstance, bootInstance, rebootInstance, stopInstance } from './instance.js';
import { cachePaths, instanceName } from './paths.js';
import { ensureRootfs } from './rootfs.js';
import { run } from './run.js';
import { type HostDescription, type TestHost, attachHost, busAddressOf } from './test-host.js';

/** Options of {@link startTestHost}. */
export interface StartOptions {
  /** Instance name; default from `ARCHY_TESTHOST_NAME`, else `archy-testhost`. */
  name?: string;
  /** Progress lines (rootfs build, stale cleanup, timings). */
  log?: (line: string) => void;
  /**
   * Keep what the host writes across {@link StartedHost.reboot} (a persistent overlay root; see
   * `BootOptions.persistent`). Default: a volatile root, which cannot be rebooted with its state.
   */
  persistent?: boolean;
}

/** A booted host and the one way to stop it. */
export interface StartedHost {
  /** Its `pid`, `busAddress` and `rootDir`/`unitDir` always name the current boot: read them again after a reboot. */
  host: TestHost;
  /** Powers the host off, ends the processes the harness started (by PID) and removes the instance directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Persistent hosts only: `systemctl reboot` inside, then the same root booted again (units stop as systemd stops
   * them; what the host wrote to its root and podman's storage stay; `/run` and PID 1 are new). Resolves once
   * systemd inside reports `running` or `degraded` again; `host` then describes the new boot.
   * Throws for a volatile host, or when the shutdown or the boot fails.
   */
  reboot(): Promise<void>;
}

/**
 * Checks that this machine can boot a host at all, and throws the reason when
 * it cannot: not root, not Linux, systemd-nspawn/nsenter/debootstrap missing.
 */
export async function assertCanHost(): Promise<void> {
  if (process.platform !== 'linux') throw new Error(`test host: needs Linux (this is ${process.platform}); the e2e tests boot systemd under systemd-nspawn`);
  if (process.getuid?.() !== 0) throw new Error('test host: needs root (systemd-nspawn, nsenter and debootstrap do); run the e2e tests as root');
  const missing: string[] = [];
  for (const tool of ['systemd-nspawn', 'nsenter', 'debootstrap']) {
    const r = await run(['sh', '-c', `command -v ${tool}`]);
    if (r.code !== 0) missing.push(tool);
  }
  if (missing.length > 0) throw new Error(`test host: missing ${missing.join(', ')}; run \`sh scripts/ensure-deps.sh\` as root (installs debootstrap and systemd-container)`);
}

/**
 * Gives a running test host: builds or reuses the cached Debian 13 rootfs,
 * boots it, clean, as instance `name` under systemd-nspawn (cleaning a
 * stale one of the same name first), waits for systemd, checks podman 5.4.2
 * and systemd 257 inside, and imports `localhost/busybox:latest`. With
 * `persistent`, the host keeps its root and podman's storage across
 * {@link StartedHost.reboot}. Throws with the reason when any of it fails;
 * the half-started host is then stopped.
 */
export async function startTestHost(opts: StartOptions = {}): Promise<StartedHost> {
  const log = opts.log ?? (() => {});
  await assertCanHost();
  const cache = cachePaths();
  const name = opts.name ?? instanceName();
  const t0 = Date.now();
  const rootfs = await ensureRootfs(cache, log);
  const t1 = Date.now();
  let booted = await bootInstance(cache, rootfs, name, log, { persistent: opts.persistent ?? false });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopInstance(booted.paths, booted.nspawnPid, log);
  };
  // One object, updated in place by a reboot: the host's getters read it.
  const description: HostDescription = describe(name, booted);
  const reboot = async (): Promise<void> => {
    if (stopped) throw new Error(`test host ${name}: stopped; it cannot be rebooted`);
    const t = Date.now();
    booted = await rebootInstance(booted, log);
    Object.assign(description, describe(name, booted));
    log(`test host ${name} rebooted (PID ${booted.pid}) in ${secs(Date.now() - t)}`);
  };
  try {
    const host = attachHost(description);
    await host.execOk(['mkdir', '-p', '/etc/containers/systemd']);
    const t2 = Date.now();
    await importBusybox(host.execOk);
    log(`test host ${name} up (PID ${booted.pid}): rootfs ${secs(t1 - t0)}, boot ${secs(t2 - t1)}, image ${secs(Date.now() - t2)}`);
    return { host, stop, reboot };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Paths of the current boot. A volatile root is an overlay inside the machine's mount namespace: reached through its
 * PID 1. A persistent root is a mount on this machine, the same whatever the PID 1. The bus socket lives in the
 * host's own `/run` (a tmpfs inside it) either way, so its address changes with every boot.
 */
function describe(name: string, booted: BootedInstance): HostDescription {
  const rootDir = booted.persistent ? booted.paths.root : `/proc/${booted.pid}/root`;
  return { name, pid: booted.pid, rootDir, busAddress: busAddressOf(booted.pid), unitDir: `${rootDir}/etc/containers/systemd` };
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
