// The UI's pure rules, shared by the browser and the unit tests (types: ui-logic.d.ts).
// No DOM, no fetch, no timers.

/** The transitional state an action puts an app in, shown the moment it is clicked. */
export const TRANSITIONAL_FOR = Object.freeze({
  start: 'starting',
  stop: 'stopping',
  restart: 'restarting',
  install: 'installing',
  remove: 'removing',
});

const TRANSITIONAL_LABELS = Object.freeze({
  starting: 'Starting…',
  stopping: 'Stopping…',
  restarting: 'Restarting…',
  installing: 'Installing…',
  updating: 'Updating…',
  removing: 'Removing…',
});

/** Transitional states that are steps of an action: while the server reports one, the clicked label stays. */
const STEPS = Object.freeze({
  start: ['starting'],
  stop: ['stopping'],
  restart: ['restarting', 'stopping', 'starting'],
  install: ['installing', 'starting'],
  remove: ['removing', 'stopping'],
});

/** Human names of the states, for the state column; `unknown` while systemd cannot be reached. */
export const STATE_LABELS = Object.freeze({
  unknown: 'Unknown',
  running: 'Running',
  stopped: 'Stopped',
  starting: 'Starting',
  stopping: 'Stopping',
  restarting: 'Restarting',
  failed: 'Failed',
  'not-installed': 'Not installed',
  installing: 'Installing',
  updating: 'Updating',
  removing: 'Removing',
});

export function isTransitional(state) {
  return Object.hasOwn(TRANSITIONAL_LABELS, state);
}

/**
 * The one primary button of an app in `state` (the table of the UI spec):
 * not-installed → Install; running → Stop; stopped → Start; failed → Start with
 * the failure reason shown; every transitional state → its label with "…",
 * spinner, disabled.
 */
