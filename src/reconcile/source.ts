/**
 * Where the manifests come from, and which revision is applied. A directory is
 * read as is; a git source is fetched, a new commit checked out into its own
 * tree and validated before it becomes current (symlink swap). A commit that
 * fails validation is never applied — the last good commit stays current and
 * the rejection is remembered, so that commit is not retried until the ref moves.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, formatProblems } from '../errors.js';
import type { GitSource } from '../store/state/git-source.js';
import { readSourceState, writeSourceState, type SourceState } from '../store/state/source-state.js';
import { loadDesired } from './load-desired.js';
import { runPass, type PassOptions, type PassReport } from './pass.js';

/** The manifests directory of a checked-out tree: its `manifests/` when there is one, else the tree's root. */
export async function manifestsIn(root: string): Promise<string> {
  const sub = join(root, 'manifests');
  try {
    if ((await stat(sub)).isDirectory()) return sub;
  } catch {
    // no manifests/ directory: the repository holds the manifests at its root
  }
  return root;
}

export interface GitPassReport extends PassReport {
  /** The applied commit after this pass (undefined while no commit was ever good). */
  commit?: string;
  /** Set when the fetched commit was rejected (now or earlier). */
  rejected?: SourceState['rejected'];
  fetchError?: string;
}

/**
 * One git pass: fetch; check out and validate a new commit; activate it if
 * valid; then run a pass over the current (last good) commit.
 * Throws InvalidInputError only when no commit was ever good and this one is not.
 */
export async function gitPass(git: GitSource, opts: Omit<PassOptions, 'manifestsDir'>): Promise<GitPassReport> {
  const log = opts.log ?? (() => {});
  const state = await readSourceState(opts.stateDir);
  const next: SourceState = { url: git.url, ref: git.ref, ...(state.commit ? { commit: state.commit } : {}), ...(state.rejected ? { rejected: state.rejected } : {}) };

  let fetched: string | undefined;
  try {
    fetched = await git.fetch();
  } catch (err) {
    next.fetchError = (err as Error).message;
    log(`fetch of ${git.url} ${git.ref} failed: ${next.fetchError}; staying on ${state.commit ?? 'nothing'}`);
  }
  const current = await git.current();
  let tree = current;
  if (fetched !== undefined && fetched !== current?.commit && fetched !== state.rejected?.commit) {
    const root = await git.checkout(fetched);
    try {
      // Validation creates nothing: a secret the commit needs is made when a pass executes.
      await loadDesired({ ...opts, manifestsDir: await manifestsIn(root), createSecrets: false });
      // A dry run plans over the new commit without making it current.
      if (!opts.dryRun) await git.activate(fetched);
      tree = { commit: fetched, root };
      delete next.rejected;
      log(`commit ${fetched} of ${git.url} ${git.ref} is valid; applying it`);
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      const error = err.problems.length > 0 ? formatProblems(err.problems) : err.message;
      next.rejected = { commit: fetched, error, at: new Date().toISOString() };
      log(`commit ${fetched} rejected, staying on ${current?.commit ?? 'nothing'}:\n${error}`);
    }
  }
  if (!tree) {
    if (!opts.dryRun) await writeSourceState(opts.stateDir, next);
    throw new InvalidInputError([{ file: `${git.url}@${fetched ?? git.ref}`, message: next.rejected?.error ?? next.fetchError ?? 'no valid commit yet' }]);
  }
  // The pass reads the tree of one commit, whatever the symlink points to meanwhile.
  const report = await runPass({ ...opts, manifestsDir: await manifestsIn(tree.root) });
  if (!report.dryRun) {
    next.commit = tree.commit;
    next.appliedAt = new Date().toISOString();
    await writeSourceState(opts.stateDir, next);
    await git.prune();
  }
  return { ...report, commit: tree.commit, ...(next.rejected ? { rejected: next.rejected } : {}), ...(next.fetchError ? { fetchError: next.fetchError } : {}) };
}
