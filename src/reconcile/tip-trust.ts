/**
 * Whether a node may apply the tip it fetched (issue 19, docs/fleet.md): with `--verify-commits` only a tip that
 * git judges signed by an allowed key; and never a tip that does not descend from the commit the node applied (a
 * force-push back to an older, still validly signed commit: a rollback attack) unless the operator acknowledged
 * that one commit on this node (`--allow-rollback-to`). Pure: the facts come from git (`GitSource`).
 */
import type { SignatureCheck } from '../store/state/git-source.js';

/** What the node knows of a fetched tip. */
export interface TipFacts {
  tip: string;
  /** The commit the node applied last; undefined before its first. */
  applied?: string;
  /** git's judgement of the tip's signature; undefined when the node does not verify commits. */
  signature?: SignatureCheck;
  /** Whether the tip is `applied` or descends from it; undefined when nothing was applied. */
  descends?: boolean;
  /** The commit (id or a prefix of at least 7 hex digits) the operator allows to replace the applied one once. */
  allowRollbackTo?: string;
}

/** Why a tip is not applied: `signature` (not signed by an allowed key) or `rollback` (not a descendant). */
export interface Refusal {
  kind: 'signature' | 'rollback';
  error: string;
}

const SIGNATURE_CODES: Record<string, string> = {
  N: 'the commit is not signed',
  B: 'the signature is bad (the commit was changed after signing)',
  U: 'the commit is signed by a key that is not an allowed signer',
  X: 'the signature has expired',
  Y: 'the signature is made by an expired key',
  R: 'the signature is made by a revoked key',
  E: 'the signature cannot be checked (its key is not known to this node)',
};

/** Why git did not take the signature as good, in words; undefined when it did. */
export function signatureProblem(s: SignatureCheck): string | undefined {
  if (s.good) return undefined;
  const why = SIGNATURE_CODES[s.code] ?? `git does not take the signature as good (${s.code})`;
  return `${why}${s.key ? ` (key ${s.key})` : ''}`;
}

/** True when `allowed` names `commit`: the whole id, or a prefix of at least 7 hex digits. */
export function namesCommit(allowed: string | undefined, commit: string): boolean {
  return allowed !== undefined && /^[0-9a-f]{7,64}$/.test(allowed) && commit.startsWith(allowed);
}

/** The refusal of `f.tip`, or undefined when the node may go on to validate and apply it. Signatures are judged first. */
export function judgeTip(f: TipFacts): Refusal | undefined {
  const bad = f.signature && signatureProblem(f.signature);
  if (bad) return { kind: 'signature', error: `commit ${f.tip} is not applied: ${bad}` };
  if (f.applied === undefined || f.descends !== false || namesCommit(f.allowRollbackTo, f.tip)) return undefined;
  return {
    kind: 'rollback',
    error: `commit ${f.tip} is not applied: it does not descend from the applied commit ${f.applied} (the ref was moved back or rewritten)`,
  };
}

/** The hint that goes with a refusal: what the operator may do. */
export function refusalHint(r: Refusal, tip: string): string {
  return r.kind === 'signature'
    ? 'sign the commit with an allowed key (git commit -S), or add the key to the allowed signers file'
    : `if this rollback is intended, allow it once on this node: apply --allow-rollback-to ${tip}`;
}
