/**
 * A service's environment as systemd holds it, and its values as systemd puts them on a command line. Pure.
 *
 * The D-Bus property `Environment` of `org.freedesktop.systemd1.Service` (`as`) is every `Environment=` of the unit
 * file and its drop-ins, in the order systemd read them, each already unquoted, its C escapes and specifiers resolved
 * (`Environment="A=b c"` → `A=b c`, `X=%n` → `X=archy-quadlet.service`), and an empty `Environment=` drops all before
 * it; systemd 257 keeps one entry per key, the last assigned (all seen on the test host:
 * test/e2e/cli-daemon-address.test.ts).
 */

/** A variable name systemd accepts (env_name_is_valid: bash's set, no leading digit). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHITESPACE = ' \t\n\r';

/**
 * The `KEY=VALUE` strings of an `Environment` property as a map. A key assigned more than once keeps its last value
 * at its first place, as systemd's own list does (strv_env_replace); a string that is not an assignment of a valid name is skipped (systemd refuses those
 * when it reads the unit).
 */
export function environmentOf(assignments: readonly string[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0 || !ENV_NAME.test(assignment.slice(0, eq))) continue;
    env.set(assignment.slice(0, eq), assignment.slice(eq + 1));
  }
  return env;
}

/**
 * The words an unbraced `$NAME` becomes on a command line (systemd.service(5), "Command lines": the value is split at
 * whitespace; src/core/execute.c `replace_env_argv`, `extract_first_word` with `EXTRACT_UNQUOTE|EXTRACT_RELAX`):
 * `'…'` and `"…"` group and are removed, a backslash keeps the next character as it is, an unbalanced quote runs to
 * the end. `--a 'b c' "d e" f\ g` → `--a`, `b c`, `d e`, `f g` (shown on the test host).
 */
export function splitUnbraced(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  for (;;) {
    while (i < value.length && WHITESPACE.includes(value[i]!)) i++;
    if (i >= value.length) return words;
    let word = '';
    let quote: string | undefined;
    for (; i < value.length; i++) {
      const c = value[i]!;
      if (c === '\\') word += value[++i] ?? '';
      else if (quote !== undefined) {
        if (c === quote) quote = undefined;
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (WHITESPACE.includes(c)) break;
      else word += c;
    }
    words.push(word);
  }
}
