import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotOwnedError } from '../../src/errors.js';
import { isOwned, OWNERSHIP_MARKER } from '../../src/render/types.js';
import { defaultFileIo as fileIo, sweepDeadTemps, writeFileAtomic, writeFilesAtomic, type AtomicWriteIo, type FileWriteIo } from '../../src/store/atomic-write.js';
import { readUnitDir } from '../../src/store/node/unit-dir.js';

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

  it('makes the content durable before the rename and the rename durable after it: the file, then its directory, fsynced', async () => {
    writeFileSync(at('a'), 'old');
    const log: string[] = [];
    const names = new Map<number, string>();
    const io: FileWriteIo = {
      ...fileIo,
      openSync: (p, ...rest) => {
        const fd = fileIo.openSync(p, ...rest);
        names.set(fd, String(p) === dir ? 'dir' : String(p).slice(dir.length + 1).replace(/-[0-9a-f]{8}$/, '-HEX'));
        return fd;
      },
      renameSync: (from, to) => (log.push('rename'), fileIo.renameSync(from, to)),
      fsync: (fd) => (log.push(`fsync ${names.get(fd)}`), fileIo.fsync(fd)),
    };
    await writeFileAtomic(at('a'), 'new', { io });
    expect(log).toEqual([`fsync .a.tmp-${process.pid}-${NS}-HEX`, 'rename', 'fsync dir']);
    expect(readFileSync(at('a'), 'utf8')).toBe('new');
  });

  it('a failed fsync of the staged content renames nothing: the target keeps its old content, no temp file is left', async () => {
    writeFileSync(at('a'), 'old');
    const io: FileWriteIo = { ...fileIo, fsync: async () => Promise.reject(Object.assign(new Error('EIO: simulated'), { code: 'EIO' })) };
    await expect(writeFileAtomic(at('a'), 'new', { io })).rejects.toThrow(/simulated/);
    expect(readFileSync(at('a'), 'utf8')).toBe('old');
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

/** The PID namespace of this process, as temp names carry it. */
const NS = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))![1]!;
const temp = (target: string, pid: number, tag = 'tmp', ns = NS): string => `.${target}.${tag}-${pid}-${ns}-0badc0de`;

