import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CachePaths } from './paths.js';
import { withLock } from './lock.js';
import { findNspawnFor, isAlive } from './proc.js';
import { removeTree } from './remove-tree.js';
import { describeFailure, run } from './run.js';

/** Debian suite of the test host: Debian 13 ships systemd 257 and podman 5.4.2, as the target nodes do. */
export const SUITE = 'trixie';

/**
 * Packages on top of debootstrap's minbase: the system manager, its bus, podman and its runtime/network stack,
 * busybox for the test image; `catatonit`, podman's init for `init: true` (Init=yes); `nodejs` (Debian's, as on a
 * node) and `git` (for `--git`) to run our CLI and daemon inside the host; and what a user's own systemd manager needs for rootless apps
 * (`uidmap`'s newuidmap/newgidmap, `dbus-user-session` for `/run/user/UID/bus`, `libpam-systemd`).
 */
export const PACKAGES = [
  'systemd', 'systemd-sysv', 'dbus', 'podman', 'crun', 'netavark', 'aardvark-dns', 'passt',
  'busybox-static', 'iproute2', 'procps', 'nftables', 'iptables',
  'catatonit', 'nodejs', 'git', 'uidmap', 'dbus-user-session', 'libpam-systemd',
] as const;

/** The versions the product targets; a rootfs with others is rejected. */
export const EXPECTED = { podman: '5.4.2', systemd: '257' } as const;

/**
 * containers.conf of the host. `keyring = false`: creating a session keyring
 * is not permitted in the container ("create keyring … Operation not
 * permitted"). `pids_limit = 0`: the host's cgroup2 has no `pids` controller.
 */
export const CONTAINERS_CONF = '[containers]\nkeyring = false\npids_limit = 0\n';

/**
 * The user whose systemd manager runs the rootless apps (as on a node: a normal user, UID 1000, lingering), and what
 * makes rootless Quadlet work in the host (docs/testhost.md, "Rootless"). Created in the rootfs at build time, so every
 * host has it; the harness's `userManager` (test/host/rootless.ts) starts using it.
 */
export const ROOTLESS_USER = { name: 'archy', uid: 1000, gid: 1000, home: '/home/archy' } as const;

/**
 * Run inside the new tree (no boot) after debootstrap:
 * - the user, with `useradd` writing its subordinate ranges (`archy:100000:65536` in /etc/subuid and /etc/subgid), and
 *   lingering (the file `loginctl enable-linger` writes), so `user@1000.service` starts at boot;
 * - its podman store's directory, a mount point the instance binds a directory of this machine's filesystem onto: rootless
 *   `overlay` over the host's own overlayfs root is refused ("'overlay' is not supported over overlayfs");
 * - `/dev/net/tun` usable by the user (pasta, rootless networking, opens it; nspawn creates it 0600 root);
 * - `network-online.target` reached at boot: every rootless Quadlet unit waits for it through
 *   `podman-user-wait-network-online.service`, and nothing in the host pulls it in otherwise;
 * - the user manager stopped within 10 s at shutdown: in this host it sometimes never exits ("Processes still around
 *   after final SIGKILL"), and `user@.service`'s own 2 minutes made every reboot of a persistent host take 2 minutes.
 */
const CONFIGURE = [
  `useradd --create-home --uid ${ROOTLESS_USER.uid} --user-group --shell /bin/sh ${ROOTLESS_USER.name}`,
  `mkdir -p /var/lib/systemd/linger && touch /var/lib/systemd/linger/${ROOTLESS_USER.name}`,
  `install -d -o ${ROOTLESS_USER.uid} -g ${ROOTLESS_USER.gid} ${ROOTLESS_USER.home}/.local ${ROOTLESS_USER.home}/.local/share ${ROOTLESS_USER.home}/.local/share/containers ${ROOTLESS_USER.home}/.config ${ROOTLESS_USER.home}/.config/containers ${ROOTLESS_USER.home}/.config/containers/systemd`,
  `printf 'z /dev/net/tun 0666 - - -\n' > /usr/lib/tmpfiles.d/archy-testhost-tun.conf`,
  'systemctl add-wants multi-user.target network-online.target',
  `mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nTimeoutStopSec=10s\\n' > /etc/systemd/system/user@.service.d/archy-testhost.conf`,
].join(' && ');

/** Written into the rootfs; a cached rootfs whose recipe differs from the current one is rebuilt. */
const RECIPE_FILE = 'etc/archy-testhost-recipe';
const RECIPE = JSON.stringify({ suite: SUITE, variant: 'minbase', packages: PACKAGES, containersConf: CONTAINERS_CONF, configure: CONFIGURE, expected: EXPECTED }) + '\n';

/**
 * Makes sure the pristine rootfs exists at `cache.rootfs` and returns its path.
 * Reuses a complete cached one; otherwise builds it with debootstrap into a
 * temporary directory and renames it into place, so a crashed build never
 * leaves a half tree. A lock file (O_EXCL, holding the builder's PID) keeps two
 * concurrent runs from both building; the second waits for the first.
 * Throws with debootstrap's output when the build fails, or when the built
 * tree does not hold the expected podman/systemd versions.
 */
