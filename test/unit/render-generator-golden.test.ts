import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serviceOf } from '../../src/naming.js';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import type { Manifest } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { DEFAULT_PODMAN, goldenCases } from '../support/golden.js';
import { runQuadletDryRun } from '../support/quadlet.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempUnitDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'archy-quadlet-gen-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('podman 5.4.2 Quadlet generator over every golden fixture', () => {
  for (const c of goldenCases().filter((g) => g.podmanVersion === DEFAULT_PODMAN)) {
    it(`${c.name}: generates every expected service with no error and no warning`, () => {
      const run = runQuadletDryRun(c.expectedDir);
      expect(run.complaints).toEqual([]);
      expect(run.code).toBe(0);
      // The expected services follow from the unit files, by the one naming function.
      expect([...run.services.keys()].sort()).toEqual(readdirSync(c.expectedDir).map((f) => serviceOf(f, readFileSync(join(c.expectedDir, f), 'utf8'))).sort());
    });
  }
});

describe('what the compiler rejects, the generator rejects too', () => {
  const manifest = (quadlet: Manifest['quadlet']): Manifest => ({ id: 'probe', image: 'docker.io/library/busybox:1.36.1', quadlet });

  it('a Memory= raw key on 5.4.2: our problem names the version, the generator refuses the key', () => {
    const ours = compileCatalog([{ file: 'manifests/probe.yaml', manifest: manifest({ Container: { Memory: '1073741824' } }) }], { podmanVersion: '5.4.2', scope: 'system' });
    expect(ours.problems.map((p) => `${p.pointer}: ${p.message}`)).toEqual(['/quadlet/Container/Memory: "Memory=" was not supported until Podman v5.5']);
    const run = runQuadletDryRun(tempUnitDir({ 'probe.container': '[Container]\nImage=docker.io/library/busybox:1.36.1\nMemory=1073741824\n' }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("unsupported key 'Memory' in group 'Container'");
    expect(run.services.has('probe.service')).toBe(false);
  });

  it('a memory limit compiled for 5.5 (Memory=) is refused by 5.4.2, the 5.4 render (PodmanArgs=) is accepted', () => {
    const c = goldenCases().find((g) => g.name === 'memory-podman-5.5')!;
    const refused = runQuadletDryRun(c.expectedDir);
    expect(refused.stderr).toContain("unsupported key 'Memory' in group 'Container'");
    const accepted = runQuadletDryRun(tempUnitDir({ 'capped.container': '[Container]\nImage=docker.io/library/busybox:1.36.1\nPodmanArgs=--memory=1073741824\n' }));
    expect(accepted.complaints).toEqual([]);
    expect(accepted.services.get('capped.service')).toContain('--memory=1073741824');
  });

  it('an unknown key: our problem at /quadlet/Container/Foo, the generator refuses it', () => {
    const ours = compileCatalog([{ file: 'manifests/probe.yaml', manifest: manifest({ Container: { Foo: 'bar' } }) }], { podmanVersion: '5.4.2', scope: 'system' });
    expect(ours.problems.map((p) => `${p.pointer}: ${p.message}`)).toEqual(['/quadlet/Container/Foo: "Foo=" is not a Quadlet [Container] key']);
    const run = runQuadletDryRun(tempUnitDir({ 'probe.container': '[Container]\nImage=docker.io/library/busybox:1.36.1\nFoo=bar\n' }));
    expect(run.stderr).toContain("unsupported key 'Foo' in group 'Container'");
  });

  it('ReloadCmd= on 5.4.2: our problem names v5.5, the generator refuses the key', () => {
    const ours = compileCatalog([{ file: 'manifests/probe.yaml', manifest: manifest({ Container: { ReloadCmd: '/bin/true' } }) }], { podmanVersion: '5.4.2', scope: 'system' });
    expect(ours.problems[0]?.message).toBe('"ReloadCmd=" was not supported until Podman v5.5');
    const run = runQuadletDryRun(tempUnitDir({ 'probe.container': '[Container]\nImage=docker.io/library/busybox:1.36.1\nReloadCmd=/bin/true\n' }));
    expect(run.stderr).toContain("unsupported key 'ReloadCmd' in group 'Container'");
  });

  it('a value ending in a backslash: written bare it swallows the next key; we quote it and the generator reads it whole', async () => {
    const bare = runQuadletDryRun(tempUnitDir({ 'probe.container': '[Container]\nImage=docker.io/library/busybox:1.36.1\nWorkingDir=/srv/x\\\nContainerName=probe\n' }));
    expect(bare.services.get('probe.service')).toContain('--workdir /srv/xContainerName=probe');

    const ours = compileCatalog([{ file: 'manifests/probe.yaml', manifest: { id: 'probe', image: 'docker.io/library/busybox:1.36.1', workingDir: '/srv/x\\' } }], { podmanVersion: '5.4.2', scope: 'system' });
    expect(ours.problems).toEqual([]);
    const [file] = renderUnits(ours.units, await loadUnitTemplates());
    expect(file!.content).toContain('WorkingDir="/srv/x\\"\n');
    const run = runQuadletDryRun(tempUnitDir({ [file!.name]: file!.content }));
    expect(run.complaints).toEqual([]);
    expect(run.services.get('probe.service')).toMatch(/--name probe .*--workdir "\/srv\/x\\\\"/);
  });
});
