// @ts-check
// The web UI: a list of apps with one primary button each, and a detail view.
// Vue 3 with render functions (no template compiler, so the CSP can forbid eval).
// Live state comes only from the event stream; a click shows its transitional
// label at once (ui-logic.js decides when the server may replace it).
import { createApp, defineComponent, h, reactive, shallowRef, computed, nextTick, onMounted } from '/vendor/vue.esm-browser.prod.js';
import {
  STATE_LABELS,
  applyAccepted,
  applyClick,
  applyEvent,
  applyRejected,
  applyResync,
  applySnapshot,
  containerRows,
  linkBanner,
  linkUp,
  onionLink,
  primaryButton,
  restartVisible,
  retryLine,
  shownStatus,
} from '/ui/ui-logic.js';
import { connectEvents } from '/ui/sse.js';
import { createTokenStore } from '/ui/token.js';

/** @import { ActionAccepted, AppDetail as Detail } from '../../api/types.js' */
/** @import { LinkStatus } from '../../systemd/types.js' */
/** @import { Entry, Model, UiAction } from './ui-logic.js' */
/** @import { SseMessage } from './sse.js' */
/** @import { ShallowRef } from '/vendor/vue.esm-browser.prod.js' */

/** @typedef {{ view: 'list' } | { view: 'detail', id: string }} Route */

/**
 * What the page shows besides the apps.
 * @typedef {object} UiState
 * @property {string} token
 * @property {string} tokenError
 * @property {'connecting' | 'live' | 'offline'} connection
 * @property {Route} route
 * @property {Record<string, string>} errors The last failed click of each app, by id.
 * @property {string} notice
 * @property {LinkStatus | undefined} systemd The server's link to systemd; undefined until the server said (or when it does not say).
 */

const tokens = createTokenStore(window.sessionStorage, window.location, window.history);

/** @type {UiState} */
const initialUi = {
  token: tokens.get(),
  tokenError: '',
  connection: 'connecting',
  route: parseRoute(window.location.hash),
  errors: {},
  notice: '',
  systemd: undefined,
};
const ui = reactive(initialUi);
/** @type {Model} */
const noApps = { epoch: undefined, entries: {} };
const model = shallowRef(noApps);
/** @type {(() => void) | undefined} */
let stopEvents;
/** @type {Map<string, ReturnType<typeof setTimeout>>} */
const resyncTimers = new Map();

/**
 * @param {string} hash
 * @returns {Route}
 */
function parseRoute(hash) {
  const m = /^#\/apps\/([a-z0-9-]{1,63})$/.exec(hash);
  return m ? { view: 'detail', id: /** @type {string} */ (m[1]) } : { view: 'list' };
}
window.addEventListener('hashchange', () => {
  ui.route = parseRoute(window.location.hash);
});

/**
 * fetch with the bearer token; a 401 sends the user back to the token form. Resolves with the parsed answer.
 * @param {string} path
 * @param {{ method?: string, headers?: Record<string, string> }} [init]
 * @returns {Promise<any>}
 */
