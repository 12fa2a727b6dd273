import { describe, expect, it } from 'vitest';
import { createSseParser, type SseMessage } from '../../src/web/public/sse.js';
import { sseMessage } from '../../src/api/routes-events.js';

describe('createSseParser', () => {
  it('parses what the server writes, split at any byte', () => {
    const text = `retry: 2000\n\n${sseMessage('snapshot', 3, { a: 1 })}: heartbeat 1\n\n${sseMessage('state', 4, { b: 'x\ny' })}`;
    for (let cut = 0; cut <= text.length; cut++) {
      const got: SseMessage[] = [];
      let comments = 0;
      const p = createSseParser((m) => got.push(m), () => comments++);
      p.push(text.slice(0, cut));
      p.push(text.slice(cut));
      expect(got).toEqual([
        { event: 'snapshot', id: '3', data: '{"a":1}' },
        { event: 'state', id: '4', data: '{"b":"x\\ny"}' },
      ]);
      expect(comments).toBe(1);
      expect(p.lastEventId).toBe('4');
      expect(p.retry).toBe(2000);
    }
  });

  it('handles CRLF and CR line ends, multi-line data and a default event type', () => {
    const got: SseMessage[] = [];
    const p = createSseParser((m) => got.push(m));
    p.push('data: one\r\ndata: two\r\n\r');
    p.push('\nid: 9\rdata:three\r\r');
    expect(got).toEqual([
      { event: 'message', id: undefined, data: 'one\ntwo' },
      { event: 'message', id: '9', data: 'three' },
    ]);
  });

  it('dispatches nothing for a message without data', () => {
    const got: SseMessage[] = [];
    const p = createSseParser((m) => got.push(m));
    p.push('event: x\nid: 1\n\n');
    expect(got).toEqual([]);
    expect(p.lastEventId).toBe('1');
  });
});
