/**
 * The planner: observed node + desired catalog → the steps of one pass.
 * Pure and synchronous (no IO, no clock); `execute.ts` runs what it returns.
 *
 * Order of a plan: stop what goes away → remove its files → write changed units
 * and configs → one daemon-reload (only when a unit file changed) → start /
 * restart → record what apps now run with → forget removed apps.
 */
import type { ReconcilePhase } from '../controller/types.js';
import { appService, containerServicesOf, isTemplateUnit, parseUnitFileName, serviceName, serviceOf, servicesOfUnit } from '../naming.js';
import { isOwned, type RenderedFile } from '../render/types.js';
import { retryDecision } from './backoff.js';
import * as S from './steps.js';
import type { AppRecord, Desired, DesiredApp, DesiredConfig, Held, Observed, Step } from './types.js';
import { withoutInstall } from './unit-text.js';

/** ActiveStates in which a service counts as running (a start would be a no-op). */
const RUNNING = new Set(['active', 'activating', 'reloading', 'refreshing']);
/** A stop is in flight: leave it to finish; the next pass looks again. */
const SETTLING = new Set(['deactivating']);
/**
 * How long an app without a health check must stay active after a start before it counts as up (ms): podman
 * reports it active once the container is created, and one that exits at once must not become last-good.
 */
export const STABLE_MS = 5_000;
/** How soon a loop looks again at an app held while systemd settles it (ms): a restart's stop half is usually short. */
const SETTLE_RECHECK_MS = 2_000;

/** The container services of a set of unit files, in order (main container first; a template's instances). */
function containerServices(files: ReadonlyArray<string | { name: string; content?: string }>): string[] {
  return containerServicesOf(files.map((f) => (typeof f === 'string' ? { name: f } : f)));
}

/**
 * Whether a config path is ours to write: missing, recorded as written by us
 * (an app record), or its content starts with our marker line. Anything else
 * (e.g. an operator's own bitcoin.conf) is never replaced.
 */
export function configIsOurs(observed: Observed, path: string): boolean {
  const content = observed.configs[path];
  if (content === undefined || isOwned(content)) return true;
  return Object.values(observed.records).some((r) => r.configs.includes(path));
}

/**
 * Apps the pass must leave alone, found from the inputs alone: a unit name or a
 * config path that is taken by a file not ours, or a revision that failed its
 * health gate and is backing off (`backoff.ts`: the hold carries `retryAt`, when
 * a pass tries it again, unless its attempts are used up).
 */
export function findHolds(observed: Observed, desired: Desired): Held[] {
  const held: Held[] = [];
  for (const app of desired.apps) {
    if (app.hold) continue;
    const foreign = app.units.find((u) => observed.units[u.name] && !observed.units[u.name]!.owned);
    if (foreign) {
      held.push({ app: app.id, reason: `units/${foreign.name} exists and is not managed by archy-quadlet; move it away to install ${app.id}` });
      continue;
    }
    const foreignConfig = app.configs.find((c) => !configIsOurs(observed, c.path));
    if (foreignConfig) {
      held.push({ app: app.id, reason: `config ${foreignConfig.path} exists and is not managed by archy-quadlet; move it away to install ${app.id}` });
      continue;
    }
    const retry = retryDecision(observed.records[app.id], app, observed.now);
    if (retry.kind === 'wait') {
      held.push({ app: app.id, reason: retry.reason, ...(retry.retryAt !== undefined ? { retryAt: retry.retryAt } : {}) });
      continue;
    }
    // A unit in the stop half of someone else's restart (or a stop) would start again with whatever is on disk by
    // then, and the pass could not tell what it runs with: its change waits until systemd has settled it.
    const main = containerServices(app.units)[0];
    const state = main === undefined ? undefined : observed.services[main];
    if (main !== undefined && state !== undefined && SETTLING.has(state) && appChanged(observed, app)) {
      held.push({ app: app.id, reason: `${main} is ${state} (a systemd job is in flight); its change waits for the next pass`, retryAt: new Date(observed.now + SETTLE_RECHECK_MS).toISOString() });
    }
  }
  return held;
}

/** Whether a pass would write anything of the app's, or record it anew. */
function appChanged(observed: Observed, app: DesiredApp): boolean {
  return (
    app.units.some((u) => observed.units[u.name]?.content !== u.content) ||
    app.configs.some((c) => observed.configs[c.path] !== c.content) ||
    observed.records[app.id]?.hash !== app.hash
  );
}

