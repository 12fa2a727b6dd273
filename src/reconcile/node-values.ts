/**
 * Per-node values of a fleet (issue 19, docs/fleet.md): a repository's `nodes/<name>.yaml` holds the values its
 * manifests reference as `{{node.PATH}}` and the apps this node runs. Pure: the caller reads the files.
 *
 * Node file:
 *
 *     apps: [bitcoind, lnd]        # optional; absent: every app of the catalog
 *     values:                      # what {{node.bitcoin.dbcache}} reads
 *       bitcoin: { dbcache: 4000 }
 *
 * The substitution runs on a manifest's text before it is parsed and validated, so the schema sees the values, and
 * no line moves: a problem the loader reports later still names the line of the repository's file.
 */
import { LineCounter, parseAllDocuments, visit, type Scalar } from 'yaml';
import type { Problem } from '../errors.js';
import { didYouMean } from '../manifest/did-you-mean.js';
import type { ManifestSource } from '../manifest/load.js';
import type { LoadedManifest } from '../manifest/types.js';
import { parseYaml } from '../manifest/yaml-source.js';

/** A node file as read: `text` undefined when the repository has none for this node. */
export interface NodeFileSource {
  /** Path as shown in problems, e.g. `…/nodes/h1.yaml`. */
  file: string;
  text?: string;
}

/** A node file, parsed. */
export interface NodeValues {
  file: string;
  /** False when the repository has no file for this node: no values, every app. */
  found: boolean;
  values: Record<string, unknown>;
  /** The app ids this node runs, each with where it is written; undefined: every app of the catalog. */
  apps?: Array<{ id: string; line: number; col: number }>;
}

