/**
 * Reads unit-file text back the way podman's Quadlet parser does (lines
 * trimmed, `#`/`;` comments, `[Group]` lines, a trailing `\` joining the next
 * line): the sections and their `key=value` entries, in order. Tests use it to
 * prove that no value can add a key or a section; `diff` and status can use it
 * to compare units by meaning.
 */

export interface ParsedSection {
  name: string;
  entries: Array<[key: string, value: string]>;
}

/**
 * Parses unit-file text.
 * @throws Error on a line that is no comment, group or `key=value` (Quadlet refuses such a file).
 */
export function parseUnit(text: string): ParsedSection[] {
  const sections: ParsedSection[] = [];
  const lines = text.replace(/\n$/, '').split('\n');
  let pending = '';
  lines.forEach((raw, i) => {
    let line = raw.trim();
    const comment = line === '' || line.startsWith('#') || line.startsWith(';');
    if (comment) {
      if (pending !== '') return;
    } else {
      if (line.endsWith('\\') && i !== lines.length - 1) {
        pending += line.slice(0, -1);
        return;
      }
      if (line.endsWith('\\')) line = line.slice(0, -1);
      line = pending + line;
      pending = '';
    }
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const group = /^\[([^\]]+)\][ \t]*$/.exec(line);
    if (group) {
      sections.push({ name: group[1]!, entries: [] });
      return;
    }
    const eq = line.indexOf('=');
    const current = sections[sections.length - 1];
    if (eq <= 0 || !current) throw new Error(`line ${i + 1}: ${JSON.stringify(raw)} is not a key-value pair, group or comment`);
    current.entries.push([line.slice(0, eq).trimEnd(), line.slice(eq + 1).trimStart()]);
  });
  return sections;
}

/** The shape of a unit: each section's name with its keys, e.g. `Unit: Description,After`. For comparing structure, not values. */
export function unitShape(sections: readonly ParsedSection[]): string[] {
  return sections.map((s) => `${s.name}: ${s.entries.map(([k]) => k).join(',')}`);
}
