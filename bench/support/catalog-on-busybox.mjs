// The node's catalog (every manifest in a directory), made runnable on the test host, which has no registry and
// only a busybox image. Per container, only what cannot run there is swapped:
//   - image → the busybox image, `build` dropped, `entrypoint` dropped;
//   - command → a long-running busybox shell that answers / and /healthz over HTTP on 80, 8099 and the container's
//     own ports, the way the real daemon would keep running and answer;
//   - a health command that is not an HTTP check (`wget`, which the stand-in answers) → `wget` of that /healthz:
//     the daemon's own tool (bitcoin-cli, lncli, electrumx_rpc), or a check of what only the daemon makes (tor's
//     hostname files, which a shell of busybox's could run but which would never pass); an HTTP check (the UIs'
//     `wget … /healthz`) is kept as it is; every interval, timeout and retry count is kept;
//   - `memory` dropped: the host's cgroup has no memory controller, and podman's --memory fails there;
// Everything else stays: ports, binds, configs and their templates and secrets, networks, hosts, security,
// dependsOn and its conditions, stop signals and timeouts, start timeouts, restart, labels, raw Quadlet keys.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/** Port on which every swapped container answers /healthz, beside 80. */
export const HEALTH_PORT = 8099;

/**
 * The busybox command a swapped container runs: answers / and /healthz on 80, {@link HEALTH_PORT} and the
 * container's own ports (where it may bind them: below 1024 needs root's capability), exits 0 on SIGTERM at once.
 * @param {readonly number[]} ports
 */
export function serveHealthz(ports) {
  const serve = [...new Set([80, HEALTH_PORT, ...ports])].map((p) => `httpd -p ${p} -h /tmp/www 2>/dev/null; `).join('');
  return `trap 'exit 0' TERM; mkdir -p /tmp/www; echo ok > /tmp/www/healthz; echo ok > /tmp/www/index.html; ${serve}sleep 2147483647 & wait`;
}

/**
 * Reads every manifest in `dir` and swaps what the test host cannot run (see the file's header).
 * @param {string} dir the catalog's manifests directory
 * @param {string} image the busybox image
 * @param {readonly string[]} applets the commands the busybox image has
 * @returns {{ files: Map<string, string>, binds: string[], swaps: string[], apps: number, containers: number }}
 *   manifest texts by file name; bind sources the node must have; one line per app saying what was swapped
 */
export function catalogOnBusybox(dir, image, applets) {
  const files = new Map();
  const binds = [];
  const swaps = [];
  let containers = 0;
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    const m = parse(readFileSync(join(dir, file), 'utf8'));
    const byName = m.containers ?? { [m.id]: m };
    const swapped = [];
    for (const [name, c] of Object.entries(byName)) {
      containers++;
      const what = ['image', 'command'];
      c.image = image;
      delete c.build;
      if (c.entrypoint) {
        delete c.entrypoint;
        what.push('entrypoint');
      }
      c.command = ['sh', '-c', serveHealthz((c.ports ?? []).map((p) => p.container))];
      if (c.health && !(c.health.cmd[0] === 'wget' && applets.includes('wget'))) {
        what.push(`health cmd (${c.health.cmd[0]})`);
        c.health.cmd = ['wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${HEALTH_PORT}/healthz`];
      }
      for (const key of ['memory']) {
        if (c[key] === undefined) continue;
        delete c[key];
        what.push(key);
      }
      for (const b of c.binds ?? []) binds.push(b.source);
      swapped.push(`${name}: ${what.join(', ')}`);
    }
    files.set(file, stringify(m, { lineWidth: 0 }));
    swaps.push(`${m.id} (${swapped.join('; ')})`);
  }
  return { files, binds, swaps, apps: files.size, containers };
}
