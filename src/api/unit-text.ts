/**
 * The default `UnitText` of `serve`: the app's unit files in the Quadlet unit
 * directory, as written by the reconciler.
 */
import { join } from 'node:path';
import { DNS_LABEL, unitFileName } from '../naming.js';
import { readTextIfExists } from '../store/fs.js';
import type { UnitText } from './types.js';

/**
 * Reads `<unitDir>/<id>.container`; for an app of several containers (`containerUnits`, e.g. `['shop-db.service']`)
 * `<id>.network` and each container's `.container` file instead, each under a `# <file>` line, those missing left
 * out. Undefined when none exists. Rejects on other IO errors.
 */
export function unitTextFrom(unitDir: string): UnitText {
  return async (id, containerUnits) => {
    // The id was checked at the route already; checked again because this builds a path.
    if (!DNS_LABEL.test(id)) return undefined;
    if (!containerUnits) return readTextIfExists(join(unitDir, unitFileName(id, 'container')));
    const stems = containerUnits.map((u) => u.replace(/\.service$/, '')).filter((stem) => DNS_LABEL.test(stem));
    const files = [unitFileName(id, 'network'), ...stems.map((stem) => unitFileName(stem, 'container'))];
    const texts = await Promise.all(files.map((f) => readTextIfExists(join(unitDir, f))));
    const parts = files.flatMap((f, i) => (texts[i] === undefined ? [] : [`# ${f}\n${texts[i]}`]));
    return parts.length > 0 ? parts.join('\n') : undefined;
  };
}
