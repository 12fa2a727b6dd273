/**
 * Property: no manifest input can add a key or a section to a unit. For any
 * value in any string field, either the compiler reports a problem (nothing is
 * rendered), or every rendered file, read back the way Quadlet reads it, has
 * exactly the sections and keys the compiler put in its model, and the first
 * line is the ownership header.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import type { Manifest } from '../../src/manifest/types.js';
import { parseUnit, unitShape } from '../../src/render/parse-unit.js';
import { renderUnits } from '../../src/render/render-units.js';
import { OWNERSHIP_MARKER } from '../../src/render/types.js';
import { unitView } from '../../src/render/view-model.js';

const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };

// Strings that attack unit syntax, mixed with arbitrary ones (control characters included) and benign ones.
const nasty = fc.constantFrom(
  '\n[Install]\nWantedBy=evil.target', 'x\\', '\\', '"', '"x"', ' x ', '%h', '$HOME', '${X}', 'a=b', '#c', ';c', '[Service]',
  'ExecStartPre=/bin/rm -rf /', 'a\r\nb', 'a\u0085b', "it's", '', ' ', 'x\\\ny',
);
const str = fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ maxLength: 12 }));

/** A valid manifest using every field; each run replaces a few of its string leaves (or map keys) with hostile text. */
const BASE: Manifest = {
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
  volumes: [{ name: 'data', target: '/data' }],
  binds: [{ source: '/srv/a', target: '/a', relabel: 'z' }],
  configs: [{ template: 'a.conf.hbs', path: '/var/lib/archipelago/app/a.conf', target: '/etc/a.conf' }],
  networks: ['archy'],
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
const DB: Manifest = { id: 'db', image: 'docker.io/library/busybox:1.36.1' };

type Leaf = { where: string; set: (target: Manifest, text: string) => void };

/** Maps (free keys), as opposed to records with fixed field names. */
const isMap = (path: Array<string | number>): boolean => ['environment', 'labels', 'sysctls', 'ulimits'].includes(String(path[path.length - 1])) || (path[0] === 'quadlet' && path.length === 2);

/** Every string in BASE (values, and keys of maps), as a setter on a copy. */
function stringLeaves(node: unknown, path: Array<string | number> = []): Leaf[] {
  const resolve = (root: unknown): Record<string | number, unknown> => path.reduce<unknown>((n, k) => (n as Record<string | number, unknown> | undefined)?.[k], root) as Record<string | number, unknown>;
  if (Array.isArray(node)) return node.flatMap((v, i) => stringLeaves(v, [...path, i]));
  if (node && typeof node === 'object') {
    return Object.entries(node).flatMap(([k, v]) => [
      ...(isMap(path)
        ? [{ where: `/${[...path, k].join('/')} (key)`, set: (t: Manifest, text: string) => { const o = resolve(t); if (!o || !(k in o)) return; const val = o[k]; delete o[k]; o[text] = val; } }]
        : []),
      ...stringLeaves(v, [...path, k]),
    ]);
  }
  if (typeof node === 'string') {
    const parent = path.slice(0, -1);
    const key = path[path.length - 1]!;
    return [{ where: `/${path.join('/')}`, set: (t: Manifest, text: string) => {
      // A key renamed by an earlier change of the same run leaves nothing at this path.
      const o = parent.reduce<unknown>((n, k) => (n as Record<string | number, unknown> | undefined)?.[k], t) as Record<string | number, unknown> | undefined;
      if (o && key in o) o[key] = text;
    } }];
  }
  return [];
}
const LEAVES = stringLeaves(BASE);
const mutation = fc.array(fc.tuple(fc.integer({ min: 0, max: LEAVES.length - 1 }), str), { minLength: 1, maxLength: 3 });

describe('no input can add a key or a section to a unit', () => {
  it('every rendered unit reads back with exactly the sections and keys of its model', () => {
    let rendered = 0;
    fc.assert(
      fc.property(mutation, (changes) => {
        const m = structuredClone(BASE);
        for (const [i, text] of changes) LEAVES[i]!.set(m, text);
        const result = compileCatalog([{ file: 'manifests/app.yaml', manifest: m }, { file: 'manifests/db.yaml', manifest: DB }], { podmanVersion: '5.4.2', scope: 'system' });
        if (result.problems.length > 0) {
          expect(result.units).toEqual([]);
          return;
        }
        const files = renderUnits(result.units, templates);
        rendered++;
        files.forEach((f, i) => {
          expect(f.content.split('\n')[0]!.startsWith(OWNERSHIP_MARKER)).toBe(true);
          const intended = unitView(result.units[i]!).sections.map((s) => `${s.name}: ${s.entries.map((e) => e.key).join(',')}`);
          expect(unitShape(parseUnit(f.content))).toEqual(intended);
        });
      }),
      { numRuns: 2000 },
    );
    // The property must not hold only because every input was refused.
    expect(rendered).toBeGreaterThan(200);
  });

  it('covers every string field of the manifest', () => {
    expect(LEAVES.length).toBeGreaterThan(60);
    expect(LEAVES.map((l) => l.where)).toContain('/quadlet/Container/Tmpfs/0');
    expect(LEAVES.map((l) => l.where)).toContain('/environment/MODE (key)');
  });
});
