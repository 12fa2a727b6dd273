/**
 * One entry of `journalctl -o json` as the live log stream (`GET /api/apps/:id/journal`) sends it. Pure: the
 * follower (src/api/journalctl.ts) feeds it journalctl's output lines.
 */

/** A journal entry for the log view: its cursor (the SSE `id:`), the unit it belongs to, and the line as `/logs` prints it. */
export interface JournalEntry {
  /** journalctl's `__CURSOR`: `--after-cursor` resumes right after this entry. */
  cursor: string;
  /** Which of the followed units the entry is of (an app of several containers: which container). */
  unit: string;
  /** `TIME HOST IDENTIFIER[PID]: MESSAGE`, as journalctl's `short-iso-precise` prints it (in UTC). */
  line: string;
  /** The entry's time (`__REALTIME_TIMESTAMP`), ISO-8601 with microseconds. */
  time: string;
  /** The message alone. */
  message: string;
}

/** A journal cursor as journalctl prints it (`s=…;i=…;b=…;m=…;t=…;x=…`): what `Last-Event-ID` may carry. */
export const CURSOR_PATTERN = /^[a-z]=[0-9a-f]+(?:;[a-z]=[0-9a-f]+){1,15}$/;

/** A field's text: journalctl gives a non-UTF-8 (or binary) value as an array of bytes, and a missing one as null. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((b) => typeof b === 'number')) return new TextDecoder().decode(Uint8Array.from(value as number[]));
  return undefined;
}

/** `__REALTIME_TIMESTAMP` (µs since the epoch) as `2026-11-27T02:05:31.181234+00:00`. */
export function isoMicros(usec: string): string {
  const us = BigInt(usec);
  const iso = new Date(Number(us / 1000n)).toISOString();
  return `${iso.slice(0, 19)}.${String(us % 1_000_000n).padStart(6, '0')}+00:00`;
}

/**
 * Parses one line of `journalctl -o json` followed for `units`; undefined for a line that is not an entry. The
 * unit is the first of the entry's unit fields (the process's own, then the one systemd's messages name: `UNIT=`,
 * `USER_UNIT=`) that is one of `units`, else the first of `units`.
 */
export function parseJournalLine(json: string, units: readonly string[]): JournalEntry | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const cursor = text(e.__CURSOR);
  const usec = text(e.__REALTIME_TIMESTAMP);
  if (!cursor || !usec || !/^[0-9]{1,20}$/.test(usec)) return undefined;
  const named = ['_SYSTEMD_USER_UNIT', 'USER_UNIT', '_SYSTEMD_UNIT', 'UNIT', 'OBJECT_SYSTEMD_UNIT'].map((k) => text(e[k]));
  const unit = named.find((u): u is string => u !== undefined && units.includes(u)) ?? units[0] ?? '';
  const message = (text(e.MESSAGE) ?? '').replace(/\n$/, '');
  const ident = text(e.SYSLOG_IDENTIFIER) ?? text(e._COMM) ?? 'unknown';
  const pid = text(e.SYSLOG_PID) ?? text(e._PID);
  const time = isoMicros(usec);
  const host = text(e._HOSTNAME);
  const line = `${time}${host ? ` ${host}` : ''} ${ident}${pid ? `[${pid}]` : ''}: ${message}`;
  return { cursor, unit, line, time, message };
}
