/**
 * The two shapes of file in the state directory (`layout.ts`): a file written atomically with its
 * directory created first (a fresh node has none of them yet), and a per-app directory of `<id>.json` files.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { DNS_LABEL } from '../../naming.js';
import { writeFileAtomic } from '../atomic-write.js';
import type { FileTexts } from '../file-texts.js';
import { readDirSyncIfExists, readTextsIfExist } from '../fs.js';

/** Creates the parent directory (0755) and writes `content` atomically. Throws the fs error. */
export async function writeStateFile(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, content, { mode });
}

/**
 * `text`, the content of the JSON file at `path`, parsed. Throws InvalidInputError naming `path` ("not JSON: …",
 * with `hint`, what the user can do) when it does not parse.
 */
export function parseJsonFile(text: string, path: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError([{ file: path, message: `not JSON: ${(err as Error).message}`, hint }]);
  }
}

/**
 * The `<id>.json` files of a per-app directory, parsed, sorted by id (a missing
 * directory has none; files that vanish meanwhile are skipped; names that are
 * not `<DNS label>.json`, temp files included, are ignored). Throws
 * InvalidInputError naming a file that is not JSON, with `hint`; the fs error
 * for anything but a missing directory or file. `parse`: a file kind of its own
 * form (the intents' two copies) reads its text so, throwing its own errors. `texts`: a reconcile loop's kept texts.
 */
export async function readAppFiles(dir: string, hint: string, parse?: (text: string, path: string) => unknown, texts?: FileTexts): Promise<Array<{ id: string; path: string; value: unknown }>> {
  const out: Array<{ id: string; path: string; value: unknown }> = [];
  const files = readDirSyncIfExists(dir)
    .sort()
    .map((name) => ({ id: name.endsWith('.json') ? name.slice(0, -'.json'.length) : '', path: join(dir, name) }))
    .filter(({ id }) => DNS_LABEL.test(id));
  const read = readTextsIfExist(files.map((f) => f.path), texts);
  for (const [i, { id, path }] of files.entries()) {
    const text = read[i];
    if (text === undefined) continue;
    out.push({ id, path, value: parse ? parse(text, path) : parseJsonFile(text, path, hint) });
  }
  return out;
}
