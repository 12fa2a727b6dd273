/**
 * Opens the live view the `status`/`start`/`stop`/`restart` commands share: a
 * systemd connection (from `--bus`/`--user`) and a controller over the apps.
 * The apps are the manifests' ids, or with `--unit-dir DIR` the `*.container`
 * units in DIR (for units written by hand, with no manifest).
 */
import { createController, type LiveController } from '../controller/controller.js';
import type { AppRef } from '../controller/types.js';
import { appService, parseUnitFileName } from '../naming.js';
import { readUnitDir } from '../store/unit-dir.js';
import { busAddressFor } from '../systemd/address.js';
import { createSystemd } from '../systemd/client.js';
import type { SystemdPort } from '../systemd/types.js';
import { formatProblem, InvalidInputError } from '../errors.js';
import { DEFAULT_MANIFESTS_DIR, readCatalog } from './commands/validate.js';
import type { GlobalOptions } from './program.js';

/** Options of the live commands. */
export interface LiveOptions extends GlobalOptions {
  /** Track the `*.container` units in this directory instead of the manifests' apps. */
  unitDir?: string;
}

/** Where the apps come from when the catalog cannot be read. */
export interface AppsFallback {
  /** The node's unit directory: its `*.container` units of ours are the apps. */
  unitDir: string;
  log: (line: string) => void;
}

/** The apps in a Quadlet unit directory: one per `<id>.container` (only those archy-quadlet wrote, with `ownedOnly`). */
export async function unitDirApps(dir: string, { ownedOnly = false } = {}): Promise<AppRef[]> {
  const entries = await readUnitDir(dir);
  return entries
    .filter((e) => !ownedOnly || e.owned)
    .map((e) => parseUnitFileName(e.name))
    .filter((p): p is { name: string; kind: 'container' } => p?.kind === 'container')
    .map(({ name }) => ({ id: name, name, unit: appService(name) }));
}

/** The apps of the catalog in `dir`; throws InvalidInputError with every problem when a manifest is invalid. */
export async function manifestApps(dir: string): Promise<AppRef[]> {
  const { manifests, problems } = await readCatalog(dir);
  if (problems.length > 0) throw new InvalidInputError(problems);
  return manifests.map(({ manifest: m }) => ({ id: m.id, name: m.name ?? m.id, unit: appService(m.id) }));
}

/**
 * The catalog's apps; with a fallback, an unreadable or invalid catalog does not take the live view down (a
 * stop must keep working while someone fixes a manifest): the units of ours on the node are tracked instead,
 * and the reconciler's first pass replaces them with the catalog once it is valid.
 */
export async function catalogApps(dir: string, fallback?: AppsFallback): Promise<AppRef[]> {
  try {
    return await manifestApps(dir);
  } catch (err) {
    if (!fallback || !(err instanceof InvalidInputError)) throw err;
    const [first, ...more] = err.problems;
    const what = first ? `${formatProblem(first)}${more.length > 0 ? ` (and ${more.length} more; see archy-quadlet validate)` : ''}` : err.message;
    fallback.log(`the catalog cannot be used: ${what}; tracking the apps installed in ${fallback.unitDir} meanwhile`);
    return unitDirApps(fallback.unitDir, { ownedOnly: true }).catch(() => []);
  }
}

/** A connected controller and the port under it; `close()` closes both. */
export interface LiveSession {
  controller: LiveController;
  systemd: SystemdPort;
  close(): Promise<void>;
}

/**
 * Connects to systemd and builds the controller. Throws InvalidInputError for
 * invalid manifests and SystemdError when systemd cannot be reached.
 */
export async function openLive(opts: LiveOptions, extra: { relistIntervalMs?: number; log?: (m: string) => void; fallback?: AppsFallback } = {}): Promise<LiveSession> {
  const apps = opts.unitDir ? await unitDirApps(opts.unitDir) : await catalogApps(opts.manifests ?? DEFAULT_MANIFESTS_DIR, extra.fallback);
  const systemd = createSystemd({ address: busAddressFor({ bus: opts.bus, user: opts.user, uid: process.getuid?.() ?? 0 }), log: extra.log });
  try {
    const controller = await createController({ systemd, stateDir: opts.stateDir, apps, relistIntervalMs: extra.relistIntervalMs ?? 0, log: extra.log });
    return {
      controller,
      systemd,
      async close() {
        await controller.close();
        await systemd.close();
      },
    };
  } catch (err) {
    await systemd.close();
    throw err;
  }
}
