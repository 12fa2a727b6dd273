/**
 * The IO half of "desired": reads the manifests (via the loader), the node's
 * intents, the templates and the secrets, compiles and renders the catalog with
 * the effective states as overrides, and hands everything to `buildDesired`.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_LISTEN, parseListen } from '../api/listen.js';
import { compileCatalog } from '../compile/compile-catalog.js';
import type { NodeFacts } from '../compile/compile-app.js';
import { DEFAULT_PODMAN_VERSION } from '../compile/target-version.js';
import type { ContainerUnit } from '../compile/model.js';
import { InvalidInputError } from '../errors.js';
import type { DesiredState, LoadedManifest } from '../manifest/types.js';
import { renderUnits } from '../render/render-units.js';
import { daemonReservation, type ReservedPort } from '../manifest/checks.js';
import { loadManifests, type ManifestSource } from '../manifest/load.js';
import type { FileTexts } from '../store/file-texts.js';
import { readManifestFiles } from '../store/node/manifest-files.js';
import { readOnionAddresses } from '../store/node/onion-addresses.js';
import { onionHostnames } from '../manifest/onion.js';
import { listConfigTemplates, loadUnitTemplates, readConfigTemplates } from '../store/shipped/templates.js';
import { readDeclaredStates } from '../store/state/declared-states.js';
import { readInstallIntents } from '../store/state/install-intents.js';
import { readIntents } from '../store/state/intents.js';
import { PASSWORD, SALT, secretStore } from '../store/state/secrets.js';
import { buildDesired, configsOf, configSecrets, declaredChanges, effectiveStates, stoppedInstances, type DeclaredState, type InstallIntent, type TimedIntent } from './desired.js';
import { parseNodeFile, selectApps, substituteNodeValues, type NodeFileSource } from './node-values.js';
import type { Desired } from './types.js';

export interface LoadDesiredOptions {
  manifestsDir: string;
  stateDir: string;
  /** Target podman version of the render; default 5.4.2 (the nodes' podman). */
  podmanVersion?: string;
  /** Rootless units (`default.target`). */
  user?: boolean;
  /**
   * Create the secrets the configs use when they are missing (a pass that
   * executes). Otherwise (default: a dry run, the validation of a commit) an
   * existing secret is read and a missing one renders as a placeholder that no
   * file on disk carries, so its configs count as changed and nothing is created.
   */
  createSecrets?: boolean;
  /** The node's facts for `{ node }` values and `{{node}}` in templates (src/cli: `nodeFacts`). */
  node?: NodeFacts;
  /** Where the host's `/` is for config files and the onion addresses tor wrote (a machine's root dir seen from outside it); default `/`. */
  configRoot?: string;
  /** The config templates' directory; default the package's `templates/config/`. */
  configTemplatesDir?: URL;
  /**
   * The node file of a fleet's repository (`nodes/<name>.yaml`, docs/fleet.md): its values replace `{{node.PATH}}`
   * in the manifests before they are validated, and its `apps` select the apps this node runs. Absent: neither.
   */
  nodeFile?: NodeFileSource;
  /** Host addresses the node's own daemons bind, where no app may publish (`NodeContext.reserved`); default serve's, 127.0.0.1:8080. */
  reserved?: readonly ReservedPort[];
  /** A long-running loop's kept file texts: the manifests and state records a stat finds unchanged are not read again. */
  texts?: FileTexts;
}

export interface LoadedDesired {
  desired: Desired;
  manifests: LoadedManifest[];
  states: Record<string, DesiredState>;
  /** Names of the secrets the configs and environments use. */
  secrets: string[];
  warnings: string[];
  /** Manifests whose `state` the node sees for the first time or changed: a pass that executes remembers them. */
  declared: Map<string, DeclaredState>;
  /**
   * The installed apps' onion services: where tor writes each one's address on the host (`hostnames`, by app id),
   * and the addresses read there (`addresses`; an app is missing until tor has written its file).
   */
  onions: { hostnames: Record<string, string>; addresses: Record<string, string> };
}

