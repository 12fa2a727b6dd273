/**
 * The user's lifecycle intent per app, persisted in `<state-dir>/intents/<id>.json`: the record
 * `{"id":"lnd","intent":"stopped","at":"…"}` (a template app whose user stopped instances on their own:
 * `{"id":"indexer","intent":"running","at":"…","stopped":["2"]}`).
 * `stop` records `stopped` before it asks systemd to stop the unit, so a
 * user-stopped app stays stopped across reboots and reconciler passes;
 * `start`/`restart` record `running`, which replaces it.
 *
 * A click's record is durable with one `fdatasync(2)` of a file overwritten in place, where an atomic replacement
 * takes an fsync, a rename and the directory's fsync (issue 15; `bench/intent-write.mjs`: 0.42× the atomic
 * replacement's time at p50, alone; right after a stop, both wait for the disk's cache flush behind the container's
 * own writes, docs/performance.md).
 * The file holds two copies, each a JSON line `{"seq":N,"record":{…},"crc32":C}` padded with spaces to fill one
 * page of 4,096 bytes ({@link SLOT_BYTES}); a write replaces the older copy with `seq` one higher, and a reader takes
 * the intact copy (CRC-32 of `{"seq","record"}` as written) with the highest `seq`. A crash mid-write tears at
 * most the copy being written: the other is still the last record made durable. `jq -s 'max_by(.seq).record'`
 * reads the file. The first record of an app, and one too long for a copy, is written atomically as a new file
 * (`writeFileAtomic`); a file holding one plain JSON record (earlier versions) is read as it is and replaced by the
 * two-copy form on the next write. A file of the two-copy size is read as two copies only.
 */
