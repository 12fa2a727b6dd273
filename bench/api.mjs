// Benchmark: the API of `archy-quadlet serve` on the real test host (systemd 257 +
// podman 5.4.2 under systemd-nspawn, booted for this run). `serve` runs as its own
// process (the built CLI) tracking 100 apps; 10 of them run a container that traps
// SIGTERM and takes 12 s to stop.
//   1. POST /api/apps/:id/stop latency (HTTP round trip, 202) while the unit's stop
//      takes ≥ 10 s: 10 units × 5 rounds = 50 samples; beside it, in the same run on
//      the same units, the bare StopUnit D-Bus call from this process (5 rounds more);
//      target p50 ≤ 1.5× and p99 ≤ 2× the bare call's; before each bare call, the
//      durable intent write a POST makes before its call (writeIntent), timed alone.
//      One click at a time, as on a node its owner uses: each stop and each start is
//      sent CLICK_GAP_MS after the one before (ARCHY_BENCH_CLICK_GAP_MS; 0 sends the
//      ten at once, a burst), when the podman processes of the one before (ExecStop=,
//      ExecStart=) have started, written and synced; every rate is the same for the
//      POSTs and the bare calls; after the rounds, the HTTP round trip alone (GET
//      /api/health, same client; back to back, then one every CLICK_GAP_MS), and the
//      call's, the intent's and the spaced round trip's p50s summed: what a POST adds
//      to the call by design, as a ratio (info);
//   2. state change → SSE delivery to 50 connected clients: systemd's
//      StateChangeTimestamp (the event's `since` for starting→running and
//      stopping→stopped) to the moment each client has the event (this process's
//      client: parsed; the 49 others: their socket's chunk, stamped on receipt and
//      parsed in a later turn); beside it,
//      the same transitions seen by a controller in a process of its own
//      (bench/support/controller-probe.mjs: the controller's signal latency, same
//      run); target p99 ≤ 2× the controller's.
//      One client is this process's (the user who clicks Stop has the page open);
//      the others run in a process of their own (bench/support/sse-clients.mjs), as
//      other users' browsers do, so that parsing their copies of each event is not
//      timed as part of this process's POSTs;
//   3. the serve process's RSS with 100 apps and 20 SSE clients connected (≤ 80 MB),
//      and its anonymous and file-backed parts (/proc/PID/status).
// Prints a table with the targets (bench/support/figures.mjs).
// Usage: npm run bench:api   (as root; builds dist/ first)
//   ARCHY_TESTHOST_NAME=NAME picks the host instance (default archy-bench-api).
//   serve runs with the node flags of the packaged unit (packaging/archy-quadlet.service's ExecStart=);
//   ARCHY_BENCH_SERVE_NODE_FLAGS="--max-semi-space-size=1" replaces them (memory experiments; "" for none);
//   with --heapsnapshot-signal=SIGUSR2 among them, serve writes a heap snapshot when its RSS is measured.
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { figure, loadLine, percentile, printFigures } from './support/figures.mjs';
import { freePort, memoryMb, rssMb, serveNodeFlags } from './support/serve-process.mjs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
// A node's owner clicks one app at a time: see the header (docs/performance.md, "Run it": "One click at a time").
// Read before the build, so that a wrong value fails at once.
const CLICK_GAP_MS = clickGapMs(process.env.ARCHY_BENCH_CLICK_GAP_MS);
execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync('npx', ['tsc', '-p', 'test/host/tsconfig.json'], { cwd: repo, stdio: 'inherit' });

const { startTestHost } = await import(join(repo, '.cache/testhost/js/start.js'));
const { createSseParser } = await import('../src/web/public/sse.js');
const { createSystemd } = await import('../dist/systemd/client.js');
const { appService } = await import('../dist/naming.js');
const { writeIntent } = await import('../dist/store/state/intents.js');
const { OWNERSHIP_MARKER } = await import('../dist/render/types.js');

const APPS = 100;
const SLOW = 10;
const ROUNDS = 5;
const STOP_SECONDS = 12;
const RSS_CLIENTS = 20;
const SSE_CLIENTS = 50;

/** ARCHY_BENCH_CLICK_GAP_MS: whole milliseconds, 0 to 60000; 1000 when unset. Throws for anything else. */
function clickGapMs(raw) {
  if (raw === undefined || raw === '') return 1000;
  const ms = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(ms <= 60_000)) throw new Error(`ARCHY_BENCH_CLICK_GAP_MS must be whole milliseconds from 0 to 60000 (0: the ten clicks at once), got ${JSON.stringify(raw)}`);
  return ms;
}

const name = process.env.ARCHY_TESTHOST_NAME ?? 'archy-bench-api';
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const nowMs = () => performance.timeOrigin + performance.now();

