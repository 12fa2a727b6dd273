import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBusybox } from './image.js';
import { sleep } from './proc.js';
import { ROOTLESS_USER } from './rootfs.js';
import { run } from './run.js';
import type { ExecOptions, ExecResult, TestHost } from './test-host.js';

/**
 * The rootless side of a test host: the user's own systemd manager (`user@1000.service`, lingering), its Quadlet unit
 * directory and podman store, as a node runs its apps in production (docs/testhost.md, "Rootless").
 *
 * The user's bus only admits its own uid: root outside the host cannot use `/proc/PID/root/run/user/1000/bus` ("Transport
 * endpoint is not connected"). So this side offers the bus through a bridge: a unix socket on this machine whose every
 * connection is handed to `systemd-stdio-bridge` on the user's bus, run inside the host as the user (the tool `systemctl -H` uses
 * over ssh). A test's systemd port or controller connects to {@link UserManager.busAddress} as it would to the system
 * bus; the messages are the user manager's own.
 */
export interface UserManager {
  readonly user: typeof ROOTLESS_USER;
  /** D-Bus address on this machine that reaches the user's manager (`org.freedesktop.systemd1` on its bus), through the bridge. */
  readonly busAddress: string;
  /** Host-side path of the user's Quadlet unit directory, `~/.config/containers/systemd`. */
  readonly unitDir: string;
  /** Host-side path of the user's home. */
  readonly homeDir: string;
  /** Runs `argv` inside the host as the user, in its home, with its login environment (XDG_RUNTIME_DIR, the bus). Never throws for a non-zero exit. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Like {@link exec}, but throws (with the command, exit code and stderr) unless it exits 0; returns stdout. */
  execOk(argv: readonly string[], opts?: ExecOptions): Promise<string>;
  /** The argv prefix that runs a command inside the host as the user (for a long-running child, e.g. the daemon); `network: false` keeps this machine's network namespace. */
  prefix(opts?: { network?: boolean }): string[];
  /** The last `lines` journal lines of the user's `unit` (`journalctl --user -u UNIT`). */
  journal(unit: string, lines?: number): Promise<string>;
  /** Resolves once the user's manager runs (after a reboot of a persistent host, say); throws when it does not come up. */
  ready(): Promise<void>;
  /** Closes the bridge and ends its connections. */
  close(): Promise<void>;
}

/** The user's login environment inside the host. */
export const USER_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: ROOTLESS_USER.home,
  USER: ROOTLESS_USER.name,
  LOGNAME: ROOTLESS_USER.name,
  LANG: 'C.UTF-8',
  XDG_RUNTIME_DIR: `/run/user/${ROOTLESS_USER.uid}`,
  DBUS_SESSION_BUS_ADDRESS: `unix:path=/run/user/${ROOTLESS_USER.uid}/bus`,
} as const;

/** How long the user's manager may take to come up after the boot (linger starts it with the boot). */
const READY_TIMEOUT_MS = 60_000;

/**
 * Gives the rootless side of `host`: waits until the user's manager runs (`systemctl --user is-system-running` says
 * running or degraded), imports the busybox image into the user's podman store, and opens the bus bridge. The host's
 * PID is read at every use, so the bridge and `exec` follow a reboot. Throws with the manager's state when it does not
 * come up.
 */
export async function userManager(host: TestHost): Promise<UserManager> {
  const prefix = ({ network = true }: { network?: boolean } = {}): string[] => [
    'nsenter', '-t', String(host.pid), '-m', '-u', '-i', ...(network ? ['-n'] : []), '-p', '-C', '--',
    'setpriv', `--reuid=${ROOTLESS_USER.uid}`, `--regid=${ROOTLESS_USER.gid}`, '--init-groups', '--',
    'env', `--chdir=${ROOTLESS_USER.home}`,
  ];
  const exec = async (argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    const r = await run([...prefix(), ...argv], { input: opts.input, env: { ...USER_ENV, ...opts.env }, timeoutMs: opts.timeoutMs ?? 60_000 });
    return { stdout: r.stdout, stderr: r.stderr, code: r.code ?? -1 };
  };
  const execOk = async (argv: readonly string[], opts?: ExecOptions): Promise<string> => {
    const r = await exec(argv, opts);
    if (r.code !== 0) throw new Error(`test host ${host.name} as ${ROOTLESS_USER.name}: \`${argv.join(' ')}\` exited ${r.code}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-15).join('\n')}`);
    return r.stdout;
  };
  await waitReady(host, exec);
  await importBusybox(execOk);

  const dir = mkdtempSync(join(tmpdir(), 'aq-user-bus-'));
  const socket = join(dir, 'bus');
  const children = new Set<ChildProcess>();
  const server: Server = createServer((conn: Socket) => {
    // The bus by its address: `--user` connected to the system bus here (its systemd1 answered as uid 0).
    const child = spawn(prefix()[0]!, [...prefix().slice(1), 'systemd-stdio-bridge', `--bus-path=${USER_ENV.DBUS_SESSION_BUS_ADDRESS}`], { env: USER_ENV, stdio: ['pipe', 'pipe', 'ignore'] });
    children.add(child);
    conn.pipe(child.stdin);
    child.stdout.pipe(conn);
    child.stdin.on('error', () => conn.destroy());
    conn.on('error', () => child.kill());
    conn.on('close', () => child.kill());
    child.on('exit', () => {
      children.delete(child);
      conn.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, resolve);
  });
  return {
    user: ROOTLESS_USER,
    busAddress: `unix:path=${socket}`,
    get unitDir() {
      return `${host.rootDir}${ROOTLESS_USER.home}/.config/containers/systemd`;
    },
    get homeDir() {
      return `${host.rootDir}${ROOTLESS_USER.home}`;
    },
    exec,
    execOk,
    prefix,
    journal: (unit, lines = 100) => execOk(['journalctl', '--user', '--no-pager', '-o', 'short-precise', '-u', unit, '-n', String(lines)]),
    ready: () => waitReady(host, exec),
    async close() {
      for (const c of children) c.kill();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(host: TestHost, exec: UserManager['exec']): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const r = await exec(['systemctl', '--user', 'is-system-running']);
    last = r.stdout.trim() || r.stderr.trim();
    if (last === 'running' || last === 'degraded') return;
    if (Date.now() > deadline) {
      const status = await host.exec(['systemctl', 'status', '--no-pager', `user@${ROOTLESS_USER.uid}.service`]);
      throw new Error(`test host ${host.name}: the manager of ${ROOTLESS_USER.name} is not up after ${READY_TIMEOUT_MS / 1000} s (is-system-running: ${last || 'no answer'}):\n${status.stdout}`);
    }
    await sleep(200);
  }
}
