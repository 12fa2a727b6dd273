/**
 * What the node should look like: manifests + node-local intents + rendered
 * units + derived configs → `Desired`. Pure: the caller reads templates and
 * fetches secrets (the list comes from `configSecrets`) and passes them in.
 */
import { createHash } from 'node:crypto';
import { containersOf } from '../manifest/containers.js';
import { DATA_ROOT } from '../manifest/checks.js';
import type { Intent } from '../controller/types.js';
import { InvalidInputError, type Problem } from '../errors.js';
import { ONION_EXPORT, onionPorts } from '../manifest/onion.js';
import type { ConfigFileSpec, DesiredState, LoadedManifest, Manifest } from '../manifest/types.js';
import { parseUnitFileName } from '../naming.js';
import type { RenderedFile } from '../render/types.js';
import type { NodeFacts } from '../compile/compile-app.js';
import { renderConfig, secretDigest, secretsUsed, type ExportLookup, type SecretNeed, type TemplateFacts } from './config-render.js';
import type { Desired, DesiredApp, HostOwner } from './types.js';
import { withoutInstall, withoutInstanceWants } from './unit-text.js';

/** The node-local install intent (`archy-quadlet install|remove APP`), over the manifest's `state`. */
export type InstallIntent = 'present' | 'absent';

/** The user's start/stop intent as a pass reads it: what, and when (ISO-8601). */
export interface TimedIntent {
  intent: Intent;
  at: string;
  /** With `running`: a template app's instances the user stopped on their own (`stop indexer@2`). */
  stopped?: string[];
}

/**
 * What a manifest's own `state` field said when the node last saw it change: `since` is when the node first
 * saw that value (ISO-8601), absent for the value found when the app was first seen (older than any click).
 */
export interface DeclaredState {
  state: DesiredState;
  since?: string;
}

/**
 * The declared states to remember after this pass: an entry for every manifest whose `state` differs from the
 * remembered one (`since` = `now`) or that has none yet (no `since`). Empty when nothing changed.
 */
export function declaredChanges(manifests: readonly LoadedManifest[], declared: ReadonlyMap<string, DeclaredState>, now: string): Map<string, DeclaredState> {
  const out = new Map<string, DeclaredState>();
  for (const { manifest: m } of manifests) {
    const state = m.state ?? 'running';
    const known = declared.get(m.id);
    if (!known) out.set(m.id, { state });
    else if (known.state !== state) out.set(m.id, { state, since: now });
  }
  return out;
}

/**
 * Each app's effective desired state: a `remove` intent makes it absent; an
 * `install` intent makes an `absent` manifest running; then between the user's
 * start/stop intent and the manifest's `running`/`stopped`, **the later one wins**:
 * the intent, unless the manifest's `state` changed (as the node saw it, `declared`)
 * after the user clicked. Pass `declared` with this pass's `declaredChanges` applied.
 */
export function effectiveStates(
  manifests: readonly LoadedManifest[],
  installs: ReadonlyMap<string, InstallIntent>,
  intents: ReadonlyMap<string, TimedIntent>,
  declared: ReadonlyMap<string, DeclaredState> = new Map(),
): Record<string, DesiredState> {
  const out: Record<string, DesiredState> = {};
  for (const { manifest: m } of manifests) {
    const install = installs.get(m.id);
    let state: DesiredState = m.state ?? 'running';
    if (install === 'absent') state = 'absent';
    else if (install === 'present' && state === 'absent') state = 'running';
    const intent = intents.get(m.id);
    const since = declared.get(m.id)?.since;
    if (state !== 'absent' && intent && (since === undefined || !(Date.parse(since) > Date.parse(intent.at)))) state = intent.intent;
    out[m.id] = state;
  }
  return out;
}

/**
 * The instances of each template app the user stopped on their own (`stop indexer@2`), by app id: those of the
 * intent that wins in {@link effectiveStates} (`states[id]` is `running` and it is the intent's), limited to the
 * manifest's instances. The app's unit does not want them (no `Wants=`): neither a boot nor a start of the app starts them.
 */
export function stoppedInstances(manifests: readonly LoadedManifest[], states: Readonly<Record<string, DesiredState>>, intents: ReadonlyMap<string, TimedIntent>, declared: ReadonlyMap<string, DeclaredState> = new Map()): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { manifest: m } of manifests) {
    const intent = intents.get(m.id);
    if (!m.instances || states[m.id] !== 'running' || intent?.intent !== 'running' || !intent.stopped?.length) continue;
    const since = declared.get(m.id)?.since;
    if (since !== undefined && Date.parse(since) > Date.parse(intent.at)) continue;
    const stopped = m.instances.filter((i) => intent.stopped!.includes(i));
    if (stopped.length > 0) out[m.id] = stopped;
  }
  return out;
}

