/**
 * Waiting for a condition, never for a time: one poller for every test.
 */

export interface WaitOptions {
  /** Give up after this long; default 60 s. */
  timeoutMs?: number;
  /** Between two reads; default 200 ms. */
  intervalMs?: number;
  /**
   * A read that throws counts as its message (the wait goes on), e.g. a request while a server is still coming up.
   * By default a read that throws ends the wait with its error.
   */
  retryErrors?: boolean;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads `read()` until `ok` holds for its value, and resolves with that value. Throws after the timeout with `what`
 * (a function is called then, so it can show the state of things at that moment) and the last value read.
 */
export function until<T>(what: string | (() => string), read: () => T | Promise<T>, ok: (v: T) => boolean, opts: WaitOptions = {}): Promise<T> {
  return poll(what, read, ok, opts, true);
}

/** Waits until `check()` is true (see {@link until}); the error after the timeout is `what`. */
export async function eventually(what: string | (() => string), check: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  await poll(what, check, (v) => v, opts, false);
}

async function poll<T>(what: string | (() => string), read: () => T | Promise<T>, ok: (v: T) => boolean, opts: WaitOptions, showLast: boolean): Promise<T> {
  const { timeoutMs = 60_000, intervalMs = 200, retryErrors = false } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = retryErrors ? await Promise.resolve().then(read).catch((e: Error) => e.message as unknown as T) : await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) {
      const described = typeof what === 'function' ? what() : what;
      throw new Error(showLast ? `timed out waiting for ${described}; last: ${JSON.stringify(v)}` : `timed out after ${timeoutMs} ms: ${described}`);
    }
    await sleep(intervalMs);
  }
}
