/**
 * A git repository as the manifests source. Fetches `ref` from any URL git
 * can fetch into a bare cache in the state directory, checks a commit out into
 * its own directory (never in place), and activates it by swapping a symlink,
 * so a pass that resolved the tree before the swap never sees a half-updated one.
 *
 * Layout under `<stateDir>/git/<sha256(url) prefix>/` (`layout.ts`, `gitCache`):
 *   repo.git/            bare cache (fetched into `refs/archy/fetched`)
 *   checkouts/<commit>/  one complete tree per commit
 *   current -> checkouts/<commit>   the applied (last good) commit
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { stateLayout } from './layout.js';

const run = promisify(execFile);

/** A git command failed; carries git's own stderr. Maps to exit 3 (a system failure, not bad input). */
export class GitError extends Error {
  constructor(
    readonly args: string[],
    stderr: string,
  ) {
    super(`git ${args.join(' ')}: ${stderr.trim() || 'failed'}`);
    this.name = 'GitError';
  }
}

export interface GitSourceOptions {
  /** A path or any URL git can fetch. */
  url: string;
  /** Branch, tag or other ref name; default `main`. */
  ref?: string;
  stateDir: string;
}

export interface GitSource {
  readonly url: string;
  readonly ref: string;
  /** The cache directory of this URL. */
  readonly dir: string;
  /** Fetches `ref` and returns its commit id. Throws GitError (unreachable URL, unknown ref). */
  fetch(): Promise<string>;
  /** Ensures `checkouts/<commit>` holds the commit's complete tree and returns its path. */
  checkout(commit: string): Promise<string>;
  /** Points `current` at `checkouts/<commit>` in one rename. */
  activate(commit: string): Promise<void>;
  /** The active commit and its tree, or undefined before the first activation. */
  current(): Promise<{ commit: string; root: string } | undefined>;
  /** Removes checkouts other than the active one and `keep`. */
  prune(keep?: readonly string[]): Promise<void>;
}

async function git(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('git', args, {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    throw new GitError(args, (err as { stderr?: string }).stderr ?? (err as Error).message);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

const COMMIT = /^[0-9a-f]{40,64}$/;

/** The git source for `url` in `stateDir` (nothing touched until a method runs). */
export function gitSource(opts: GitSourceOptions): GitSource {
  const ref = opts.ref ?? 'main';
  const dir = stateLayout(opts.stateDir).gitCache(opts.url);
  const bare = join(dir, 'repo.git');
  const checkouts = join(dir, 'checkouts');
  const currentLink = join(dir, 'current');

  return {
    url: opts.url,
    ref,
    dir,
    async fetch() {
      if (!(await exists(join(bare, 'HEAD')))) {
        await mkdir(dir, { recursive: true });
        await git(['init', '--bare', '--quiet', bare]);
      }
      // A ref starting with '-' would be read as an option by git.
      if (ref.startsWith('-')) throw new GitError(['fetch'], `invalid ref ${JSON.stringify(ref)}`);
      await git(['--git-dir', bare, 'fetch', '--quiet', '--force', '--no-tags', '--', opts.url, `+${ref}:refs/archy/fetched`]);
      return (await git(['--git-dir', bare, 'rev-parse', '--verify', 'refs/archy/fetched^{commit}'])).trim();
    },
    async checkout(commit) {
      if (!COMMIT.test(commit)) throw new GitError(['checkout'], `not a commit id: ${JSON.stringify(commit)}`);
      const target = join(checkouts, commit);
      if (await exists(target)) return target;
      await mkdir(checkouts, { recursive: true });
      const tag = randomBytes(4).toString('hex');
      const tmp = join(checkouts, `.${commit}.${tag}.tmp`);
      const index = join(dir, `.index.${tag}`);
      await mkdir(tmp);
      try {
        // A private index: concurrent checkouts never share git's index file.
        await git(['--git-dir', bare, '--work-tree', tmp, 'read-tree', '--reset', '-u', commit], { GIT_INDEX_FILE: index });
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        if (await exists(target)) return target; // another pass checked it out first
        throw err;
      } finally {
        await rm(index, { force: true });
      }
      return target;
    },
    async activate(commit) {
      const tmp = join(dir, `.current.${randomBytes(4).toString('hex')}`);
      await symlink(join('checkouts', commit), tmp);
      await rename(tmp, currentLink);
    },
    async current() {
      let target: string;
      try {
        target = await readlink(currentLink);
      } catch {
        return undefined;
      }
      const commit = basename(target);
      return { commit, root: join(checkouts, commit) };
    },
    async prune(keep = []) {
      const active = (await this.current())?.commit;
      let names: string[] = [];
      try {
        names = await readdir(checkouts);
      } catch {
        return;
      }
      for (const name of names) {
        if (name === active || keep.includes(name) || name.startsWith('.')) continue;
        await rm(join(checkouts, name), { recursive: true, force: true });
      }
    },
  };
}
