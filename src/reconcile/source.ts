/**
 * Where the manifests come from, and which revision is applied. A directory is
 * read as is; a git source is fetched, a new commit checked out into its own
 * tree and validated before it becomes current (symlink swap). A commit that
 * fails validation is never applied — the last good commit stays current and
 * the rejection is remembered, so that commit is not retried until the ref moves.
 * Before that a fleet's node checks whom it trusts (docs/fleet.md): a tip not signed by an allowed key
 * (`--verify-commits`) or not descending from the applied commit is refused, and the last applied commit runs on.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError, formatProblems } from '../errors.js';
import { readTextIfExists } from '../store/fs.js';
import { redactUrl, type GitSource } from '../store/state/git-source.js';
import { readSourceState, writeSourceState, type SourceState } from '../store/state/source-state.js';
import { loadDesired } from './load-desired.js';
import type { NodeFileSource } from './node-values.js';
import { EMPTY_CATALOG_HINT, installedSummary, removedByEmptyCatalog, runPass, type PassOptions, type PassReport } from './pass.js';
import { judgeTip, refusalHint, type Refusal } from './tip-trust.js';

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

/** The ring a ref names: `ring/canary` → `canary` (docs/fleet.md); undefined for any other ref. */
export function ringOf(ref: string): string | undefined {
  return /^(?:refs\/heads\/)?ring\/(.+)$/.exec(ref)?.[1];
}

/** `nodes/<name>.yaml` of a checked-out tree, as the pass reads it (undefined without a node name). */
async function nodeFileIn(git: GitSource, root: string): Promise<NodeFileSource | undefined> {
  const name = git.policy.node;
  if (name === undefined) return undefined;
  const file = join(root, 'nodes', `${name}.yaml`);
  const text = await readTextIfExists(file);
  return { file, ...(text !== undefined ? { text } : {}) };
}

/** Whether the fetched tip may be applied: its signature (with `--verify-commits`), then its ancestry. */
async function refusalOf(git: GitSource, tip: string, applied: string | undefined): Promise<Refusal | undefined> {
  const refusal = judgeTip({
    tip,
    ...(applied !== undefined ? { applied, descends: await git.descends(tip, applied) } : {}),
    ...(git.policy.verify ? { signature: await git.signature(tip) } : {}),
    ...(git.policy.allowRollbackTo ? { allowRollbackTo: git.policy.allowRollbackTo } : {}),
  });
  return refusal && { ...refusal, error: `${refusal.error} (${refusalHint(refusal, tip)})` };
}

/**
 * Whether `fetched` was rejected before for a reason that still holds, so it is not checked out and validated again
 * until the ref moves: invalid, or empty while `--allow-empty` is still not given.
 */
function sameRejection(rejected: SourceState['rejected'], fetched: string, allowEmpty: boolean): boolean {
  if (rejected?.commit !== fetched) return false;
  const kind = rejected.kind ?? 'invalid';
  return kind === 'invalid' || (kind === 'empty' && !allowEmpty);
}

/**
 * One git pass: fetch; refuse a tip that is not signed by an allowed key (with `--verify-commits`) or does not
 * descend from the applied commit; check out and validate a new commit with this node's values; activate it if
 * valid (a commit with no manifest while apps are installed is refused, kind `empty`, unless `allowEmpty`); then run
 * a pass over the current (last good) commit.
 * Throws InvalidInputError only when no commit was ever good and this one is not.
 */
