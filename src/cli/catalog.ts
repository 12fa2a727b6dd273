/**
 * Reads the catalog for the commands: the manifest files of a directory,
 * loaded and checked (config templates against the package's `templates/config/`).
 */
import type { Problem } from '../errors.js';
import type { ReservedPort } from '../manifest/checks.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { readManifestFiles } from '../store/node/manifest-files.js';
import { listConfigTemplates } from '../store/shipped/templates.js';

/**
 * Reads and loads the catalog in `dir`; no app may publish on a `reserved` address (the node's own daemons:
 * `NodeContext.reserved()`, `reservationsOf`; default none).
 * An unreadable directory is reported as a problem, not thrown, so callers
 * treat it like any invalid input.
 */
export async function readCatalog(dir: string, reserved: readonly ReservedPort[] = []): Promise<LoadResult> {
  let sources;
  try {
    sources = await readManifestFiles(dir);
  } catch (err) {
    const problem: Problem = { file: dir, message: `cannot read the manifests directory: ${(err as Error).message}`, hint: 'pass --manifests DIR' };
    return { manifests: [], problems: [problem] };
  }
  return loadManifests(sources, { templates: await listConfigTemplates(), reserved });
}
