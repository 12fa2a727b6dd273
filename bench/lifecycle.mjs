// Benchmark: lifecycle calls and state propagation on the real test host
// (systemd 257 + podman 5.4.2 under systemd-nspawn, booted for this run).
//   1. stop-call latency while the unit's stop takes ≥ 10 s (its container traps
//      SIGTERM and sleeps 12 s): `controller.stop()` end to end (durable intent
//      write + StopUnit) and the bare StopUnit D-Bus call, ≥ 50 samples each;
//   2. propagation: systemd's StateChangeTimestamp → the controller's state
//      event, over every starting→running and stopping→stopped transition.
// Prints a table, then its figures (bench/support/figures.mjs; reported, the API's targets are in bench/api.mjs).
// Usage: npm run bench:lifecycle   (as root; builds dist/ first)
//   ARCHY_TESTHOST_NAME=NAME picks the host instance (default archy-bench-lifecycle).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, percentile, printFigures } from './support/figures.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync('npx', ['tsc', '-p', 'test/host/tsconfig.json'], { cwd: repo, stdio: 'inherit' });

const { startTestHost } = await import(join(repo, '.cache/testhost/js/start.js'));
const { createSystemd } = await import('../dist/systemd/client.js');
const { createController } = await import('../dist/controller/controller.js');
const { appService } = await import('../dist/naming.js');

const UNITS = 10;
const ROUNDS = 10; // even rounds: controller.stop(); odd rounds: bare StopUnit
const STOP_SECONDS = 12;

const name = process.env.ARCHY_TESTHOST_NAME ?? 'archy-bench-lifecycle';
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const { host, stop } = await startTestHost({ name, log: (l) => log(`testhost: ${l}`) });
const work = mkdtempSync(join(tmpdir(), 'archy-bench-lifecycle-'));
const ids = Array.from({ length: UNITS }, (_, i) => `bl${String(i).padStart(2, '0')}`);
const unit = `[Container]
Image=localhost/busybox:latest
Exec=sh -c 'trap "sleep ${STOP_SECONDS}; exit 0" TERM; while true; do sleep 1; done'
StopTimeout=${STOP_SECONDS + 40}

[Service]
TimeoutStopSec=${STOP_SECONDS + 60}
`;

const nowMs = () => performance.timeOrigin + performance.now();

const callController = [];
const callDbus = [];
const propagation = [];
const baseline = [];
const systemd = createSystemd({ address: host.busAddress });
let controller;
try {
  for (const id of ids) writeFileSync(join(host.unitDir, `${id}.container`), unit);
  await systemd.ready();
  await systemd.reload();
  controller = await createController({
    systemd,
    stateDir: join(work, 'state'),
    apps: ids.map((id) => ({ id, name: id, unit: appService(id) })),
    relistIntervalMs: 0,
  });
  // since = StateChangeTimestamp for these transitions (the state is ActiveState's plain meaning).
  controller.subscribe((e) => {
    const at = nowMs();
    const s = e.status;
    if ((e.previous === 'starting' && s.state === 'running') || (e.previous === 'stopping' && s.state === 'stopped')) {
      propagation.push(at - Date.parse(s.since));
    }
  });
  const waitAll = (state) =>
    new Promise((resolve) => {
      const check = () => ids.every((id) => controller.get(id)?.state === state);
      if (check()) return resolve();
      const off = controller.subscribe(() => {
        if (!check()) return;
        off();
        resolve();
      });
    });

  for (let round = 0; round < ROUNDS; round++) {
    for (const id of ids) await controller.start(id);
    await waitAll('running');
    for (const id of ids) {
      const t0 = performance.now();
      if (round % 2 === 0) {
        await controller.stop(id);
        callController.push(performance.now() - t0);
      } else {
        await systemd.stopUnit(appService(id));
        callDbus.push(performance.now() - t0);
      }
    }
    // Baseline: a plain read round trip to systemd on the same bus, as busy as the machine is right now.
    for (const id of ids) {
      const t0 = performance.now();
      await systemd.listUnitsByNames([appService(id)]);
      baseline.push(performance.now() - t0);
    }
    await waitAll('stopped');
    log(`round ${round + 1}/${ROUNDS} done`);
  }
} finally {
  await controller?.close();
  for (const id of ids) await systemd.stopUnit(appService(id)).catch(() => undefined);
  await systemd.close().catch(() => undefined);
  await stop();
  rmSync(work, { recursive: true, force: true });
}

const rows = [
  [`controller.stop() while the stop takes ${STOP_SECONDS} s (intent fsync + StopUnit)`, callController, '(reported below)'],
  [`StopUnit D-Bus call alone, same units`, callDbus, '—'],
  ['StateChangeTimestamp → controller event', propagation, '(reported below)'],
  ['baseline: ListUnitsByNames round trip (1 unit)', baseline, '—'],
];
const header = ['measure', 'n', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'target'];
const body = rows.map(([label, xs, target]) => [label, String(xs.length), percentile(xs, 50).toFixed(2), percentile(xs, 99).toFixed(2), Math.max(...xs).toFixed(2), target]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const b of body) console.log(line(b));
// Latencies here are the machine's as much as ours: say how busy it was.
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} CPUs`);
figure({ figure: 'controller.stop() p50 (intent, unit file, StopUnit)', value: percentile(callController, 50), unit: 'ms', ref: 'bare StopUnit p50', refValue: percentile(callDbus, 50), by: 'report' });
figure({ figure: 'controller.stop() p99', value: percentile(callController, 99), unit: 'ms', ref: 'bare StopUnit p99', refValue: percentile(callDbus, 99), by: 'report' });
printFigures();