/** Desired with the given holds applied (an app already held keeps its first reason). */
export function withHolds(desired: Desired, holds: readonly Held[]): Desired {
  const reasons = new Map(holds.map((h) => [h.app, h.reason]));
  return {
    shared: desired.shared,
    apps: desired.apps.map((a) => (a.hold || !reasons.has(a.id) ? a : { ...a, hold: reasons.get(a.id)! })),
  };
}

/**
 * Plans one pass. Steps come in execution order; `describe()` on each gives its text.
 * Never plans a change to a file without our header, nor any step for a held app.
 */
export function planSteps(observed: Observed, desired: Desired): Step[] {
  const desiredApps = new Map(desired.apps.map((a) => [a.id, a]));
  const kept = new Set<string>(); // unit names that stay on disk
  for (const a of desired.apps) {
    for (const u of a.units) kept.add(u.name);
    if (a.hold) for (const n of observed.records[a.id]?.units ?? []) kept.add(n);
  }
  for (const f of desired.shared) kept.add(f.name);

  const stops: Step[] = [];
  const removals: Step[] = [];
  const writes: Step[] = [];
  const runs: Step[] = [];
  const records: Step[] = [];

  // Config paths some installed app still wants; a recorded config outside it is removed.
  const wantedConfigs = new Set(desired.apps.flatMap((a) => a.configs.map((c) => c.path)));
  const instances = instancesByApp(observed.services);
  planRemovals(observed, instances, desiredApps, kept, wantedConfigs, stops, removals, records);
  for (const app of desired.apps) {
    if (app.hold) continue;
    for (const path of observed.records[app.id]?.configs ?? []) {
      if (!wantedConfigs.has(path) && observed.configs[path] !== undefined) removals.push(S.removeConfig(app.id, path));
    }
  }

  for (const f of desired.shared) {
    const disk = observed.units[f.name];
    if (!disk || (disk.owned && disk.content !== f.content)) writes.push(S.writeUnit(f));
  }
  for (const app of desired.apps) {
    if (!app.hold) planApp(observed, instances, app, writes, stops, runs, records);
  }

  // A service whose name a wanted unit takes over (an app's unit changing kind) must stop before that unit's file is
  // written: afterwards systemd reports the new unit's state under that name (issue 17).
  const reused = new Set(desired.apps.flatMap((a) => a.units.map((u) => serviceOf(u.name, u.content))));
  for (const [i, s] of stops.entries()) if (s.action === 'stop' && s.phase === 'removing' && reused.has(s.service)) stops[i] = { ...s, settle: true };

  const unitsChanged = [...writes, ...removals].some((s) => s.action === 'write-unit' || s.action === 'remove-unit');
  return [...stops, ...removals, ...writes, ...(unitsChanged ? [S.reload()] : []), ...planSecrets(observed, desired), ...runs, ...records];
}

/**
 * The podman secrets to (re)create before the apps that take them run: one whose recorded digest is not the
 * desired value's, or that podman was seen to lack. Each once, however many apps take it.
 */
function planSecrets(observed: Observed, desired: Desired): Step[] {
  const steps = new Map<string, Step>();
  for (const app of desired.apps) {
    if (app.hold || !app.run) continue;
    for (const { name, digest } of app.podmanSecrets ?? []) {
      const step = S.writeSecret(name, digest);
      if (steps.has(step.name)) continue;
      const known = observed.podmanSecrets;
      if (known?.recorded[step.name] !== digest || (known.present !== undefined && !known.present.has(step.name))) steps.set(step.name, step);
    }
  }
  return [...steps.values()];
}

