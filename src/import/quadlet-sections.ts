/**
 * The systemd groups of an existing `.container` unit → the manifest: `[Unit]` (its description, and `Requires=` +
 * `After=` on another imported container as `dependsOn`), `[Service]` (`Restart=`, `Type=oneshot`,
 * `TimeoutStartSec=`) and `[Install]` (started at boot → `state: running`). Every other key goes to the
 * `quadlet:` escape hatch of its section as written; a group a manifest has no section for is dropped. Pure.
 */
import type { ContainerSpec, Dependency, DesiredState } from '../manifest/types.js';
import { manifestDuration } from './compose-values.js';
import type { Findings } from './findings.js';
import { hatch } from './quadlet-container.js';
import { allValues, lastValue, unquoted, type ParsedUnitFile, type UnitEntry, type UnitGroup } from './unit-file.js';
import { literalText, RESTART_VALUES, timeSpanMs } from './unit-values.js';
import { joinUnitWords, splitUnitWords } from '../render/unit-words.js';

/** Another imported container, as a dependency names it. */
export interface DependencyTarget {
  app: string;
  /** Its short name in an app of several. */
  container?: string;
  /** Its service after the import (`bitcoind.service`, `mempool-db.service`). */
  service: string;
  gated: boolean;
}

export interface SectionsContext {
  findings: Findings;
  pointerOf: (e: UnitEntry) => string;
  /** This container's app, and its short name in an app of several. */
  app: string;
  container?: string;
  /** The original service names of the other imported containers → what they became. */
  targets: ReadonlyMap<string, DependencyTarget>;
  /** Services Quadlet adds itself for this unit's networks, volumes and images, and the app's own unit in an app of several. */
  implied: ReadonlySet<string>;
  /** `multi-user.target`, or `default.target` for a user's units. */
  bootTarget: string;
}

export interface SectionsResult {
  description?: string;
  /** Whether the unit is started at boot (`[Install]` names a target). */
  state: Exclude<DesiredState, 'absent'>;
}

const SECTIONS = ['Unit', 'Container', 'Service', 'Install'];
const PASCAL_KEY = /^[A-Z][A-Za-z0-9]*$/;
const STARTS = new Set(['Requires', 'BindsTo']);

/** A key kept as written in `section` of the escape hatch, or dropped when the schema has no such key name. */
function keep(ctx: SectionsContext, spec: ContainerSpec, section: 'Unit' | 'Service' | 'Install', e: UnitEntry, value = e.value): void {
  if (!PASCAL_KEY.test(e.key)) {
    ctx.findings.drop(ctx.pointerOf(e), `${e.key}=`, 'an escape-hatch key is PascalCase letters and digits');
    return;
  }
  hatch(spec, section, e.key, value);
}

/** `[Unit]`: the description, and dependencies on the other imported containers. */
function unitGroup(ctx: SectionsContext, spec: ContainerSpec, group: UnitGroup | undefined): string | undefined {
  let description: string | undefined;
  const links = new Map<string, { target: DependencyTarget; keys: Set<string>; at: UnitEntry }>();
  for (const e of group?.entries ?? []) {
    if (e.key === 'Description') {
      const lit = literalText(e.value, false);
      if (lit.ok) description = lit.value;
      else keep(ctx, spec, 'Unit', e);
      continue;
    }
    if (!['Requires', 'Wants', 'BindsTo', 'After', 'PartOf', 'Requisite'].includes(e.key) || e.value === '') {
      keep(ctx, spec, 'Unit', e);
      continue;
    }
    const split = splitUnitWords(e.value, 'strv');
    const rest: string[] = [];
    for (const unit of split.ok ? split.words : []) {
      const target = ctx.targets.get(unit);
      if (ctx.implied.has(unit)) ctx.findings.note(ctx.pointerOf(e), `${e.key}=${unit} is implied: the manifest's units add it themselves`);
      else if (target) {
        const link = links.get(unit) ?? { target, keys: new Set<string>(), at: e };
        link.keys.add(e.key);
        links.set(unit, link);
      } else rest.push(unit);
    }
    if (!split.ok || rest.length > 0) keep(ctx, spec, 'Unit', e, split.ok ? joinUnitWords(rest) : e.value);
  }
  for (const [original, { target, keys, at }] of links) {
    if (keys.has('After') && [...keys].some((k) => STARTS.has(k))) {
      const dep: Dependency = target.app === ctx.app ? { container: target.container! } : { app: target.app, ...(target.container ? { container: target.container } : {}) };
      if (target.gated) dep.condition = 'healthy';
      (spec.dependsOn ??= []).push(dep);
      ctx.findings.note(ctx.pointerOf(at), `${original}: dependsOn ${JSON.stringify(dep)}`);
      continue;
    }
    // Ordering or a start alone is no manifest dependency: kept as written, on the service the target became.
    for (const key of keys) hatch(spec, 'Unit', key, target.service);
    ctx.findings.note(ctx.pointerOf(at), `${[...keys].join('=, ')}=${original} kept in quadlet: Unit as ${target.service} (a manifest dependency is Requires= and After= together)`);
  }
  return description;
}

