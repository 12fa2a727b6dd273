/**
 * Env files as compose reads them (the project's `.env`, `--env-file`, a service's `env_file`): one `NAME=value` a
 * line, an optional `export ` before it, `#` comments (whole lines, or after a blank in an unquoted value), values
 * unquoted, in '…' (literal) or in "…" (with `\n`, `\t`, `\"` and `\\`); unquoted and "…" values are interpolated
 * with the variables known so far (`${VAR:-x}`). A bare `NAME` takes its value from `lookup`, or is left unset.
 */
import { interpolate } from './interpolate.js';

export interface EnvEntry {
  name: string;
  /** Undefined: a bare `NAME` whose value was not found: the variable stays unset. */
  value: string | undefined;
  line: number;
}

export interface EnvFileError {
  line: number;
  col: number;
  variable?: string;
  message: string;
  hint?: string;
}

export interface ParsedEnvFile {
  entries: EnvEntry[];
  errors: EnvFileError[];
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:(=)\s*(.*))?$/;
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', $: '$$' };

/**
 * Parses env-file text. `lookup` gives the variables already known (for interpolation and bare names); the file's
 * own earlier entries are seen by later ones.
 */
export function parseEnvFile(text: string, lookup: ReadonlyMap<string, string>): ParsedEnvFile {
  const vars = new Map(lookup);
  const entries: EnvEntry[] = [];
  const errors: EnvFileError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trim().startsWith('#')) return;
    const m = LINE.exec(raw);
    if (!m) {
      errors.push({ line, col: 1, message: `not a NAME=value line: ${JSON.stringify(raw.slice(0, 60))}` });
      return;
    }
    const name = m[1]!;
    if (m[2] === undefined) {
      const value = lookup.get(name);
      entries.push({ name, value, line });
      if (value !== undefined) vars.set(name, value);
      return;
    }
    const col = raw.length - m[3]!.length + 1;
    const value = envValue(m[3]!, vars);
    if ('message' in value) {
      errors.push({ line, col, ...value });
      return;
    }
    entries.push({ name, value: value.text, line });
    vars.set(name, value.text);
  });
  return { entries, errors };
}

/** One value: quoted or not, interpolated unless single-quoted. */
function envValue(text: string, vars: ReadonlyMap<string, string>): { text: string } | Omit<EnvFileError, 'line' | 'col'> {
  let raw: string;
  if (text.startsWith("'")) {
    const end = text.indexOf("'", 1);
    if (end < 0) return { message: 'unterminated single quote' };
    return { text: text.slice(1, end) };
  }
  if (text.startsWith('"')) {
    let j = 1;
    raw = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\' && ESCAPES[text[j + 1] ?? ''] !== undefined) raw += ESCAPES[text[++j]!];
      else raw += text[j];
    }
    if (j >= text.length) return { message: 'unterminated double quote (a value spans one line)' };
  } else {
    raw = text.replace(/\s+#.*$/, '').trimEnd();
  }
  const r = interpolate(raw, vars);
  return r.ok ? { text: r.value } : r.error;
}
