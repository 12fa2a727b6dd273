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
  /**
   * Adds an SSE client; it gets each event and its SSE text (serialized once for all clients), from
   * {@link EventHub.defer}'s queue. An event is delivered to the clients listening when it happened, not to one added
   * since (its snapshot or replay holds the event). Returns the function that removes it.
   */
  listen(listener: (event: StateEvent, sse: string) => void): () => void;
  /**
   * Runs `send` after the I/O callbacks at hand (`setImmediate`), in the order asked, in one queue with the state
   * events' fan-out: what a stream sends besides those (the link to systemd, the reconciler) keeps its place among them.
   */
  defer(send: () => void): void;
  /**
   * Holds {@link EventHub.defer}'s queue while a click's call to systemd is in flight; returns the release (a second
   * call does nothing). The queue runs, in order, once no hold is left, or `maxHoldMs` (default 100 ms) after a hold
   * began, whichever comes first: a call systemd is slow to answer must not silence every stream. Events are recorded
   * (ring, history, seq) meanwhile as ever; only the writes to the clients wait.
   */
  hold(): () => void;
  listenerCount(): number;
  close(): void;
}

/** A status as a history entry, stamped `seq` (`since` only when known). */
const historyEntry = (seq: number, s: AppStatus): HistoryEntry => ({ seq, state: s.state, ...(s.since !== undefined ? { since: s.since } : {}), ...(s.reason !== undefined ? { reason: s.reason } : {}) });

/** Subscribes to the controller at once; call `close()` to unsubscribe. */
export function createEventHub(controller: Pick<ApiController, 'list' | 'subscribe'>, opts: { ringSize: number; historySize: number; maxHoldMs?: number }): EventHub {
  const epoch = randomBytes(6).toString('hex');
  const ring = new EventRing(opts.ringSize);
  const histories = new Map<string, HistoryEntry[]>();
  const listeners = new Set<(event: StateEvent, sse: string) => void>();
  let seq = 0;

  // The fan-out to the SSE clients runs after the I/O callbacks at hand, not inside the D-Bus signal's: systemd
  // announces a job (JobNew, PropertiesChanged) just before it answers the call that queued it, and a click's answer
  // waited for whatever ran in between. On 2 busy cores the `stopping` event's fan-out to 50 clients took 1.5 ms at
  // p50 and 14.5 ms at p90 (the writes wake the clients' processes), and the call's answer was handled 0.1 ms after
  // it ended, in front of every POST stop's 202 (issue 15, docs/performance.md, "3 December"). The event's record
  // (ring, history, seq) stays synchronous: a snapshot or a GET made meanwhile holds it.
  //
  // A click's call holds the queue (`hold`, taken by the lifecycle actions): the events systemd sends while it queues
  // the job would otherwise be written to every client between the call and its answer, and the answer, then the
  // steps of the unit file's write beside it, waited for those writes (50 clients: one writev each per event, two
  // events per stop; the clients' processes woken on the same cores). The events then go out together, after the 202
  // (issue 15, docs/performance.md, "3 December, afternoon").
  const queue: Array<() => void> = [];
  let scheduled = false;
  let holds = 0;
  const schedule = (): void => {
    if (scheduled || holds > 0 || queue.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };
  const flush = (): void => {
    scheduled = false;
    if (holds > 0) return;
    for (const send of queue.splice(0)) {
      try {
        send();
      } catch {
        // One broken client connection must not stop delivery to the others; its own close handler removes it.
      }
    }
  };
  const defer = (send: () => void): void => {
    queue.push(send);
    schedule();
  };
  const maxHoldMs = opts.maxHoldMs ?? 100;
  const hold = (): (() => void) => {
    holds++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      holds--;
      schedule();
    };
    const timer = setTimeout(release, maxHoldMs);
    timer.unref();
    return release;
  };

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
    for (const l of listeners) defer(() => l(event, text));
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
    defer,
    hold,
    close() {
      unsubscribe();
      listeners.clear();
      queue.length = 0;
    },
  };
}
