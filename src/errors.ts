/**
 * Error classes shared by every layer. One place maps them to exit codes (CLI,
 * `exitCodeFor`, used by `src/cli/main.ts`) and one to HTTP status codes (API).
 */

/** Where a problem is: `manifests/lnd.yaml:12:5 /health/interval`. */
export interface Location {
  file: string;
  line?: number;
  col?: number;
  /** JSON pointer into the manifest, e.g. `/health/interval`. */
  pointer?: string;
}

/** One problem found in user input. */
export interface Problem extends Location {
  message: string;
  /** What to do about it, where a hint helps. */
  hint?: string;
}

const CONTROL_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Formats a problem as `FILE:LINE:COL /pointer: message (hint)`. */
export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.line !== undefined ? p.col : undefined].filter((x) => x !== undefined).join(':');
  // A pointer holds keys as written, control characters included; escaped, every problem stays on one line.
  const shown = p.pointer?.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => CONTROL_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const pointer = shown !== undefined ? ` ${shown === '' ? '/' : shown}` : '';
  const hint = p.hint ? ` (${p.hint})` : '';
  return `${where}${pointer}: ${p.message}${hint}`;
}

/** Formats a list of problems one a line (`formatProblem`), in their order, without a trailing newline. */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map(formatProblem).join('\n');
}

/** Invalid user input (manifests, arguments' values, API bodies). CLI exit 1; HTTP 400. Carries every problem found. */
export class InvalidInputError extends Error {
  constructor(
    readonly problems: Problem[],
    summary?: string,
  ) {
    super(summary ?? formatProblems(problems));
    this.name = 'InvalidInputError';
  }
}

/**
 * The command has already printed what went wrong (a report, a list of problems): only its exit code is left.
 * The CLI prints nothing more for it; `summary` is for a caller in the same process (tests, logs).
 */
export class ReportedError extends Error {
  constructor(
    readonly exitCode: number,
    summary: string,
  ) {
    super(summary);
    this.name = 'ReportedError';
  }
}

/** Something named does not exist (an app id, a unit). CLI exit 1; HTTP 404. */
export class NotFoundError extends Error {
  constructor(
    readonly kind: string,
    readonly id: string,
    hint?: string,
  ) {
    super(`${kind} ${JSON.stringify(id)} not found${hint ? ` (${hint})` : ''}`);
    this.name = 'NotFoundError';
  }
}

/** A file we would write is not ours (no ownership header). CLI exit 1; HTTP 409. */
export class NotOwnedError extends Error {
  constructor(readonly path: string) {
    super(`${path}: not managed by archy-quadlet (no ownership header); refusing to overwrite it. Move it away or add it to a manifest under another name.`);
    this.name = 'NotOwnedError';
  }
}

/** systemd refused a call; carries the D-Bus error name. CLI exit 3; HTTP 409 for refusals, 502 otherwise. */
export class SystemdError extends Error {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(`${dbusName}: ${message}`);
    this.name = 'SystemdError';
  }
}

/** Misuse of the command line (unknown option, missing argument). CLI exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { ok: 0, invalid: 1, usage: 2, failure: 3 } as const;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ReportedError) return err.exitCode;
  if (err instanceof InvalidInputError || err instanceof NotFoundError || err instanceof NotOwnedError) return EXIT.invalid;
  if (err instanceof UsageError) return EXIT.usage;
  return EXIT.failure;
}
