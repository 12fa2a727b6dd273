/**
 * podman's container health into the controller's `health` fields (`serve`): the watch of
 * src/podman/health-events.ts, its events and its lists given to `setHealth` for the units of health-checked
 * containers. Health never changes an app's state (issue 16).
 */
import type { LiveController } from '../controller/controller.js';
import type { AppRef } from '../controller/types.js';
import { watchHealth, type HealthWatch, type HealthWatchOptions } from '../podman/health-events.js';

/** The units of an app's containers that have a health check. */
export function healthUnits(ref: AppRef): string[] {
  if (ref.containers) return ref.containers.filter((c) => c.health).map((c) => c.unit);
  return ref.health ? [ref.unit] : [];
}

/** Starts the watch for `controller`'s apps (the apps as they are at each list: the catalog may change). */
export function followHealth(controller: LiveController, opts: Pick<HealthWatchOptions, 'via' | 'user' | 'log' | 'restartMs'>): HealthWatch {
  return watchHealth({
    ...opts,
    onHealth: (unit, health) => controller.setHealth(unit, health),
    onList(listed, fresh) {
      for (const unit of controller.apps().flatMap(healthUnits)) if (!fresh.has(unit)) controller.setHealth(unit, listed.get(unit));
    },
  });
}
