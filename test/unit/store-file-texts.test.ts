import { mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTexts, RACY_MS, type FileStamp, type FileTextsIo } from '../../src/store/file-texts.js';
import { readUnitDir } from '../../src/store/node/unit-dir.js';
import { readRecords, writeRecord } from '../../src/store/state/records.js';
import { readManifestFiles } from '../../src/store/node/manifest-files.js';
import { readConfigFiles } from '../../src/store/node/config-files.js';

// A reconcile loop keeps the texts of the files it reads every pass and reads again only those a stat finds changed
// (issue 15: the 400-app no-op pass). What must hold: a kept text never hides a change a stat can see, and a change a
// stat cannot see (within the file system's timestamp tick) is not possible for a kept text, since only files whose
// times were RACY_MS old at their stat are kept.

/** A file system of one path whose stat and text the test sets, counting reads. */
function stagedIo(): FileTextsIo & { stamp: FileStamp | undefined; text: string; reads: number } {
  const io = {
    stamp: undefined as FileStamp | undefined,
    text: '',
    reads: 0,
    stat: () => (io.stamp ? { ...io.stamp } : undefined),
    read: () => {
      io.reads++;
      return io.text;
    },
  };
  return io;
}

const T = Date.parse('2026-12-01T12:00:00Z');
const stamp: FileStamp = { dev: 2049, ino: 131_077, size: 12, mtimeMs: T, ctimeMs: T };

describe('FileTexts, on a staged file', () => {
  it('keeps the text of a file older than RACY_MS and reads it again only when a stat field changes', () => {
    const io = stagedIo();
    io.stamp = stamp;
    io.text = 'Image=a:1.0\n';
    const texts = new FileTexts({ io, now: () => T + 10 * RACY_MS });
    expect(texts.read('/u/a.container')).toBe('Image=a:1.0\n');
    expect(texts.read('/u/a.container')).toBe('Image=a:1.0\n');
    expect(io.reads).toBe(1);
    // Each field alone makes it read again (each change keeps the ones before): another file renamed over it (ino,
    // dev), a write (size, mtime, ctime), an old mtime given back (ctime).
    const changes: Array<Partial<FileStamp>> = [{ ino: 131_078 }, { dev: 2050 }, { size: 13 }, { mtimeMs: T + 1 }, { ctimeMs: T + 1 }];
    for (const [i, change] of changes.entries()) {
      io.stamp = { ...io.stamp, ...change };
      io.text = `Image=a:1.${i + 1}\n`;
      expect(texts.read('/u/a.container')).toBe(`Image=a:1.${i + 1}\n`);
      expect(io.reads).toBe(i + 2);
      // … and the text read then is kept in turn.
      expect(texts.read('/u/a.container')).toBe(`Image=a:1.${i + 1}\n`);
      expect(io.reads).toBe(i + 2);
    }
  });

  it('reads a file whose mtime or ctime is within RACY_MS of its stat at every read: a second write in the same tick is seen', () => {
    const io = stagedIo();
    io.stamp = { ...stamp, mtimeMs: T - RACY_MS - 5, ctimeMs: T };
    io.text = 'Image=a:1.0\n';
    const texts = new FileTexts({ io, now: () => T + RACY_MS });
    expect(texts.read('/u/a.container')).toBe('Image=a:1.0\n');
    // Same size, same times: a write a stat cannot tell from the first.
    io.text = 'Image=a:2.0\n';
    expect(texts.read('/u/a.container')).toBe('Image=a:2.0\n');
    expect(io.reads).toBe(2);
    expect(texts.size).toBe(0);
  });

  it('forgets a file that is gone and a file whose read failed, and throws what is not ENOENT', () => {
    const io = stagedIo();
    io.stamp = stamp;
    io.text = 'x';
    const texts = new FileTexts({ io, now: () => T + 10 * RACY_MS });
    texts.read('/u/a.container');
    expect(texts.size).toBe(1);
    io.stamp = undefined;
    expect(texts.read('/u/a.container')).toBeUndefined();
    expect(texts.size).toBe(0);
    // Gone between the stat and the read.
    io.stamp = stamp;
    io.read = () => {
      throw Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' });
    };
    expect(texts.read('/u/a.container')).toBeUndefined();
    io.read = () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    expect(() => texts.read('/u/a.container')).toThrow(/EACCES/);
    expect(texts.size).toBe(0);
  });

  it('a sweep forgets the texts not read since the sweep before', () => {
    const io = stagedIo();
    io.stamp = stamp;
    io.text = 'x';
    const texts = new FileTexts({ io, now: () => T + 10 * RACY_MS });
    texts.read('/u/a.container');
    texts.read('/u/b.container');
    texts.sweep();
    texts.read('/u/a.container');
    texts.sweep();
    expect(texts.size).toBe(1);
    expect(io.reads).toBe(2);
    texts.sweep();
    expect(texts.size).toBe(0);
  });
});

