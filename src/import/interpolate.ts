/**
 * Variable interpolation as the Compose Specification defines it ("Interpolation"): `$VAR`, `${VAR}`,
 * `${VAR:-default}` (unset or empty), `${VAR-default}` (unset), `${VAR:?message}` / `${VAR?message}` (required),
 * `${VAR:+replacement}` / `${VAR+replacement}`, defaults that hold further `${…}`, and `$$` for a literal `$`.
 *
 * Unlike compose, which warns and substitutes an empty string, an unset variable without a default is an error:
 * a manifest would otherwise carry a silently empty value.
 */

/** Why a string could not be interpolated. */
export interface InterpolationError {
  /** The variable concerned, when one is. */
  variable?: string;
  message: string;
  hint?: string;
}

export type Interpolated = { ok: true; value: string } | { ok: false; error: InterpolationError };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The index of the `}` that closes the `${` whose body starts at `from`, counting nested `${…}`; -1 when none. */
function closingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '$') i++;
    else if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/**
 * Interpolates `text` with `vars` (name → value; a name absent from it is unset).
 * @returns the value, or the first error: an unset variable without a default, a `${VAR?message}` that is unset,
 *   or a malformed expression (`${`, `$1`, `${VAR:x}`).
 */
export function interpolate(text: string, vars: ReadonlyMap<string, string>, depth = 0): Interpolated {
  if (depth > 8) return { ok: false, error: { message: 'defaults nested more than 8 deep' } };
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    if (next !== '{') {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (name === undefined) return { ok: false, error: { message: `invalid interpolation at ${JSON.stringify(text.slice(i, i + 6))}`, hint: 'write $$ for a literal $' } };
      const value = vars.get(name);
      if (value === undefined) return { ok: false, error: unsetError(name) };
      out += value;
      i += name.length;
      continue;
    }
    const end = closingBrace(text, i + 2);
    if (end < 0) return { ok: false, error: { message: `unclosed "\${" in ${JSON.stringify(text)}`, hint: 'close it with }' } };
    const body = text.slice(i + 2, end);
    const expanded = expression(body, vars, depth);
    if (!expanded.ok) return expanded;
    out += expanded.value;
    i = end;
  }
  return { ok: true, value: out };
}

function unsetError(name: string): InterpolationError {
  return { variable: name, message: `variable ${name} is not set`, hint: `set it in an --env file or the environment, or give a default: \${${name}:-value}` };
}

/** One `${…}` body: `NAME`, or `NAME` followed by an operator and a word. */
function expression(body: string, vars: ReadonlyMap<string, string>, depth: number): Interpolated {
  const name = NAME.exec(body)?.[0];
  if (name === undefined) return { ok: false, error: { message: `invalid interpolation "\${${body}}": no variable name` } };
  const rest = body.slice(name.length);
  const value = vars.get(name);
  if (rest === '') return value === undefined ? { ok: false, error: unsetError(name) } : { ok: true, value };
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (op === undefined) return { ok: false, error: { variable: name, message: `invalid interpolation "\${${body}}"`, hint: 'use ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message} or ${VAR:+value}' } };
  const word = rest.slice(op.length);
  const colon = op.startsWith(':');
  const isSet = value !== undefined && (!colon || value !== '');
  switch (op.replace(':', '')) {
    case '-':
      return isSet ? { ok: true, value: value! } : interpolate(word, vars, depth + 1);
    case '?':
      if (isSet) return { ok: true, value: value! };
      return { ok: false, error: { variable: name, message: `variable ${name} is required${word ? `: ${word}` : ''}`, hint: `set it in an --env file or the environment` } };
    default:
      return isSet ? interpolate(word, vars, depth + 1) : { ok: true, value: '' };
  }
}

/** Where interpolation failed in a document: the JSON pointer of the string and the error. */
export interface DocumentInterpolationError extends InterpolationError {
  pointer: string;
}

/**
 * Interpolates every string value of a plain YAML value (mapping keys are left as they are, as compose does),
 * returning a new value and every error with its pointer. Extension fields (`x-…`) are left alone: they hold
 * anchors' templates, not settings.
 */
export function interpolateDocument(value: unknown, vars: ReadonlyMap<string, string>, pointer = ''): { value: unknown; errors: DocumentInterpolationError[] } {
  const errors: DocumentInterpolationError[] = [];
  const walk = (v: unknown, at: string): unknown => {
    if (typeof v === 'string') {
      const r = interpolate(v, vars);
      if (r.ok) return r.value;
      errors.push({ pointer: at, ...r.error });
      return v;
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${at}/${i}`));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, item]) => [k, k.startsWith('x-') ? item : walk(item, `${at}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`)]),
      );
    }
    return v;
  };
  return { value: walk(value, pointer), errors };
}
