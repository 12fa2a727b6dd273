import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/cli/catalog.js';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { renderUnits } from '../../src/render/render-units.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';

describe('units/ is exactly the render of manifests/', () => {
  it('has the same files with the same content (run `npm start` or `archy-quadlet render` when this fails)', async () => {
    const loaded = await readCatalog('manifests');
    expect(loaded.problems).toEqual([]);
    const compiled = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
    expect(compiled.problems).toEqual([]);
    const files = renderUnits(compiled.units, await loadUnitTemplates());
    expect(readdirSync('units').sort()).toEqual(files.map((f) => f.name));
    for (const f of files) expect(readFileSync(join('units', f.name), 'utf8'), f.name).toBe(f.content);
  });
});
