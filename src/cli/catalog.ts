/**
 * Reads the catalog for the commands: the manifest files of a directory,
 * loaded and checked (config templates against the package's `templates/config/`).
 */
import type { Problem } from '../errors.js';
import { DEFAULT_LISTEN, parseListen } from '../api/listen.js';
import { daemonReservation, type ReservedPort } from '../manifest/checks.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { readManifestFiles } from '../store/node/manifest-files.js';
import { listConfigTemplates } from '../store/shipped/templates.js';

/**
 * Reads and loads the catalog in `dir`; no app may publish on a `reserved` address (the node's own daemons:
 * `NodeContext.reserved`; default serve's own address).
 * An unreadable directory is reported as a problem, not thrown, so callers
 * treat it like any invalid input.
 */
export async function readCatalog(dir: string, reserved: readonly ReservedPort[] = daemonReserved()): Promise<LoadResult> {
  let sources;
  try {
    sources = await readManifestFiles(dir);
  } catch (err) {
    const problem: Problem = { file: dir, message: `cannot read the manifests directory: ${(err as Error).message}`, hint: 'pass --manifests DIR' };
    return { manifests: [], problems: [problem] };
  }
  return loadManifests(sources, { templates: await listConfigTemplates(), reserved });
}

/** What the node's daemon binds itself (`serve --listen`, default serve's own): no manifest may publish on it. */
export function daemonReserved(listen: string = DEFAULT_LISTEN): ReservedPort[] {
  return [daemonReservation(parseListen(listen))];
}
