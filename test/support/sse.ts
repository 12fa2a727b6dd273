/**
 * A client of the API's event stream (`GET /api/events`, Server-Sent Events): every message in arrival order,
 * read with the web UI's own parser (test/unit/web-sse.test.ts holds it to what the server writes).
 */
import type { AppStatus } from '../../src/controller/types.js';
import { createSseParser } from '../../src/web/public/sse.js';

/** One message: its `event:`, its `id:`, and its `data:` parsed as JSON (the raw text when it is not JSON). */
export interface RecordedEvent {
  event: string;
  id: string | undefined;
  data: any;
}

export interface EventStream {
  /** Every message so far, in arrival order. */
  readonly messages: RecordedEvent[];
  /** Comment lines (heartbeats) so far. */
  readonly comments: number;
  /** The response, once its headers arrived; rejects when the request fails. */
  readonly response: Promise<Response>;
  /** Resolves with the first message so far or later that matches; rejects after `timeoutMs` naming what came. */
  next(pred: (m: RecordedEvent) => boolean, timeoutMs?: number): Promise<RecordedEvent>;
  /** Ends the request. */
  close(): void;
}

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Follows the event stream of the server at `base` (`http://127.0.0.1:PORT`) with the bearer `token` until
 * `close()`. `opts.path` replaces `/api/events` (e.g. to add `?epoch=`); `opts.headers` are sent too (`last-event-id`).
 */
export function followEvents(base: string, token: string, opts: { path?: string; headers?: Record<string, string> } = {}): EventStream {
  const ac = new AbortController();
  const messages: RecordedEvent[] = [];
  let comments = 0;
  const parser = createSseParser(
    (m) => messages.push({ event: m.event, id: m.id, data: parseData(m.data) }),
    () => void comments++,
  );
  const response = fetch(`${base}${opts.path ?? '/api/events'}`, { headers: { authorization: `Bearer ${token}`, ...opts.headers }, signal: ac.signal });
  void response
    .then(async (res) => {
      if (!res.body) return;
      for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) parser.push(chunk);
    })
    .catch(() => {
      // Aborted by close(), or the server went away.
    });
  return {
    messages,
    get comments() {
      return comments;
    },
    response,
    next: (pred, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const look = (): void => {
          const hit = messages.find(pred);
          if (hit) return resolve(hit);
          if (Date.now() > deadline) return reject(new Error(`no matching event within ${timeoutMs} ms; got ${messages.map((m) => `${m.event}#${m.id}`).join(' ')}`));
          setTimeout(look, 20);
        };
        look();
      }),
    close: () => ac.abort(),
  };
}

/** The app statuses of `state` events, in order. */
export function stateStatuses(messages: readonly RecordedEvent[]): AppStatus[] {
  return messages.filter((m) => m.event === 'state').map((m) => m.data.status as AppStatus);
}

/** The states of app `id` in `state` events, in order, each repeat in a row dropped. */
export function statesOf(messages: readonly RecordedEvent[], id: string): string[] {
  return stateStatuses(messages)
    .filter((s) => s.id === id)
    .map((s) => s.state as string)
    .filter((s, i, a) => i === 0 || a[i - 1] !== s);
}
