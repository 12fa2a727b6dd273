/**
 * `GET /api/events`: Server-Sent Events of every state change. Each event's
 * `id:` is the controller's seq; a client that reconnects with `Last-Event-ID`
 * gets the events it missed from a bounded ring, or a full `snapshot` event when
 * they are gone (or when the id is from another server process: `?epoch=`).
 * A `systemd` event (no id) carries the server's link to systemd: first on
 * every stream, then on every change.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { StateEvent } from '../controller/types.js';
import type { EventHub } from './event-hub.js';
import { appList } from './routes-apps.js';
import { sseMessage, startSse } from './sse-message.js';
import type { ApiDeps, LinkStatus, ReconcilerStatus } from './types.js';

export { sseMessage };

/** A client that lets this much output pile up unread is cut off (it reconnects and resumes). */
const MAX_BUFFERED_BYTES = 1 << 20;

/** Parses a Last-Event-ID header or `?lastEventId=`; undefined when absent or not a seq. */
function parseLastEventId(raw: unknown): number | undefined {
  const s = Array.isArray(raw) ? raw[0] : raw;
  return typeof s === 'string' && /^[0-9]{1,15}$/.test(s.trim()) ? Number(s.trim()) : undefined;
}

export function registerEventRoutes(app: FastifyInstance, deps: ApiDeps, hub: EventHub, open: Set<ServerResponse>): void {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;

  app.get<{ Querystring: { lastEventId?: string; epoch?: string } }>('/api/events', (req, reply) => {
    const res = reply.raw;
    reply.hijack();
    startSse(res);

    const send = (chunk: string): void => {
      if (res.writableEnded || res.destroyed) return;
      res.write(chunk);
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        deps.log.warn(`SSE client ${req.ip} does not read its events; closing its stream (it resumes with Last-Event-ID)`);
        res.destroy();
      }
    };

    // Snapshot (or replay) and subscription happen in one synchronous step: no event can fall between them.
    let head = `retry: 2000\n\n`;
    const lastId = parseLastEventId(req.headers['last-event-id'] ?? req.query.lastEventId);
    // A client names the epoch it resumes from (`?epoch=`); a seq from another server process means nothing here.
    const otherEpoch = req.query.epoch !== undefined && req.query.epoch !== hub.epoch;
    const resume = lastId === undefined || otherEpoch ? ({ kind: 'snapshot' } as const) : hub.ring.since(lastId, hub.lastSeq());
    if (resume.kind === 'snapshot') {
      const snapshot = appList(deps, hub);
      head += sseMessage('snapshot', snapshot.seq, snapshot);
    } else {
      for (const e of resume.events) head += sseMessage('state', e.seq, e);
    }
    // The link to systemd, at the start of every stream (a resume gets no snapshot) and on every change.
    const linkMessage = (systemd: LinkStatus): string => sseMessage('systemd', undefined, { systemd });
    const link = deps.link?.current();
    if (link) head += linkMessage(link);
    // The reconciler (serve --watch), likewise: at the start of every stream and on every change (a pass begins or ends).
    const reconcilerMessage = (reconciler: ReconcilerStatus): string => sseMessage('reconciler', undefined, { reconciler });
    if (deps.reconciler) head += reconcilerMessage(deps.reconciler.current());
    send(head);
    const stop = hub.listen((_e: StateEvent, text: string) => send(text));
    const stopLink = deps.link?.subscribe((l) => hub.defer(() => send(linkMessage(l))));
    const stopReconciler = deps.reconciler?.subscribe((r) => hub.defer(() => send(reconcilerMessage(r))));
    open.add(res);

    // A comment line every heartbeatMs keeps proxies from closing the stream and lets the client detect a dead one.
    const timer = setInterval(() => send(`: heartbeat ${Date.now()}\n\n`), heartbeatMs);
    timer.unref();
    res.on('close', () => {
      clearInterval(timer);
      stop();
      stopLink?.();
      stopReconciler?.();
      open.delete(res);
    });
  });
}
