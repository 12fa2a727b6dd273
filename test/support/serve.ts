/**
 * `serve` (the command's own function) in the test's process, on a free port of 127.0.0.1: for a test that hands
 * it ports of its own (a journal read inside the host) or stops and starts it again on the same address.
 */
import { createServer } from 'node:net';
import { serve, type ServeOptions } from '../../src/cli/commands/serve.js';

/** A TCP port of 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ServeInProcess {
  /** `HOST:PORT` it listens on (pass it as `listen` to start it again there). */
  listen: string;
  /** `http://HOST:PORT`. */
  url: string;
  /** How serve() ended by itself (`resolved`, or `rejected: …`); undefined while it runs. */
  ended(): string | undefined;
  /** Stops it (as SIGTERM would) and resolves once serve() returned; rejects when it failed. */
  stop(): Promise<void>;
}

/**
 * Runs `serve(opts, …, extra)` until {@link ServeInProcess.stop}, listening on `opts.listen` (default a free port of
 * 127.0.0.1); resolves once `GET /` answers 200. Rejects when serve() ends first or does not answer within a minute.
 */
export async function serveInProcess(opts: Omit<ServeOptions, 'listen'> & { listen?: string }, extra?: Parameters<typeof serve>[2]): Promise<ServeInProcess> {
  const listen = opts.listen ?? `127.0.0.1:${await freePort()}`;
  const url = `http://${listen}`;
  let stopServe!: () => void;
  const served = serve({ ...opts, listen }, new Promise<void>((resolve) => (stopServe = resolve)), extra);
  let ended: string | undefined;
  served.then(
    () => (ended = 'resolved'),
    (err: Error) => (ended = `rejected: ${err.message}`),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(`${url}/`).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (ended !== undefined) throw new Error(`serve on ${listen} ended before it answered: ${ended}`);
    if (Date.now() > deadline) throw new Error(`serve did not come up on ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    listen,
    url,
    ended: () => ended,
    async stop() {
      stopServe();
      await served;
    },
  };
}
