import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { clearIntent, readIntent, readIntents, writeIntent } from '../../src/store/state/intents.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'intents-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('intents', () => {
  it('writes one file per app, replaced atomically, no temp files left', async () => {
    await writeIntent(dir, 'lnd', 'stopped', new Date('2030-01-01T00:00:00Z'));
    expect(JSON.parse(await readFile(join(dir, 'intents/lnd.json'), 'utf8'))).toEqual({ id: 'lnd', intent: 'stopped', at: '2030-01-01T00:00:00.000Z' });
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

  it('refuses an id that is not a DNS label (it names a file)', async () => {
    await expect(writeIntent(dir, '../x', 'stopped')).rejects.toBeInstanceOf(InvalidInputError);
  });
});
