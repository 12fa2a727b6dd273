/**
 * Why an app failed, in the words of the program that failed, from its journal: podman's own `Error: …` line (an
 * image that cannot be pulled, a name already in use, a mount source that does not exist) or a process's last
 * error line. systemd's Result (`exit-code`) says only that it ended; the journal says why. Pure.
 */

/** A journal line's time as journalctl prints it: `short-iso-precise` (`2026-11-27T02:05:31.181234+00:00`) or `short-precise` (`Nov 27 02:05:31.181234`). */
export const JOURNAL_TIME = /^(?:\d{4}-\d\d-\d\dT\S+|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?)/;
/** The whole prefix: the time, the host, the identifier with its pid, e.g. `… node podman[812]: `. */
const PREFIX = new RegExp(`${JOURNAL_TIME.source}\\s+\\S+\\s+[^:\\s]+(?:\\[\\d+\\])?:\\s`);
/** Lines that state an error: podman's `Error: …`, and `error:`/`level=error`/`fatal`/`panic:` of other programs. */
const ERROR = /(?:^|\s)(?:Error|ERROR|error|fatal|FATAL|panic):\s|level=(?:error|fatal)/;
/** systemd's own lines about the unit: they say that it failed, not why. */
const SYSTEMD_LINE = new RegExp(`${JOURNAL_TIME.source}\\s+\\S+\\s+systemd(?:\\[\\d+\\])?:`);

/** The cause of a failure from the unit's journal lines (oldest first): the last error line, without its prefix. */
export function failureCause(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (SYSTEMD_LINE.test(line) || !ERROR.test(line)) continue;
    const text = line.replace(PREFIX, '').trim();
    return text.length > 500 ? `${text.slice(0, 497)}...` : text;
  }
  return undefined;
}
