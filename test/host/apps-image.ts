import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from './lock.js';
import { appsImagePaths, type CachePaths, cachePaths, instancePaths } from './paths.js';
import { isAlive } from './proc.js';
import { removeTree } from './remove-tree.js';
import { SUITE } from './rootfs.js';
import { describeFailure, run } from './run.js';
import { type TestHost } from './test-host.js';

/**
 * Real daemons for the host: one image of Debian 13 packages (nginx, MariaDB, Tor, PostgreSQL), since no registry
 * is reachable. Built once on this machine with debootstrap, cached as a tarball beside the rootfs, and imported into
 * a host only by the suites that ask for it ({@link ensureAppsImage}), so no other run pays for it.
 */

/** The image's name inside the host. Quadlet's default `Pull=missing` finds it locally. */
export const APPS_IMAGE = 'localhost/debian-apps:13';

/** Packages on top of debootstrap's minbase (their dependencies come along; debootstrap installs no recommends). */
export const APPS_PACKAGES = ['nginx-light', 'mariadb-server', 'tor', 'postgresql'] as const;

/** PostgreSQL's major version in Debian 13; its server binaries are not on PATH (`/usr/bin` has pg_wrapper's links). */
export const POSTGRES_MAJOR = '17';

/** Where `postgres`, `initdb` and `pg_isready` of {@link POSTGRES_MAJOR} live in the image. */
export const POSTGRES_BIN = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;

/**
 * Emptied in the tree before it is packed: apt's downloaded packages and lists, documentation and translations, and
 * the data the packages' maintainer scripts initialised at install time (MariaDB's datadir, PostgreSQL's cluster
 * `main`). A container initialises its own data in its volume, as a node's would.
 */
const EMPTIED = ['var/cache/apt', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'var/lib/mysql'] as const;
const REMOVED = [`var/lib/postgresql/${POSTGRES_MAJOR}`, `etc/postgresql/${POSTGRES_MAJOR}`] as const;

/** Files every test of the image relies on; a tree without one is rejected (the archive moved on). */
const REQUIRED = [
  'usr/sbin/nginx', 'usr/sbin/mariadbd', 'usr/bin/mariadb-install-db', 'usr/bin/mariadb-admin', 'usr/bin/tor',
  `${POSTGRES_BIN.slice(1)}/postgres`, `${POSTGRES_BIN.slice(1)}/initdb`, `${POSTGRES_BIN.slice(1)}/pg_isready`,
  'usr/bin/setpriv', 'usr/bin/getent',
] as const;

/** Hashed into the tarball's name: a changed recipe is a new tarball, and the old one is swept by the next build. */
const RECIPE = JSON.stringify({ suite: SUITE, variant: 'minbase', packages: APPS_PACKAGES, emptied: EMPTIED, removed: REMOVED, required: REQUIRED, tar: 1 });
const RECIPE_HASH = createHash('sha256').update(RECIPE).digest('hex').slice(0, 12);

/**
 * Makes sure the apps image's tarball exists in `cache` and returns its path. Reuses a complete one; otherwise
 * debootstraps the tree into a temporary directory, trims it, checks it, packs it into a temporary tarball and
 * renames that into place (a crashed build never leaves a half tarball), under a lock that a second run waits on.
 * Throws with debootstrap's or tar's output when the build fails, or when the tree lacks a daemon the tests run.
 */
