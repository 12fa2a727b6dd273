/**
 * The property tests' raw material: strings that attack unit-file and command-line syntax, and every string of a
 * manifest (values, and keys of maps) as a setter on a copy, so a run can put hostile text into any field.
 */
import fc from 'fast-check';
import type { Manifest } from '../../src/manifest/types.js';

/** Strings aimed at systemd's and Quadlet's syntax: sections, keys, continuations, quotes, specifiers, `$`, `;`. */
export const NASTY = [
  '\n[Install]\nWantedBy=evil.target', 'x\\', '\\', '"', '"x"', ' x ', '%h', '%', '%z', '$HOME', '${X}', '$$', '$', 'a=b', '#c', ';c',
  ';', '\\;', 'a ; b', "';'", '[Service]', 'ExecStartPre=/bin/rm -rf /', 'a\r\nb', 'a\u0085b', "it's", "'", '', ' ', 'x\\\ny',
  '\\x41', '\\n', 'a"b c"d', 'é ü', '{}', '+', '-', '@', '!', ':', '*.tmp',
  // Absolute paths, so path fields pass their pattern and reach the generator.
  '/srv/a b', '/srv/q"x', "/srv/it's", '/srv/$x', '/srv/%h', '/srv/a\\b', '/srv/;', '/srv/é',
];

/** Hostile, arbitrary (control characters included) and benign strings. */
export const hostileString = fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 12 }));

/** A valid manifest using every field; each run replaces a few of its string leaves (or map keys) with hostile text. */
export const EVERY_FIELD: Manifest = {
  id: 'app',
  name: 'App',
  description: 'An app',
  image: 'docker.io/library/busybox:1.36.1',
  command: ['serve', '--port', '80'],
  entrypoint: ['/bin/sh', '-c'],
  workingDir: '/srv/app',
  user: '1000:1000',
  environment: { MODE: 'prod', NOTE: 'two words' },
  secrets: [{ name: 'pw', env: 'PW' }, { name: 'key', target: '/run/key' }],
  ports: [{ container: 80, host: 8080, hostIp: '127.0.0.1', protocol: 'udp' }],
  volumes: [{ name: 'data', target: '/data' }, { name: 'media', target: '/media', type: 'nfs4', device: ':/export/media', options: 'addr=192.168.1.10,nfsvers=4.2', driver: 'local' }],
  binds: [{ source: '/srv/a', target: '/a', relabel: 'z' }],
  configs: [{ template: 'a.conf.hbs', path: '/var/lib/archipelago/app/a.conf', target: '/etc/a.conf' }],
  networks: ['archy', { name: 'lan', driver: 'bridge', subnets: [{ subnet: '10.90.0.0/24', gateway: '10.90.0.1', ipRange: '10.90.0.128/25' }, { subnet: 'fd00:90::/64' }], ipv6: true, internal: true, dns: ['10.90.0.1'], options: { 'com.docker.network.bridge.name': 'br-lan', mtu: '1400' } }],
  hosts: [{ host: 'db.internal', ip: '10.0.0.1' }],
  security: { capAdd: ['NET_ADMIN'], capDrop: ['ALL'] },
  health: { cmd: ['true'], interval: '30s', timeout: '5s', startPeriod: '1m' },
  dependsOn: [{ app: 'db', condition: 'started' }],
  stop: { signal: 'SIGINT', timeout: '10s' },
  startTimeout: '20m',
  memory: '128Mi',
  labels: { tier: 'web' },
  autoUpdate: 'registry',
  restart: 'always',
  hostname: 'node',
  init: true,
  shmSize: '64Mi',
  ulimits: { nofile: { soft: 1024, hard: 4096 } },
  devices: ['/dev/fuse', { host: '/dev/ttyUSB0', container: '/dev/ttyACM0', permissions: 'rw' }],
  tmpfs: ['/tmp', { target: '/run', size: '1Mi', mode: '1777' }],
  sysctls: { 'net.core.somaxconn': '1024' },
  quadlet: { Unit: { Documentation: 'https://example.org' }, Container: { ShmSize: '64m', Tmpfs: ['/run'] }, Service: { LimitNOFILE: '4096' }, Install: { Alias: 'app2.service' } },
};
/** One place in a manifest that holds a string: where (a JSON pointer, `(key)` for a map key) and a setter on a copy. */
export interface Leaf {
  where: string;
  set: (target: Manifest, text: string) => void;
}

/** Maps (free keys), as opposed to records with fixed field names. */
const isMap = (path: Array<string | number>): boolean => ['environment', 'labels', 'sysctls', 'ulimits', 'options'].includes(String(path[path.length - 1])) || (path[0] === 'quadlet' && path.length === 2);

const at = (root: unknown, path: Array<string | number>): Record<string | number, unknown> | undefined =>
  path.reduce<unknown>((n, k) => (n as Record<string | number, unknown> | undefined)?.[k], root) as Record<string | number, unknown> | undefined;

/** Every string in `node` (values, and keys of maps), as a setter on a copy. */
export function stringLeaves(node: unknown, path: Array<string | number> = []): Leaf[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => stringLeaves(v, [...path, i]));
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => [
      ...(isMap(path)
        ? [{ where: `/${[...path, k].join('/')} (key)`, set: (t: Manifest, text: string) => { const o = at(t, path); if (!o || !(k in o)) return; const val = o[k]; delete o[k]; o[text] = val; } }]
        : []),
      ...stringLeaves(v, [...path, k]),
    ]);
  }
  if (typeof node === 'string') {
    const parent = path.slice(0, -1);
    const key = path[path.length - 1]!;
    return [{ where: `/${path.join('/')}`, set: (t: Manifest, text: string) => {
      // A key renamed by an earlier change of the same run leaves nothing at this path.
      const o = at(t, parent);
      if (o && key in o) o[key] = text;
    } }];
  }
  return [];
}

/** One to three leaves of `leaves` given hostile text. */
export function mutations(leaves: readonly Leaf[]): fc.Arbitrary<Array<[number, string]>> {
  return fc.array(fc.tuple(fc.integer({ min: 0, max: leaves.length - 1 }), hostileString), { minLength: 1, maxLength: 3 });
}