async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${ui.token}` }, cache: 'no-store' });
  if (res.status === 401) {
    signOut('The token was not accepted. Paste the current one (archy-quadlet token).');
    throw new Error('unauthorized');
  }
  const body = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(body?.message ?? `HTTP ${res.status}`);
  return body;
}

/**
 * @param {string} id
 * @param {(e: Entry) => Entry} fn
 */
function updateEntry(id, fn) {
  const m = model.value;
  const e = m.entries[id];
  if (!e) return;
  const next = fn(e);
  if (next !== e) model.value = { ...m, entries: { ...m.entries, [id]: next } };
}

/** @param {SseMessage} msg */
function onMessage(msg) {
  /** @type {any} */
  let data;
  try {
    data = JSON.parse(msg.data);
  } catch {
    return;
  }
  if (msg.event === 'snapshot') {
    model.value = applySnapshot(model.value, data);
    ui.systemd = data.systemd;
  } else if (msg.event === 'state') model.value = applyEvent(model.value, data);
  else if (msg.event === 'systemd') ui.systemd = data.systemd;
}

function startEvents() {
  stopEvents?.();
  stopEvents = connectEvents('/api/events', {
    token: () => ui.token,
    epoch: () => model.value.epoch,
    onMessage,
    onStatus: (s) => {
      ui.connection = s;
    },
    onUnauthorized: () => signOut('The token was not accepted. Paste the current one (archy-quadlet token).'),
  });
}

/** @param {string} message */
function signOut(message) {
  stopEvents?.();
  stopEvents = undefined;
  tokens.clear();
  ui.token = '';
  ui.tokenError = message;
}

/**
 * Once the 202 arrived, a status event normally follows within milliseconds. If
 * none has come by systemd's deadline (plus a margin), read the app once: with
 * no later event, the server's current status is the truth (e.g. the job had
 * nothing to do). One read per click, not polling.
 * @param {string} id
 * @param {ActionAccepted} accepted
 */
function scheduleResync(id, accepted) {
  clearTimeout(resyncTimers.get(id));
  const deadline = accepted.status.deadline ? Date.parse(accepted.status.deadline) - Date.now() : 55_000;
  const wait = Math.min(Math.max(deadline, 0) + 5_000, 10 * 60_000);
  resyncTimers.set(
    id,
    setTimeout(async () => {
      resyncTimers.delete(id);
      const e = model.value.entries[id];
      if (!e?.optimistic || e.optimistic.afterSeq !== accepted.seq || model.value.epoch !== accepted.epoch) return;
      try {
        /** @type {Detail} */
        const detail = await api(`/api/apps/${id}`);
        if (detail.epoch === model.value.epoch) updateEntry(id, (x) => applyResync(x, detail, detail.seq));
      } catch {
        // Offline: the snapshot on reconnect settles it.
      }
    }, wait),
  );
}

/**
 * @param {string} id
 * @param {UiAction} action
 * @param {string} label
 */
async function act(id, action, label) {
  ui.errors = { ...ui.errors, [id]: '' };
  updateEntry(id, (e) => applyClick(e, action));
  try {
    /** @type {ActionAccepted} */
    const accepted = await api(`/api/apps/${id}/${action}`, { method: 'POST' });
    updateEntry(id, (e) => applyAccepted(e, accepted));
    scheduleResync(id, accepted);
  } catch (err) {
    updateEntry(id, applyRejected);
    ui.errors = { ...ui.errors, [id]: `${label} failed: ${/** @type {Error} */ (err).message}` };
  }
}

/** @param {string | undefined} iso */
function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/**
 * The clock time of an ISO-8601 time, e.g. 14:02:10 (for the next attempt of a retry or a reconnect).
 * @param {string} iso
 */
function clockTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

// ---- components -----------------------------------------------------------

const TokenForm = {
  setup() {
    const value = shallowRef('');
    /** @type {ShallowRef<HTMLInputElement | undefined>} */
    const input = shallowRef();
    onMounted(() => input.value?.focus());
    /** @param {Event} ev */
    const submit = (ev) => {
      ev.preventDefault();
      const t = value.value.trim();
      if (!t) return;
      tokens.set(t);
      ui.token = t;
      ui.tokenError = '';
      startEvents();
    };
    return () =>
      h('form', { class: 'token-form', onSubmit: submit, 'aria-labelledby': 'token-title' }, [
        h('h2', { id: 'token-title' }, 'Sign in'),
        h('p', null, 'This node’s API needs its token. Print it on the node with archy-quadlet token.'),
        ui.tokenError ? h('p', { class: 'error', role: 'alert' }, ui.tokenError) : null,
        h('label', { for: 'token-input' }, 'API token'),
        h('input', {
          id: 'token-input',
          ref: input,
          type: 'password',
          autocomplete: 'off',
          spellcheck: 'false',
          required: true,
          value: value.value,
          onInput: (/** @type {Event} */ e) => (value.value = /** @type {HTMLInputElement} */ (e.target).value),
        }),
        h('button', { type: 'submit', class: 'primary' }, 'Continue'),
      ]);
  },
};

function spinner() {
  return h('span', { class: 'spinner', 'aria-hidden': 'true' });
}

const AppCard = defineComponent({
  props: ['id'],
  /** @param {{ id: string }} props */
  setup(props) {
    return () => {
      const entry = model.value.entries[props.id];
      if (!entry) return null;
      const s = shownStatus(entry, ui.systemd);
      const b = primaryButton(s.state);
      const labelId = `app-${s.id}-name`;
      const error = ui.errors[s.id];
      const retry = retryLine(s.retry, clockTime);
      return h('li', { class: ['app', `state-${s.state}`], 'data-app': s.id, 'aria-labelledby': labelId }, [
        h('div', { class: 'app-head' }, [
          h('a', { id: labelId, class: 'app-name', href: `#/apps/${s.id}` }, s.name),
          h('span', { class: 'app-state', 'data-role': 'state', 'aria-live': 'polite' }, STATE_LABELS[s.state] ?? s.state),
        ]),
        b.showReason && s.reason ? h('p', { class: 'reason', 'data-role': 'reason' }, `Failed: ${s.reason}`) : null,
        retry ? h('p', { class: 'retry', 'data-role': 'retry' }, retry) : null,
        error ? h('p', { class: 'error', role: 'alert' }, error) : null,
        h(
          'button',
          {
            type: 'button',
            class: ['primary', 'wide'],
            'data-role': 'primary',
            disabled: b.disabled,
            'aria-busy': b.spinner ? 'true' : 'false',
            'aria-label': `${b.label.replace('…', '')} ${s.name}`,
            onClick: () => b.action && act(s.id, b.action, b.label),
          },
          [b.spinner ? spinner() : null, h('span', { class: 'label' }, b.label)],
        ),
        restartVisible(s.state)
          ? h(
              'button',
              { type: 'button', class: ['secondary', 'wide'], 'data-role': 'restart', 'aria-label': `Restart ${s.name}`, onClick: () => act(s.id, 'restart', 'Restart') },
              'Restart',
            )
          : null,
      ]);
    };
  },
});

