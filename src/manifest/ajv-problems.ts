/**
 * ajv errors → readable findings: one per real mistake, pointing at the node
 * that holds it (the offending key for unknown fields, the parent object for
 * missing ones), with "did you mean" and examples from the schema.
 */
import type { ErrorObject } from './schema.js';
import { didYouMean, suggestion } from './did-you-mean.js';
import { pointerSegment, type Target } from './yaml-source.js';

/** A problem inside one manifest, before its position is looked up. */
export interface Finding {
  pointer: string;
  target?: Target;
  message: string;
  hint?: string;
}

/** A finding plus what it says about fields, so that a misspelt field is reported once, not also as missing. */
interface Noted extends Finding {
  /** Fields this finding reports missing at `pointer`. */
  missing?: string[];
  /** For an unknown field: the object's pointer and the known field it is probably a typo of. */
  typoOf?: { at: string; field: string };
}

type Schema = Record<string, unknown>;

const CONTROL = /[\x00-\x1f\x7f]/;
/** Patterns up to this length are quoted in messages (`^[0-9]+(ms|s|m|h)$`); longer ones are named by their title. */
const QUOTABLE_PATTERN = 32;
const MAX_LISTED_VALUES = 8;
/** Longer enums are listed in the hint when the list stays this short; otherwise the schema's description is. */
const MAX_HINT_LIST = 200;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping of fields',
  array: 'a list',
  null: 'empty',
};

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

/** `(e.g. 30s, 10m)` from the schema's `examples`, or the empty string. */
function examplesOf(schema: Schema | undefined): string {
  const ex = schema?.examples;
  return Array.isArray(ex) && ex.length > 0 ? ` (e.g. ${ex.join(', ')})` : '';
}

