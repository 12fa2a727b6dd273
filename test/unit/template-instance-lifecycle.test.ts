// Issue 17: one instance of a template app started and stopped on its own. The pure parts: the command's spelling
// (`indexer@2`), the intent's `stopped`, the render and the controller's rewrite of the app unit (the same text),
// which intent wins, the hash that a stop of an instance leaves alone, the app's state without the stopped
// instance, and what status and the web UI show of it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/cli/catalog.js';
import { formatTable } from '../../src/cli/commands/status.js';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { deriveAppState } from '../../src/controller/app-state.js';
import { unitDirAppRefs } from '../../src/controller/app-refs.js';
import type { UnitFacts } from '../../src/controller/state.js';
import type { AppStatus } from '../../src/controller/types.js';
import { InvalidInputError } from '../../src/errors.js';
import type { LoadedManifest } from '../../src/manifest/types.js';
import { parseAppTarget } from '../../src/naming.js';
import { appHash, stoppedInstances } from '../../src/reconcile/desired.js';
import { withInstanceWants } from '../../src/reconcile/unit-text.js';
import { renderUnits } from '../../src/render/render-units.js';
import type { RenderedFile } from '../../src/render/types.js';
import { keepAcrossReboot } from '../../src/store/node/unit-install.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { readIntent, writeIntent } from '../../src/store/state/intents.js';
import { instanceButton } from '../../src/web/public/ui-logic.js';

let manifests: LoadedManifest[];
beforeAll(async () => {
  const catalog = await readCatalog('test/fixtures/manifests');
  expect(catalog.problems).toEqual([]);
  manifests = catalog.manifests.filter((m) => m.manifest.id === 'shards');
});

/** The fixture `shards` (instances a, b) rendered running with `stopped` instances stopped on their own, by file name. */
async function render(stopped: string[] = []): Promise<RenderedFile[]> {
  const compiled = compileCatalog(manifests, { podmanVersion: '5.4.2', scope: 'system', stoppedInstances: stopped.length > 0 ? { shards: stopped } : {} });
  expect(compiled.problems).toEqual([]);
  return renderUnits(compiled.units, await loadUnitTemplates());
}
const text = (files: RenderedFile[], name: string): string => files.find((f) => f.name === name)!.content;

describe('APP@INSTANCE: the spelling systemd users know', () => {
  it.each([
    ['indexer', { app: 'indexer' }],
    ['indexer@2', { app: 'indexer', instance: '2' }],
    ['indexer@2.service', { app: 'indexer', instance: '2' }],
    ['shards@eu-1.b_2', { app: 'shards', instance: 'eu-1.b_2' }],
    ['indexer@', undefined],
    ['indexer@2@3', undefined],
    ['indexer@-2', undefined],
    ['Indexer@2', undefined],
    ['indexer.service', undefined],
    ['indexer@../x', undefined],
  ])('%s', (arg, want) => {
    expect(parseAppTarget(arg)).toEqual(want);
  });
});

describe('the app unit of a template app with an instance stopped on its own', () => {
  it('the render leaves its Wants= out, and only that line differs', async () => {
    const all = await render();
    const without = await render(['b']);
    expect(text(without, 'shards.network')).toBe(text(all, 'shards.network').replace('Wants=shards@b.service\n', ''));
    expect(text(without, 'shards@.container')).toBe(text(all, 'shards@.container'));
    expect(text(await render(['a', 'b']), 'shards.network')).toContain('[Unit]\nDescription=shards\n\n[Network]\n');
  });

  it("the controller's rewrite (withInstanceWants) is the render, both ways and with every instance stopped", async () => {
    const all = text(await render(), 'shards.network');
    for (const stopped of [['a'], ['b'], ['a', 'b']]) {
      const want = text(await render(stopped), 'shards.network');
      const wanted = ['a', 'b'].filter((i) => !stopped.includes(i)).map((i) => `shards@${i}.service`);
      expect(withInstanceWants(all, 'shards', wanted), stopped.join()).toBe(want);
      expect(withInstanceWants(want, 'shards', ['shards@a.service', 'shards@b.service']), stopped.join()).toBe(all);
    }
  });

  it("does not change the app's hash: a stop of one instance is no new revision of the others", async () => {
    expect(appHash(await render(['b']), [], [])).toBe(appHash(await render(), [], []));
  });
});

describe('keepAcrossReboot with the instances the app unit wants', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aq-instances-'));
    mkdirSync(join(dir, 'units'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the render of the new state; the template is never touched', async () => {
    const target = { unitDir: join(dir, 'units'), stateDir: join(dir, 'state') };
    for (const f of await render()) writeFileSync(join(target.unitDir, f.name), f.content);
    const unit = (name: string): string => readFileSync(join(target.unitDir, name), 'utf8');
    expect(await keepAcrossReboot(target, 'shards', 'running', { wants: ['shards@a.service'] })).toBe('written');
    expect(unit('shards.network')).toBe(text(await render(['b']), 'shards.network'));
    expect(await keepAcrossReboot(target, 'shards', 'running', { wants: ['shards@a.service'] })).toBe('unchanged');
    // The app stopped: every instance wanted again, no [Install].
    expect(await keepAcrossReboot(target, 'shards', 'stopped', { wants: ['shards@a.service', 'shards@b.service'] })).toBe('written');
    const stopped = compileCatalog(manifests, { podmanVersion: '5.4.2', scope: 'system', overrides: { shards: 'stopped' } });
    expect(unit('shards.network')).toBe(text(renderUnits(stopped.units, await loadUnitTemplates()), 'shards.network'));
    expect(await keepAcrossReboot(target, 'shards', 'running', { wants: ['shards@b.service'] })).toBe('written');
    expect(unit('shards.network')).toBe(text(await render(['a']), 'shards.network'));
    expect(unit('shards@.container')).toBe(text(await render(), 'shards@.container'));
  });
});