const AppList = {
  setup() {
    /** @param {string} id */
    const nameOf = (id) => /** @type {Entry} */ (model.value.entries[id]).status.name;
    const ids = computed(() => Object.keys(model.value.entries).sort((a, b) => nameOf(a).localeCompare(nameOf(b))));
    return () =>
      h('section', { 'aria-labelledby': 'apps-title' }, [
        h('h2', { id: 'apps-title', class: 'visually-hidden' }, 'Apps'),
        model.value.epoch === undefined
          ? h('p', { class: 'muted' }, 'Connecting…')
          : ids.value.length === 0
            ? h('p', { class: 'muted' }, linkUp(ui.systemd) ? 'No apps on this node.' : 'The apps are listed once systemd answers.')
            : h('ul', { class: 'apps' }, ids.value.map((id) => h(AppCard, { id, key: id }))),
      ]);
  },
};

/**
 * The detail view's onion address and its link, when the app has one.
 * @param {ReturnType<typeof onionLink>} onion
 */
function onionFacts(onion) {
  if (!onion) return null;
  return [
    h('dt', null, 'Onion address'),
    h('dd', { 'data-role': 'onion' }, [h('code', null, onion.address), ' ', h('a', { href: onion.href, rel: 'noreferrer', target: '_blank' }, 'Open over Tor')]),
  ];
}

