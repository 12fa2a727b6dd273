/**
 * A directory of Quadlet units → app manifests (podman-systemd.unit(5)). One app per `.container`, named after its
 * `ContainerName=` (so other containers keep reaching it by that name) or its file; an app of several where the
 * directory says so the way archy-quadlet renders one: a `.network` whose `NetworkName=` and `ServiceName=` are
 * the same id, and containers on it under an alias (`Network=<id>.network:alias=<name>`). `.volume`, `.network`,
 * `.image` and `.build` units are read where a container uses them; `.pod` and `.kube` units are dropped. Pure: the
 * caller reads the directory.
 */
import type { BuildSpec, ContainerSpec, Manifest } from '../manifest/types.js';
import { parseVersion, type Version } from '../compile/podman-keys.js';
import { dnsLabel, qualifyImage, resolvePath } from './compose-values.js';
import { Findings, type ImportFinding } from './findings.js';
import { convertContainerGroup, type ContainerGroupResult, type UnitRefs } from './quadlet-container.js';
import { convertUnitSections, type DependencyTarget } from './quadlet-sections.js';
import { groupOf, lastValue, parseUnitFile, unitPointers, unquoted, type ParsedUnitFile, type UnitEntry } from './unit-file.js';
import { fits } from './unit-values.js';

export interface QuadletInput {
  /** The directory as shown in findings (`units/legacy`). */
  dir: string;
  /** The same directory, absolute: Quadlet resolves `./` paths against it. */
  absDir: string;
  /** Every file in it, by name. */
  files: ReadonlyArray<{ name: string; text: string }>;
  /** Drop-in directories in it (`x.container.d`): Quadlet merges them, the importer does not. */
  dropIns?: readonly string[];
  /** The podman the manifests are for (`5.4.2`): decides which keys the escape hatch may keep. */
  podmanVersion: string;
  scope: 'system' | 'user';
}

export interface ImportedApp {
  manifest: Manifest;
  /** The unit files it came from, as shown. */
  sources: string[];
}

export interface QuadletImport {
  /** Every app that imported without an error. */
  apps: ImportedApp[];
  /** Every finding, placed in its file (`FILE:LINE:COL /Group/Key`), files in name order. */
  findings: ImportFinding[];
}

const KINDS = ['container', 'volume', 'network', 'image', 'build', 'pod', 'kube'] as const;
type Kind = (typeof KINDS)[number];
const MAIN_GROUP: Record<Kind, string> = { container: 'Container', volume: 'Volume', network: 'Network', image: 'Image', build: 'Build', pod: 'Pod', kube: 'Kube' };

interface Unit {
  name: string;
  stem: string;
  kind: Kind;
  shown: string;
  parsed: ParsedUnitFile;
  findings: Findings;
  pointerOf: (e: UnitEntry) => string;
  locate: ReturnType<typeof unitPointers>['locate'];
  used: boolean;
}

/** The podman resource a `.volume`/`.network` makes: its `VolumeName=`/`NetworkName=`, or `systemd-<stem>`. */
function resourceName(u: Unit, key: string): string {
  const v = lastValue(groupOf(u.parsed, MAIN_GROUP[u.kind]), key).entry;
  return v && unquoted(v.value) !== '' ? unquoted(v.value) : `systemd-${u.stem}`;
}

/** Drops every key of `u`'s groups but `keep` (a manifest makes the unit from the name alone). */
function dropOtherKeys(u: Unit, keep: ReadonlySet<string>, why: string): void {
  for (const g of u.parsed.groups) {
    for (const e of g.entries) {
      if (keep.has(`${g.name}.${e.key}`)) continue;
      if (g.name === 'Unit' && e.key === 'Description') u.findings.note(u.pointerOf(e), 'the manifest describes the unit itself');
      else u.findings.drop(u.pointerOf(e), `${e.key}=`, why);
    }
  }
}

/** An app network: `NetworkName=` and `ServiceName=` both the same DNS label. */
function appNetworkId(u: Unit): string | undefined {
  const group = groupOf(u.parsed, 'Network');
  const name = lastValue(group, 'NetworkName').entry;
  const service = lastValue(group, 'ServiceName').entry;
  if (!name || !service || unquoted(name.value) !== unquoted(service.value) || !fits('dnsLabel', unquoted(name.value))) return undefined;
  return unquoted(name.value);
}

/** The app network `c` is on under an alias, if any. */
function appNetworkOf(c: Unit, appNetworks: ReadonlyMap<string, string>): { file: string; id: string; alias?: string } | undefined {
  for (const e of groupOf(c.parsed, 'Container')?.entries ?? []) {
    if (e.key !== 'Network') continue;
    const [file, options = ''] = e.value.split(/:(.*)/s) as [string, string?];
    const id = appNetworks.get(file);
    if (id !== undefined) return { file, id, ...(/^alias=/.test(options) ? { alias: options.slice(6) } : {}) };
  }
  return undefined;
}

