/**
 * Builds the API server from its ports: REST, SSE and JSON-RPC under the
 * same-origin and bearer-token guards, plus the web UI's static files.
 */
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createEventHub } from './event-hub.js';
import { assertBearer, assertSameOrigin } from './guard.js';
import { httpErrorFor, HttpError } from './http-errors.js';
import { registerAppRoutes } from './routes-apps.js';
import { registerEventRoutes } from './routes-events.js';
import { registerJournalRoutes } from './routes-journal.js';
import { registerRpcRoutes } from './rpc.js';
import { registerReconcilerRoutes } from './routes-reconciler.js';
import { registerSourceRoutes } from './routes-source.js';
import { loadUiFiles, registerStaticRoutes } from './static-ui.js';
import type { ApiDeps } from './types.js';

export const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * How long a request under `/api/apps` or `/rpc` waits while the daemon is still making its first connection to
 * systemd (link `connecting`, usually milliseconds after `serve` started), ms. It then gets current states (or,
 * once the link is `unreachable`, a 502 at once) instead of a 502 for a moment no one could see coming.
 */
export const CONNECTING_WAIT_MS = 10_000;

/** Resolves once the link is no longer `connecting`, or after `timeoutMs`. */
function linkSettled(deps: ApiDeps, timeoutMs: number): Promise<void> {
  const link = deps.link;
  if (!link || link.current().state !== 'connecting') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    const off = link.subscribe((l) => {
      if (l.state !== 'connecting') done();
    });
    // It may have changed between the check and the subscription.
    if (link.current().state !== 'connecting') done();
  });
}

/** `require` as fastify itself resolves: its own schema compilers are its dependencies, not ours. */
const fastifyRequire = createRequire(import.meta.resolve('fastify'));

/**
 * fastify's default schema compilers (ajv, fast-json-stringify), loaded only once a route declares a schema. No
 * route does: without this, fastify loads ajv and its formats at start, a few MB of the daemon's memory (issue 15).
 */
type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
const LAZY_SCHEMA_COMPILERS: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    buildValidator: (...args) => (fastifyRequire('@fastify/ajv-compiler') as () => NonNullable<Compilers['buildValidator']>)()(...args),
    buildSerializer: (...args) => (fastifyRequire('@fastify/fast-json-stringify-compiler') as () => NonNullable<Compilers['buildSerializer']>)()(...args),
  },
};

/** Paths that need the token (everything but the UI's static files). */
function isGuarded(url: string): boolean {
  return url.startsWith('/api/') || url === '/api' || url.startsWith('/rpc/') || url === '/rpc';
}

/**
 * Creates the API (not yet listening: call `listen({ host, port })`, or
 * `inject()` in tests). Closing it ends open event streams and unsubscribes from
 * the controller; it does not close the controller.
 * Throws when the UI files cannot be read.
 */
export function createApi(deps: ApiDeps): FastifyInstance {
  if (deps.token.length < 16) throw new Error('createApi: the token must be at least 16 characters');
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({ logger: false, bodyLimit, return503OnClosing: true, forceCloseConnections: true, schemaController: LAZY_SCHEMA_COMPILERS });
  const hub = createEventHub(deps.controller, { ringSize: deps.ringSize ?? 1000, historySize: deps.historySize ?? 50 });
  const streams = new Set<ServerResponse>();

  app.addHook('onRequest', async (req) => {
    if (!isGuarded(req.url)) return;
    assertSameOrigin(req.headers);
    assertBearer(req.headers, deps.token);
    if (req.url.startsWith('/api/apps') || req.url.startsWith('/rpc')) await linkSettled(deps, CONNECTING_WAIT_MS);
  });

  app.setErrorHandler((err, req, reply) => {
    const { statusCode, body } = httpErrorFor(err, bodyLimit);
    // An HttpError is an answer we chose (501, 502 while systemd is unreachable), not a fault to trace.
    if (statusCode >= 500 && !(err instanceof HttpError)) deps.log.error(`${req.method} ${req.url}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    if (statusCode === 401) reply.header('www-authenticate', 'Bearer realm="archy-quadlet"');
    return reply.code(statusCode).send(body);
  });

  app.setNotFoundHandler((req) => {
    throw new HttpError(404, 'not-found', `no route ${req.method} ${req.url.split('?')[0]}; see the API documentation (docs/api.md)`);
  });

  registerStaticRoutes(app, loadUiFiles());
  registerAppRoutes(app, deps, hub);
  registerEventRoutes(app, deps, hub, streams);
  registerJournalRoutes(app, deps, streams);
  registerSourceRoutes(app, deps);
  registerReconcilerRoutes(app, deps);
  registerRpcRoutes(app, deps, hub, bodyLimit);

  app.addHook('preClose', async () => {
    for (const res of streams) res.end();
    hub.close();
  });
  return app;
}
