import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive, sleep } from './proc.js';

/** How long a run waits for another run's build of a cached tree or image before giving up. */
const BUILD_WAIT_MS = 15 * 60_000;

/**
 * Runs `fn` holding the lock file `path` (created with O_EXCL, holding our
 * PID). A lock whose PID is dead is stale and taken over; a live one is waited
 * for, up to 15 minutes. `what` names the build in the waiting message
 * ("the rootfs"). Throws when the holder keeps it longer.
 */
export async function withLock(path: string, what: string, log: (line: string) => void, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + BUILD_WAIT_MS;
  let announced = false;
  for (;;) {
    // The lock appears with our PID already in it (link is atomic), so no reader ever sees it empty.
    const mine = `${path}.${process.pid}`;
    writeFileSync(mine, `${process.pid}\n`);
    try {
      linkSync(mine, path);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(mine, { force: true });
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
    } catch {
      continue; // released meanwhile
    }
    if (!Number.isInteger(holder) || !isAlive(holder)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`test host: ${path} is held by PID ${holder} for over ${BUILD_WAIT_MS / 60_000} min; if that process is stuck, end it`);
    if (!announced) log(`waiting for PID ${holder}, which is building ${what} (${path})`);
    announced = true;
    await sleep(1000);
  }
  try {
    await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
