/**
 * A compose file's YAML → a plain value and a locator, with YAML anchors, aliases and merge keys (`<<: *base`)
 * resolved as the Compose Specification reads them. A pointer into a merged mapping is located where its text is:
 * inside the anchored mapping it was merged from.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { pointerSegments, type Position } from '../manifest/yaml-source.js';
import type { PointerLocator } from './findings.js';

export interface ComposeYaml {
  /** The document as plain data (merge keys applied); undefined when the text could not be read. */
  value: unknown;
  /** Syntax problems, each with its position; when any, `value` is undefined. */
  errors: Array<Position & { message: string }>;
  locate: PointerLocator;
}

/** Aliases a document may expand: more is a "billion laughs" document, refused. */
const MAX_ALIAS_COUNT = 100;

/** Parses a compose file. Never throws: syntax errors, duplicate keys, extra documents and alias bombs are errors. */
export function parseComposeYaml(text: string): ComposeYaml {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false, logLevel: 'silent' });
  const at = (offset: number): Position => lineCounter.linePos(offset);
  const first = docs[0];
  if (first === undefined) return { value: undefined, errors: [{ line: 1, col: 1, message: 'the file is empty' }], locate: () => ({ line: 1, col: 1 }) };
  const errors = first.errors.map((e) => ({ ...at(e.pos[0]), message: e.code === 'DUPLICATE_KEY' ? `duplicate key: ${e.message.split('\n')[0]}` : `YAML syntax error: ${e.message.split('\n')[0]}` }));
  for (const extra of docs.slice(1)) errors.push({ ...at(extra.range[0]), message: 'more than one YAML document in a compose file' });
  const locate = makeLocator(first, at);
  if (errors.length > 0) return { value: undefined, errors, locate };
  try {
    return { value: first.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), errors, locate };
  } catch (err) {
    return { value: undefined, errors: [{ ...at(0), message: `YAML: ${(err as Error).message}` }], locate };
  }
}

/** The pair for `key` in a mapping node, looking through its merge keys (`<<: *a` or `<<: [*a, *b]`) in order. */
function findPair(doc: Document, map: unknown, key: string, depth = 0): { key: unknown; value: unknown } | undefined {
  if (!isMap(map) || depth > 16) return undefined;
  // With `merge: true` the yaml package reads a `<<` key as the symbol `Symbol(<<)`; its source is still `<<`.
  const keyText = (p: unknown): string | undefined => (isPair(p) && isScalar(p.key) ? (typeof p.key.value === 'symbol' ? (p.key.source ?? '<<') : String(p.key.value)) : undefined);
  const own = map.items.find((p) => keyText(p) === key && key !== '<<');
  if (own) return { key: own.key, value: own.value };
  for (const p of map.items.filter((item) => keyText(item) === '<<')) {
    const sources = isSeq(p.value) ? p.value.items : [p.value];
    for (const source of sources) {
      const found = findPair(doc, isAlias(source) ? source.resolve(doc) : source, key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

function makeLocator(doc: Document, at: (offset: number) => Position): PointerLocator {
  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const startOf = (node: unknown): number | undefined => (node && typeof node === 'object' && 'range' in node ? (node as Node).range?.[0] : undefined);
  return (pointer, target = 'value') => {
    let node = resolve(doc.contents);
    let offset = startOf(node) ?? 0;
    const segments = pointerSegments(pointer);
    for (const [i, seg] of segments.entries()) {
      if (isMap(node)) {
        const pair = findPair(doc, node, seg);
        if (!pair) break;
        const value = resolve(pair.value);
        const empty = value === null || (isScalar(value) && value.value === null);
        const wantKey = target === 'key' && i === segments.length - 1;
        offset = (wantKey || empty ? startOf(pair.key) : startOf(value)) ?? startOf(pair.key) ?? offset;
        node = value;
      } else if (isSeq(node) && /^[0-9]+$/.test(seg)) {
        const item = resolve(node.items[Number(seg)]);
        if (item === undefined) break;
        offset = startOf(item) ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return at(offset);
  };
}
