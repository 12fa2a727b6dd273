import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { environmentOf, splitUnbraced } from '../../src/systemd/unit-environment.js';
import { readServiceSettings } from '../../src/systemd/unit-settings.js';
import { REPO_IN_HOST, ROOTLESS_USER, useHost, userManager, type UserManager } from '../host/index.js';
import { displayDir } from '../../src/store/node/manifest-files.js';
import { REPO, type CliRun } from '../support/cli.js';
import { MANAGERS, nodeOf, type NodeUnderTest } from '../support/node.js';
import { journalCursor } from '../support/host.js';
import { until } from '../support/wait.js';

// Issue 17: an operator moves the daemon with a drop-in (`systemctl edit archy-quadlet.service` →
// `Environment=ARCHY_QUADLET_LISTEN=…`); the commands on that node learn the address from systemd and refuse an app
// publishing there, naming the daemon and the drop-in's address. Rootful (the command line here, on the host's system
// bus) and rootless (inside the host as the user, whose apps share the host's ports with the system daemon's).

const host = useHost();

/** Where the drop-ins move the system daemon and the user's daemon (the packaged ones listen on 8080 and 8081). */
const SYSTEM_PORT = 9471;
const USER_PORT = 9472;
const DAEMON = 'archy-quadlet.service';
const SYSTEM_WHO = `${DAEMON} (the node's API and web UI; its ARCHY_QUADLET_LISTEN)`;
const USER_WHO = `${DAEMON} of the user's manager (this user's API and web UI; its ARCHY_QUADLET_LISTEN)`;

/** An app publishing 127.0.0.1:`port`; the `host:` key is on line 5, its value at column 11. */
const webApp = (port: number): string => `id: web\nimage: localhost/busybox:latest\nports:\n  - container: 80\n    host: ${port}\n    hostIp: 127.0.0.1\n`;

/** The lines of a command's stderr. */
const lines = (r: CliRun): string[] => r.stderr.split('\n').filter((l) => l !== '');

describe("what systemd holds of a service's environment (the parts the daemon's address is read from)", () => {
  const root = (path: string): string => `${host.rootDir}${path}`;
  const PROBE = 'aq-env-probe.service';

  afterAll(async () => {
    rmSync(root(`/etc/systemd/system/${PROBE}`), { force: true });
    rmSync(root(`/etc/systemd/system/${PROBE}.d`), { recursive: true, force: true });
    await host.execOk(['systemctl', 'daemon-reload']);
  });

  it('Environment over D-Bus: unit file and drop-ins merged, unquoted, escapes and specifiers resolved, one entry per key (the last); $VAR split as splitUnbraced splits it', async () => {
    writeFileSync(
      root(`/etc/systemd/system/${PROBE}`),
      [
        '[Service]',
        'Type=oneshot',
        'Environment=GONE=1',
        'Environment=L=127.0.0.1:8080',
        // The words a command gets for $O are printed one a line, in brackets.
        `ExecStart=/usr/bin/busybox sh -c 'for a in "$@"; do echo "[$a]"; done' probe $O`,
        '',
      ].join('\n'),
    );
    mkdirSync(root(`/etc/systemd/system/${PROBE}.d`), { recursive: true });
    writeFileSync(root(`/etc/systemd/system/${PROBE}.d/10-reset.conf`), '[Service]\nEnvironment=\nEnvironment=L=127.0.0.1:9001\n');
    writeFileSync(
      root(`/etc/systemd/system/${PROBE}.d/20-override.conf`),
      `[Service]\nEnvironment="L=127.0.0.1:9002" "X=a b" Y="c d" Z=\\x41 W=%n\nEnvironment="O=--x 'b c' \\"d e\\" f\\\\ g --listen=127.0.0.1:9005"\n`,
    );
    await host.execOk(['systemctl', 'daemon-reload']);

    const settings = await readServiceSettings(host.busAddress, PROBE);
    expect(settings).toMatchObject({ loadState: 'loaded', activeState: 'inactive', unitFileState: 'static' });
    expect(settings!.environment).toEqual(['L=127.0.0.1:9002', 'X=a b', 'Y=c d', 'Z=A', `W=${PROBE}`, `O=--x 'b c' "d e" f\\ g --listen=127.0.0.1:9005`]);
    const env = environmentOf(settings!.environment);
    expect(env.get('L')).toBe('127.0.0.1:9002');
    expect(env.has('GONE')).toBe(false);

    const cursor = await journalCursor(host);
    await host.execOk(['systemctl', 'start', PROBE]);
    // journald may take the run's last lines a moment after the start job returned.
    const printed = await until(
      "the probe's words in the journal",
      async () => (await host.execOk(['journalctl', '--no-pager', '-o', 'cat', '-u', PROBE, '--after-cursor', cursor])).split('\n').filter((l) => l.startsWith('[')),
      (words) => words.length >= 5,
    );
    expect(printed).toEqual(splitUnbraced(env.get('O')!).map((w) => `[${w}]`));
    expect(printed).toEqual(['[--x]', '[b c]', '[d e]', '[f g]', '[--listen=127.0.0.1:9005]']);
  });

  it('a unit that does not exist is not-found with no environment; a bus nobody listens on: undefined', async () => {
    expect(await readServiceSettings(host.busAddress, 'aq-no-such-daemon.service')).toEqual({ loadState: 'not-found', activeState: 'inactive', unitFileState: '', environment: [] });
    expect(await readServiceSettings(`unix:path=${host.rootDir}/run/aq-no-bus`, DAEMON)).toBeUndefined();
  });
});

