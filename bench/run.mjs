// npm run bench: runs every benchmark in bench/ (each *.mjs but this file), one after another, each in its own
// process so that one's warm caches and heap do not colour the next; then prints ONE table of issue 15's figures,
// each beside its reference measured in the same run, the ratio, the target and OK/NO, with the load average.
// A benchmark is no test: it measures and prints; the exit code says only whether each benchmark ran to its end.
// Usage: npm run bench                         (as root: the host benchmarks boot a test host)
//        ARCHY_BENCH_ONLY=startup,render npm run bench   (only those benchmarks)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figureTable, loadLine } from './support/figures.mjs';

const dir = fileURLToPath(new URL('.', import.meta.url));
// The Debian packages the host benchmarks need (systemd-nspawn, debootstrap), as `npm test` installs them.
const deps = spawnSync('sh', [join(dir, '../scripts/ensure-deps.sh')], { stdio: 'inherit' });
if (deps.status !== 0) process.exit(deps.status ?? 1);
const only = process.env.ARCHY_BENCH_ONLY?.split(',').map((s) => s.trim());
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .filter((f) => !only || only.includes(f.replace(/\.mjs$/, '')))
  .sort();
const work = mkdtempSync(join(tmpdir(), 'archy-bench-run-'));
const figuresFile = join(work, 'figures.jsonl');
const loadAtStart = loadLine();
const started = new Date();
let failed = [];
try {
  for (const bench of benches) {
    console.log(`\n== bench/${bench}`);
    const r = spawnSync(process.execPath, [`${dir}${bench}`], { stdio: 'inherit', env: { ...process.env, ARCHY_BENCH_FIGURES: figuresFile } });
    if (r.status !== 0) {
      failed.push(bench);
      console.error(`bench/${bench} failed (exit ${r.status ?? r.signal})`);
    }
  }
  let rows = [];
  try {
    rows = readFileSync(figuresFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    // no benchmark recorded a figure
  }
  console.log(`\n== issue 15's figures, ${started.toISOString()} (${((Date.now() - started.getTime()) / 1000).toFixed(0)} s)`);
  console.log(figureTable(rows));
  console.log(`at the start: ${loadAtStart}\nat the end:   ${loadLine()}`);
  console.log('(load: the 1-minute load average when the figure was measured; ratios compare measurements of the same run)');
  if (failed.length > 0) console.log(`not run to the end: ${failed.join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed.length > 0 ? 1 : 0;