// The slow apps' units are the daemon's own (its marker first, an [Install] section), as rendered units are: a stop
// then rewrites the unit file without [Install] beside the call (the boot follows the click) and the 202 waits for it.
const slowUnit = `${OWNERSHIP_MARKER}; do not edit. source: bench/api.mjs
[Container]
Image=localhost/busybox:latest
Exec=sh -c 'trap "sleep ${STOP_SECONDS}; exit 0" TERM; while true; do sleep 1; done'
StopTimeout=${STOP_SECONDS + 40}

[Service]
TimeoutStopSec=${STOP_SECONDS + 60}

[Install]
WantedBy=multi-user.target
`;
const idleUnit = `[Container]
Image=localhost/busybox:latest
Exec=sleep 1000000
`;

const { host, stop } = await startTestHost({ name, log: (l) => log(`testhost: ${l}`) });
const work = mkdtempSync(join(tmpdir(), 'archy-bench-api-'));
const ids = Array.from({ length: APPS }, (_, i) => `ba${String(i).padStart(3, '0')}`);
const slow = ids.slice(0, SLOW);
let serveProc;
let others;
let probe;
const clients = [];
const systemd = createSystemd({ address: host.busAddress });
try {
  for (const [i, id] of ids.entries()) writeFileSync(join(host.unitDir, `${id}.container`), i < SLOW ? slowUnit : idleUnit);
  await host.execOk(['systemctl', 'daemon-reload']);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const stateDir = join(work, 'state');
  const nodeFlags = serveNodeFlags(repo);
  serveProc = spawn(process.execPath, [...nodeFlags, join(repo, 'bin/archy-quadlet'), 'serve', '--bus', host.busAddress, '--unit-dir', host.unitDir, '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serveErr = '';
  serveProc.stderr.on('data', (d) => (serveErr += d));
  for (let i = 0; ; i++) {
    if (serveProc.exitCode !== null) throw new Error(`serve exited ${serveProc.exitCode}: ${serveErr}`);
    if (await fetch(`${base}/`).then((r) => r.ok, () => false)) break;
    if (i > 200) throw new Error(`serve did not answer on ${base}: ${serveErr}`);
    await sleep(100);
  }
  const token = readFileSync(join(stateDir, 'api-token'), 'utf8').trim();
  const auth = { authorization: `Bearer ${token}` };

  // This process's one SSE client keeps the states for waiting and times its own deliveries; the other clients run
  // in a process of their own (see the header), which reports theirs.
  const states = new Map();
  const delivery = [];
  const openClient = async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/api/events`, { headers: auth, signal: ac.signal });
    if (res.status !== 200) throw new Error(`events: HTTP ${res.status}`);
    let ready;
    const snapshot = new Promise((r) => (ready = r));
    const parser = createSseParser((m) => {
      const at = nowMs();
      const data = JSON.parse(m.data);
      if (m.event !== 'snapshot' && m.event !== 'state') return; // the `systemd` link event
      if (m.event === 'snapshot') {
        for (const s of data.apps) states.set(s.id, s.state);
        ready();
        return;
      }
      const s = data.status;
      states.set(s.id, s.state);
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
  };
  others = fork(join(repo, 'bench/support/sse-clients.mjs'), [base, token], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  /** Sends `msg` (if any) to child process `proc` and resolves with its answer of `type`. */
  const answer = (proc, msg, type) =>
    new Promise((resolve, reject) => {
      const on = (m) => {
        if (m.type !== type && m.type !== 'error') return;
        proc.off('message', on);
        if (m.type === 'error') reject(new Error(`${proc.spawnfile}: ${m.message}`));
        else resolve(m);
      };
      proc.on('message', on);
      if (msg) proc.send(msg);
    });
  const ask = (msg, type) => answer(others, msg, type);
  // A start that fails (on a machine this busy, podman can time out) is started again, at most 3 times per app.
  const restarts = new Map();
  const waitAll = async (want, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (!slow.every((id) => states.get(id) === want)) {
      if (Date.now() > deadline) throw new Error(`not all ${want} after ${timeoutMs} ms: ${slow.map((id) => `${id}=${states.get(id)}`).join(' ')}`);
      for (const id of slow.filter((i) => want === 'running' && states.get(i) === 'failed' && (restarts.get(i) ?? 0) < 3)) {
        restarts.set(id, (restarts.get(id) ?? 0) + 1);
        log(`${id} failed to start; starting it again`);
        states.set(id, 'starting');
        await post(id, 'start');
      }
      await sleep(20);
    }
  };

  await openClient();
  await ask({ cmd: 'open', count: RSS_CLIENTS - 1 }, 'opened');
  const post = async (id, action) => {
    const t0 = performance.now();
    const r = await fetch(`${base}/api/apps/${id}/${action}`, { method: 'POST', headers: auth });
    const ms = performance.now() - t0;
    if (r.status !== 202) throw new Error(`POST ${id}/${action}: HTTP ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
    return ms;
  };

  for (const id of slow) await post(id, 'start');
  await waitAll('running', 60_000);
  await sleep(1000);
  const mem20 = memoryMb(serveProc.pid);
  const rss20 = mem20.rss;
  log(`RSS with ${APPS} apps and ${RSS_CLIENTS} SSE clients: ${rss20.toFixed(1)} MB (anonymous ${mem20.anon.toFixed(1)}, file-backed ${mem20.file.toFixed(1)})`);
  if (nodeFlags.includes('--heapsnapshot-signal=SIGUSR2')) serveProc.kill('SIGUSR2');
  // Node itself, idle, for scale: what any Node process holds before it loads anything.
  const bare = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await sleep(1500);
  const rssNode = rssMb(bare.pid);
  bare.kill();
  await ask({ cmd: 'open', count: SSE_CLIENTS - 1 }, 'opened');
  delivery.length = 0;
  await ask({ cmd: 'reset' }, 'reset');

  // The controller's own signal latency, same transitions, same run: a controller over the slow apps, in a process
  // of its own (see bench/support/controller-probe.mjs). This process's D-Bus connection
  // has no listener: it receives and decodes the signals it subscribed to (three per stop before the answer, as
  // serve's does) and nothing acts on them (docs/performance.md, "3 December, late morning").
  await systemd.ready();
  probe = fork(join(repo, 'bench/support/controller-probe.mjs'), [host.busAddress, join(work, 'bench-state'), ...slow], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await answer(probe, undefined, 'ready');

  const stopLatency = [];
  const stopUnit = [];
  // What a POST stop adds to the call by design: the intent made durable before it (same disk, same rounds).
  const intentWrite = [];
  log(`clicks ${CLICK_GAP_MS} ms apart; before the rounds: ${loadLine()}`);
  // Rounds alternate: POST stop (even), the bare StopUnit call on the same units (odd).
  for (let round = 0; round < 2 * ROUNDS; round++) {
    for (const id of slow) {
      await sleep(CLICK_GAP_MS);
      if (round % 2 === 0) stopLatency.push(await post(id, 'stop'));
      else {
        const t1 = performance.now();
        await writeIntent(join(work, 'intent-floor'), id, 'stopped');
        intentWrite.push(performance.now() - t1);
        const t0 = performance.now();
        await systemd.stopUnit(appService(id), 'replace');
        stopUnit.push(performance.now() - t0);
      }
    }
    await waitAll('stopped', (STOP_SECONDS + 30) * 1000);
    for (const id of slow) {
      await sleep(CLICK_GAP_MS);
      await post(id, 'start');
    }
    await waitAll('running', 60_000);
    log(`round ${round + 1}/${2 * ROUNDS} done`);
  }
  const mem50 = memoryMb(serveProc.pid);
  const rss50 = mem50.rss;
  const report = await ask({ cmd: 'report' }, 'report');
  const { signal } = await answer(probe, { cmd: 'report' }, 'report');
  delivery.push(...report.delivery);
  const spread = report.spread;
  const f = (x) => x.toFixed(1);
  const getLatency = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    await (await fetch(`${base}/api/apps`, { headers: auth })).arrayBuffer();
    getLatency.push(performance.now() - t0);
  }
  // The HTTP round trip alone, same client, same server, nothing done: what any click over HTTP adds to its call.
  // Back to back (both processes awake), then one every CLICK_GAP_MS, as the clicks are sent (both asleep when it
  // comes, as they are at a click).
  const health = async () => {
    const t0 = performance.now();
    await (await fetch(`${base}/api/health`, { headers: auth })).arrayBuffer();
    return performance.now() - t0;
  };
  const httpLatency = [];
  for (let i = 0; i < 50; i++) httpLatency.push(await health());
  const httpClickLatency = [];
  for (let i = 0; i < 50; i++) {
    await sleep(CLICK_GAP_MS);
    httpClickLatency.push(await health());
  }
  // What a POST stop adds to the bare call by design (the durable intent, the HTTP round trip as a click makes it):
  // their p50s summed with the call's, as a ratio to the call's (docs/performance.md, "3 December, evening").
  const floor = percentile(stopUnit, 50) + percentile(intentWrite, 50) + percentile(httpClickLatency, 50);
  const parts = (m) => `${f(m.anon)} / ${f(m.file)} / ${f(m.shmem)}`;

  const rows = [
    ['measure', 'n', 'p50', 'p99', 'max', 'target', 'ok (figures)'],
    [`POST stop → 202 (stop takes ${STOP_SECONDS} s), ms`, stopLatency.length, f(percentile(stopLatency, 50)), f(percentile(stopLatency, 99)), f(Math.max(...stopLatency)), 'vs StopUnit', 'below'],
    [`state change → SSE, ${SSE_CLIENTS} clients, ms`, delivery.length, f(percentile(delivery, 50)), f(percentile(delivery, 99)), f(Math.max(...delivery)), 'vs controller', 'below'],
    [`  of which SSE fan-out (receipt − first client's, ${SSE_CLIENTS - 1} clients' process), ms`, spread.length, f(percentile(spread, 50)), f(percentile(spread, 99)), f(Math.max(...spread)), '(info)', ''],
    [`StopUnit D-Bus call alone, same units, ms`, stopUnit.length, f(percentile(stopUnit, 50)), f(percentile(stopUnit, 99)), f(Math.max(...stopUnit)), '(reference)', ''],
    [`  durable intent write alone (writeIntent, before each call), ms`, intentWrite.length, f(percentile(intentWrite, 50)), f(percentile(intentWrite, 99)), f(Math.max(...intentWrite)), '(info)', ''],
    [`StateChangeTimestamp → a controller's event (own process), ms`, signal.length, f(percentile(signal, 50)), f(percentile(signal, 99)), f(Math.max(...signal)), '(reference)', ''],
    [`  HTTP round trip alone (GET /api/health, same client), back to back, ms`, httpLatency.length, f(percentile(httpLatency, 50)), f(percentile(httpLatency, 99)), f(Math.max(...httpLatency)), '(info)', ''],
    [`  the same, one every ${CLICK_GAP_MS} ms (as the clicks), ms`, httpClickLatency.length, f(percentile(httpClickLatency, 50)), f(percentile(httpClickLatency, 99)), f(Math.max(...httpClickLatency)), '(info)', ''],
    [`  StopUnit + intent + HTTP round trip (sum of the p50s), ms`, '', f(floor), '', '', `${(floor / percentile(stopUnit, 50)).toFixed(2)}× StopUnit`, '(info)'],
    [`GET /api/apps (${APPS} apps), ms`, getLatency.length, f(percentile(getLatency, 50)), f(percentile(getLatency, 99)), f(Math.max(...getLatency)), '(info)', ''],
    [`serve RSS, ${APPS} apps, ${RSS_CLIENTS} SSE clients, MB`, 1, f(rss20), '', '', '≤ 80', 'below'],
    [`  of which anonymous / file-backed / shared, MB`, 1, parts(mem20), '', '', '(info)', ''],
    [`serve RSS, ${APPS} apps, ${SSE_CLIENTS} SSE clients, after the runs, MB`, 1, f(rss50), '', '', '(info)', ''],
    [`  of which anonymous / file-backed / shared, MB`, 1, parts(mem50), '', '', '(info)', ''],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  console.log(rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()).join('\n'));
  console.log('(state change = systemd\'s StateChangeTimestamp of starting→running and stopping→stopped; includes the controller\'s D-Bus propagation)');
  const n = `${stopLatency.length} vs ${stopUnit.length}`;
  figure({ figure: `POST stop → 202 p50 (stop takes ${STOP_SECONDS} s)`, value: percentile(stopLatency, 50), unit: 'ms', ref: 'bare StopUnit p50', refValue: percentile(stopUnit, 50), limit: 1.5, by: 'ratio', note: n });
  figure({ figure: `POST stop → 202 p99 (stop takes ${STOP_SECONDS} s)`, value: percentile(stopLatency, 99), unit: 'ms', ref: 'bare StopUnit p99', refValue: percentile(stopUnit, 99), limit: 2, by: 'ratio', note: n });
  figure({ figure: `state change → SSE p99, ${SSE_CLIENTS} clients`, value: percentile(delivery, 99), unit: 'ms', ref: 'controller signal p99', refValue: percentile(signal, 99), limit: 2, by: 'ratio', note: `${delivery.length} vs ${signal.length}` });
  figure({ figure: `serve RSS, ${APPS} apps, ${RSS_CLIENTS} SSE clients${nodeFlags.length ? ` (node ${nodeFlags.join(' ')})` : ''}`, value: rss20, unit: 'MB', ref: 'idle node', refValue: rssNode, limit: 80, by: 'value' });
} finally {
  probe?.disconnect();
  await systemd.close().catch(() => undefined);
  for (const ac of clients) ac.abort();
  others?.disconnect();
  if (serveProc && serveProc.exitCode === null) {
    serveProc.kill('SIGTERM');
    await new Promise((r) => serveProc.once('exit', r));
  }
  for (const id of ids) rmSync(join(host.unitDir, `${id}.container`), { force: true });
  await stop();
  rmSync(work, { recursive: true, force: true });
}
printFigures();
