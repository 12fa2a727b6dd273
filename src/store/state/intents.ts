/**
 * The user's lifecycle intent per app, persisted in
 * `<state-dir>/intents/<id>.json` as `{"id":"lnd","intent":"stopped","at":"…"}` (a template app whose user stopped
 * instances on their own: `{"id":"indexer","intent":"running","at":"…","stopped":["2"]}`).
 * `stop` records `stopped` before it asks systemd to stop the unit, so a
 * user-stopped app stays stopped across reboots and reconciler passes;
 * `start`/`restart` record `running`, which replaces it. Each write is atomic
 * and durable (`writeFileAtomic`): a crash leaves the old or the new record.
 */
import { rm } from 'node:fs/promises';
import type { Intent } from '../../controller/types.js';
import { InvalidInputError } from '../../errors.js';
import { INSTANCE_NAME } from '../../naming.js';
import { readTextIfExists } from '../fs.js';
import { appFile, stateLayout } from './layout.js';
import { readAppFiles, writeStateFile } from './state-file.js';

const HINT = 'delete the file to clear the intent';

/** One app's persisted intent. */
export interface IntentRecord {
  id: string;
  intent: Intent;
  /** ISO-8601 time it was recorded. */
  at: string;
  /**
   * With `running`: the instances of a template app the user stopped on their own (`stop indexer@2`), in manifest
   * order; a start of one takes it out, a start, stop or restart of the app clears the list (issue 17).
   */
  stopped?: string[];
}

function intentPath(stateDir: string, id: string): string {
  return appFile(stateLayout(stateDir).intents, id);
}

function toRecord(value: unknown, path: string, id: string): IntentRecord {
  const rec = value as Partial<IntentRecord>;
  if (typeof rec !== 'object' || rec === null || (rec.intent !== 'running' && rec.intent !== 'stopped')) {
    throw new InvalidInputError([{ file: path, pointer: '/intent', message: 'must be "running" or "stopped"', hint: HINT }]);
  }
  const stopped = rec.stopped;
  if (stopped !== undefined && (!Array.isArray(stopped) || !stopped.every((i) => typeof i === 'string' && INSTANCE_NAME.test(i)) || rec.intent !== 'running')) {
    throw new InvalidInputError([{ file: path, pointer: '/stopped', message: 'must be a list of instance names, with "intent": "running"', hint: HINT }]);
  }
  return { id, intent: rec.intent, at: typeof rec.at === 'string' ? rec.at : '', ...(stopped && stopped.length > 0 ? { stopped } : {}) };
}

/** The intent recorded for `id`, or undefined. Throws InvalidInputError for an invalid id or a corrupt file, and on IO errors. */
export async function readIntent(stateDir: string, id: string): Promise<IntentRecord | undefined> {
  const path = intentPath(stateDir, id);
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError([{ file: path, message: `not JSON: ${(err as Error).message}`, hint: HINT }]);
  }
  return toRecord(value, path, id);
}

/** Every recorded intent, by app id (an absent directory means none). Throws like {@link readIntent}. */
export async function readIntents(stateDir: string): Promise<Map<string, IntentRecord>> {
  const out = new Map<string, IntentRecord>();
  for (const { id, path, value } of await readAppFiles(stateLayout(stateDir).intents, HINT)) out.set(id, toRecord(value, path, id));
  return out;
}

/**
 * Records `intent` for `id` atomically (with `stopped`: the template app's instances the user stopped on their own,
 * only with `running`); resolves once it is durable. Throws InvalidInputError for an invalid id, and on IO errors.
 */
export async function writeIntent(stateDir: string, id: string, intent: Intent, at: Date = new Date(), stopped: readonly string[] = []): Promise<IntentRecord> {
  const record: IntentRecord = { id, intent, at: at.toISOString(), ...(intent === 'running' && stopped.length > 0 ? { stopped: [...stopped] } : {}) };
  await writeStateFile(intentPath(stateDir, id), `${JSON.stringify(record)}\n`);
  return record;
}

/** Removes the intent of `id` (no error when there is none). */
export async function clearIntent(stateDir: string, id: string): Promise<void> {
  await rm(intentPath(stateDir, id), { force: true });
}
