// @ts-check
// Imported by relative path: the unit tests load it in Node as well.
// What a status reads as, in a person's words: the countdown of a transitional state and the live region's messages.
// Pure, like ui-logic.js (no DOM, no fetch, no timers): the page passes the clock in.
import { isTransitional, localTimes, primaryButton, shownStatus, STATE_LABELS } from './ui-logic.js';

/** @import { AppState, AppStatus } from '../../controller/types.js' */
/** @import { LinkStatus } from '../../systemd/types.js' */
/** @import { Model } from './ui-logic.js' */

/**
 * A duration as a clock reads it: `m:ss`, or `h:mm:ss` from an hour on. Whole seconds, rounded up (a job with 0.2 s
 * left still has time: `0:01`); 0 and below read `0:00`.
 * @param {number} ms
 * @returns {string}
 */
export function clockDuration(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const s = String(total % 60).padStart(2, '0');
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * The countdown of a transitional state to systemd's deadline for its job (TimeoutStartUSec/TimeoutStopUSec: systemd
 * ends the job then), e.g. `Stopping… up to 9:42`; once the deadline has passed, `Stopping… time limit reached`.
 * '' when the state is settled or has no deadline (before the server's answer to a click, or a state the reconciler
 * sets).
 * @param {{ state: AppState | 'unknown', deadline?: string | undefined }} status
 * @param {number} nowMs The browser's clock (Date.now()).
 * @returns {string}
 */
export function countdownLine(status, nowMs) {
  if (status.state === 'unknown' || !isTransitional(status.state) || !status.deadline) return '';
  const deadline = Date.parse(status.deadline);
  if (Number.isNaN(deadline)) return '';
  const label = primaryButton(status.state).label;
  const left = deadline - nowMs;
  return left > 0 ? `${label} up to ${clockDuration(left)}` : `${label} time limit reached`;
}

/**
 * What the live region says after a change of the model or of the link to systemd: one message per app whose shown
 * state changed since `spoken` (the state labels said last, by id), e.g. `Slow: Stopping`, and the labels to keep.
 * Apps seen for the first time are not read out (the page lists them), nor are apps turning `Unknown` while systemd
 * is unreachable (the banner, a live region of its own, says so once).
 * @param {Readonly<Record<string, string>>} spoken
 * @param {Model} model
 * @param {LinkStatus | undefined} link
 * @returns {{ labels: Record<string, string>, messages: string[] }}
 */
export function announcements(spoken, model, link) {
  /** @type {Record<string, string>} */
  const labels = {};
  /** @type {string[]} */
  const messages = [];
  for (const [id, entry] of Object.entries(model.entries)) {
    const s = shownStatus(entry, link);
    const label = STATE_LABELS[s.state] ?? s.state;
    labels[id] = label;
    const before = spoken[id];
    if (before !== undefined && before !== label && s.state !== 'unknown') messages.push(`${s.name}: ${label}`);
  }
  return { labels, messages };
}

/** Host names under which the page itself is on the node (its loopback): a UI published on loopback only opens there. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Where an app's **Open** link goes (the manifest's `web:`, docs/api.md): its published port on the host the page was
 * loaded from (`http://node.local:3006/`); for a UI published on loopback only, there when the page is itself on
 * loopback, else its onion URL over Tor (`Open over Tor`); undefined when it has no web UI or no way to reach it.
 * @param {AppStatus['web']} web
 * @param {{ protocol: string, hostname: string }} page The page's `location`.
 * @returns {{ href: string, label: string } | undefined}
 */
export function openLink(web, page) {
  if (!web) return undefined;
  if (!web.loopbackOnly || LOOPBACK_HOSTS.has(page.hostname)) return { href: `${page.protocol}//${page.hostname}:${web.port}${web.path}`, label: 'Open' };
  return web.onionUrl ? { href: web.onionUrl, label: 'Open over Tor' } : undefined;
}

/**
 * What the confirmation of a removal says: what goes, and that the data stays (a removal stops the app and deletes its
 * units and the config files the node wrote for it; its data directories and its volumes are kept, docs/reconcile.md).
 * @param {string} name
 * @returns {{ title: string, body: string, confirm: string }}
 */
export function removeConfirmation(name) {
  return {
    title: `Remove ${name}?`,
    body: `${name} stops, and its units and the config files this node wrote for it are removed. Its data is kept: its data directories and volumes stay on the node, and installing it again uses them.`,
    confirm: `Remove ${name}`,
  };
}

/**
 * A span of time in a person's words, rounded: `20 s`, `3 min`, `1 h 5 min`.
 * @param {number} ms
 * @returns {string}
 */
