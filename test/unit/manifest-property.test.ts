import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import type { Problem } from '../../src/errors.js';
import { loadManifests } from '../../src/manifest/load.js';
import { pointerSegment } from '../../src/manifest/yaml-source.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIXTURE = 'test/fixtures/manifests/kitchen-sink.yaml';
const FIXTURES = ['kitchen-sink', 'built', 'plain', 'retired', 'stack'].map((id) => ({
  file: `test/fixtures/manifests/${id}.yaml`,
  text: readFileSync(path.join(ROOT, `test/fixtures/manifests/${id}.yaml`), 'utf8'),
}));

function expectWellFormed(problems: Problem[], file: string): void {
  for (const p of problems) {
    expect(p.file).toBe(file);
    expect(Number.isInteger(p.line) && p.line! >= 1).toBe(true);
    expect(Number.isInteger(p.col) && p.col! >= 1).toBe(true);
    expect(typeof p.pointer).toBe('string');
    expect(p.pointer === '' || p.pointer!.startsWith('/')).toBe(true);
    expect(p.message.length).toBeGreaterThan(0);
  }
}

/** Values shaped like manifests: known keys with arbitrary JSON under them, so that deep schema paths are reached. */
const manifestish = fc.dictionary(
  fc.constantFrom('id', 'image', 'build', 'ports', 'health', 'ui', 'quadlet', 'environment', 'dependsOn', 'stop', 'memory', 'security', 'binds', 'secrets', 'x'),
  fc.jsonValue({ maxDepth: 3 }),
);

describe('the loader never throws', () => {
  test('any JSON value, as YAML text, yields problems with file, line, col and pointer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), manifestish), (value) => {
        const file = 'manifests/any.yaml';
        const { problems, manifests } = loadManifests([{ file, text: stringify(value) }]);
        expectWellFormed(problems, file);
        expect(problems.length === 0 || manifests.length === 0).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  test('any text at all', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('a: *x', '&a [*a]', '? [a]\n: b', '!!binary AAAA', '{', '- - -\n')), (text) => {
        const file = 'manifests/any.yaml';
        expectWellFormed(loadManifests([{ file, text }]).problems, file);
      }),
      { numRuns: 400 },
    );
  });
});

/** Every string leaf of a value, with its JSON pointer (map keys excluded). */
function stringLeaves(value: unknown, pointer = ''): string[] {
  if (typeof value === 'string') return [pointer];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, pointer + pointerSegment(i)));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, pointer + pointerSegment(k)));
  return [];
}

function setAt(value: unknown, pointer: string, f: (s: string) => string): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const segments = pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: Record<string, unknown> = copy;
  for (const s of segments.slice(0, -1)) node = node[s] as Record<string, unknown>;
  const last = segments.at(-1)!;
  node[last] = f(node[last] as string);
  return copy;
}

describe('no string field accepts a control character', () => {
  test('a newline or control character anywhere in any string of the full fixture is a problem at that pointer', () => {
    const base = loadManifests(FIXTURES).manifests.find((m) => m.file === FIXTURE)!.manifest;
    const leaves = stringLeaves(base);
    expect(leaves.length).toBeGreaterThan(80);
    fc.assert(
      fc.property(
        fc.constantFrom(...leaves),
        fc.constantFrom('\n', '\r', '\t', '\u0000', '\u001b', '\u007f'),
        fc.nat(),
        (pointer, ch, at) => {
          const bad = setAt(base, pointer, (s) => s.slice(0, at % (s.length + 1)) + ch + s.slice(at % (s.length + 1)));
          const sources = FIXTURES.map((f) => (f.file === FIXTURE ? { file: f.file, text: stringify(bad) } : f));
          const { problems } = loadManifests(sources);
          expect(problems.some((p) => p.file === FIXTURE && p.pointer === pointer)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
