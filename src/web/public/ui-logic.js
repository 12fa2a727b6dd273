// @ts-check
// The UI's pure rules, shared by the browser and the unit tests (typed with JSDoc, checked by src/web/tsconfig.json).
// No DOM, no fetch, no timers.

/** @import { AppState, AppStatus, Health, RetryStatus, StateEvent } from '../../controller/types.js' */
/** @import { LinkStatus } from '../../systemd/types.js' */

/** @typedef {'start' | 'stop' | 'restart' | 'install' | 'remove'} UiAction */

/**
 * The states with a job in flight: every app state but these five. A new state is transitional here until it is
 * added to them, and then needs its label below either way: the build breaks until it has one.
 * @typedef {Exclude<AppState, 'running' | 'stopped' | 'failed' | 'not-installed' | 'crash-loop'>} TransitionalState
 */

/**
 * The one primary button of an app.
 * @typedef {object} PrimaryButton
 * @property {'install' | 'stop' | 'start' | null} action
 * @property {string} label
 * @property {boolean} spinner
 * @property {boolean} disabled
 * @property {boolean} showReason
 */

/**
 * A click in flight.
 * @typedef {object} Optimistic
 * @property {UiAction} action
 * @property {AppState} state
 * @property {number | undefined} afterSeq The seq of the click's 202 answer; undefined until it arrives.
 * @property {AppStatus | undefined} status The 202 answer's status (deadline etc.), once it arrived.
 */

/**
 * One app as the UI holds it.
 * @typedef {object} Entry
 * @property {AppStatus} status
 * @property {number} seq
 * @property {Optimistic | undefined} optimistic
 */

/**
 * Every app the UI holds, and the server process (epoch) their seqs come from.
 * @typedef {object} Model
 * @property {string | undefined} epoch
 * @property {Record<string, Entry>} entries
 */

/**
 * A `snapshot` event of the stream.
 * @typedef {object} Snapshot
 * @property {string} epoch
 * @property {number} seq
 * @property {AppStatus[]} apps
 * @property {LinkStatus} [systemd] The server's link to systemd (absent from a server that does not report it).
 */

/**
 * What a card shows: an app status, or while systemd is unreachable the app with state `unknown`.
 * @typedef {AppStatus | (Pick<AppStatus, 'id' | 'name' | 'unit' | 'since' | 'onion' | 'description' | 'icon' | 'version' | 'web' | 'desired'> & { state: 'unknown', deadline?: undefined, reason?: undefined, retry?: undefined, containers?: undefined, health?: undefined, crashLoop?: undefined, note?: undefined, waitingFor?: undefined })} ShownStatus
 */

/**
 * The banner while the link to systemd is down.
 * @typedef {object} LinkBanner
 * @property {string} title
 * @property {string} detail
 */

/**
 * The transitional state an action puts an app in, shown the moment it is clicked.
 * @type {Readonly<Record<UiAction, TransitionalState>>}
 */
export const TRANSITIONAL_FOR = Object.freeze({
  start: 'starting',
  stop: 'stopping',
  restart: 'restarting',
  install: 'installing',
  remove: 'removing',
});

/** @type {Readonly<Record<TransitionalState, string>>} */
const TRANSITIONAL_LABELS = Object.freeze({
  starting: 'Starting…',
  stopping: 'Stopping…',
  restarting: 'Restarting…',
  installing: 'Installing…',
  updating: 'Updating…',
  removing: 'Removing…',
});

/**
 * Transitional states that are steps of an action: while the server reports one, the clicked label stays.
 * @type {Readonly<Record<UiAction, readonly AppState[]>>}
 */
const STEPS = Object.freeze({
  start: ['starting'],
  stop: ['stopping'],
  restart: ['restarting', 'stopping', 'starting'],
  install: ['installing', 'starting'],
  remove: ['removing', 'stopping'],
});

/**
 * Human names of the states, for the state column; `unknown` while systemd cannot be reached. Every app state has
 * one: a new state breaks the build until it is added here.
 * @type {Readonly<Record<AppState | 'unknown', string>>}
 */
