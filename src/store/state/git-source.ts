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
 * and `refs/archy/applied` in the cache keeps the applied commit's history there (rollback check, issue 19).
 *
 * Signatures are git's to judge (`git verify-commit` with `gpg.ssh.allowedSignersFile`, or gpg's keyring), and
 * ancestry too (`git merge-base --is-ancestor`): no crypto of our own.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { syncDir } from '../fs.js';
import { stateLayout } from './layout.js';

const run = promisify(execFile);

/** What a redacted query value reads as. */
export const REDACTED = '***';

/**
 * `text` with the credentials of every URL in it removed: the user information (`https://user:token@host/x` →
 * `https://host/x`) and the value of every query parameter (`https://host/x.git?access_token=T` →
 * `https://host/x.git?access_token=***`), since forges and signed URLs carry tokens there too. The parameter names
 * stay, so an operator still sees which one was sent. What logs, `status` and `source.json` show of a source's URL.
 */
export function redactUrl(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1')
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s?#]*\?)([^\s#]*)/gi, (_m, head: string, query: string) =>
      head + query.split('&').map((pair) => {
        const eq = pair.indexOf('=');
        return eq < 0 ? pair : `${pair.slice(0, eq)}=${REDACTED}`;
      }).join('&'));
}

/** A git command failed; carries git's own stderr, with credentials in URLs removed. Maps to exit 3 (a system failure, not bad input). */
export class GitError extends Error {
  readonly args: string[];
  constructor(args: string[], stderr: string) {
    super(redactUrl(`git ${args.join(' ')}: ${stderr.trim() || 'failed'}`));
    this.args = args.map(redactUrl);
    this.name = 'GitError';
  }
}

/** How a node follows its source (docs/fleet.md). */
export interface FollowPolicy {
  /**
   * Apply only a tip with a good signature by an allowed key (`--verify-commits`): SSH keys in `allowedSigners`
   * (git's `gpg.ssh.allowedSignersFile`), OpenPGP keys of the keyring `gpgHome` (`GNUPGHOME`) that are valid with full
   * trust there (an ultimately trusted key: git's `gpg.minTrustLevel=fully`).
   */
  verify?: { allowedSigners?: string; gpgHome?: string };
  /** The one commit that may replace the applied one though it does not descend from it (`--allow-rollback-to`). */
  allowRollbackTo?: string;
  /** The node's name, which selects `nodes/<name>.yaml` in the repository (`--node-name`). */
  node?: string;
}

/** A commit's signature as git judged it: `good` is `git verify-commit`'s verdict; the rest says why. */
export interface SignatureCheck {
  good: boolean;
  /** git's `%G?`: G good, B bad, U good but the key is not trusted (not an allowed signer), X/Y expired, R revoked, E cannot be checked, N none. */
  code: string;
  /** The key's fingerprint (`%GK`), the signer (`%GS`, the allowed signer's principal). */
  key?: string;
  signer?: string;
}

export interface GitSourceOptions {
  /** A path or any URL git can fetch. */
  url: string;
  /** Branch, tag or other ref name; default `main`. */
  ref?: string;
  stateDir: string;
  policy?: FollowPolicy;
}

export interface GitSource {
  readonly url: string;
  readonly ref: string;
  /** The cache directory of this URL. */
  readonly dir: string;
  readonly policy: FollowPolicy;
  /** Fetches `ref` and returns its commit id. Throws GitError (unreachable URL, unknown ref). */
  fetch(): Promise<string>;
  /** Ensures `checkouts/<commit>` holds the commit's complete tree and returns its path. */
  checkout(commit: string): Promise<string>;
  /** Points `current` at `checkouts/<commit>` in one rename, and `refs/archy/applied` at the commit. */
  activate(commit: string): Promise<void>;
  /** git's judgement of `commit`'s signature under `policy.verify`. Throws GitError when git cannot run. */
  signature(commit: string): Promise<SignatureCheck>;
  /** True when `commit` is `ancestor` or descends from it; false too when the cache does not hold `ancestor`. */
  descends(commit: string, ancestor: string): Promise<boolean>;
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

  const policy = opts.policy ?? {};
  // Signatures count only from keys the node trusts fully: for SSH, the keys of the allowed signers file.
  const verifyConfig = ['-c', 'gpg.minTrustLevel=fully', ...(policy.verify?.allowedSigners ? ['-c', `gpg.ssh.allowedSignersFile=${policy.verify.allowedSigners}`] : [])];
  const verifyEnv = policy.verify?.gpgHome ? { GNUPGHOME: policy.verify.gpgHome } : {};

  return {
    url: opts.url,
    ref,
    dir,
    policy,
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
      // Durable before any unit of the commit is written: the rollback check reads `current` after a crash too.
      await syncDir(dir);
      await git(['--git-dir', bare, 'update-ref', 'refs/archy/applied', commit]);
    },
    async signature(commit) {
      if (!COMMIT.test(commit)) throw new GitError(['verify-commit'], `not a commit id: ${JSON.stringify(commit)}`);
      const good = await git([...verifyConfig, '--git-dir', bare, 'verify-commit', commit], verifyEnv).then(
        () => true,
        () => false,
      );
      const [code = 'E', key, signer] = (await git([...verifyConfig, '--git-dir', bare, 'log', '-1', '--format=%G?%x00%GK%x00%GS', commit], verifyEnv)).trim().split('\0');
      return { good, code, ...(key ? { key } : {}), ...(signer ? { signer } : {}) };
    },
    async descends(commit, ancestor) {
      if (!COMMIT.test(commit) || !COMMIT.test(ancestor)) return false;
      return git(['--git-dir', bare, 'merge-base', '--is-ancestor', ancestor, commit]).then(
        () => true,
        () => false,
      );
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
