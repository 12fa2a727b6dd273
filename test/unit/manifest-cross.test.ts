import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { loadManifests } from '../../src/manifest/load.js';

const IMAGE = 'docker.io/library/nginx:1.27.4-alpine';
const HEALTH = 'health:\n  cmd: ["true"]\n';

/** A valid app `id` plus extra lines. */
function app(id: string, extra = ''): string {
  return `id: ${id}\nimage: ${IMAGE}\n${extra}`;
}

/** `text`'s lines indented by four more spaces (a container's fields under containers.NAME). */
function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '    ');
}

function problems(files: Record<string, string>, templates?: string[]): string[] {
  const sources = Object.entries(files).map(([name, text]) => ({ file: `manifests/${name}`, text }));
  return loadManifests(sources, templates ? { templates } : {}).problems.map(formatProblem);
}

describe('ids and file names', () => {
  test('the id must equal the file base name', () => {
    expect(problems({ 'lnd.yaml': app('lnd2') })).toEqual([
      'manifests/lnd.yaml:1:5 /id: id "lnd2" does not match the file name "lnd.yaml" (the file of app "lnd2" must be named lnd2.yaml; or set id: lnd)',
    ]);
    expect(problems({ 'lnd.yml': app('lnd') })).toEqual([]);
    // A file name that is no app id is not offered as one.
    expect(problems({ 'Lnd.yaml': app('lnd') })).toEqual(['manifests/Lnd.yaml:1:5 /id: id "lnd" does not match the file name "Lnd.yaml" (the file of app "lnd" must be named lnd.yaml)']);
  });

  test('an id is used by one file only', () => {
    expect(problems({ 'lnd.yaml': app('lnd'), 'lnd.yml': app('lnd') })).toEqual([
      'manifests/lnd.yml:1:5 /id: duplicate id "lnd": also used by manifests/lnd.yaml (each app id may be used once)',
    ]);
  });

  test('the units of an app of several containers are no other app\'s, and its network is no shared network', () => {
    const two = (id: string, extra = ''): string => `id: ${id}\ncontainers:\n  b:\n    image: ${IMAGE}\n  c:\n    image: ${IMAGE}\n${extra}`;
    expect(
      problems({
        'a.yaml': two('a'),
        'a-b.yaml': app('a-b', 'networks: [x]\n'),
        'x.yaml': two('x'),
      }),
    ).toEqual([
      'manifests/a.yaml:3:3 /containers/b: container b makes a-b.service, which is app "a-b" (manifests/a-b.yaml) (rename the container or that app)',
      'manifests/x.yaml:1:5 /id: the app\'s own network x.network is also a shared network of manifests/a-b.yaml (networks: [x]) (rename the shared network or the app)',
    ]);
  });

  test('the retired ui field says what replaced it', () => {
    expect(problems({ 'a.yaml': app('a', `ui:\n  id: a-ui\n  image: ${IMAGE}\n`) })).toEqual([
      "manifests/a.yaml:3:1 /ui: unknown field \"ui\": a web UI is one of the app's containers now (list the app's containers under containers (e.g. containers.ui, with dependsOn: [{container: NAME}]))",
    ]);
  });
});

