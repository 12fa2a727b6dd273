// The SSE clients of bench/api.mjs, in a process of their own: `serve` fans each state event out to all of them, as
// it would to the browsers of a node's users, while the benchmark's own process times its POSTs. (In one process,
// the benchmark's POST timing waited behind its own parsing of every client's copy of each event: at load 15 its
// 202 took 177 ms at p50 where fastify's own reply.elapsedTime said 80 ms.)
// Run by bench/api.mjs with an IPC channel: `node sse-clients.mjs BASE TOKEN`. Messages from the parent:
//   { cmd: 'open', count }  open clients until there are `count`; answers { type: 'opened', clients }
//   { cmd: 'reset' }        forget the deliveries so far; answers { type: 'reset' }
//   { cmd: 'report' }       answers { type: 'report', delivery, spread }: per client and event, ms from systemd's
//                           StateChangeTimestamp (the event's `since`) of starting→running and stopping→stopped to
//                           the client having received it off its socket; and each receipt minus the first
//                           client's of that event
// It exits when the parent disconnects.
import http from 'node:http';
import { createSseParser } from '../../src/web/public/sse.js';

const [base, token] = process.argv.slice(2);
const nowMs = () => performance.timeOrigin + performance.now();
const clients = [];
let delivery = [];
let receipts = [];
const firstAt = new Map();

/**
 * Opens one client and resolves once its snapshot arrived. Each chunk is stamped when its socket hands it over and
 * parsed in a later turn: the 49 clients share one event loop here, where each browser has its own, so a client's
 * parse must not delay the next client's receipt (with fetch's web streams, parsing in line, the last of 49 clients
 * read an event up to 180 ms after the first at p99 on a loaded machine: the spread measured this process).
 */
function openClient() {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}/api/events`, { headers: { authorization: `Bearer ${token}` }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`events: HTTP ${res.statusCode}`));
      res.setEncoding('utf8');
      let at = 0;
      const parser = createSseParser((m) => {
        if (m.event === 'snapshot') return resolve();
        if (m.event !== 'state') return;
        const data = JSON.parse(m.data);
        if (!firstAt.has(data.seq) || firstAt.get(data.seq) > at) firstAt.set(data.seq, at);
        receipts.push([data.seq, at]);
        const s = data.status;
        if ((data.previous === 'starting' && s.state === 'running') || (data.previous === 'stopping' && s.state === 'stopped')) delivery.push(at - Date.parse(s.since));
      });
      const queue = [];
      res.on('data', (chunk) => {
        if (queue.push([nowMs(), chunk]) > 1) return;
        setImmediate(() => {
          for (const [t, c] of queue.splice(0)) {
            at = t;
            parser.push(c);
          }
        });
      });
      res.on('error', () => {}); // destroyed at the end
    });
    req.on('error', reject);
    clients.push(req);
  });
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
  for (const req of clients) req.destroy();
  process.exit(0);
});
