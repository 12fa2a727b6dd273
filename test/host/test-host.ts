import { run } from './run.js';

/** What describes a booted host; plain data, so vitest can `provide` it to test files. */
export interface HostDescription {
  /** Instance name (also the machine's host name). */
  name: string;
  /** PID of the host's PID 1 (systemd), as seen from the machine running the tests. */
  pid: number;
  /**
   * Host-side path of the host's root directory: `/proc/PID/root` for a volatile root (an overlay inside the host's
   * mount namespace), the instance's overlay mount `INSTANCE/root` for a persistent one (valid across reboots).
   */
  rootDir: string;
  /** D-Bus address of the host's system bus: `unix:path=/proc/PID/root/run/dbus/system_bus_socket` (new with every boot). */
  busAddress: string;
  /** Host-side path of the host's `/etc/containers/systemd` (where Quadlet reads units), under `rootDir`. */
  unitDir: string;
}

/** Options of {@link TestHost.exec}. */
export interface ExecOptions {
  /** Written to the command's standard input. */
  input?: string | Buffer;
  /** Extra environment variables (on top of a minimal PATH/HOME/LANG). */
  env?: Record<string, string>;
  /** Milliseconds before the command is killed; default 60 s. */
  timeoutMs?: number;
}

/** What a command run inside the host left behind. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit code; -1 when a signal (e.g. the timeout) ended it. */
  code: number;
}

/** A running test host. */
export interface TestHost extends HostDescription {
  /** Runs `argv` inside the host (all its namespaces: `nsenter -t PID -m -u -i -n -p`). Never throws for a non-zero exit. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Like {@link exec}, but throws (with the command, exit code and stderr) unless it exits 0; returns stdout. */
  execOk(argv: readonly string[], opts?: ExecOptions): Promise<string>;
  /** The last `lines` journal lines of `unit` inside the host (`journalctl -u UNIT -n LINES`). */
  journal(unit: string, lines?: number): Promise<string>;
}

/** The D-Bus address of the system bus of the host whose PID 1 is `pid`. */
export function busAddressOf(pid: number): string {
  return `unix:path=/proc/${pid}/root/run/dbus/system_bus_socket`;
}

/** Environment inside the host: not the test runner's (NODE_OPTIONS and the like have no business there). */
const BASE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
} as const;

/**
 * Gives a {@link HostDescription} its `exec`/`journal` methods. The host's fields read `d` on every access, so a
 * description updated in place (a reboot: new PID 1, new bus address) is what every later call uses.
 */
export function attachHost(d: HostDescription): TestHost {
  const exec = async (argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> => {
    const full = ['nsenter', '-t', String(d.pid), '-m', '-u', '-i', '-n', '-p', '--', ...argv];
    const r = await run(full, { input: opts.input, env: { ...BASE_ENV, ...opts.env }, timeoutMs: opts.timeoutMs ?? 60_000 });
    return { stdout: r.stdout, stderr: r.stderr, code: r.code ?? -1 };
  };
  const execOk = async (argv: readonly string[], opts?: ExecOptions): Promise<string> => {
    const r = await exec(argv, opts);
    if (r.code !== 0) throw new Error(`test host ${d.name}: \`${argv.join(' ')}\` exited ${r.code}: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-15).join('\n')}`);
    return r.stdout;
  };
  const journal = async (unit: string, lines = 100): Promise<string> =>
    execOk(['journalctl', '--no-pager', '-o', 'short-precise', '-u', unit, '-n', String(lines)]);
  return {
    get name() {
      return d.name;
    },
    get pid() {
      return d.pid;
    },
    get rootDir() {
      return d.rootDir;
    },
    get busAddress() {
      return d.busAddress;
    },
    get unitDir() {
      return d.unitDir;
    },
    exec,
    execOk,
    journal,
  };
}
