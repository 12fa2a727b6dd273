/**
 * The compiler's entry: every manifest of the catalog → the Quadlet units the
 * node should have. Pure: takes the loaded manifests and options, returns the
 * units and every problem found (not just the first).
 */
import { UsageError, type Problem } from '../errors.js';
import type { DesiredState, LoadedManifest } from '../manifest/types.js';
import { serviceName, unitFileName } from '../naming.js';
import { compileApp, containerServices, type NodeFacts } from './compile-app.js';
import { containersOf, networkName } from '../manifest/containers.js';
import { ManifestContext, type AcknowledgedWarning } from './context.js';
import type { NetworkSection, NetworkUnit, UnitSpec } from './model.js';
import { networkSection, overlaps } from './network-options.js';
import { compareVersions, formatVersion, MIN_VERSION, parseVersion } from './podman-keys.js';
import { targetVersion } from './target-version.js';

export interface CompileOptions {
  /** The podman the units are for, e.g. `5.4.2`: decides which keys may be written. */
  podmanVersion: string;
  /** `system` units start with `multi-user.target`, `user` units with `default.target`. */
  scope: 'system' | 'user';
  /** Desired states that win over the manifests' own (the node's intents), by app id. */
  overrides?: Record<string, DesiredState>;
  /** A template app's instances the user stopped on their own, by app id: its unit does not want them (no `Wants=`). */
  stoppedInstances?: Readonly<Record<string, readonly string[]>>;
  /** The node's facts for `{ node }` environment values; a fact not given is a problem where a manifest uses it. */
  node?: NodeFacts;
}

export interface CompileResult {
  /** Sorted by file name. Empty when there are problems: nothing may be written then. */
  units: UnitSpec[];
  problems: Problem[];
  warnings: Problem[];
  /** Warnings the manifests acknowledge (`acknowledge:`), each with its reason; not in `warnings`. */
  acknowledged: AcknowledgedWarning[];
}

/**
 * Compiles the catalog.
 * @throws UsageError when `podmanVersion` is no version, or older than the oldest supported target.
 */
export function compileCatalog(manifests: LoadedManifest[], opts: CompileOptions): CompileResult {
  const target = parseVersion(opts.podmanVersion);
  if (!target) throw new UsageError(`--podman-version ${JSON.stringify(opts.podmanVersion)}: expected a version such as 5.4.2`);
  if (compareVersions(target, MIN_VERSION) < 0) throw new UsageError(`--podman-version ${opts.podmanVersion}: the oldest supported target is Podman ${formatVersion(MIN_VERSION)}`);

  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const acknowledged: AcknowledgedWarning[] = [];
  const byId = new Map<string, LoadedManifest>();
  for (const lm of manifests) {
    const first = byId.get(lm.manifest.id);
    if (first) problems.push({ file: lm.file, pointer: '/id', message: `app id "${lm.manifest.id}" is already used by ${first.file}`, hint: 'every app needs its own id' });
    else byId.set(lm.manifest.id, lm);
  }
  const stateOf = (id: string): DesiredState => opts.overrides?.[id] ?? byId.get(id)?.manifest.state ?? 'running';

  const units: UnitSpec[] = [];
  const contextOfUnit = new Map<UnitSpec, ManifestContext>();
  const networkSources = new Map<string, Set<string>>();
  const networkOptions = new Map<string, DefinedNetwork>();
  for (const lm of byId.values()) {
    const m = lm.manifest;
    const state = stateOf(m.id);
    if (state === 'absent') continue;
    const ctx = new ManifestContext(lm.file, problems, warnings, lm.locate, acknowledged);
    const source = sourceName(lm.file);
    const appUnits = compileApp(ctx, {
      manifest: m,
      source,
      state,
      ...(opts.stoppedInstances?.[m.id] ? { stoppedInstances: opts.stoppedInstances[m.id] } : {}),
      scope: opts.scope,
      node: opts.node ?? {},
      target,
      lookup: (id) => {
        const other = byId.get(id);
        return other ? { state: stateOf(id), containers: containerServices(other.manifest), exports: other.manifest.exports ?? {} } : undefined;
      },
    });
    for (const u of appUnits) contextOfUnit.set(u, ctx);
    units.push(...appUnits);
    for (const c of containersOf(m)) {
      (c.spec.networks ?? []).forEach((n, i, all) => {
        const name = networkName(n);
        if (all.findIndex((o) => networkName(o) === name) < i) ctx.problem(`${c.base}/networks/${i}`, `network ${name} is listed twice`, 'list each network once');
        const set = networkSources.get(name) ?? new Set<string>();
        set.add(source);
        networkSources.set(name, set);
        if (typeof n !== 'string') defineNetwork(networkOptions, { ctx, pointer: `${c.base}/networks/${i}`, section: networkSection(ctx, `${c.base}/networks/${i}`, n) });
      });
    }
  }
  checkSubnetsApart(networkOptions);
  for (const [name, sources] of networkSources) units.push(networkUnit(name, [...sources].sort(), networkOptions.get(name)?.section));

  targetVersion(units, target, (u) => contextOfUnit.get(u));
  // Names are only comparable once every one of them is a valid label.
  if (problems.length === 0) checkUniqueNames(units, contextOfUnit);
  units.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { units: problems.length > 0 ? [] : units, problems, warnings, acknowledged };
}

