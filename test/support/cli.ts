/**
 * The real command line (`bin/archy-quadlet`, which runs `dist/`: `npm run build` first) as a child process: one
 * run to its end (or killed after a delay), a long-running child, the daemon (`serve`), and the options that point
 * it at the test host.
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestHost } from '../host/index.js';
import { hostGenerator } from './host.js';

/** The repository's root directory. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The command line entry. */
export const BIN = fileURLToPath(new URL('../../bin/archy-quadlet', import.meta.url));
/** What {@link BIN} runs. */
export const DIST_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/** Why a test that runs {@link BIN} cannot: the build is missing. */
export const NEEDS_BUILD = `${DIST_MAIN} is missing: run \`npm run build\` first (npm test does)`;

/** Throws {@link NEEDS_BUILD} unless `dist/` is built. */
export function assertBuilt(): void {
  if (!existsSync(DIST_MAIN)) throw new Error(NEEDS_BUILD);
}

/** How a run of the command line ended. */
export interface CliRun {
  /** The exit code; -1 when a signal ended it. */
  code: number;
  signal: NodeJS.Signals | null;
  /** True when SIGKILL (`killAfterMs`) ended it before it exited by itself. */
  killed: boolean;
  stdout: string;
  stderr: string;
  /** From the spawn to the end. */
  ms: number;
}

/**
 * How the command line runs: by default here (`node bin/archy-quadlet`, as root, outside the host); a node under
 * test run rootless gives a prefix that runs it inside the host as the user (`nodeUnderTest`, test/support/node.ts).
 */
export interface CliVia {
  /** The argv that runs `archy-quadlet`; the command line's own arguments follow. */
  argv: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Sends `signal` to the program itself (behind a wrapper that does not pass signals on, e.g. nsenter). */
  kill(child: ChildProcess, signal: NodeJS.Signals): void;
}

/** The command line here: this Node.js, `bin/archy-quadlet`, signals to the child itself. */
const HERE: CliVia = { argv: [process.execPath, BIN], kill: (child, signal) => void child.kill(signal) };

/** Spawns `args` the way `via` says, output piped. */
function spawnVia(args: readonly string[], via: CliVia = HERE, cwd = REPO): ChildProcessWithoutNullStreams {
  return spawn(via.argv[0]!, [...via.argv.slice(1), ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], ...(via.env ? { env: via.env } : {}) });
}

export interface CliOptions {
  /** How the command line runs; default here. */
  via?: CliVia;
  /** SIGTERM after this long (counts as a signal, code -1). */
  timeoutMs?: number;
  /** SIGKILL after this long: a crash at a random point. */
  killAfterMs?: number;
  /** Working directory; default the repository's root. */
  cwd?: string;
}

/** Runs `archy-quadlet ...args` to its end; never rejects for an exit code or a signal. */
export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const via = opts.via ?? HERE;
    const child = spawnVia(args, via, opts.cwd);
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timers = [
      opts.timeoutMs === undefined ? undefined : setTimeout(() => via.kill(child, 'SIGTERM'), opts.timeoutMs),
      opts.killAfterMs === undefined ? undefined : setTimeout(() => via.kill(child, 'SIGKILL'), opts.killAfterMs),
    ];
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code: code ?? -1, signal, killed: signal === 'SIGKILL', stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

/** Like {@link runCli}, but rejects (with the exit code and stderr) unless it exits 0. */
export async function runCliOk(args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  const r = await runCli(args, opts);
  if (r.code !== 0) throw Object.assign(new Error(`archy-quadlet ${args.join(' ')} exited ${r.signal ?? r.code}: ${r.stderr}`), r);
  return r;
}

/** Starts `archy-quadlet ...args` with its output piped, for a command that runs until it is stopped. */
export function spawnCli(args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args]);
}

/** Where the command line finds the node's files: its state directory, and its catalog. */
export interface NodeDirs {
  stateDir: string;
  manifests?: string;
}

/** The global options that point the command line at the host's bus and at `dirs`. */
export function hostArgs(host: TestHost, dirs: NodeDirs): string[] {
  return ['--bus', host.busAddress, '--state-dir', dirs.stateDir, ...(dirs.manifests ? ['--manifests', dirs.manifests] : [])];
}

/** The options of a reconciling command on the host: the unit directory it writes, the host's own generator. */
export function reconcileArgs(host: TestHost, unitDir = host.unitDir): string[] {
  return ['--unit-dir', unitDir, '--generator', hostGenerator(host)];
}

/**
 * The real command line against the host: {@link hostArgs}, then `args`, then for a reconciling command (apply,
 * watch, install, remove) {@link reconcileArgs}. Times out after 3 minutes.
 */
export function hostCli(host: TestHost, dirs: NodeDirs & { unitDir?: string }, args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  const reconciling = ['apply', 'watch', 'install', 'remove'].includes(args[0] ?? '');
  return runCli([...hostArgs(host, dirs), ...args, ...(reconciling ? reconcileArgs(host, dirs.unitDir) : [])], { timeoutMs: 180_000, ...opts });
}

/** `archy-quadlet serve` as a child process. */
export interface ServeChild extends CliChild {
  /** Its base URL, from its own log line. */
  url: string;
}

/** A long-running `archy-quadlet` child (watch, serve). */
export interface CliChild {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** SIGTERM (a clean shutdown) or SIGKILL; resolves with the exit code once it is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `archy-quadlet ...args` the way `via` says, for a command that runs until it is stopped. */
export function startCliChild(args: readonly string[], via: CliVia = HERE): CliChild {
  const child = spawnVia(args, via);
  child.stdin.end();
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) via.kill(child, signal);
      return exited;
    },
  };
}

/**
 * Starts `archy-quadlet ...args` (a `serve` with `--listen 127.0.0.1:0`); resolves once it listens. Rejects with
 * its log when it exits first or does not come up within a minute.
 */
export async function startServeChild(args: readonly string[], via: CliVia = HERE): Promise<ServeChild> {
  const started = startCliChild(args, via);
  const { child } = started;
  const listening = /serving the API and the UI on (http:\/\/\S+) \(/;
  const deadline = Date.now() + 60_000;
  while (!listening.test(started.log())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`serve exited ${child.exitCode ?? child.signalCode} before serving:\n${started.log()}`);
    if (Date.now() > deadline) throw new Error(`serve did not come up:\n${started.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...started, url: listening.exec(started.log())![1]! };
}
