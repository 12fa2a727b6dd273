import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { loadManifests } from '../../src/manifest/load.js';

const IMAGE = 'docker.io/library/nginx:1.27.4-alpine';

/** Loads `files` (name → text, under manifests/) and returns the formatted problems. */
function problems(files: Record<string, string>, templates?: string[]): string[] {
  const sources = Object.entries(files).map(([name, text]) => ({ file: `manifests/${name}`, text }));
  return loadManifests(sources, templates ? { templates } : {}).problems.map(formatProblem);
}

/** One manifest `app.yaml` with the given extra lines after a valid id and image. */
function one(extra: string): string[] {
  return problems({ 'app.yaml': `id: app\nimage: ${IMAGE}\n${extra}` });
}

describe('schema problems', () => {
  test('a valid minimal manifest has none and is returned as parsed', () => {
    const r = loadManifests([{ file: 'manifests/app.yaml', text: `id: app\nimage: ${IMAGE}\n` }]);
    expect(r.problems).toEqual([]);
    expect(r.manifests.map((m) => [m.file, m.manifest])).toEqual([['manifests/app.yaml', { id: 'app', image: IMAGE }]]);
  });

  test('unknown field points at the key and suggests the near one; the misspelt field is not also reported missing', () => {
    expect(problems({ 'app.yaml': 'id: app\nimagee: docker.io/x/y:1\n' })).toEqual(['manifests/app.yaml:2:1 /imagee: unknown field "imagee" (did you mean "image"?)']);
    expect(one('health:\n  cmdd: [x]\n')).toEqual(['manifests/app.yaml:4:3 /health/cmdd: unknown field "cmdd" (did you mean "cmd"?)']);
    expect(problems({ 'app.yaml': 'id: app\nimg: docker.io/x/y:1\n' })).toEqual(['manifests/app.yaml:2:1 /img: unknown field "img" (did you mean "image"?)']);
    expect(problems({ 'app.yaml': 'id: app\ncontainer: docker.io/x/y:1\n' })).toEqual(['manifests/app.yaml:2:1 /container: unknown field "container" (did you mean "containers"?)']);
    expect(problems({ 'app.yaml': 'id: app\nwidget: docker.io/x/y:1\n' })).toEqual([
      'manifests/app.yaml:1:1 /: missing "image" or "build" or "containers" (exactly one is required)',
      'manifests/app.yaml:2:1 /widget: unknown field "widget" (allowed fields: id, name, description, version, icon, web, state, instances, containers, exports, onionServiceDir, image, build, command, entrypoint, workingDir, user, environment, secrets, ports, volumes, binds, configs, networks, hostNetwork, hosts, hostname, init, shmSize, ulimits, devices, tmpfs, sysctls, privileged, acknowledge, security, health, dependsOn, oneshot, stop, startTimeout, memory, labels, autoUpdate, restart, quadlet)',
    ]);
  });

  test('unknown nested field with no near match lists the allowed fields', () => {
    expect(one('stop:\n  grace: 10s\n')).toEqual(['manifests/app.yaml:4:3 /stop/grace: unknown field "grace" (allowed fields: signal, timeout)']);
  });

  test('missing required field points at the parent object', () => {
    expect(one('health:\n  interval: 30s\n')).toEqual(['manifests/app.yaml:4:3 /health: missing required field "cmd"']);
    expect(problems({ 'app.yaml': `image: ${IMAGE}\n` })).toEqual(['manifests/app.yaml:1:1 /: missing required field "id" (add "id: app" (the file\'s base name))']);
  });

  test('image, build and containers are exclusive, and one is required; so are a container\'s image and build', () => {
    expect(problems({ 'app.yaml': 'id: app\n' })).toEqual(['manifests/app.yaml:1:1 /: missing "image" or "build" or "containers" (exactly one is required)']);
    expect(one('containers:\n  db:\n    image: docker.io/x/y:1\n')).toEqual([
      'manifests/app.yaml:3:1 /containers: "image" and "containers" are mutually exclusive (keep one of them)',
    ]);
    expect(problems({ 'app.yaml': 'id: app\ncontainers:\n  db:\n    command: [x]\n' })).toEqual([
      'manifests/app.yaml:4:5 /containers/db: missing "image" or "build" (exactly one is required)',
    ]);
    expect(one('build:\n  context: /srv/app\n  tag: localhost/app:1\n')).toEqual([
      'manifests/app.yaml:3:1 /build: "image" and "build" are mutually exclusive (keep one of them)',
    ]);
  });

  test('durations quote the pattern with examples', () => {
    expect(one('stop:\n  timeout: 10 min\n')).toEqual(['manifests/app.yaml:4:12 /stop/timeout: must match "^[0-9]+(ms|s|m|h)$" (e.g. 30s, 10m)']);
    expect(one('health:\n  cmd: [true]\n  interval: 1.5s\n')).toEqual([
      'manifests/app.yaml:4:9 /health/cmd/0: must be a string, not boolean true (quote it: "true")',
      'manifests/app.yaml:5:13 /health/interval: must match "^[0-9]+(ms|s|m|h)$" (e.g. 30s, 10m)',
    ]);
  });

  test('memory sizes must be IEC', () => {
    expect(one('memory: 128MB\n')).toEqual(['manifests/app.yaml:3:9 /memory: must match "^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$" (e.g. 128Mi, 1Gi, 512Ki)']);
    expect(one('memory: 0Mi\n')).toEqual(['manifests/app.yaml:3:9 /memory: must match "^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$" (e.g. 128Mi, 1Gi, 512Ki)']);
    expect(one('memory: 9000Ti\n')).toEqual(['manifests/app.yaml:3:9 /memory: memory size "9000Ti" is too large']);
  });

  test('ids are DNS labels: no path tricks, no spaces', () => {
    const hint = "(A DNS label: 1-63 lowercase letters, digits and '-', not starting or ending with '-')";
    expect(problems({ 'app.yaml': `id: ../x\nimage: ${IMAGE}\n` })).toEqual([`manifests/app.yaml:1:5 /id: must be a DNS label (e.g. bitcoin, lnd, bitcoin-ui) ${hint}`]);
    expect(problems({ 'app.yaml': `id: a b\nimage: ${IMAGE}\n` })[0]).toBe(`manifests/app.yaml:1:5 /id: must be a DNS label (e.g. bitcoin, lnd, bitcoin-ui) ${hint}`);
    expect(problems({ 'app.yaml': `id: App\nimage: ${IMAGE}\n` })[0]).toBe(`manifests/app.yaml:1:5 /id: must be a DNS label (e.g. bitcoin, lnd, bitcoin-ui) ${hint}`);
  });

  test('images are fully qualified and pinned by tag or digest', () => {
    const bad = (image: string): string[] => problems({ 'app.yaml': `id: app\nimage: "${image}"\n` });
    const message =
      'manifests/app.yaml:2:8 /image: must be a fully qualified image reference (e.g. docker.io/library/nginx:1.27.4-alpine, quay.io/org/app@sha256:<64 hex>) (registry/name:tag or registry/name@sha256:<64 hex>. The registry is required (short names resolve differently per host) and so is a tag or digest (no implicit :latest))';
    for (const image of ['nginx:1.27', 'docker.io/library/nginx', 'docker.io/library/nginx:1.27 ', 'docker.io/library/Nginx:1', 'docker.io/x/y@sha256:abc', 'docker.io/x/y:-1']) {
      expect(bad(image), image).toEqual([message]);
    }
    expect(bad('docker.io/x/y:1\\nExec=/bin/sh')).toEqual([
      'manifests/app.yaml:2:8 /image: must not contain control characters or newlines (a newline or control character could add a key to a unit file)',
    ]);
    for (const image of ['localhost/app:1', 'quay.io/org/app@sha256:' + 'a'.repeat(64), 'registry.local:5000/a/b_c-d:v1.0', 'ghcr.io/o/i:1@sha256:' + '0'.repeat(64)]) {
      expect(bad(image), image).toEqual([]);
    }
  });

  test('paths are absolute without dot segments', () => {
    const message = "must be an absolute path (e.g. /var/lib/archipelago/bitcoin, /home/bitcoin/.bitcoin) (An absolute path without '.' or '..' segments, '//', a trailing '/', ':' or ',')";
    for (const path of ['relative/x', '/var/../etc', '/var/./x', '/var//x', '/var/x/', '/a:b', '..']) {
      expect(one(`binds:\n  - source: ${path}\n    target: /data\n`), path).toEqual([`manifests/app.yaml:4:13 /binds/0/source: ${message}`]);
    }
    expect(one('binds:\n  - source: /var/..x/...\n    target: /data\n')).toEqual([]);
  });

  test('no string anywhere may carry a newline or control character', () => {
    expect(one('description: "one\\ntwo"\nenvironment:\n  A: "x\\u0007"\ncommand: ["a\\rb"]\nquadlet:\n  Unit:\n    Documentation: ["ok", "x\\ny"]\n')).toEqual([
      'manifests/app.yaml:3:14 /description: must not contain control characters or newlines (a newline or control character could add a key to a unit file)',
      'manifests/app.yaml:5:6 /environment/A: must not contain control characters or newlines (a newline or control character could add a key to a unit file)',
      'manifests/app.yaml:6:11 /command/0: must not contain control characters or newlines (a newline or control character could add a key to a unit file)',
      'manifests/app.yaml:9:27 /quadlet/Unit/Documentation/1: must not contain control characters or newlines (a newline or control character could add a key to a unit file)',
    ]);
  });

  test('enums list their values and suggest the near one', () => {
    expect(one('state: runing\n')).toEqual(['manifests/app.yaml:3:8 /state: must be one of "running", "stopped", "absent" (did you mean "running"?)']);
    expect(one('stop:\n  signal: SIGTREM\n')).toEqual([
      'manifests/app.yaml:4:11 /stop/signal: "SIGTREM" is not one of the 15 allowed values (did you mean "SIGTERM"?) (allowed: SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGKILL, SIGABRT, SIGALRM, SIGPWR, SIGWINCH, SIGCONT, SIGSTOP, SIGTSTP, SIGPIPE)',
    ]);
    expect(one('security:\n  capAdd: [CAP_NET_ADMIN]\n')).toEqual([
      'manifests/app.yaml:4:12 /security/capAdd/0: "CAP_NET_ADMIN" is not one of the 42 allowed values (did you mean "NET_ADMIN"?) (A Linux capability without the CAP_ prefix (capabilities(7)), or ALL)',
    ]);
  });

  test('environment names are checked at the key; numbers must be quoted', () => {
    expect(one('environment:\n  bad-name: x\n  PORT: 8080\n')).toEqual([
      'manifests/app.yaml:4:3 /environment/bad-name: invalid name "bad-name": must match "^[A-Za-z_][A-Za-z0-9_]*$" (e.g. BITCOIN_NETWORK)',
      'manifests/app.yaml:5:9 /environment/PORT: must be a string, not number 8080 (quote it: "8080")',
    ]);
  });

  test('a duration written as a number: the hint gives it its unit, since "30" would be refused too', () => {
    expect(one('health:\n  cmd: ["true"]\n  interval: 30\n')).toEqual(['manifests/app.yaml:5:13 /health/interval: must be a string, not number 30 (give it its unit: "30s")']);
    expect(one('health:\n  cmd: ["true"]\n  interval: "30s"\n')).toEqual([]);
  });

  test('secrets are mounted or exposed, not both', () => {
    expect(one('secrets:\n  - name: db\n    env: DB_PASSWORD\n    target: /run/db\n')).toEqual([
      'manifests/app.yaml:4:5 /secrets/0: "env" and "target" are mutually exclusive (keep one of them)',
    ]);
  });

  test('ports are in range, lists hold no duplicates, arrays are not empty', () => {
    expect(one('ports:\n  - container: 0\n  - container: 65536\nnetworks: [archy, archy]\ncommand: []\n')).toEqual([
      'manifests/app.yaml:4:16 /ports/0/container: must be >= 1',
      'manifests/app.yaml:5:16 /ports/1/container: must be <= 65535',
      'manifests/app.yaml:6:19 /networks/1: duplicate of item 0 (list each value once)',
      'manifests/app.yaml:7:10 /command: must not be empty',
    ]);
  });

  test('wrong types name what was found', () => {
    expect(one('ports: 8080\nlabels: [a]\nhealth:\n  cmd: wget\n  retries: "3"\n')).toEqual([
      'manifests/app.yaml:3:8 /ports: must be a list, not number 8080',
      'manifests/app.yaml:4:9 /labels: must be a mapping of fields, not a list',
      'manifests/app.yaml:6:8 /health/cmd: must be a list, not the string "wget"',
      'manifests/app.yaml:7:12 /health/retries: must be an integer, not the string "3"',
    ]);
  });

  test('an empty value points at its key', () => {
    expect(problems({ 'app.yaml': 'id: app\nimage:\n' })).toEqual(['manifests/app.yaml:2:1 /image: must be a string, not an empty value']);
  });

  test('acknowledge: only the warnings there are, each with a reason', () => {
    expect(problems({ 'tor.yaml': 'id: tor\nimage: docker.io/getumbrel/tor:0.4.7.8\nhostNetwork: true\nacknowledge:\n  hostnetwork: x\n  privileged: ""\n' })).toEqual([
      'manifests/tor.yaml:5:3 /acknowledge/hostnetwork: unknown field "hostnetwork" (did you mean "hostNetwork"?)',
      'manifests/tor.yaml:6:15 /acknowledge/privileged: must NOT have fewer than 1 characters',
    ]);
  });

  test('quadlet escape hatch: known sections, PascalCase keys, string or list values', () => {
    expect(one('quadlet:\n  Container:\n    podmanArgs: --x\n    Tmpfs: [/run, /tmp]\n    Ulimit: 5\n  Exec:\n    X: y\n')).toEqual([
      'manifests/app.yaml:5:5 /quadlet/Container/podmanArgs: invalid name "podmanArgs": must match "^[A-Z][A-Za-z0-9]*$" (e.g. PodmanArgs)',
      'manifests/app.yaml:7:13 /quadlet/Container/Ulimit: must be a string or a list, not number 5 (quote it: "5")',
      'manifests/app.yaml:8:3 /quadlet/Exec: unknown field "Exec" (allowed fields: Unit, Container, Service, Install)',
    ]);
  });

  test('container names are DNS labels, and <app id>-<name> must stay one (it names the unit)', () => {
    expect(problems({ 'app.yaml': `id: app\ncontainers:\n  Db:\n    image: ${IMAGE}\n` })).toEqual([
      "manifests/app.yaml:3:3 /containers/Db: invalid name \"Db\": must be a DNS label (e.g. bitcoin, lnd, bitcoin-ui) (A DNS label: 1-63 lowercase letters, digits and '-', not starting or ending with '-')",
    ]);
    const long = 'c'.repeat(60);
    expect(problems({ 'app.yaml': `id: app\ncontainers:\n  ${long}:\n    image: ${IMAGE}\n` })).toEqual([
      `manifests/app.yaml:3:3 /containers/${long}: the unit name app-${long} is longer than a DNS label (63 characters) (shorten the container name or the app id)`,
    ]);
  });

  test('with containers, a container field at the top level is a problem at its key', () => {
    expect(problems({ 'app.yaml': `id: app\ncontainers:\n  db:\n    image: ${IMAGE}\nports:\n  - container: 80\n` })).toEqual([
      'manifests/app.yaml:5:1 /ports: "ports" is a container\'s field, and this app lists its containers (move it under containers.<name>)',
    ]);
  });
});

