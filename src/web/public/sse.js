// @ts-check
// Server-Sent Events over fetch(): EventSource cannot send an Authorization
// header, and a token in the URL would end up in logs and history. The parser
// is pure; `connectEvents` adds the reconnect loop.

/**
 * One message of the stream.
 * @typedef {object} SseMessage
 * @property {string} event
 * @property {string | undefined} id
 * @property {string} data
 */

/**
 * @typedef {object} SseParser
 * @property {(chunk: string) => void} push
 * @property {string | undefined} lastEventId The last `id:` seen (the Last-Event-ID to resume from).
 * @property {number | undefined} retry
 */

/**
 * What {@link connectEvents} asks of the page.
 * @typedef {object} EventHandlers
 * @property {() => string} token
 * @property {() => string | undefined} epoch
 * @property {(msg: SseMessage) => void} onMessage
 * @property {(status: 'connecting' | 'live' | 'offline') => void} onStatus
 * @property {() => void} onUnauthorized
 * @property {string} [lastEventId] Where to resume from on the first connection (the live log's Resume: the last cursor seen).
 */

/**
 * An incremental text/event-stream parser (the WHATWG rules the server uses:
 * `event:`, `id:`, `data:`, `retry:`, comment lines). Feed it text chunks;
 * it calls `onMessage({ event, id, data })` for each complete message and
 * `onComment()` for comment lines (heartbeats).
 * @param {(msg: SseMessage) => void} onMessage
 * @param {(text: string) => void} [onComment]
 * @returns {SseParser}
 */
export function createSseParser(onMessage, onComment = () => {}) {
  let buffer = '';
  let event = '';
  /** @type {string[]} */
  let data = [];
  /** @type {string | undefined} */
  let id;
  /** @type {number | undefined} */
  let retry;
  let skipLf = false;
  /** @param {string} text */
  const line = (text) => {
    if (text === '') {
      if (data.length > 0) onMessage({ event: event || 'message', id, data: data.join('\n') });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return onComment(text.slice(1));
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) retry = Number(value);
  };
  return {
    push(chunk) {
      // A \r that ended the previous chunk may be the first half of \r\n.
      if (skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
      skipLf = false;
      buffer += chunk;
      let nl;
      while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const len = buffer.startsWith('\r\n', nl) ? 2 : 1;
        if (len === 1 && buffer[nl] === '\r' && nl === buffer.length - 1) skipLf = true;
        line(buffer.slice(0, nl));
        buffer = buffer.slice(nl + len);
      }
    },
    /** The last `id:` seen (the Last-Event-ID to resume from). */
    get lastEventId() {
      return id;
    },
    get retry() {
      return retry;
    },
  };
}

/**
 * Follows `url` for ever: connects with the bearer token, resumes with
 * Last-Event-ID (and `?epoch=` so a restarted server answers with a snapshot),
 * reconnects with backoff, and treats a stream silent for `staleMs` (no
 * heartbeat) as dead. Returns a function that stops it.
 * @param {string} url
 * @param {EventHandlers} handlers
 * @param {number} [staleMs]
 * @returns {() => void}
 */
export function connectEvents(url, handlers, staleMs = 45000) {
  let stopped = false;
  /** @type {AbortController | undefined} */
  let controller;
  /** @type {string | undefined} */
  let lastEventId = handlers.lastEventId;
  let delay = 500;

  const run = async () => {
    while (!stopped) {
      const current = new AbortController();
      controller = current;
      /** @type {ReturnType<typeof setTimeout> | undefined} */
      let watchdog;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => current.abort(), staleMs);
      };
      handlers.onStatus('connecting');
      try {
        /** @type {Record<string, string>} */
        const headers = { authorization: `Bearer ${handlers.token()}`, accept: 'text/event-stream' };
        if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
        const epoch = handlers.epoch();
        const u = epoch ? `${url}${url.includes('?') ? '&' : '?'}epoch=${encodeURIComponent(epoch)}` : url;
        arm();
        const res = await fetch(u, { headers, signal: current.signal, cache: 'no-store' });
        if (res.status === 401) {
          clearTimeout(watchdog);
          handlers.onUnauthorized();
          return;
        }
        if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
        handlers.onStatus('live');
        delay = 500;
        const parser = createSseParser((msg) => {
          if (msg.id !== undefined) lastEventId = msg.id;
          handlers.onMessage(msg);
        }, arm);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          arm();
          parser.push(value);
        }
      } catch {
        // Network error, abort by the watchdog, or a server restart: reconnect below.
      } finally {
        clearTimeout(watchdog);
      }
      if (stopped) return;
      handlers.onStatus('offline');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  };
  run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
