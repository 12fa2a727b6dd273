// Generated apps for the no-op benchmark, a mix like a real node's catalog (about 40 % of apps of several containers):
//   - apps 0, 2, 5, 7, … (2 of every 5) have several containers, cycling through three shapes:
//       2: db (health-gated) ← api (condition: healthy)
//       3: db (health-gated) ← migrate (one-shot, condition: healthy) ← api (condition: completed)
//       4: the same and a web container after api, with an nginx config file rendered from a template;
//   - the others have one container; 1 in 6 is health-gated, 1 in 3 has a config file (bitcoin.conf, with its
//     rpcauth secret), 1 in 5 publishes a port on 127.0.0.1, 1 in 10 is on a shared network.
// Every container is busybox: a shell that sleeps until SIGTERM and exits 0 then. Health checks run every 60 s
// (the first one runs at the start, which the gate waits for): enough to gate, light on a small machine.

const SLEEP = "trap 'exit 0' TERM; sleep 2147483647 & wait";
const READY = "trap 'exit 0' TERM; touch /tmp/ready; sleep 2147483647 & wait";
const HEALTH = `    health:
      cmd: [test, -f, /tmp/ready]
      interval: 60s
      timeout: 5s
      retries: 3
`;

/** @param {string} script */
const sh = (script) => `[sh, -c, ${JSON.stringify(script)}]`;

/**
 * One container's fields, indented for `containers.<name>` (indent 4) or the top level (indent 0).
 * @param {{ image: string, script: string, health?: boolean, extra?: string }} c
 */
function fields(c) {
  return `    image: ${c.image}
    command: ${sh(c.script)}
    environment:
      BENCH: "1"
    stop:
      timeout: 2s
    labels:
      org.archipelago.bench: generated
${c.health ? HEALTH : ''}${c.extra ?? ''}`;
}

const topLevel = (/** @type {string} */ text) => text.replace(/^ {4}/gm, '');

/**
 * @param {string} id
 * @param {number} size 2, 3 or 4
 * @param {string} image
 */
function multi(id, size, image) {
  const db = fields({ image, script: READY, health: true });
  const migrate = fields({
    image,
    script: 'echo migrated',
    extra: '    oneshot: true\n    dependsOn:\n      - container: db\n        condition: healthy\n',
  });
  const apiAfter = size === 2 ? '      - container: db\n        condition: healthy\n' : '      - container: migrate\n        condition: completed\n';
  const api = fields({ image, script: SLEEP, extra: `    dependsOn:\n${apiAfter}` });
  const web = fields({
    image,
    script: SLEEP,
    extra: `    configs:
      - template: ui-static.nginx.conf.hbs
        path: /var/lib/archipelago/${id}/web/default.conf
        target: /etc/nginx/conf.d/default.conf
    dependsOn:
      - container: api
`,
  });
  const parts = [`  db:\n${db}`];
  if (size >= 3) parts.push(`  migrate:\n${migrate}`);
  parts.push(`  api:\n${api}`);
  if (size === 4) parts.push(`  web:\n${web}`);
  return `id: ${id}\ncontainers:\n${parts.join('')}`;
}

/**
 * @param {string} id
 * @param {number} k the index among one-container apps
 * @param {string} image
 */
function single(id, k, image) {
  const health = k % 6 === 0;
  let extra = '';
  if (k % 3 === 1) {
    extra += `    configs:
      - template: bitcoin.conf.hbs
        path: /var/lib/archipelago/${id}/app.conf
        target: /etc/app/app.conf
`;
  }
  if (k % 5 === 2) extra += `    ports:\n      - container: 8080\n        host: ${20000 + k}\n        hostIp: 127.0.0.1\n`;
  if (k % 10 === 3) extra += '    networks: [benchshared]\n';
  return `id: ${id}\n${topLevel(fields({ image, script: health ? READY : SLEEP, health, extra }))}`;
}

/**
 * `n` generated manifests (see the file's header).
 * @param {number} n
 * @param {string} image the busybox image
 * @returns {{ files: Map<string, string>, apps: number, multi: number, containers: number, oneshots: number, gated: number, withConfigs: number }}
 */
export function generatedApps(n, image) {
  const files = new Map();
  const counts = { apps: n, multi: 0, containers: 0, oneshots: 0, gated: 0, withConfigs: 0 };
  let singles = 0;
  for (let i = 0; i < n; i++) {
    const id = `gen${String(i).padStart(3, '0')}`;
    if (i % 5 === 0 || i % 5 === 2) {
      const size = 2 + (counts.multi % 3);
      files.set(`${id}.yaml`, multi(id, size, image));
      counts.multi++;
      counts.containers += size;
      counts.oneshots += size >= 3 ? 1 : 0;
      counts.gated += 1;
      counts.withConfigs += size === 4 ? 1 : 0;
    } else {
      const k = singles++;
      files.set(`${id}.yaml`, single(id, k, image));
      counts.containers += 1;
      counts.gated += k % 6 === 0 ? 1 : 0;
      counts.withConfigs += k % 3 === 1 ? 1 : 0;
    }
  }
  return { files, ...counts };
}
