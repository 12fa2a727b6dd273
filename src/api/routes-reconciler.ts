/**
 * The reconciler for the dashboard (docs/api.md, "The reconciler"): its status (last pass, held apps and their next
 * retry, the git source's applied and rejected commits), "reconcile now", and the pending changes (a dry-run pass, as
 * `diff --node` prints it). 501 when `serve` runs without `--watch`.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors.js';
import { assertLinkUp } from './routes-apps.js';
import type { ApiDeps, ReconcilerPort } from './types.js';

function port(deps: Pick<ApiDeps, 'reconciler'>): ReconcilerPort {
  if (!deps.reconciler) throw new HttpError(501, 'not-implemented', 'the reconciler is not available: this server runs without --watch');
  return deps.reconciler;
}

export function registerReconcilerRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/reconciler', async () => port(deps).status());

  app.post('/api/reconciler/reconcile', async (_req, reply) => {
    const r = port(deps);
    assertLinkUp(deps, 'cannot reconcile now');
    if (!r.reconcileNow()) throw new HttpError(502, 'systemd-unavailable', 'the reconciler starts once systemd has been reached; try again then (GET /api/health)');
    return reply.code(202).send({ queued: true, status: r.current() });
  });

  app.get('/api/reconciler/pending', async () => {
    const r = port(deps);
    assertLinkUp(deps, 'cannot plan now');
    return { at: new Date().toISOString(), ...(await r.pending()) };
  });
}
