// The SSE clients of bench/api.mjs, in a process of their own: `serve` fans each state event out to all of them, as
// it would to the browsers of a node's users, while the benchmark's own process times its POSTs. (In one process,
// the benchmark's POST timing waited behind its own parsing of every client's copy of each event: at load 15 its
// 202 took 177 ms at p50 where fastify's own reply.elapsedTime said 80 ms.)
// Run by bench/api.mjs with an IPC channel: `node sse-clients.mjs BASE TOKEN`. Messages from the parent:
//   { cmd: 'open', count }  open clients until there are `count`; answers { type: 'opened', clients }
//   { cmd: 'reset' }        forget the deliveries so far; answers { type: 'reset' }
//   { cmd: 'report' }       answers { type: 'report', delivery, spread }: per client and event, ms from systemd's
//                           StateChangeTimestamp (the event's `since`) of starting→running and stopping→stopped to
//                           the client having parsed it; and each receipt minus the first client's of that event
// It exits when the parent disconnects.
import { createSseParser } from '../../src/web/public/sse.js';

const [base, token] = process.argv.slice(2);
const nowMs = () => performance.timeOrigin + performance.now();
const clients = [];
let delivery = [];
let receipts = [];
const firstAt = new Map();

/** Opens one client and resolves once its snapshot arrived. */
async function openClient() {
  const ac = new AbortController();
  const res = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
  if (res.status !== 200) throw new Error(`events: HTTP ${res.status}`);
  let ready;
  const snapshot = new Promise((r) => (ready = r));
  const parser = createSseParser((m) => {
    const at = nowMs();
    if (m.event === 'snapshot') return ready();
    if (m.event !== 'state') return;
    const data = JSON.parse(m.data);
    if (!firstAt.has(data.seq)) firstAt.set(data.seq, at);
    receipts.push([data.seq, at]);
    const s = data.status;
    if ((data.previous === 'starting' && s.state === 'running') || (data.previous === 'stopping' && s.state === 'stopped')) delivery.push(at - Date.parse(s.since));
  });
  (async () => {
    try {
      for await (const chunk of res.body.pipeThrough(new TextDecoderStream())) parser.push(chunk);
    } catch {
      // aborted at the end
    }
  })();
  clients.push(ac);
  await snapshot;
}

process.on('message', async (msg) => {
  try {
    if (msg.cmd === 'open') {
      while (clients.length < msg.count) await openClient();
      process.send({ type: 'opened', clients: clients.length });
    } else if (msg.cmd === 'reset') {
      delivery = [];
      receipts = [];
      firstAt.clear();
      process.send({ type: 'reset' });
    } else if (msg.cmd === 'report') {
      process.send({ type: 'report', delivery, spread: receipts.map(([seq, at]) => at - firstAt.get(seq)) });
    }
  } catch (err) {
    process.send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
process.on('disconnect', () => {
  for (const ac of clients) ac.abort();
  process.exit(0);
});
