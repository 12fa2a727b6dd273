/**
 * One reconcile pass at a time per state directory (`watch`, `apply` and
 * `install` may run side by side): `<state-dir>/reconcile.lock` holds the
 * owner's pid, created once with it ({@link createOnce}: never seen empty); a
 * lock whose process is gone is stale and taken over.
 */
import { mkdir, rm } from 'node:fs/promises';
import { createOnce } from '../fs.js';
import { stateLayout } from './layout.js';

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
 * Runs `fn` holding the lock; waits up to `waitMs` (milliseconds) for a live holder to finish.
 * Throws LockedError when it does not; the fs error when the lock cannot be created or read.
 */
export async function withPassLock<T>(stateDir: string, fn: () => Promise<T>, waitMs = 0): Promise<T> {
  await mkdir(stateDir, { recursive: true });
  const path = stateLayout(stateDir).lock;
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Not durable: a lock means nothing after a crash (its pid is then gone or someone else's, and read as stale).
    const held = await createOnce(path, `${process.pid}\n`, { mode: 0o644, durable: false });
    if (held.created) break;
    // Released between the link and the read: try again at once.
    if (held.text === undefined) continue;
    const pid = Number.parseInt(held.text, 10);
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) throw new LockedError(path, pid);
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
