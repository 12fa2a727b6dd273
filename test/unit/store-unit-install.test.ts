import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/cli/catalog.js';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { InvalidInputError } from '../../src/errors.js';
import type { DesiredState, LoadedManifest } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import { OWNERSHIP_MARKER } from '../../src/render/types.js';
import { bootInstall, installSection, keepAcrossReboot, withInstall } from '../../src/store/node/unit-install.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';

// A user's stop/start rewrites the app's unit so that a reboot follows it at once. The text must be exactly the
// reconciler's render for the new state, or the next pass would write it again: these tests render the fixture
// catalog (an app of several containers, escape-hatch [Install] keys, a plain app) both ways and compare whole files.

let manifests: LoadedManifest[];
beforeAll(async () => {
  const catalog = await readCatalog('test/fixtures/manifests');
  expect(catalog.problems).toEqual([]);
  manifests = catalog.manifests;
});

/** The render of the catalog with every app in `state` (absent ones stay absent), by file name. */
async function renderAll(state: Exclude<DesiredState, 'absent'>, scope: 'system' | 'user' = 'system'): Promise<Map<string, string>> {
  const overrides = Object.fromEntries(manifests.filter((m) => m.manifest.state !== 'absent').map((m) => [m.manifest.id, state]));
  const compiled = compileCatalog(manifests, { podmanVersion: '5.4.2', scope, overrides });
  expect(compiled.problems).toEqual([]);
  return new Map(renderUnits(compiled.units, await loadUnitTemplates()).map((f) => [f.name, f.content]));
}