/** The PID of a process that has run and exited (and been reaped): a writer that was killed. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('close', resolve));
  return child.pid!;
}

describe('temp files of killed writes', () => {
  it('writeFileAtomic sweeps those of a writer that is gone, from its own directory only', async () => {
    const dead = await deadPid();
    const names = [temp('a', dead), temp('b.container', dead), temp('b.container', dead, 'old')];
    for (const n of names) writeFileSync(at(n), 'half written');
    mkdirSync(at('other'));
    writeFileSync(join(dir, 'other', temp('c', dead)), 'half written');
    await writeFileAtomic(at('a'), 'new');
    expect(readdirSync(dir).sort()).toEqual(['a', 'other']);
    expect(readdirSync(at('other'))).toEqual([temp('c', dead)]);
  });

  it('keeps a live writer\'s temp file, one from another PID namespace, and every other file', async () => {
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      const dead = await deadPid();
      const keep = [
        temp('a', live.pid!),
        temp('a', process.pid),
        temp('a', dead, 'tmp', '4026531999'),
        '.a.tmp-1234', // not our pattern
        `.a.tmp-${dead}-${NS}-xyz`,
        `a.tmp-${dead}-${NS}-0badc0de`, // not hidden
        `.a.new-${dead}-${NS}-0badc0de`,
        '.hidden',
        'notes.txt',
      ];
      for (const n of keep) writeFileSync(at(n), 'x');
      await writeFileAtomic(at('a'), 'new');
      expect(readdirSync(dir).sort()).toEqual([...keep, 'a'].sort());
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('writeFilesAtomic sweeps every directory it writes to once the targets are known to be ours', async () => {
    const dead = await deadPid();
    writeFileSync(at(temp('a.container', dead)), 'half');
    writeFileSync(at('mine.container'), 'handmade');
    // Refused: nothing is written, and nothing is swept either.
    await expect(writeFilesAtomic([{ path: at('mine.container'), content: ours('x') }], { owned: isOwned })).rejects.toThrow(NotOwnedError);
    expect(readdirSync(dir).sort()).toEqual([temp('a.container', dead), 'mine.container'].sort());
    await writeFilesAtomic([{ path: at('a.container'), content: ours('a') }], { owned: isOwned });
    expect(readdirSync(dir).sort()).toEqual(['a.container', 'mine.container']);
  });

  it('sweepDeadTemps names what it removed; the pattern is the one the writers use', async () => {
    const dead = await deadPid();
    writeFileSync(at(temp('x', dead)), 'half');
    expect(await sweepDeadTemps(dir)).toEqual([temp('x', dead)]);
    // A write that fails after staging leaves no temp file: the pattern above is what a killed one would leave.
    const seen: string[] = [];
    const io: FileWriteIo = {
      ...fileIo,
      openSync: (p, ...rest) => (seen.push(String(p)), fileIo.openSync(p, ...rest)),
      renameSync: () => {
        throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
      },
    };
    await expect(writeFileAtomic(at('y'), 'new', { io })).rejects.toThrow(/simulated/);
    expect(seen.map((p) => p.slice(dir.length + 1))).toEqual([expect.stringMatching(new RegExp(`^\\.y\\.tmp-${process.pid}-${NS}-[0-9a-f]{8}$`))]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('writeFilesAtomic: a large batch is made durable by one syncfs before any rename', () => {
  const many = (n: number, body: string): Array<{ path: string; content: string }> =>
    Array.from({ length: n }, (_, i) => ({ path: at(`u${String(i).padStart(3, '0')}.container`), content: ours(`${body} ${i}`) }));

  it('writes the temp files without an fsync each, syncs their file system once, then renames; a small batch fsyncs each file', async () => {
    const log: string[] = [];
    const io: AtomicWriteIo = {
      ...nodeFs,
      writeFile: async (p, data, o) => (log.push(`write${(o as { flush?: boolean }).flush ? '+fsync' : ''}`), nodeFs.writeFile(p, data, o)),
      rename: async (from, to) => (log.push('rename'), nodeFs.rename(from, to)),
      syncFileSystems: async (dirs) => void log.push(`syncfs ${dirs.map((d) => d.slice(dir.length)).join(',') || '.'}`),
    };
    await writeFilesAtomic(many(100, 'new'), { io });
    expect(log.filter((e) => e.startsWith('syncfs'))).toEqual(['syncfs .']);
    expect(log.indexOf('syncfs .')).toBe(100);
    expect(new Set(log.slice(0, 100))).toEqual(new Set(['write']));
    expect(new Set(log.slice(101))).toEqual(new Set(['rename']));
    expect(readdirSync(dir)).toHaveLength(100);

    log.length = 0;
    await writeFilesAtomic(many(3, 'small'), { io });
    expect(log).toEqual(['write+fsync', 'write+fsync', 'write+fsync', 'rename', 'rename', 'rename']);
  });

  it('a failed sync renames nothing: every target keeps its old content and no temp file is left', async () => {
    await writeFilesAtomic(many(100, 'old'));
    const io: AtomicWriteIo = { ...nodeFs, syncFileSystems: async () => Promise.reject(new Error('sync --file-system: EIO: simulated')) };
    await expect(writeFilesAtomic(many(100, 'new'), { io })).rejects.toThrow(/simulated/);
    expect(readdirSync(dir)).toHaveLength(100);
    expect(readFileSync(at('u042.container'), 'utf8')).toBe(ours('old 42'));
  });

  it('without a sync command to run, each staged file is fsynced instead', async () => {
    const fsynced: string[] = [];
    const io: AtomicWriteIo = {
      ...nodeFs,
      open: (async (p: string, flags?: string) => {
        const handle = await nodeFs.open(p, flags);
        const sync = handle.sync.bind(handle);
        return Object.assign(handle, { sync: async () => (fsynced.push(p), sync()) });
      }) as typeof nodeFs.open,
      syncFileSystems: async () => Promise.reject(Object.assign(new Error('spawn sync ENOENT'), { code: 'ENOENT' })),
    };
    await writeFilesAtomic(many(80, 'new'), { io });
    expect(fsynced.filter((p) => p.includes('.tmp-'))).toHaveLength(80);
    expect(readFileSync(at('u079.container'), 'utf8')).toBe(ours('new 79'));
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
