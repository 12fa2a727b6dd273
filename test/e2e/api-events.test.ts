import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import type { StateEvent } from '../../src/controller/types.js';
import { useHost } from '../host/index.js';
import { apiOnHost, type HostApi } from '../support/api.js';
import { QUICK_UNIT, slowStopUnit } from '../support/apps.js';
import { followEvents, type EventStream, type RecordedEvent } from '../support/sse.js';

// GET /api/events over a real socket: snapshot, live state events with id = seq,
// Last-Event-ID resume from the ring, a snapshot when the ring no longer has the
// events, heartbeats; driven by real stops on the real test host.

const host = useHost();
let h: HostApi;
let server: RunningServer;

/** Opens the stream at `path` (with `headers`): 200, text/event-stream. */
async function open(path: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const s = followEvents(server.url, h.token, { path, headers });
  const res = await s.response;
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  return s;
}

const stateOf = (m: RecordedEvent): StateEvent => m.data as StateEvent;

beforeAll(async () => {
  h = await apiOnHost(host, [
    { id: 'ev-slow', name: 'Slow', unit: slowStopUnit(10) },
    { id: 'ev-quick', name: 'Quick', unit: QUICK_UNIT },
  ]);
  await h.controller.start('ev-slow');
  await h.controller.start('ev-quick');
  await h.waitFor('ev-slow', 'running');
  await h.waitFor('ev-quick', 'running');
  server = await h.listen({ heartbeatMs: 200, ringSize: 8 });
});

afterAll(async () => {
  await h?.close();
});

describe('GET /api/events', () => {
  it('starts with a snapshot, then streams every state change with id = seq: running → stopping → stopped, never running between', async () => {
    const s = await open('/api/events');
    const snap = await s.next((m) => m.event === 'snapshot');
    const snapshot = snap.data;
    expect(snap.id).toBe(String(snapshot.seq));
    expect(snapshot.apps.find((a: { id: string }) => a.id === 'ev-slow').state).toBe('running');

    const t0 = Date.now();
    const r = await fetch(`${server.url}/api/apps/ev-slow/stop`, { method: 'POST', headers: { authorization: `Bearer ${h.token}` } });
    expect(r.status).toBe(202);
    const accepted = await r.json();
    await s.next((m) => m.event === 'state' && stateOf(m).status.id === 'ev-slow' && stateOf(m).status.state === 'stopped', 60_000);
    expect(Date.now() - t0).toBeGreaterThan(9_000); // the unit really took its 10 s

    const slow = s.messages.filter((m) => m.event === 'state').map(stateOf).filter((e) => e.status.id === 'ev-slow');
    // Events up to the 202's seq may still say running (the intent was recorded, the job not yet known);
    // the later ones are stopping… then stopped…, never running.
    const after = slow.filter((e) => e.seq > accepted.seq).map((e) => e.status.state);
    expect(after.join(' '), JSON.stringify({ accepted, slow })).toMatch(/^(stopping )*stopped( stopped)*$/);
    expect(accepted.status.state).toBe('stopping');
    // ids are the seqs, increasing
    const ids = s.messages.filter((m) => m.event === 'state').map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).toEqual(s.messages.filter((m) => m.event === 'state').map((m) => stateOf(m).seq));
    expect(s.comments).toBeGreaterThan(10); // heartbeats every 200 ms
    s.close();
  });

  it('resumes with Last-Event-ID: exactly the missed events, then live ones', async () => {
    const first = await open('/api/events');
    const snap = await first.next((m) => m.event === 'snapshot');
    first.close();
    // While disconnected: a stop and a start of the quick app.
    await fetch(`${server.url}/api/apps/ev-quick/stop`, { method: 'POST', headers: { authorization: `Bearer ${h.token}` } });
    await h.waitFor('ev-quick', 'stopped');
    const resumed = await open('/api/events', { 'last-event-id': snap.id! });
    const stopped = await resumed.next((m) => m.event === 'state' && stateOf(m).status.state === 'stopped');
    expect(resumed.messages.some((m) => m.event === 'snapshot')).toBe(false);
    const replayed = resumed.messages.map((m) => stateOf(m));
    expect(replayed.every((e) => e.seq > Number(snap.id))).toBe(true);
    expect(replayed.map((e) => e.status.state)).toContain('stopping');
    expect(Number(stopped.id)).toBeGreaterThan(Number(snap.id));
    await fetch(`${server.url}/api/apps/ev-quick/start`, { method: 'POST', headers: { authorization: `Bearer ${h.token}` } });
    await resumed.next((m) => m.event === 'state' && stateOf(m).status.state === 'running');
    resumed.close();
  });

  it('sends a snapshot when the ring no longer holds the missed events, or the id is from another server process', async () => {
    const gone = await open('/api/events', { 'last-event-id': '0' });
    // The ring holds 8 events and more than 8 have happened by now.
    const snap = await gone.next((m) => m.event === 'snapshot');
    expect(snap.data.apps.map((a: { id: string }) => a.id).sort()).toEqual(['ev-quick', 'ev-slow']);
    gone.close();
    const future = await open('/api/events?epoch=another', { 'last-event-id': '3' });
    await future.next((m) => m.event === 'snapshot');
    future.close();
  });

  it('delivers to many clients at once and lets each go', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => open('/api/events')));
    await Promise.all(clients.map((c) => c.next((m) => m.event === 'snapshot')));
    const r = await fetch(`${server.url}/api/apps/ev-quick/restart`, { method: 'POST', headers: { authorization: `Bearer ${h.token}` } });
    const accepted = await r.json();
    const done = (m: RecordedEvent): boolean => m.event === 'state' && stateOf(m).seq > accepted.seq && stateOf(m).status.state === 'running';
    const last = await Promise.all(clients.map((c) => c.next(done)));
    const upTo = Math.max(...last.map((m) => Number(m.id)));
    await Promise.all(clients.map((c) => c.next((m) => Number(m.id) >= upTo)));
    // Every client got the same events, in the same order, from the restart on. (An event from before the POST can
    // reach a client that connected early as an event and one that connected later inside its snapshot.)
    const seen = clients.map((c) => c.messages.filter((m) => m.event === 'state' && Number(m.id) > accepted.seq && Number(m.id) <= upTo).map((m) => m.id).join(','));
    expect(seen[0]).not.toBe('');
    expect(new Set(seen).size).toBe(1);
    for (const c of clients) c.close();
  });
});
