/**
 * The one place that turns a value into unit-file text, by systemd's and
 * Quadlet's rules. Quadlet reads a key in one of three ways (checked against
 * podman 5.4.2's generator):
 *
 * - `word`: split into words like a command line (`Environment=`, `Exec=`,
 *   `Label=`, `Secret=`): quote a word only when it needs it (whitespace,
 *   quotes, backslash), escaping `\` and `"` inside the quotes. An empty word
 *   cannot be written: Quadlet drops `""`.
 * - `strv`: split into words without escapes (`AddDevice=`, `Sysctl=`, `AddCapability=`, `DropCapability=`;
 *   Quadlet's LookupAllStrv): a backslash is an ordinary character and a quote opens a group even inside a word, so a
 *   value with whitespace or a quote is wrapped in the quote it does not contain; one with both cannot be written.
 * - `value`: one value, surrounding double quotes stripped (`Image=`,
 *   `WorkingDir=`, `HealthCmd=`): wrapped in quotes only when its ends would
 *   otherwise be lost (surrounding whitespace, a trailing `\`). A value that
 *   itself starts or ends with `"` cannot be written (5.4 strips every quote
 *   at either end).
 * - `raw`: one value taken verbatim (`Volume=`, `PublishPort=`, systemd's own
 *   `Description=`): nothing can be quoted, so surrounding whitespace and a
 *   trailing `\` cannot be written.
 *
 * Always: `%` → `%%` (systemd specifiers); in podman groups, whose values end up
 * on podman's command line (`ExecStart=`), `$` → `$$` (systemd's variable
 * expansion). Control characters (newline above all) are never written: a line
 * break would let a value add a key or a section.
 */

export type ValueSyntax = 'word' | 'strv' | 'value' | 'raw';

/** A value that cannot be written into a unit file; the message says why. */
export class UnrepresentableValueError extends Error {
  constructor(
    readonly value: string,
    reason: string,
  ) {
    super(`${JSON.stringify(value)} cannot be written into a unit file: ${reason}`);
    this.name = 'UnrepresentableValueError';
  }
}

// C0, DEL and C1 controls: systemd and Quadlet split lines on some, and none belongs in a unit value.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const NEEDS_WORD_QUOTES = /[\s"'\\]/;

/**
 * Why `value` cannot be written with `syntax`, or undefined when it can. The compiler
 * calls this to report a problem at the manifest field instead of failing at render time.
 */
export function valueProblem(value: string, syntax: ValueSyntax): string | undefined {
  if (CONTROL.test(value)) return 'it contains a control character (newline, tab, …)';
  if (syntax === 'word') return value === '' ? 'it is empty, and Quadlet drops an empty word' : undefined;
  if (syntax === 'strv') {
    if (value === '') return 'it is empty, and Quadlet drops an empty word';
    if (value.includes('"') && value.includes("'")) return 'it contains both quote characters, and Quadlet reads this key without escapes';
    return undefined;
  }
  if (syntax === 'value') {
    if (value.startsWith('"') || value.endsWith('"')) return 'it starts or ends with a double quote, which Quadlet strips';
    return undefined;
  }
  if (value === '') return 'it is empty';
  if (value !== value.trim()) return 'it starts or ends with whitespace, which systemd strips';
  if (value.endsWith('\\')) return 'it ends with a backslash, which systemd reads as a line continuation';
  return undefined;
}

/**
 * Formats one value for a unit file.
 * @param inPodmanGroup true for values of `[Container]`, `[Network]`, `[Volume]`, `[Build]` (they reach `ExecStart=`).
 * @param instance true in a template unit (`x@.container`): `%i` and `%I` stay systemd's instance name; every other `%` is still escaped.
 * @throws UnrepresentableValueError when {@link valueProblem} names a reason.
 */
export function quote(value: string, syntax: ValueSyntax, inPodmanGroup: boolean, instance = false): string {
  const problem = valueProblem(value, syntax);
  if (problem) throw new UnrepresentableValueError(value, problem);
  let text = instance ? value.replace(/%(?![iI])/g, '%%') : value.replaceAll('%', '%%');
  if (inPodmanGroup) text = text.replaceAll('$', '$$$$');
  if (syntax === 'word') {
    if (!NEEDS_WORD_QUOTES.test(text)) return text;
    return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  }
  if (syntax === 'strv') {
    if (!/[\s"']|\\$/.test(text)) return text;
    return text.includes('"') ? `'${text}'` : `"${text}"`;
  }
  if (syntax === 'value' && (text === '' || text !== text.trim() || text.endsWith('\\'))) return `"${text}"`;
  return text;
}
