// @ts-check
// The page's state and its one way to the server: the token, the apps as the event stream and the clicks left them,
// the route, the clock the countdowns read, and what the live region says last. The components (app.js, app-card.js,
// app-detail.js) only read it and call its actions.
import { reactive, shallowRef, watch } from '/vendor/vue.esm-browser.prod.js';
import { applyAccepted, applyClick, applyEvent, applyRejected, applyResync, applySnapshot } from '/ui/ui-logic.js';
import { connectEvents } from '/ui/sse.js';
import { announcements } from '/ui/ui-words.js';
import { createTokenStore } from '/ui/token.js';

/** @import { ActionAccepted, AppDetail as Detail, ReconcilerStatus } from '../../api/types.js' */
/** @import { LinkStatus } from '../../systemd/types.js' */
/** @import { Entry, Model, UiAction } from './ui-logic.js' */
/** @import { SseMessage } from './sse.js' */

/** @typedef {{ view: 'list' } | { view: 'detail', id: string }} Route */

/**
 * What the page shows besides the apps.
 * @typedef {object} UiState
 * @property {string} token
 * @property {string} tokenError
 * @property {'connecting' | 'live' | 'offline'} connection
 * @property {Route} route
 * @property {Record<string, string>} errors The last failed click of each app, by id.
 * @property {LinkStatus | undefined} systemd The server's link to systemd; undefined until the server said (or when it does not say).
 * @property {{ n: number, text: string }} announcement The live region's last message (n tells two equal ones apart).
 * @property {ReconcilerStatus | undefined} reconciler The in-process reconciler, from the stream's `reconciler` events (serve --watch only).
 */

const tokens = createTokenStore(window.sessionStorage, window.location, window.history);

/** @type {UiState} */
const initialUi = {
  token: tokens.get(),
  tokenError: '',
  connection: 'connecting',
  route: parseRoute(window.location.hash),
  errors: {},
  systemd: undefined,
  announcement: { n: 0, text: '' },
  reconciler: undefined,
};
export const ui = reactive(initialUi);
/** @type {Model} */
const noApps = { epoch: undefined, entries: {} };
export const model = shallowRef(noApps);
/** The browser's clock in ms, ticking each second: what a countdown reads (only a component that reads it re-renders). */
export const now = shallowRef(Date.now());
setInterval(() => (now.value = Date.now()), 1000);

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

// Every change of a state shown is said once in the page's live region (a card's own text is re-rendered, which
// screen readers do not reliably read out).
/** @type {Record<string, string>} */
let spoken = {};
watch([model, () => ui.systemd], () => {
  const said = announcements(spoken, model.value, ui.systemd);
  spoken = said.labels;
  if (said.messages.length > 0) ui.announcement = { n: ui.announcement.n + 1, text: said.messages.join('. ') };
});

/**
 * fetch with the bearer token; a 401 sends the user back to the token form (and throws). Resolves with the response.
 * @param {string} path
 * @param {{ method?: string, headers?: Record<string, string>, body?: string }} [init]
 * @returns {Promise<Response>}
 */
export async function request(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${ui.token}` }, cache: 'no-store' });
  if (res.status === 401) {
    tokenRejected();
    throw new Error('unauthorized');
  }
  return res;
}

/**
 * {@link request}; a 401 sends the user back to the token form. Resolves with the parsed answer.
 * @param {string} path
 * @param {{ method?: string, headers?: Record<string, string>, body?: string }} [init]
 * @returns {Promise<any>}
 */
export async function api(path, init = {}) {
  const res = await request(path, init);
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
  else if (msg.event === 'reconciler') ui.reconciler = data.reconciler;
}

/** Follows the event stream (again), with the token held. */
export function startEvents() {
  stopEvents?.();
  stopEvents = connectEvents('/api/events', {
    token: () => ui.token,
    epoch: () => model.value.epoch,
    onMessage,
    onStatus: (s) => {
      ui.connection = s;
    },
    onUnauthorized: tokenRejected,
  });
}

/**
 * Keeps a token the user pasted and follows the stream with it.
 * @param {string} token
 */
export function signIn(token) {
  tokens.set(token);
  ui.token = token;
  ui.tokenError = '';
  startEvents();
}

/** The server refused the token (401): back to the token form, saying so. */
export function tokenRejected() {
  signOut('The token was not accepted. Paste the current one (archy-quadlet token).');
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
 * The cause of each failed or crash-looping app, in the failing program's words (the detail's `cause`: its journal's
 * last error line), by id, with the failure it belongs to (`key`: the state and systemd's reason). A card asks for it
 * with {@link causeOf}; the detail is read once per failure, not per event of a loop.
 * @type {Record<string, { key: string, cause: string | undefined }>}
 */
export const causes = reactive({});

/**
 * The cause of app `id`'s failure `key` once read: the first call for a new key reads the app's detail (one
 * `GET /api/apps/:id`, which reads the journal), and the card shows it when it arrives; undefined until then, or when
 * the journal names none.
 * @param {string} id
 * @param {string} key
 * @returns {string | undefined}
 */
export function causeOf(id, key) {
  const known = causes[id];
  if (known?.key === key) return known.cause;
  causes[id] = { key, cause: undefined };
  api(`/api/apps/${id}`).then(
    /** @param {Detail} d */ (d) => {
      if (causes[id]?.key === key) causes[id] = { key, cause: d.cause };
    },
    () => {
      // Offline or gone: the next failure asks again.
    },
  );
  return undefined;
}

/**
 * A click on an app's button: its transitional label at once, the request, and the server's answer.
 * @param {string} id
 * @param {UiAction} action
 * @param {string} label
 */
export async function act(id, action, label) {
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

/**
 * A click on one instance's button (a template app, issue 17): the request; its state comes with the app's next
 * event (the controller has changed it by the time the 202 answers). A refusal is shown as the app's error.
 * @param {string} id
 * @param {string} instance
 * @param {'start' | 'stop' | 'restart'} action
 * @param {string} label
 */
export async function actInstance(id, instance, action, label) {
  ui.errors = { ...ui.errors, [id]: '' };
  try {
    /** @type {ActionAccepted} */
    const accepted = await api(`/api/apps/${id}/instances/${encodeURIComponent(instance)}/${action}`, { method: 'POST' });
    updateEntry(id, (e) => (accepted.seq >= e.seq ? { ...e, status: accepted.status, seq: accepted.seq } : e));
  } catch (err) {
    ui.errors = { ...ui.errors, [id]: `${label} failed: ${/** @type {Error} */ (err).message}` };
  }
}

/**
 * A time for a person (the browser's locale), or '' for none.
 * @param {string | undefined} iso
 */
export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/**
 * The clock time of an ISO-8601 time, e.g. 14:02:10 (for the next attempt of a retry or a reconnect).
 * @param {string} iso
 */
export function clockTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