/** `[Service]`: restart policy, one-shot, start timeout; the rest as written. */
function serviceGroup(ctx: SectionsContext, spec: ContainerSpec, group: UnitGroup | undefined): void {
  const type = lastValue(group, 'Type').entry;
  if (type && unquoted(type.value) === 'oneshot') {
    spec.oneshot = true;
    const remain = lastValue(group, 'RemainAfterExit').entry;
    if (!remain || !['yes', 'true', '1', 'on'].includes(unquoted(remain.value).toLowerCase())) {
      hatch(spec, 'Service', 'RemainAfterExit', 'no');
      ctx.findings.note(ctx.pointerOf(type), 'a manifest one-shot stays active after it ran (RemainAfterExit=yes): RemainAfterExit=no kept in quadlet: Service');
    }
  } else if (type) ctx.findings.note(ctx.pointerOf(type), `Type=${type.value} is Quadlet's own for a container`);
  const restart = lastValue(group, 'Restart').entry;
  if (restart && RESTART_VALUES.includes(unquoted(restart.value))) spec.restart = unquoted(restart.value) as ContainerSpec['restart'];
  else if (restart) keep(ctx, spec, 'Service', restart);
  else if (!spec.oneshot) {
    spec.restart = 'no';
    ctx.findings.note(group ? `/${group.name}` : '', 'no Restart=: restart "no", as systemd runs it (a manifest\'s default is on-failure)');
  }
  const start = lastValue(group, 'TimeoutStartSec').entry;
  const ms = start && timeSpanMs(unquoted(start.value));
  if (start && ms !== undefined && ms >= 1) spec.startTimeout = manifestDuration(Math.ceil(ms));
  else if (start) keep(ctx, spec, 'Service', start);
  for (const e of group?.entries ?? []) {
    if (['Type', 'Restart', 'TimeoutStartSec'].includes(e.key) || (e.key === 'RemainAfterExit' && spec.oneshot)) continue;
    if (e.value === '') ctx.findings.note(ctx.pointerOf(e), `an empty ${e.key}= resets it for systemd; not carried over`);
    else keep(ctx, spec, 'Service', e);
  }
}

/** `[Install]`: a unit some target wants is started at boot (`state: running`); other targets as written. */
function installGroup(ctx: SectionsContext, spec: ContainerSpec, group: UnitGroup | undefined): SectionsResult['state'] {
  let wanted = false;
  for (const e of group?.entries ?? []) {
    if (!['WantedBy', 'RequiredBy', 'UpheldBy'].includes(e.key)) {
      keep(ctx, spec, 'Install', e);
      continue;
    }
    const { entries } = allValues(group, e.key);
    if (!entries.includes(e)) continue;
    const split = splitUnitWords(e.value, 'strv');
    const rest = (split.ok ? split.words : [e.value]).filter((unit) => {
      if (ctx.implied.has(unit)) {
        ctx.findings.note(ctx.pointerOf(e), `${e.key}=${unit} is implied: the containers of an app start with the app's unit`);
        wanted = true;
        return false;
      }
      if (unit === ctx.bootTarget) wanted = true;
      return unit !== ctx.bootTarget;
    });
    if (rest.length > 0) {
      wanted = true;
      keep(ctx, spec, 'Install', e, joinUnitWords(rest));
    }
  }
  if (!wanted && group === undefined) return 'stopped';
  return wanted ? 'running' : 'stopped';
}

/** Converts the systemd groups of a `.container` and drops any group a manifest has no section for. */
export function convertUnitSections(ctx: SectionsContext, spec: ContainerSpec, file: ParsedUnitFile): SectionsResult {
  for (const g of file.groups) {
    if (!SECTIONS.includes(g.name)) ctx.findings.drop(`/${g.name}`, `the group [${g.name}]`, 'a manifest carries [Unit], [Container], [Service] and [Install] only');
  }
  const group = (name: string): UnitGroup | undefined => file.groups.find((g) => g.name === name);
  const description = unitGroup(ctx, spec, group('Unit'));
  serviceGroup(ctx, spec, group('Service'));
  const state = installGroup(ctx, spec, group('Install'));
  if (state === 'stopped') ctx.findings.note(group('Install') ? '/Install' : '', 'no [Install] target: state stopped (installed, not started at boot)');
  return { ...(description !== undefined ? { description } : {}), state };
}
