/**
 * What the reconciler remembers per app, in the state directory (`layout.ts`):
 * `apps/<id>.json` (the content hash its services were last started with, its
 * unit files and config paths, a failed revision) and `last-good/<id>.json`
 * (the exact files of its last healthy start, restored by a rollback; 0600
 * because configs may carry credentials). Every write is atomic.
 */
import { rm } from 'node:fs/promises';
import { InvalidInputError } from '../../errors.js';
import type { AppRecord } from '../../reconcile/types.js';
import { readTextIfExists } from '../fs.js';
import { appFile, stateLayout } from './layout.js';
import type { FileTexts } from '../file-texts.js';
import { readAppFiles, writeStateFile } from './state-file.js';

const HINT = 'delete the file; the next pass re-adopts the app';

/** The files an app last ran healthy with. */
export interface LastGood {
  units: Array<{ name: string; content: string }>;
  configs: Array<{ path: string; content: string; mode?: number; owner?: { uid: number; gid?: number } }>;
}

/** The parsed JSON at `path`, undefined when there is no file. Throws InvalidInputError when it cannot be read or parsed. */
async function readJson(path: string): Promise<unknown> {
  try {
    const text = await readTextIfExists(path);
    return text === undefined ? undefined : JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError([{ file: path, message: `unreadable: ${(err as Error).message}`, hint: HINT }]);
  }
}

function isRecord(v: unknown): v is AppRecord {
  const r = v as AppRecord;
  return typeof r === 'object' && r !== null && typeof r.hash === 'string' && Array.isArray(r.units) && Array.isArray(r.configs);
}

/** Every app record by id; `texts`: a reconcile loop's kept texts. Throws InvalidInputError for a corrupt record (naming the file). */
export async function readRecords(stateDir: string, texts?: FileTexts): Promise<Record<string, AppRecord>> {
  const out: Record<string, AppRecord> = {};
  for (const { id, path, value } of await readAppFiles(stateLayout(stateDir).apps, HINT, undefined, texts)) {
    if (!isRecord(value)) throw new InvalidInputError([{ file: path, message: 'not an app record', hint: HINT }]);
    out[id] = value;
  }
  return out;
}

/** Records app `id`; durable when it resolves. Throws InvalidInputError for an invalid id, the fs error of a failed write. */
export async function writeRecord(stateDir: string, id: string, record: AppRecord): Promise<void> {
  await writeStateFile(appFile(stateLayout(stateDir).apps, id), `${JSON.stringify(record, null, 2)}\n`);
}

/** Forgets an app: its record and its last-good files. */
export async function removeRecord(stateDir: string, id: string): Promise<void> {
  const layout = stateLayout(stateDir);
  await rm(appFile(layout.apps, id), { force: true });
  await rm(appFile(layout.lastGood, id), { force: true });
}

/** Keeps `files` as app `id`'s last-good set (0600); durable when it resolves. */
export async function writeLastGood(stateDir: string, id: string, files: LastGood): Promise<void> {
  await writeStateFile(appFile(stateLayout(stateDir).lastGood, id), `${JSON.stringify(files)}\n`, 0o600);
}

/** The last-good files of `id`, or undefined when it never ran healthy under us. Throws InvalidInputError for a corrupt file. */
export async function readLastGood(stateDir: string, id: string): Promise<LastGood | undefined> {
  const path = appFile(stateLayout(stateDir).lastGood, id);
  const value = (await readJson(path)) as LastGood | undefined;
  if (value !== undefined && (!Array.isArray(value.units) || !Array.isArray(value.configs))) {
    throw new InvalidInputError([{ file: path, message: 'not a last-good record' }]);
  }
  return value;
}
