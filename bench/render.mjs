// Benchmark: 1,000 synthetic manifests compiled, rendered and written to a temp
// directory, timed beside podman 5.4.2's Quadlet generator in -dryrun over the
// same output, in the same run. Prints a table, then its figure (target: ours ≤ 1.0× the generator).
// Usage: npm run bench:render  (builds dist/ first when missing)
//        ARCHY_BENCH_DIR=/dev/shm npm run bench:render   (temp dir on tmpfs: the disk's cost left out of both)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, printFigures } from './support/figures.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(join(repo, 'dist/cli/main.js'))) execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit' });

const { compileCatalog } = await import('../dist/compile/compile-catalog.js');
const { renderUnits } = await import('../dist/render/render-units.js');
const { loadUnitTemplates } = await import('../dist/store/shipped/templates.js');
const { writeFilesAtomic } = await import('../dist/store/atomic-write.js');
const { isOwned } = await import('../dist/render/types.js');

const APPS = 1000;
const RUNS = 5;

/** A varied catalog: every 10th app is two containers (its daemon and a web UI), every 5th has a health check and memory limit, chains of dependencies. */
function syntheticCatalog() {
  return Array.from({ length: APPS }, (_, i) => {
    const id = `app${String(i).padStart(4, '0')}`;
    const m = {
      id,
      description: `Synthetic app ${i}`,
      image: `docker.io/library/busybox:1.36.${i % 10}`,
      command: ['sleep', 'infinity'],
      environment: { INDEX: String(i), NOTE: 'two words' },
      ports: [{ container: 8000 + (i % 1000), host: 20000 + i, hostIp: '127.0.0.1' }],
      volumes: [{ name: 'data', target: '/data' }],
      binds: [{ source: `/var/lib/archipelago/${id}`, target: '/srv', readOnly: true }],
      networks: [`net${i % 4}`],
      stop: { timeout: '30s' },
      labels: { 'org.example.app': id },
    };
    if (i % 5 === 0) Object.assign(m, { health: { cmd: ['true'], interval: '10s', startPeriod: '30s' }, memory: '256Mi' });
    if (i % 5 === 1) m.dependsOn = [{ app: `app${String(i - 1).padStart(4, '0')}`, condition: 'healthy' }];
    if (i % 10 === 0) {
      const { id: _, description, ...main } = m;
      const ui = { image: 'docker.io/library/nginx:1.27.4-alpine', ports: [{ container: 80, host: 40000 + i }], dependsOn: [{ container: 'main' }] };
      return { file: `manifests/${id}.yaml`, manifest: { id, description, containers: { main, ui } } };
    }
    return { file: `manifests/${id}.yaml`, manifest: m };
  });
}