export function primaryButton(state) {
  switch (state) {
    case 'not-installed':
      return { action: 'install', label: 'Install', spinner: false, disabled: false, showReason: false };
    case 'running':
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

/** The separate Restart button is shown only while running (hidden while transitional). */
export function restartVisible(state) {
  return state === 'running';
}

/**
 * One app as the UI holds it: the server's latest status and the seq it is
 * current as of, plus the optimistic state of a click in flight.
 * @returns {import('./ui-logic.js').Entry}
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

/** A click on `action`: the transitional label shows at once. */
export function applyClick(entry, action) {
  const state = TRANSITIONAL_FOR[action];
  if (!state) throw new Error(`unknown action ${JSON.stringify(action)}`);
  return { ...entry, optimistic: { action, state, afterSeq: undefined, status: undefined } };
}

/** Settled states an action can end in at once (its job had nothing to do); any other settled answer is stale. */
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
 */
export function applyAccepted(entry, accepted) {
  if (!entry.optimistic) return entry;
  const o = entry.optimistic;
  let next = { ...entry, optimistic: { ...o, afterSeq: accepted.seq } };
  const state = accepted.status.state;
  if (isTransitional(state)) {
    next.optimistic.state = state;
    next.optimistic.status = accepted.status;
  } else if (OUTCOMES[o.action]?.includes(state)) {
    next.optimistic = undefined;
    if (accepted.seq >= entry.seq) next = { ...next, status: accepted.status, seq: accepted.seq };
    return next;
  }
  if (next.seq > accepted.seq) next.optimistic = undefined;
  return next;
}

/** The click failed (an error answer): back to what the server last said. */
export function applyRejected(entry) {
  return entry.optimistic ? { ...entry, optimistic: undefined } : entry;
}

/**
 * A fresh read of the app (GET) long after the 202 with no later event: the
 * server's current status is the truth then (the stop never changed anything,
 * e.g. the app was already stopped). Ignored while the click is unanswered.
 */
export function applyResync(entry, status, seq) {
  if (!entry.optimistic || entry.optimistic.afterSeq === undefined || seq < entry.optimistic.afterSeq) return applyServerStatus(entry, status, seq);
  return { ...entry, status, seq: Math.max(seq, entry.seq), optimistic: undefined };
}

/** The status the UI shows: the optimistic state over the server's (a click in flight hides the old reason and back-off). */
export function displayed(entry) {
  const o = entry.optimistic;
  if (!o) return entry.status;
  const base = o.status ?? entry.status;
  return { ...base, state: o.state, reason: undefined, retry: undefined };
}

/** Whether app states are current: the server's link to systemd is up (a server that sends no link: assumed up). */
export function linkUp(link) {
  return link === undefined || link.state === 'connected';
}

/**
 * The status the UI shows while the link to systemd is as `link` says: {@link displayed}, or while systemd is
 * not reachable the app with state `unknown` (never the last state seen, which may no longer be true).
 */
export function shownStatus(entry, link) {
  if (linkUp(link)) return displayed(entry);
  const { id, name, unit } = entry.status;
  return { id, name, unit, state: 'unknown', since: link.since };
}

/**
 * The banner while the link to systemd is down, or undefined while it is up. `timeOf` formats an ISO-8601 time
 * for a person (the browser's clock time).
 * - unreachable: `{ title: 'systemd unreachable', detail: 'cannot connect to …. Next attempt at 14:02:10. App states are unknown until it is back.' }`
 * - connecting: `{ title: 'Connecting to systemd…', detail: 'App states are unknown until it answers.' }`
 */
export function linkBanner(link, timeOf) {
  if (linkUp(link)) return undefined;
  if (link.state === 'connecting') return { title: 'Connecting to systemd…', detail: 'App states are unknown until it answers.' };
  const reason = link.reason ? `${link.reason.replace(/\.$/, '')}. ` : '';
  const next = link.nextAttemptAt ? `Next attempt at ${timeOf(link.nextAttemptAt)}. ` : 'Not retrying. ';
  return { title: 'systemd unreachable', detail: `${reason}${next}App states are unknown until it is back.` };
}

/**
 * One line about the reconciler's back-off of an app (`status.retry`), or '' when there is none. `timeOf` formats
 * an ISO-8601 time for a person. A rolled-back update: `Update failed — waiting to retry (attempt 3 of 5, next at
 * 14:02:10; last failure: …); running its last-good version`. Nothing good running (a first install, or a
 * rollback that did not come up either): `Failed to come up — retrying (attempt 2, next at 14:02:10; last failure:
 * …)`. Attempts used up: `Gave up after 5 attempts — waiting for a new revision or a Start (last failure: …)`.
 */
export function retryLine(retry, timeOf) {
  if (!retry) return '';
  const last = `last failure: ${retry.lastFailure}`;
  const running = retry.rolledBack ? '; running its last-good version' : '';
  if (retry.nextAt === undefined) {
    return `Gave up after ${retry.attempt} ${retry.attempt === 1 ? 'attempt' : 'attempts'} — waiting for a new revision or a Start (${last})${running}`;
  }
  const head = retry.rolledBack ? 'Update failed — waiting to retry' : 'Failed to come up — retrying';
  const of = retry.maxAttempts !== undefined ? ` of ${retry.maxAttempts}` : '';
  return `${head} (attempt ${retry.attempt}${of}, next at ${timeOf(retry.nextAt)}; ${last})${running}`;
}

/**
 * A snapshot (first connect, resume gap, another server process). Apps not in
 * it are dropped. When the epoch changed, seqs restarted: every optimistic state
 * is dropped and the snapshot wins.
 * @returns {{ epoch: string, entries: Record<string, import('./ui-logic.js').Entry> }}
 */
export function applySnapshot(model, snapshot) {
  const sameEpoch = model.epoch === snapshot.epoch;
  const entries = {};
  for (const status of snapshot.apps) {
    const old = sameEpoch ? model.entries[status.id] : undefined;
    entries[status.id] = old ? applyServerStatus(old, status, snapshot.seq) : newEntry(status, snapshot.seq);
  }
  return { epoch: snapshot.epoch, entries };
}

/** A state event from the stream. An app the UI has not seen yet is added. */
export function applyEvent(model, event) {
  const id = event.status.id;
  const old = model.entries[id];
  const entry = old ? applyServerStatus(old, event.status, event.seq) : newEntry(event.status, event.seq);
  return entry === old ? model : { ...model, entries: { ...model.entries, [id]: entry } };
}
