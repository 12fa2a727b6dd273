/**
 * The controller's refs of apps (`AppRef`: the app's unit and, for an app of several containers, each container's):
 * from a manifest, or from the unit files in a Quadlet unit directory (units written by hand, or ours while the
 * catalog cannot be read). Pure: the caller reads the files.
 */
import { appDependencies, appMeta } from '../manifest/app-meta.js';
import { appContainers } from '../manifest/containers.js';
import type { Manifest } from '../manifest/types.js';
import { appService, compareNames, instanceService, isTemplateUnit, parseUnitFileName, servicesOfUnit } from '../naming.js';
import { parseUnit } from '../render/parse-unit.js';
import type { AppRef, ContainerRef, DesiredState } from './types.js';

/**
 * The ref of a manifest's app: `{ id, name (the id without one), unit: <id>.service, containers?, meta?, dependsOn?,
 * desired, health? }`; `desired`: a pass's effective state, else the manifest's `state`; `health`: a one-container
 * app whose manifest has `health:`.
 */
export function appRef(m: Manifest, desired?: DesiredState): AppRef {
  const containers = appContainers(m);
  const meta = appMeta(m);
  const health = !containers && m.health ? { health: true as const } : {};
  const dependsOn = appDependencies(m);
  return {
    id: m.id,
    name: m.name ?? m.id,
    unit: appService(m.id),
    ...(containers ? { containers } : {}),
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
    ...(dependsOn.length > 0 ? { dependsOn } : {}),
    desired: desired ?? m.state ?? 'running',
    ...health,
  };
}

/** A unit file: its name (`lnd.container`) and text. */
export interface UnitFileText {
  name: string;
  content: string;
}

/** Every value of `key` in `[group]`, split on whitespace (systemd's list keys, e.g. `PartOf=a.service b.service`). */
function values(content: string, group: string, key: string): string[] {
  try {
    return parseUnit(content)
      .filter((s) => s.name === group)
      .flatMap((s) => s.entries.filter(([k]) => k === key).flatMap(([, v]) => v.split(/\s+/).filter(Boolean)));
  } catch {
    return [];
  }
}

/**
 * The apps in a Quadlet unit directory's files, sorted by id:
 * - an app of several containers is `<id>.network` with `ServiceName=<id>` (its unit `<id>.service`), and its
 *   containers are the `.container` files whose `[Unit] PartOf=` names `<id>.service`; a container's name is its
 *   file name without `<id>-` (`mempool-db.container` → `db`), in file-name order (the directory does not keep
 *   the manifest's order);
 * - every other `<x>.container` is a one-container app `x` (unit `x.service`).
 * A file that cannot be parsed counts as a one-container app when it is a `.container`, and as nothing otherwise.
 * A template app's instances are those its unit wants and those the user stopped on their own (`stopped`, by app id:
 * the intents' `stopped`, which its unit no longer wants).
 */
export function unitDirAppRefs(files: readonly UnitFileText[], stopped: ReadonlyMap<string, readonly string[]> = new Map()): AppRef[] {
  const parsed = files.map((f) => ({ ...f, file: parseUnitFileName(f.name) })).filter((f) => f.file !== undefined);
  const groups = new Map<string, ContainerRef[]>();
  for (const f of parsed) {
    if (f.file!.kind !== 'network') continue;
    const id = f.file!.name;
    if (values(f.content, 'Network', 'ServiceName').at(-1) === id) groups.set(appService(id), []);
  }
  const apps: AppRef[] = [];
  for (const f of parsed) {
    if (f.file!.kind !== 'container') continue;
    const stem = f.file!.name;
    const owner = values(f.content, 'Unit', 'PartOf').find((unit) => groups.has(unit) && unit !== appService(stem));
    const health = values(f.content, 'Container', 'HealthCmd').length > 0 ? { health: true as const } : {};
    if (!owner) {
      apps.push({ id: stem, name: stem, unit: appService(stem), ...health });
      continue;
    }
    const id = owner.slice(0, -'.service'.length);
    // A template's containers are its instances, as the app's unit wants them (`indexer@1.service` → `1`).
    if (isTemplateUnit(f.name)) {
      const wanted = [...servicesOfUnit(f.name, files), ...(stopped.get(id) ?? []).map((i) => instanceService(id, i))];
      for (const unit of new Set(wanted)) groups.get(owner)!.push({ name: unit.slice(stem.length, -'.service'.length), unit, ...health });
      continue;
    }
    groups.get(owner)!.push({ name: stem.startsWith(`${id}-`) ? stem.slice(id.length + 1) : stem, unit: appService(stem), ...health });
  }
  for (const [unit, containers] of groups) {
    const id = unit.slice(0, -'.service'.length);
    if (containers.length > 0) apps.push({ id, name: id, unit, containers: containers.sort((a, b) => compareNames(a.unit, b.unit)) });
  }
  return apps.sort((a, b) => compareNames(a.id, b.id));
}