import { closeSync, fdatasync, openSync, readSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import type { Intent } from '../../controller/types.js';
import { InvalidInputError } from '../../errors.js';
import { INSTANCE_NAME } from '../../naming.js';
import { isMissing, readTextIfExists } from '../fs.js';
import { appFile, stateLayout } from './layout.js';
import type { FileTexts } from '../file-texts.js';
import { parseJsonFile, readAppFiles, writeStateFile } from './state-file.js';

const HINT = 'delete the file to clear the intent';
const fdatasyncOf = promisify(fdatasync);

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

/** Bytes of one copy of the record: a page of its own, so an in-place write of one never touches the other. */
export const SLOT_BYTES = 4096;
const FILE_BYTES = 2 * SLOT_BYTES;

/** One copy as written: `{"seq":N,"record":{…},"crc32":C}`, spaces, a newline; undefined when it does not fit. */
function slotText(seq: number, record: IntentRecord): string | undefined {
  const body = JSON.stringify({ seq, record });
  const line = `${body.slice(0, -1)},"crc32":${crc32(body)}}`;
  const size = Buffer.byteLength(line);
  return size < SLOT_BYTES ? `${line}${' '.repeat(SLOT_BYTES - 1 - size)}\n` : undefined;
}

/** The copy in `text` when it is intact (parses, its CRC matches), else undefined. */
function readSlot(text: string): { seq: number; record: unknown } | undefined {
  let v: { seq?: unknown; record?: unknown; crc32?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || typeof v.seq !== 'number' || typeof v.crc32 !== 'number') return undefined;
  return crc32(JSON.stringify({ seq: v.seq, record: v.record })) === v.crc32 ? { seq: v.seq, record: v.record } : undefined;
}

/** The intact copies of a two-copy file's text, highest `seq` first, with their index (0 or 1). */
function slotsOf(text: string): Array<{ index: number; seq: number; record: unknown }> {
  return [0, 1]
    .flatMap((index) => {
      const slot = readSlot(text.slice(index * SLOT_BYTES, (index + 1) * SLOT_BYTES));
      return slot ? [{ index, ...slot }] : [];
    })
    .sort((a, b) => b.seq - a.seq);
}

/**
 * The record a file's text holds: the newest intact copy of the two-copy form, else the text as one JSON record
 * (earlier versions). Throws InvalidInputError naming `path` when it is neither.
 */
function recordOf(text: string, path: string): unknown {
  if (text.length === FILE_BYTES) {
    const slot = slotsOf(text)[0];
    if (slot) return slot.record;
    throw new InvalidInputError([{ file: path, message: 'neither copy of the record is intact (a CRC-32 or its JSON does not match)', hint: HINT }]);
  }
  return parseJsonFile(text, path, HINT);
}

/** The intent recorded for `id`, or undefined. Throws InvalidInputError for an invalid id or a corrupt file, and on IO errors. */
export async function readIntent(stateDir: string, id: string): Promise<IntentRecord | undefined> {
  const path = intentPath(stateDir, id);
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  return toRecord(recordOf(text, path), path, id);
}

/** Every recorded intent, by app id (an absent directory means none); `texts`: a reconcile loop's kept texts. Throws like {@link readIntent}. */
export async function readIntents(stateDir: string, texts?: FileTexts): Promise<Map<string, IntentRecord>> {
  const out = new Map<string, IntentRecord>();
  for (const { id, path, value } of await readAppFiles(stateLayout(stateDir).intents, HINT, recordOf, texts)) out.set(id, toRecord(value, path, id));
  return out;
}

/**
 * Replaces the older copy in the two-copy file at `path` with `record` and makes it durable (one `fdatasync`).
 * Resolves false when there is no such file to write into (absent, one plain record, neither copy intact) or the
 * record does not fit a copy: the caller writes a new file then. Throws the fs error of the write; the newer copy
 * then still holds the last record.
 *
 * The open, the read of 8 KiB, the write of one page into the page cache and the close are synchronous: only the
 * `fdatasync`, the one step that waits for the disk, goes through libuv's thread pool. Each promise-API step is a
 * round trip through the pool and back to the event loop; on 2 busy cores five of them took 1.41 ms at p50 and
 * 7.09 ms at p90, the one round trip 0.63 and 0.93 ms (issue 15, docs/performance.md, "A click's writes").
 */
async function overwriteOlderCopy(path: string, record: IntentRecord): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
  try {
    const buf = Buffer.alloc(FILE_BYTES + 1);
    const bytesRead = readSync(fd, buf, 0, buf.length, 0);
    const newest = bytesRead === FILE_BYTES ? slotsOf(buf.toString('utf8', 0, bytesRead))[0] : undefined;
    const text = newest && slotText(newest.seq + 1, record);
    if (!newest || text === undefined) return false;
    writeSync(fd, text, (1 - newest.index) * SLOT_BYTES, 'utf8');
    await fdatasyncOf(fd);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Records `intent` for `id` (with `stopped`: the template app's instances the user stopped on their own, only with
 * `running`); resolves once it is durable: one `fdatasync` of the app's file when it exists, else a new file written
 * atomically (see the module's docs). Throws InvalidInputError for an invalid id, and on IO errors (the last
 * record stays readable then).
 */
export async function writeIntent(stateDir: string, id: string, intent: Intent, at: Date = new Date(), stopped: readonly string[] = []): Promise<IntentRecord> {
  const record: IntentRecord = { id, intent, at: at.toISOString(), ...(intent === 'running' && stopped.length > 0 ? { stopped: [...stopped] } : {}) };
  const path = intentPath(stateDir, id);
  if (await overwriteOlderCopy(path, record)) return record;
  const first = slotText(1, record);
  await writeStateFile(path, first === undefined ? `${JSON.stringify(record)}\n` : `${first}${' '.repeat(SLOT_BYTES - 1)}\n`);
  return record;
}

/** Removes the intent of `id` (no error when there is none). */
export async function clearIntent(stateDir: string, id: string): Promise<void> {
  await rm(intentPath(stateDir, id), { force: true });
}
