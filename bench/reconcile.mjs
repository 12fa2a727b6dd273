// Benchmark: reconcile passes on the real test host (systemd 257 + podman 5.4.2 under systemd-nspawn), over three
// app sets, each on a host booted for it alone (so one set's units and containers do not weigh on another's):
//   busybox-100  100 one-container busybox apps (and a pass that changes 1 of them: 1 write, 1 reload, 1 restart,
//                timed up to the restarted app being active again);
//   catalog      the node's catalog, every manifest in manifests/, run with the busybox image: the host has no
//                registry, so each container's image and command are swapped for a busybox shell that keeps running
//                and answers /healthz, health commands other than a wget for a wget of it; `memory` is dropped (the
//                host has no memory controller). Ports, binds, configs with
//                their templates and secrets, networks, dependencies and their conditions, stop and start timeouts
//                stay (bench/support/catalog-on-busybox.mjs);
//   generated    ARCHY_BENCH_APPS (default 400) generated apps, 40 % of several containers (2–4, in-app dependsOn,
//                a one-shot), some health-gated, some with config files (bench/support/generated-apps.mjs).
// For each set: install passes install and start everything (timed, no target; ARCHY_BENCH_INSTALL_BATCH apps per
// pass, see below); then N no-op passes as `watch` runs them (unchanged inputs are not parsed and rendered again,
// files a stat finds unchanged are not read again) and N/2 as `apply` runs them (everything read and loaded
// afresh). Target of a no-op pass: ≤ 100 ms, 0 writes, 0 reloads, 0 restarts. Besides the pass's own counters, the
// bench checks the host: files changed in the unit, state and config directories, daemon-reloads in systemd's
// journal, and services whose InvocationID changed. A no-op pass that changes anything is printed as WRONG (the
// bench still exits 0: it measures, it does not test).
// Prints one table, the load average and the host's memory with it.
// Usage: npm run bench:reconcile   (as root; builds dist/ first)
//   ARCHY_TESTHOST_NAME=NAME  the host instance (default archy-bench-reconcile)
//   ARCHY_BENCH_SETS=a,b      which sets (default busybox-100,catalog,generated)
//   ARCHY_BENCH_APPS=N        apps of the generated set (default 400)
//   ARCHY_BENCH_RUNS=N        no-op passes per set as `watch` runs them (default 20)
//   ARCHY_BENCH_INSTALL_BATCH=N  apps added per install pass (default 40; see below why not all at once)
//   ARCHY_BENCH_CPU_PROF=DIR  writes a CPU profile of each set's no-op passes (watch) to DIR/<set>.cpuprofile
// After each set's passes, `serve` (the built CLI, its own process, without --watch) tracks the set's apps from the
// same manifests; its resident memory is reported once it shows every app connected (issue 15: serve with 400 apps).
import { execFileSync, spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogOnBusybox } from './support/catalog-on-busybox.mjs';
import { generatedApps } from './support/generated-apps.mjs';
import { figure, printFigures } from './support/figures.mjs';
import { freePort, rssMb, serveNodeFlags } from './support/serve-process.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
execFileSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
execFileSync('npx', ['tsc', '-p', 'test/host/tsconfig.json'], { cwd: repo, stdio: 'inherit' });

const { startTestHost } = await import(join(repo, '.cache/testhost/js/start.js'));
const { BUSYBOX_IMAGE, BUSYBOX_APPLETS } = await import(join(repo, '.cache/testhost/js/image.js'));
const { runPass } = await import('../dist/reconcile/pass.js');
const { cachedDesiredLoader } = await import('../dist/reconcile/load-desired.js');
const { FileTexts } = await import('../dist/store/file-texts.js');
const { createSystemd } = await import('../dist/systemd/client.js');

const TARGET_MS = 100;
const RUNS = Number(process.env.ARCHY_BENCH_RUNS ?? 20);
const GENERATED = Number(process.env.ARCHY_BENCH_APPS ?? 400);
const INSTALL_BATCH = Number(process.env.ARCHY_BENCH_INSTALL_BATCH ?? 40);
const SETS = (process.env.ARCHY_BENCH_SETS ?? 'busybox-100,catalog,generated').split(',');
const name = process.env.ARCHY_TESTHOST_NAME ?? 'archy-bench-reconcile';
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const wrong = [];