describe('dependencies', () => {
  test('an unknown app is named, with the near one', () => {
    expect(problems({ 'bitcoin.yaml': app('bitcoin'), 'lnd.yaml': app('lnd', 'dependsOn:\n  - app: bitcoind\n') })).toEqual([
      'manifests/lnd.yaml:4:10 /dependsOn/0/app: unknown app "bitcoind" (did you mean "bitcoin"?) (known apps: bitcoin, lnd)',
    ]);
  });

  test('a container is not an app to depend on; a container of another app is named with its app', () => {
    const bitcoin = `id: bitcoin\ncontainers:\n  bitcoind:\n    image: ${IMAGE}\n    ${HEALTH.replace('\n  ', '\n      ')}  ui:\n    image: ${IMAGE}\n`;
    expect(problems({ 'bitcoin.yaml': bitcoin, 'lnd.yaml': app('lnd', 'dependsOn:\n  - app: bitcoin-bitcoind\n') })).toEqual([
      'manifests/lnd.yaml:4:10 /dependsOn/0/app: unknown app "bitcoin-bitcoind": it is container "bitcoind" of app "bitcoin" (depend on the app (app: bitcoin) or on that container (app: bitcoin, container: bitcoind))',
    ]);
    expect(problems({ 'bitcoin.yaml': bitcoin, 'lnd.yaml': app('lnd', 'dependsOn:\n  - app: bitcoin\n    container: bitcoind\n    condition: healthy\n') })).toEqual([]);
    expect(problems({ 'bitcoin.yaml': bitcoin, 'lnd.yaml': app('lnd', 'dependsOn:\n  - app: bitcoin\n    container: bitcoin\n  - app: bitcoin\n    container: ui\n    condition: healthy\n') })).toEqual([
      'manifests/lnd.yaml:5:16 /dependsOn/0/container: "bitcoin" has no container "bitcoin" (did you mean "bitcoind"?) (its containers: bitcoind, ui)',
      'manifests/lnd.yaml:8:16 /dependsOn/1/condition: cannot wait for "bitcoin/ui" to be healthy: it has no health check (add a health check to manifests/bitcoin.yaml or use condition: started)',
    ]);
  });

  test('between the containers of one app: a known sibling, that can be waited for as asked, and no cycle', () => {
    const text = [
      'id: web',
      'containers:',
      '  db:',
      `    image: ${IMAGE}`,
      '    dependsOn:',
      '      - container: api',
      '  migrate:',
      `    image: ${IMAGE}`,
      '    oneshot: true',
      '  api:',
      `    image: ${IMAGE}`,
      '    dependsOn:',
      '      - container: db',
      '        condition: healthy',
      '      - container: migrate',
      '        condition: completed',
      '      - container: api',
      '      - container: cache',
      '  front:',
      `    image: ${IMAGE}`,
      '    dependsOn:',
      '      - container: api',
      '        condition: completed',
      '',
    ].join('\n');
    expect(problems({ 'web.yaml': text })).toEqual([
      'manifests/web.yaml:13:20 /containers/api/dependsOn/0/container: dependency cycle: db → api → db (systemd cannot order a cycle; remove one of these dependencies)',
      'manifests/web.yaml:14:20 /containers/api/dependsOn/0/condition: cannot wait for "db" to be healthy: it has no health check (give it a health check or use condition: started)',
      'manifests/web.yaml:17:20 /containers/api/dependsOn/2/container: a container cannot depend on itself',
      'manifests/web.yaml:18:20 /containers/api/dependsOn/3/container: unknown container "cache" (containers of web: db, migrate, api, front)',
      'manifests/web.yaml:23:20 /containers/front/dependsOn/0/condition: cannot wait for "api" to be completed: it is no one-shot container (oneshot: true) (make it oneshot or use condition: started)',
    ]);
    expect(problems({ 'one.yaml': app('one', 'dependsOn:\n  - container: db\n') })).toEqual([
      'manifests/one.yaml:4:16 /dependsOn/0/container: a one-container app has no other container to wait for (list the containers under containers, or depend on an app)',
    ]);
  });

  test('an app in an invalid file still counts as known (no cascade)', () => {
    expect(problems({ 'bitcoin.yaml': app('bitcoin', 'restart: sometimes\n'), 'lnd.yaml': app('lnd', 'dependsOn:\n  - app: bitcoin\n') })).toEqual([
      'manifests/bitcoin.yaml:3:10 /restart: must be one of "no", "always", "on-failure", "on-abnormal", "on-abort", "on-watchdog", "on-success"',
    ]);
  });

  test('healthy needs a health check that gates the start', () => {
    expect(
      problems({
        'a.yaml': app('a'),
        'b.yaml': app('b', `${HEALTH}  gateStart: false\n`),
        'c.yaml': app('c', 'dependsOn:\n  - app: a\n    condition: healthy\n  - app: b\n    condition: healthy\n'),
      }),
    ).toEqual([
      'manifests/c.yaml:5:16 /dependsOn/0/condition: cannot wait for "a" to be healthy: it has no health check (add a health check to manifests/a.yaml or use condition: started)',
      'manifests/c.yaml:7:16 /dependsOn/1/condition: cannot wait for "b" to be healthy: its health.gateStart is false (add a health check to manifests/b.yaml or use condition: started)',
    ]);
    expect(problems({ 'a.yaml': app('a', HEALTH), 'c.yaml': app('c', 'dependsOn:\n  - app: a\n    condition: healthy\n') })).toEqual([]);
  });

  test('no self-dependency, no cycle, nothing absent', () => {
    expect(
      problems({
        'a.yaml': app('a', 'dependsOn:\n  - app: a\n  - app: b\n'),
        'b.yaml': app('b', 'dependsOn:\n  - app: c\n'),
        'c.yaml': app('c', 'dependsOn:\n  - app: a\n'),
        'd.yaml': app('d', 'dependsOn:\n  - app: gone\n'),
        'gone.yaml': app('gone', 'state: absent\n'),
      }),
    ).toEqual([
      'manifests/a.yaml:4:10 /dependsOn/0/app: an app cannot depend on itself',
      'manifests/c.yaml:4:10 /dependsOn/0/app: dependency cycle: a → b → c → a (systemd cannot order a cycle; remove one of these dependencies)',
      'manifests/d.yaml:4:10 /dependsOn/0/app: depends on "gone", which is absent (not installed) (install gone (state: running) or make this app absent too)',
    ]);
  });
});