/** Apps we installed that no manifest wants any more, and stray files of ours: stop, remove, forget. */
function planRemovals(
  observed: Observed,
  instances: InstanceIndex,
  desiredApps: Map<string, DesiredApp>,
  kept: Set<string>,
  wantedConfigs: Set<string>,
  stops: Step[],
  removals: Step[],
  records: Step[],
): void {
  const claimed = new Set<string>();
  for (const [id, rec] of Object.entries(observed.records).sort(([a], [b]) => a.localeCompare(b))) {
    if (desiredApps.has(id)) continue;
    const units = rec.units.filter((n) => observed.units[n]?.owned && !kept.has(n));
    for (const n of rec.units) claimed.add(n);
    for (const svc of strayInstances(observed, instances, id, [])) stops.push(S.stop(svc, { app: id, phase: 'removing' }));
    // An app of several containers: its unit (its network's service) goes too, stopping its containers in order.
    if (units.includes(`${id}.network`) && RUNNING.has(observed.services[appService(id)] ?? '')) stops.push(S.stop(appService(id), { app: id, phase: 'removing' }));
    for (const svc of containerServices(units)) {
      if (RUNNING.has(observed.services[svc] ?? '')) stops.push(S.stop(svc, { app: id, phase: 'removing' }));
    }
    for (const n of units) removals.push(S.removeUnit(n, { app: id, phase: 'removing' }));
    for (const path of rec.configs) {
      if (observed.configs[path] !== undefined && !wantedConfigs.has(path)) removals.push(S.removeConfig(id, path, 'removing'));
    }
    records.push(S.forget(id));
  }
  // Files of ours that no record claims (e.g. state dir lost): orphans, pruned the same way.
  for (const [name, disk] of Object.entries(observed.units).sort(([a], [b]) => a.localeCompare(b))) {
    if (!disk.owned || kept.has(name) || claimed.has(name)) continue;
    const parsed = parseUnitFileName(name);
    if (parsed?.kind === 'container' && RUNNING.has(observed.services[serviceName(name)] ?? '')) {
      stops.push(S.stop(serviceName(name), { app: parsed.name, phase: 'removing' }));
    }
    removals.push(S.removeUnit(name, parsed?.kind === 'container' ? { app: parsed.name, phase: 'removing' } : {}));
  }
}

/**
 * The unit file of an app of several containers' own unit: its network, whose `ServiceName=` makes it
 * `<id>.service`. Undefined for a one-container app (its container is its unit).
 */
function appNetwork(app: DesiredApp): RenderedFile | undefined {
  return app.units.find((u) => parseUnitFileName(u.name)?.kind === 'network' && serviceOf(u.name, u.content) === appService(app.id));
}

/** The stable window a container's gate waits for: none when a health check or a one-shot completion says it is up. */
export function stableMsOf(unit: Pick<RenderedFile, 'content'> | undefined): number {
  return unit !== undefined && /^(Notify=healthy|Type=oneshot)$/m.test(unit.content) ? 0 : STABLE_MS;
}

/**
 * A `make-dir` for each of the app's data directories that is missing (a first install, or one deleted since): a
 * container whose bind source is missing does not start. Nothing restarts for it (a running container keeps what it
 * had mounted).
 */
function planDirs(observed: Observed, app: DesiredApp, writes: Step[], phase: ReconcilePhase | undefined): void {
  for (const dir of app.dirs ?? []) if (observed.dirs?.[dir] !== true) writes.push(S.makeDir(app.id, dir, phase, app.dirOwners?.[dir]));
}

/** Whether the config on disk is as wanted: its content, and its owner where one is wanted (a file left by a write killed before its chown, or by an older version, is written again). */
function configUpToDate(observed: Observed, c: DesiredConfig): boolean {
  if (observed.configs[c.path] !== c.content) return false;
  if (!c.owner) return true;
  const st = observed.configOwners?.[c.path];
  return st !== undefined && st.uid === c.owner.uid && (c.owner.gid === undefined || st.gid === c.owner.gid);
}

