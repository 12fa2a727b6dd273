// Benchmark: start-up of the command line beside `node -e 0`, in the same run, interleaved (so a busy moment of the
// machine weighs on both sides alike): `--version`, `--help`, and a one-shot `status` of 10 apps on the real test
// host (systemd 257 + podman 5.4.2 under systemd-nspawn, booted for this run; the apps its unit directory's units).
// Each side is run RUNS times; the figure is the median wall-clock time of the whole process.
// Targets (issue 15): --version and --help ≤ 1.5× node -e 0; status ≤ 3×.
// Usage: node bench/startup.mjs   (as root; builds dist/ first)
//   ARCHY_TESTHOST_NAME=NAME picks the host instance (default archy-bench-startup); ARCHY_BENCH_RUNS=N (default 15).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, percentile, printFigures } from './support/figures.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync('npx', ['tsc', '-p', 'test/host/tsconfig.json'], { cwd: repo, stdio: 'inherit' });
const { startTestHost } = await import(join(repo, '.cache/testhost/js/start.js'));

const RUNS = Number(process.env.ARCHY_BENCH_RUNS ?? 15);
const APPS = 10;
const name = process.env.ARCHY_TESTHOST_NAME ?? 'archy-bench-startup';
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const cli = join(repo, 'bin/archy-quadlet');

/** Wall-clock ms of one run of `args` (node's own path first); throws when it fails. */
function timed(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: repo });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const { host, stop } = await startTestHost({ name, log: (l) => log(`testhost: ${l}`) });
const work = mkdtempSync(join(tmpdir(), 'archy-bench-startup-'));
const ids = Array.from({ length: APPS }, (_, i) => `bs${String(i).padStart(2, '0')}`);
try {
  for (const id of ids) writeFileSync(join(host.unitDir, `${id}.container`), '[Container]\nImage=localhost/busybox:latest\nExec=sleep 1000000\n');
  await host.execOk(['systemctl', 'daemon-reload']);
  const sides = {
    node: ['-e', '0'],
    version: [cli, '--version'],
    help: [cli, '--help'],
    status: [cli, 'status', '--bus', host.busAddress, '--unit-dir', host.unitDir, '--state-dir', join(work, 'state')],
  };
  const status = timed(sides.status);
  if (!ids.every((id) => status.stdout.includes(id))) throw new Error(`status does not list the apps:\n${status.stdout}`);
  const times = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let i = 0; i < RUNS; i++) for (const [k, args] of Object.entries(sides)) times[k].push(timed(args).ms);
  const node = percentile(times.node, 50);
  const row = (k, label, limit) => figure({ figure: label, value: percentile(times[k], 50), unit: 'ms', ref: 'node -e 0', refValue: node, limit, by: 'ratio', note: `median of ${RUNS}` });
  row('version', 'archy-quadlet --version', 1.5);
  row('help', 'archy-quadlet --help', 1.5);
  row('status', `archy-quadlet status (one-shot, ${APPS} apps)`, 3);
  for (const [k, xs] of Object.entries(times)) log(`${k}: median ${percentile(xs, 50).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} (${RUNS} runs)`);
} finally {
  for (const id of ids) rmSync(join(host.unitDir, `${id}.container`), { force: true });
  await stop();
  rmSync(work, { recursive: true, force: true });
}
printFigures();
