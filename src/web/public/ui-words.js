// @ts-check
// Imported by relative path: the unit tests load it in Node as well.
// What a status reads as, in a person's words: the countdown of a transitional state and the live region's messages.
// Pure, like ui-logic.js (no DOM, no fetch, no timers): the page passes the clock in.
import { isTransitional, primaryButton, shownStatus, STATE_LABELS } from './ui-logic.js';

/** @import { AppState } from '../../controller/types.js' */
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