/** Writes, start/stop/restart and records for one installed app. */
function planApp(observed: Observed, instances: InstanceIndex, app: DesiredApp, writes: Step[], stops: Step[], runs: Step[], records: Step[]): void {
  const network = appNetwork(app);
  if (network) {
    planAppOfContainers(observed, instances, app, network, writes, stops, runs, records);
    return;
  }
  const rec = observed.records[app.id];
  const main = app.units.find((u) => parseUnitFileName(u.name)?.kind === 'container');
  const isNew = !main || !observed.units[main.name]?.owned;
  const phase = isNew ? ('installing' as const) : undefined;

  let runtimeChanged = false; // something a running service would see
  for (const u of app.units) {
    const disk = observed.units[u.name];
    if (disk && disk.content === u.content) continue;
    if (!disk || withoutInstall(disk.content) !== withoutInstall(u.content)) runtimeChanged = true;
    writes.push(S.writeUnit(u, { app: app.id, ...(phase ? { phase } : {}) }));
  }
  for (const c of app.configs) {
    if (configUpToDate(observed, c)) continue;
    runtimeChanged = true;
    writes.push(S.writeConfig(app.id, c.path, c.content, c.mode, phase, c.owner));
  }
  planDirs(observed, app, writes, phase);

  const services = containerServices(app.units.map((u) => u.name));
  for (const svc of strayInstances(observed, instances, app.id, services)) stops.push(S.stop(svc, { app: app.id }));
  const mainService = services[0];
  if (mainService === undefined) return;
  const state = observed.services[mainService] ?? '';
  const record: AppRecord = { hash: app.hash, units: app.units.map((u) => u.name), configs: app.configs.map((c) => c.path) };
  const recordChanged = rec === undefined || rec.hash !== app.hash;
  // The click this plan follows from (or none): the executor skips a step that a newer click overtook.
  const intentAt = app.userIntent?.at ?? '';

  if (!app.run) {
    for (const svc of services) if (RUNNING.has(observed.services[svc] ?? '')) stops.push(S.stop(svc, { app: app.id, intended: 'stopped', intentAt }));
    // A stopped app starts (whoever starts it) with the files on disk: remember those.
    if (recordChanged || !sameRecord(rec, record)) records.push(S.adopt(app.id, record, false));
    return;
  }
  if (SETTLING.has(state)) return;
  const retry = retryDecision(rec, app, observed.now);
  const attempt = retry.kind === 'retry' ? retry.attempt : 1;
  const stableMs = stableMsOf(app.units[0]);
  if (!RUNNING.has(state)) {
    const gate = { timeoutMs: app.startTimeoutMs, rollback: false, attempt, stableMs };
    services.forEach((svc, i) => {
      if (RUNNING.has(observed.services[svc] ?? '')) return;
      runs.push(S.start(app.id, svc, { ...(phase ? { phase } : {}), ...(i === 0 ? { gate, record } : {}), intended: 'running', intentAt }));
    });
    return;
  }
  if ((rec !== undefined && recordChanged) || runtimeChanged) {
    const gate = { timeoutMs: app.startTimeoutMs, rollback: rec !== undefined, attempt, stableMs };
    services.forEach((svc, i) => runs.push(S.restart(app.id, svc, { ...(i === 0 ? { gate, record } : {}), intended: 'running', intentAt })));
    return;
  }
  // Running, files as desired: adopted as is (no restart), or already known.
  if (recordChanged || !sameRecord(rec, record)) records.push(S.adopt(app.id, record, true));
}

/**
 * An app of several containers, driven through its unit `<id>.service` as a user's start and stop are: one start
 * pulls in every container in order, one stop stops them in reverse order. A change restarts what it touches: the
 * app's unit when its network changed (all containers), else each container whose unit or mounted config changed
 * (systemd also restarts the containers that require it). The gate waits for every container.
 */
