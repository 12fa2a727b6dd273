// What the benchmarks that run `serve` as its own process share: a free port to give it, and its resident memory.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/**
 * The node flags `serve` runs with as the package installs it: those between `/usr/bin/node` and the script in the
 * system unit's ExecStart= (packaging/archy-quadlet.service). `ARCHY_BENCH_SERVE_NODE_FLAGS` replaces them (empty:
 * none), for memory experiments.
 */
export function serveNodeFlags(repo) {
  const env = process.env.ARCHY_BENCH_SERVE_NODE_FLAGS;
  if (env !== undefined) return env.split(' ').filter(Boolean);
  const unit = readFileSync(join(repo, 'packaging/archy-quadlet.service'), 'utf8');
  const m = /^ExecStart=\/usr\/bin\/node((?: --\S+)*) \S+/m.exec(unit);
  return m ? m[1].split(' ').filter(Boolean) : [];
}

/** The resident memory of process `pid` (VmRSS), MB. */
export const rssMb = (pid) => memoryMb(pid).rss;

/**
 * The resident memory of process `pid` and its parts, MB, from `/proc/PID/status` (proc(5)): `rss` (VmRSS) =
 * `anon` (RssAnon: the V8 heap, buffers, libuv) + `file` (RssFile: the pages of the node binary and the libraries
 * it mapped) + `shmem` (RssShmem).
 */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}
