/**
 * A `UnitManager` whose reads (`ListUnitsByNames`, `GetAll` of a unit) wait for a free slot: the health gates of a
 * pass poll every gated container of every app side by side, and one D-Bus connection may have only so many calls
 * awaiting a reply (dbus-daemon's `max_replies_per_connection`, 128 on Debian's system bus; past it every call fails
 * with `org.freedesktop.DBus.Error.LimitsExceeded`). Found by the 400-app benchmark (docs/reconcile.md,
 * "Benchmark"). Lifecycle calls and reloads pass through unchanged.
 */
import type { UnitManager } from './ports.js';

/**
 * How many reads may be in flight at once: 24 reads (`getUnitProperties` is one call since issue 15, two before) keep
 * a pass well under dbus-daemon's limit, leaving room for the controller sharing the connection.
 */
export const MAX_CONCURRENT_READS = 24;

/** `systemd` with at most `max` reads in flight; the others queue in call order. */
export function boundedReads(systemd: UnitManager, max = MAX_CONCURRENT_READS): UnitManager {
  let running = 0;
  const queue: Array<() => void> = [];
  // A finished read hands its slot straight to the first waiter, so no newcomer can slip in between.
  const acquire = (): Promise<void> => {
    if (running < max) {
      running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => queue.push(resolve));
  };
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else running--;
  };
  const slot = async <T>(fn: () => Promise<T>): Promise<T> => {
    await acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  };
  return {
    listUnitsByNames: (names) => slot(() => systemd.listUnitsByNames(names)),
    getUnitProperties: (unit) => slot(() => systemd.getUnitProperties(unit)),
    ...(systemd.listUnitsByPatterns ? { listUnitsByPatterns: (states: string[], patterns: string[]) => slot(() => systemd.listUnitsByPatterns!(states, patterns)) } : {}),
    startUnit: (unit, mode) => systemd.startUnit(unit, mode),
    stopUnit: (unit, mode) => systemd.stopUnit(unit, mode),
    restartUnit: (unit, mode) => systemd.restartUnit(unit, mode),
    resetFailedUnit: (unit) => systemd.resetFailedUnit(unit),
    reload: () => systemd.reload(),
  };
}
