/**
 * A file in the state directory, written atomically with its directory
 * created first (a fresh node has none of them yet).
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { DNS_LABEL } from '../naming.js';
import { writeFileAtomic } from './atomic-write.js';

/** Creates the parent directory (0755) and writes `content` atomically. Throws the fs error. */
export async function writeStateFile(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, content, { mode });
}

/**
 * The `<id>.json` files of a per-app directory, parsed, sorted by id (a missing
 * directory has none; files that vanish meanwhile are skipped). Throws
 * InvalidInputError naming a file that is not JSON, with `hint`.
 */
export async function readAppFiles(dir: string, hint: string): Promise<Array<{ id: string; path: string; value: unknown }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Array<{ id: string; path: string; value: unknown }> = [];
  for (const name of names.sort()) {
    const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
    if (!DNS_LABEL.test(id)) continue;
    const path = join(dir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    try {
      out.push({ id, path, value: JSON.parse(text) });
    } catch (err) {
      throw new InvalidInputError([{ file: path, message: `not JSON: ${(err as Error).message}`, hint }]);
    }
  }
  return out;
}