export async function ensureRootfs(cache: CachePaths, log: (line: string) => void = () => {}): Promise<string> {
  if (isCurrent(cache.rootfs)) return cache.rootfs;
  mkdirSync(cache.root, { recursive: true });
  await withLock(cache.buildLock, 'the rootfs', log, async () => {
    // Another run may have finished the build while this one waited for the lock.
    if (isCurrent(cache.rootfs)) return;
    await removeLeftoverBuilds(cache);
    const tmp = `${cache.rootfs}.build-${process.pid}`;
    log(`building the test host rootfs (Debian ${SUITE}, ~1-2 min) in ${tmp}`);
    const started = Date.now();
    await debootstrap(tmp);
    writeFileSync(join(tmp, 'etc/containers/containers.conf'), CONTAINERS_CONF);
    await inTree(tmp, CONFIGURE, 'configure the rootless user');
    await verifyVersions(tmp);
    writeFileSync(join(tmp, RECIPE_FILE), RECIPE);
    if (existsSync(cache.rootfs)) {
      // An outdated rootfs: move it aside first so the swap itself is one rename.
      const old = `${cache.rootfs}.old-${process.pid}`;
      renameSync(cache.rootfs, old);
      renameSync(tmp, cache.rootfs);
      // Running instances still use the old tree as their overlay's lower layer: leave it to a later build then.
      // A persistent instance boots its own mount, whose lower layer the mount table names.
      if (findNspawnFor(cache.rootfs).length === 0 && !overlaidBy(cache.rootfs)) await removeTree(old);
    } else {
      renameSync(tmp, cache.rootfs);
    }
    log(`rootfs built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  return cache.rootfs;
}

/** True when a mounted overlay has `dir` as its lower layer (a persistent instance's root). */
function overlaidBy(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.includes(` overlay `) && line.includes(`lowerdir=${dir},`));
}

function isCurrent(rootfs: string): boolean {
  try {
    return readFileSync(join(rootfs, RECIPE_FILE), 'utf8') === RECIPE;
  } catch {
    return false;
  }
}

async function debootstrap(dir: string): Promise<void> {
  // No mirror argument: debootstrap's default is used, so no host name lives in the project.
  const argv = ['debootstrap', '--variant=minbase', `--include=${PACKAGES.join(',')}`, SUITE, dir];
  const r = await run(argv, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.code !== 0) throw new Error(`test host: building the rootfs failed (is the Debian archive reachable?): ${describeFailure(argv, r)}`);
}

/** Runs the shell command `script` inside the tree (no boot); throws with its output when it fails. */
async function inTree(dir: string, script: string, what: string): Promise<void> {
  const argv = ['systemd-nspawn', '--quiet', '--register=no', '--keep-unit', '--private-network', `--machine=archy-build-${process.pid}`, '-D', dir, '--pipe', 'sh', '-c', script];
  const r = await run(argv, { env: { ...process.env, SYSTEMD_SECCOMP: '0', SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' } });
  if (r.code !== 0) throw new Error(`test host: cannot ${what} in the new rootfs: ${describeFailure(argv, r)}`);
}

/** Runs `podman --version` and `systemctl --version` inside the tree (no boot) and checks them. */
async function verifyVersions(dir: string): Promise<void> {
  const argv = [
    'systemd-nspawn', '--quiet', '--register=no', '--keep-unit', '--private-network', `--machine=archy-build-${process.pid}`,
    '-D', dir, '--pipe', 'sh', '-c', 'podman --version && systemctl --version',
  ];
  const r = await run(argv, { env: { ...process.env, SYSTEMD_SECCOMP: '0', SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' } });
  if (r.code !== 0) throw new Error(`test host: cannot run podman/systemctl in the new rootfs: ${describeFailure(argv, r)}`);
  const podman = /podman version (\S+)/.exec(r.stdout)?.[1];
  const systemd = /^systemd (\d+)/m.exec(r.stdout)?.[1];
  if (podman !== EXPECTED.podman || systemd !== EXPECTED.systemd) {
    throw new Error(`test host: the ${SUITE} rootfs has podman ${podman ?? '?'} and systemd ${systemd ?? '?'}, expected podman ${EXPECTED.podman} and systemd ${EXPECTED.systemd}; the archive moved on: update EXPECTED and the tests that pin these versions`);
  }
}

/** Removes `rootfs.build-PID` trees whose builder is gone (a crashed build) and `rootfs.old-PID` trees no instance boots from any more. */
async function removeLeftoverBuilds(cache: CachePaths): Promise<void> {
  const base = cache.rootfs.slice(cache.root.length + 1);
  for (const entry of readdirSync(cache.root)) {
    const m = new RegExp(`^${base}\\.(?:build|old)-(\\d+)$`).exec(entry);
    if (!m || (entry.includes('.build-') && isAlive(Number(m[1])))) continue;
    if (entry.includes('.old-') && findNspawnFor(cache.rootfs).length > 0) continue;
    await removeTree(join(cache.root, entry));
  }
}
