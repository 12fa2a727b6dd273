import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Instance name used when `ARCHY_TESTHOST_NAME` is not set. */
export const DEFAULT_INSTANCE_NAME = 'archy-testhost';

/** Where the harness keeps the pristine root filesystem, the instances and their logs. */
export interface CachePaths {
  /** `.cache/testhost` under the repository root. */
  root: string;
  /** The pristine Debian 13 tree, complete or absent (never half built). */
  rootfs: string;
  /** Lock file taken while the pristine tree is (re)built. */
  buildLock: string;
  /** Holds one directory per instance, plus its pid and log file. */
  instances: string;
}

/** Files of one instance. */
export interface InstancePaths {
  name: string;
  /**
   * The instance's own files: `containers/` (its podman storage, bound to /var/lib/containers), `hostname`, and for
   * a persistent root `upper/`, `work/` and `root/` (see below).
   */
  dir: string;
  /** Persistent root only: the overlay's upper directory, where everything the host writes to its root is kept. */
  upper: string;
  /** Persistent root only: the overlay's work directory (same file system as `upper`). */
  work: string;
  /**
   * Persistent root only: where the overlay (the pristine rootfs below, `upper` above) is mounted on this machine and
   * booted from. The same mount is the host's root, so a path under it is the host's file, whatever its PID 1.
   */
  root: string;
  /** PID of the `systemd-nspawn` process that boots `dir`. */
  pidFile: string;
  /** Output of `systemd-nspawn --console=pipe`: the boot log, kept after teardown. */
  logFile: string;
}

/**
 * The repository root: the nearest directory above this module that holds a
 * `package.json` (works both from `test/host/` and from a compiled copy under
 * `.cache/`).
 */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && !dir.includes('/.cache/')) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`test host: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Cache paths; `ARCHY_TESTHOST_CACHE` moves the whole cache elsewhere. */
export function cachePaths(env: NodeJS.ProcessEnv = process.env): CachePaths {
  const root = env.ARCHY_TESTHOST_CACHE ? resolve(env.ARCHY_TESTHOST_CACHE) : join(repoRoot(), '.cache', 'testhost');
  return {
    root,
    rootfs: join(root, 'rootfs'),
    buildLock: join(root, 'rootfs.lock'),
    instances: join(root, 'instances'),
  };
}

/**
 * The instance name: `ARCHY_TESTHOST_NAME` or {@link DEFAULT_INSTANCE_NAME}.
 * Throws when it is not a valid host name (it becomes the machine's host name).
 */
export function instanceName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.ARCHY_TESTHOST_NAME || DEFAULT_INSTANCE_NAME;
  assertInstanceName(name);
  return name;
}

/** Throws unless `name` is a lower-case host name label (a-z, 0-9, '-', at most 63). */
export function assertInstanceName(name: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
    throw new Error(`test host: instance name ${JSON.stringify(name)} is invalid: use a-z, 0-9 and '-' (at most 63), e.g. ARCHY_TESTHOST_NAME=hostdev`);
  }
}

/** Paths of instance `name` inside `cache`. */
export function instancePaths(cache: CachePaths, name: string): InstancePaths {
  assertInstanceName(name);
  return {
    name,
    dir: join(cache.instances, name),
    upper: join(cache.instances, name, 'upper'),
    work: join(cache.instances, name, 'work'),
    root: join(cache.instances, name, 'root'),
    pidFile: join(cache.instances, `${name}.pid`),
    logFile: join(cache.instances, `${name}.log`),
  };
}

/** Files of the cached apps image (see `apps-image.ts`), beside the rootfs in `cache`. */
export interface AppsImagePaths {
  /** The image's root tree as a tar archive; its name holds the recipe's hash, so a changed recipe is a new file. */
  tarball: string;
  /** Lock file taken while a tarball is built. */
  lock: string;
  /** Prefix of every tarball and build directory of the apps image, current or not (for sweeping old ones). */
  prefix: string;
}

/** Paths of the apps image whose recipe hashes to `recipeHash`. */
export function appsImagePaths(cache: CachePaths, recipeHash: string): AppsImagePaths {
  return {
    tarball: join(cache.root, `debian-apps-${recipeHash}.tar`),
    lock: join(cache.root, 'debian-apps.lock'),
    prefix: 'debian-apps-',
  };
}