describe('YAML problems', () => {
  test('syntax errors give line and column', () => {
    expect(problems({ 'app.yaml': 'id: app\nimage: [docker.io/x/y:1\nstop: {}\n' })).toEqual([
      'manifests/app.yaml:3:1 /: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(problems({ 'app.yaml': 'id: app\n  image: x\n' })).toEqual([
      'manifests/app.yaml:1:5 /: YAML syntax error: Nested mappings are not allowed in compact mappings',
      'manifests/app.yaml:1:5 /: YAML syntax error: Implicit keys need to be on a single line',
    ]);
  });

  test('duplicate keys are reported at the second one, with their path', () => {
    expect(one('health:\n  cmd: [a]\n  cmd: [b]\nid: app\n')).toEqual([
      'manifests/app.yaml:5:3 /health/cmd: duplicate field "cmd" (each field may appear once; remove one of them)',
      'manifests/app.yaml:6:1 /id: duplicate field "id" (each field may appear once; remove one of them)',
    ]);
  });

  test('one document per file', () => {
    expect(problems({ 'app.yaml': `id: app\nimage: ${IMAGE}\n---\nid: other\n` })).toEqual([
      'manifests/app.yaml:3:1 /: more than one YAML document in this file (one app per file: move each document to its own <id>.yaml)',
    ]);
  });

  test('empty files and non-mapping roots', () => {
    expect(problems({ 'a.yaml': '', 'b.yaml': '# only a comment\n', 'c.yaml': '- id: c\n', 'd.yaml': 'just text\n', 'e.yaml': '---\n' })).toEqual([
      'manifests/a.yaml:1:1 /: empty manifest (start with "id: a")',
      'manifests/b.yaml:1:1 /: empty manifest (start with "id: b")',
      'manifests/c.yaml:1:1 /: must be a mapping of fields, not a list (start with "id: c")',
      'manifests/d.yaml:1:1 /: must be a mapping of fields, not a string (start with "id: d")',
      'manifests/e.yaml:1:1 /: empty manifest (start with "id: e")',
    ]);
  });

  test('aliases resolve; an unknown one is a problem', () => {
    expect(problems({ 'app.yaml': `id: app\ncontainers:\n  a:\n    image: &img ${IMAGE}\n  b:\n    image: *img\n` })).toEqual([]);
    expect(problems({ 'app.yaml': `id: app\nimage: *nope\n` })).toEqual([
      'manifests/app.yaml:1:1 /: YAML: Unresolved alias (the anchor must be set before the alias): nope',
    ]);
  });
});

