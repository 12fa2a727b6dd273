import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { runPass } from '../../src/reconcile/pass.js';
import { gitPass } from '../../src/reconcile/source.js';
import { writeRecord } from '../../src/store/state/records.js';
import { gitSource } from '../../src/store/state/git-source.js';
import type { SystemdPort } from '../../src/systemd/types.js';

// A catalog with no manifest while apps are installed is refused, as Argo CD refuses an automated prune to nothing
// without `allowEmpty`: a wrong --manifests, a disk not mounted or a failed checkout look just like it. The refusal
// comes before systemd is asked anything: the port here has no method, so any call would throw a TypeError.

let dir: string;
let manifests: string;
let state: string;
const noSystemd = {} as SystemdPort;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-empty-'));
  manifests = join(dir, 'manifests');
  state = join(dir, 'state');
  await mkdir(manifests);
  for (const id of ['lnd', 'bitcoin', 'electrs', 'mempool', 'mempool-db', 'tor']) {
    await writeRecord(state, id, { hash: `sha256:${id}`, units: [`${id}.container`], configs: [] });
  }
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a catalog with no manifest while apps are installed', () => {
  it('runPass refuses it, naming the directory, how many apps and which, and what to do; nothing is changed', async () => {
    const before = await readdir(join(state, 'apps'));
    const err = await runPass({ manifestsDir: manifests, unitDir: join(dir, 'units'), stateDir: state, systemd: noSystemd }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).problems).toEqual([
      {
        file: manifests,
        message: 'the catalog has no manifest, and this pass would remove every app installed (6: bitcoin, electrs, lnd, mempool, mempool-db and 1 more); nothing was changed',
        hint: expect.stringContaining('run again with --allow-empty'),
      },
    ]);
    // A dry run is refused the same way: it would plan the same removal.
    expect(await runPass({ manifestsDir: manifests, unitDir: join(dir, 'units'), stateDir: state, systemd: noSystemd, dryRun: true }).catch((e: unknown) => e)).toBeInstanceOf(InvalidInputError);
    expect(await readdir(join(state, 'apps'))).toEqual(before);
  });

  it('with allowEmpty the pass goes on to read systemd (here: a port with no method)', async () => {
    const err = await runPass({ manifestsDir: manifests, unitDir: join(dir, 'units'), stateDir: state, systemd: noSystemd, allowEmpty: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
  });

  it('a git commit with no manifest is refused (kind empty) and logged once; the node stays where it was; allowEmpty applies it', async () => {
    const repo = join(dir, 'fleet');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    execFileSync('git', ['-C', repo, '-c', 'user.name=Ops', '-c', 'user.email=ops@example.org', '-c', 'commit.gpgsign=false', 'commit', '-q', '--allow-empty', '-m', 'nothing']);
    const head = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const source = gitSource({ url: repo, stateDir: state, policy: {} });
    const lines: string[] = [];
    const pass = (allowEmpty = false) => gitPass(source, { unitDir: join(dir, 'units'), stateDir: state, systemd: noSystemd, allowEmpty, log: (l) => lines.push(l) }).catch((e: unknown) => e);
    const rejected = async () => JSON.parse(await readFile(join(state, 'source.json'), 'utf8')).rejected;

    for (let i = 0; i < 3; i++) expect(await pass()).toBeInstanceOf(InvalidInputError);
    expect(await rejected()).toMatchObject({ commit: head, kind: 'empty' });
    expect((await rejected()).error).toContain(`commit ${head} is not applied: it has no manifest, and applying it would remove every app installed (6: bitcoin, electrs, lnd, mempool, mempool-db and 1 more)`);
    expect(lines).toEqual([expect.stringMatching(/--allow-empty; staying on nothing$/)]);
    expect(await source.current()).toBeUndefined();

    // With allowEmpty the same commit is validated again and made current; the pass over it then reads systemd.
    expect(await pass(true)).toBeInstanceOf(TypeError);
    expect((await source.current())?.commit).toBe(head);
  });
});
