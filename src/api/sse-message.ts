/** One Server-Sent Events message: `event:`, `id:` (the seq) and one `data:` line of JSON. */
export function sseMessage(event: string, id: number, data: unknown): string {
  // JSON.stringify never emits a raw newline, so one data line carries the whole value.
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}
