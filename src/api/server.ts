/**
 * The API listening on an address: what `serve`, the browser tests and the
 * benchmark start. The caller owns the controller; `close()` stops the server
 * only.
 */
import type { FastifyInstance } from 'fastify';
import { createApi } from './create-api.js';
import { isLoopback, type ListenAddress } from './listen.js';
import type { ApiDeps } from './types.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The base URL, e.g. `http://127.0.0.1:8080` (the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/** Creates the API and listens. Rejects when the address cannot be bound (in use, not local). */
export async function startServer(deps: ApiDeps, address: ListenAddress): Promise<RunningServer> {
  const app = createApi(deps);
  await app.listen({ host: address.host, port: address.port });
  const bound = app.server.address();
  const port = bound && typeof bound === 'object' ? bound.port : address.port;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  const url = `http://${host}:${port}`;
  if (!isLoopback(address.host)) deps.log.warn(`listening on ${address.host}, not loopback: anyone who can reach it and holds the token controls every app`);
  deps.log.info(`serving the API and the UI on ${url} (the token: archy-quadlet token)`);
  return { app, url, close: () => app.close() };
}
