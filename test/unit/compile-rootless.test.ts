import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import type { ContainerUnit } from '../../src/compile/model.js';
import type { LoadedManifest, Manifest } from '../../src/manifest/types.js';
import { serviceOf } from '../../src/naming.js';
import { runCliOk } from '../support/cli.js';
import { runQuadletDryRun } from '../support/quadlet.js';

// Rootless (the user manager, `--user`): what the compiler adds and warns about, and that podman 5.4.2's generator in
// user mode (`quadlet -user`) takes the fixture manifests and the shipped catalog rendered so.

const IMAGE = 'docker.io/library/busybox:1.36.1';
const lm = (m: Partial<Manifest>): LoadedManifest => ({ file: 'manifests/app.yaml', manifest: { id: 'app', image: IMAGE, ...m } as Manifest });
const compile = (m: Partial<Manifest>, scope: 'system' | 'user') => compileCatalog([lm(m)], { podmanVersion: '5.4.2', scope });
const userNS = (m: Partial<Manifest>, scope: 'system' | 'user'): string | undefined => (compile(m, scope).units.find((u) => u.kind === 'container') as ContainerUnit).Container.UserNS;
const warnings = (m: Partial<Manifest>, scope: 'system' | 'user'): string[] => compile(m, scope).warnings.map((w) => `${w.pointer}: ${w.message}`);

const out = mkdtempSync(path.join(tmpdir(), 'aq-rootless-units-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('compile, rootless', () => {
  it("a numeric user gets the node's user mapped onto it (keep-id), rootless only", () => {
    expect(userNS({ user: '101' }, 'user')).toBe('keep-id:uid=101,gid=101');
    expect(userNS({ user: '101:102' }, 'user')).toBe('keep-id:uid=101,gid=102');
    expect(userNS({ user: '101' }, 'system')).toBeUndefined();
    // Root inside is the node's user already; no user at all is root.
    expect(userNS({ user: '0:0' }, 'user')).toBeUndefined();
    expect(userNS({}, 'user')).toBeUndefined();
    expect(warnings({ user: '101' }, 'user')).toEqual([]);
  });

  it('a user given by name is warned about, rootless only, and gets no mapping', () => {
    expect(userNS({ user: 'bitcoin' }, 'user')).toBeUndefined();
    expect(warnings({ user: 'bitcoin' }, 'user')).toEqual([expect.stringMatching(/^\/user: rootless: user "bitcoin" is a name/)]);
    expect(warnings({ user: 'bitcoin' }, 'system')).toEqual([]);
  });

  it('a host port below 1024 is warned about, rootless only, naming the port', () => {
    const ports = [{ container: 80 }, { container: 8080, host: 443 }, { container: 8081, host: 1024 }];
    expect(warnings({ ports }, 'user')).toEqual([
      expect.stringMatching(/^\/ports\/0: rootless: host port 80 is below 1024/),
      expect.stringMatching(/^\/ports\/1: rootless: host port 443 is below 1024/),
    ]);
    expect(warnings({ ports }, 'system')).toEqual([]);
  });
});

describe('render --user through the generator in user mode', () => {
  for (const [name, dir] of [['the fixture manifests', 'test/fixtures/manifests'], ['the shipped catalog', 'manifests']] as const) {
    it(`${name}: every unit accepted by quadlet -user, a numeric user run with --userns keep-id`, async () => {
      const units = path.join(out, name.replace(/ /g, '-'));
      await runCliOk(['--user', '--manifests', dir, 'render', '--out', units]);
      const files = readdirSync(units).sort();
      const run = runQuadletDryRun(units, { user: true });
      expect(run.complaints).toEqual([]);
      expect(run.code).toBe(0);
      expect([...run.services.keys()].sort()).toEqual(files.map((f) => serviceOf(f, readFileSync(path.join(units, f), 'utf8'))).sort());
      // Rootless units start with the user's session, never multi-user.target.
      for (const text of run.services.values()) expect(text).not.toContain('multi-user.target');
      const numeric = files.filter((f) => /^User=\d+(:\d+)?$/m.test(readFileSync(path.join(units, f), 'utf8')));
      expect(numeric.length).toBeGreaterThan(0);
      for (const f of numeric) {
        const uid = /^User=(\d+)/m.exec(readFileSync(path.join(units, f), 'utf8'))![1];
        expect(run.services.get(serviceOf(f, readFileSync(path.join(units, f), 'utf8')))).toContain(` --userns keep-id:uid=${uid},gid=`);
      }
    });
  }
});