/** The podman the nodes run. */
export { DEFAULT_PODMAN_VERSION };

/**
 * Loads what the node should run. Throws InvalidInputError with every problem
 * (manifests, compile, templates); nothing may be applied then.
 */
export async function loadDesired(opts: LoadDesiredOptions): Promise<LoadedDesired> {
  return computeDesired(opts, await readInputs(opts));
}

/** What `loadDesired` reads before it computes anything. */
interface Inputs {
  sources: ManifestSource[];
  installs: Map<string, InstallIntent>;
  intents: Map<string, TimedIntent>;
  declared: Map<string, DeclaredState>;
}

async function readInputs(opts: LoadDesiredOptions): Promise<Inputs> {
  let sources: ManifestSource[];
  try {
    sources = await readManifestFiles(opts.manifestsDir, process.cwd(), opts.texts);
  } catch (err) {
    throw new InvalidInputError([{ file: opts.manifestsDir, message: `cannot read the manifests directory: ${(err as Error).message}`, hint: 'pass --manifests DIR' }]);
  }
  const [installs, intentRecords, declared] = await Promise.all([readInstallIntents(opts.stateDir, opts.texts), readIntents(opts.stateDir, opts.texts), readDeclaredStates(opts.stateDir, opts.texts)]);
  return { sources, installs, intents: new Map([...intentRecords].map(([id, r]) => [id, { intent: r.intent, at: r.at, ...(r.stopped ? { stopped: r.stopped } : {}) }])), declared };
}

/** The manifests this node runs: loaded after the node's values are substituted, then selected by its node file. */
function nodeManifests(sources: ManifestSource[], nodeFile: NodeFileSource | undefined, templates: readonly string[], reserved: readonly ReservedPort[]): LoadedManifest[] {
  if (!nodeFile) {
    const { manifests, problems } = loadManifests(sources, { templates, reserved });
    if (problems.length > 0) throw new InvalidInputError(problems);
    return manifests;
  }
  const { node, problems } = parseNodeFile(nodeFile);
  const substituted = sources.map((src) => substituteNodeValues(src, node));
  problems.push(...substituted.flatMap((s) => s.problems));
  if (problems.length > 0) throw new InvalidInputError(problems);
  const loaded = loadManifests(substituted.map((s) => s.source), { templates, reserved });
  if (loaded.problems.length > 0) throw new InvalidInputError(loaded.problems);
  const selected = selectApps(loaded.manifests, node);
  if (selected.problems.length > 0) throw new InvalidInputError(selected.problems);
  return selected.manifests;
}