describe("the intent's stopped instances", () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'aq-instance-intents-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it('are written with running and read back; none is no field', async () => {
    await writeIntent(stateDir, 'shards', 'running', new Date('2026-12-01T10:00:00Z'), ['b']);
    expect(await readIntent(stateDir, 'shards')).toEqual({ id: 'shards', intent: 'running', at: '2026-12-01T10:00:00.000Z', stopped: ['b'] });
    await writeIntent(stateDir, 'shards', 'stopped', new Date('2026-12-01T10:00:01Z'), ['b']);
    expect(await readIntent(stateDir, 'shards')).toEqual({ id: 'shards', intent: 'stopped', at: '2026-12-01T10:00:01.000Z' });
  });

  it('a corrupt list is refused, naming the file and the pointer', async () => {
    mkdirSync(join(stateDir, 'intents'));
    for (const bad of [{ intent: 'running', stopped: 'b' }, { intent: 'running', stopped: ['../x'] }, { intent: 'stopped', stopped: ['b'] }]) {
      writeFileSync(join(stateDir, 'intents', 'shards.json'), JSON.stringify({ id: 'shards', at: '', ...bad }));
      const err = await readIntent(stateDir, 'shards').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).problems[0]).toMatchObject({ file: join(stateDir, 'intents', 'shards.json'), pointer: '/stopped' });
    }
  });

  it('count while the intent wins: not once the manifest changed its state after the click, nor for a list it no longer has', () => {
    const intents = new Map([['shards', { intent: 'running' as const, at: '2026-12-01T10:00:00Z', stopped: ['b', 'gone'] }]]);
    expect(stoppedInstances(manifests, { shards: 'running' }, intents)).toEqual({ shards: ['b'] });
    expect(stoppedInstances(manifests, { shards: 'running' }, intents, new Map([['shards', { state: 'running' as const, since: '2026-12-01T09:00:00Z' }]]))).toEqual({ shards: ['b'] });
    expect(stoppedInstances(manifests, { shards: 'running' }, intents, new Map([['shards', { state: 'running' as const, since: '2026-12-01T11:00:00Z' }]]))).toEqual({});
    expect(stoppedInstances(manifests, { shards: 'stopped' }, intents)).toEqual({});
  });
});

describe('state, status and the web UI of an instance stopped on its own', () => {
  const up: UnitFacts = { loadState: 'loaded', activeState: 'active', subState: 'running' };
  const down: UnitFacts = { loadState: 'loaded', activeState: 'inactive', subState: 'dead' };
  const appUnit: UnitFacts = { loadState: 'loaded', activeState: 'active', subState: 'exited' };
  const instances = (b: UnitFacts, stopped: boolean) => [
    { name: 'a', unit: 'shards@a.service', facts: up },
    { name: 'b', unit: 'shards@b.service', facts: b, ...(stopped ? { stopped: true } : {}) },
  ];

  it("the app runs when the others do; stopped by hand, it is a settled mix (failed); all stopped on their own: stopped", () => {
    expect(deriveAppState({ unit: 'shards.service', facts: appUnit, containers: instances(down, true) }).state).toBe('running');
    expect(deriveAppState({ unit: 'shards.service', facts: appUnit, containers: instances(down, false) })).toMatchObject({ state: 'failed', reason: 'b: inactive' });
    const both = [{ name: 'a', unit: 'shards@a.service', facts: down, stopped: true }, { name: 'b', unit: 'shards@b.service', facts: down, stopped: true }];
    expect(deriveAppState({ unit: 'shards.service', facts: appUnit, containers: both }).state).toBe('stopped');
  });

  it('status marks it stopped by user; the UI offers Start for it, Stop for the running one, nothing for a container of an app of several', () => {
    const s: AppStatus = {
      id: 'shards', name: 'shards', unit: 'shards.service', state: 'running', since: '2026-12-01T10:00:00.000Z',
      containers: [{ name: 'a', unit: 'shards@a.service', state: 'running' }, { name: 'b', unit: 'shards@b.service', state: 'stopped', intent: 'stopped' }],
    };
    expect(formatTable([s]).split('\n').slice(2, 4).map((l) => l.replace(/ +/g, ' '))).toEqual([' a running', ' b stopped stopped by user']);
    expect(instanceButton('shards', s.containers![0]!)).toMatchObject({ action: 'stop', label: 'Stop', disabled: false });
    expect(instanceButton('shards', s.containers![1]!)).toMatchObject({ action: 'start', label: 'Start', disabled: false });
    expect(instanceButton('shards', { name: 'b', unit: 'shards@b.service', state: 'stopping' })).toMatchObject({ action: null, label: 'Stopping…', disabled: true });
    expect(instanceButton('shop', { name: 'db', unit: 'shop-db.service', state: 'running' })).toBeNull();
  });

  it('from the unit directory alone, an instance its unit no longer wants is still listed when the intent stopped it', async () => {
    const files = (await render(['b'])).map((f) => ({ name: f.name, content: f.content }));
    expect(unitDirAppRefs(files)[0]?.containers?.map((c) => c.name)).toEqual(['a']);
    expect(unitDirAppRefs(files, new Map([['shards', ['b']]]))[0]?.containers?.map((c) => `${c.name} ${c.unit}`)).toEqual(['a shards@a.service', 'b shards@b.service']);
    const none = (await render(['a', 'b'])).map((f) => ({ name: f.name, content: f.content }));
    expect(unitDirAppRefs(none, new Map([['shards', ['a', 'b']]]))[0]?.containers?.map((c) => c.name)).toEqual(['a', 'b']);
  });
});
