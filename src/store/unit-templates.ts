/**
 * Reads the unit templates shipped with the package (`templates/*.hbs`) for
 * the pure renderer.
 */
import { readFile } from 'node:fs/promises';
import type { UnitTemplates } from '../render/render-units.js';

/** The package's templates directory: two levels above this file, from src/store as from dist/store. */
export const TEMPLATES_DIR = new URL('../../templates/', import.meta.url);

/**
 * Loads the unit templates.
 * @throws the fs error (ENOENT …) when the package's templates directory is incomplete.
 */
export async function loadUnitTemplates(dir: URL = TEMPLATES_DIR): Promise<UnitTemplates> {
  return { unit: await readFile(new URL('unit.hbs', dir), 'utf8') };
}
