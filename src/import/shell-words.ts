/**
 * A command written as one string, split into words the way compose does (POSIX shell words without expansion):
 * blanks separate words; '…' keeps everything literally; "…" keeps everything but `\"`, `\\`, `\$` and `` \` ``,
 * which lose their backslash; outside quotes a backslash keeps the next character. No variable, glob or
 * command substitution: `$HOME` stays `$HOME` (compose interpolates before, from its own variables).
 */

export type ShellWords = { ok: true; words: string[] } | { ok: false; message: string };

/** Splits `text` into words. Fails on an unterminated quote or a trailing backslash. */
export function shellWords(text: string): ShellWords {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { ok: false, message: 'unterminated single quote' };
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && '"\\$`'.includes(text[j + 1] ?? '')) j++;
        word += text[j];
      }
      if (j >= text.length) return { ok: false, message: 'unterminated double quote' };
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return { ok: false, message: 'a trailing backslash escapes nothing' };
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}
