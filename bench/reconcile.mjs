// Benchmark: reconcile passes over 100 running apps on the real test host
// (systemd 257 + podman 5.4.2 under systemd-nspawn, booted for this run).
//   1. the first pass installs and starts all 100 (not timed against a target);
//   2. no-op passes: nothing changed → target ≤ 100 ms, 0 writes, 0 reloads;
//   3. a pass that changes 1 of the 100 (one env var): 1 write, 1 reload, 1 restart,
//      timed up to the restarted app being active again (its health gate).
// Prints a table. Usage: npm run bench:reconcile   (as root; builds dist/ first)
//   ARCHY_TESTHOST_NAME=NAME picks the host instance (default archy-bench-reconcile).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync('npx', ['tsc', '-p', 'test/host/tsconfig.json'], { cwd: repo, stdio: 'inherit' });

const { startTestHost } = await import(join(repo, '.cache/testhost/js/start.js'));
const { BUSYBOX_IMAGE } = await import(join(repo, '.cache/testhost/js/image.js'));
const { runPass } = await import('../dist/reconcile/pass.js');
const { cachedDesiredLoader } = await import('../dist/reconcile/load-desired.js');
const { createSystemd } = await import('../dist/systemd/client.js');

const APPS = 100;
const NOOP_RUNS = 20;

const name = process.env.ARCHY_TESTHOST_NAME ?? 'archy-bench-reconcile';
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const { host, stop } = await startTestHost({ name, log: (l) => log(`testhost: ${l}`) });
const work = mkdtempSync(join(tmpdir(), 'archy-bench-reconcile-'));
const manifests = join(work, 'manifests');
mkdirSync(manifests);
const systemd = createSystemd({ address: host.busAddress });

function manifest(i, value) {
  const id = `bench${String(i).padStart(3, '0')}`;
  return `id: ${id}\nimage: ${BUSYBOX_IMAGE}\ncommand: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]\nstop:\n  timeout: 2s\nenvironment:\n  V: "${value}"\n`;
}

const opts = {
  manifestsDir: manifests,
  unitDir: host.unitDir,
  stateDir: join(work, 'state'),
  systemd,
  generator: [join(host.rootDir, 'usr/libexec/podman/quadlet')],
  pollMs: 50,
  // As `watch` runs passes: unchanged inputs are not parsed and rendered again.
  loader: cachedDesiredLoader(),
};

async function timed(label) {
  const t0 = process.hrtime.bigint();
  const report = await runPass(opts);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (report.failures.length > 0) throw new Error(`${label}: ${JSON.stringify(report.failures.slice(0, 3))}`);
  return { ms, c: report.counters, t: report.timings };
}

const rows = [];
try {
  await systemd.ready();
  for (let i = 0; i < APPS; i++) writeFileSync(join(manifests, `bench${String(i).padStart(3, '0')}.yaml`), manifest(i, '1'));

  log(`first pass: installing and starting ${APPS} apps`);
  const first = await timed('install');
  rows.push(['install 100 (first pass)', first, '—']);

  const noop = [];
  for (let i = 0; i < NOOP_RUNS; i++) noop.push(await timed('no-op'));
  log(`no-op passes (ms, in order): ${noop.map((r) => r.ms.toFixed(0)).join(' ')}`);
  const stage = (k) => noop.map((r) => r.t[k]).sort((a, b) => a - b)[Math.floor(noop.length / 2)].toFixed(1);
  log(`no-op stages, median ms: load ${stage('load')}, observe ${stage('observe')}, plan ${stage('plan')}, execute ${stage('execute')}`);
  const sorted = noop.map((r) => r.ms).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const worst = sorted[sorted.length - 1];
  const sum = (k) => noop.reduce((s, r) => s + r.c[k], 0);
  const noopCounters = { writes: sum('writes'), removes: sum('removes'), reloads: sum('reloads'), starts: sum('starts'), stops: sum('stops'), restarts: sum('restarts') };
  rows.push([`no-op pass, median of ${NOOP_RUNS}`, { ms: median, c: noopCounters }, '≤ 100 ms, 0 writes, 0 reloads']);
  rows.push([`no-op pass, worst of ${NOOP_RUNS}`, { ms: worst, c: noopCounters }, '']);

  writeFileSync(join(manifests, 'bench042.yaml'), manifest(42, '2'));
  const one = await timed('change 1');
  rows.push(['change 1 of 100 (to active)', one, '1 write, 1 reload, 1 restart']);
} finally {
  await systemd.close().catch(() => undefined);
  await stop();
  rmSync(work, { recursive: true, force: true });
}

const header = ['pass', 'time (ms)', 'writes', 'reloads', 'starts', 'restarts', 'target'];
const body = rows.map(([label, r, target]) => [label, r.ms.toFixed(1), String(r.c.writes), String(r.c.reloads), String(r.c.starts), String(r.c.restarts), target]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const b of body) console.log(line(b));
