/**
 * What the reconciler remembers per app, in the state directory:
 * `apps/<id>.json` (the content hash its services were last started with, its
 * unit files and config paths, a failed revision) and `last-good/<id>.json`
 * (the exact files of its last healthy start, restored by a rollback; 0600
 * because configs may carry credentials). Every write is atomic.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { DNS_LABEL } from '../naming.js';
import type { AppRecord } from '../reconcile/types.js';
import { readAppFiles, writeStateFile } from './state-file.js';

const HINT = 'delete the file; the next pass re-adopts the app';

/** The files an app last ran healthy with. */
export interface LastGood {
  units: Array<{ name: string; content: string }>;
  configs: Array<{ path: string; content: string; mode?: number }>;
}

function appsDir(stateDir: string): string {
  return join(stateDir, 'apps');
}
function lastGoodPath(stateDir: string, id: string): string {
  return join(stateDir, 'last-good', `${checkId(stateDir, id)}.json`);
}
function checkId(stateDir: string, id: string): string {
  if (!DNS_LABEL.test(id)) throw new InvalidInputError([{ file: stateDir, message: `invalid app id ${JSON.stringify(id)}` }]);
  return id;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InvalidInputError([{ file: path, message: `unreadable: ${(err as Error).message}`, hint: HINT }]);
  }
}

function isRecord(v: unknown): v is AppRecord {
  const r = v as AppRecord;
  return typeof r === 'object' && r !== null && typeof r.hash === 'string' && Array.isArray(r.units) && Array.isArray(r.configs);
}

/** Every app record by id. Throws InvalidInputError for a corrupt record (naming the file). */
export async function readRecords(stateDir: string): Promise<Record<string, AppRecord>> {
  const out: Record<string, AppRecord> = {};
  for (const { id, path, value } of await readAppFiles(appsDir(stateDir), HINT)) {
    if (!isRecord(value)) throw new InvalidInputError([{ file: path, message: 'not an app record', hint: HINT }]);
    out[id] = value;
  }
  return out;
}

export async function writeRecord(stateDir: string, id: string, record: AppRecord): Promise<void> {
  await writeStateFile(join(appsDir(stateDir), `${checkId(stateDir, id)}.json`), `${JSON.stringify(record, null, 2)}\n`);
}

/** Forgets an app: its record and its last-good files. */
export async function removeRecord(stateDir: string, id: string): Promise<void> {
  await rm(join(appsDir(stateDir), `${checkId(stateDir, id)}.json`), { force: true });
  await rm(lastGoodPath(stateDir, id), { force: true });
}

export async function writeLastGood(stateDir: string, id: string, files: LastGood): Promise<void> {
  await writeStateFile(lastGoodPath(stateDir, id), `${JSON.stringify(files)}\n`, 0o600);
}

/** The last-good files of `id`, or undefined when it never ran healthy under us. */
export async function readLastGood(stateDir: string, id: string): Promise<LastGood | undefined> {
  const path = lastGoodPath(stateDir, id);
  const value = (await readJson(path)) as LastGood | undefined;
  if (value !== undefined && (!Array.isArray(value.units) || !Array.isArray(value.configs))) {
    throw new InvalidInputError([{ file: path, message: 'not a last-good record' }]);
  }
  return value;
}