/** The existing 100-app set: one container each, `value` in its environment. */
function busyboxApp(i, value) {
  const id = `bench${String(i).padStart(3, '0')}`;
  return `id: ${id}\nimage: ${BUSYBOX_IMAGE}\ncommand: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 1; done"]\nstop:\n  timeout: 2s\nenvironment:\n  V: "${value}"\n`;
}

/** Each set: its manifest files, the bind sources the node must have, and what it is. */
function appSet(set) {
  if (set === 'busybox-100') {
    const files = new Map(Array.from({ length: 100 }, (_, i) => [`bench${String(i).padStart(3, '0')}.yaml`, busyboxApp(i, '1')]));
    return { files, binds: [], apps: 100, containers: 100, about: '100 one-container busybox apps' };
  }
  if (set === 'catalog') {
    const c = catalogOnBusybox(join(repo, 'manifests'), BUSYBOX_IMAGE, BUSYBOX_APPLETS);
    return { ...c, about: `the catalog on busybox; swapped: ${c.swaps.join('; ')}` };
  }
  if (set === 'generated') {
    const g = generatedApps(GENERATED, BUSYBOX_IMAGE);
    return {
      ...g,
      binds: [],
      about: `${g.apps} generated apps: ${g.multi} of several containers, ${g.containers} containers (${g.oneshots} one-shots), ${g.gated} health-gated, ${g.withConfigs} with a config file`,
    };
  }
  throw new Error(`unknown set ${set} (busybox-100, catalog, generated)`);
}

/** Every file under `dir` (recursively) with what changes when it is written: inode, size, mtime. */
function snapshot(dir, out = new Map()) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) snapshot(p, out);
    else {
      const s = statSync(p, { bigint: true });
      out.set(p, `${s.ino}:${s.size}:${s.mtimeNs}`);
    }
  }
  return out;
}

function changedFiles(before, after) {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k));
}

/** The services of the units in `unitDir` (a `.network` or `.volume` with `ServiceName=` names its own). */
function servicesOf(unitDir) {
  const out = [];
  for (const f of readdirSync(unitDir)) {
    const m = /^(.*)\.(container|network|volume)$/.exec(f);
    if (!m) continue;
    const named = /^ServiceName=(.+)$/m.exec(readFileSync(join(unitDir, f), 'utf8'));
    out.push(named ? `${named[1]}.service` : m[2] === 'container' ? `${m[1]}.service` : `${m[1]}-${m[2]}.service`);
  }
  return out;
}

/**
 * InvocationID and ActiveState of every service, read inside the host. `systemctl show` asks systemd one unit after
 * another: with the 400-app set's 880 services and its health checks keeping the host's systemd busy (load 17), it
 * took longer than 60 s once, and that run ended there.
 */
async function invocations(host, services) {
  const out = await host.execOk(['systemctl', 'show', '--property=Id,InvocationID,ActiveState', ...services], { timeoutMs: 600_000 });
  const map = new Map();
  for (const block of out.trim().split('\n\n')) {
    const p = Object.fromEntries(block.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    map.set(p.Id, { invocation: p.InvocationID, active: p.ActiveState });
  }
  return map;
}

/** daemon-reloads systemd finished since `sinceS` (epoch seconds), from its journal. */
async function reloadsSince(host, sinceS) {
  const r = await host.exec(['journalctl', '-q', '--no-pager', '_PID=1', `--since=@${sinceS}`, '-g', 'Reloading finished']);
  return r.stdout.split('\n').filter((l) => l.trim() !== '').length;
}

/**
 * `p`, or a rejection after `ms` naming what the process still waits for (libuv's pending requests): a pass that
 * never returns must end the run with the host stopped, not hang it.
 */
function withDeadline(p, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const pending = process.report.getReport().libuv.filter((h) => h.type !== 'timer' && h.is_referenced);
      const files = readdirSync('/proc/self/fd').map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      });
      reject(new Error(`${what} did not return within ${ms / 1000} s; pending requests: ${JSON.stringify(process._getActiveRequests().map((r) => r.constructor.name))}; handles: ${JSON.stringify(pending.map((h) => h.type))}; open files: ${files.filter((f) => f.startsWith('/')).join(', ')}`));
    }, ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};
