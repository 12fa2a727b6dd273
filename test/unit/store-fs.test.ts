import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOnce, isMissing, readDirIfExists, readDirSyncIfExists, readTextIfExists, syncDir } from '../../src/store/fs.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'archy-quadlet-fs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = (name: string): string => join(dir, name);
const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('readTextIfExists', () => {
  it('reads a file, by path or file URL; a missing one is undefined', async () => {
    writeFileSync(at('a'), 'text\n');
    expect(await readTextIfExists(at('a'))).toBe('text\n');
    expect(await readTextIfExists(pathToFileURL(at('a')))).toBe('text\n');
    expect(await readTextIfExists(at('none'))).toBeUndefined();
    expect(await readTextIfExists(join(dir, 'no-dir', 'a'))).toBeUndefined();
  });

  it('throws every other error: a directory, a path through a file, a file it may not read', async () => {
    mkdirSync(at('d'));
    await expect(readTextIfExists(at('d'))).rejects.toMatchObject({ code: 'EISDIR' });
    writeFileSync(at('f'), '');
    await expect(readTextIfExists(join(at('f'), 'x'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    if (!asRoot) {
      writeFileSync(at('secret'), 'x');
      chmodSync(at('secret'), 0);
      await expect(readTextIfExists(at('secret'))).rejects.toMatchObject({ code: 'EACCES' });
    }
  });
});

describe('readDirIfExists', () => {
  it('lists names or entries; a missing directory has none; a file is an error', async () => {
    writeFileSync(at('a'), '');
    mkdirSync(at('d'));
    expect((await readDirIfExists(dir)).sort()).toEqual(['a', 'd']);
    expect((await readDirIfExists(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)).toEqual(['d']);
    expect(await readDirIfExists(at('none'))).toEqual([]);
    expect(await readDirIfExists(at('none'), { withFileTypes: true })).toEqual([]);
    await expect(readDirIfExists(at('a'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('readDirSyncIfExists answers the same, synchronously', () => {
    writeFileSync(at('a'), '');
    mkdirSync(at('d'));
    expect(readDirSyncIfExists(dir).sort()).toEqual(['a', 'd']);
    expect(readDirSyncIfExists(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)).toEqual(['d']);
    expect(readDirSyncIfExists(at('none'))).toEqual([]);
    expect(readDirSyncIfExists(at('none'), { withFileTypes: true })).toEqual([]);
    expect(() => readDirSyncIfExists(at('a'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
  });
});

describe('isMissing', () => {
  it('is ENOENT and nothing else', () => {
    expect(isMissing(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(true);
    expect(isMissing(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(false);
    expect(isMissing(undefined)).toBe(false);
  });
});

describe('syncDir', () => {
  it('opens the directory through the io it is given and closes it again, also when the fsync fails', async () => {
    const calls: string[] = [];
    const io = {
      open: (async (path: string, flags: string) => {
        calls.push(`open ${path} ${flags}`);
        const handle = await nodeFs.open(path, flags);
        return Object.assign(Object.create(handle) as nodeFs.FileHandle, {
          sync: async () => {
            calls.push('sync');
            throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
          },
          close: async () => {
            calls.push('close');
            await handle.close();
          },
        });
      }) as unknown as typeof nodeFs.open,
    };
    await expect(syncDir(dir, io)).rejects.toMatchObject({ code: 'EIO' });
    expect(calls).toEqual([`open ${dir} r`, 'sync', 'close']);
    await syncDir(dir);
  });
});

describe('createOnce', () => {
  it('creates the file whole with its mode and leaves no temp file', async () => {
    expect(await createOnce(at('s'), 'v1', { mode: 0o600 })).toEqual({ created: true, text: 'v1' });
    expect(readFileSync(at('s'), 'utf8')).toBe('v1');
    expect(statSync(at('s')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['s']);
  });

  it('never replaces a file: the existing text wins and is returned', async () => {
    writeFileSync(at('s'), 'first');
    expect(await createOnce(at('s'), 'second')).toEqual({ created: false, text: 'first' });
    expect(await createOnce(at('s'), 'third', { durable: false })).toEqual({ created: false, text: 'first' });
    expect(readFileSync(at('s'), 'utf8')).toBe('first');
    expect(readdirSync(dir)).toEqual(['s']);
  });

  it('of creators racing for one path exactly one wins, and every one sees its text', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => createOnce(at('race'), `value ${i}`, { durable: i % 2 === 0 })));
    const winners = results.filter((r) => r.created);
    expect(winners).toHaveLength(1);
    expect(new Set(results.map((r) => r.text))).toEqual(new Set([winners[0]!.text]));
    expect(readFileSync(at('race'), 'utf8')).toBe(winners[0]!.text);
    expect(readdirSync(dir)).toEqual(['race']);
  });

  it('throws when the directory is missing, and leaves nothing', async () => {
    await expect(createOnce(join(dir, 'no-dir', 's'), 'v')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  });
});
