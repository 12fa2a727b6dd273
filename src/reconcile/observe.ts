/**
 * Observe: reads everything a pass plans from — the unit directory (ours = with
 * our header), the config files in play, the state directory's app records and
 * systemd's view of the services involved.
 */
import { containerServicesOf, parseUnitFileName } from '../naming.js';
import { directoriesExist, readConfigFiles, readConfigOwners } from '../store/node/config-files.js';
import { readRecords } from '../store/state/records.js';
import { readUnitDir } from '../store/node/unit-dir.js';
import type { FileTexts } from '../store/file-texts.js';
import type { PodmanSecrets } from '../store/node/podman-secrets.js';
import { readPodmanSecretDigests } from '../store/state/podman-secrets.js';
import type { UnitManager } from './ports.js';
import type { Desired, Observed, UnitOnDisk } from './types.js';

/** ActiveState of each service (services systemd does not know are left out). */
export async function serviceStates(systemd: UnitManager, services: string[]): Promise<Record<string, string>> {
  if (services.length === 0) return {};
  const { value } = await systemd.listUnitsByNames(services);
  const out: Record<string, string> = {};
  for (const row of value) if (row.loadState !== 'not-found') out[row.name] = row.activeState;
  return out;
}

/**
 * The instances of each app's template that systemd runs (`<id>@*.service` not inactive), asked of systemd by pattern
 * and not read from the app unit's `Wants=`: an instance outlives its name in the list, its template file, and the
 * app's record, and only this way does a pass see (and stop) it. An instance of an app without a template of ours
 * (on disk, recorded or wanted) counts only when its file is gone (`not-found`): a unit of the same name that is not
 * ours is left alone.
 */
async function runningInstances(systemd: UnitManager, ids: string[], unitNames: Set<string>): Promise<Record<string, string>> {
  if (ids.length === 0 || !systemd.listUnitsByPatterns) return {};
  const { value } = await systemd.listUnitsByPatterns([], ids.map((id) => `${id}@*.service`));
  const out: Record<string, string> = {};
  for (const row of value) {
    const id = row.name.slice(0, row.name.indexOf('@'));
    if (row.activeState === 'inactive' || !ids.includes(id)) continue;
    if (row.loadState === 'not-found' || unitNames.has(`${id}@.container`)) out[row.name] = row.activeState;
  }
  return out;
}

/**
 * Observes the node for `desired`. Reads the services of every container unit
 * on disk or wanted, every config path wanted or recorded, and whether each
 * data directory wanted exists.
 */
export async function observe(opts: { unitDir: string; stateDir: string; systemd: UnitManager; desired: Desired; configRoot?: string; podmanSecrets?: PodmanSecrets; texts?: FileTexts }): Promise<Observed> {
  const [entries, records] = await Promise.all([readUnitDir(opts.unitDir, opts.texts), readRecords(opts.stateDir, opts.texts)]);
  const units: Record<string, UnitOnDisk> = {};
  for (const e of entries) units[e.name] = e;
  const names = new Set(Object.keys(units));
  for (const a of opts.desired.apps) for (const u of a.units) names.add(u.name);
  for (const r of Object.values(records)) for (const n of r.units) names.add(n);
  // Container services, and the unit of each app of several containers (its network, `ServiceName=<id>`).
  const appUnits = [...names].filter((n) => parseUnitFileName(n)?.kind === 'network' && (records[parseUnitFileName(n)!.name]?.units.includes(n) || opts.desired.apps.some((a) => a.units.some((u) => u.name === n))));
  // A template's services are its instances, as the app unit wants them on disk and in the desired files.
  const files = [...opts.desired.apps.flatMap((a) => a.units), ...entries, ...[...names].map((name) => ({ name }))];
  const services = [...new Set([...containerServicesOf(files), ...appUnits.map((n) => `${parseUnitFileName(n)!.name}.service`)])].sort();
  const paths = [...opts.desired.apps.flatMap((a) => a.configs.map((c) => c.path)), ...Object.values(records).flatMap((r) => r.configs)];
  const dirPaths = opts.desired.apps.flatMap((a) => a.dirs ?? []);
  // Owners only of the configs wanted with one (rootful, for a container's numeric user).
  const ownedPaths = opts.desired.apps.flatMap((a) => a.configs.filter((c) => c.owner).map((c) => c.path));
  const ids = new Set([...opts.desired.apps.map((a) => a.id), ...Object.keys(records)]);
  const [named, instances, configs, dirs, configOwners] = await Promise.all([
    serviceStates(opts.systemd, services),
    runningInstances(opts.systemd, [...ids].sort(), names),
    readConfigFiles(paths, opts.configRoot, opts.texts),
    directoriesExist(dirPaths, opts.configRoot),
    ownedPaths.length > 0 ? readConfigOwners(ownedPaths, opts.configRoot) : undefined,
  ]);
  const states = { ...instances, ...named };
  const podman = await observePodmanSecrets(opts, states);
  return { units, configs, records, services: states, now: Date.now(), ...(dirPaths.length > 0 ? { dirs } : {}), ...(configOwners ? { configOwners } : {}), ...(podman ? { podmanSecrets: podman } : {}) };
}

/**
 * The podman secrets the desired apps take as environment values: the recorded digests always (a file read), and
 * which exist in podman only when such an app has a container that is not up (it is about to start, and a secret
 * someone deleted would make it fail): a no-op pass does not run podman. A podman that cannot be listed leaves
 * `present` unknown; a `write-secret` step then says why.
 */
async function observePodmanSecrets(opts: { stateDir: string; desired: Desired; podmanSecrets?: PodmanSecrets }, states: Record<string, string>): Promise<Observed['podmanSecrets']> {
  const needing = opts.desired.apps.filter((a) => a.run && (a.podmanSecrets?.length ?? 0) > 0);
  if (needing.length === 0) return undefined;
  const recorded = await readPodmanSecretDigests(opts.stateDir);
  const up = (svc: string): boolean => states[svc] === 'active';
  const starting = needing.some((a) => containerServicesOf(a.units).some((svc) => !up(svc)));
  const present = starting && opts.podmanSecrets ? await opts.podmanSecrets.list().catch(() => undefined) : undefined;
  return { recorded, ...(present ? { present } : {}) };
}