const AppDetail = defineComponent({
  props: ['id'],
  /** @param {{ id: string }} props */
  setup(props) {
    /** @type {ShallowRef<Detail | undefined>} */
    const detail = shallowRef();
    /** @type {ShallowRef<string[] | undefined>} */
    const logs = shallowRef();
    const failure = shallowRef('');
    /** @type {ShallowRef<HTMLElement | undefined>} */
    const heading = shallowRef();
    let lastSeq = -1;
    const load = async () => {
      try {
        detail.value = await api(`/api/apps/${props.id}`);
        failure.value = '';
      } catch (err) {
        failure.value = /** @type {Error} */ (err).message;
      }
    };
    const loadLogs = async () => {
      try {
        logs.value = (await api(`/api/apps/${props.id}/logs?lines=200`)).lines;
      } catch (err) {
        logs.value = [`(logs unavailable: ${/** @type {Error} */ (err).message})`];
      }
    };
    onMounted(async () => {
      await Promise.all([load(), loadLogs()]);
      await nextTick();
      heading.value?.focus();
    });
    return () => {
      const entry = model.value.entries[props.id];
      // The history grows with the stream: re-read the detail when this app's state changed after it was read.
      if (entry && entry.seq !== lastSeq && detail.value && entry.seq > detail.value.seq) {
        lastSeq = entry.seq;
        queueMicrotask(load);
      }
      const d = detail.value;
      const s = entry ? shownStatus(entry, ui.systemd) : d;
      return h('section', { class: 'detail', 'aria-labelledby': 'detail-title' }, [
        h('a', { href: '#/', class: 'back' }, '← All apps'),
        h('h2', { id: 'detail-title', tabindex: '-1', ref: heading }, s ? s.name : props.id),
        failure.value ? h('p', { class: 'error', role: 'alert' }, failure.value) : null,
        s
          ? h('dl', { class: 'facts' }, [
              h('dt', null, 'State'),
              h('dd', { 'data-role': 'state' }, STATE_LABELS[s.state] ?? s.state),
              h('dt', null, 'Since'),
              h('dd', null, formatTime(s.since)),
              s.deadline ? [h('dt', null, 'Deadline'), h('dd', null, formatTime(s.deadline))] : null,
              s.reason ? [h('dt', null, 'Reason'), h('dd', null, s.reason)] : null,
              s.retry ? [h('dt', null, 'Retry'), h('dd', { 'data-role': 'retry' }, retryLine(s.retry, clockTime))] : null,
              h('dt', null, 'Unit'),
              h('dd', null, h('code', null, s.unit)),
              onionFacts(onionLink(s)),
            ])
          : null,
        entry ? h('ul', { class: 'apps single' }, [h(AppCard, { id: props.id })]) : null,
        s && containerRows(s).length > 0
          ? [
              h('h3', null, 'Containers'),
              h('table', { class: 'history containers' }, [
                h('thead', null, h('tr', null, [h('th', { scope: 'col' }, 'Container'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'systemd')])),
                h(
                  'tbody',
                  null,
                  containerRows(s).map((c) =>
                    h('tr', { key: c.unit, 'data-container': c.name }, [
                      h('th', { scope: 'row' }, [c.name, ' ', h('code', { class: 'muted' }, c.unit)]),
                      h('td', { 'data-role': 'container-state', 'data-state': c.state }, c.label),
                      h('td', null, c.detail),
                    ]),
                  ),
                ),
              ]),
            ]
          : null,
        h('h3', null, 'History'),
        d && d.history.length > 0
          ? h('table', { class: 'history' }, [
              h('thead', null, h('tr', null, [h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Since'), h('th', { scope: 'col' }, 'Reason')])),
              h(
                'tbody',
                null,
                [...d.history].reverse().map((x) => h('tr', { key: `${x.seq}-${x.since}` }, [h('td', null, STATE_LABELS[x.state] ?? x.state), h('td', null, formatTime(x.since)), h('td', null, x.reason ?? '')])),
              ),
            ])
          : h('p', { class: 'muted' }, 'No history yet.'),
        h('h3', null, 'Unit'),
        d?.unitText ? h('pre', { class: 'unit', tabindex: '0', 'aria-label': 'Rendered unit file' }, d.unitText) : h('p', { class: 'muted' }, 'Not installed.'),
        h('div', { class: 'logs-head' }, [
          h('h3', null, 'Recent log lines'),
          h('button', { type: 'button', class: 'secondary', onClick: loadLogs }, 'Reload logs'),
        ]),
        logs.value === undefined
          ? h('p', { class: 'muted' }, 'Loading…')
          : logs.value.length === 0
            ? h('p', { class: 'muted' }, 'No log lines.')
            : h('pre', { class: 'logs', tabindex: '0', 'aria-label': 'Recent log lines' }, logs.value.join('\n')),
      ]);
    };
  },
});

/** While systemd cannot be reached: why, when the next attempt is, and that the states shown are not known. */
const SystemdBanner = {
  setup() {
    return () => {
      const banner = linkBanner(ui.systemd, clockTime);
      if (!banner) return null;
      return h('div', { class: ['banner', `link-${/** @type {LinkStatus} */ (ui.systemd).state}`], 'data-role': 'systemd' }, [
        // Only the title is a live region: the detail changes with every attempt and would be read out each time.
        h('strong', { class: 'banner-title', role: 'status' }, banner.title),
        h('span', { class: 'banner-detail' }, banner.detail),
      ]);
    };
  },
};

const Root = {
  setup() {
    onMounted(() => {
      if (ui.token) startEvents();
    });
    return () =>
      h('div', { class: 'shell' }, [
        h('header', { class: 'top' }, [
          h('h1', null, h('a', { href: '#/' }, 'archy-quadlet')),
          ui.token
            ? h('span', { class: ['conn', `conn-${ui.connection}`], role: 'status', 'data-role': 'connection' }, ui.connection === 'live' ? 'Live' : ui.connection === 'connecting' ? 'Connecting…' : 'Offline, reconnecting…')
            : null,
        ]),
        h('main', null, [
          ui.token ? h(SystemdBanner) : null,
          !ui.token ? h(TokenForm) : ui.route.view === 'detail' ? h(AppDetail, { id: ui.route.id, key: ui.route.id }) : h(AppList),
        ]),
      ]);
  },
};

createApp(Root).mount('#app');
