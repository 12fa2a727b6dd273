/**
 * A Quadlet unit file read the way podman 5.4.2's generator reads it (pkg/systemd/parser), with the position of
 * every key kept for findings. systemd.syntax(7) as Quadlet implements it:
 *
 * - each line is trimmed; an empty line or one starting with `#` or `;` is a comment;
 * - a line ending in `\` continues on the next line. Quadlet drops the `\` and joins the lines as they are (without
 *   the space systemd puts there: `a\` + `b` is `ab`, `a \` + `b` is `a b`), and skips comment lines inside;
 * - `[Group]` starts a group (whitespace after `]` allowed); a group named twice is one group;
 * - `Key=Value`: the key without trailing blanks, the value without leading blanks, as written (quotes are the
 *   key's business: see unit-words.ts);
 * - a key may repeat: list keys add a value per line and an empty value clears the list before it
 *   ({@link allValues}); for a single-valued key the last line wins ({@link lastValue}).
 *
 * Pure: the caller reads the file.
 */

/** One `Key=Value` line (after continuation lines are joined), where it is. */
export interface UnitEntry {
  key: string;
  value: string;
  /** 1-based line and column of the key. */
  line: number;
  col: number;
  /** Column of the value on its first line. */
  valueCol: number;
}

/** A group (`[Container]`), every entry in file order. */
export interface UnitGroup {
  name: string;
  /** Line of its first header. */
  line: number;
  entries: UnitEntry[];
}

export interface UnitFileError {
  line: number;
  col: number;
  message: string;
  hint?: string;
}

export interface ParsedUnitFile {
  /** Groups in the order they first appear, merged by name. */
  groups: UnitGroup[];
  errors: UnitFileError[];
}

const isComment = (line: string): boolean => line === '' || line.startsWith('#') || line.startsWith(';');

/** Parses unit-file text. Never throws: a line Quadlet refuses is an error at its position, and reading goes on. */
export function parseUnitFile(text: string): ParsedUnitFile {
  const groups: UnitGroup[] = [];
  const errors: UnitFileError[] = [];
  const byName = new Map<string, UnitGroup>();
  let current: UnitGroup | undefined;
  const lines = text.replace(/\n$/, '').split('\n');
  let pending: { text: string; line: number; indent: number } | undefined;
  lines.forEach((raw, i) => {
    const indent = raw.length - raw.trimStart().length;
    let line = raw.trim();
    if (isComment(line)) {
      // A comment inside a continued line is skipped; a blank or comment line otherwise means nothing.
      return;
    }
    if (line.endsWith('\\')) {
      line = line.slice(0, -1);
      if (i !== lines.length - 1) {
        pending = pending ? { ...pending, text: pending.text + line } : { text: line, line: i + 1, indent };
        return;
      }
    }
    const start = pending ?? { text: '', line: i + 1, indent };
    pending = undefined;
    line = start.text + line;
    const at = { line: start.line, col: start.indent + 1 };
    const group = /^\[([^\]]*)\][ \t]*$/.exec(line);
    if (line.startsWith('[') && group) {
      const name = group[1]!;
      if (name === '' || /[[\]\p{Cc}]/u.test(name)) {
        errors.push({ ...at, message: `invalid group name ${JSON.stringify(name)}` });
        // Its keys belong to no group of the file (and are not reported again).
        current = { name, line: at.line, entries: [] };
        return;
      }
      current = byName.get(name);
      if (!current) {
        current = { name, line: at.line, entries: [] };
        byName.set(name, current);
        groups.push(current);
      }
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      errors.push({ ...at, message: `${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line)} is not a key-value pair, group, or comment`, hint: 'a unit file has [Group] lines and Key=Value lines; end a line with \\ to continue it' });
      return;
    }
    if (!current) {
      errors.push({ ...at, message: 'a key before the first [Group] line', hint: 'start the file with [Unit] or [Container]' });
      return;
    }
    const key = line.slice(0, eq).trimEnd();
    const rest = line.slice(eq + 1);
    const value = rest.trimStart();
    current.entries.push({ key, value, line: at.line, col: at.col, valueCol: at.col + eq + 1 + (rest.length - value.length) });
  });
  return { groups, errors };
}

/** The group `name`, if the file has it. */
export function groupOf(file: ParsedUnitFile, name: string): UnitGroup | undefined {
  return file.groups.find((g) => g.name === name);
}

/**
 * Every value of a list key (`Volume=`, `Environment=`), as Quadlet's LookupAll reads it: an empty value clears
 * the values before it. `cleared` are the entries an empty value cleared (and the empty ones), for a finding.
 */
export function allValues(group: UnitGroup | undefined, key: string): { entries: UnitEntry[]; cleared: UnitEntry[] } {
  const entries: UnitEntry[] = [];
  const cleared: UnitEntry[] = [];
  for (const e of group?.entries ?? []) {
    if (e.key !== key) continue;
    if (e.value === '') cleared.push(...entries.splice(0), e);
    else entries.push(e);
  }
  return { entries, cleared };
}

/** The last entry of a single-valued key, and the earlier ones it overrides. */
export function lastValue(group: UnitGroup | undefined, key: string): { entry?: UnitEntry; overridden: UnitEntry[] } {
  const all = (group?.entries ?? []).filter((e) => e.key === key);
  return { ...(all.length > 0 ? { entry: all[all.length - 1]! } : {}), overridden: all.slice(0, -1) };
}

/**
 * A single value as Quadlet's Lookup returns it: trailing blanks dropped, then double quotes at either end
 * (podman 5.4 strips every `"` there, so `"a b"` is `a b`).
 */
export function unquoted(value: string): string {
  return value.trimEnd().replace(/^"+|"+$/g, '');
}

/** systemd's boolean: `1`, `yes`, `true`, `on` (any case) are true; anything else is false. */
export function unitBoolean(value: string): boolean {
  return ['1', 'yes', 'true', 'on'].includes(unquoted(value).toLowerCase());
}

/**
 * Where each entry is, as a JSON pointer into the file's groups: `/Container/Image`, or with the key's index when
 * the group has it more than once (`/Container/Volume/1`, counting from 0). `locate` places a pointer (the key, or
 * with `'value'` its value; a group's pointer at its header) for {@link Findings.place}.
 */
export function unitPointers(file: ParsedUnitFile): { pointerOf: (e: UnitEntry) => string; locate: (pointer: string, target?: 'key' | 'value') => { line: number; col: number } } {
  const pointers = new Map<UnitEntry, string>();
  const byPointer = new Map<string, UnitEntry | UnitGroup>();
  for (const g of file.groups) {
    byPointer.set(`/${g.name}`, g);
    const counts = new Map<string, number>();
    for (const e of g.entries) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const e of g.entries) {
      const n = seen.get(e.key) ?? 0;
      seen.set(e.key, n + 1);
      const pointer = `/${g.name}/${e.key}${counts.get(e.key)! > 1 ? `/${n}` : ''}`;
      pointers.set(e, pointer);
      byPointer.set(pointer, e);
    }
  }
  return {
    pointerOf: (e) => pointers.get(e) ?? '',
    locate: (pointer, target = 'value') => {
      const at = byPointer.get(pointer);
      if (!at) return { line: 1, col: 1 };
      if ('entries' in at) return { line: at.line, col: 1 };
      return { line: at.line, col: target === 'key' ? at.col : at.valueCol };
    },
  };
}
