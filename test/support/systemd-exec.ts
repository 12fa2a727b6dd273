/**
 * A generated service's lines read the way systemd 257 reads them (src/core/load-fragment.c, config_parse_exec and
 * config_parse_unit_mounts_for; src/basic/extract-word.c; src/core/execute.c replace_env_argv), so a test can compare
 * what reaches podman with what the manifest said:
 *
 * - unit specifiers first, on the whole value: `%%` → `%`, a known specifier → `<%x>`, an unknown one fails the line;
 * - `ExecStart=`: an unquoted `;` word separates commands, `\;` is a literal `;` word; other words are unquoted
 *   (`"…"`, `'…'`, also inside a word) and C-unescaped, an unbalanced quote or a bad escape fails the line;
 * - at exec time each word's `$$` becomes `$`, while `$NAME`/`${NAME}` would be replaced by the service's
 *   environment (reported, never expected in our lines);
 * - `RequiresMountsFor=`: words unquoted the same way (no C escapes), each one a path.
 *
 * The `ExecStart=` reading is checked against the test host's systemd in test/e2e/systemd-exec.test.ts.
 */

/** The specifiers systemd.unit(5) lists. */
const SPECIFIERS = new Set('aAbBCdEfgGhHiIjJlLmMnNopPqsStTuUvVwWyY'.split(''));
const WHITESPACE = ' \t\n\r';
const SIMPLE: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

export type Read<T> = { ok: true; value: T } | { ok: false; message: string };

/** `%%` → `%`, `%x` → `<%x>`; fails on an unknown specifier or a trailing `%`. */
export function expandSpecifiers(text: string): Read<string> {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '%') {
      out += text[i];
      continue;
    }
    const c = text[++i];
    if (c === '%') out += '%';
    else if (c !== undefined && SPECIFIERS.has(c)) out += `<%${c}>`;
    else return { ok: false, message: `unknown specifier %${c ?? ''}` };
  }
  return { ok: true, value: out };
}

/** One C escape after `\` at `text[i]`: its text and length, or undefined when systemd refuses it. */
function cEscape(text: string, i: number): { char: string; length: number } | undefined {
  const c = text[i];
  if (c === undefined) return undefined;
  if (SIMPLE[c] !== undefined) return { char: SIMPLE[c]!, length: 1 };
  const hex = (n: number): number | undefined => (/^[0-9a-fA-F]+$/.test(text.slice(i + 1, i + 1 + n)) && text.slice(i + 1, i + 1 + n).length === n ? parseInt(text.slice(i + 1, i + 1 + n), 16) : undefined);
  const code = c === 'x' ? hex(2) : c === 'u' ? hex(4) : c === 'U' ? hex(8) : /^[0-7]{3}$/.test(text.slice(i, i + 3)) ? parseInt(text.slice(i, i + 3), 8) : undefined;
  if (code === undefined || code === 0) return undefined;
  return { char: String.fromCodePoint(code), length: c === 'x' ? 3 : c === 'u' ? 5 : c === 'U' ? 9 : 3 };
}

/** extract_first_word(): the next word from `text[i]` and where it ends, or an error. */
function nextWord(text: string, i: number, unescape: boolean): Read<{ word: string; end: number }> {
  let word = '';
  let quote: string | undefined;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      if (!unescape) {
        word += text[i + 1] ?? '';
        i++;
        continue;
      }
      const e = cEscape(text, i + 1);
      if (!e) return { ok: false, message: `bad escape \\${text[i + 1] ?? ''}` };
      word += e.char;
      i += e.length;
    } else if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (WHITESPACE.includes(c)) {
      break;
    } else {
      word += c;
    }
  }
  if (quote !== undefined) return { ok: false, message: `unbalanced ${quote}` };
  return { ok: true, value: { word, end: i } };
}

/** `$$` → `$`; a `$NAME` or `${NAME}` fails (systemd would replace it with the service's environment). */
function expandEnv(word: string): Read<string> {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    if (word[i] !== '$') {
      out += word[i];
      continue;
    }
    const next = word[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '{' || (next !== undefined && /[A-Za-z0-9_]/.test(next))) {
      return { ok: false, message: `systemd expands $${next === '{' ? '{…}' : next}… from the service's environment` };
    } else {
      out += '$';
    }
  }
  return { ok: true, value: out };
}

/** The commands of one `ExecStart=` value, each as the argv systemd executes. */
export function execCommands(value: string): Read<string[][]> {
  const expanded = expandSpecifiers(value);
  if (!expanded.ok) return expanded;
  const text = expanded.value;
  const commands: string[][] = [[]];
  let i = 0;
  for (;;) {
    while (i < text.length && WHITESPACE.includes(text[i]!)) i++;
    if (i >= text.length) break;
    const ends = (at: number): boolean => at >= text.length || WHITESPACE.includes(text[at]!);
    if (text[i] === ';' && ends(i + 1)) {
      commands.push([]);
      i++;
      continue;
    }
    if (text[i] === '\\' && text[i + 1] === ';' && ends(i + 2)) {
      commands.at(-1)!.push(';');
      i += 2;
      continue;
    }
    const w = nextWord(text, i, true);
    if (!w.ok) return w;
    const env = expandEnv(w.value.word);
    if (!env.ok) return env;
    commands.at(-1)!.push(env.value);
    i = w.value.end;
  }
  return { ok: true, value: commands.filter((c) => c.length > 0) };
}

/** The paths of one `RequiresMountsFor=` value. */
export function mountPaths(value: string): Read<string[]> {
  const expanded = expandSpecifiers(value);
  if (!expanded.ok) return expanded;
  const text = expanded.value;
  const paths: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && WHITESPACE.includes(text[i]!)) i++;
    if (i >= text.length) break;
    const w = nextWord(text, i, false);
    if (!w.ok) return w;
    paths.push(w.value.word);
    i = w.value.end;
  }
  return { ok: true, value: paths };
}

/** Every value of `key` in a generated service's text (no continuation lines: the generator writes none). */
export function keyValues(service: string, key: string): string[] {
  return [...service.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);
}
