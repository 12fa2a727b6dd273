import { describe, expect, it } from 'vitest';
import { judgeTip, namesCommit, signatureProblem } from '../../src/reconcile/tip-trust.js';
import { redactUrl } from '../../src/store/state/git-source.js';
import { ringOf } from '../../src/reconcile/source.js';

// Which fetched tip a node applies (docs/fleet.md): signed by an allowed key (with --verify-commits), descending from
// the applied commit unless that one rollback is allowed.

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const good = { good: true, code: 'G', key: 'SHA256:k', signer: 'ops@example.org' };

describe('judgeTip', () => {
  it('the first commit, or a descendant, with a good signature is applied', () => {
    expect(judgeTip({ tip: B, signature: good })).toBeUndefined();
    expect(judgeTip({ tip: B, applied: A, descends: true, signature: good })).toBeUndefined();
    expect(judgeTip({ tip: B, applied: A, descends: true })).toBeUndefined();
  });

  it('an unsigned tip, or one signed by a key that is not allowed, is refused for its signature', () => {
    expect(judgeTip({ tip: B, signature: { good: false, code: 'N' } })).toEqual({ kind: 'signature', error: `commit ${B} is not applied: the commit is not signed` });
    expect(judgeTip({ tip: B, applied: A, descends: false, signature: { good: false, code: 'U', key: 'SHA256:x' } })).toEqual({
      kind: 'signature',
      error: `commit ${B} is not applied: the commit is signed by a key that is not an allowed signer (key SHA256:x)`,
    });
  });

  it('a tip that does not descend from the applied commit is refused, unless that commit is allowed once', () => {
    expect(judgeTip({ tip: B, applied: A, descends: false, signature: good })).toEqual({
      kind: 'rollback',
      error: `commit ${B} is not applied: it does not descend from the applied commit ${A} (the ref was moved back or rewritten)`,
    });
    expect(judgeTip({ tip: B, applied: A, descends: false, allowRollbackTo: 'bbbbbbb' })).toBeUndefined();
    expect(judgeTip({ tip: B, applied: A, descends: false, allowRollbackTo: 'aaaaaaa' })?.kind).toBe('rollback');
  });

  it('an allowed rollback does not excuse a bad signature', () => {
    expect(judgeTip({ tip: B, applied: A, descends: false, allowRollbackTo: B, signature: { good: false, code: 'B' } })?.kind).toBe('signature');
  });
});

describe('helpers', () => {
  it('signatureProblem names what git found', () => {
    expect(signatureProblem(good)).toBeUndefined();
    expect(signatureProblem({ good: false, code: 'G' })).toBe('git does not take the signature as good (G)');
    expect(signatureProblem({ good: false, code: 'E', key: 'K' })).toBe('the signature cannot be checked (its key is not known to this node) (key K)');
  });

  it('namesCommit takes a full id or a prefix of 7+ hex digits only', () => {
    expect(namesCommit(B, B)).toBe(true);
    expect(namesCommit('bbbbbb', B)).toBe(false);
    expect(namesCommit(undefined, B)).toBe(false);
  });

  it('redactUrl removes user information from URLs in any text', () => {
    expect(redactUrl('fatal: unable to access https://deploy:s3cret@git.example.org/fleet.git/: 403')).toBe('fatal: unable to access https://git.example.org/fleet.git/: 403');
    expect(redactUrl('ssh://git@host/x and git@host:x and /srv/fleet.git')).toBe('ssh://host/x and git@host:x and /srv/fleet.git');
  });

  it('redactUrl removes every query value of a URL, keeping the names, the path and the text around it', () => {
    expect(redactUrl("fatal: repository 'https://git.example.org/fleet.git?access_token=glpat-123&ref=x#frag' not found"))
      .toBe("fatal: repository 'https://git.example.org/fleet.git?access_token=***&ref=***#frag' not found");
    expect(redactUrl('https://u:p@host/x?sig=abc then https://host/y?flag')).toBe('https://host/x?sig=*** then https://host/y?flag');
    expect(redactUrl('no url? a=b stays')).toBe('no url? a=b stays');
  });

  it('ringOf reads ring/<name> refs', () => {
    expect(ringOf('ring/canary')).toBe('canary');
    expect(ringOf('refs/heads/ring/stable')).toBe('stable');
    expect(ringOf('main')).toBeUndefined();
  });
});
