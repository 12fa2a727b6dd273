/**
 * Files' texts kept between the passes of one reconcile loop, each trusted while a stat of its path still says
 * what it said when the text was read: `watch` reads the same two thousand files (manifests, unit files, config
 * files, the state directory's records) every pass, and in a pass that finds them unchanged a `stat` is about a third
 * of a read (open, fstat, read, close; issue 15, docs/performance.md).
 *
 * The key is git's index's (git-update-index(1), "racy git"): device, inode, size, mtime and ctime. A file replaced
 * by a rename (every atomic write, a `git checkout`, rsync) has another inode; one written in place, or given an old
 * mtime back (`touch -d`, `cp -p`), has a new ctime, which no program can set. A change within the file system's
 * timestamp tick of the read could keep every field, so a text is kept only when the file's mtime and ctime were
 * already {@link RACY_MS} old when its stat was taken; a younger file is read again at every pass until it is.
 */
import { readFileSync, statSync } from 'node:fs';
import { isMissing } from './fs.js';

/**
 * How old a file's mtime and ctime must be (ms, against this process's clock) for its text to be kept: 2 s, the
 * coarsest timestamp of a file system a node might use (FAT's; ext4's is a kernel tick, a few ms).
 */
export const RACY_MS = 2_000;

/** The fields of a stat(2) that say a file is as it was (`fs.Stats`' names; times in ms since the epoch). */
export interface FileStamp {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** Where {@link FileTexts} stats and reads (tests count and stage them); default node:fs. */
export interface FileTextsIo {
  /** The path's stat, undefined when it does not exist. @throws the fs error for anything else. */
  stat(path: string): FileStamp | undefined;
  /** The path's UTF-8 text. @throws the fs error (ENOENT when it went away since its stat). */
  read(path: string): string;
}

const nodeIo: FileTextsIo = {
  stat: (path) => statSync(path, { throwIfNoEntry: false }),
  read: (path) => readFileSync(path, 'utf8'),
};

interface Entry extends FileStamp {
  text: string;
  /** The sweep this entry was last read in. */
  sweep: number;
}

/** Kept texts by path. One loop's: nothing else should share it (it holds every text read through it). */
export class FileTexts {
  private readonly entries = new Map<string, Entry>();
  private sweepNo = 0;
  private readonly io: FileTextsIo;
  private readonly now: () => number;

  /** `io`: where files are stat'ed and read; `now`: the clock files' times are compared with (ms since the epoch). */
  constructor(opts: { io?: FileTextsIo; now?: () => number } = {}) {
    this.io = opts.io ?? nodeIo;
    this.now = opts.now ?? Date.now;
  }

  /** The number of texts kept. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The UTF-8 text of the file at `path` (absolute, or relative to the working directory), undefined when it does not
   * exist: the kept text when a stat finds the file as it was, else the file read now (and kept when not racy).
   * @throws the fs error for anything but a missing file (EACCES, EISDIR …).
   */
  read(path: string): string | undefined {
    const now = this.now();
    const st = this.io.stat(path);
    if (st === undefined) {
      this.entries.delete(path);
      return undefined;
    }
    const kept = this.entries.get(path);
    if (kept && sameFile(kept, st)) {
      kept.sweep = this.sweepNo;
      return kept.text;
    }
    let text: string;
    try {
      text = this.io.read(path);
    } catch (err) {
      this.entries.delete(path);
      if (isMissing(err)) return undefined;
      throw err;
    }
    // The stat was taken before the read: a write after it gives the next stat other fields, or a ctime within RACY_MS.
    if (now - Math.max(st.mtimeMs, st.ctimeMs) > RACY_MS) {
      this.entries.set(path, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, text, sweep: this.sweepNo });
    } else {
      this.entries.delete(path);
    }
    return text;
  }

  /** Forgets every text not read since the last sweep (a file of an app since removed, a config no longer wanted). `watch` sweeps before each pass. */
  sweep(): void {
    for (const [path, e] of this.entries) if (e.sweep !== this.sweepNo) this.entries.delete(path);
    this.sweepNo++;
  }
}

function sameFile(e: Entry, st: FileStamp): boolean {
  return e.ino === st.ino && e.dev === st.dev && e.size === st.size && e.mtimeMs === st.mtimeMs && e.ctimeMs === st.ctimeMs;
}
