/**
 * Why an app failed, in the words of the program that failed, from its journal: podman's own `Error: …` line (an
 * image that cannot be pulled, a name already in use, a mount source that does not exist) or a process's last
 * error line. systemd's Result (`exit-code`) says only that it ended; the journal says why. Pure, but for
 * `appFailureCause`, which reads the journals through the port it is given.
 */
import type { AppStatus } from '../controller/types.js';
import type { Journal } from './types.js';

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

/**
 * The last `n` lines of several units' journals in time order: each journal's lines (every line starts with its
 * time, as journalctl's `short-iso-precise` or `short-precise` print it) merged by that time, lines of one time (or
 * without one) in the order given.
 */
export function mergeJournals(journals: readonly string[][], n: number): string[] {
  const timeOf = (line: string): string => JOURNAL_TIME.exec(line)?.[0] ?? '';
  const all = journals.flatMap((lines, j) => lines.map((line, i) => ({ line, time: timeOf(line), j, i })));
  all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.j - b.j || a.i - b.i));
  return all.slice(-n).map((x) => x.line);
}

/** Every unit of app `s` whose journal is its own: the app's unit, then each container's (or instance's). */
export function appUnits(s: AppStatus): string[] {
  return [s.unit, ...(s.containers ?? []).map((c) => c.unit)];
}

/** How many journal lines of each unit are read for a failure's cause. */
export const CAUSE_LINES = 50;

/** Whether `s` shows a failure whose cause its journal may say: failed, crash-looping, or failed before a user's stop (its note). */
export function showsFailure(s: AppStatus): boolean {
  return s.state === 'failed' || s.state === 'crash-loop' || s.note !== undefined;
}

/**
 * The cause of app `s`'s failure (`showsFailure`) from the journals of its units (the app's unit and each
 * container's, `CAUSE_LINES` each), as `failureCause` finds it; undefined when it shows no failure, when no line
 * states an error, or when a journal cannot be read (never throws: the cause is extra to the state).
 */
export async function appFailureCause(s: AppStatus, journal: Journal): Promise<string | undefined> {
  if (!showsFailure(s)) return undefined;
  const units = appUnits(s);
  try {
    return failureCause(mergeJournals(await Promise.all(units.map((u) => journal(u, CAUSE_LINES))), CAUSE_LINES * units.length));
  } catch {
    return undefined;
  }
}
