/**
 * The default `Journal` of `serve`: `journalctl` on this machine. It reads the
 * local journal, so with `--bus` pointing at another machine's manager the
 * log lines are this machine's (none for that unit).
 */
import { execFile } from 'node:child_process';
import type { Journal } from './types.js';

/** Reads the last lines of a system unit's (or, with `user`, a user unit's) journal. Rejects when journalctl fails. */
export function journalctl(opts: { user?: boolean; timeoutMs?: number } = {}): Journal {
  return (unit, lines) =>
    new Promise((resolve, reject) => {
      const args = ['--no-pager', '-o', 'short-iso-precise', '-n', String(lines), opts.user ? '--user-unit' : '-u', unit];
      execFile('journalctl', args, { timeout: opts.timeoutMs ?? 5000, maxBuffer: 4 << 20, env: { ...process.env, SYSTEMD_COLORS: '0' } }, (err, stdout, stderr) => {
        if (err) return reject(new Error(`journalctl ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
        resolve(stdout.split('\n').filter((l) => l !== '' && !l.startsWith('-- ')));
      });
    });
}
