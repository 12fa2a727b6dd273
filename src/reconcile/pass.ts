/**
 * One reconcile pass: observe → plan → (generator check) → execute.
 * Level-triggered: a pass reads what is and acts on the difference; it never
 * depends on what triggered it.
 */
import { InvalidInputError } from '../errors.js';
import { appService, compareNames } from '../naming.js';
import { writeDeclaredStates } from '../store/state/declared-states.js';
import { readRecords } from '../store/state/records.js';
import { failureOf, retryDecision, retryStatus } from './backoff.js';
import { executeSteps, type Counters, type Failure } from './execute.js';
import { DEFAULT_GENERATOR, rejectedUnits } from './generator.js';
import { loadDesired, type DesiredLoader, type LoadDesiredOptions, type LoadedDesired } from './load-desired.js';
import { observe } from './observe.js';
import { findHolds, planSteps, withHolds } from './plan.js';
import { appRef } from '../controller/app-refs.js';
import type { AppRef } from '../controller/types.js';
import type { ControllerSink, Log, PhaseSink, UnitManager } from './ports.js';
import { podmanSecrets } from '../store/node/podman-secrets.js';
import { inspectExisting } from '../store/node/podman-inspect.js';
import type { FileTexts } from '../store/file-texts.js';
import { findDrift, wantedResources, type Drift, type InspectedNetwork, type InspectedVolume } from './drift.js';
import type { Desired, Held, Observed, Step } from './types.js';

export interface PassOptions extends LoadDesiredOptions {
  unitDir: string;
  systemd: UnitManager;
  /** The controller, when the pass runs inside a process that has one (phases, the catalog). */
  controller?: ControllerSink;
  /** argv of the node's Quadlet generator; default `/usr/libexec/podman/quadlet`. */
  generator?: readonly string[];
  /** Plan and check only; change nothing. */
  dryRun?: boolean;
  log?: Log;
  /** Poll interval of the health gate (ms). */
  pollMs?: number;
  /** How desired state is loaded; a long-running loop passes `cachedDesiredLoader()`. Default `loadDesired`. */
  loader?: DesiredLoader;
  /** argv of podman, for the podman secrets of generated secrets apps take as environment values; default `podman`. */
  podman?: readonly string[];
  /**
   * A long-running loop's memory of its last drift check (`watch` keeps one): a pass whose volumes and networks are
   * the ones checked then, when none of them differed, asks podman nothing (a no-op pass spawns no podman: issue 15).
   * Without it, every pass checks.
   */
  driftMemo?: DriftMemo;
  /**
   * A long-running loop's kept file texts (`watch` keeps one, src/store/file-texts.ts): the manifests, unit files,
   * config files and state records a stat finds unchanged are not read again. Without it, every file is read.
   */
  texts?: FileTexts;
  /**
   * Let a catalog with no manifest at all remove every app installed (`--allow-empty`). Without it such a pass throws
   * InvalidInputError and changes nothing: an empty directory is far more often a mistake (a wrong `--manifests`, a
   * disk not mounted, a checkout that failed) than a wish to empty the node. Argo CD's `allowEmpty` (default false)
   * guards its automated prune the same way.
   */
  allowEmpty?: boolean;
}

/** What the last drift check of a loop compared (its volumes and networks, as a key) and found. */
export interface DriftMemo {
  wanted?: string;
  drift?: Drift[];
  /** The desired set of that check: the same object again (`cachedDesiredLoader` on unchanged inputs) is not read again. */
  desired?: Desired;
}

/** What a pass planned and did; `apply --json` prints it. */
export interface PassReport {
  dryRun: boolean;
  /** describe() of every planned step. */
  planned: string[];
  /** Apps left alone on purpose, with the reason. */
  held: Held[];
  /** describe() of every step done (rollbacks included). */
  done: string[];
  failures: Failure[];
  counters: Counters;
  warnings: string[];
  /**
   * Volumes and networks podman has with other options than their units ask (podman creates each once): each with
   * what differs and what to do. The pass changes none of them (docs/reconcile.md, "Volumes and networks that exist").
   */
  drift?: Drift[];
  /** Milliseconds per stage: load (desired), observe, plan (incl. the generator check), execute. */
  timings: { load: number; observe: number; plan: number; execute: number };
  /**
   * ISO-8601 time at which a pass must look again although nothing changed: the earliest back-off that ends
   * (controller-runtime's RequeueAfter). `watch` wakes up then; absent when nothing waits.
   */
  requeueAt?: string;
}

/** How soon a pass looks again while the node's Tor runs and has not written an installed app's onion address yet. */
export const ONION_RECHECK_MS = 5_000;

/**
 * When to look again for onion addresses tor has not written yet (they go into `status` and config templates):
 * `now` + {@link ONION_RECHECK_MS} while one is missing and the app with `onionServiceDir` is to run; else undefined.
 */