describe('resources shared across the catalog', () => {
  test('a host port is bound once per protocol and address', () => {
    expect(
      problems({
        'a.yaml': `id: a\ncontainers:\n  web:\n    image: ${IMAGE}\n    ports:\n      - container: 80\n        host: 8080\n  ui:\n    image: ${IMAGE}\n    ports:\n      - container: 8080\n`,
        'b.yaml': app('b', 'ports:\n  - container: 8080\n    protocol: udp\n  - container: 9000\n    hostIp: 127.0.0.1\n  - container: 9000\n    hostIp: 127.0.0.2\n'),
        'c.yaml': app('c', 'ports:\n  - container: 90\n    host: 9000\n'),
        'd.yaml': app('d', 'state: absent\nports:\n  - container: 8080\n'),
      }),
    ).toEqual([
      'manifests/a.yaml:11:20 /containers/ui/ports/0/container: host port 8080/tcp is already bound by manifests/a.yaml /containers/web/ports/0 (pick another host port, or bind the two to different host addresses)',
      'manifests/c.yaml:5:11 /ports/0/host: host port 9000/tcp is already bound by manifests/b.yaml /ports/1 (pick another host port, or bind the two to different host addresses)',
    ]);
  });

  test('config files are written under the data directory, once, from a known template', () => {
    const cfg = (path: string, template = 'x.conf.hbs'): string => `  - template: ${template}\n    path: ${path}\n    target: /etc/x.conf\n`;
    expect(
      problems(
        {
          'a.yaml': app('a', `configs:\n${cfg('/etc/passwd')}${cfg('/var/lib/archipelago/a/x.conf', 'y.conf.hbs')}`),
          'b.yaml': app('b', `configs:\n${cfg('/var/lib/archipelago/a/x.conf')}`),
          'c.yaml': `id: c\ncontainers:\n  ui:\n    image: ${IMAGE}\n    configs:\n${indent(cfg('/var/lib/archipelago/c/ui/ok.conf'))}  other:\n    image: ${IMAGE}\n    configs:\n${indent(cfg('/var/lib/archipelago/c-ui/no.conf'))}`,
        },
        ['x.conf.hbs', 'z.conf.hbs'],
      ),
    ).toEqual([
      'manifests/a.yaml:5:11 /configs/0/path: must be under /var/lib/archipelago/a/ (the node writes config files only inside the app\'s data directory)',
      'manifests/a.yaml:7:15 /configs/1/template: unknown template "y.conf.hbs" (did you mean "x.conf.hbs"?) (templates: x.conf.hbs, z.conf.hbs)',
      'manifests/a.yaml:9:13 /configs/1/target: container path "/etc/x.conf" is already mounted by /configs/0/target (mount each container path once)',
      'manifests/b.yaml:5:11 /configs/0/path: must be under /var/lib/archipelago/b/ (the node writes config files only inside the app\'s data directory)',
      'manifests/b.yaml:5:11 /configs/0/path: config file /var/lib/archipelago/a/x.conf is already written by manifests/a.yaml /configs/1/path (each config file has one source; mount the same file from both places instead)',
      "manifests/c.yaml:13:15 /containers/other/configs/0/path: must be under /var/lib/archipelago/c/ (the node writes config files only inside the app's data directory)",
    ]);
  });

  test('one mount per container path, one volume per name; whole-second stop timeouts', () => {
    expect(problems({ 'a.yaml': app('a', 'volumes:\n  - name: v\n    target: /data\n  - name: v\n    target: /other\nbinds:\n  - source: /srv\n    target: /data\nstop:\n  timeout: 1500ms\n') })).toEqual([
      'manifests/a.yaml:6:11 /volumes/1/name: duplicate volume name "v" (also /volumes/0)',
      'manifests/a.yaml:10:13 /binds/0/target: container path "/data" is already mounted by /volumes/0/target (mount each container path once)',
      'manifests/a.yaml:12:12 /stop/timeout: must be a whole number of seconds (podman StopTimeout= counts seconds, e.g. 600s or 10m)',
    ]);
  });

  test('a health command does not start with Docker\'s CMD keyword (podman 5.4.2 would run "CMD" itself)', () => {
    expect(problems({ 'a.yaml': app('a', 'health:\n  cmd: [CMD, wget, -q, "http://127.0.0.1/"]\n') })).toEqual([
      'manifests/a.yaml:4:9 /health/cmd/0: must not be "CMD": the list is the command itself (drop "CMD" and write ["wget", "-q", "http://127.0.0.1/"])',
    ]);
    expect(problems({ 'b.yaml': `id: b\ncontainers:\n  ui:\n    image: ${IMAGE}\n    health:\n      cmd: [CMD, "true"]\n` })).toEqual([
      'manifests/b.yaml:6:13 /containers/ui/health/cmd/0: must not be "CMD": the list is the command itself (drop "CMD" and write ["true"])',
    ]);
  });

  test('nor with another word podman reads as a keyword, in any case (a shell, or no check at all)', () => {
    expect(problems({ 'a.yaml': app('a', 'health:\n  cmd: [cmd-shell, "curl -f localhost"]\n') })).toEqual([
      'manifests/a.yaml:4:9 /health/cmd/0: must not be "cmd-shell": podman reads it as a keyword (run a shell), and the list is the command itself (run the shell yourself: [sh, -c, "curl -f localhost"])',
    ]);
    expect(problems({ 'b.yaml': app('b', 'health:\n  cmd: [none]\n') }).map((p) => p.split(': ')[0])).toEqual(['manifests/b.yaml:4:9 /health/cmd/0']);
  });
});