export const STATE_LABELS = Object.freeze({
  unknown: 'Unknown',
  running: 'Running',
  stopped: 'Stopped',
  starting: 'Starting',
  stopping: 'Stopping',
  restarting: 'Restarting',
  failed: 'Failed',
  'crash-loop': 'Crash loop',
  'not-installed': 'Not installed',
  installing: 'Installing',
  updating: 'Updating',
  removing: 'Removing',
});

/**
 * podman's health of an app's running container, in words (a badge with text: never colour alone). Every health has
 * one: a new one breaks the build until it is added here.
 * @type {Readonly<Record<Health, string>>}
 */
export const HEALTH_LABELS = Object.freeze({
  starting: 'Health check starting',
  healthy: 'Healthy',
  unhealthy: 'Unhealthy',
});

/**
 * @param {string} state
 * @returns {state is TransitionalState}
 */
export function isTransitional(state) {
  return Object.hasOwn(TRANSITIONAL_LABELS, state);
}

/**
 * The one primary button of an app in `state` (the table of the UI spec):
 * not-installed → Install; running → Stop; stopped → Start; failed → Start with
 * the failure reason shown; every transitional state → its label with "…",
 * spinner, disabled.
 * @param {AppState | 'unknown'} state
 * @returns {PrimaryButton}
 */
export function primaryButton(state) {
  switch (state) {
    case 'not-installed':
      return { action: 'install', label: 'Install', spinner: false, disabled: false, showReason: false };
    case 'running':
    case 'crash-loop': // systemd restarts it by itself: Stop is what ends the loop
      return { action: 'stop', label: 'Stop', spinner: false, disabled: false, showReason: false };
    case 'stopped':
      return { action: 'start', label: 'Start', spinner: false, disabled: false, showReason: false };
    case 'failed':
      return { action: 'start', label: 'Start', spinner: false, disabled: false, showReason: true };
    case 'unknown':
      // systemd cannot be reached: no action can be sent, and no state is shown as if it were current.
      return { action: null, label: 'Waiting for systemd', spinner: false, disabled: true, showReason: false };
    default:
      if (isTransitional(state)) return { action: null, label: TRANSITIONAL_LABELS[state], spinner: true, disabled: true, showReason: false };
      // A state this UI does not know (a newer server): show it, offer nothing.
      return { action: null, label: String(state), spinner: false, disabled: true, showReason: false };
  }
}

/**
 * The separate Restart button is shown only while running (hidden while transitional).
 * @param {AppState | 'unknown'} state
 */
export function restartVisible(state) {
  return state === 'running';
}

/**
 * One app as the UI holds it: the server's latest status and the seq it is
 * current as of, plus the optimistic state of a click in flight.
 * @param {AppStatus} status
 * @param {number} seq
 * @returns {Entry}
 */
export function newEntry(status, seq) {
  return { status, seq, optimistic: undefined };
}

/**
 * Applies a status the server sent (a state event, or a snapshot entry) at
 * `seq`. An older status than the one held is ignored. An optimistic state is
 * replaced only by a status of a LATER seq than its click's 202 answer (and not
 * by a step of the same action); before that answer arrives the status is only
 * recorded, so a `running` event that predates a stop can never show through.
 * @param {Entry} entry
 * @param {AppStatus} status
 * @param {number} seq
 * @returns {Entry}
 */
export function applyServerStatus(entry, status, seq) {
  if (seq < entry.seq) return entry;
  const next = { ...entry, status, seq };
  const o = entry.optimistic;
  if (o && o.afterSeq !== undefined && seq > o.afterSeq) {
    // A step of the same operation (a restart's stop and start halves) keeps the clicked label.
    next.optimistic = STEPS[o.action]?.includes(status.state) ? { ...o, status } : undefined;
  }
  return next;
}

/**
 * A click on `action`: the transitional label shows at once.
 * @param {Entry} entry
 * @param {UiAction} action
 * @returns {Entry}
 */
