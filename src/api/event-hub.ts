/**
 * The API's one subscription to the controller: it numbers nothing itself (the
 * controller's seq is the SSE id), keeps the last events for `Last-Event-ID`
 * resume and a short state history per app, and fans events out to the
 * connected SSE clients.
 */
import { randomBytes } from 'node:crypto';
import type { AppStatus, StateEvent } from '../controller/types.js';
import { EventRing } from './event-ring.js';
import { sseMessage } from './sse-message.js';
import type { ApiController, HistoryEntry } from './types.js';

export interface EventHub {
  /** Identifies this process's seq space: a client that sees another epoch starts afresh. */
  readonly epoch: string;
  /** The highest seq delivered by the controller so far (0 before the first). */
  lastSeq(): number;
  ring: EventRing;
  history(id: string): HistoryEntry[];
  /** Adds an SSE client; it gets each event and its SSE text (serialized once for all clients). Returns the function that removes it. */
  listen(listener: (event: StateEvent, sse: string) => void): () => void;
  listenerCount(): number;
  close(): void;
}

/** A status as a history entry, stamped `seq` (`since` only when known). */
const historyEntry = (seq: number, s: AppStatus): HistoryEntry => ({ seq, state: s.state, ...(s.since !== undefined ? { since: s.since } : {}), ...(s.reason !== undefined ? { reason: s.reason } : {}) });

/** Subscribes to the controller at once; call `close()` to unsubscribe. */
export function createEventHub(controller: Pick<ApiController, 'list' | 'subscribe'>, opts: { ringSize: number; historySize: number }): EventHub {
  const epoch = randomBytes(6).toString('hex');
  const ring = new EventRing(opts.ringSize);
  const histories = new Map<string, HistoryEntry[]>();
  const listeners = new Set<(event: StateEvent, sse: string) => void>();
  let seq = 0;

  const record = (entry: HistoryEntry, id: string): void => {
    let h = histories.get(id);
    if (!h) histories.set(id, (h = []));
    const last = h[h.length - 1];
    if (last && last.state === entry.state && last.since === entry.since) return;
    h.push(entry);
    if (h.length > opts.historySize) h.splice(0, h.length - opts.historySize);
  };

  for (const s of controller.list()) record(historyEntry(0, s), s.id);

  const unsubscribe = controller.subscribe((event) => {
    if (event.seq > seq) seq = event.seq;
    ring.push(event);
    const s = event.status;
    record(historyEntry(event.seq, s), s.id);
    if (listeners.size === 0) return;
    const text = sseMessage('state', event.seq, event);
    for (const l of listeners) {
      try {
        l(event, text);
      } catch {
        // One broken client connection must not stop delivery to the others; its own close handler removes it.
      }
    }
  });

  return {
    epoch,
    lastSeq: () => seq,
    ring,
    history: (id) => [...(histories.get(id) ?? [])],
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    listenerCount: () => listeners.size,
    close() {
      unsubscribe();
      listeners.clear();
    },
  };
}
