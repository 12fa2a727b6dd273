/**
 * The command line's help, printed without commander or any command module (issue 15: `--help` ≤ 1.5× `node -e 0`).
 * `npm run build` runs commander on every argv that prints a help (`help-texts.ts`, `scripts/build-help.mjs`) and
 * stores what it printed in `dist/cli/help.json`; this module prints the stored text for exactly those argvs, when
 * the output is as wide as the one it was made for. Anything else (another argv, a terminal of another width, no
 * stored file) goes through commander as before. `test/unit/cli-help.test.ts` compares each stored text with
 * commander's own output.
 */
import { readFileSync } from 'node:fs';

/** commander's help width when stdout is not a terminal (its `Help.helpWidth` default), the width the texts are made for. */
export const HELP_WIDTH = 80;

/** `dist/cli/help.json`. */
export interface PrebuiltHelp {
  /** The width the texts were wrapped to. */
  width: number;
  /** `JSON.stringify(argv)` (the arguments after the program's name) → index into `texts`. */
  argv: Record<string, number>;
  texts: string[];
}

/** Where the build stores the texts: beside this module. */
export const PREBUILT_HELP_URL = new URL('./help.json', import.meta.url);

/** The words that can ask for help; an argv with none of them is never looked up (no file read for a command). */
const HELP_WORDS = new Set(['--help', '-h', 'help']);

/** What of stdout decides commander's wrap width: a terminal's columns, else its default. */
export interface HelpOutput {
  isTTY?: boolean;
  columns?: number;
}

/** The width commander wraps help to on `out` (`getOutHelpWidth()`, then `Help`'s default of 80). */
export function commanderHelpWidth(out: HelpOutput): number {
  return (out.isTTY ? out.columns : undefined) ?? HELP_WIDTH;
}

/**
 * The help commander would print for `args` (the arguments after the program's name) on `out`, or undefined when
 * the build did not store it (another argv, another width, no `help.json`): then commander must run.
 */
export function prebuiltHelp(args: readonly string[], out: HelpOutput, read: () => string = () => readFileSync(PREBUILT_HELP_URL, 'utf8')): string | undefined {
  if (!args.some((a) => HELP_WORDS.has(a))) return undefined;
  let stored: PrebuiltHelp;
  try {
    stored = JSON.parse(read()) as PrebuiltHelp;
  } catch {
    return undefined;
  }
  if (commanderHelpWidth(out) !== stored.width) return undefined;
  const key = JSON.stringify(args);
  return Object.hasOwn(stored.argv, key) ? stored.texts[stored.argv[key]!] : undefined;
}