export function applyClick(entry, action) {
  const state = TRANSITIONAL_FOR[action];
  if (!state) throw new Error(`unknown action ${JSON.stringify(action)}`);
  return { ...entry, optimistic: { action, state, afterSeq: undefined, status: undefined } };
}

/**
 * Settled states an action can end in at once (its job had nothing to do); any other settled answer is stale.
 * @type {Readonly<Record<UiAction, readonly AppState[]>>}
 */
const OUTCOMES = Object.freeze({
  start: ['running', 'failed'],
  stop: ['stopped', 'failed'],
  restart: [],
  install: ['running', 'stopped', 'failed'],
  remove: ['not-installed'],
});

/**
 * The 202 answer to a click: from now on, only a status of a seq after
 * `accepted.seq` replaces the optimistic state. A transitional answer refines it
 * (with its deadline); a settled answer that is an outcome of the action (a
 * stop of a stopped app) is the server's word at once; a settled answer that is
 * not (`running` for a stop: read before the job was known) is ignored.
 * Statuses recorded while the answer was on its way count if they are later
 * than it.
 * @param {Entry} entry
 * @param {{ seq: number, status: AppStatus }} accepted
 * @returns {Entry}
 */
export function applyAccepted(entry, accepted) {
  if (!entry.optimistic) return entry;
  const o = entry.optimistic;
  /** @type {Optimistic} */
  const optimistic = { ...o, afterSeq: accepted.seq };
  /** @type {Entry} */
  let next = { ...entry, optimistic };
  const state = accepted.status.state;
  if (isTransitional(state)) {
    optimistic.state = state;
    optimistic.status = accepted.status;
  } else if (OUTCOMES[o.action]?.includes(state)) {
    next.optimistic = undefined;
    if (accepted.seq >= entry.seq) next = { ...next, status: accepted.status, seq: accepted.seq };
    return next;
  }
  // A later status came over the stream before this answer: it decides as it would have after it (a step of the
  // action keeps the clicked label, hiding the old reason and back-off; anything else is the server's word).
  if (next.seq > accepted.seq) next.optimistic = STEPS[o.action]?.includes(next.status.state) ? { ...optimistic, status: next.status } : undefined;
  return next;
}

/**
 * The click failed (an error answer): back to what the server last said.
 * @param {Entry} entry
 * @returns {Entry}
 */
export function applyRejected(entry) {
  return entry.optimistic ? { ...entry, optimistic: undefined } : entry;
}

/**
 * A fresh read of the app (GET) long after the 202 with no later event: the
 * server's current status is the truth then (the stop never changed anything,
 * e.g. the app was already stopped). Ignored while the click is unanswered.
 * @param {Entry} entry
 * @param {AppStatus} status
 * @param {number} seq
 * @returns {Entry}
 */
export function applyResync(entry, status, seq) {
  if (!entry.optimistic || entry.optimistic.afterSeq === undefined || seq < entry.optimistic.afterSeq) return applyServerStatus(entry, status, seq);
  return { ...entry, status, seq: Math.max(seq, entry.seq), optimistic: undefined };
}

/**
 * What a click makes the node want at once (the controller records it before systemd hears of the job, so its 202
 * answer and every later status carry it); an install wants what its manifest says.
 * @type {Readonly<Partial<Record<UiAction, 'running' | 'stopped' | 'absent'>>>}
 */
const WANTED_AFTER = Object.freeze({ start: 'running', restart: 'running', stop: 'stopped', remove: 'absent' });

/**
 * The status the UI shows: the optimistic state over the server's (a click in flight hides the old reason, back-off,
 * crash loop and note, and wants what the click asked for: no "Wanted: running" under a Stop just clicked).
 * @param {Entry} entry
 * @returns {AppStatus}
 */
export function displayed(entry) {
  const o = entry.optimistic;
  if (!o) return entry.status;
  const base = o.status ?? entry.status;
  const desired = WANTED_AFTER[o.action] ?? base.desired;
  return { ...base, state: o.state, reason: undefined, retry: undefined, crashLoop: undefined, note: undefined, ...(desired !== undefined ? { desired } : {}) };
}

