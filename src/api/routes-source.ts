/**
 * `GET /api/source`: where the node's manifests come from when it follows git (docs/fleet.md): the URL without
 * credentials, the ref and ring, the node's name, the applied commit, and the newest commit not applied and why.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './types.js';

/** The answer: the source's state (a `SourceState`, src/store/state/source-state.ts), or null when the node does not follow git. */
export interface SourceAnswer {
  source: object | null;
}

export function registerSourceRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'source'>): void {
  app.get('/api/source', async (): Promise<SourceAnswer> => ({ source: deps.source ? await deps.source() : null }));
}