/** One network unit per distinct name, shared by every app that joins it, with the options one of them gives. */
function networkUnit(name: string, sources: string[], section: NetworkSection = { NetworkName: name }): NetworkUnit {
  return {
    kind: 'network',
    file: unitFileName(name, 'network'),
    sources,
    Unit: { Description: `App network ${name}` },
    Network: section,
  };
}

/** A shared network's options as the first entry that gave them. */
interface DefinedNetwork {
  ctx: ManifestContext;
  pointer: string;
  section: NetworkSection;
}

/**
 * Records the options of a shared network; every entry that gives options for one name gives the same ones (an entry
 * that only names it takes them), as podman has one network of that name for all of its apps.
 */
function defineNetwork(defined: Map<string, DefinedNetwork>, entry: DefinedNetwork): void {
  const first = defined.get(entry.section.NetworkName);
  if (!first) defined.set(entry.section.NetworkName, entry);
  else if (JSON.stringify(first.section) !== JSON.stringify(entry.section)) {
    entry.ctx.problem(entry.pointer, `network ${entry.section.NetworkName} is defined with other options at ${first.ctx.file} ${first.pointer}`, 'give it the same options everywhere, or name it alone (networks: [name]) where another app defines it');
  }
}

/** Podman refuses a network whose subnet overlaps another's: two networks of the catalog keep theirs apart. */
function checkSubnetsApart(defined: Map<string, DefinedNetwork>): void {
  const seen: Array<{ name: string; subnet: string }> = [];
  for (const { ctx, pointer, section } of defined.values()) {
    (section.Subnet ?? []).forEach((subnet, i) => {
      const other = seen.find((s) => overlaps(s.subnet, subnet));
      if (other) ctx.problem(`${pointer}/subnets/${i}/subnet`, `subnet ${subnet} overlaps ${other.subnet} of network ${other.name}, which podman refuses`, 'give each network its own subnet');
    });
    for (const subnet of section.Subnet ?? []) seen.push({ name: section.NetworkName, subnet });
  }
}

/** Two units may not share a file or a service name (`a-network.container` vs `a.network` both make `a-network.service`). */
function checkUniqueNames(units: UnitSpec[], contextOfUnit: Map<UnitSpec, ManifestContext>): void {
  const seen = new Map<string, UnitSpec>();
  for (const u of units) {
    const service = u.kind === 'network' && u.Network.ServiceName !== undefined ? `${u.Network.ServiceName}.service` : serviceName(u.file);
    for (const name of new Set([u.file, service])) {
      const other = seen.get(name);
      if (other && other !== u) {
        // Shared units (networks) come last; the clash is reported at the app whose unit collides.
        const [mine, theirs] = contextOfUnit.has(u) ? [u, other] : [other, u];
        contextOfUnit.get(mine)?.problem('/id', `${mine.file} and ${theirs.file} (from ${theirs.sources.join(', ')}) both make ${name}`, 'rename one of them (the containers of an app of several are named <id>-<name>)');
      } else {
        seen.set(name, u);
      }
    }
  }
}

/** `manifests/lnd.yaml` for any path to it: the manifests directory's name and the file's, as the header shows. */
export function sourceName(file: string): string {
  const parts = file.split(/[\\/]+/).filter((p) => p !== '' && p !== '.');
  return parts.slice(-2).join('/');
}