/**
 * Whether app states are current: the server's link to systemd is up (a server that sends no link: assumed up).
 * @param {LinkStatus | undefined} link
 * @returns {link is undefined | (LinkStatus & { state: 'connected' })}
 */
export function linkUp(link) {
  return link === undefined || link.state === 'connected';
}

/**
 * The status the UI shows while the link to systemd is as `link` says: {@link displayed}, or while systemd is
 * not reachable the app with state `unknown` (never the last state seen, which may no longer be true).
 * @param {Entry} entry
 * @param {LinkStatus | undefined} link
 * @returns {ShownStatus}
 */
export function shownStatus(entry, link) {
  if (linkUp(link)) return displayed(entry);
  // The onion address comes from tor's file, what a person knows the app by and what the node wants of it from its
  // manifest, not from systemd: they stay known.
  const { id, name, unit, onion, description, icon, version, web, desired } = entry.status;
  return { id, name, unit, state: 'unknown', since: link.since, onion, description, icon, version, web, desired };
}

/**
 * The banner while the link to systemd is down, or undefined while it is up. `timeOf` formats an ISO-8601 time
 * for a person (the browser's clock time).
 * - unreachable: `{ title: 'systemd unreachable', detail: 'cannot connect to …. Next attempt at 14:02:10. App states are unknown until it is back.' }`
 * - connecting: `{ title: 'Connecting to systemd…', detail: 'App states are unknown until it answers.' }`
 * @param {LinkStatus | undefined} link
 * @param {(iso: string) => string} timeOf
 * @returns {LinkBanner | undefined}
 */
export function linkBanner(link, timeOf) {
  if (linkUp(link)) return undefined;
  if (link.state === 'connecting') return { title: 'Connecting to systemd…', detail: 'App states are unknown until it answers.' };
  const reason = link.reason ? `${link.reason.replace(/\.$/, '')}. ` : '';
  const next = link.nextAttemptAt ? `Next attempt at ${timeOf(link.nextAttemptAt)}. ` : 'Not retrying. ';
  return { title: 'systemd unreachable', detail: `${reason}${next}App states are unknown until it is back.` };
}

/** An ISO-8601 time as the server writes them into its texts, e.g. `2026-12-01T18:51:21.162Z`. */
const ISO_TIME = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g;

/**
 * A server's text with each ISO-8601 time in it written by `timeOf` (the browser's locale time), so that the page
 * reads one format everywhere: `next at 2026-12-01T18:51:21.162Z` → `next at 06:51:21 PM`.
 * @param {string} text
 * @param {(iso: string) => string} timeOf
 * @returns {string}
 */
export function localTimes(text, timeOf) {
  return text.replace(ISO_TIME, (iso) => timeOf(iso));
}

/**
 * One line about the reconciler's back-off of an app (`status.retry`), or '' when there is none. `timeOf` formats
 * an ISO-8601 time for a person. A rolled-back update: `Update failed — waiting to retry (attempt 3 of 5, next at
 * 14:02:10; last failure: …); running its last-good version`. Nothing good running (a first install, or a
 * rollback that did not come up either): `Failed to come up — retrying (attempt 2, next at 14:02:10; last failure:
 * …)`. Attempts used up: `Gave up after 5 attempts — waiting for a new revision or a Start (last failure: …)`.
 * @param {RetryStatus | undefined} retry
 * @param {(iso: string) => string} timeOf
 * @returns {string}
 */
export function retryLine(retry, timeOf) {
  if (!retry) return '';
  const last = `last failure: ${localTimes(retry.lastFailure, timeOf)}`;
  const running = retry.rolledBack ? '; running its last-good version' : '';
  if (retry.nextAt === undefined) {
    return `Gave up after ${retry.attempt} ${retry.attempt === 1 ? 'attempt' : 'attempts'} — waiting for a new revision or a Start (${last})${running}`;
  }
  const head = retry.rolledBack ? 'Update failed — waiting to retry' : 'Failed to come up — retrying';
  const of = retry.maxAttempts !== undefined ? ` of ${retry.maxAttempts}` : '';
  return `${head} (attempt ${retry.attempt}${of}, next at ${timeOf(retry.nextAt)}; ${last})${running}`;
}