function planAppOfContainers(observed: Observed, instances: InstanceIndex, app: DesiredApp, network: RenderedFile, writes: Step[], stops: Step[], runs: Step[], records: Step[]): void {
  const rec = observed.records[app.id];
  const isNew = !observed.units[network.name]?.owned;
  const phase = isNew ? ('installing' as const) : undefined;
  const changedUnits = new Set<string>();
  const changedConfigs: string[] = [];
  for (const u of app.units) {
    const disk = observed.units[u.name];
    if (disk && disk.content === u.content) continue;
    if (!disk || withoutInstall(disk.content) !== withoutInstall(u.content)) changedUnits.add(u.name);
    writes.push(S.writeUnit(u, { app: app.id, ...(phase ? { phase } : {}) }));
  }
  for (const c of app.configs) {
    if (configUpToDate(observed, c)) continue;
    changedConfigs.push(c.path);
    writes.push(S.writeConfig(app.id, c.path, c.content, c.mode, phase, c.owner));
  }
  planDirs(observed, app, writes, phase);

  const service = appService(app.id);
  const containers = app.units.filter((u) => parseUnitFileName(u.name)?.kind === 'container');
  const servicesOf = (u: RenderedFile): string[] => servicesOfUnit(u.name, app.units);
  const services = containers.flatMap(servicesOf);
  const stateOf = (svc: string): string => observed.services[svc] ?? '';
  // Instances the app had on disk and no longer wants (a template's list shrank): stopped, as nothing else would. Only
  // a template's services depend on the files on disk (their `Wants=`); a plain container's is its name.
  const templates = containers.filter((u) => isTemplateUnit(u.name));
  const onDisk = templates.length === 0 ? [] : Object.entries(observed.units).flatMap(([name, u]) => (u.owned ? [{ name, content: u.content }] : []));
  const strays = templates.flatMap((u) => servicesOfUnit(u.name, onDisk)).filter((svc) => !services.includes(svc) && RUNNING.has(stateOf(svc)));
  for (const svc of new Set([...strays, ...strayInstances(observed, instances, app.id, services)])) stops.push(S.stop(svc, { app: app.id }));
  const record: AppRecord = { hash: app.hash, units: app.units.map((u) => u.name), configs: app.configs.map((c) => c.path) };
  const recordChanged = rec === undefined || rec.hash !== app.hash;
  const intentAt = app.userIntent?.at ?? '';

  if (!app.run) {
    if ([service, ...services].some((svc) => RUNNING.has(stateOf(svc)))) stops.push(S.stop(service, { app: app.id, intended: 'stopped', intentAt }));
    if (recordChanged || !sameRecord(rec, record)) records.push(S.adopt(app.id, record, false));
    return;
  }
  if (services.some((svc) => SETTLING.has(stateOf(svc)))) return;
  const retry = retryDecision(rec, app, observed.now);
  const attempt = retry.kind === 'retry' ? retry.attempt : 1;
  const awaits = containers.flatMap((u) => servicesOf(u).map((svc) => ({ service: svc, stableMs: stableMsOf(u) })));
  if (!services.every((svc) => RUNNING.has(stateOf(svc)))) {
    // A start of the app's unit starts the containers that are not up (its Wants), in order, and leaves the rest.
    const gate = { timeoutMs: app.startTimeoutMs, rollback: false, attempt, stableMs: 0, services: awaits };
    runs.push(S.start(app.id, service, { ...(phase ? { phase } : {}), gate, record, intended: 'running', intentAt }));
    return;
  }
  // Only the app unit's list of instances changed (its Wants=): a new instance was started above, one taken out is
  // stopped; the others keep running as they are.
  const onlyInstances = changedConfigs.length === 0 && [...changedUnits].every((n) => n === network.name && withoutWants(observed.units[n]?.content ?? '') === withoutWants(network.content));
  if (onlyInstances && changedUnits.size > 0) {
    records.push(S.adopt(app.id, record, true));
    return;
  }
  const runtimeChanged = changedUnits.size > 0 || changedConfigs.length > 0;
  if ((rec !== undefined && recordChanged) || runtimeChanged) {
    const gate = { timeoutMs: app.startTimeoutMs, rollback: rec !== undefined, attempt, stableMs: 0, services: awaits };
    // A config is a container's when its unit names the path (a Volume= or EnvironmentFile= line).
    const touched = containers.filter((u) => changedUnits.has(u.name) || changedConfigs.some((path) => u.content.includes(path)));
    const whole = changedUnits.has(network.name) || touched.length === 0;
    const targets = whole ? [service] : touched.flatMap(servicesOf);
    targets.forEach((svc, i) => runs.push(S.restart(app.id, svc, { ...(i === 0 ? { gate, record } : {}), intended: 'running', intentAt })));
    return;
  }
  if (recordChanged || !sameRecord(rec, record)) records.push(S.adopt(app.id, record, true));
}

/**
 * The instances of the app's template that systemd runs and `wanted` does not list (`observe.ts` asks systemd for
 * `<id>@*.service`): an instance taken out of the list, or left by a template that is gone (the app became a plain
 * one, or was removed). Nothing else would stop them, and no later pass would know them.
 */
function strayInstances(observed: Observed, instances: InstanceIndex, id: string, wanted: readonly string[]): string[] {
  return (instances.get(id) ?? []).filter((svc) => !wanted.includes(svc) && RUNNING.has(observed.services[svc]!)).sort();
}

/** The instance services observed (`<id>@<instance>.service`) by app id. */
type InstanceIndex = ReadonlyMap<string, readonly string[]>;

/**
 * {@link InstanceIndex} of `services`, built once per plan: looking each app's instances up among every service
 * observed grew as apps × services (issue 15).
 */
function instancesByApp(services: Observed['services']): InstanceIndex {
  const index = new Map<string, string[]>();
  for (const svc of Object.keys(services)) {
    const at = svc.indexOf('@');
    if (at <= 0 || !svc.endsWith('.service') || svc.length === at + 1 + '.service'.length) continue;
    const id = svc.slice(0, at);
    const list = index.get(id);
    if (list) list.push(svc);
    else index.set(id, [svc]);
  }
  return index;
}

/** A unit's text without its `Wants=` lines (a template app's unit lists its instances there). */
function withoutWants(content: string): string {
  return content.replace(/^Wants=.*\n/gm, '');
}

function sameRecord(a: AppRecord | undefined, b: AppRecord): boolean {
  return a !== undefined && a.hash === b.hash && a.units.join('\n') === b.units.join('\n') && a.configs.join('\n') === b.configs.join('\n');
}
