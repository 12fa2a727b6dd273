/**
 * The default `UnitText` of `serve`: the app's `<id>.container` file in the
 * Quadlet unit directory, as written by the reconciler.
 */
import { join } from 'node:path';
import { DNS_LABEL, unitFileName } from '../naming.js';
import { readTextIfExists } from '../store/fs.js';
import type { UnitText } from './types.js';

/** Reads `<unitDir>/<id>.container`; undefined when it does not exist. Rejects on other IO errors. */
export function unitTextFrom(unitDir: string): UnitText {
  return async (id) => {
    // The id was checked at the route already; checked again because this builds a path.
    if (!DNS_LABEL.test(id)) return undefined;
    return readTextIfExists(join(unitDir, unitFileName(id, 'container')));
  };
}
