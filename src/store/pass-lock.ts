/**
 * One reconcile pass at a time per state directory (`watch`, `apply` and
 * `install` may run side by side): `<state-dir>/reconcile.lock` holds the
 * owner's pid, linked into place whole (never empty); a lock whose process is
 * gone is stale and taken over.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Another live process holds the lock. CLI exit 3. */
export class LockedError extends Error {
  constructor(path: string, pid: number) {
    super(`${path}: another reconcile pass (pid ${pid}) is running; try again when it has finished`);
    this.name = 'LockedError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` holding the lock; waits up to `waitMs` for a live holder to finish.
 * Throws LockedError when it does not.
 */
export async function withPassLock<T>(stateDir: string, fn: () => Promise<T>, waitMs = 0): Promise<T> {
  await mkdir(stateDir, { recursive: true });
  const path = join(stateDir, 'reconcile.lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    // The pid is written first and the lock linked into place whole: a lock file never exists without its pid
    // (another pass reading an empty one would take it for stale).
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temp, `${process.pid}\n`, { mode: 0o644 });
    try {
      await link(temp, path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
        await rm(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new LockedError(path, pid);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await rm(temp, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
