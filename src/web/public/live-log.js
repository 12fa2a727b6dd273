// @ts-check
// The live log of an app (or of one of its containers): `GET /api/apps/:id/journal` followed over SSE with the token,
// its lines shown as they arrive. Pause is a toggle button (aria-pressed; its label stays "Pause", as WAI-ARIA's toggle
// buttons do): pressed ends the request; released follows again from the last line's cursor (Last-Event-ID), so the
// lines written meanwhile appear and none twice. The list keeps the last MAX_LINES lines.
import { defineComponent, h, onBeforeUnmount, onMounted, ref, shallowRef } from '/vendor/vue.esm-browser.prod.js';
import { connectEvents } from '/ui/sse.js';
import { tokenRejected, ui } from '/ui/store.js';

/** The most lines the view keeps (older ones drop off the top). */
const MAX_LINES = 1000;
/** How many lines a stream starts with. */
const FIRST_LINES = 200;
/** How long after journalctl failed the view starts again, ms. */
const RETRY_MS = 3000;

export const LiveLog = defineComponent({
  props: ['id', 'container', 'label'],
  /** @param {{ id: string, container?: string, label: string }} props */
  setup(props) {
    /** @type {import('/vendor/vue.esm-browser.prod.js').ShallowRef<string[]>} */
    const lines = shallowRef([]);
    const paused = ref(false);
    /** @type {import('/vendor/vue.esm-browser.prod.js').Ref<'connecting' | 'live' | 'offline'>} */
    const status = ref('connecting');
    const failure = ref('');
    /** @type {string | undefined} */
    let cursor;
    /** @type {(() => void) | undefined} */
    let stop;
    /** @type {HTMLElement | undefined} */
    let pre;
    /** After journalctl failed: the next line starts the view afresh. */
    let fresh = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let retry;

    const follow = () => {
      const query = `lines=${FIRST_LINES}${props.container ? `&container=${encodeURIComponent(props.container)}` : ''}`;
      stop = connectEvents(`/api/apps/${encodeURIComponent(props.id)}/journal?${query}`, {
        token: () => ui.token,
        epoch: () => undefined,
        ...(cursor !== undefined ? { lastEventId: cursor } : {}),
        onStatus: (s) => (status.value = s),
        onUnauthorized: tokenRejected,
        onMessage(msg) {
          if (msg.event === 'error') {
            // journalctl failed, e.g. the cursor's journal file was rotated away: a resume from it would fail again.
            // Start afresh (the last lines again) a moment later.
            failure.value = /** @type {{ message?: string }} */ (JSON.parse(msg.data)).message ?? 'the journal could not be read';
            stop?.();
            cursor = undefined;
            fresh = true;
            retry = setTimeout(() => !paused.value && follow(), RETRY_MS);
            return;
          }
          if (msg.event !== 'line') return;
          cursor = msg.id;
          failure.value = '';
          if (fresh) {
            fresh = false;
            lines.value = [];
          }
          const { line } = /** @type {{ line: string }} */ (JSON.parse(msg.data));
          // Stay at the bottom when the reader is there; leave the scroll alone when they scrolled up.
          const atBottom = !pre || pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          const next = [...lines.value, line];
          lines.value = next.length > MAX_LINES ? next.slice(-MAX_LINES) : next;
          if (atBottom) queueMicrotask(() => pre && (pre.scrollTop = pre.scrollHeight));
        },
      });
    };
    const toggle = () => {
      paused.value = !paused.value;
      clearTimeout(retry);
      if (paused.value) {
        stop?.();
        stop = undefined;
      } else follow();
    };
    onMounted(follow);
    onBeforeUnmount(() => {
      clearTimeout(retry);
      stop?.();
    });

    return () => {
      const state = paused.value ? 'Paused (press Pause again to resume)' : status.value === 'live' ? 'Following live' : status.value === 'offline' ? 'Reconnecting…' : 'Connecting…';
      return h('div', { class: 'live-log', 'data-role': 'live-log' }, [
        h('div', { class: 'logs-head' }, [
          h('span', { class: 'muted', 'data-role': 'log-status' }, state),
          h('button', { type: 'button', class: 'secondary', 'data-role': 'pause', 'aria-pressed': paused.value ? 'true' : 'false', onClick: toggle }, 'Pause'),
        ]),
        failure.value ? h('p', { class: 'error', role: 'alert' }, failure.value) : null,
        lines.value.length === 0
          ? h('p', { class: 'muted', 'data-role': 'no-lines' }, status.value === 'live' ? 'No log lines yet.' : 'Loading…')
          : h('pre', { class: 'logs', tabindex: '0', 'aria-label': props.label, ref: (/** @type {any} */ el) => (pre = el ?? undefined) }, lines.value.join('\n')),
      ]);
    };
  },
});