export async function gitPass(git: GitSource, opts: Omit<PassOptions, 'manifestsDir'>): Promise<GitPassReport> {
  const log = opts.log ?? (() => {});
  const url = redactUrl(git.url);
  const state = await readSourceState(opts.stateDir);
  const ring = ringOf(git.ref);
  const next: SourceState = {
    url,
    ref: git.ref,
    ...(ring ? { ring } : {}),
    ...(git.policy.node ? { node: git.policy.node } : {}),
    verifyCommits: git.policy.verify !== undefined,
    ...(state.commit ? { commit: state.commit } : {}),
    ...(state.appliedAt ? { appliedAt: state.appliedAt } : {}),
    ...(state.rejected ? { rejected: state.rejected } : {}),
  };

  let fetched: string | undefined;
  try {
    fetched = await git.fetch();
  } catch (err) {
    next.fetchError = redactUrl((err as Error).message);
    log(`fetch of ${url} ${git.ref} failed: ${next.fetchError}; staying on ${state.commit ?? 'nothing'}`);
  }
  const current = await git.current();
  // The applied commit: the active tree's, or the one recorded if the cache was lost (then nothing descends from it).
  const applied = current?.commit ?? state.commit;
  let tree = current ? { ...current, nodeFile: await nodeFileIn(git, current.root) } : undefined;
  if (fetched !== undefined && fetched === current?.commit) delete next.rejected;
  const refusal = fetched !== undefined && fetched !== current?.commit ? await refusalOf(git, fetched, applied) : undefined;
  if (refusal) {
    const prev = state.rejected;
    // The same refusal as the last pass's keeps its time and is not logged again (a watch loop looks every minute).
    const again = prev !== undefined && prev.commit === fetched && prev.error === refusal.error;
    next.rejected = prev !== undefined && again ? prev : { commit: fetched!, error: refusal.error, at: new Date().toISOString(), kind: refusal.kind };
    if (!again) log(`${refusal.error}; staying on ${current?.commit ?? 'nothing'}`);
  } else if (fetched !== undefined && fetched !== current?.commit && !sameRejection(state.rejected, fetched, opts.allowEmpty ?? false)) {
    const root = await git.checkout(fetched);
    try {
      const nodeFile = await nodeFileIn(git, root);
      // Validation creates nothing: a secret the commit needs is made when a pass executes.
      const loaded = await loadDesired({ ...opts, manifestsDir: await manifestsIn(root), createSecrets: false, ...(nodeFile ? { nodeFile } : {}) });
      const removed = await removedByEmptyCatalog(loaded.manifests.length, opts);
      if (removed.length > 0) {
        const error = `commit ${fetched} is not applied: it has no manifest, and applying it would remove every app installed (${installedSummary(removed)}); ${EMPTY_CATALOG_HINT}`;
        next.rejected = { commit: fetched, error, at: new Date().toISOString(), kind: 'empty' };
        log(`${error}; staying on ${current?.commit ?? 'nothing'}`);
      } else {
        // A dry run plans over the new commit without making it current. Once current, the rollback check holds from
        // this commit on, whatever the pass does next.
        if (!opts.dryRun) await git.activate(fetched);
        tree = { commit: fetched, root, nodeFile };
        delete next.rejected;
        log(`commit ${fetched} of ${url} ${git.ref} is valid; applying it`);
      }
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      const error = err.problems.length > 0 ? formatProblems(err.problems) : err.message;
      next.rejected = { commit: fetched, error, at: new Date().toISOString(), kind: 'invalid' };
      log(`commit ${fetched} rejected, staying on ${current?.commit ?? 'nothing'}:\n${error}`);
    }
  }
  if (!tree) {
    if (!opts.dryRun) await writeSourceState(opts.stateDir, next);
    throw new InvalidInputError([{ file: `${url}@${fetched ?? git.ref}`, message: next.rejected?.error ?? next.fetchError ?? 'no valid commit yet' }]);
  }
  // The pass reads the tree of one commit, whatever the symlink points to meanwhile.
  const report = await runPass({ ...opts, manifestsDir: await manifestsIn(tree.root), ...(tree.nodeFile ? { nodeFile: tree.nodeFile } : {}) });
  if (!report.dryRun) {
    next.commit = tree.commit;
    next.appliedAt = new Date().toISOString();
    await writeSourceState(opts.stateDir, next);
    await git.prune();
  }
  return { ...report, commit: tree.commit, ...(next.rejected ? { rejected: next.rejected } : {}), ...(next.fetchError ? { fetchError: next.fetchError } : {}) };
}