describe('collecting every problem', () => {
  test('three mistakes in one file are three problems, in line order', () => {
    expect(one('state: on\nmemory: 1GB\nports:\n  - container: 80\n    hots: 8080\n')).toEqual([
      'manifests/app.yaml:3:8 /state: must be one of "running", "stopped", "absent"',
      'manifests/app.yaml:4:9 /memory: must match "^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$" (e.g. 128Mi, 1Gi, 512Ki)',
      'manifests/app.yaml:7:5 /ports/0/hots: unknown field "hots" (did you mean "host"?)',
    ]);
  });

  test('two bad files both report, in file order, and neither is returned', () => {
    const r = loadManifests([
      { file: 'manifests/a.yaml', text: `id: a\nimage: ${IMAGE}\nrestart: sometimes\n` },
      { file: 'manifests/b.yaml', text: `id: b\nimage: ${IMAGE}\nuser: "root user"\n` },
      { file: 'manifests/c.yaml', text: `id: c\nimage: ${IMAGE}\n` },
    ]);
    expect(r.problems.map(formatProblem)).toEqual([
      'manifests/a.yaml:3:10 /restart: must be one of "no", "always", "on-failure", "on-abnormal", "on-abort", "on-watchdog", "on-success"',
      'manifests/b.yaml:3:7 /user: must be a uid, uid:gid or user name (e.g. 1000, 1000:1000, bitcoin) (uid, uid:gid or a user name inside the image. Quadlet User=/Group=)',
    ]);
    expect(r.manifests.map((m) => m.file)).toEqual(['manifests/c.yaml']);
  });
});
