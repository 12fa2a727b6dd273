import { importBusybox } from './image.js';
import { bootInstance, stopInstance } from './instance.js';
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
}

/** A booted host and the one way to stop it. */
export interface StartedHost {
  host: TestHost;
  /** Powers the host off, ends the processes the harness started (by PID) and removes the instance directory. Idempotent. */
  stop(): Promise<void>;
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
 * and systemd 257 inside, and imports `localhost/busybox:latest`. Throws with
 * the reason when any of it fails; the half-started host is then stopped.
 */
export async function startTestHost(opts: StartOptions = {}): Promise<StartedHost> {
  const log = opts.log ?? (() => {});
  await assertCanHost();
  const cache = cachePaths();
  const name = opts.name ?? instanceName();
  const t0 = Date.now();
  const rootfs = await ensureRootfs(cache, log);
  const t1 = Date.now();
  const booted = await bootInstance(cache, rootfs, name, log);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopInstance(booted.paths, booted.nspawnPid, log);
  };
  try {
    const description: HostDescription = {
      name,
      pid: booted.pid,
      // The root is an overlay inside the machine's mount namespace: reach it through its PID 1.
      rootDir: `/proc/${booted.pid}/root`,
      busAddress: busAddressOf(booted.pid),
      unitDir: `/proc/${booted.pid}/root/etc/containers/systemd`,
    };
    const host = attachHost(description);
    await host.execOk(['mkdir', '-p', '/etc/containers/systemd']);
    const t2 = Date.now();
    await importBusybox(host);
    log(`test host ${name} up (PID ${booted.pid}): rootfs ${secs(t1 - t0)}, boot ${secs(t2 - t1)}, image ${secs(Date.now() - t2)}`);
    return { host, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