/** Every config file of a manifest: those of each of its containers. */
export function configsOf(m: Manifest): ConfigFileSpec[] {
  return containersOf(m).flatMap((c) => c.spec.configs ?? []);
}

/**
 * What the export and node helpers of config templates resolve against: the catalog's `exports`, the node's facts,
 * and the implicit `onion.address` of every app with an onion port: the address tor wrote (`onions`, by app id),
 * empty until it has (a pass renders the file again once it is there).
 */
export function templateFacts(manifests: readonly LoadedManifest[], node: NodeFacts, onions: Readonly<Record<string, string>> = {}): TemplateFacts {
  const byId = new Map(manifests.map((lm) => [lm.manifest.id, lm.manifest]));
  return {
    exports: (app, name) => {
      const m = byId.get(app);
      if (m && name === ONION_EXPORT && onionPorts(m).length > 0) return onions[app] ?? '';
      return m?.exports?.[name];
    },
    node,
  };
}

/**
 * The node's generated secrets an app's containers take as environment values (`{ secret }`, and `{ app, export }`
 * of a secret export), without duplicates: each becomes the podman secret `archy.<name>` (type env).
 */
export function envSecrets(m: Manifest, exports: ExportLookup): string[] {
  const names = new Set<string>();
  for (const c of containersOf(m)) {
    for (const v of Object.values(c.spec.environment ?? {})) {
      if (typeof v !== 'object') continue;
      if ('secret' in v) names.add(v.secret);
      else if ('app' in v) {
        const e = exports(v.app, v.export);
        if (e !== undefined && typeof e === 'object') names.add(e.secret);
      }
    }
  }
  return [...names];
}

/** Where a config template is named in problems. */
export function templateFile(name: string): string {
  return `templates/config/${name}`;
}

/**
 * The secrets the installed apps' config templates use, without duplicates.
 * Throws InvalidInputError naming every template that is missing or misuses a helper.
 */
