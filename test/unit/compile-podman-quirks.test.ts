// The quirk table (src/compile/podman-quirks.ts): each entry rendered around for a target it affects, shown through
// podman 5.4.2's own generator where 5.4.2 is the target; docs/quirks.md lists every entry.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import type { ContainerUnit } from '../../src/compile/model.js';
import { compareVersions } from '../../src/compile/podman-keys.js';
import { hasQuirk, PODMAN_QUIRKS } from '../../src/compile/podman-quirks.js';
import type { Manifest } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import { podmanHealthTest, runQuadletDryRun } from '../support/quadlet.js';
import { execCommands, keyValues } from '../support/systemd-exec.js';

const IMAGE = 'docker.io/klutchell/unbound:1.22.0';
const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const compile = (m: Partial<Manifest>, podmanVersion = '5.4.2') =>
  compileCatalog([{ file: 'manifests/resolver.yaml', manifest: { id: 'resolver', image: IMAGE, ...m } }], { podmanVersion, scope: 'system' });
const containerOf = (m: Partial<Manifest>, podmanVersion?: string): ContainerUnit => {
  const r = compile(m, podmanVersion);
  expect(r.problems).toEqual([]);
  return r.units.find((u) => u.kind === 'container') as ContainerUnit;
};

/** The `podman run` argv podman 5.4.2's generator makes of the manifest, read as systemd reads ExecStart=. */
function podmanRunArgv(m: Partial<Manifest>): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'archy-quirks-'));
  dirs.push(dir);
  for (const f of renderUnits(compile(m).units, templates)) writeFileSync(path.join(dir, f.name), f.content);
  const run = runQuadletDryRun(dir);
  expect(run.complaints).toEqual([]);
  const line = keyValues(run.services.get('resolver.service')!, 'ExecStart')[0]!;
  const read = execCommands(line);
  if (!read.ok) throw new Error(read.message);
  return read.value[0]!;
}
const optionValue = (argv: string[], flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i < 0 ? argv.find((w) => w.startsWith(`${flag}=`))?.slice(flag.length + 1) : argv[i + 1];
};

describe('the table', () => {
  it('every entry names its upstream record, a range that is not empty, and what we render instead', () => {
    for (const q of PODMAN_QUIRKS) {
      expect(q.upstream.length, q.id).toBeGreaterThan(0);
      expect(q.instead, q.id).not.toBe('');
      if (q.until) expect(compareVersions(q.from, q.until), q.id).toBeLessThan(0);
    }
    expect(hasQuirk([5, 4, 2], 'empty-entrypoint')).toBe(true);
    expect(hasQuirk([5, 8, 2], 'empty-entrypoint')).toBe(false);
    expect(hasQuirk([5, 4, 2], 'network-delete-on-stop')).toBe(false);
    expect(hasQuirk([5, 5, 0], 'network-delete-on-stop')).toBe(true);
  });

  it('docs/quirks.md lists every entry with its range and upstream records', () => {
    const doc = readFileSync('docs/quirks.md', 'utf8');
    for (const q of PODMAN_QUIRKS) {
      expect(doc, q.id).toContain(`\`${q.id}\``);
      for (const u of q.upstream.filter((x) => x.startsWith('https://'))) expect(doc, u).toContain(u);
    }
  });
});

describe('a one-word health command runs without a shell', () => {
  it('the field report: [docker-healthcheck] becomes HealthCmd=CMD docker-healthcheck, which podman 5.4.2 runs as exec form', () => {
    expect(containerOf({ health: { cmd: ['docker-healthcheck'] } }).Container.HealthCmd).toBe('CMD docker-healthcheck');
    const argv = podmanRunArgv({ health: { cmd: ['docker-healthcheck'] } });
    expect(podmanHealthTest(optionValue(argv, '--health-cmd')!)).toEqual(['CMD', 'docker-healthcheck']);
    // What it was: the JSON list of one word is podman's shell form.
    expect(podmanHealthTest('["docker-healthcheck"]')).toEqual(['CMD-SHELL', 'docker-healthcheck']);
  });

  it('several words stay a JSON list (exec form already)', () => {
    expect(containerOf({ health: { cmd: ['lncli', 'state'] } }).Container.HealthCmd).toBe('["lncli","state"]');
  });

  it('one word with a blank is refused (the CMD form splits on blanks); one with a quote before 5.8.2 only', () => {
    expect(compile({ health: { cmd: ['my check'] } }).problems.map((p) => `${p.pointer}: ${p.hint}`)).toEqual(['/health/cmd/0: give the program and its arguments as separate words, or run a shell: [sh, -c, "…"]']);
    expect(compile({ health: { cmd: ['a"b'] } }).problems.map((p) => p.pointer)).toEqual(['/health/cmd/0']);
    expect(containerOf({ health: { cmd: ['a"b'] } }, '5.8.2').Container.HealthCmd).toBe('CMD a"b');
  });
});

describe('an empty entrypoint clears the image\'s', () => {
  it('before 5.8.2 through PodmanArgs=--entrypoint=, which the 5.4.2 generator passes to podman', () => {
    const c = containerOf({ entrypoint: [], command: ['unbound', '-d'] });
    expect(c.Container.Entrypoint).toBeUndefined();
    expect(c.Container.PodmanArgs).toEqual(['--entrypoint=']);
    const argv = podmanRunArgv({ entrypoint: [], command: ['unbound', '-d'], privileged: true });
    expect(argv).toContain('--entrypoint=');
    expect(argv).toContain('--privileged');
    expect(argv.slice(-3)).toEqual([IMAGE, 'unbound', '-d']);
  });

  it('from 5.8.2 as Entrypoint=""', () => {
    const c = containerOf({ entrypoint: [] }, '5.8.2');
    expect(c.Container.Entrypoint).toBe('');
    expect(c.Container.PodmanArgs).toBeUndefined();
  });
});

describe('a bare Environment=KEY in the escape hatch', () => {
  it('is refused before 5.6 (the generator drops it without a word), accepted from 5.6 (the host\'s value)', () => {
    expect(compile({ quadlet: { Container: { Environment: 'TZ' } } }).problems.map((p) => `${p.pointer}: ${p.message}`)).toEqual([
      '/quadlet/Container/Environment: Environment=TZ without a value is dropped by podman 5.4.2\'s generator (host pass-through comes with 5.6)',
    ]);
    expect(compile({ quadlet: { Container: { Environment: 'TZ=UTC' } } }).problems).toEqual([]);
    expect(compile({ quadlet: { Container: { Environment: 'TZ' } } }, '5.6').problems).toEqual([]);
  });

  it('an environment value is always KEY=value, an empty text KEY= (podman sets it empty)', () => {
    expect(containerOf({ environment: { EMPTY: '' } }).Container.Environment).toEqual([['EMPTY', '']]);
    expect(optionValue(podmanRunArgv({ environment: { EMPTY: '' } }), '--env')).toBe('EMPTY=');
  });
});

describe('stopping an app keeps its network', () => {
  it('no NetworkDeleteOnStop= on any target, the app\'s own network included', () => {
    const r = compileCatalog([{ file: 'manifests/stack.yaml', manifest: { id: 'stack', containers: { a: { image: IMAGE }, b: { image: IMAGE } } } }], { podmanVersion: '5.5', scope: 'system' });
    expect(r.problems).toEqual([]);
    const network = renderUnits(r.units, templates).find((f) => f.name === 'stack.network')!;
    expect(network.content).not.toMatch(/NetworkDeleteOnStop/);
  });
});
