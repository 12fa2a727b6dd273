/**
 * `GET /api/apps/:id/journal?lines=N[&container=NAME]`: an app's journal, live, as Server-Sent Events. First the
 * last N entries, then every new one, each as `event: line` with `id:` = the entry's journal cursor and
 * `data: {unit, line, time, message}`. A client that reconnects with `Last-Event-ID: <cursor>` gets every entry
 * after that one and none before (journalctl's own `--after-cursor`): the web UI's pause is an abort, its resume
 * such a reconnect. Each stream is one `journalctl --follow` process, ended when the client goes away; at most
 * `maxFollowers` run at once, one more is refused with 503 `too-many-followers` (and `Retry-After`).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { CURSOR_PATTERN } from './journal-entry.js';
import { HttpError } from './http-errors.js';
import { logUnits, parseLines, requireApp } from './routes-apps.js';
import { sseMessage, startSse } from './sse-message.js';
import type { ApiDeps } from './types.js';

const DEFAULT_MAX_FOLLOWERS = 32;

/** The cursor of a Last-Event-ID header (or `?lastEventId=`), undefined when absent. Throws HttpError 400 when it is no journal cursor. */
function parseCursor(raw: unknown): string | undefined {
  const s = Array.isArray(raw) ? raw[0] : raw;
  if (s === undefined || s === '') return undefined;
  if (typeof s !== 'string' || s.length > 512 || !CURSOR_PATTERN.test(s.trim())) {
    throw new HttpError(400, 'invalid-input', `Last-Event-ID must be a journal cursor (s=…;i=…;…) as this stream sent it, got ${JSON.stringify(String(s).slice(0, 80))}`);
  }
  return s.trim();
}

export function registerJournalRoutes(app: FastifyInstance, deps: ApiDeps, open: Set<ServerResponse>): void {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxFollowers = deps.maxFollowers ?? DEFAULT_MAX_FOLLOWERS;
  let followers = 0;

  app.get<{ Params: { id: string }; Querystring: { lines?: string; container?: string; lastEventId?: string } }>('/api/apps/:id/journal', async (req, reply) => {
    const status = requireApp(deps, req.params.id);
    const lines = parseLines(req.query.lines);
    const units = logUnits(status, req.query.container);
    const afterCursor = parseCursor(req.headers['last-event-id'] ?? req.query.lastEventId);
    const follow = deps.follow;
    if (!follow) throw new HttpError(501, 'not-implemented', 'live logs are not available: this server runs without a journal reader');
    if (followers >= maxFollowers) {
      reply.header('retry-after', '5');
      throw new HttpError(503, 'too-many-followers', `${followers} live journal streams are open (at most ${maxFollowers}); close one (or pause it) and try again`);
    }
    followers++;
    const res = reply.raw;
    reply.hijack();
    startSse(res);
    res.write(`retry: 2000\n\n`);
    open.add(res);

    let ended = false;
    const handle = follow(
      { units, lines, ...(afterCursor !== undefined ? { afterCursor } : {}) },
      {
        entry(e) {
          if (res.writableEnded || res.destroyed) return;
          // Back-pressure: journalctl waits on its pipe while the client does not read.
          if (!res.write(sseMessage('line', e.cursor, { unit: e.unit, line: e.line, time: e.time, message: e.message }))) {
            handle.pause();
            res.once('drain', () => handle.resume());
          }
        },
        end(error) {
          ended = true;
          if (res.writableEnded || res.destroyed) return;
          // The client reconnects (from its cursor) after an end without an error; with one it shows it.
          if (error) res.write(sseMessage('error', undefined, { error: 'journal-failed', message: error }));
          res.end();
        },
      },
    );
    const timer = setInterval(() => {
      if (!res.writableEnded && !res.destroyed) res.write(`: heartbeat ${Date.now()}\n\n`);
    }, heartbeatMs);
    timer.unref();
    res.on('close', () => {
      clearInterval(timer);
      if (!ended) handle.stop();
      followers--;
      open.delete(res);
    });
  });
}
