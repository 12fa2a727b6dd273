import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { clearIntent, readIntent, readIntents, SLOT_BYTES, writeIntent } from '../../src/store/state/intents.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intents-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('intents', () => {
  it('writes one file per app, two copies of a page each, no temp files left', async () => {
    await writeIntent(dir, 'lnd', 'stopped', new Date('2030-01-01T00:00:00Z'));
    const text = await readFile(join(dir, 'intents/lnd.json'), 'utf8');
    expect(text.length).toBe(2 * SLOT_BYTES);
    expect(JSON.parse(text.slice(0, SLOT_BYTES))).toMatchObject({ seq: 1, record: { id: 'lnd', intent: 'stopped', at: '2030-01-01T00:00:00.000Z' } });
    expect(text.slice(SLOT_BYTES).trim()).toBe('');
    await writeIntent(dir, 'lnd', 'running');
    await writeIntent(dir, 'bitcoind', 'stopped');
    expect((await readIntent(dir, 'lnd'))?.intent).toBe('running');
    expect(await readdir(join(dir, 'intents'))).toEqual(['bitcoind.json', 'lnd.json']);
    expect([...(await readIntents(dir)).keys()]).toEqual(['bitcoind', 'lnd']);
  });

  it('an absent intent or directory is no intent', async () => {
    expect(await readIntent(dir, 'lnd')).toBeUndefined();
    expect((await readIntents(dir)).size).toBe(0);
  });

  it('clear removes it', async () => {
    await writeIntent(dir, 'lnd', 'stopped');
    await clearIntent(dir, 'lnd');
    expect(await readIntent(dir, 'lnd')).toBeUndefined();
  });

  it('a corrupt file is an error naming it', async () => {
    await mkdir(join(dir, 'intents'));
    await writeFile(join(dir, 'intents/lnd.json'), '{"intent":"paused"}');
    await expect(readIntent(dir, 'lnd')).rejects.toThrow(/intents\/lnd\.json \/intent: must be "running" or "stopped"/);
  });

  it('a later record overwrites the older copy in place: same file, seq one higher, the newer copy kept', async () => {
    const path = join(dir, 'intents/lnd.json');
    await writeIntent(dir, 'lnd', 'running', new Date('2030-01-01T00:00:00Z'));
    const inode = (await stat(path)).ino;
    await writeIntent(dir, 'lnd', 'stopped', new Date('2030-01-01T00:01:00Z'));
    await writeIntent(dir, 'lnd', 'running', new Date('2030-01-01T00:02:00Z'), ['x']);
    expect((await stat(path)).ino).toBe(inode);
    const text = await readFile(path, 'utf8');
    const copies = [0, 1].map((i) => JSON.parse(text.slice(i * SLOT_BYTES, (i + 1) * SLOT_BYTES)) as { seq: number; record: { intent: string } });
    expect(copies.map((c) => [c.seq, c.record.intent])).toEqual([
      [3, 'running'],
      [2, 'stopped'],
    ]);
    expect(await readIntent(dir, 'lnd')).toEqual({ id: 'lnd', intent: 'running', at: '2030-01-01T00:02:00.000Z', stopped: ['x'] });
    expect(await readdir(join(dir, 'intents'))).toEqual(['lnd.json']);
  });

  it('a torn newer copy (a crash mid-write) reads as the older one, and the next write replaces the torn one', async () => {
    const path = join(dir, 'intents/lnd.json');
    await writeIntent(dir, 'lnd', 'running', new Date('2030-01-01T00:00:00Z'));
    await writeIntent(dir, 'lnd', 'stopped', new Date('2030-01-01T00:01:00Z'));
    // The write of seq 2 (the second copy) torn after its first 512-byte sector: the rest is what was there.
    const text = await readFile(path, 'utf8');
    const torn = text.slice(0, SLOT_BYTES) + text.slice(SLOT_BYTES, SLOT_BYTES + 20) + 'x'.repeat(SLOT_BYTES - 21) + '\n';
    await writeFile(path, torn);
    expect(await readIntent(dir, 'lnd')).toEqual({ id: 'lnd', intent: 'running', at: '2030-01-01T00:00:00.000Z' });
    expect((await readIntents(dir)).get('lnd')?.intent).toBe('running');
    await writeIntent(dir, 'lnd', 'stopped', new Date('2030-01-01T00:02:00Z'));
    const after = await readFile(path, 'utf8');
    expect(after.slice(0, SLOT_BYTES)).toBe(text.slice(0, SLOT_BYTES));
    expect(JSON.parse(after.slice(SLOT_BYTES))).toMatchObject({ seq: 2, record: { intent: 'stopped', at: '2030-01-01T00:02:00.000Z' } });
  });

  it('a copy edited by hand fails its CRC and is not read; with neither copy intact the error names the file', async () => {
    const path = join(dir, 'intents/lnd.json');
    await writeIntent(dir, 'lnd', 'stopped', new Date('2030-01-01T00:00:00Z'));
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"stopped"', '"running"'));
    await expect(readIntent(dir, 'lnd')).rejects.toThrow(/intents\/lnd\.json: neither copy of the record is intact/);
    await expect(readIntents(dir)).rejects.toBeInstanceOf(InvalidInputError);
    // The next write starts the file afresh.
    await writeIntent(dir, 'lnd', 'running', new Date('2030-01-01T00:01:00Z'));
    expect((await readIntent(dir, 'lnd'))?.intent).toBe('running');
  });

  it('reads a file of one plain record (earlier versions) and replaces it with the two-copy form on the next write', async () => {
    const path = join(dir, 'intents/lnd.json');
    await mkdir(join(dir, 'intents'));
    await writeFile(path, '{"id":"lnd","intent":"stopped","at":"2029-01-01T00:00:00.000Z"}\n');
    expect(await readIntent(dir, 'lnd')).toEqual({ id: 'lnd', intent: 'stopped', at: '2029-01-01T00:00:00.000Z' });
    await writeIntent(dir, 'lnd', 'running', new Date('2030-01-01T00:00:00Z'));
    expect((await readFile(path, 'utf8')).length).toBe(2 * SLOT_BYTES);
    expect((await readIntent(dir, 'lnd'))?.intent).toBe('running');
  });

  it('a record too long for a copy (hundreds of instances stopped) is written whole as one plain record, and read back', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `shard-${String(i).padStart(3, "0")}-of-the-indexer`);
    await writeIntent(dir, 'idx', 'running', new Date('2030-01-01T00:00:00Z'));
    await writeIntent(dir, 'idx', 'running', new Date('2030-01-01T00:01:00Z'), many);
    expect(JSON.parse(await readFile(join(dir, 'intents/idx.json'), 'utf8'))).toMatchObject({ id: 'idx', stopped: many });
    expect((await readIntent(dir, 'idx'))?.stopped).toEqual(many);
    await writeIntent(dir, 'idx', 'stopped', new Date('2030-01-01T00:02:00Z'));
    expect((await readFile(join(dir, 'intents/idx.json'), 'utf8')).length).toBe(2 * SLOT_BYTES);
    expect((await readIntent(dir, 'idx'))?.intent).toBe('stopped');
  });

  it('refuses an id that is not a DNS label (it names a file)', async () => {
    await expect(writeIntent(dir, '../x', 'stopped')).rejects.toBeInstanceOf(InvalidInputError);
  });
});
