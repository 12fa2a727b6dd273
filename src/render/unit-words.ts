/**
 * Splitting a unit-file value into words as Quadlet does (podman pkg/systemd/parser/split.go, itself systemd's
 * extract_first_word()). Two readings are used by Quadlet's keys:
 *
 * - `args` (LookupAllArgs/LookupLastArgs/LookupAllKeyVal: `Exec=`, `Environment=`, `Label=`, `Secret=`,
 *   `PodmanArgs=`, `EnvironmentFile=`, `Mask=`): blanks separate words; `"…"` and `'…'` group them and are removed;
 *   C escapes (`\n`, `\t`, `\"`, `\\`, `\s`, `\x41`, `\u00e9`, `\101`) are unescaped; an unbalanced quote or a
 *   trailing `\` ends the value (relaxed). An unknown escape is an error: Quadlet then skips the whole value.
 * - `strv` (LookupAllStrv: `AddCapability=`, `DropCapability=`, `Sysctl=`, `AddDevice=`, `LogOpt=`): the same, but
 *   `\` is an ordinary character and an unbalanced quote is an error.
 */

export type WordMode = 'args' | 'strv';

/**
 * The words, or why Quadlet skips the whole value. A value Quadlet reads other than it looks says so: `unbalanced`,
 * the quote left open (relaxed: the rest of the value is one word), and `dropped`, what follows an empty word (`""`),
 * which ends the value.
 */
export type SplitWords = { ok: true; words: string[]; unbalanced?: string; dropped?: string } | { ok: false; message: string };

const BLANKS = ' \t\n\r';
const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

/** One C escape after a `\` at `text[i]`: the character and how many characters it took, or undefined. */
function cUnescape(text: string, i: number): { char: string; length: number } | undefined {
  const c = text[i];
  if (c === undefined) return undefined;
  if (SIMPLE_ESCAPES[c] !== undefined) return { char: SIMPLE_ESCAPES[c]!, length: 1 };
  const hex = (n: number): number | undefined => {
    const digits = text.slice(i + 1, i + 1 + n);
    return digits.length === n && /^[0-9a-fA-F]+$/.test(digits) ? parseInt(digits, 16) : undefined;
  };
  const code = c === 'x' ? hex(2) : c === 'u' ? hex(4) : c === 'U' ? hex(8) : undefined;
  if (code !== undefined) return code === 0 || code > 0x10ffff ? undefined : { char: String.fromCodePoint(code), length: c === 'x' ? 3 : c === 'u' ? 5 : 9 };
  const octal = text.slice(i, i + 3);
  if (/^[0-7]{3}$/.test(octal)) {
    const n = parseInt(octal, 8);
    return n === 0 || n > 255 ? undefined : { char: String.fromCodePoint(n), length: 3 };
  }
  return undefined;
}

/** Splits `text` into words as Quadlet reads the key (see the module comment). */
export function splitUnitWords(text: string, mode: WordMode): SplitWords {
  const words: string[] = [];
  const relax = mode === 'args';
  const escapes = mode === 'args';
  let i = 0;
  while (i < text.length) {
    while (i < text.length && BLANKS.includes(text[i]!)) i++;
    if (i >= text.length) break;
    let word = '';
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (escapes && c === '\\') {
        const next = cUnescape(text, i + 1);
        if (i + 1 >= text.length) break; // a trailing backslash ends the value (relaxed)
        if (!next) return { ok: false, message: `unsupported escape \\${text[i + 1]}` };
        word += next.char;
        i += next.length;
        continue;
      }
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else word += c;
        continue;
      }
      if (c === '"' || c === "'") {
        quote = c;
        continue;
      }
      if (BLANKS.includes(c)) break;
      word += c;
    }
    if (quote !== undefined && !relax) return { ok: false, message: `unbalanced ${quote}` };
    // Quadlet's port of systemd's splitter ends at an empty word: `a "" b` is `a` alone.
    if (word === '') {
      const dropped = text.slice(i).trim();
      return { ok: true, words, ...(dropped ? { dropped } : {}) };
    }
    words.push(word);
    if (quote !== undefined) return { ok: true, words, unbalanced: quote };
  }
  return { ok: true, words };
}

/**
 * Quotes words for a value that Quadlet reads as `args` (the inverse of {@link splitUnitWords}): a word with a blank,
 * a quote, a backslash or a control character is double-quoted, with `\"`, `\\` and `\xHH` inside.
 */
export function joinUnitWords(words: readonly string[]): string {
  const escape = (w: string): string =>
    w
      .replaceAll('\\', '\\\\')
      .replaceAll('"', '\\"')
      .replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return words.map((w) => (/[\s"'\\\u0000-\u001f\u007f]/.test(w) || w === '' ? `"${escape(w)}"` : w)).join(' ');
}