const KEYS = ['apps', 'values'];
const meant = (word: string, candidates: Iterable<string>): string | undefined => {
  const m = didYouMean(word, candidates);
  return m === undefined ? undefined : `did you mean ${JSON.stringify(m)}?`;
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses a node file. Never throws: every problem is returned, with its line and column. */
export function parseNodeFile(src: NodeFileSource): { node: NodeValues; problems: Problem[] } {
  const node: NodeValues = { file: src.file, found: src.text !== undefined, values: {} };
  if (src.text === undefined) return { node, problems: [] };
  const parsed = parseYaml(src.text);
  const problems: Problem[] = parsed.findings.map((f) => ({ file: src.file, line: f.line, col: f.col, pointer: f.pointer, message: f.message, ...(f.hint ? { hint: f.hint } : {}) }));
  if (parsed.broken) return { node, problems };
  const at = (pointer: string, message: string, hint?: string, target: 'key' | 'value' = 'value'): Problem => ({ file: src.file, ...parsed.locate(pointer, target), pointer, message, ...(hint ? { hint } : {}) });
  const doc = parsed.value ?? {};
  if (!isRecord(doc)) return { node, problems: [...problems, at('', 'a node file is a mapping with apps: and values:')] };
  for (const key of Object.keys(doc)) if (!KEYS.includes(key)) problems.push(at(`/${key}`, `unknown field ${JSON.stringify(key)}`, meant(key, KEYS) ?? 'a node file has apps: and values:', 'key'));
  if (doc.values !== undefined && doc.values !== null) {
    if (isRecord(doc.values)) node.values = doc.values;
    else problems.push(at('/values', 'must be a mapping of values ({{node.PATH}} reads them)'));
  }
  if (doc.apps !== undefined) {
    if (!Array.isArray(doc.apps)) problems.push(at('/apps', 'must be a list of app ids'));
    else {
      node.apps = [];
      doc.apps.forEach((id, i) => {
        if (typeof id === 'string') node.apps!.push({ id, ...parsed.locate(`/apps/${i}`) });
        else problems.push(at(`/apps/${i}`, 'must be an app id (a string)'));
      });
    }
  }
  return { node, problems };
}

/** `{{node.PATH}}`, PATH dot-separated keys; with the quote before and after it, if any. */
const PLACEHOLDER = /(["']?)\{\{\s*node\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*\}\}(["']?)/g;

/** A value that may stand inside any scalar as it is: no quote, backslash, comment sign, flow indicator, space or line break. */
const INLINE_SAFE = /^[A-Za-z0-9._/@+=:~%-]*$/;

/** The value at `path` in `values`, or undefined. */
export function lookupValue(values: Record<string, unknown>, path: string): unknown {
  let v: unknown = values;
  for (const key of path.split('.')) {
    if (!isRecord(v) || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

/** Where every scalar of `text` is, and how it is written (yaml's Scalar types). */
function scalarsOf(text: string): Array<{ start: number; end: number; type: Scalar['type'] }> {
  const out: Array<{ start: number; end: number; type: Scalar['type'] }> = [];
  for (const doc of parseAllDocuments(text, { logLevel: 'silent' }))
    visit(doc, {
      Scalar(_k, s) {
        if (s.range) out.push({ start: s.range[0], end: s.range[1], type: s.type });
      },
    });
  return out;
}

/**
 * Replaces every `{{node.PATH}}` in a manifest's text by the node's value. A placeholder that is a whole quoted
 * scalar (`"{{node.bitcoin.dbcache}}"`) becomes the value with its type (a number stays a number; a list or mapping
 * becomes a flow collection); inside a longer string it becomes the value's text, escaped for the quotes around it.
 * No line break is ever inserted. Returns the new source and the problems (a missing key, a placeholder outside
 * a value, a value that cannot stand where it is written), each at the placeholder's line and column.
 */
export function substituteNodeValues(src: ManifestSource, node: NodeValues): { source: ManifestSource; problems: Problem[] } {
  if (!src.text.includes('{{')) return { source: src, problems: [] };
  const lines = new LineCounter();
  parseAllDocuments(src.text, { lineCounter: lines, logLevel: 'silent' });
  const scalars = scalarsOf(src.text);
  const problems: Problem[] = [];
  const text = src.text.replace(PLACEHOLDER, (match: string, open: string, path: string, close: string, offset: number) => {
    const start = offset + open.length;
    const problem = (message: string, hint?: string): string => {
      problems.push({ file: src.file, ...lines.linePos(start), message: `{{node.${path}}}: ${message}`, ...(hint ? { hint } : {}) });
      return match;
    };
    const value = lookupValue(node.values, path);
    if (value === undefined) {
      return node.found
        ? problem(`${node.file} has no value ${path}`, `add it under values: in ${node.file}`)
        : problem(`this node has no node file (${node.file})`, 'add the file, or give the node its name with --node-name');
    }
    const scalar = scalars.find((s) => s.start <= start && start < s.end);
    if (!scalar) return problem('a placeholder stands only in a value', `quote it: "{{node.${path}}}"`);
    const quoted = scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE';
    // The whole scalar is the placeholder: the value keeps its type.
    if (quoted && open !== '' && open === close && scalar.start === offset && scalar.end === offset + match.length) return JSON.stringify(value);
    if (typeof value === 'object' && value !== null) return problem('a list or mapping replaces a whole quoted value only', `write it alone: "{{node.${path}}}"`);
    const s = String(value);
    if (scalar.type === 'QUOTE_DOUBLE') return open + JSON.stringify(s).slice(1, -1) + close;
    if (scalar.type === 'QUOTE_SINGLE' && !/[\r\n]/.test(s)) return open + s.replace(/'/g, "''") + close;
    if (INLINE_SAFE.test(s)) return open + s + close;
    return problem(`its value ${JSON.stringify(s)} cannot stand inside this unquoted text`, 'put the text in double quotes');
  });
  return { source: { file: src.file, text }, problems };
}

/**
 * The manifests this node runs: all, or those `node.apps` names. An id no manifest has is a problem at its line in
 * the node file.
 */
export function selectApps(manifests: readonly LoadedManifest[], node: NodeValues): { manifests: LoadedManifest[]; problems: Problem[] } {
  if (!node.apps) return { manifests: [...manifests], problems: [] };
  const ids = new Set(manifests.map((m) => m.manifest.id));
  const problems = node.apps
    .filter((a) => !ids.has(a.id))
    .map((a): Problem => ({ file: node.file, line: a.line, col: a.col, pointer: '/apps', message: `no manifest has the id ${JSON.stringify(a.id)}`, hint: meant(a.id, ids) ?? `the catalog's apps: ${[...ids].sort().join(', ')}` }));
  const selected = new Set(node.apps.map((a) => a.id));
  return { manifests: manifests.filter((m) => selected.has(m.manifest.id)), problems };
}
