import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { loadManifests } from '../../src/manifest/load.js';

const IMAGE = 'docker.io/library/nginx:1.27.4-alpine';
const HEALTH = 'health:\n  cmd: ["true"]\n';

/** A valid app `id` plus extra lines. */
function app(id: string, extra = ''): string {
  return `id: ${id}\nimage: ${IMAGE}\n${extra}`;
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
  });

  test('an id is used by one file only', () => {
    expect(problems({ 'lnd.yaml': app('lnd'), 'lnd.yml': app('lnd') })).toEqual([
      'manifests/lnd.yml:1:5 /id: duplicate id "lnd": also used by manifests/lnd.yaml (each app id may be used once)',
    ]);
  });

  test('companion ids collide with neither apps, other companions, nor app unit names', () => {
    const ui = (id: string): string => `ui:\n  id: ${id}\n  image: ${IMAGE}\n`;
    expect(
      problems({
        'a.yaml': app('a', ui('b')),
        'b.yaml': app('b', ui('shared-ui')),
        'c.yaml': app('c', ui('shared-ui')),
        'archy-d-ui.yaml': app('archy-d-ui'),
        'd.yaml': app('d', ui('d-ui')),
        'e.yaml': app('e', ui('e')),
      }),
    ).toEqual([
      'manifests/a.yaml:4:7 /ui/id: companion id "b" is already used by manifests/b.yaml (app and companion ids share one name space; pick another)',
      'manifests/c.yaml:4:7 /ui/id: companion id "shared-ui" is already used by manifests/b.yaml (app and companion ids share one name space; pick another)',
      'manifests/d.yaml:4:7 /ui/id: companion unit archy-d-ui.container collides with app "archy-d-ui" (manifests/archy-d-ui.yaml) (pick another companion id)',
      'manifests/e.yaml:4:7 /ui/id: companion id "e" is already used by manifests/e.yaml (app and companion ids share one name space; pick another)',
    ]);
  });
});

describe('dependencies', () => {
  test('an unknown app is named, with the near one', () => {
    expect(problems({ 'bitcoin.yaml': app('bitcoin'), 'lnd.yaml': app('lnd', 'dependsOn:\n  - app: bitcoind\n') })).toEqual([
      'manifests/lnd.yaml:4:10 /dependsOn/0/app: unknown app "bitcoind" (did you mean "bitcoin"?) (known apps: bitcoin, lnd)',
    ]);
  });

  test('a companion is not an app to depend on', () => {
    expect(problems({ 'bitcoin.yaml': app('bitcoin', `ui:\n  id: bitcoin-ui\n  image: ${IMAGE}\n`), 'lnd.yaml': app('lnd', 'dependsOn:\n  - app: bitcoin-ui\n') })).toEqual([
      'manifests/lnd.yaml:4:10 /dependsOn/0/app: unknown app "bitcoin-ui" ("bitcoin-ui" is the companion of "bitcoin"; depend on "bitcoin")',
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
        'a.yaml': app('a', `ports:\n  - container: 80\n    host: 8080\nui:\n  id: a-ui\n  image: ${IMAGE}\n  ports:\n    - container: 8080\n`),
        'b.yaml': app('b', 'ports:\n  - container: 8080\n    protocol: udp\n  - container: 9000\n    hostIp: 127.0.0.1\n  - container: 9000\n    hostIp: 127.0.0.2\n'),
        'c.yaml': app('c', 'ports:\n  - container: 90\n    host: 9000\n'),
        'd.yaml': app('d', 'state: absent\nports:\n  - container: 8080\n'),
      }),
    ).toEqual([
      'manifests/a.yaml:10:18 /ui/ports/0/container: host port 8080/tcp is already bound by manifests/a.yaml /ports/0 (pick another host port, or bind the two to different host addresses)',
      'manifests/c.yaml:5:11 /ports/0/host: host port 9000/tcp is already bound by manifests/b.yaml /ports/1 (pick another host port, or bind the two to different host addresses)',
    ]);
  });

  test('config files are written under the data directory, once, from a known template', () => {
    const cfg = (path: string, template = 'x.conf.hbs'): string => `  - template: ${template}\n    path: ${path}\n    target: /etc/x.conf\n`;
    expect(
      problems(
        {
          'a.yaml': app('a', `configs:\n${cfg('/etc/passwd')}${cfg('/var/lib/archipelago/a/x.conf', 'y.conf.hbs')}`),
          'b.yaml': app('b', `configs:\n${cfg('/var/lib/archipelago/a/x.conf')}ui:\n  id: b-ui\n  image: ${IMAGE}\n  configs:\n${cfg('/var/lib/archipelago/b-ui/ok.conf').replace(/^/gm, '  ')}`),
        },
        ['x.conf.hbs', 'z.conf.hbs'],
      ),
    ).toEqual([
      'manifests/a.yaml:5:11 /configs/0/path: must be under /var/lib/archipelago/a/ (the node writes config files only inside the app\'s data directory)',
      'manifests/a.yaml:7:15 /configs/1/template: unknown template "y.conf.hbs" (did you mean "x.conf.hbs"?) (templates: x.conf.hbs, z.conf.hbs)',
      'manifests/a.yaml:9:13 /configs/1/target: container path "/etc/x.conf" is already mounted by /configs/0/target (mount each container path once)',
      'manifests/b.yaml:5:11 /configs/0/path: must be under /var/lib/archipelago/b/ (the node writes config files only inside the app\'s data directory)',
      'manifests/b.yaml:5:11 /configs/0/path: config file /var/lib/archipelago/a/x.conf is already written by manifests/a.yaml /configs/1/path (each config file has one source; mount the same file from both places instead)',
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
    expect(problems({ 'a.yaml': app('a', 'health:\n  cmd: [CMD, wget, -q, "http://127.0.0.1/"]\nui:\n  id: a-ui\n  image: ' + IMAGE + '\n  health:\n    cmd: [CMD, "true"]\n') })).toEqual([
      'manifests/a.yaml:4:9 /health/cmd/0: must not be "CMD": the list is the command itself (drop "CMD" and write ["wget", "-q", "http://127.0.0.1/"])',
      'manifests/a.yaml:9:11 /ui/health/cmd/0: must not be "CMD": the list is the command itself (drop "CMD" and write ["true"])',
    ]);
  });
});
