/**
 * Loads app manifests: YAML text → validated `Manifest`s, or every problem
 * found in every file (syntax, schema, cross-manifest), each with its file,
 * line, column and JSON pointer. Pure: the caller reads the files.
 */
import type { Problem } from '../errors.js';
import type { LoadedManifest, Manifest } from './types.js';
import { findingsFromAjv, type Finding } from './ajv-problems.js';
import { checkCatalog, checkManifest, fileStem, type CheckInput, type ReservedPort } from './checks.js';
import { manifestValidator } from './schema.js';
import { parseYaml, type Locator } from './yaml-source.js';

/** One manifest file as read by the caller (`src/store/node/manifest-files.ts`). */
export interface ManifestSource {
  /** Path as shown in problems, e.g. `manifests/lnd.yaml`. */
  file: string;
  text: string;
}

export interface LoadOptions {
  /** Template file names under `templates/config/`; when given, every config must name one of them. */
  templates?: readonly string[];
  /** Host addresses the node binds itself (its daemon's `--listen`): no app may publish a port on one. */
  reserved?: readonly ReservedPort[];
}

export interface LoadResult {
  /** The valid manifests, in input order. Use them only when `problems` is empty. */
  manifests: LoadedManifest[];
  /** Every problem in every file, sorted by file (input order), line and column. */
  problems: Problem[];
}

function kindOf(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;
}

/**
 * Parses and validates every source, then checks them against each other. Never throws on any input text:
 * all problems are returned.
 */
export function loadManifests(sources: readonly ManifestSource[], options: LoadOptions = {}): LoadResult {
  const problems: Problem[] = [];
  const loaded: LoadedManifest[] = [];
  const inputs: CheckInput[] = [];
  const locators = new Map<string, Locator>();
  const report = (file: string, locate: Locator, f: Finding): void => {
    problems.push({ file, ...locate(f.pointer, f.target), pointer: f.pointer, message: f.message, ...(f.hint ? { hint: f.hint } : {}) });
  };

  for (const { file, text } of sources) {
    const parsed = parseYaml(text);
    locators.set(file, parsed.locate);
    for (const s of parsed.findings) problems.push({ file, line: s.line, col: s.col, pointer: s.pointer, message: s.message, ...(s.hint ? { hint: s.hint } : {}) });
    if (parsed.broken) continue;
    const value = parsed.value;
    if (value === null || value === undefined) {
      problems.push({ file, line: 1, col: 1, pointer: '', message: 'empty manifest', hint: `start with "id: ${fileStem(file)}"` });
      continue;
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push({ file, ...parsed.locate(''), pointer: '', message: `must be a mapping of fields, not ${kindOf(value)}`, hint: `start with "id: ${fileStem(file)}"` });
      continue;
    }
    const validate = manifestValidator();
    const schemaValid = validate(value);
    if (!schemaValid) {
      for (const f of findingsFromAjv(validate.errors ?? [])) {
        if (f.message === 'missing required field "id"') f.hint = `add "id: ${fileStem(file)}" (the file's base name)`;
        report(file, parsed.locate, f);
      }
    } else {
      for (const f of checkManifest(value as Manifest, options)) report(file, parsed.locate, f);
    }
    // A schema-valid value takes part in the cross checks even with other problems of its own; only files without
    // any problem are returned (filtered below).
    inputs.push({ file, value, ...(schemaValid ? { manifest: value as Manifest } : {}) });
    if (schemaValid) loaded.push({ file, manifest: value as Manifest, locate: parsed.locate });
  }

  for (const f of checkCatalog(inputs, options.reserved)) report(f.file, locators.get(f.file)!, f);

  const order = new Map(sources.map((s, i) => [s.file, i]));
  problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  const bad = new Set(problems.map((p) => p.file));
  return { manifests: loaded.filter((m) => !bad.has(m.file)), problems };
}
