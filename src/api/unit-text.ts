/**
 * The default `UnitText` of `serve`: the app's `<id>.container` file in the
 * Quadlet unit directory, as written by the reconciler.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DNS_LABEL, unitFileName } from '../naming.js';
import type { UnitText } from './types.js';

/** Reads `<unitDir>/<id>.container`; undefined when it does not exist. Rejects on other IO errors. */
export function unitTextFrom(unitDir: string): UnitText {
  return async (id) => {
    // The id was checked at the route already; checked again because this builds a path.
    if (!DNS_LABEL.test(id)) return undefined;
    try {
      return await readFile(join(unitDir, unitFileName(id, 'container')), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
}
