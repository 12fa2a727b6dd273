import { readFileSync, readdirSync } from 'node:fs';

/**
 * Process inspection through /proc, so that the harness only ever signals
 * processes it can name by PID and recognise by their command line.
 */

/** The process's state letter from /proc/PID/stat (`R`, `S`, `Z`, …), or undefined when it is gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself hold spaces or ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and is not a zombie (a zombie has exited; only its parent's wait is missing). */
export function isAlive(pid: number): boolean {
  const s = procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

/** The argv of `pid`, or undefined when it is gone. */
export function cmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const argv = raw.split('\0');
    if (argv.at(-1) === '') argv.pop();
    return argv;
  } catch {
    return undefined;
  }
}

/** Direct children of `pid` (all its threads' children). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (list) out.push(...list.split(/\s+/).map(Number));
    }
  } catch {
    // gone: no children
  }
  return out;
}

/**
 * True when `argv` is a `systemd-nspawn` that belongs to the instance whose
 * directory is `dir`: one of its arguments names a path inside `dir` (the
 * harness binds `DIR/containers`), or it boots `dir` itself.
 */
export function isNspawnFor(argv: readonly string[] | undefined, dir: string): boolean {
  if (!argv || argv.length === 0 || !(argv[0] ?? '').endsWith('systemd-nspawn')) return false;
  return argv.some((a, i) => a.includes(`=${dir}/`) || a === `--directory=${dir}` || ((a === '-D' || a === '--directory') && argv[i + 1] === dir));
}

/** PIDs of every live `systemd-nspawn` of the instance whose directory is `dir` (see {@link isNspawnFor}). */
export function findNspawnFor(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (isNspawnFor(cmdline(pid), dir) && isAlive(pid)) out.push(pid);
  }
  return out;
}

/** Resolves true once `pid` is gone (or a zombie), false after `timeoutMs`. */
export async function waitExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Sends `signal` to `pid`, ignoring a process that is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
