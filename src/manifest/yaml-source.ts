/**
 * YAML text → a plain value plus a locator that maps a JSON pointer back to a
 * line and column, so that every manifest problem can say where it is.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';

/** 1-based line and column. */
export interface Position {
  line: number;
  col: number;
}

/** A problem found while reading YAML, before any schema check. */
export interface SyntaxFinding {
  line: number;
  col: number;
  /** JSON pointer of the node concerned, where one is known (duplicate keys); otherwise the document (''). */
  pointer: string;
  message: string;
  hint?: string;
}

/** Where a pointer points: the key of a mapping entry (for unknown fields) or its value. */
export type Target = 'key' | 'value';

/** Maps a JSON pointer to the position of the node it names (or the deepest existing ancestor). */
export type Locator = (pointer: string, target?: Target) => Position;

export interface ParsedYaml {
  /** The first document as plain data; undefined when the text has no usable document. */
  value: unknown;
  /** True when a syntax error makes the value untrustworthy (the schema is then not checked). */
  broken: boolean;
  findings: SyntaxFinding[];
  locate: Locator;
}

/** Splits a JSON pointer into its unescaped segments (`/a~1b/0` → `['a/b', '0']`). */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Escapes one segment for a JSON pointer. */
export function pointerSegment(segment: string | number): string {
  return `/${String(segment).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * Parses one manifest file. Never throws: YAML syntax errors, duplicate keys, extra documents, aliases that do not
 * resolve and non-plain keys become findings with their position.
 */
export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // logLevel 'silent': the yaml package would otherwise print process warnings (e.g. for collection keys).
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'silent' });
  const at = (offset: number): Position => lineCounter.linePos(offset);
  const findings: SyntaxFinding[] = [];
  const first = docs[0];
  if (first === undefined) {
    return { value: undefined, broken: false, findings: [], locate: () => ({ line: 1, col: 1 }) };
  }
  const locate = makeLocator(first, at);
  let broken = false;
  for (const err of first.errors) {
    if (err.code === 'DUPLICATE_KEY') {
      const key = keyAt(first, err.pos[0]);
      findings.push({ ...at(err.pos[0]), pointer: key.pointer, message: `duplicate field ${JSON.stringify(key.name)}`, hint: 'each field may appear once; remove one of them' });
    } else {
      broken = true;
      findings.push({ ...at(err.pos[0]), pointer: '', message: `YAML syntax error: ${err.message}` });
    }
  }
  for (const w of first.warnings) findings.push({ ...at(w.pos[0]), pointer: '', message: `YAML: ${w.message}` });
  for (const extra of docs.slice(1)) {
    const start = extra.range[0];
    findings.push({ ...at(start), pointer: '', message: 'more than one YAML document in this file', hint: 'one app per file: move each document to its own <id>.yaml' });
  }
  visit(first, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key) && !isAlias(pair.key)) {
        const key = pair.key as Node;
        findings.push({ ...at(key.range?.[0] ?? 0), pointer: '', message: 'a key must be a plain name, not a list or mapping' });
        broken = true;
      }
    },
  });
  let value: unknown;
  try {
    value = first.toJS({ maxAliasCount: 100 });
  } catch (err) {
    broken = true;
    findings.push({ ...at(first.range[0]), pointer: '', message: `YAML: ${err instanceof Error ? err.message : String(err)}` });
  }
  return { value, broken, findings, locate };
}

/** The mapping key that starts at `offset` (for duplicate-key messages): its text and JSON pointer. */
function keyAt(doc: Document, offset: number): { name: string; pointer: string } {
  let found = { name: '?', pointer: '' };
  visit(doc, {
    Pair(_, pair, path) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      let pointer = '';
      for (const [i, node] of path.entries()) {
        const child = path[i + 1] ?? pair;
        if (isPair(node) && isScalar(node.key)) pointer += pointerSegment(String(node.key.value));
        else if (isSeq(node)) pointer += pointerSegment(node.items.indexOf(child as never));
      }
      found = { name: String(pair.key.value), pointer: pointer + pointerSegment(String(pair.key.value)) };
      return visit.BREAK;
    },
  });
  return found;
}

function makeLocator(doc: Document, at: (offset: number) => Position): Locator {
  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const startOf = (node: unknown): number | undefined => (node && typeof node === 'object' && 'range' in node ? (node as Node).range?.[0] : undefined);
  return (pointer, target = 'value') => {
    let node = resolve(doc.contents);
    let offset = startOf(node) ?? 0;
    const segments = pointerSegments(pointer);
    for (const [i, seg] of segments.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) break;
        const keyStart = startOf(pair.key);
        const value = resolve(pair.value);
        const valueStart = startOf(value);
        // An empty value (`image:`) has a zero-width node after the colon: point at the key instead.
        const empty = isScalar(value) && value.value === null;
        const wantKey = target === 'key' && i === segments.length - 1;
        offset = wantKey || valueStart === undefined || empty ? (keyStart ?? offset) : valueStart;
        node = value;
        if (empty) break;
      } else if (isSeq(node)) {
        const item = resolve(node.items[Number(seg)]);
        if (item === undefined || !/^[0-9]+$/.test(seg)) break;
        offset = startOf(item) ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return at(offset);
  };
}
