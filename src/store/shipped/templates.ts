/**
 * The templates shipped with the package, read for the pure stages: the unit
 * template (`templates/unit.hbs`) for the renderer, and the config templates
 * (`templates/config/*.hbs`) for the manifest loader's checks and the configs
 * a pass renders. Read-only: nothing here writes.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { UnitTemplates } from '../../render/render-units.js';
import { readTextIfExists } from '../fs.js';

/** The package's templates directory: three levels above this file, from src/store/shipped as from dist/store/shipped. */
export const TEMPLATES_DIR = new URL('../../../templates/', import.meta.url);

/** The package's config templates: `templates/config/`. */
export const CONFIG_TEMPLATES_DIR = new URL('config/', TEMPLATES_DIR);

/**
 * Loads the unit templates.
 * @throws the fs error (ENOENT …) when the package's templates directory is incomplete.
 */
export async function loadUnitTemplates(dir: URL = TEMPLATES_DIR): Promise<UnitTemplates> {
  return { unit: await readFile(new URL('unit.hbs', dir), 'utf8') };
}

/**
 * The config template names shipped with the package (`bitcoin.conf.hbs`, …), sorted.
 * @throws the fs error when the templates directory cannot be read.
 */
export async function listConfigTemplates(dir: URL = CONFIG_TEMPLATES_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.hbs'))
    .map((e) => e.name)
    .sort();
}

/**
 * The text of each config template in `names` by name; a name with no such template is left out (the manifest
 * naming it is reported by the caller's checks).
 * @throws the fs error for anything but a missing template.
 */
export async function readConfigTemplates(names: Iterable<string>, dir: URL = CONFIG_TEMPLATES_DIR): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const text = await readTextIfExists(new URL(name, dir));
    if (text !== undefined) out[name] = text;
  }
  return out;
}
