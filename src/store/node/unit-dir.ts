/**
 * Reads a Quadlet unit directory: every unit file in it with its content and
 * whether archy-quadlet owns it (its first line is our ownership header).
 */
import { join } from 'node:path';
import { parseUnitFileName } from '../../naming.js';
import { isOwned } from '../../render/types.js';
import type { FileTexts } from '../file-texts.js';
import { readDirSyncIfExists, readTexts } from '../fs.js';

export interface UnitDirEntry {
  /** File name, e.g. `lnd.container`. */
  name: string;
  content: string;
  /** True when the file starts with our ownership header: we may overwrite or delete it. */
  owned: boolean;
}

/**
 * Lists the Quadlet unit files (`*.container`, `*.network`, …) directly in `dir`, sorted by name.
 * A missing directory reads as empty (nothing rendered there yet). `texts`: a reconcile loop's kept texts.
 * @throws the fs error for anything but a missing directory.
 */
export async function readUnitDir(dir: string, texts?: FileTexts): Promise<UnitDirEntry[]> {
  const entries = readDirSyncIfExists(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isFile() && parseUnitFileName(e.name) !== undefined).map((e) => e.name);
  names.sort();
  const read = readTexts(names.map((name) => join(dir, name)), texts);
  return names.map((name, i) => ({ name, content: read[i]!, owned: isOwned(read[i]!) }));
}