async function computeDesired(opts: LoadDesiredOptions, { sources, installs, intents, declared }: Inputs): Promise<LoadedDesired> {
  const manifests = nodeManifests(sources, opts.nodeFile, await listConfigTemplates(opts.configTemplatesDir), opts.reserved ?? [daemonReservation(parseListen(DEFAULT_LISTEN))]);
  const changes = declaredChanges(manifests, declared, new Date().toISOString());
  const states = effectiveStates(manifests, installs, intents, new Map([...declared, ...changes]));
  const stopped = stoppedInstances(manifests, states, intents, new Map([...declared, ...changes]));

  const compiled = compileCatalog(manifests, {
    podmanVersion: opts.podmanVersion ?? DEFAULT_PODMAN_VERSION,
    scope: opts.user ? 'user' : 'system',
    overrides: states,
    stoppedInstances: stopped,
    ...(opts.node ? { node: opts.node } : {}),
  });
  if (compiled.problems.length > 0) throw new InvalidInputError(compiled.problems);
  const units = renderUnits(compiled.units, await loadUnitTemplates());

  // The gate gives an app as long as its slowest container may take to start (each one's TimeoutStartSec).
  const startTimeoutsMs: Record<string, number> = {};
  for (const u of compiled.units) {
    if (u.kind === 'container' && u.app !== undefined) {
      startTimeoutsMs[u.app] = Math.max(startTimeoutsMs[u.app] ?? 0, (u as ContainerUnit).Service.TimeoutStartSec * 1000);
    }
  }

  // A missing template is left out; configSecrets reports it, with the manifest naming it.
  const templates = await readConfigTemplates(new Set(manifests.filter((m) => states[m.manifest.id] !== 'absent').flatMap((m) => configsOf(m.manifest).map((c) => c.template))), opts.configTemplatesDir);
  const store = secretStore(opts.stateDir);
  const secrets: Record<string, string> = {};
  for (const need of configSecrets(manifests, states, templates, opts.node)) {
    secrets[need.name] = opts.createSecrets ? await store.get(need.name, need.kind === 'salt' ? SALT : PASSWORD) : ((await store.peek(need.name)) ?? missingSecret(need.name));
  }

  const hostnames = onionHostnames(manifests, states);
  const addresses = await readOnionAddresses(hostnames, opts.configRoot);
  const desired = buildDesired({ manifests, states, units, startTimeoutsMs, templates, secrets, intents, onions: addresses, scope: opts.user ? 'user' : 'system', ...(opts.node ? { node: opts.node } : {}) });
  return { desired, manifests, states, secrets: Object.keys(secrets), warnings: compiled.warnings.map((w) => `${w.file}: ${w.message}`), declared: changes, onions: { hostnames, addresses } };
}

/** What a secret that does not exist yet renders as when it is not to be created (never written anywhere). */
export function missingSecret(name: string): string {
  return `(secret ${name}: created when applied)`;
}

/** Loads desired states like `loadDesired`, for one process that runs many passes. */
export type DesiredLoader = (opts: LoadDesiredOptions) => Promise<LoadedDesired>;

/**
 * A `loadDesired` that remembers its last result: when the manifest files, the
 * intents, the options, the secrets used and the onion addresses read are
 * byte-identical to the last call's, parsing, validating, compiling and rendering are skipped (a no-op
 * pass in `watch` then costs reading files, not recomputing them). The package's
 * templates are taken as fixed for the life of the process.
 */
export function cachedDesiredLoader(): DesiredLoader {
  let last: { key: string; value: LoadedDesired } | undefined;
  return async (opts) => {
    const inputs = await readInputs(opts);
    const store = secretStore(opts.stateDir);
    const h = createHash('sha256').update(JSON.stringify([opts.manifestsDir, opts.podmanVersion, opts.user, opts.createSecrets === true, opts.node ?? {}, opts.configRoot, opts.configTemplatesDir?.href, opts.nodeFile ?? null, inputs.sources, [...inputs.installs], [...inputs.intents], [...inputs.declared]]));
    // Read one after another with synchronous reads: ~80 secrets of the 400-app set awaited one by one were as many
    // round trips through the thread pool in every pass, each waiting for a core on a busy node (issue 15).
    const secretsKey = async (names: readonly string[]): Promise<string> => {
      const s = createHash('sha256');
      const values = store.peekAll(names, opts.texts);
      names.forEach((n, i) => s.update(`${n}\0${values[i] ?? ''}\0`));
      return s.digest('hex');
    };
    const key = h.digest('hex');
    // The same inputs give the same hostname paths: an address tor wrote since is a new input.
    const sameOnions = async (v: LoadedDesired): Promise<boolean> => JSON.stringify(await readOnionAddresses(v.onions.hostnames, opts.configRoot)) === JSON.stringify(v.onions.addresses);
    if (last && last.key === `${key}:${await secretsKey(last.value.secrets)}` && (await sameOnions(last.value))) return last.value;
    const value = await computeDesired(opts, inputs);
    last = { key: `${key}:${await secretsKey(value.secrets)}`, value };
    return value;
  };
}
