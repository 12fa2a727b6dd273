// @ts-check
// The reconciler at a glance, above the apps, when serve runs it (`--watch`: the event stream then carries
// `reconciler` events, store.js): whether a pass runs, the last pass (what it did, what failed, the apps it held with
// their next retry, when it looks again), with --git the applied commit and a rejected one with its error, what a
// pass would change now (on demand: a dry run, as `diff --node` prints it), and "Reconcile now".
import { defineComponent, h, shallowRef } from '/vendor/vue.esm-browser.prod.js';
import { api, clockTime, model, ui } from '/ui/store.js';
import { localTimes } from '/ui/ui-logic.js';
import { heldLine } from '/ui/ui-words.js';

/**
 * What the panel reads of the git source's record (`ReconcilerStatus.source`: SourceState, src/store/state/source-state.ts,
 * which the browser's type check cannot import: its module reads files).
 * @typedef {{ commit?: string, appliedAt?: string, rejected?: { commit: string, error: string, at: string } }} SourceState
 */
/** @import { ShallowRef } from '/vendor/vue.esm-browser.prod.js' */

/** A commit for a person: its first 12 hex digits. @param {string} c */
const short = (c) => c.slice(0, 12);

export const ReconcilerPanel = defineComponent({
  setup() {
    const failure = shallowRef('');
    /** @type {ShallowRef<SourceState | undefined>} */
    const source = shallowRef();
    /** @type {ShallowRef<{ steps: string[], held: Array<{ app: string, reason: string, retryAt?: string }> } | 'loading' | undefined>} */
    const pending = shallowRef();
    // The stream's events leave out the git source: read it when the panel first shows, and after each pass ends.
    let seenPasses = -1;
    const readSource = async () => {
      try {
        source.value = /** @type {SourceState | undefined} */ ((await api('/api/reconciler')).source);
      } catch {
        // The panel reads the same without it.
      }
    };
    const reconcileNow = async () => {
      failure.value = '';
      try {
        await api('/api/reconciler/reconcile', { method: 'POST' });
      } catch (err) {
        failure.value = `Reconcile now failed: ${/** @type {Error} */ (err).message}`;
      }
    };
    const showPending = async () => {
      pending.value = 'loading';
      try {
        pending.value = await api('/api/reconciler/pending');
      } catch (err) {
        pending.value = undefined;
        failure.value = `Pending changes: ${/** @type {Error} */ (err).message}`;
      }
    };
    /** @param {string} id */
    const nameOf = (id) => model.value.entries[id]?.status.name ?? id;
    return () => {
      const r = ui.reconciler;
      if (!r) return null;
      // Only a server that runs the reconciler sends its events: read the source then (on the first render with one).
      if (seenPasses === -1 || (r.passes !== seenPasses && !r.passRunning)) {
        queueMicrotask(readSource);
        seenPasses = r.passes;
      }
      const last = r.lastPass;
      const s = source.value;
      const p = pending.value;
      return h('section', { class: 'reconciler', 'aria-labelledby': 'reconciler-title', 'data-role': 'reconciler' }, [
        h('div', { class: 'reconciler-head' }, [
          h('h2', { id: 'reconciler-title' }, 'Reconciler'),
          h('span', { class: 'muted', 'data-role': 'pass' }, r.passRunning ? 'A pass is running…' : last ? `Last pass at ${clockTime(last.at)}: ${last.ok ? 'done' : 'not done'} (${r.passes} since start)` : 'No pass yet'),
          h(
            'button',
            { type: 'button', class: 'secondary', 'data-role': 'reconcile-now', disabled: r.passRunning || !r.canReconcileNow, 'aria-busy': r.passRunning ? 'true' : 'false', onClick: reconcileNow },
            r.passRunning ? 'Reconciling…' : 'Reconcile now',
          ),
        ]),
        h('dl', { class: 'facts' }, [
          s?.commit ? [h('dt', null, 'Applied'), h('dd', { 'data-role': 'applied' }, [h('code', null, short(s.commit)), s.appliedAt ? ` at ${clockTime(s.appliedAt)}` : ''])] : null,
          s?.rejected
            ? [h('dt', null, 'Rejected'), h('dd', { class: 'reason', 'data-role': 'rejected' }, [h('code', null, short(s.rejected.commit)), `: ${localTimes(s.rejected.error, clockTime)}`])]
            : null,
          last?.error ? [h('dt', null, 'Error'), h('dd', { class: 'reason', 'data-role': 'pass-error' }, localTimes(last.error, clockTime))] : null,
          last && last.done.length > 0 ? [h('dt', null, 'Did'), h('dd', { 'data-role': 'done' }, h('ul', { class: 'steps' }, last.done.map((x, i) => h('li', { key: i }, h('code', null, x)))))] : null,
          last && last.failures.length > 0
            ? [h('dt', null, 'Failed'), h('dd', { class: 'reason', 'data-role': 'failures' }, h('ul', { class: 'steps' }, last.failures.map((f, i) => h('li', { key: i }, `${f.step}: ${localTimes(f.error, clockTime)}`))))]
            : null,
          last && last.held.length > 0
            ? [
                h('dt', null, 'Held'),
                h('dd', { 'data-role': 'held' }, h('ul', { class: 'steps' }, last.held.map((x) => h('li', { key: x.app }, `${nameOf(x.app)}: ${heldLine(x, clockTime)}`)))),
              ]
            : null,
          last?.nextPassAt ? [h('dt', null, 'Next pass'), h('dd', { 'data-role': 'next-pass' }, clockTime(last.nextPassAt))] : null,
          h('dt', null, 'Pending'),
          h('dd', { 'data-role': 'pending' }, [
            p === undefined
              ? h('button', { type: 'button', class: 'link', 'data-role': 'show-pending', onClick: showPending }, 'Show pending changes')
              : p === 'loading'
                ? 'Looking…'
                : p.steps.length === 0
                  ? 'None: the node is as the catalog says'
                  : h('ul', { class: 'steps' }, p.steps.map((x, i) => h('li', { key: i }, h('code', null, x)))),
          ]),
        ]),
        failure.value ? h('p', { class: 'error', role: 'alert' }, failure.value) : null,
      ]);
    };
  },
});
