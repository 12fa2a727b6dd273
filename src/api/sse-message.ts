import type { ServerResponse } from 'node:http';

/**
 * One Server-Sent Events message: `event:`, `id:` (the seq; a journal cursor on the live log stream) and one
 * `data:` line of JSON. Without an id (the `systemd` link event) the client's Last-Event-ID stays what the last
 * state event set. A string id never holds a line break (a journal cursor is `s=…;i=…;…`).
 */
export function sseMessage(event: string, id: number | string | undefined, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line carries the whole value.
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}

/** Starts an event stream on a hijacked response: 200 with the event-stream headers (no caching, no proxy buffering), no Nagle delay. */
export function startSse(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    'x-content-type-options': 'nosniff',
  });
  res.socket?.setNoDelay(true);
}