let dir: string;
let unitDir: string;
let stateDir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aq-unit-install-'));
  unitDir = join(dir, 'units');
  stateDir = join(dir, 'state');
  mkdirSync(unitDir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const unit = (name: string): string => readFileSync(join(unitDir, name), 'utf8');

describe('a stopped and a running render differ only in the app unit\'s [Install]', () => {
  it('containers of an app of several and every other file are byte-identical; the app unit is the running one without [Install]', async () => {
    const running = await renderAll('running');
    const stopped = await renderAll('stopped');
    expect([...stopped.keys()]).toEqual([...running.keys()]);
    const differing = [...running.keys()].filter((n) => running.get(n) !== stopped.get(n));
    expect(differing.sort()).toEqual(['built.container', 'kitchen-sink.container', 'plain.container', 'shards.network', 'stack.network']);
    // A container of an app of several is wanted by the app's unit in both states: a stop leaves it alone.
    expect(installSection(running.get('stack-web.container')!)).toBe('[Install]\nWantedBy=stack.service\n');
    for (const name of differing) {
      expect(installSection(stopped.get(name)!)).toBeUndefined();
      expect(withInstall(stopped.get(name)!, installSection(running.get(name)!)!)).toBe(running.get(name));
    }
    // The escape hatch's [Install] keys come after the compiler's own.
    expect(installSection(running.get('kitchen-sink.container')!)).toBe('[Install]\nWantedBy=multi-user.target\nWantedBy=default.target\n');
  });

  it('bootInstall is the running render\'s [Install] of an app without escape-hatch keys, system and user', async () => {
    for (const scope of ['system', 'user'] as const) {
      const running = await renderAll('running', scope);
      const stopped = await renderAll('stopped', scope);
      expect(withInstall(stopped.get('plain.container')!, bootInstall(scope === 'user'))).toBe(running.get('plain.container'));
    }
  });
});

describe('keepAcrossReboot', () => {
  it('stop → the stopped render; start → the running render again, escape-hatch keys included; the containers of an app of several untouched', async () => {
    const running = await renderAll('running');
    const stopped = await renderAll('stopped');
    for (const [name, content] of running) writeFileSync(join(unitDir, name), content);
    const target = { unitDir, stateDir };

    const appUnit = (id: string): string => (id === 'stack' ? 'stack.network' : `${id}.container`);
    for (const id of ['kitchen-sink', 'plain', 'built', 'stack']) {
      expect(await keepAcrossReboot(target, id, 'stopped')).toBe('written');
      expect(unit(appUnit(id))).toBe(stopped.get(appUnit(id)));
      expect(await keepAcrossReboot(target, id, 'stopped')).toBe('unchanged');
    }
    for (const name of ['stack-db.container', 'stack-web.container', 'archy.network']) expect(unit(name)).toBe(running.get(name));
    for (const id of ['kitchen-sink', 'plain', 'built', 'stack']) {
      expect(await keepAcrossReboot(target, id, 'running')).toBe('written');
      expect(unit(appUnit(id))).toBe(running.get(appUnit(id)));
      expect(await keepAcrossReboot(target, id, 'running')).toBe('unchanged');
    }
    // A shared network is no app's unit, even when an app of that id exists.
    expect(await keepAcrossReboot(target, 'archy', 'stopped')).toBe('missing');
    // Only the units; no temp file left beside them.
    expect(readdirSync(unitDir).sort()).toEqual([...running.keys()].sort());
  });

  it('a start of an app the reconciler rendered stopped (nothing kept) gives the running render', async () => {
    for (const scope of ['system', 'user'] as const) {
      const running = await renderAll('running', scope);
      const stopped = await renderAll('stopped', scope);
      writeFileSync(join(unitDir, 'plain.container'), stopped.get('plain.container')!);
      expect(await keepAcrossReboot({ unitDir, stateDir, user: scope === 'user' }, 'plain', 'running')).toBe('written');
      expect(unit('plain.container')).toBe(running.get('plain.container'));
    }
  });

  it('a second stop of the same unit keeps the kept section\'s file as it is; a changed section replaces it', async () => {
    const running = (await renderAll('running')).get('plain.container')!;
    writeFileSync(join(unitDir, 'plain.container'), running);
    const keptFile = join(stateDir, 'install-sections', 'plain.json');
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'plain', 'stopped')).toBe('written');
    const first = statSync(keptFile);
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'plain', 'running')).toBe('written');
    expect(unit('plain.container')).toBe(running);
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'plain', 'stopped')).toBe('written');
    // The same inode: not replaced (an atomic write renames a new file over it).
    expect(statSync(keptFile).ino).toBe(first.ino);
    // The manifest's [Install] changed since (the next pass rendered it): the next stop keeps the new section.
    writeFileSync(join(unitDir, 'plain.container'), withInstall(unit('plain.container'), '[Install]\nWantedBy=default.target\n'));
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'plain', 'stopped')).toBe('written');
    expect(statSync(keptFile).ino).not.toBe(first.ino);
    expect(JSON.parse(readFileSync(keptFile, 'utf8'))).toEqual({ file: 'plain.container', install: '[Install]\nWantedBy=default.target\n' });
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'plain', 'running')).toBe('written');
    expect(installSection(unit('plain.container'))).toBe('[Install]\nWantedBy=default.target\n');
  });

  it('never touches a file without our header, and a missing file is nothing to do', async () => {
    const mine = '[Container]\nImage=localhost/busybox:latest\n\n[Install]\nWantedBy=multi-user.target\n';
    writeFileSync(join(unitDir, 'mine.container'), mine);
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'mine', 'stopped')).toBe('not-owned');
    expect(unit('mine.container')).toBe(mine);
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'nope', 'stopped')).toBe('missing');
    expect(await keepAcrossReboot({ unitDir, stateDir }, 'nope', 'running')).toBe('missing');
    expect(readdirSync(unitDir)).toEqual(['mine.container']);
  });

  it('a corrupt kept section is refused, naming its file, and the unit stays as it was', async () => {
    const stopped = `${OWNERSHIP_MARKER}; do not edit. source: manifests/x.yaml\n\n[Container]\nImage=localhost/busybox:latest\n`;
    writeFileSync(join(unitDir, 'x.container'), stopped);
    mkdirSync(join(stateDir, 'install-sections'), { recursive: true });
    writeFileSync(join(stateDir, 'install-sections', 'x.json'), JSON.stringify({ file: 'x.container', install: '[Service]\nExecStartPre=/bin/evil\n' }));
    const err = await keepAcrossReboot({ unitDir, stateDir }, 'x', 'running').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(join(stateDir, 'install-sections', 'x.json'));
    expect(unit('x.container')).toBe(stopped);
  });

  it('refuses an id that is not a DNS label', async () => {
    await expect(keepAcrossReboot({ unitDir, stateDir }, '../etc/x', 'stopped')).rejects.toThrow(InvalidInputError);
  });
});