describe("the reconcile pass's readers with a loop's kept texts, on real files", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'archy-texts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // The files were just written: a clock RACY_MS ahead makes them old enough to keep, as they are on a node between
  // two passes of `watch`.
  const later = () => Date.now() + 2 * RACY_MS;
  /** node:fs, counting the reads. */
  const countingIo = (): FileTextsIo & { reads: string[] } => {
    const reads: string[] = [];
    return { reads, stat: (p) => statSync(p, { throwIfNoEntry: false }), read: (p) => (reads.push(p), readFileSync(p, 'utf8')) };
  };

  it('a second pass reads no unit file, manifest, record or config it read before, and sees each one replaced or changed in size', async () => {
    const units = join(dir, 'units');
    const manifests = join(dir, 'manifests');
    const state = join(dir, 'state');
    mkdirSync(units);
    mkdirSync(manifests);
    const owned = '# Managed by archy-quadlet. Do not edit: changes are overwritten.\n';
    writeFileSync(join(units, 'lnd.container'), `${owned}[Container]\nImage=docker.io/lightninglabs/lnd:v0.18.3-beta\n`);
    writeFileSync(join(manifests, 'lnd.yaml'), 'id: lnd\nname: LND\ncontainers:\n  main:\n    image: docker.io/lightninglabs/lnd:v0.18.3-beta\n');
    writeFileSync(join(dir, 'lnd.conf'), '[Application Options]\nalias=my-node\n');
    await writeRecord(state, 'lnd', { hash: 'sha256:1', units: ['lnd.container'], configs: ['/lnd.conf'] });
    const io = countingIo();
    const texts = new FileTexts({ io, now: later });
    const pass = async () => ({
      units: await readUnitDir(units, texts),
      manifests: await readManifestFiles(manifests, dir, texts),
      records: await readRecords(state, texts),
      configs: await readConfigFiles(['/lnd.conf'], dir, texts),
    });
    const first = await pass();
    expect(io.reads).toHaveLength(4);
    expect(await pass()).toEqual(first);
    expect(io.reads).toHaveLength(4);

    // Replaced by a rename (an editor's save, an atomic write), and written in place with another size.
    writeFileSync(join(units, 'lnd.container.tmp'), `${owned}[Container]\nImage=docker.io/lightninglabs/lnd:v0.18.4-beta\n`);
    renameSync(join(units, 'lnd.container.tmp'), join(units, 'lnd.container'));
    writeFileSync(join(dir, 'lnd.conf'), '[Application Options]\nalias=my-node\ndebuglevel=info\n');
    await writeRecord(state, 'lnd', { hash: 'sha256:2', units: ['lnd.container'], configs: ['/lnd.conf'] });
    const third = await pass();
    expect(third.units[0]!.content).toContain('v0.18.4-beta');
    expect(third.configs['/lnd.conf']).toContain('debuglevel=info');
    expect(third.records.lnd!.hash).toBe('sha256:2');
    expect(third.manifests).toEqual(first.manifests);
    expect(io.reads.map((p) => p.slice(dir.length + 1)).slice(4).sort()).toEqual(['lnd.conf', 'state/apps/lnd.json', 'units/lnd.container']);

    // A file removed reads as gone (a config), or is not listed (a unit file).
    rmSync(join(dir, 'lnd.conf'));
    rmSync(join(units, 'lnd.container'));
    const fourth = await pass();
    expect(fourth.configs['/lnd.conf']).toBeUndefined();
    expect(fourth.units).toEqual([]);
  });

  it('a file written in place again with the same size is seen at the next read, without a clock ahead', () => {
    writeFileSync(join(dir, 'bitcoin.conf'), 'server=1\n');
    const io = countingIo();
    const texts = new FileTexts({ io });
    // Same size, within the same second: only a read can tell these apart.
    expect(texts.read(join(dir, 'bitcoin.conf'))).toBe('server=1\n');
    writeFileSync(join(dir, 'bitcoin.conf'), 'server=0\n');
    expect(texts.read(join(dir, 'bitcoin.conf'))).toBe('server=0\n');
    expect(io.reads).toHaveLength(2);
  });
});