describe.each(MANAGERS)("the daemon's address from its unit and drop-in (%s manager)", (manager) => {
  let node: NodeUnderTest;
  /** The user's side, on the rootful run too. */
  let users: UserManager | undefined;
  let work: string;
  let manifests: string;
  let stateDir: string;
  /** What this suite wrote into the host, undone after it. */
  const undo: Array<() => Promise<unknown>> = [];

  const root = (path: string): string => `${host.rootDir}${path}`;
  const cli = (...args: string[]): Promise<CliRun> => node.cli({ stateDir, manifests }, args);
  /** The catalog: the one app, publishing on `port`. */
  const publish = async (port: number): Promise<void> => {
    writeFileSync(join(manifests, 'web.yaml'), webApp(port));
    await node.handOver(manifests);
  };
  // The file as the command line shows it: relative to its working directory (rootless, the user's home) when inside.
  const refusal = (port: number, who: string, edit: string): string =>
    `${join(displayDir(node.inside(manifests), manager === 'user' ? ROOTLESS_USER.home : REPO), 'web.yaml')}:5:11 /ports/0/host: host port ${port}/tcp is already bound by ${who} on 127.0.0.1:${port} (pick another host port, or move the daemon: ${edit})`;

  /** The system daemon as the package installs it, moved by an operator's drop-in to SYSTEM_PORT, enabled. */
  async function installSystemDaemon(): Promise<void> {
    for (const dir of ['/usr/lib/systemd/system', '/etc/systemd/system']) {
      // Another suite's daemon is not this one's to change.
      if (existsSync(root(`${dir}/${DAEMON}`))) throw new Error(`${dir}/${DAEMON} exists on the test host already`);
    }
    writeFileSync(root(`/usr/lib/systemd/system/${DAEMON}`), readFileSync(join(REPO, 'packaging/archy-quadlet.service')));
    mkdirSync(root(`/etc/systemd/system/${DAEMON}.d`), { recursive: true });
    writeFileSync(root(`/etc/systemd/system/${DAEMON}.d/override.conf`), `[Service]\nEnvironment=ARCHY_QUADLET_LISTEN=127.0.0.1:${SYSTEM_PORT}\n`);
    undo.push(async () => {
      await host.exec(['systemctl', 'disable', DAEMON]);
      rmSync(root(`/usr/lib/systemd/system/${DAEMON}`), { force: true });
      rmSync(root(`/etc/systemd/system/${DAEMON}.d`), { recursive: true, force: true });
      await host.execOk(['systemctl', 'daemon-reload']);
    });
    await host.execOk(['systemctl', 'daemon-reload']);
    // Enabled, not started: it would start at boot, so its address is taken (the unit's ExecStart is not on the host).
    await host.execOk(['systemctl', 'enable', DAEMON]);
  }

  /** The user's daemon as packaged, moved by the user's drop-in (`systemctl --user edit`) to USER_PORT, enabled. */
  async function installUserDaemon(u: UserManager): Promise<void> {
    if (existsSync(root(`/usr/lib/systemd/user/${DAEMON}`))) throw new Error(`/usr/lib/systemd/user/${DAEMON} exists on the test host already`);
    writeFileSync(root(`/usr/lib/systemd/user/${DAEMON}`), readFileSync(join(REPO, 'packaging/archy-quadlet.user.service')));
    const dropIn = `.config/systemd/user/${DAEMON}.d`;
    await u.execOk(['mkdir', '-p', dropIn]);
    await u.execOk(['sh', '-c', 'cat > "$1"', 'write', `${dropIn}/override.conf`], { input: `[Service]\nEnvironment=ARCHY_QUADLET_LISTEN=127.0.0.1:${USER_PORT}\n` });
    undo.push(async () => {
      await u.exec(['systemctl', '--user', 'disable', DAEMON]);
      await u.exec(['rm', '-rf', dropIn]);
      rmSync(root(`/usr/lib/systemd/user/${DAEMON}`), { force: true });
      await u.execOk(['systemctl', '--user', 'daemon-reload']);
    });
    await u.execOk(['systemctl', '--user', 'daemon-reload']);
    await u.execOk(['systemctl', '--user', 'enable', DAEMON]);
  }

  beforeAll(async () => {
    const under = await nodeOf(host, manager);
    node = under.node;
    // Both daemons on both runs: the rootful one shows what a user's daemon does not reserve for it.
    users = under.user ?? (await userManager(host));
    work = node.tempDir('archy-daemon-address-');
    manifests = join(work, 'manifests');
    stateDir = join(work, 'state');
    mkdirSync(manifests);
    await node.handOver(work);
    await installSystemDaemon();
    await installUserDaemon(users);
  });

  afterAll(async () => {
    for (const step of undo.reverse()) await step();
    await users?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const own = manager === 'system' ? { port: SYSTEM_PORT, who: SYSTEM_WHO, edit: `systemctl edit ${DAEMON}`, packaged: 8080 } : { port: USER_PORT, who: USER_WHO, edit: `systemctl --user edit ${DAEMON}`, packaged: 8081 };

  it("validate refuses an app on the drop-in's address, naming the daemon; the packaged address is free then", async () => {
    await publish(own.port);
    const refused = await cli('validate');
    expect(lines(refused)).toEqual([refusal(own.port, own.who, own.edit)]);
    expect(refused.code).toBe(1);

    await publish(own.packaged);
    const free = await cli('validate');
    expect({ code: free.code, stderr: free.stderr }).toEqual({ code: 0, stderr: '' });
    expect(free.stdout).toBe(`${node.inside(manifests)}: 1 manifest(s) valid: web\n`);
  });

  it('install refuses it the same way and records nothing', async () => {
    await publish(own.port);
    const r = await cli('install', 'web');
    expect(lines(r)).toEqual([refusal(own.port, own.who, own.edit)]);
    expect(r.code).toBe(1);
    expect(existsSync(join(stateDir, 'installs'))).toBe(false);
    expect(existsSync(join(node.unitDir, 'web.container'))).toBe(false);
  });

  it("the other manager's daemon: rootless, the system's drop-in address is refused too; rootful over --bus, a user's is not asked", async () => {
    await publish(manager === 'user' ? SYSTEM_PORT : USER_PORT);
    const r = await cli('validate');
    if (manager === 'user') {
      expect(lines(r)).toEqual([refusal(SYSTEM_PORT, SYSTEM_WHO, `systemctl edit ${DAEMON}`)]);
      expect(r.code).toBe(1);
    } else {
      // Rootful over a bus named by --bus (here, from outside the host): the users' managers are not that bus's to
      // know, and the user's daemon at USER_PORT is not reserved.
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    }
  });

  // Rootful only (a rootless command asks no other user): defined for that run alone.
  if (manager === 'system') it("rootful on the node itself, as root: the users' daemons are asked too, and the user's drop-in address is refused", async () => {
    // The command line inside the host as root, on its own system bus, from / (so the file is shown absolute).
    const dir = mkdtempSync(join(root('/tmp'), 'archy-daemon-address-'));
    undo.push(async () => rmSync(dir, { recursive: true, force: true }));
    const inside = dir.slice(host.rootDir.length);
    writeFileSync(join(dir, 'web.yaml'), webApp(USER_PORT));
    const validate = ['env', '--chdir=/', 'node', `${REPO_IN_HOST}/bin/archy-quadlet`, '--manifests', inside, 'validate'];
    const r = await host.exec(validate);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      `${inside}/web.yaml:5:11 /ports/0/host: host port ${USER_PORT}/tcp is already bound by ${DAEMON} of user ${ROOTLESS_USER.uid}'s manager (that user's API and web UI; its ARCHY_QUADLET_LISTEN) on 127.0.0.1:${USER_PORT} (pick another host port, or move that daemon: as user ${ROOTLESS_USER.uid}, systemctl --user edit ${DAEMON})`,
    ]);
    expect(r.code).toBe(1);
    // Once the user disables it (and it does not run), its address is free for the rootful apps.
    await users!.execOk(['systemctl', '--user', 'disable', DAEMON]);
    try {
      expect(await host.exec(validate)).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await users!.execOk(['systemctl', '--user', 'enable', DAEMON]);
    }
  });

  it('a daemon disabled and not running binds nothing: its address is free (a rootless node disables the system daemon)', async () => {
    await host.execOk(['systemctl', 'disable', DAEMON]);
    try {
      await publish(SYSTEM_PORT);
      const r = await cli('validate');
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      await host.execOk(['systemctl', 'enable', DAEMON]);
    }
  });
});