function article(noun: string): string {
  // 'u' usually sounds like 'you' (a user, a uid); 'I' as in IP does not.
  return /^[aeioAEIOU]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** Branches of a `oneOf` that each only require one field: `image` xor `build`. */
function exclusiveFields(schema: unknown): string[] | undefined {
  if (!Array.isArray(schema)) return undefined;
  const names = schema.map((b: Schema) => (Object.keys(b).length === 1 && Array.isArray(b.required) && b.required.length === 1 ? String(b.required[0]) : undefined));
  return names.every((n) => n !== undefined) ? (names as string[]) : undefined;
}

function patternFinding(pointer: string, value: unknown, pattern: string, schema: Schema | undefined, target: Target): Finding {
  if (typeof value === 'string' && CONTROL.test(value)) {
    return { pointer, target, message: 'must not contain control characters or newlines', hint: 'a newline or control character could add a key to a unit file' };
  }
  const title = typeof schema?.title === 'string' ? schema.title : undefined;
  if (pattern.length <= QUOTABLE_PATTERN || title === undefined) {
    return { pointer, target, message: `must match ${JSON.stringify(pattern)}${examplesOf(schema)}` };
  }
  const description = typeof schema?.description === 'string' ? schema.description.replace(/\.$/, '') : undefined;
  return { pointer, target, message: `must be ${article(title)}${examplesOf(schema)}`, ...(description ? { hint: description } : {}) };
}

/**
 * The hint for a number or boolean where a string is wanted: `quote it: "30"` when the quoted value is valid, else
 * the value with the first unit that makes it valid (`health.interval: 30` → `"30s"`: the duration's pattern would
 * refuse "30", and a hint that leads to a second error is no hint), else the schema's description.
 */
function scalarHint(types: string, data: unknown, parent: Schema | undefined): { hint?: string } {
  if (!types.split(',').includes('string') || (typeof data !== 'number' && typeof data !== 'boolean')) return {};
  const pattern = typeof parent?.pattern === 'string' ? new RegExp(parent.pattern, 'u') : undefined;
  const text = String(data);
  if (!pattern || pattern.test(text)) return { hint: `quote it: "${text}"` };
  const withUnit = ['s', 'ms', 'm', 'h'].map((u) => `${text}${u}`).find((v) => pattern.test(v));
  if (withUnit !== undefined) return { hint: `give it its unit: "${withUnit}"` };
  return typeof parent?.description === 'string' ? { hint: parent.description.replace(/\.$/, '') } : {};
}

/** Converts one ajv error (already known not to be noise) into a finding. */
function toFinding(e: ErrorObject): Noted {
  const at = e.instancePath;
  const params = e.params as Record<string, unknown>;
  const parent = e.parentSchema as Schema | undefined;
  if (e.propertyName !== undefined) {
    // A propertyNames violation: the key itself is wrong, so point at the key.
    const pointer = at + pointerSegment(e.propertyName);
    const inner = e.keyword === 'pattern' ? patternFinding(pointer, e.propertyName, String(params.pattern), parent, 'key') : { pointer, target: 'key' as const, message: e.message ?? 'invalid name' };
    return { ...inner, message: `invalid name ${JSON.stringify(e.propertyName)}: ${inner.message}` };
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      const retired = at === '' && Object.hasOwn(RETIRED_FIELDS, field) ? RETIRED_FIELDS[field] : undefined;
      if (retired) return { pointer: at + pointerSegment(field), target: 'key', message: `unknown field ${JSON.stringify(field)}: ${retired.why}`, hint: retired.instead };
      const allowed = Object.keys((parent?.properties as Schema | undefined) ?? {});
      const near = didYouMean(field, allowed);
      const hint = near === undefined && allowed.length > 0 ? { hint: `allowed fields: ${allowed.join(', ')}` } : {};
      const typoOf = near !== undefined ? { typoOf: { at, field: near } } : {};
      return { pointer: at + pointerSegment(field), target: 'key', message: `unknown field ${JSON.stringify(field)}${suggestion(field, allowed)}`, ...hint, ...typoOf };
    }
    case 'dependentRequired':
      return { pointer: at, message: `missing required field ${JSON.stringify(String(params.missingProperty))} (it goes with ${JSON.stringify(String(params.property))})`, missing: [String(params.missingProperty)] };
    case 'required':
      return { pointer: at, message: `missing required field ${JSON.stringify(String(params.missingProperty))}`, missing: [String(params.missingProperty)] };
    case 'type': {
      const expected = String(params.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      return { pointer: at, message: `must be ${expected}, not ${describeValue(e.data)}`, ...scalarHint(String(params.type), e.data, parent) };
    }
    case 'pattern':
      return patternFinding(at, e.data, String(params.pattern), parent, 'value');
    case 'enum': {
      const values = (params.allowedValues as unknown[]).map((v) => String(v));
      const value = typeof e.data === 'string' ? e.data : String(e.data);
      const listed = values.join(', ');
      const hint = listed.length <= MAX_HINT_LIST ? { hint: `allowed: ${listed}` } : typeof parent?.description === 'string' ? { hint: parent.description.replace(/\.$/, '') } : {};
      if (values.length <= MAX_LISTED_VALUES) {
        return { pointer: at, message: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}${suggestion(value, values)}` };
      }
      return { pointer: at, message: `${JSON.stringify(value)} is not one of the ${values.length} allowed values${suggestion(value, values)}`, ...hint };
    }
    case 'minimum':
    case 'maximum':
      return { pointer: at, message: `must be ${e.keyword === 'minimum' ? '>=' : '<='} ${String(params.limit)}` };
    case 'minItems':
      return { pointer: at, message: params.limit === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} items` };
    case 'maxLength':
      return { pointer: at, message: `must be at most ${String(params.limit)} characters` };
    case 'uniqueItems':
      return { pointer: at + pointerSegment(Number(params.i)), message: `duplicate of item ${String(params.j)}`, hint: 'list each value once' };
    case 'not': {
      const both = (e.schema as Schema | undefined)?.required;
      if (Array.isArray(both)) return { pointer: at, message: `${both.map((f) => JSON.stringify(f)).join(' and ')} are mutually exclusive`, hint: 'keep one of them' };
      return { pointer: at, message: e.message ?? 'is not allowed' };
    }
    default:
      return { pointer: at, message: e.message ?? `fails ${e.keyword}` };
  }
}

/** Top-level fields earlier manifests had, and what replaced them. */
const RETIRED_FIELDS: Record<string, { why: string; instead: string }> = {
  ui: {
    why: 'a web UI is one of the app\'s containers now',
    instead: 'list the app\'s containers under containers (e.g. containers.ui, with dependsOn: [{container: NAME}])',
  },
};

/**
 * Turns ajv's error list into findings: collapses `image`-xor-`build` style `oneOf`s into one message, drops
 * the wrapper errors ajv adds around `propertyNames`, and removes exact duplicates.
 */
export function findingsFromAjv(errors: readonly ErrorObject[]): Finding[] {
  const findings: Noted[] = [];
  const swallowed: Array<{ prefix: string; instancePath: string }> = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf') continue;
    const fields = exclusiveFields(e.schema);
    if (!fields) continue;
    swallowed.push({ prefix: `${e.schemaPath}/`, instancePath: e.instancePath });
    const passing = (e.params as { passingSchemas: number[] | null }).passingSchemas;
    const list = fields.map((f) => JSON.stringify(f));
    if (passing === null || passing === undefined) {
      findings.push({ pointer: e.instancePath, message: `missing ${list.join(' or ')} (exactly one is required)`, missing: fields });
    } else {
      const second = fields[passing[1] ?? 0]!;
      findings.push({ pointer: e.instancePath + pointerSegment(second), target: 'key', message: `${passing.map((i) => list[i]).join(' and ')} are mutually exclusive`, hint: 'keep one of them' });
    }
  }
  for (const e of errors) {
    if (e.keyword === 'oneOf' && exclusiveFields(e.schema)) continue;
    if (e.keyword === 'propertyNames') continue;
    // `if`/`then`/`else` (a value that is text or an object): the branch's own errors say what is wrong.
    if (e.keyword === 'if') continue;
    if (swallowed.some((s) => e.schemaPath.startsWith(s.prefix) && e.instancePath === s.instancePath)) continue;
    findings.push(toFinding(e));
  }
  // `imagee: x` is one mistake: report the unknown field (with its "did you mean"), not also the missing `image`.
  const typos = findings.flatMap((f) => (f.typoOf ? [`${f.typoOf.at}\u0000${f.typoOf.field}`] : []));
  const seen = new Set<string>();
  return findings
    .filter((f) => !f.missing?.some((field) => typos.includes(`${f.pointer}\u0000${field}`)))
    .filter((f) => {
      const key = `${f.pointer}\u0000${f.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .map(({ pointer, target, message, hint }) => ({ pointer, ...(target ? { target } : {}), message, ...(hint ? { hint } : {}) }));
}
