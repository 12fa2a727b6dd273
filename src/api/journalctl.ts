/**
 * The default journal ports of `serve`: `journalctl` on this machine. It reads the local journal, so with `--bus`
 * pointing at another machine's manager the log lines are this machine's (none for that unit). `via` runs it
 * through a prefix (e.g. `nsenter -t PID -m -p`: the journal of a machine this process sees from outside).
 */
import { execFile, spawn } from 'node:child_process';
import { parseJournalLine, type JournalEntry } from './journal-entry.js';
import type { Journal, JournalFollower } from './types.js';

export interface JournalctlOptions {
  /** The units are the user manager's (`--user-unit`). */
  user?: boolean;
  /** A command prefix journalctl runs under. */
  via?: readonly string[];
  timeoutMs?: number;
}

const ENV = (): NodeJS.ProcessEnv => ({ ...process.env, SYSTEMD_COLORS: '0' });

/** `-u UNIT` (or `--user-unit UNIT`) for each unit: journalctl shows the entries of any of them. */
const unitArgs = (units: readonly string[], user: boolean | undefined): string[] => units.flatMap((u) => [user ? '--user-unit' : '-u', u]);

/** Reads the last lines of a system unit's (or, with `user`, a user unit's) journal. Rejects when journalctl fails. */
export function journalctl(opts: JournalctlOptions = {}): Journal {
  const [cmd, ...pre] = [...(opts.via ?? []), 'journalctl'];
  return (unit, lines) =>
    new Promise((resolve, reject) => {
      const args = ['--no-pager', '-o', 'short-iso-precise', '-n', String(lines), ...unitArgs([unit], opts.user)];
      execFile(cmd!, [...pre, ...args], { timeout: opts.timeoutMs ?? 5000, maxBuffer: 4 << 20, env: ENV() }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`journalctl ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
        resolve(stdout.split('\n').filter((l) => l !== '' && !l.startsWith('-- ')));
      });
    });
}

/**
 * Follows the journal of units with `journalctl -o json --follow` (`-n N` first, or `-n all --after-cursor C`: every
 * entry after C and none before, so a resume loses none and repeats none). journalctl runs in a process group of
 * its own, and `stop()` ends the whole group (with `via`, the prefix's children too). `pause()` stops reading its
 * output (journalctl then blocks on the pipe: the stream's back-pressure). `end` is called once, when journalctl
 * ends by itself (with its error text when it failed, e.g. a cursor it cannot seek to), never after `stop()`.
 */
export function journalFollower(opts: JournalctlOptions = {}): JournalFollower {
  const [cmd, ...pre] = [...(opts.via ?? []), 'journalctl'];
  return (req, handlers) => {
    const start = req.afterCursor !== undefined ? ['-n', 'all', '--after-cursor', req.afterCursor] : ['-n', String(req.lines)];
    const args = ['--no-pager', '-o', 'json', '--follow', ...start, ...unitArgs(req.units, opts.user)];
    const child = spawn(cmd!, [...pre, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: ENV() });
    let stopped = false;
    let rest = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) {
        const entry: JournalEntry | undefined = parseJournalLine(l, req.units);
        if (entry && !stopped) handlers.entry(entry);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    const finish = (error?: string): void => {
      if (stopped) return;
      stopped = true;
      handlers.end(error);
    };
    child.on('error', (err) => finish(`journalctl: ${err.message}`));
    child.on('close', (code, signal) => finish(code === 0 ? undefined : `journalctl ${args.join(' ')}: ${stderr.trim() || `ended (${signal ?? `exit ${code}`})`}`));
    return {
      pid: child.pid,
      pause: () => child.stdout.pause(),
      resume: () => child.stdout.resume(),
      stop() {
        stopped = true;
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(-child.pid, 'SIGTERM');
          } catch {
            // Already gone.
          }
        }
      },
    };
  };
}
