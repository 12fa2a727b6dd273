/**
 * Log lines on stderr for the daemon's journal: every line of a message gets the time and the level, so a
 * multi-line one (a pass's problems, one per line) is read line by line in `journalctl` with its level on each,
 * never a bare continuation line.
 */

/** `message` as `<ISO time> <level> <line>` lines, one per line of it, ending in a newline; `level` may be empty. */
export function stampLines(level: string, message: string, at: Date = new Date()): string {
  const head = `${at.toISOString()} ${level ? `${level} ` : ''}`;
  return `${message.split('\n').map((l) => head + l).join('\n')}\n`;
}