const quadlet = execFileSync('sh', [join(repo, 'scripts/fetch-quadlet.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const templates = await loadUnitTemplates();
const catalog = syntheticCatalog();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = { compile: [], render: [], write: [], ours: [], generator: [], oursCpu: [], generatorCpu: [] };
const cpuMs = (u) => (u.user + u.system) / 1000;
// POSIX sh's `times` prints the CPU time of its children: the generator's, free of the wait for a busy machine.
const GENERATOR = '"$0" -dryrun >"$1" 2>"$2"; s=$?; times >&2; exit $s';
let files = 0;
let services = 0;
// Run 0 warms up both sides (JIT, page cache) and is not counted. Each run's directory is removed only after the last
// run: on an ext4 without a journal (this machine's), every file created skips, one by one, each inode freed in the
// last 30 s (the kernel's find_inode_bit → recently_deleted: 58% of the kernel's samples of a create loop, perf), so
// deleting a run's 2,204 files between runs slowed the next run's creates (docs/performance.md).
const made = [];
for (let run = 0; run <= RUNS; run++) {
  const dir = mkdtempSync(join(process.env.ARCHY_BENCH_DIR ?? tmpdir(), 'archy-quadlet-bench-'));
  made.push(dir, `${dir}.out`, `${dir}.err`);
  try {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { units, problems } = compileCatalog(catalog, { podmanVersion: '5.4.2', scope: 'system' });
    if (problems.length) throw new Error(`synthetic catalog invalid: ${JSON.stringify(problems.slice(0, 3))}`);
    const t1 = performance.now();
    const rendered = renderUnits(units, templates);
    const t2 = performance.now();
    await writeFilesAtomic(rendered.map((f) => ({ path: join(dir, f.name), content: f.content })), { owned: isOwned });
    const t3 = performance.now();
    const oursCpu = cpuMs(process.cpuUsage(c0));
    const [stdoutFile, stderrFile] = [`${dir}.out`, `${dir}.err`];
    const gen = spawnSync('sh', ['-c', GENERATOR, quadlet, stdoutFile, stderrFile], { env: { ...process.env, QUADLET_UNIT_DIRS: dir }, encoding: 'utf8' });
    const t4 = performance.now();
    const childTimes = gen.stderr.trim().split('\n').pop().match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
    const generatorCpu = childTimes ? (Number(childTimes[1]) * 60 + Number(childTimes[2]) + Number(childTimes[3]) * 60 + Number(childTimes[4])) * 1000 : NaN;
    const genOut = readFileSync(stdoutFile, 'utf8');
    const genErr = readFileSync(stderrFile, 'utf8');
    const complaints = genErr.split('\n').filter((l) => l.trim() && !l.includes('Loading source unit file'));
    if (gen.status !== 0 || complaints.length) throw new Error(`generator rejected the render: ${complaints.slice(0, 3).join('\n')}`);
    files = rendered.length;
    if (run === 0) continue;
    services = (genOut.match(/^---.*\.service---$/gm) ?? []).length;
    rows.compile.push(t1 - t0);
    rows.render.push(t2 - t1);
    rows.write.push(t3 - t2);
    rows.ours.push(t3 - t0);
    rows.generator.push(t4 - t3);
    rows.oursCpu.push(oursCpu);
    rows.generatorCpu.push(generatorCpu);
  } catch (err) {
    for (const p of made) rmSync(p, { recursive: true, force: true });
    throw err;
  }
}
for (const p of made) rmSync(p, { recursive: true, force: true });

const ms = (x) => `${x.toFixed(1).padStart(8)} ms`;
const ours = median(rows.ours);
const generator = median(rows.generator);
console.log(`render benchmark: ${APPS} manifests → ${files} unit files → ${services} services (median of ${RUNS} runs, temp dir under ${process.env.ARCHY_BENCH_DIR ?? tmpdir()})`);
console.log('Wall-clock time:');
console.log('| step                                   |        time |');
console.log('|----------------------------------------|-------------|');
console.log(`| compile (compileCatalog)               | ${ms(median(rows.compile))} |`);
console.log(`| render (renderUnits, handlebars)       | ${ms(median(rows.render))} |`);
console.log(`| write (writeFilesAtomic, fsync)        | ${ms(median(rows.write))} |`);
console.log(`| ours: compile + render + write         | ${ms(ours)} |`);
console.log(`| podman 5.4.2 quadlet -dryrun, same dir | ${ms(generator)} |`);
console.log(`| ratio ours / generator (target ≤ 1.0×) | ${(ours / generator).toFixed(2).padStart(10)}× |`);
console.log('');
console.log('CPU time (user + system; what the machine spent, whatever else runs on it):');
console.log('| side                                   |        time |');
console.log('|----------------------------------------|-------------|');
console.log(`| ours: compile + render + write         | ${ms(median(rows.oursCpu))} |`);
console.log(`| podman 5.4.2 quadlet -dryrun           | ${ms(median(rows.generatorCpu))} |`);
console.log(`| ratio ours / generator                 | ${(median(rows.oursCpu) / median(rows.generatorCpu)).toFixed(2).padStart(10)}× |`);
figure({ figure: `render ${APPS} manifests durably (compile + render + write), median of ${RUNS}`, value: ours, unit: 'ms', ref: 'quadlet -dryrun, same dir', refValue: generator, limit: 1, by: 'ratio' });
figure({ figure: `  the same, CPU time (user + system)`, value: median(rows.oursCpu), unit: 'ms', ref: 'quadlet -dryrun CPU', refValue: median(rows.generatorCpu), by: 'report' });
printFigures();
