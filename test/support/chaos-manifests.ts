/**
 * Hostile manifest input for the fuzz tests: random YAML text and token soup,
 * manifest-shaped values with wrong types, huge strings, deep nesting, unicode,
 * control characters and path-like ids, and valid fixtures with one field
 * made hostile. Every arbitrary yields YAML text.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { manifestSchema } from '../../src/manifest/schema.js';
import { DNS_LABEL } from '../../src/naming.js';

/** Top-level fields of the schema, so that generated values reach deep schema paths. */
export const FIELDS = Object.keys((manifestSchema as { properties: Record<string, unknown> }).properties);

/** Ids an attacker or a careless user might try; none of them is a DNS label. */
export const HOSTILE_IDS = [
  '../x',
  '..',
  '.',
  'a b',
  '/etc/passwd',
  'x/../../etc/cron.d/x',
  '..%2fx',
  '%2e%2e',
  'A',
  'Lnd',
  'a_b',
  '-a',
  'a-',
  '',
  ' x',
  'x ',
  'x\u0000y',
  'x\ny',
  'x\r',
  'lnd.container',
  'lnd.service',
  'x;rm -rf /',
  '$(id)',
  '`id`',
  'ünïcode',
  'a\u200bb',
  'ａｂ',
  'a'.repeat(64),
  'a'.repeat(10_000),
  '~root',
  'x\\y',
  'x*',
  '@x',
];

/** Strings nothing downstream should ever see: control characters, unicode of every plane, quotes, unit syntax. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom(...HOSTILE_IDS),
  fc.constantFrom('\n[Service]\nExecStartPre=/bin/sh -c id\n', 'x\\\nInjected=1', '%h%n%%', '"\'\\', '\u2028\u2029', '\ud800', '\uffff', '\u{10ffff}'),
  fc.integer({ min: 1, max: 16 }).map((k) => 'x'.repeat(k * 1024)),
);

/** Huge strings (64 KiB – 1 MiB), as field values and as field names. */
export const hugeString: fc.Arbitrary<string> = fc.tuple(fc.integer({ min: 1, max: 16 }), fc.constantFrom('x', 'é', '\u0000', 'a b', '😀')).map(([k, ch]) => ch.repeat((k * 64 * 1024) / ch.length));

/** Values of every JSON type (and some YAML-only ones after stringify), including hostile strings. */
export const anyValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), hostileString), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A mapping of schema fields (and stray ones) to values of any type: wrong types, mostly. */
export const wrongTypes: fc.Arbitrary<unknown> = fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FIELDS) }, hostileString), anyValue, { minKeys: 1, maxKeys: 8 });

/** Pieces of YAML syntax; joined at random they reach the parser's error paths. */
const TOKENS = ['id', 'image', ':', ': ', '-', '- ', ' ', '  ', '\n', '\t', '[', ']', '{', '}', ',', '&a ', '*a', '!!str ', '!!binary ', '!x ', '|', '>', "'", '"', '#', '? ', '%YAML 1.2\n', '---\n', '...\n', '<<: ', '\u0000', '\u00a0', '\ufeff', 'é', '😀', 'x', '1', '0x1', '.inf', 'null', '~', 'true', 'y'];
export const tokenSoup: fc.Arbitrary<string> = fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }).map((ts) => ts.join(''));

/** Random text: code points of any plane and control characters, graphemes, or YAML token soup. */
export const randomText: fc.Arbitrary<string> = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 }), tokenSoup);

/** Deeply nested text, in flow and block style, under a real field; depth bounded so a case takes milliseconds. */
export const deepNesting: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 50, max: 600 }), fc.constantFrom('flow-seq', 'flow-map', 'block-seq', 'block-map', 'anchors'), fc.constantFrom(...FIELDS))
  .map(([depth, style, field]) => {
    switch (style) {
      case 'flow-seq':
        return `id: deep\nimage: x/y:1\n${field}: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`;
      case 'flow-map':
        return `id: deep\nimage: x/y:1\n${field}: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`;
      case 'block-seq':
        return `id: deep\nimage: x/y:1\n${field}:\n${Array.from({ length: Math.min(depth, 300) }, (_, i) => `${' '.repeat(i * 2)}- `).join('\n')}x\n`;
      case 'block-map':
        return `id: deep\nimage: x/y:1\n${field}:\n${Array.from({ length: Math.min(depth, 300) }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')} x\n`;
      default: {
        // Billion laughs: each anchor doubles the one before.
        const lines = ['a0: &a0 [x, x]'];
        for (let i = 1; i < Math.min(depth, 40); i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
        return `id: deep\nimage: x/y:1\n${field}:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
      }
    }
  });

/** Sets the value at `path` (keys / indexes) in a deep copy of `base`. */
function setPath(base: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(base) as Record<string | number, unknown>;
  let node = copy;
  for (const seg of path.slice(0, -1)) {
    if (!node[seg] || typeof node[seg] !== 'object') node[seg] = {};
    node = node[seg] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]!] = value;
  return copy;
}

/** Every path (keys / indexes) in a value, leaves and inner nodes. */
export function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  return out;
}

/** A valid manifest with one field (or the whole of it) replaced by something hostile, as YAML. */
export function mutatedValid(base: Record<string, unknown>): fc.Arbitrary<string> {
  const paths = pathsOf(base).filter((p) => p.length > 0);
  return fc.tuple(fc.constantFrom(...paths), anyValue).map(([path, value]) => stringify(setPath(base, path, value)));
}

/** A valid manifest whose id is path-like or otherwise no DNS label, as YAML (quoted so that YAML keeps it a string). */
export function hostileId(base: Record<string, unknown>): fc.Arbitrary<{ id: string; text: string }> {
  // A random string can be a DNS label too (fast-check favours short, plain strings; `app` was drawn once): it is no
  // hostile id, and the one equal to the file's stem is rightly accepted.
  const random = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((id) => !DNS_LABEL.test(id));
  return fc.oneof(fc.constantFrom(...HOSTILE_IDS), random).map((id) => ({ id, text: stringify({ ...base, id }) }));
}

/** A valid manifest with a huge value at one path, or a huge unknown field name. */
export function hugeInput(base: Record<string, unknown>): fc.Arbitrary<string> {
  const paths = pathsOf(base).filter((p) => p.length > 0);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...paths), hugeString).map(([path, value]) => stringify(setPath(base, path, value))),
    hugeString.map((key) => stringify({ ...base, [key]: 1 })),
  );
}

/** Any hostile manifest text. */
export function hostileManifest(base: Record<string, unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    randomText,
    wrongTypes.map((v) => stringify(v)),
    mutatedValid(base),
    hostileId(base).map((h) => h.text),
    fc.integer({ min: 50, max: 300 }).chain(() => deepNesting),
  );
}
