/**
 * A bounded buffer of the latest state events, for `Last-Event-ID` resume.
 * Pure: no IO, no timers.
 */
import type { StateEvent } from '../controller/types.js';

/** What a reconnecting client is sent: the events it missed, or a full snapshot when they are no longer kept. */
export type Resume = { kind: 'events'; events: StateEvent[] } | { kind: 'snapshot' };

export class EventRing {
  private readonly buf: StateEvent[] = [];
  /** The highest seq ever dropped from the buffer (seqs need not be contiguous, so gaps are found this way). */
  private dropped = 0;

  /** @param capacity how many events are kept (≥ 1); the oldest are dropped first. */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`EventRing capacity must be a positive integer, got ${capacity}`);
  }

  /** Appends an event; events arrive in increasing seq order. */
  push(event: StateEvent): void {
    this.buf.push(event);
    if (this.buf.length > this.capacity) {
      const gone = this.buf.splice(0, this.buf.length - this.capacity);
      this.dropped = gone[gone.length - 1]!.seq;
    }
  }

  /** The highest seq seen, or 0 before the first event. */
  get lastSeq(): number {
    return this.buf.length > 0 ? this.buf[this.buf.length - 1]!.seq : 0;
  }

  get size(): number {
    return this.buf.length;
  }

  /**
   * The events after `lastEventId`, when every one of them is still kept.
   * A snapshot is needed when the id is from before the oldest kept event
   * (a gap), or from the future (another server process: seq restarted).
   */
  since(lastEventId: number, currentSeq: number): Resume {
    if (!Number.isInteger(lastEventId) || lastEventId < 0 || lastEventId > currentSeq) return { kind: 'snapshot' };
    if (lastEventId === currentSeq) return { kind: 'events', events: [] };
    // Every event after lastEventId must still be kept: none of them may have been dropped.
    if (lastEventId < this.dropped) return { kind: 'snapshot' };
    return { kind: 'events', events: this.buf.filter((e) => e.seq > lastEventId) };
  }
}