describe('exports and environment references', () => {
  const exporter = `id: bitcoin\nimage: ${IMAGE}\nexports:\n  rpc.host: bitcoin\n  rpc.password: { secret: bitcoin-rpc-password }\n`;

  test('a reference names an app that exists and a value it exports; it orders like a dependency (cycles found)', () => {
    expect(
      problems({
        'bitcoin.yaml': `${exporter}environment:\n  LND: { app: lnd, export: grpc.host }\n`,
        'lnd.yaml': app('lnd', 'exports:\n  grpc.host: lnd\nenvironment:\n  A: { app: bitcoin, export: rpc.pass }\n  B: { app: bitcoind, export: rpc.host }\n  C: { app: bitcoin, export: rpc.host }\n'),
      }),
    ).toEqual([
      'manifests/lnd.yaml:6:13 /environment/A/app: dependency cycle: bitcoin → lnd → bitcoin (systemd cannot order a cycle; remove one of these dependencies)',
      'manifests/lnd.yaml:6:30 /environment/A/export: "bitcoin" exports no "rpc.pass" (its exports: rpc.host, rpc.password)',
      'manifests/lnd.yaml:7:13 /environment/B/app: unknown app "bitcoind" (did you mean "bitcoin"?) (known apps: bitcoin, lnd)',
    ]);
  });

  test('the value forms of an environment entry are exclusive, and app goes with export', () => {
    expect(problems({ 'a.yaml': app('a', 'environment:\n  X: { secret: a-key, node: hostname }\n  Y: { app: b }\n  Z: 8080\n') })).toEqual([
      'manifests/a.yaml:4:23 /environment/X/node: "secret" and "node" are mutually exclusive (keep one of them)',
      'manifests/a.yaml:5:6 /environment/Y: missing required field "export" (it goes with "app")',
      'manifests/a.yaml:6:6 /environment/Z: must be a string, not number 8080 (quote it: "8080")',
    ]);
  });
});

