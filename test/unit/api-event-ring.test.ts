import { describe, expect, it } from 'vitest';
import type { StateEvent } from '../../src/controller/types.js';
import { EventRing } from '../../src/api/event-ring.js';

const ev = (seq: number): StateEvent => ({ seq, status: { id: 'a', name: 'a', unit: 'a.service', state: 'running', since: '' } });

describe('EventRing', () => {
  it('replays the events after the last id, with gaps in the seqs', () => {
    const r = new EventRing(10);
    for (const s of [2, 5, 9]) r.push(ev(s));
    expect(r.since(0, 9)).toEqual({ kind: 'events', events: [ev(2), ev(5), ev(9)] });
    expect(r.since(5, 9)).toEqual({ kind: 'events', events: [ev(9)] });
    expect(r.since(9, 9)).toEqual({ kind: 'events', events: [] });
  });

  it('asks for a snapshot once an event after the last id was dropped', () => {
    const r = new EventRing(3);
    for (let s = 1; s <= 5; s++) r.push(ev(s));
    expect(r.size).toBe(3);
    expect(r.since(1, 5)).toEqual({ kind: 'snapshot' });
    expect(r.since(2, 5)).toEqual({ kind: 'events', events: [ev(3), ev(4), ev(5)] });
  });

  it('asks for a snapshot for an id from the future (another server process) or not a seq', () => {
    const r = new EventRing(3);
    r.push(ev(1));
    expect(r.since(7, 1)).toEqual({ kind: 'snapshot' });
    expect(r.since(-1, 1)).toEqual({ kind: 'snapshot' });
    expect(r.since(0.5, 1)).toEqual({ kind: 'snapshot' });
  });

  it('refuses a capacity below one', () => {
    expect(() => new EventRing(0)).toThrow(/positive integer/);
  });
});
