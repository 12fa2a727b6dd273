import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitSource } from '../../src/store/state/git-source.js';

// git's own judgement of a tip's signature (docs/fleet.md): SSH keys of an allowed signers file, or OpenPGP keys of
// a keyring, ultimately trusted there. Real keys (ssh-keygen, gpg), real commits, the source fetching them.

let work: string;
let repo: string;
const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string => execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } }).trim();
const git = (...args: string[]): string => run('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=ops@example.org', ...args]);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'archy-sig-'));
  repo = join(work, 'repo');
  run('git', ['init', '-q', '-b', 'main', repo]);
});
afterAll(async () => {
  for (const home of ['signer', 'node']) {
    try {
      run('gpgconf', ['--homedir', join(work, home), '--kill', 'gpg-agent']);
    } catch {
      // no agent was started for this keyring
    }
  }
  await rm(work, { recursive: true, force: true });
});

describe('GitSource.signature', () => {
  it('SSH: an allowed key is good; a stranger\'s key and no signature are not, with git\'s reason', async () => {
    for (const key of ['good', 'stranger']) run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', key, '-f', join(work, key)]);
    const allowedSigners = join(work, 'allowed_signers');
    await writeFile(allowedSigners, `ops@example.org namespaces="git" ${run('cat', [join(work, 'good.pub')])}\n`);
    const commitWith = (key?: string): string => {
      git(...(key ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(work, key)}`, 'commit', '-S'] : ['commit']), '-q', '--allow-empty', '-m', key ?? 'unsigned');
      return git('rev-parse', 'HEAD');
    };
    const [good, stranger, unsigned] = [commitWith('good'), commitWith('stranger'), commitWith()];
    const src = gitSource({ url: repo, stateDir: join(work, 'state-ssh'), policy: { verify: { allowedSigners } } });
    await src.fetch();
    expect(await src.signature(good)).toMatchObject({ good: true, code: 'G', signer: 'ops@example.org' });
    expect(await src.signature(stranger)).toMatchObject({ good: false, code: 'U', key: expect.stringMatching(/^SHA256:/) });
    expect(await src.signature(unsigned)).toEqual({ good: false, code: 'N' });
  });

  it('OpenPGP: a key in the node\'s keyring counts only once it is ultimately trusted there', async () => {
    const signer = join(work, 'signer');
    const node = join(work, 'node');
    for (const home of [signer, node]) run('mkdir', ['-m', '700', home]);
    run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Ops <ops@example.org>', 'ed25519', 'sign', 'never'], { GNUPGHOME: signer });
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(run('gpg', ['--list-keys', '--with-colons'], { GNUPGHOME: signer }))![1]!;
    run('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=ops@example.org', '-c', 'gpg.format=openpgp', '-c', `user.signingkey=${fpr}`, 'commit', '-S', '-q', '--allow-empty', '-m', 'openpgp'], { GNUPGHOME: signer });
    const commit = git('rev-parse', 'HEAD');
    await writeFile(join(work, 'key.asc'), run('gpg', ['--export', '--armor', fpr], { GNUPGHOME: signer }));
    run('gpg', ['--batch', '--import', join(work, 'key.asc')], { GNUPGHOME: node });
    const src = gitSource({ url: repo, stateDir: join(work, 'state-pgp'), policy: { verify: { gpgHome: node } } });
    await src.fetch();
    expect(await src.signature(commit)).toMatchObject({ good: false, code: 'U' });
    execFileSync('gpg', ['--batch', '--import-ownertrust'], { input: `${fpr}:6:\n`, env: { ...process.env, GNUPGHOME: node } });
    expect(await src.signature(commit)).toMatchObject({ good: true, code: 'G', signer: 'Ops <ops@example.org>' });
  });
});
