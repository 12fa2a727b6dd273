/**
 * The back-off for a revision that failed its health gate (docs/reconcile.md, "Back-off"). Pure: the clock is
 * passed in. Modelled on kubelet's CrashLoopBackOff: 10 s doubling to 5 min, and never a human needed for a
 * transient fault (a start limit, a dependency that was restarting, a pass killed mid-restart).
 *
 * What bounds it: a retry of an update takes the last-good version down while it runs, so an update that was
 * rolled back and came up again on its last-good files is tried at most {@link MAX_UPDATE_ATTEMPTS} times; after
 * that it waits for a new revision or a user's start. When nothing good runs (a first install, or a rollback that
 * did not come up either), a retry costs nothing, and the app is retried without bound at the capped delay.
 */
import type { RetryStatus } from '../controller/types.js';
import type { AppRecord, DesiredApp, RevisionFailure } from './types.js';

/** First delay after a failure, ms. */
export const FIRST_DELAY_MS = 10_000;
/** Longest delay between attempts, ms. */
export const MAX_DELAY_MS = 5 * 60_000;
/** Attempts of an update that rolled back onto a running last-good version. */
export const MAX_UPDATE_ATTEMPTS = 5;

/** Delay after failed attempt `attempt` (1-based), ms: 10 s, 20 s, 40 s … capped at 5 min. */
export function delayAfter(attempt: number): number {
  return Math.min(FIRST_DELAY_MS * 2 ** Math.max(0, Math.min(attempt - 1, 20)), MAX_DELAY_MS);
}

/**
 * The failure to record after attempt `attempt` at revision `hash` failed at `nowMs` for `reason`;
 * `rolledBack`: the last-good files came up again (then the attempts are bounded).
 */
export function recordFailure(hash: string, attempt: number, reason: string, rolledBack: boolean, nowMs: number): RevisionFailure {
  const bounded = rolledBack;
  const exhausted = bounded && attempt >= MAX_UPDATE_ATTEMPTS;
  return {
    hash,
    attempt,
    ...(bounded ? { maxAttempts: MAX_UPDATE_ATTEMPTS } : {}),
    at: new Date(nowMs).toISOString(),
    ...(exhausted ? {} : { nextAt: new Date(nowMs + delayAfter(attempt)).toISOString() }),
    lastFailure: reason,
    ...(rolledBack ? { rolledBack: true } : {}),
  };
}

/** What a pass does about an app's recorded failure. */
export type RetryDecision =
  /** No failure applies to this revision (or the user started the app since): a first attempt. */
  | { kind: 'fresh' }
  /** The back-off has passed: try again, as attempt `attempt`. */
  | { kind: 'retry'; attempt: number }
  /** Wait: `retryAt` is when to look again (absent: the attempts are used up). */
  | { kind: 'wait'; reason: string; retryAt?: string };

/** The failure recorded for the revision `app` wants, if any (a changed revision starts afresh). */
export function failureOf(record: AppRecord | undefined, app: Pick<DesiredApp, 'hash'>): RevisionFailure | undefined {
  const f = record?.failure;
  return f !== undefined && f.hash === app.hash ? f : undefined;
}

/**
 * Whether the user's start, restart or stop (`intent`, as `<state-dir>/intents` holds it) came after failure `f`:
 * it ends the back-off at once. A start retries at once; a stop drops the retry (docs/reconcile.md, "Back-off").
 */
export function endedByUser(f: Pick<RevisionFailure, 'at'>, intent: { at: string } | undefined): boolean {
  return intent !== undefined && Date.parse(intent.at) > Date.parse(f.at);
}

/** Decides about `app` given its record, at `nowMs`. A user's start, restart or stop after the failure ends it. */
export function retryDecision(record: AppRecord | undefined, app: Pick<DesiredApp, 'id' | 'hash' | 'userIntent'>, nowMs: number): RetryDecision {
  const f = failureOf(record, app);
  if (!f || endedByUser(f, app.userIntent)) return { kind: 'fresh' };
  if (f.nextAt !== undefined && nowMs >= Date.parse(f.nextAt)) return { kind: 'retry', attempt: f.attempt + 1 };
  return { kind: 'wait', reason: describeFailure(app.id, f), ...(f.nextAt !== undefined ? { retryAt: f.nextAt } : {}) };
}

/** The client-facing view of a recorded failure. */
export function retryStatus(f: RevisionFailure): RetryStatus {
  return {
    attempt: f.attempt,
    ...(f.maxAttempts !== undefined ? { maxAttempts: f.maxAttempts } : {}),
    ...(f.nextAt !== undefined ? { nextAt: f.nextAt } : {}),
    lastFailure: f.lastFailure,
    ...(f.rolledBack ? { rolledBack: true } : {}),
  };
}

/**
 * One line for logs, `apply` and `status` (from a recorded failure, or the `retry` of an app's status):
 * `waiting to retry lnd (attempt 3 of 5, next at 2026-12-01T14:02:10.000Z, last failure: …)`, or once the
 * attempts are used up `lnd failed 5 of 5 attempts (last failure: …); waiting for a changed manifest or a start`.
 */
export function describeFailure(id: string, f: RetryStatus): string {
  const of = f.maxAttempts !== undefined ? ` of ${f.maxAttempts}` : '';
  const running = f.rolledBack ? '; running its last-good files' : '';
  if (f.nextAt === undefined) return `${id} failed ${f.attempt}${of} attempts (last failure: ${f.lastFailure})${running}; waiting for a changed manifest or a start`;
  return `waiting to retry ${id} (attempt ${f.attempt}${of}, next at ${f.nextAt}, last failure: ${f.lastFailure})${running}`;
}
