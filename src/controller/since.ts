/**
 * When an app entered its state (`AppStatus.since`), from what is known of it; undefined when nothing knows. Pure.
 *
 * systemd unloads an inactive unit nothing references, and a unit it loads afresh has StateChangeTimestamp 0:
 * `systemctl status` then shows `Active: inactive (dead)` with no time. A controller that first looks at such a unit
 * (a one-shot `status`, `serve` after a restart) has no time for its state either, unless the user's stop through
 * this product recorded one (the intent record's `at`, src/store/state/intents.ts). It says "not known" then; it
 * never shows its own first look as the time the state began (docs/controller.md, "since").
 */
import type { AppState } from './types.js';

/** Everything the rule reads (times in ms since the epoch). */
export interface SinceInput {
  /** The state now. */
  state: AppState;
  /** The state this tracker showed last and its `since` (undefined: not known), or undefined on the first look. */
  previous: { state: AppState; sinceMs: number | undefined } | undefined;
  /** The state with every job left out (ActiveState's plain meaning), or undefined while no unit has been read. */
  natural: AppState | undefined;
  /** systemd's StateChangeTimestamp of the units that stand for the app (the latest among them); undefined when 0. */
  stampMs: number | undefined;
  /** That timestamp just arrived with a signal or a read after a change (not one kept from before). */
  freshStamp: boolean;
  /** When the user stopped the app through this product (the intent record's `at`), while that intent holds. */
  stoppedAtMs: number | undefined;
  /** The controller's clock. */
  nowMs: number;
}

/**
 * The app's `since` in ms since the epoch, or undefined when nothing knows when the state began. First match wins:
 *
 * 1. the state is the one shown last: its `since` stays (a `since` not known is filled in by systemd's
 *    StateChangeTimestamp once one is read for the state in its plain meaning);
 * 2. the state is ActiveState's plain meaning and systemd's timestamp for it arrived with the change (or this is
 *    the first look): that timestamp;
 * 3. the controller saw the state change (a signal, its own call, a re-read): the moment it saw it;
 * 4. the first look at an app the user stopped through this product (`stopped` and the intent record says when):
 *    the record's `at`;
 * 5. otherwise not known (undefined).
 */
export function appSince(i: SinceInput): number | undefined {
  const plainStamp = i.natural === i.state ? i.stampMs : undefined;
  if (i.previous && i.previous.state === i.state) return i.previous.sinceMs ?? plainStamp;
  if (plainStamp !== undefined && (i.freshStamp || !i.previous)) return plainStamp;
  if (i.previous) return i.nowMs;
  if (i.state === 'stopped' && i.stoppedAtMs !== undefined) return i.stoppedAtMs;
  return undefined;
}
