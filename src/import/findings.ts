/**
 * What an import says about its input: every finding at a JSON pointer into the compose document (or at a line of an
 * env file), with a level that decides the exit code.
 *
 * - `error`: the input cannot be imported (a YAML syntax error, a variable that is not set, no image): nothing is written.
 * - `dropped`: a part of the input is not carried over (`FILE:LINE:COL /pointer: what and why`); the import fails unless
 *   the caller allows drops (`--allow-drop`).
 * - `note`: carried over with a decision the reader should know (a short image name qualified, a relative path resolved).
 */
import type { Problem } from '../errors.js';
import type { Position } from '../manifest/yaml-source.js';

export type ImportLevel = 'error' | 'dropped' | 'note';

/** One finding, as `formatProblem` prints it (`FILE:LINE:COL /pointer: message (hint)`), with its level. */
export interface ImportFinding extends Problem {
  level: ImportLevel;
}

/** A finding before it is placed: a pointer into the document, or an explicit file and line (env files). */
interface Pending {
  level: ImportLevel;
  pointer: string;
  message: string;
  hint?: string;
  at?: { file: string; line: number; col: number };
}

/** Maps a JSON pointer to a position (`Locator` of the compose document; the key with `'key'`). */
export type PointerLocator = (pointer: string, target?: 'key' | 'value') => Position;

/**
 * Collects findings while a document is converted. Pointers are placed (line, column) only at the end, by the
 * document's locator, so conversion code never handles positions.
 */
export class Findings {
  private readonly pending: Pending[] = [];

  error(pointer: string, message: string, hint?: string): void {
    this.pending.push({ level: 'error', pointer, message, ...(hint ? { hint } : {}) });
  }

  /** `what` is not carried over, because `why`. */
  drop(pointer: string, what: string, why: string, hint?: string): void {
    this.pending.push({ level: 'dropped', pointer, message: `${what} is not carried over: ${why}`, ...(hint ? { hint } : {}) });
  }

  note(pointer: string, message: string, hint?: string): void {
    this.pending.push({ level: 'note', pointer, message, ...(hint ? { hint } : {}) });
  }

  /** A finding at a known line of another file (an env file). */
  at(level: ImportLevel, where: { file: string; line: number; col: number }, pointer: string, message: string, hint?: string): void {
    this.pending.push({ level, pointer, message, at: where, ...(hint ? { hint } : {}) });
  }

  /** True when an error was recorded. */
  get failed(): boolean {
    return this.pending.some((p) => p.level === 'error');
  }

  /** Every finding placed in `file` by `locate` (a dropped part at its key), in document order (errors and drops before notes at one place). */
  place(file: string, locate: PointerLocator): ImportFinding[] {
    const rank: Record<ImportLevel, number> = { error: 0, dropped: 1, note: 2 };
    return this.pending
      .map((p): ImportFinding => {
        const where = p.at ?? { file, ...locate(p.pointer, p.level === 'dropped' ? 'key' : 'value') };
        // A line of an env file has no pointer: it is no part of the compose document.
        const pointer = where.file === file ? { pointer: p.pointer } : {};
        return { level: p.level, ...where, ...pointer, message: p.message, ...(p.hint ? { hint: p.hint } : {}) };
      })
      .sort((a, b) => (a.file === b.file ? 0 : a.file === file ? -1 : 1) || (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0) || rank[a.level] - rank[b.level]);
  }
}

/** `~` → `~0`, `/` → `~1` (RFC 6901): a map key as a pointer segment, with its leading `/`. */
export function seg(key: string | number): string {
  return `/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}