/**
 * The detail view's onion line: the address, and the link that opens the app's UI over Tor (its onion service on
 * port 80, as the catalog publishes UIs), or undefined while the app has none.
 * @param {{ onion?: string }} status
 * @returns {{ address: string, href: string } | undefined}
 */
export function onionLink(status) {
  return status.onion === undefined ? undefined : { address: status.onion, href: `http://${status.onion}/` };
}

/**
 * One row of the detail view's container table.
 * @typedef {object} ContainerRow
 * @property {string} name The container's short name (`db`).
 * @property {string} unit Its service (`shop-db.service`).
 * @property {AppState} state Its own state.
 * @property {string} label The state's human name.
 * @property {Health | undefined} health podman's health of its running container, when it has a health check.
 * @property {string} healthLabel That health in words (`Healthy`); '' without one.
 * @property {string} detail Why, and what systemd is doing: `exit-code · failed/failed`, `stop job 12 · deactivating/stop-sigterm`;
 *   `stopped by user` for a template app's instance the user stopped on its own.
 */

/**
 * The container table of an app of several containers, in the app's order; empty for a one-container app and while
 * systemd cannot be reached (the status shown then has no containers).
 * @param {{ containers?: AppStatus['containers'] }} status
 * @returns {ContainerRow[]}
 */
export function containerRows(status) {
  return (status.containers ?? []).map((c) => ({
    name: c.name,
    unit: c.unit,
    state: c.state,
    label: STATE_LABELS[c.state],
    health: c.health,
    healthLabel: c.health ? HEALTH_LABELS[c.health] : '',
    detail: [c.reason, c.intent === 'stopped' && 'stopped by user', c.job && `${c.job.type} job ${c.job.id}`, c.activeState && `${c.activeState}/${c.subState ?? ''}`].filter(Boolean).join(' · '),
  }));
}

/**
 * The Start/Stop button of one row of the detail view's container table when the row is an instance of a template
 * app (its unit `<app id>@<name>.service`, issue 17): what `primaryButton` gives its own state, without Install
 * (an instance is installed with its app). Null for a container of an app of several: it starts and stops with its app.
 * @param {string} appId
 * @param {Pick<ContainerRow, 'name' | 'unit' | 'state'>} row
 * @returns {PrimaryButton | null}
 */
export function instanceButton(appId, row) {
  if (row.unit !== `${appId}@${row.name}.service`) return null;
  const button = primaryButton(row.state === 'not-installed' ? 'stopped' : row.state);
  return { ...button, showReason: false };
}

/**
 * A snapshot (first connect, resume gap, another server process). Apps not in
 * it are dropped. When the epoch changed, seqs restarted: every optimistic state
 * is dropped and the snapshot wins.
 * @param {Model} model
 * @param {Snapshot} snapshot
 * @returns {Model}
 */
export function applySnapshot(model, snapshot) {
  const sameEpoch = model.epoch === snapshot.epoch;
  /** @type {Record<string, Entry>} */
  const entries = {};
  for (const status of snapshot.apps) {
    const old = sameEpoch ? model.entries[status.id] : undefined;
    entries[status.id] = old ? applyServerStatus(old, status, snapshot.seq) : newEntry(status, snapshot.seq);
  }
  return { epoch: snapshot.epoch, entries };
}

/**
 * A state event from the stream. An app the UI has not seen yet is added.
 * @param {Model} model
 * @param {StateEvent} event
 * @returns {Model}
 */
export function applyEvent(model, event) {
  const id = event.status.id;
  const old = model.entries[id];
  const entry = old ? applyServerStatus(old, event.status, event.seq) : newEntry(event.status, event.seq);
  return entry === old ? model : { ...model, entries: { ...model.entries, [id]: entry } };
}
