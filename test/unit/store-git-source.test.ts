import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, realpath, rm, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitError, gitSource } from '../../src/store/state/git-source.js';

// A real git repository with real commits; the source fetches it like a remote.

let work: string;
let repo: string;
let state: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { encoding: 'utf8' }).trim();
}

async function commit(files: Record<string, string | null>, message: string): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    if (text === null) await unlink(join(repo, name));
    else await writeFile(join(repo, name), text);
  }
  git('add', '-A', '.');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'archy-git-'));
  repo = join(work, 'repo');
  state = join(work, 'state');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('git source', () => {
  it('fetches a ref, checks the commit out into its own dir and activates it', async () => {
    const c1 = await commit({ 'a.yaml': 'id: a\n' }, 'one');
    const src = gitSource({ url: repo, stateDir: state });
    expect(await src.current()).toBeUndefined();
    expect(await src.fetch()).toBe(c1);
    const tree = await src.checkout(c1);
    expect(await readFile(join(tree, 'a.yaml'), 'utf8')).toBe('id: a\n');
    await src.activate(c1);
    expect(await src.current()).toEqual({ commit: c1, root: tree });
  });

  it('a new commit goes to a new dir; a pass holding the old tree keeps reading it intact', async () => {
    const c1 = await commit({ 'a.yaml': 'id: a\n' }, 'one');
    const src = gitSource({ url: `file://${repo}`, stateDir: state });
    await src.activate(await src.fetch().then((c) => src.checkout(c).then(() => c)));
    const held = await realpath(join(src.dir, 'current'));

    const c2 = await commit({ 'a.yaml': null, 'b.yaml': 'id: b\n' }, 'two');
    expect(await src.fetch()).toBe(c2);
    await src.checkout(c2);
    await src.activate(c2);

    expect(await readdir(held)).toEqual(['a.yaml']);
    expect(await readdir((await src.current())!.root)).toEqual(['b.yaml']);
    expect(held.endsWith(c1)).toBe(true);

    await src.prune();
    expect(await readdir(join(src.dir, 'checkouts'))).toEqual([c2]);
  });

  it('follows the ref it was given, not HEAD', async () => {
    await commit({ 'a.yaml': 'id: a\n' }, 'one');
    git('checkout', '-q', '-b', 'staging');
    const c2 = await commit({ 'a.yaml': 'id: a2\n' }, 'two');
    git('checkout', '-q', 'main');
    expect(await gitSource({ url: repo, ref: 'staging', stateDir: state }).fetch()).toBe(c2);
  });

  it('an unknown ref or an unreachable URL is a GitError with git\'s message', async () => {
    await commit({ 'a.yaml': 'x' }, 'one');
    await expect(gitSource({ url: repo, ref: 'nope', stateDir: state }).fetch()).rejects.toThrow(/couldn't find remote ref nope/);
    await expect(gitSource({ url: join(work, 'missing'), stateDir: state }).fetch()).rejects.toBeInstanceOf(GitError);
    await expect(gitSource({ url: repo, ref: '--upload-pack=touch /tmp/x', stateDir: state }).fetch()).rejects.toThrow(/invalid ref/);
  });

  it('a history rewrite (force push) is followed', async () => {
    await commit({ 'a.yaml': 'one' }, 'one');
    const src = gitSource({ url: repo, stateDir: state });
    await src.fetch();
    git('commit', '-q', '--amend', '-m', 'rewritten');
    expect(await src.fetch()).toBe(git('rev-parse', 'HEAD'));
  });
});