const sumCounters = (rs, k) => rs.reduce((s, r) => s + r.c[k], 0);

async function benchSet(set) {
  const spec = appSet(set);
  log(`${set}: ${spec.about}`);
  const { host, stop } = await startTestHost({ name, log: (l) => log(`testhost: ${l}`) });
  const work = mkdtempSync(join(tmpdir(), 'archy-bench-reconcile-'));
  const manifests = join(work, 'manifests');
  const stateDir = join(work, 'state');
  mkdirSync(manifests);
  const systemd = createSystemd({ address: host.busAddress });
  const base = {
    manifestsDir: manifests,
    unitDir: host.unitDir,
    stateDir,
    systemd,
    configRoot: host.rootDir,
    generator: [join(host.rootDir, 'usr/libexec/podman/quadlet')],
    // The podman secrets of generated secrets live in the host's podman, as a node's do in its own.
    podman: ['nsenter', '-t', String(host.pid), '-m', '-u', '-i', '-n', '-p', '--', 'podman'],
  };
  const timed = async (label, opts) => {
    // As `watch` does before each pass: the kept texts of files no longer read are forgotten.
    opts.texts?.sweep();
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const report = await withDeadline(runPass({ ...base, ...opts }), label === 'install' ? 900_000 : 120_000, `${set} ${label} pass`);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // This process's CPU time over the pass (user + system; not systemd's, podman's or the generator's): what the
    // pass itself costs, which the machine's load does not stretch as it stretches the wall time.
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (report.failures.length > 0 || report.held.length > 0) {
      throw new Error(`${set} ${label}: failures ${JSON.stringify(report.failures.slice(0, 3))}, held ${JSON.stringify(report.held.slice(0, 3))}`);
    }
    return { ms, cpuMs, c: report.counters, t: report.timings, planned: report.planned };
  };
  const rows = [];
  const notes = [];
  try {
    await systemd.ready();
    // A node has its apps' data directories; podman refuses a bind whose source is missing.
    for (const b of spec.binds) mkdirSync(join(host.rootDir, b), { recursive: true });

    const installS = Math.floor(Date.now() / 1000);
    // The apps arrive in batches, one install pass each, as a node's catalog grows: the health gate of one pass
    // polls all its containers side by side, and the system bus refuses more than 128 pending replies per
    // connection (LimitsExceeded): a pass over 400 apps at once, and over 100 on a busy machine, fails with it.
    const entries = [...spec.files];
    const batch = INSTALL_BATCH;
    const batches = Math.ceil(entries.length / batch);
    const installs = [];
    for (let b = 0; b < batches; b++) {
      for (const [f, text] of entries.slice(b * batch, (b + 1) * batch)) writeFileSync(join(manifests, f), text);
      log(`${set}: install pass ${b + 1} of ${batches}, ${Math.min(entries.length, (b + 1) * batch)} of ${spec.apps} apps (load ${load()})`);
      installs.push(await timed('install', { pollMs: batches > 1 ? 500 : 50 }));
    }
    const first = {
      ms: installs.reduce((s, r) => s + r.ms, 0),
      c: Object.fromEntries(Object.keys(installs[0].c).map((k) => [k, sumCounters(installs, k)])),
    };
    const services = servicesOf(host.unitDir);
    const running = Number((await host.execOk(['sh', '-c', 'podman ps -q | wc -l'])).trim());
    // The host has no memory controller: the resident memory of every process in it, summed (shared pages counted
    // in each process, so an upper bound).
    const rssKiB = (await host.execOk(['ps', '-e', '-o', 'rss=']))
      .split('\n')
      .reduce((s, l) => s + (Number(l.trim()) || 0), 0);
    // The journal check must see the install's own reload, or it would read 0 for any reason.
    if ((await reloadsSince(host, installS)) === 0) wrong.push(`${set}: systemd's journal shows no reload of the install: the reload check below sees nothing`);
    notes.push(`${set}: ${spec.about}`);
    notes.push(`${set}: install ${(first.ms / 1000).toFixed(1)} s; ${readdirSync(host.unitDir).filter((f) => /\.(container|network|volume)$/.test(f)).length} unit files, ${services.length} services, ${running} containers running; resident memory of the host's processes ${Math.round(rssKiB / 1024)} MiB (summed RSS)`);
    rows.push([set, `${spec.apps} / ${spec.containers}`, batches === 1 ? 'install (first pass)' : `install (${batches} passes)`, first.ms, first.ms, first.c, '—']);

    const watchLoader = cachedDesiredLoader();
    // As `watch` keeps them: the loader's cache, the last drift check of the volumes and networks, and the texts of
    // the files read (a file a stat finds unchanged is not read again).
    const driftMemo = {};
    const texts = new FileTexts();
    await timed('warm-up', { loader: watchLoader, pollMs: 50, driftMemo, texts }).then((r) => {
      if (r.planned.length > 0) wrong.push(`${set}: the pass after the install planned ${r.planned.slice(0, 5).join(', ')}`);
    });
    const ids = await invocations(host, services);
    const down = [...ids].filter(([, v]) => v.active !== 'active').map(([k, v]) => `${k} ${v.active}`);
    if (down.length > 0) notes.push(`${set}: not active after the install: ${down.slice(0, 10).join(', ')}`);
    const dirs = [host.unitDir, stateDir, join(host.rootDir, 'var/lib/archipelago')];
    const files = () => dirs.reduce((m, d) => snapshot(d, m), new Map());
    const before = files();
    const sinceS = Math.floor(Date.now() / 1000);
    const loadAt = load();

    const series = async (label, n, opts) => {
      const rs = [];
      for (let i = 0; i < n; i++) rs.push(await timed(label, opts));
      const planned = [...new Set(rs.flatMap((r) => r.planned))];
      if (planned.length > 0) wrong.push(`${set} ${label}: planned ${planned.slice(0, 5).join(', ')}`);
      const c = Object.fromEntries(['writes', 'removes', 'reloads', 'starts', 'stops', 'restarts'].map((k) => [k, sumCounters(rs, k)]));
      const ms = rs.map((r) => r.ms);
      const stage = (k) => quantile(rs.map((r) => r.t[k]), 0.5).toFixed(1);
      notes.push(`${set} ${label}: ms in order ${ms.map((x) => x.toFixed(0)).join(' ')}; stage medians: load ${stage('load')}, observe ${stage('observe')}, plan ${stage('plan')}, execute ${stage('execute')}; this process's CPU time per pass, median ${quantile(rs.map((r) => r.cpuMs), 0.5).toFixed(1)} ms (wall ${quantile(ms, 0.5).toFixed(1)} ms)`);
      return [set, `${spec.apps} / ${spec.containers}`, label, quantile(ms, 0.5), quantile(ms, 0.95), c];
    };
    const profiling = process.env.ARCHY_BENCH_CPU_PROF ? new Session() : undefined;
    if (profiling) {
      profiling.connect();
      await profiling.post('Profiler.enable');
      await profiling.post('Profiler.start');
    }
    const watchRow = await series(`no-op ×${RUNS} (watch)`, RUNS, { loader: watchLoader, pollMs: 50, driftMemo, texts });
    if (profiling) {
      const { profile } = await profiling.post('Profiler.stop');
      mkdirSync(process.env.ARCHY_BENCH_CPU_PROF, { recursive: true });
      writeFileSync(join(process.env.ARCHY_BENCH_CPU_PROF, `${set}.cpuprofile`), JSON.stringify(profile));
      profiling.disconnect();
    }
    {
      const c = watchRow[5];
      figure({ figure: `no-op pass (watch), ${set}, ${spec.apps} apps, median`, value: watchRow[3], unit: 'ms', limit: TARGET_MS, by: 'value' });
      figure({ figure: `no-op passes (watch), ${set}: writes+reloads+restarts`, value: c.writes + c.removes + c.reloads + c.restarts, unit: '', limit: 0, by: 'value' });
    }
    const applyRow = await series(`no-op ×${Math.ceil(RUNS / 2)} (apply)`, Math.ceil(RUNS / 2), { pollMs: 50 });

    // What systemd and the disk say about the no-op passes, beside the pass's own counters.
    const changed = changedFiles(before, files());
    const reloads = await reloadsSince(host, sinceS);
    const after = await invocations(host, services);
    const restarted = [...ids].filter(([k, v]) => after.get(k)?.invocation !== v.invocation).map(([k]) => k);
    if (changed.length > 0) wrong.push(`${set}: no-op passes changed ${changed.length} file(s): ${changed.slice(0, 5).join(', ')}`);
    if (reloads > 0) wrong.push(`${set}: systemd's journal shows ${reloads} daemon-reload(s) during the no-op passes`);
    if (restarted.length > 0) wrong.push(`${set}: ${restarted.length} service(s) got a new InvocationID during the no-op passes: ${restarted.slice(0, 5).join(', ')}`);
    notes.push(`${set} no-op passes, seen on the host: ${changed.length} files changed, ${reloads} daemon-reloads in the journal, ${restarted.length} of ${services.length} services restarted; load before ${loadAt}, after ${load()}`);
    for (const row of [watchRow, applyRow]) {
      const c = row[5];
      if (c.writes + c.removes + c.reloads + c.starts + c.stops + c.restarts > 0) wrong.push(`${set} ${row[2]}: counters ${JSON.stringify(c)}`);
      rows.push([...row, `${(row[3] / TARGET_MS).toFixed(2)}× of ${TARGET_MS} ms`]);
    }

    notes.push(`${set}: serve with the set's ${spec.apps} apps: ${(await serveRss(host, manifests, stateDir, spec.apps, set)).toFixed(1)} MB resident`);

    if (set === 'busybox-100') {
      writeFileSync(join(manifests, 'bench042.yaml'), busyboxApp(42, '2'));
      const one = await timed('change 1', { loader: watchLoader, pollMs: 50, texts });
      rows.push([set, '100 / 100', 'change 1 (to active)', one.ms, one.ms, one.c, 'expect 1 write, 1 reload, 1 restart']);
    }
  } finally {
    await systemd.close().catch(() => undefined);
    await stop();
    rmSync(work, { recursive: true, force: true });
  }
  return { rows, notes };
}