export function spanWords(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/**
 * How a main process last ended, from systemd's ExecMainCode/ExecMainStatus (or its Result when it has no code):
 * `exited 1`, `killed by signal 9`, `dumped core (signal 11)`, `exit-code`.
 * @param {{ result: string, code?: 'exited' | 'killed' | 'dumped', status?: number }} exit
 * @returns {string}
 */
export function exitWords(exit) {
  if (exit.code === 'exited') return `exited ${exit.status ?? '?'}`;
  if (exit.code === 'killed') return `killed by signal ${exit.status ?? '?'}`;
  if (exit.code === 'dumped') return `dumped core (signal ${exit.status ?? '?'})`;
  return exit.result;
}

/**
 * systemd's Result words (a failed unit's `Result`) in plain words, as the card shows them.
 * @type {Readonly<Record<string, string>>}
 */
const RESULT_WORDS = Object.freeze({
  'exit-code': 'exited with an error',
  'start-limit-hit': 'gave up after repeated failures',
  timeout: 'timed out',
  signal: 'was killed',
  'oom-kill': 'ran out of memory',
});

/**
 * A failed app's reason in plain words: each systemd Result word, alone or after a container's name, read out
 * (`bitcoind: start-limit-hit, ui: exit-code` → `bitcoind: gave up after repeated failures, ui: exited with an
 * error`); anything else as it is. The raw reason stays in the card's title and the detail view.
 * @param {string} reason
 * @returns {string}
 */
export function reasonWords(reason) {
  return reason
    .split(', ')
    .map((part) => part.replace(/(^|: )([a-z-]+)$/, (whole, before, word) => (Object.hasOwn(RESULT_WORDS, word) ? `${before}${RESULT_WORDS[word]}` : whole)))
    .join(', ');
}

/**
 * The line of an app systemd keeps restarting (`Restart=`): `Crash loop — exited 1, restarted 4× in 20 s` (the time
 * from its first automatic restart to its latest).
 * @param {{ restarts: number, since: string, lastAt: string, lastExit: { result: string, code?: 'exited' | 'killed' | 'dumped', status?: number } }} loop
 * @returns {string}
 */
export function crashLoopLine(loop) {
  const span = Date.parse(loop.lastAt) - Date.parse(loop.since);
  const over = Number.isNaN(span) ? '' : ` in ${spanWords(span)}`;
  return `Crash loop — ${exitWords(loop.lastExit)}, restarted ${loop.restarts}×${over}`;
}

/**
 * States that are on the way to, or at, what is desired: `running` is met by running and by a start, restart,
 * install or update in flight; `stopped` by stopped (or failed: nothing runs) and a stop in flight; `absent` by not
 * installed and a removal in flight.
 * @type {Readonly<Record<'running' | 'stopped' | 'absent', readonly string[]>>}
 */
const MEETS = Object.freeze({
  running: ['running', 'starting', 'restarting', 'installing', 'updating'],
  stopped: ['stopped', 'failed', 'stopping'],
  absent: ['not-installed', 'removing'],
});

/**
 * What is desired (the manifest and the user's intent) when it differs from the state shown, e.g. `Wanted: running`;
 * '' when the state is it or on its way to it, or nothing is known of it.
 * @param {'running' | 'stopped' | 'absent' | undefined} desired
 * @param {string} state
 * @returns {string}
 */
export function desiredLine(desired, state) {
  if (!desired || state === 'unknown' || MEETS[desired]?.includes(state)) return '';
  return `Wanted: ${desired === 'absent' ? 'not installed' : desired}`;
}

/**
 * Why an app that should run does not: the dependency it waits for, e.g. `Waiting for Bitcoin Core (failed)`.
 * @param {{ name: string, state: string } | undefined} waitingFor
 * @returns {string}
 */
export function waitingLine(waitingFor) {
  if (!waitingFor) return '';
  const label = /** @type {Record<string, string>} */ (STATE_LABELS)[waitingFor.state] ?? waitingFor.state;
  return `Waiting for ${waitingFor.name} (${label.toLowerCase()})`;
}

/**
 * The line of an app a reconciler pass held (`lastPass.held[]`): its reason with the times in the locale's words,
 * and the next retry unless the reason already says it: `waiting to retry lnd (attempt 3 of 5, next at 14:02:10, …)`.
 * @param {{ reason: string, retryAt?: string }} held
 * @param {(iso: string) => string} timeOf
 * @returns {string}
 */
export function heldLine(held, timeOf) {
  const reason = localTimes(held.reason, timeOf);
  return held.retryAt && !held.reason.includes(held.retryAt) ? `${reason}; next retry at ${timeOf(held.retryAt)}` : reason;
}
