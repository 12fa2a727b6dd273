/**
 * What `serve --watch` tells the API about its reconciler (docs/api.md, "The reconciler"): whether a pass runs, how
 * the last one ended (its steps done, failures, held apps with their back-off), the git source's applied and rejected
 * commits as the pass records them (`source.json`, issue 19's `SourceState`, passed through as it is), and "reconcile
 * now". Fed by the watch loop's hooks; the pending changes are a dry-run pass on demand (what `diff --node` prints).
 */
import type { ReconcilerPort, ReconcilerStatus } from '../api/types.js';
import type { AnyPassReport } from './report.js';

/** The view, and the hooks the watch loop calls. */
export interface ReconcilerView extends ReconcilerPort {
  /** Wraps each look of the loop: `passRunning` while it runs. */
  aroundPass(fn: () => Promise<void>): Promise<void>;
  /** Each pass's outcome. */
  onPass(result: { report?: AnyPassReport; error?: Error }): void;
  /** The loop's trigger, once it runs ("reconcile now" calls it). */
  setTrigger(trigger: () => void): void;
}

/**
 * A reconciler view. `source`: the git source's recorded state (undefined without `--git`); `pending`: a dry-run
 * pass's planned steps and holds; `now`: the clock (ms).
 */
export function reconcilerView(deps: {
  source?: () => Promise<object>;
  pending: () => Promise<{ steps: string[]; held: Array<{ app: string; reason: string; retryAt?: string }> }>;
  now?: () => number;
}): ReconcilerView {
  const now = deps.now ?? Date.now;
  let running = false;
  let passes = 0;
  let trigger: (() => void) | undefined;
  let last: ReconcilerStatus['lastPass'];
  const listeners = new Set<(s: ReconcilerStatus) => void>();
  const snapshot = (): ReconcilerStatus => ({ passRunning: running, passes, ...(last ? { lastPass: last } : {}), canReconcileNow: trigger !== undefined });
  const changed = (): void => {
    const s = snapshot();
    for (const l of listeners) l(s);
  };
  return {
    async status() {
      const source = deps.source ? await deps.source().catch((err: unknown) => ({ error: `source.json cannot be read: ${(err as Error).message}` })) : undefined;
      return { ...snapshot(), ...(source ? { source } : {}) };
    },
    current: snapshot,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reconcileNow() {
      if (!trigger) return false;
      trigger();
      return true;
    },
    pending: deps.pending,
    async aroundPass(fn) {
      running = true;
      changed();
      try {
        await fn();
      } finally {
        running = false;
        changed();
      }
    },
    onPass({ report, error }) {
      passes += 1;
      const at = new Date(now()).toISOString();
      last = error
        ? { at, ok: false, error: error.message, done: [], failures: [], held: [] }
        : {
            at,
            ok: (report?.failures.length ?? 0) === 0 && !(report && 'rejected' in report && report.rejected),
            done: report?.done ?? [],
            failures: report?.failures ?? [],
            held: (report?.held ?? []).map((h) => ({ app: h.app, reason: h.reason, ...(h.retryAt ? { retryAt: h.retryAt } : {}) })),
            ...(report?.drift?.length ? { drift: report.drift } : {}),
            ...(report?.requeueAt ? { nextPassAt: report.requeueAt } : {}),
          };
    },
    setTrigger(t) {
      trigger = t;
      changed();
    },
  };
}