/** `serve`'s resident memory (MB) once it lists all `apps` of `manifests` with systemd connected (and 2 s more). */
async function serveRss(host, manifests, stateDir, apps, set) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, [...serveNodeFlags(repo), join(repo, 'bin/archy-quadlet'), 'serve', '--bus', host.busAddress, '--manifests', manifests, '--unit-dir', host.unitDir, '--state-dir', stateDir, '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${err}`);
      if (Date.now() > deadline) throw new Error(`serve did not list ${apps} apps within 120 s: ${err}`);
      const token = (() => {
        try {
          return readFileSync(join(stateDir, 'api-token'), 'utf8').trim();
        } catch {
          return '';
        }
      })();
      const body = token ? await fetch(`${base}/api/apps`, { headers: { authorization: `Bearer ${token}` } }).then((r) => (r.ok ? r.json() : undefined), () => undefined) : undefined;
      if (body?.apps?.length === apps && body.systemd?.state === 'connected') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const rss = rssMb(proc.pid);
    figure({ figure: `serve RSS, ${set}, ${apps} apps, no SSE client${serveNodeFlags(repo).length ? ` (node ${serveNodeFlags(repo).join(' ')})` : ''}`, value: rss, unit: 'MB', by: 'report' });
    return rss;
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
  }
}

const rows = [];
const notes = [];
const loadStart = load();
for (const set of SETS) {
  const r = await benchSet(set);
  rows.push(...r.rows);
  notes.push(...r.notes);
}

const header = ['set', 'apps / containers', 'pass', 'median ms', 'p95 ms', 'writes', 'reloads', 'restarts', 'vs target'];
const body = rows.map(([set, size, label, median, p95, c, target]) => [
  set,
  size,
  label,
  median.toFixed(1),
  label.startsWith('no-op') ? p95.toFixed(1) : '',
  String(c.writes + c.removes),
  String(c.reloads),
  String(c.restarts),
  target,
]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const b of body) console.log(line(b));
console.log(`\n${new Date().toISOString()}, ${cpus().length} CPUs, load average (1/5/15 min) at the start ${loadStart}, at the end ${load()}`);
for (const n of notes) console.log(`- ${n}`);
if (wrong.length > 0) {
  console.log('\nWRONG: a no-op pass must change nothing, and these did:');
  for (const w of wrong) console.log(`  WRONG ${w}`);
}
printFigures();
