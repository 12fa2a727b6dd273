/**
 * The user's lifecycle intent per app, persisted in
 * `<state-dir>/intents/<id>.json` as `{"id":"lnd","intent":"stopped","at":"…"}`.
 * `stop` records `stopped` before it asks systemd to stop the unit, so a
 * user-stopped app stays stopped across reboots and reconciler passes;
 * `start`/`restart` record `running`, which replaces it. Each write is atomic
 * and durable (`writeFileAtomic`): a crash leaves the old or the new record.
 */
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import type { Intent } from '../controller/types.js';
import { DNS_LABEL } from '../naming.js';
import { writeFileAtomic } from './atomic-write.js';

/** One app's persisted intent. */
export interface IntentRecord {
  id: string;
  intent: Intent;
  /** ISO-8601 time it was recorded. */
  at: string;
}

/** `<stateDir>/intents`. */
export function intentsDir(stateDir: string): string {
  return join(stateDir, 'intents');
}

function intentPath(stateDir: string, id: string): string {
  if (!DNS_LABEL.test(id)) {
    throw new InvalidInputError([{ file: intentsDir(stateDir), message: `invalid app id ${JSON.stringify(id)}`, hint: 'an app id is a DNS label' }]);
  }
  return join(intentsDir(stateDir), `${id}.json`);
}

function parseRecord(text: string, path: string, id: string): IntentRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError([{ file: path, message: `not JSON: ${(err as Error).message}`, hint: 'delete the file to clear the intent' }]);
  }
  const rec = value as Partial<IntentRecord>;
  if (typeof rec !== 'object' || rec === null || (rec.intent !== 'running' && rec.intent !== 'stopped')) {
    throw new InvalidInputError([{ file: path, pointer: '/intent', message: 'must be "running" or "stopped"', hint: 'delete the file to clear the intent' }]);
  }
  return { id, intent: rec.intent, at: typeof rec.at === 'string' ? rec.at : '' };
}

/** The intent recorded for `id`, or undefined. Throws InvalidInputError for a corrupt file, and on IO errors. */
export async function readIntent(stateDir: string, id: string): Promise<IntentRecord | undefined> {
  const path = intentPath(stateDir, id);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseRecord(text, path, id);
}

/** Every recorded intent, by app id (an absent directory means none). Throws like {@link readIntent}. */
export async function readIntents(stateDir: string): Promise<Map<string, IntentRecord>> {
  const dir = intentsDir(stateDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  const out = new Map<string, IntentRecord>();
  for (const name of names.sort()) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    const id = name.slice(0, -'.json'.length);
    if (!DNS_LABEL.test(id)) continue;
    const rec = await readIntent(stateDir, id);
    if (rec) out.set(id, rec);
  }
  return out;
}

/** Records `intent` for `id` atomically; resolves once it is durable. Throws on IO errors. */
export async function writeIntent(stateDir: string, id: string, intent: Intent, at: Date = new Date()): Promise<IntentRecord> {
  const path = intentPath(stateDir, id);
  const record: IntentRecord = { id, intent, at: at.toISOString() };
  await mkdir(intentsDir(stateDir), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, `${JSON.stringify(record)}\n`);
  return record;
}

/** Removes the intent of `id` (no error when there is none). */
export async function clearIntent(stateDir: string, id: string): Promise<void> {
  await rm(intentPath(stateDir, id), { force: true });
}