export function onionRecheckAt(loaded: Pick<LoadedDesired, 'manifests' | 'states' | 'onions'>, now: number): string | undefined {
  const tor = loaded.manifests.find((lm) => lm.manifest.onionServiceDir !== undefined && loaded.states[lm.manifest.id] === 'running');
  const missing = Object.keys(loaded.onions.hostnames).some((id) => loaded.onions.addresses[id] === undefined);
  return tor && missing ? new Date(now + ONION_RECHECK_MS).toISOString() : undefined;
}

/** The earliest back-off among `held` and the apps whose gate failed in this pass. */
function earliestRetry(held: readonly Held[], failedNow: readonly (string | undefined)[]): string | undefined {
  const times = [...held.map((h) => h.retryAt), ...failedNow].filter((t): t is string => t !== undefined);
  return times.length === 0 ? undefined : times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

const ZERO: Counters = { writes: 0, removes: 0, reloads: 0, starts: 0, stops: 0, restarts: 0, rollbacks: 0 };

/** Phases are information for clients: a controller refusing one must not fail the pass. */
function safePhases(controller: ControllerSink | undefined, log: Log): PhaseSink {
  return {
    async setPhase(id, phase) {
      try {
        await controller?.setPhase(id, phase);
      } catch (err) {
        log(`phase ${phase ?? 'cleared'} of ${id} not shown: ${(err as Error).message}`);
      }
    },
    setRetry(id, retry) {
      try {
        controller?.setRetry?.(id, retry);
      } catch (err) {
        log(`back-off of ${id} not shown: ${(err as Error).message}`);
      }
    },
    setOnion(id, address) {
      try {
        controller?.setOnion?.(id, address);
      } catch (err) {
        log(`onion address of ${id} not shown: ${(err as Error).message}`);
      }
    },
  };
}

/** How often the generator may reject a re-planned set before the pass gives up (holds only shrink the set). */
const MAX_CHECKS = 4;

/**
 * Plans `desired` against `observed`, holding apps whose units the generator
 * rejects (their last-good files stay), until the staged set passes.
 * Throws InvalidInputError when a file no app owns (e.g. a shared network) is rejected.
 */
export async function planChecked(observed: Observed, desired: Desired, generator: readonly string[], user: boolean): Promise<{ steps: Step[]; held: Held[] }> {
  const held = findHolds(observed, desired);
  for (let i = 0; i < MAX_CHECKS; i++) {
    const steps = planSteps(observed, withHolds(desired, held));
    const rejected = await rejectedUnits(observed, steps, { command: generator, user });
    if (rejected.length === 0) return { steps, held };
    for (const r of rejected) {
      const owner = steps.find((s) => s.action === 'write-unit' && s.file.name === r.name)?.app;
      if (owner === undefined) throw new InvalidInputError([{ file: `units/${r.name}`, message: r.reason }]);
      if (!held.some((h) => h.app === owner)) held.push({ app: owner, reason: r.reason });
    }
  }
  throw new InvalidInputError([{ file: 'units/', message: 'the Quadlet generator keeps rejecting the staged unit set' }]);
}

/**
 * The drift of the existing volumes and networks the desired units make, over `podman` (argv); with `memo`, none
 * without asking podman when the units are those of a check that found none. A podman that cannot be asked is logged
 * and gives none: the check informs, it never stops a pass.
 */
export async function driftOf(desired: Desired, podman: readonly string[], user: boolean, log: Log, memo: DriftMemo | undefined): Promise<Drift[]> {
  // Drift comes from a unit asking for other options than podman created with, and the units are the same as at a
  // check that found none; one made by hand with podman meanwhile is seen at the next change or the next start.
  if (memo?.desired === desired && memo.drift?.length === 0) return [];
  const wanted = wantedResources(desired);
  if (wanted.length === 0) return [];
  const key = JSON.stringify(wanted.map((w) => [w.kind, w.name, [...w.keys]]));
  if (memo?.wanted === key && memo.drift?.length === 0) {
    memo.desired = desired;
    return [];
  }
  try {
    const names = (kind: 'volume' | 'network') => wanted.filter((w) => w.kind === kind).map((w) => w.name);
    const drift = findDrift(wanted, { volumes: await inspectExisting<InspectedVolume>(podman, 'volume', names('volume')), networks: await inspectExisting<InspectedNetwork>(podman, 'network', names('network')) }, user);
    if (memo) Object.assign(memo, { wanted: key, drift, desired });
    return drift;
  } catch (err) {
    log(`volumes and networks not compared with podman's: ${(err as Error).message}`);
    return [];
  }
}

/**
 * The apps installed that a catalog with no manifest would remove: the ids of the state directory's app records (what
 * this reconciler owns), in code-point order; [] when `allowEmpty` or when the catalog has a manifest. Throws
 * InvalidInputError for a corrupt record.
 */
export async function removedByEmptyCatalog(manifestCount: number, opts: Pick<PassOptions, 'stateDir' | 'allowEmpty'>): Promise<string[]> {
  if (manifestCount > 0 || opts.allowEmpty) return [];
  return Object.keys(await readRecords(opts.stateDir)).sort(compareNames);
}

/** "2: bitcoin, lnd" — how many apps, and the first five by name. */
export function installedSummary(ids: readonly string[]): string {
  const shown = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
  return `${ids.length}: ${shown}`;
}

/** The hint of a refused empty catalog (`PassOptions.allowEmpty`). */
export const EMPTY_CATALOG_HINT = 'check that this is the catalog you meant (--manifests, --git, a mounted disk); to remove them all, run again with --allow-empty';

/**
 * Runs one pass. Throws InvalidInputError when the manifests (or templates) are
 * invalid, or when the catalog has no manifest while apps are installed and
 * `allowEmpty` is not set — nothing is changed then; IO and systemd errors of
 * single steps are reported in `failures`, not thrown.
 */
export async function runPass(opts: PassOptions): Promise<PassReport> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  // Secrets are created only by a pass that executes; a dry run renders missing ones as placeholders.
  const loaded = await (opts.loader ?? loadDesired)({ ...opts, createSecrets: !opts.dryRun });
  const removed = await removedByEmptyCatalog(loaded.manifests.length, opts);
  if (removed.length > 0) {
    throw new InvalidInputError([{ file: opts.manifestsDir, message: `the catalog has no manifest, and this pass would remove every app installed (${installedSummary(removed)}); nothing was changed`, hint: EMPTY_CATALOG_HINT }]);
  }
  const t1 = performance.now();
  const secrets = podmanSecrets(opts.podman ?? ['podman']);
  const observed = await observe({ unitDir: opts.unitDir, stateDir: opts.stateDir, systemd: opts.systemd, desired: loaded.desired, podmanSecrets: secrets, ...(opts.configRoot ? { configRoot: opts.configRoot } : {}), ...(opts.texts ? { texts: opts.texts } : {}) });
  // Each app with what this pass wants of it (absent: not among the desired apps).
  const wanted = new Map(loaded.desired.apps.map((a) => [a.id, a.run ? ('running' as const) : ('stopped' as const)]));
  const catalog: AppRef[] = loaded.manifests.map(({ manifest }) => appRef(manifest, wanted.get(manifest.id) ?? 'absent'));
  // Apps on their way out stay tracked for this pass, so their `removing` phase reaches the clients.
  const leaving = Object.keys(observed.records).filter((id) => !catalog.some((a) => a.id === id));
  if (opts.controller?.setApps && !opts.dryRun) {
    await opts.controller.setApps([...catalog, ...leaving.map((id) => ({ id, name: id, unit: appService(id) }))]);
  }
  const drift = await driftOf(loaded.desired, opts.podman ?? ['podman'], opts.user ?? false, log, opts.driftMemo);
  const t2 = performance.now();
  const { steps, held } = await planChecked(observed, loaded.desired, opts.generator ?? [DEFAULT_GENERATOR], opts.user ?? false);
  const sink = safePhases(opts.controller, log);
  if (!opts.dryRun) {
    // The manifest's side of "the later one wins": when the node first saw each declared state.
    if (loaded.declared.size > 0) await writeDeclaredStates(opts.stateDir, loaded.declared);
    for (const app of loaded.desired.apps) {
      const f = retryDecision(observed.records[app.id], app, observed.now).kind === 'fresh' ? undefined : failureOf(observed.records[app.id], app);
      if (opts.controller?.setRetry) sink.setRetry?.(app.id, f ? retryStatus(f) : undefined);
    }
    // Every catalog app's onion address as this pass read it (undefined: none, or not written yet).
    if (opts.controller?.setOnion) for (const { id } of catalog) sink.setOnion?.(id, loaded.onions.addresses[id]);
  }
  const planned = steps.map((s) => s.describe());
  const t3 = performance.now();
  const timings = (t4: number): PassReport['timings'] => ({ load: t1 - t0, observe: t2 - t1, plan: t3 - t2, execute: t4 - t3 });
  const onionAt = onionRecheckAt(loaded, observed.now);
  const waitUntil = earliestRetry(held, [onionAt]);
  if (opts.dryRun) return { dryRun: true, planned, held, done: [], failures: [], counters: { ...ZERO }, warnings: loaded.warnings, drift, timings: timings(t3), ...(waitUntil ? { requeueAt: waitUntil } : {}) };
  const report = await executeSteps(steps, withHolds(loaded.desired, held), observed, {
    unitDir: opts.unitDir,
    stateDir: opts.stateDir,
    systemd: opts.systemd,
    phases: sink,
    log,
    podmanSecrets: secrets,
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    ...(opts.configRoot ? { configRoot: opts.configRoot } : {}),
  });
  if (opts.controller?.setApps && leaving.length > 0) await opts.controller.setApps(catalog);
  // A gate that failed in this pass recorded its back-off: the loop must wake for it too.
  const records = report.failures.length > 0 ? await readRecords(opts.stateDir) : {};
  const requeueAt = earliestRetry(held, [...Object.values(records).map((r) => r.failure?.nextAt).filter((t) => t !== undefined && Date.parse(t) > observed.now), onionAt]);
  return { dryRun: false, planned, held, ...report, warnings: loaded.warnings, drift, timings: timings(performance.now()), ...(requeueAt ? { requeueAt } : {}) };
}
