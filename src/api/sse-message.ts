/**
 * One Server-Sent Events message: `event:`, `id:` (the seq) and one `data:` line of JSON. Without an id (the
 * `systemd` link event) the client's Last-Event-ID stays what the last state event set.
 */
export function sseMessage(event: string, id: number | undefined, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line carries the whole value.
  return `event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`;
}