export async function ensureAppsTarball(cache: CachePaths, log: (line: string) => void = () => {}): Promise<string> {
  const paths = appsImagePaths(cache, RECIPE_HASH);
  if (existsSync(paths.tarball)) return paths.tarball;
  mkdirSync(cache.root, { recursive: true });
  await withLock(paths.lock, 'the apps image', log, async () => {
    if (existsSync(paths.tarball)) return;
    await sweep(cache, paths.prefix);
    const tree = `${paths.tarball.replace(/\.tar$/, '')}.build-${process.pid}`;
    const tmpTar = `${paths.tarball}.build-${process.pid}`;
    log(`building the apps image (Debian ${SUITE}: ${APPS_PACKAGES.join(', ')}; ~1-2 min) in ${tree}`);
    const started = Date.now();
    try {
      const argv = ['debootstrap', '--variant=minbase', `--include=${APPS_PACKAGES.join(',')}`, SUITE, tree];
      // No mirror argument: debootstrap's default is used, so no host name lives in the project.
      const r = await run(argv, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (r.code !== 0) throw new Error(`test host: building the apps image failed (is the Debian archive reachable?): ${describeFailure(argv, r)}`);
      trim(tree);
      const missing = REQUIRED.filter((f) => !existsSync(join(tree, f)));
      if (missing.length > 0) throw new Error(`test host: the ${SUITE} apps image lacks ${missing.join(', ')}; the archive moved on: update apps-image.ts and the tests that run these daemons`);
      // Numeric owners: names would be mapped through this machine's /etc/passwd, not the image's.
      // /dev, /proc and /sys are the runtime's to fill.
      const tar = ['tar', '--numeric-owner', '--exclude=./dev/*', '--exclude=./proc/*', '--exclude=./sys/*', '-C', tree, '-cf', tmpTar, '.'];
      const t = await run(tar);
      if (t.code !== 0) throw new Error(`test host: packing the apps image failed: ${describeFailure(tar, t)}`);
      renameSync(tmpTar, paths.tarball);
    } finally {
      rmSync(tmpTar, { force: true });
      await removeTree(tree);
    }
    const mb = Math.round(statSync(paths.tarball).size / 1e6);
    log(`apps image built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${paths.tarball} (${mb} MB)`);
  });
  return paths.tarball;
}

/**
 * Makes {@link APPS_IMAGE} available inside `host`: nothing to do when the host has it; otherwise builds or reuses
 * the cached tarball ({@link ensureAppsTarball}) and `podman import`s it (default command `/bin/sh`). The tarball
 * reaches the host through the instance's own podman storage directory, which is bound into it as
 * `/var/lib/containers` (a hard link: nothing is copied). Throws with podman's output when the import fails.
 */
export async function ensureAppsImage(host: TestHost, log: (line: string) => void = () => {}): Promise<void> {
  if ((await host.exec(['podman', 'image', 'exists', APPS_IMAGE])).code === 0) return;
  const cache = cachePaths();
  const tarball = await ensureAppsTarball(cache, log);
  const name = `import-debian-apps-${process.pid}.tar`;
  const shared = join(instancePaths(cache, host.name).dir, 'containers', name);
  const started = Date.now();
  try {
    try {
      linkSync(tarball, shared);
    } catch (e) {
      // The cache and the instance sit on one file system unless someone moved one of them.
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      copyFileSync(tarball, shared);
    }
    await host.execOk(['podman', 'import', '--change', 'CMD ["/bin/sh"]', `/var/lib/containers/${name}`, APPS_IMAGE], { timeoutMs: 600_000 });
  } finally {
    rmSync(shared, { force: true });
  }
  log(`${APPS_IMAGE} imported into ${host.name} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function trim(tree: string): void {
  for (const dir of EMPTIED) {
    const path = join(tree, dir);
    if (!existsSync(path)) continue;
    for (const entry of readdirSync(path)) rmSync(join(path, entry), { recursive: true, force: true });
  }
  for (const path of REMOVED) rmSync(join(tree, path), { recursive: true, force: true });
}

/** Removes tarballs of older recipes and the build leftovers of runs that are gone. */
async function sweep(cache: CachePaths, prefix: string): Promise<void> {
  for (const entry of readdirSync(cache.root)) {
    if (!entry.startsWith(prefix)) continue;
    const build = /\.build-(\d+)$/.exec(entry);
    if (build && isAlive(Number(build[1]))) continue;
    if (!build && !entry.endsWith('.tar')) continue;
    await removeTree(join(cache.root, entry));
  }
}
