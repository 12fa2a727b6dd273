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
import { EVERY_FIELD, mutations, stringLeaves } from '../support/manifest-leaves.js';

const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };

const BASE = EVERY_FIELD;
const DB: Manifest = { id: 'db', image: 'docker.io/library/busybox:1.36.1' };

const LEAVES = stringLeaves(BASE);
const mutation = mutations(LEAVES);

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