export function configSecrets(
  manifests: readonly LoadedManifest[],
  states: Readonly<Record<string, DesiredState>>,
  templates: Readonly<Record<string, string>>,
  node: NodeFacts = {},
): SecretNeed[] {
  const needs = new Map<string, SecretNeed>();
  const problems: Problem[] = [];
  const facts = templateFacts(manifests, node);
  for (const lm of manifests) {
    if (states[lm.manifest.id] === 'absent') continue;
    for (const name of envSecrets(lm.manifest, facts.exports)) if (!needs.has(name)) needs.set(name, { name, kind: 'password', exposed: true });
    for (const c of configsOf(lm.manifest)) {
      const text = templates[c.template];
      if (text === undefined) {
        problems.push({ file: lm.file, pointer: '/configs', message: `config template ${JSON.stringify(c.template)} does not exist`, hint: `add ${templateFile(c.template)}` });
        continue;
      }
      try {
        for (const n of secretsUsed(text, templateFile(c.template), facts)) needs.set(n.name, n);
      } catch (err) {
        if (err instanceof InvalidInputError) problems.push(...err.problems);
        else throw err;
      }
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return [...needs.values()];
}

export interface DesiredInputs {
  manifests: readonly LoadedManifest[];
  /** From `effectiveStates`. */
  states: Readonly<Record<string, DesiredState>>;
  /** The render of the catalog with those states as overrides (units of absent apps are not in it). */
  units: readonly RenderedFile[];
  /** Start timeout per app id, ms (the main container's TimeoutStartSec). */
  startTimeoutsMs: Readonly<Record<string, number>>;
  /** Config template texts by name. */
  templates: Readonly<Record<string, string>>;
  /** Secret values by name (all that `configSecrets` listed). */
  secrets: Readonly<Record<string, string>>;
  /** The user's start/stop intents as read, by app id. */
  intents?: ReadonlyMap<string, TimedIntent>;
  /** The node's facts for `{{node}}` in templates. */
  node?: NodeFacts;
  /** The manager the apps run under: `system` (rootful, the default) gives files to containers' numeric users ({@link hostOwners}); `user` needs not. */
  scope?: 'system' | 'user';
  /** The onion address of each app whose address tor has written, by id (`{{export "app" "onion.address"}}`). */
  onions?: Readonly<Record<string, string>>;
}

const PRIVATE_MODE = 0o600;
const PUBLIC_MODE = 0o644;

/** Fallback when no timeout is known: systemd's own default start timeout. */
const SYSTEMD_DEFAULT_START_MS = 90_000;

/** An installed app's onion service, as config templates see it (`onions`: the Tor app's torrc lists them). */
export interface OnionService {
  /** The app's id: its hidden service directory's name. */
  app: string;
  /** `HiddenServicePort <virtual> 127.0.0.1:<target>` lines, in manifest order. */
  ports: Array<{ virtual: number; target: number }>;
}

/** Every installed app's ports with `onion`, by app id order; apps without one are left out. */
export function onionServices(manifests: readonly LoadedManifest[], states: Readonly<Record<string, DesiredState>>): OnionService[] {
  return manifests
    .filter((lm) => (states[lm.manifest.id] ?? 'running') !== 'absent')
    .map((lm) => ({ app: lm.manifest.id, ports: onionPorts(lm.manifest) }))
    .filter((o) => o.ports.length > 0)
    .sort((a, b) => a.app.localeCompare(b.app));
}

/**
 * Builds the desired node. Config templates see `{ app, apps, onions }`: the app's
 * manifest, every manifest by id, and every installed app's onion service
 * ({@link onionServices}).
 * Throws InvalidInputError naming the template when a config fails to render.
 */
export function buildDesired(inputs: DesiredInputs): Desired {
  const apps: Record<string, Manifest> = {};
  for (const lm of inputs.manifests) apps[lm.manifest.id] = lm.manifest;
  const byApp = new Map<string, RenderedFile[]>();
  const shared: RenderedFile[] = [];
  for (const f of inputs.units) {
    if (f.app === undefined) shared.push(f);
    else byApp.set(f.app, [...(byApp.get(f.app) ?? []), f]);
  }
  const problems: Problem[] = [];
  const out: DesiredApp[] = [];
  const facts = templateFacts(inputs.manifests, inputs.node ?? {}, inputs.onions);
  const onions = onionServices(inputs.manifests, inputs.states);
  for (const lm of inputs.manifests) {
    const m = lm.manifest;
    const state = inputs.states[m.id] ?? 'running';
    if (state === 'absent') continue;
    const units = mainFirst(m.id, byApp.get(m.id) ?? []);
    const configs: DesiredApp['configs'] = [];
    const owners = inputs.scope === 'user' ? { configs: {}, dirs: {} } : hostOwners(m);
    const env = envSecrets(m, facts.exports);
    const used = new Set<string>(env);
    for (const c of configsOf(m)) {
      const text = inputs.templates[c.template] ?? '';
      try {
        const needs = secretsUsed(text, templateFile(c.template), facts);
        for (const n of needs) used.add(n.name);
        const content = renderConfig(text, templateFile(c.template), { app: m, apps, onions }, inputs.secrets, facts);
        const owner = owners.configs[c.path];
        configs.push({ path: c.path, content, mode: needs.some((n) => n.exposed) ? PRIVATE_MODE : PUBLIC_MODE, ...(owner ? { owner } : {}) });
      } catch (err) {
        if (err instanceof InvalidInputError) problems.push(...err.problems);
        else throw err;
      }
    }
    const dirs = dataDirs(m);
    out.push({
      id: m.id,
      run: state === 'running',
      units,
      configs,
      ...(dirs.length > 0 ? { dirs } : {}),
      ...(Object.keys(owners.dirs).length > 0 ? { dirOwners: owners.dirs } : {}),
      hash: appHash(units, configs, [...used].sort().map((n) => secretDigest(n, inputs.secrets[n] ?? '')), joinedNetworks(units, shared)),
      startTimeoutMs: inputs.startTimeoutsMs[m.id] ?? SYSTEMD_DEFAULT_START_MS,
      ...(env.length > 0 ? { podmanSecrets: env.sort().map((name) => ({ name, digest: secretDigest(name, inputs.secrets[name] ?? '') })) } : {}),
      ...(inputs.intents?.has(m.id) ? { userIntent: inputs.intents.get(m.id)! } : {}),
    });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { apps: out.sort((a, b) => a.id.localeCompare(b.id)), shared };
}

/**
 * The numeric `user` of a container (`"101"`, `"101:102"`) as a host owner; none for a name (it is the image's, not
 * the node's), for root, or without a user.
 */
export function containerOwner(user: string | undefined): HostOwner | undefined {
  const m = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
  if (!m || Number(m[1]) === 0) return undefined;
  return { uid: Number(m[1]), ...(m[2] !== undefined ? { gid: Number(m[2]) } : {}) };
}

/**
 * Who must own what a rootful node writes for an app's containers: each config file the container with a numeric
 * `user` mounts (so a 0600 one is readable by that user), and each data directory its writable binds mount (so it
 * can write there), by host path. A directory bound by containers of different users, or by one without a numeric
 * user, stays the daemon's (root's). A container that starts as root and switches user itself (an entrypoint's
 * gosu) has no `user` here: its entrypoint owns its files. Rootless needs none of this (docs/rootless.md).
 */
export function hostOwners(m: Manifest): { configs: Record<string, HostOwner>; dirs: Record<string, HostOwner> } {
  const configs: Record<string, HostOwner> = {};
  for (const { spec } of containersOf(m)) {
    const owner = containerOwner(spec.user);
    for (const c of spec.configs ?? []) if (owner) configs[c.path] = owner;
  }
  const byDir = new Map<string, Array<HostOwner | undefined>>();
  for (const { dir, user } of writableDataBinds(m)) byDir.set(dir, [...(byDir.get(dir) ?? []), containerOwner(user)]);
  const dirs: Record<string, HostOwner> = {};
  for (const [dir, all] of byDir) {
    const [first] = all;
    if (first && all.every((o) => o?.uid === first.uid && o.gid === first.gid)) dirs[dir] = first;
  }
  return { configs, dirs };
}

/**
 * The sources of the app's writable binds under its data directory (`/var/lib/archipelago/<id>`), sorted: the
 * directories a pass makes when missing (DesiredApp.dirs).
 */
export function dataDirs(m: Manifest): string[] {
  return [...new Set(writableDataBinds(m).map((b) => b.dir))].sort();
}

/**
 * Every writable bind of the app's containers whose source lies under its data directory, as the host directory it
 * mounts (trailing slashes dropped; a template app's `%i` and `%I` expanded for each instance ({@link expandInstance}), as systemd expands them in
 * the instance's `podman run`) and the container's `user`, in manifest order. Read-only binds and sources elsewhere
 * are the operator's, never made or chowned by a pass.
 */
function writableDataBinds(m: Manifest): Array<{ dir: string; user: string | undefined }> {
  const root = `${DATA_ROOT}/${m.id}`;
  const out: Array<{ dir: string; user: string | undefined }> = [];
  for (const { spec } of containersOf(m)) {
    for (const b of spec.binds ?? []) {
      const source = b.source.replace(/\/+$/, '');
      if (b.readOnly || !(source === root || source.startsWith(`${root}/`))) continue;
      const dirs = m.instances && /%[iI]/.test(source) ? m.instances.map((i) => expandInstance(source, i)) : [source];
      for (const dir of dirs) out.push({ dir, user: spec.user });
    }
  }
  return out;
}

/**
 * `%i` and `%I` in a template's value as systemd expands them for instance `name` (systemd.unit(5), "Specifiers"):
 * `%i` is the name as written, `%I` the name unescaped, where each `-` is a `/` (`shard-1` → `shard/1`); an instance
 * name holds no `\` escapes (the schema's pattern).
 */
export function expandInstance(value: string, name: string): string {
  return value.replace(/%[iI]/g, (s) => (s === '%i' ? name : name.replaceAll('-', '/')));
}

/** The app's own container first (its service is the one a gate waits for), then the rest by name. */
function mainFirst(id: string, files: RenderedFile[]): RenderedFile[] {
  const main = `${id}.container`;
  return [...files].sort((a, b) => (a.name === main ? -1 : b.name === main ? 1 : a.name.localeCompare(b.name)));
}

/** The shared networks (`archy.network`) the app's containers join (`Network=archy.network`, options after a `:`). */
function joinedNetworks(units: readonly RenderedFile[], shared: readonly RenderedFile[]): RenderedFile[] {
  const joined = new Set(units.flatMap((u) => [...u.content.matchAll(/^Network=([^:\s]+)/gm)].map((m) => m[1]!)));
  return shared.filter((f) => joined.has(f.name)).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The content hash an app runs with: its units without [Install] (enablement is
 * not something a running service sees), its config files, and digests of the
 * secrets those use, and the options of the shared networks it joins.
 */
export function appHash(units: readonly RenderedFile[], configs: DesiredApp['configs'], secretDigests: readonly string[], networks: readonly RenderedFile[] = []): string {
  const h = createHash('sha256');
  // A shared network's options are what the app runs on (docs/reconcile.md, "Back-off": a new revision is tried at
  // once); its header, which lists the apps that join it, is not.
  for (const n of networks) h.update(`network\0${n.name}\0${n.content.replace(/^#.*\n/gm, '')}\0`);
  for (const u of [...units].sort((a, b) => a.name.localeCompare(b.name))) {
    if (parseUnitFileName(u.name) === undefined) continue;
    // Which instances the app's unit starts (its Wants=) is not what any of them runs with: a user's stop of one
    // instance, or an instance added, does not make the app a new revision (no restart of the others).
    const text = u.app === undefined ? u.content : withoutInstanceWants(u.content, u.app);
    h.update(`unit\0${u.name}\0${withoutInstall(text)}\0`);
  }
  for (const c of [...configs].sort((a, b) => a.path.localeCompare(b.path))) h.update(`config\0${c.path}\0${c.content}\0`);
  for (const d of secretDigests) h.update(`secret\0${d}\0`);
  return h.digest('hex');
}
