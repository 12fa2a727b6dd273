import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotOwnedError } from '../../src/errors.js';
import { isOwned, OWNERSHIP_MARKER } from '../../src/render/types.js';
import { writeFileAtomic, writeFilesAtomic, type AtomicWriteIo } from '../../src/store/atomic-write.js';
import { readUnitDir } from '../../src/store/unit-dir.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'archy-quadlet-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ours = (body: string): string => `${OWNERSHIP_MARKER}; do not edit. source: manifests/a.yaml\n${body}`;
const at = (name: string): string => join(dir, name);

describe('writeFileAtomic', () => {
  it('replaces the content, with the mode asked for, and leaves no temp file', async () => {
    writeFileSync(at('a'), 'old');
    await writeFileAtomic(at('a'), 'new', { mode: 0o600 });
    expect(readFileSync(at('a'), 'utf8')).toBe('new');
    expect(statSync(at('a')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['a']);
  });
});

describe('writeFilesAtomic', () => {
  it('writes every file and removes the ones asked for', async () => {
    writeFileSync(at('a.container'), ours('old a'));
    writeFileSync(at('gone.container'), ours('old'));
    await writeFilesAtomic(
      [
        { path: at('a.container'), content: ours('new a') },
        { path: at('b.container'), content: ours('new b') },
      ],
      { owned: isOwned, remove: [at('gone.container')] },
    );
    expect(readdirSync(dir).sort()).toEqual(['a.container', 'b.container']);
    expect(readFileSync(at('a.container'), 'utf8')).toBe(ours('new a'));
  });

  it('refuses before writing anything when a target exists without our header, and names it', async () => {
    writeFileSync(at('a.container'), ours('old a'));
    writeFileSync(at('mine.container'), '[Container]\nImage=handmade\n');
    const err = await writeFilesAtomic(
      [
        { path: at('a.container'), content: ours('new a') },
        { path: at('mine.container'), content: ours('new') },
      ],
      { owned: isOwned },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotOwnedError);
    expect((err as Error).message).toContain(at('mine.container'));
    expect(readFileSync(at('mine.container'), 'utf8')).toBe('[Container]\nImage=handmade\n');
    expect(readFileSync(at('a.container'), 'utf8')).toBe(ours('old a'));
    expect(readdirSync(dir).sort()).toEqual(['a.container', 'mine.container']);
  });

  it('refuses to remove a file that is not ours', async () => {
    writeFileSync(at('mine.container'), 'handmade');
    await expect(writeFilesAtomic([], { owned: isOwned, remove: [at('mine.container')] })).rejects.toThrow(NotOwnedError);
    expect(readFileSync(at('mine.container'), 'utf8')).toBe('handmade');
  });

  it('a failure while staging leaves every old content and no temp file', async () => {
    writeFileSync(at('a.container'), ours('old a'));
    const err = await writeFilesAtomic([
      { path: at('a.container'), content: ours('new a') },
      { path: join(dir, 'missing-dir', 'b.container'), content: ours('new b') },
    ]).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(readFileSync(at('a.container'), 'utf8')).toBe(ours('old a'));
    expect(readdirSync(dir)).toEqual(['a.container']);
  });

  it('a rename failing mid-way puts back the files already replaced', async () => {
    writeFileSync(at('a.container'), ours('old a'));
    writeFileSync(at('b.container'), ours('old b'));
    let renames = 0;
    const io: AtomicWriteIo = {
      ...nodeFs,
      rename: async (from, to) => {
        // The second rename into place fails (the first of the rollback renames must still work).
        if (String(to).endsWith('b.container') && ++renames === 1) throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
        return nodeFs.rename(from, to);
      },
    };
    await expect(
      writeFilesAtomic(
        [
          { path: at('a.container'), content: ours('new a') },
          { path: at('b.container'), content: ours('new b') },
          { path: at('c.container'), content: ours('new c') },
        ],
        { owned: isOwned, io },
      ),
    ).rejects.toThrow(/simulated/);
    expect(readFileSync(at('a.container'), 'utf8')).toBe(ours('old a'));
    expect(readFileSync(at('b.container'), 'utf8')).toBe(ours('old b'));
    expect(readdirSync(dir).sort()).toEqual(['a.container', 'b.container']);
  });
});

describe('readUnitDir', () => {
  it('lists unit files with their content and ownership, ignoring other files', async () => {
    writeFileSync(at('a.container'), ours('x'));
    writeFileSync(at('b.network'), '[Network]\n');
    writeFileSync(at('notes.txt'), 'hi');
    expect(await readUnitDir(dir)).toEqual([
      { name: 'a.container', content: ours('x'), owned: true },
      { name: 'b.network', content: '[Network]\n', owned: false },
    ]);
  });

  it('reads a missing directory as empty', async () => {
    expect(await readUnitDir(join(dir, 'nope'))).toEqual([]);
  });
});
