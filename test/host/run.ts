import { spawn } from 'node:child_process';

/** What a finished command left behind. */
export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit code; `null` when a signal ended it (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options for {@link run}. */
export interface RunOptions {
  /** Bytes written to the command's standard input, which is then closed. */
  input?: string | Buffer;
  /** Environment of the command (replaces, not extends, this process's). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds before the command is sent SIGKILL; its result then has `signal` set. */
  timeoutMs?: number;
}

/**
 * Runs `argv` to completion and collects its output. Never throws for a
 * non-zero exit (the caller decides what a failure is); rejects only when the
 * program cannot be started at all (e.g. ENOENT).
 */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('run: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code, signal });
    });
    // A command that does not read its input closes the pipe early; that is not our error.
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  });
}

/**
 * Runs `argv` and returns its stdout; throws when it exits non-zero, with the
 * command line, exit status and the tail of its stderr in the message.
 */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${describeFailure(argv, r)}`);
  return r.stdout;
}

/** One-line description of a failed command: `cmd args…: exit 1: <stderr tail>`. */
export function describeFailure(argv: readonly string[], r: RunResult): string {
  const status = r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-15).join('\n');
  return `${argv.join(' ')}: ${status}${tail ? `:\n${tail}` : ''}`;
}