/** A container's app and short name: in an app of several by its alias (or its name without `<app>-`); alone by its `ContainerName=` or file. */
function placement(c: Unit, net: ReturnType<typeof appNetworkOf>): { app: string; container?: string; from: string } | undefined {
  const containerName = unquoted(lastValue(groupOf(c.parsed, 'Container'), 'ContainerName').entry?.value ?? '');
  if (net) {
    const named = containerName.startsWith(`${net.id}-`) ? containerName.slice(net.id.length + 1) : undefined;
    const raw = net.alias ?? named ?? (c.stem.startsWith(`${net.id}-`) ? c.stem.slice(net.id.length + 1) : c.stem);
    const label = dnsLabel(raw);
    return label === undefined ? undefined : { app: net.id, container: label, from: raw };
  }
  if (containerName !== '' && fits('dnsLabel', containerName)) return { app: containerName, from: containerName };
  const label = dnsLabel(containerName !== '' && !containerName.includes('%') ? containerName : c.stem);
  return label === undefined ? undefined : { app: label, from: containerName || c.stem };
}

/** Reads every unit of the directory; files of other kinds are noted and left alone. */
function readUnits(input: QuadletInput, findings: Map<string, Findings>, loose: ImportFinding[]): Unit[] {
  const units: Unit[] = [];
  for (const f of [...input.files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const shown = `${input.dir.replace(/\/+$/, '')}/${f.name}`;
    const ext = /\.([a-z]+)$/.exec(f.name)?.[1] as Kind | undefined;
    if (ext === undefined || !KINDS.includes(ext)) {
      loose.push({ level: 'note', file: shown, message: 'not a Quadlet unit (.container, .volume, .network, .image, .build, .pod, .kube): left alone' });
      continue;
    }
    const parsed = parseUnitFile(f.text);
    const fnd = new Findings();
    findings.set(shown, fnd);
    for (const e of parsed.errors) fnd.at('error', { file: shown, line: e.line, col: e.col }, '', e.message, e.hint);
    const { pointerOf, locate } = unitPointers(parsed);
    const unit: Unit = { name: f.name, stem: f.name.slice(0, -ext.length - 1), kind: ext, shown, parsed, findings: fnd, pointerOf, locate, used: false };
    if (parsed.errors.length === 0 && !groupOf(parsed, MAIN_GROUP[ext])) fnd.error('', `a .${ext} unit has a [${MAIN_GROUP[ext]}] group, and this file has none`, `check the group names (${parsed.groups.map((g) => `[${g.name}]`).join(', ') || 'none'})`);
    units.push(unit);
  }
  for (const d of input.dropIns ?? []) loose.push({ level: 'dropped', file: `${input.dir.replace(/\/+$/, '')}/${d}`, message: 'the drop-in directory is not carried over: the importer reads each unit file alone', hint: 'merge its files into the unit first' });
  return units;
}

/** `x.image` → its `Image=`; `x.build` → a build of its `ImageTag=` from its `SetWorkingDirectory=` (and `File=`). */
function imageRef(u: Unit, absDir: string): { image: string } | { build: BuildSpec } | undefined {
  const group = groupOf(u.parsed, MAIN_GROUP[u.kind]);
  const get = (key: string): string | undefined => {
    const v = lastValue(group, key).entry;
    return v ? unquoted(v.value) : undefined;
  };
  if (u.kind === 'image') {
    const q = qualifyImage(get('ImageTag') ?? get('Image') ?? '');
    dropOtherKeys(u, new Set(['Image.Image', 'Image.ImageTag']), 'podman run pulls the image itself; the manifest makes no .image unit');
    return q.ok ? { image: q.value } : undefined;
  }
  const tag = get('ImageTag');
  const context = get('SetWorkingDirectory');
  dropOtherKeys(u, new Set(['Build.ImageTag', 'Build.SetWorkingDirectory', 'Build.File']), 'a manifest build has a context, a file and a tag');
  if (tag === undefined || context === undefined || ['unit', 'file'].includes(context) || /^[a-z]+:\/\//.test(context)) return undefined;
  const file = get('File');
  return { build: { context: resolvePath(absDir, context), tag, ...(file !== undefined ? { file } : {}) } };
}

/**
 * Converts a directory of Quadlet units.
 * @returns the apps without errors, and every finding: errors (an app is not imported), dropped parts and notes.
 * Never throws on any file's text.
 */
export function importQuadlet(input: QuadletInput): QuadletImport {
  const target: Version = parseVersion(input.podmanVersion) ?? [5, 4, 2];
  const findings = new Map<string, Findings>();
  const loose: ImportFinding[] = [];
  const units = readUnits(input, findings, loose);
  const byName = new Map(units.map((u) => [u.name, u]));

  for (const u of units.filter((x) => x.kind === 'pod' || x.kind === 'kube')) u.findings.drop('', `the .${u.kind} unit`, u.kind === 'pod' ? 'a manifest has no pods: the containers of one app share its network instead' : 'a Kubernetes YAML is no manifest');
  const appNetworks = new Map<string, string>();
  for (const u of units) if (u.kind === 'network' && appNetworkId(u) !== undefined) appNetworks.set(u.name, appNetworkId(u)!);

  const refs: UnitRefs = {
    volume: (file) => {
      const u = byName.get(file);
      if (u?.kind !== 'volume') return undefined;
      u.used = true;
      return resourceName(u, 'VolumeName');
    },
    network: (file) => {
      const u = byName.get(file);
      if (u?.kind !== 'network') return undefined;
      u.used = true;
      return resourceName(u, 'NetworkName');
    },
    image: (file) => {
      const u = byName.get(file);
      if (u?.kind !== 'image' && u?.kind !== 'build') return undefined;
      u.used = true;
      return imageRef(u, input.absDir);
    },
  };

  // Where each container goes, and what its service becomes (for the dependencies of the others).
  const containers = units.filter((u) => u.kind === 'container' && !u.findings.failed);
  const placed = new Map<Unit, { app: string; container?: string; net?: { file: string; id: string } }>();
  const targets = new Map<string, DependencyTarget>();
  for (const c of containers) {
    const net = appNetworkOf(c, appNetworks);
    const p = placement(c, net);
    if (!p) {
      c.findings.error('', `no app id can be made of ${JSON.stringify(c.stem)}`, 'rename the file or set ContainerName= to a DNS label');
      continue;
    }
    const where = p.container === undefined ? `the app ${JSON.stringify(p.app)}` : `the container ${JSON.stringify(p.container)} of the app ${JSON.stringify(p.app)}`;
    if (p.from !== (p.container ?? p.app)) c.findings.note('', `${JSON.stringify(p.from)} becomes ${where} (names are DNS labels)`);
    placed.set(c, { app: p.app, ...(p.container !== undefined ? { container: p.container } : {}), ...(net ? { net } : {}) });
    const service = unquoted(lastValue(groupOf(c.parsed, 'Container'), 'ServiceName').entry?.value ?? '') || c.stem;
    targets.set(`${service}.service`, { app: p.app, ...(p.container !== undefined ? { container: p.container } : {}), service: `${p.container === undefined ? p.app : `${p.app}-${p.container}`}.service`, gated: gatedByHealth(c) });
  }

  const apps = new Map<string, { manifest: Manifest; sources: string[]; first: Unit; containers: Map<string, Unit> }>();
  for (const [c, p] of placed) {
    const result = convertContainer(c, p, { refs, targets, input, target, byName });
    const existing = apps.get(p.app);
    if (p.container === undefined) {
      if (existing) {
        c.findings.error('', `${existing.first.shown} is imported as the app ${JSON.stringify(p.app)} too`, 'give one of them another ContainerName=, or rename its file');
        continue;
      }
      if (!result) continue;
      apps.set(p.app, { manifest: { id: p.app, ...(result.description ? { description: result.description } : {}), ...(result.state === 'stopped' ? { state: 'stopped' } : {}), ...result.spec }, sources: [c.shown], first: c, containers: new Map() });
      continue;
    }
    const app = existing ?? { manifest: { id: p.app, containers: {} }, sources: [], first: c, containers: new Map<string, Unit>() };
    apps.set(p.app, app);
    if (!app.manifest.containers) {
      c.findings.error('', `${app.first.shown} is imported as the app ${JSON.stringify(p.app)} too`, 'give one of them another ContainerName=, or rename its file');
      continue;
    }
    if (app.containers.has(p.container)) {
      c.findings.error('', `${app.containers.get(p.container)!.shown} is the container ${JSON.stringify(p.container)} of ${p.app} too`, 'give each its own alias on the app\'s network');
      continue;
    }
    app.containers.set(p.container, c);
    app.sources.push(c.shown);
    if (result) app.manifest.containers[p.container] = result.spec;
    if (result?.description) c.findings.note('/Unit/Description', `the app's unit describes its containers as "${p.app}: ${p.container}"`);
  }
  for (const [file, id] of appNetworks) {
    const u = byName.get(file)!;
    const app = apps.get(id);
    if (!app?.manifest.containers) continue;
    u.used = true;
    app.sources.unshift(u.shown);
    const description = lastValue(groupOf(u.parsed, 'Unit'), 'Description').entry;
    if (description) app.manifest.description = unquoted(description.value);
    const wanted = groupOf(u.parsed, 'Install')?.entries.some((e) => ['WantedBy', 'RequiredBy'].includes(e.key) && e.value !== '');
    if (!wanted) app.manifest.state = 'stopped';
    dropOtherKeys(u, new Set(['Unit.Description', 'Network.NetworkName', 'Network.ServiceName', 'Install.WantedBy', 'Install.RequiredBy']), `the app's network is made with its name only (NetworkName=${id}, ServiceName=${id})`);
  }
  for (const u of units) {
    if (u.used || u.kind === 'container' || u.kind === 'pod' || u.kind === 'kube' || u.findings.failed) continue;
    u.findings.drop('', `the .${u.kind} unit`, 'no imported container uses it');
  }
  for (const u of units) {
    if (!u.used || (u.kind !== 'volume' && u.kind !== 'network') || appNetworks.has(u.name)) continue;
    const nameKey = u.kind === 'volume' ? 'VolumeName' : 'NetworkName';
    dropOtherKeys(u, new Set([`${MAIN_GROUP[u.kind]}.${nameKey}`]), `a manifest's ${u.kind} is made with its name only (${resourceName(u, nameKey)}); an existing one keeps its options`);
  }

  const failedApps = new Set<string>();
  for (const [c, p] of placed) if (c.findings.failed) failedApps.add(p.app);
  const placedFindings = [...findings].flatMap(([file, f]) => f.place(file, units.find((u) => u.shown === file)!.locate));
  return {
    apps: [...apps.values()].filter((a) => !failedApps.has(a.manifest.id) && (!a.manifest.containers || Object.keys(a.manifest.containers).length > 0)).map(({ manifest, sources }) => ({ manifest, sources })),
    findings: [...placedFindings, ...loose],
  };
}

/** Whether the container's start waits for its health check (`Notify=healthy` with a `HealthCmd=`). */
function gatedByHealth(c: Unit): boolean {
  const g = groupOf(c.parsed, 'Container');
  return unquoted(lastValue(g, 'Notify').entry?.value ?? '').toLowerCase() === 'healthy' && unquoted(lastValue(g, 'HealthCmd').entry?.value ?? '') !== '';
}

/** One `.container` → its spec, description and boot state (undefined after an error). */
function convertContainer(
  c: Unit,
  p: { app: string; container?: string; net?: { file: string; id: string } },
  env: { refs: UnitRefs; targets: ReadonlyMap<string, DependencyTarget>; input: QuadletInput; target: Version; byName: ReadonlyMap<string, Unit> },
): { spec: ContainerSpec; description?: string; state: 'running' | 'stopped' } | undefined {
  const group = groupOf(c.parsed, 'Container')!;
  const result: ContainerGroupResult = convertContainerGroup(
    { findings: c.findings, pointerOf: c.pointerOf, appId: p.app, unitDir: env.input.absDir, target: env.target, refs: env.refs, ...(p.net ? { appNetwork: p.net.file } : {}) },
    group,
  );
  const containerName = lastValue(group, 'ContainerName').entry;
  const becomes = p.container === undefined ? p.app : `${p.app}-${p.container}`;
  if ((containerName ? unquoted(containerName.value) : `systemd-${c.stem}`) !== becomes) {
    c.findings.note(containerName ? c.pointerOf(containerName) : '/Container', `the container is named ${becomes} (was ${containerName ? unquoted(containerName.value) : `systemd-${c.stem}`}): other containers reach it by that name`);
  }
  // Services Quadlet adds for this unit's networks, volumes and images; the app's own unit in an app of several.
  const implied = new Set<string>();
  for (const e of group.entries) {
    const ref = /^([^:]+\.(network|volume|image|build))(?::|$)/.exec(e.value)?.[1];
    if (ref && env.byName.has(ref)) implied.add(`${ref.replace(/\.(network|volume|image|build)$/, '')}-${ref.split('.').pop()}.service`);
  }
  if (p.net) implied.add(`${p.net.id}.service`);
  const sections = convertUnitSections(
    { findings: c.findings, pointerOf: c.pointerOf, app: p.app, ...(p.container !== undefined ? { container: p.container } : {}), targets: env.targets, implied, bootTarget: env.input.scope === 'user' ? 'default.target' : 'multi-user.target' },
    result.spec,
    c.parsed,
  );
  if (c.findings.failed) return undefined;
  return { spec: result.spec, ...(sections.description !== undefined ? { description: sections.description } : {}), state: sections.state };
}
