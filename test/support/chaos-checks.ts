/**
 * The checks every scenario of the chaos matrix ends with: the event stream a controller emitted (never `running`
 * during a stop, no transitional state past its deadline) and our files in a unit directory (none lost or torn).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppState } from '../../src/controller/types.js';
import { isTransitional } from '../../src/controller/types.js';
import { isOwned } from '../../src/render/types.js';
import type { Seen } from './controller.js';

/** Grace for signal delivery past a deadline (systemd's own timer fires at the deadline; the signal follows). */
const DEADLINE_GRACE_MS = 3_000;

/**
 * What is wrong with an app's event stream from index `from` on:
 * - `running` shown while a stop job is in flight (a stop job, or systemd deactivating);
 * - `running` between a `stopping` and the next settled state (the stop "flickered" back);
 * - a transitional state that outlived its own deadline.
 */
export function streamViolations(events: readonly Seen[], from = 0, now = Date.now()): string[] {
  const out: string[] = [];
  const list = events.slice(Math.max(0, from - 1));
  let previous: AppState | undefined;
  for (const [i, e] of list.entries()) {
    if (e.state === 'running' && (e.job?.type === 'stop' || e.activeState === 'deactivating')) out.push(`#${i} running while a stop job is in flight (${e.activeState}/${e.subState}, job ${e.job?.type})`);
    if (e.state === 'running' && previous === 'stopping') out.push(`#${i} running right after stopping, before the stop settled`);
    previous = e.state;
    if (isTransitional(e.state) && e.deadline) {
      const next = list.slice(i + 1).find((n) => n.state !== e.state);
      const ended = next?.at ?? now;
      const deadline = Date.parse(e.deadline);
      if (ended > deadline + DEADLINE_GRACE_MS) out.push(`#${i} ${e.state} from ${new Date(e.at).toISOString()} until ${new Date(ended).toISOString()}, past its deadline ${e.deadline}`);
    }
  }
  return out;
}

/** The files of ours in a unit directory (name → content); unit files only, temp files excluded. */
export function ownedFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const name = entry.name;
    if (name.startsWith('.') || !entry.isFile()) continue;
    const content = readFileSync(join(dir, name), 'utf8');
    if (isOwned(content)) out.set(name, content);
  }
  return out;
}

/** The differences between two sets of our files: lost, changed (torn or rewritten), added. */
export function fileDiff(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [name, content] of before) {
    if (!after.has(name)) out.push(`lost ${name}`);
    else if (after.get(name) !== content) out.push(`changed ${name}`);
  }
  for (const name of after.keys()) if (!before.has(name)) out.push(`added ${name}`);
  return out;
}