describe('onion services', () => {
  test('a port published as an onion service is reached by the Tor app on 127.0.0.1, over tcp', () => {
    expect(problems({ 'a.yaml': app('a', 'ports:\n  - container: 80\n    host: 3001\n    hostIp: 127.0.0.1\n    onion: 80\n  - container: 81\n    hostIp: 0.0.0.0\n    onion: 81\n  - container: 82\n    protocol: udp\n    onion: 82\n') })).toEqual([
      'manifests/a.yaml:10:12 /ports/1/onion: the Tor app reaches an onion service\'s port on 127.0.0.1, and this one is bound to 0.0.0.0 (bind it to 127.0.0.1 (or leave hostIp out))',
      'manifests/a.yaml:13:12 /ports/2/onion: an onion service carries tcp only (remove onion from this port)',
    ]);
  });
});

describe('the Tor app (onionServiceDir) and the onion.address export', () => {
  const TOR = 'onionServiceDir: /var/lib/archipelago/tor/data/hs\nhostNetwork: true\nbinds:\n  - source: /var/lib/archipelago/tor/data\n    target: /var/lib/tor\n';
  const WEB = 'ports:\n  - container: 80\n    host: 3001\n    onion: 80\n';

  test('a Tor app whose hidden service directory is inside its data bind is valid, and so is a template-only use of onion.address', () => {
    expect(problems({ 'tor.yaml': app('tor', TOR), 'web.yaml': app('web', WEB) })).toEqual([]);
  });

  test('the directory is under the app\'s data directory and inside one of its binds; one Tor per catalog', () => {
    expect(problems({ 'tor.yaml': app('tor', 'onionServiceDir: /srv/hs\n') })).toEqual([
      'manifests/tor.yaml:3:18 /onionServiceDir: must be under /var/lib/archipelago/tor/ (the app\'s data stays inside its data directory)',
      'manifests/tor.yaml:3:18 /onionServiceDir: is inside none of this app\'s binds: the node could not read the onion addresses tor writes (bind a host directory that contains it into the Tor container)',
    ]);
    expect(problems({ 'tor.yaml': app('tor', 'onionServiceDir: /var/lib/archipelago/tor/datahs\nbinds:\n  - source: /var/lib/archipelago/tor/data\n    target: /var/lib/tor\n') })).toEqual([
      'manifests/tor.yaml:3:18 /onionServiceDir: is inside none of this app\'s binds: the node could not read the onion addresses tor writes (binds: /var/lib/archipelago/tor/data)',
    ]);
    expect(problems({ 'tor.yaml': app('tor', TOR), 'tor2.yaml': app('tor2', TOR.replaceAll('/tor/', '/tor2/')) })).toEqual([
      'manifests/tor2.yaml:3:18 /onionServiceDir: manifests/tor.yaml already publishes the node\'s onion services (onionServiceDir) (one app of the catalog publishes them; remove onionServiceDir from one)',
    ]);
  });

  test('onion.address is no export an app declares, and no environment value (it exists only once tor has run)', () => {
    expect(problems({ 'web.yaml': app('web', `${WEB}exports:\n  onion.address: x.onion\n`) })).toEqual([
      'manifests/web.yaml:8:3 /exports/onion.address: onion.address is the app\'s onion address, which the node reads from its Tor app (remove it; publish a port over Tor with onion: <virtual port> instead)',
    ]);
    expect(problems({ 'web.yaml': app('web', WEB), 'feed.yaml': app('feed', 'environment:\n  WEB_ONION: { app: web, export: onion.address }\n') })).toEqual([
      'manifests/feed.yaml:4:34 /environment/WEB_ONION/export: the onion address is known only once tor has run, so it cannot be an environment value (take it in a config template: {{export "web" "onion.address"}})',
    ]);
  });
});
