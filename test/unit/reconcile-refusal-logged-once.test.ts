import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { gitPass } from '../../src/reconcile/source.js';
import { gitSource } from '../../src/store/state/git-source.js';
import type { SystemdPort } from '../../src/systemd/types.js';

// A refused tip is logged once (docs/fleet.md): `serve --watch` looks again every interval, and the same refusal of
// the same commit says nothing new, while its first time (`rejected.at`) is kept. A new tip is a new refusal.

let dir: string;
let repo: string;
let state: string;
const git = (...args: string[]): string =>
  execFileSync('git', ['-C', repo, '-c', 'user.name=Ops', '-c', 'user.email=ops@example.org', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-once-'));
  repo = join(dir, 'fleet');
  state = join(dir, 'state');
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  await writeFile(join(repo, 'web.yaml'), 'id: web\nimage: docker.io/library/nginx:1.27.4\n');
  git('add', '.');
  git('commit', '-q', '-m', 'web');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('an unsigned tip is logged on its first refusal only; the next unsigned tip is logged again', async () => {
  const signers = join(dir, 'allowed_signers');
  await writeFile(signers, '');
  const source = gitSource({ url: repo, stateDir: state, policy: { verify: { allowedSigners: signers } } });
  const lines: string[] = [];
  const pass = () => gitPass(source, { unitDir: join(dir, 'units'), stateDir: state, systemd: {} as SystemdPort, log: (l) => lines.push(l) }).catch((e: unknown) => e);
  const rejected = async () => JSON.parse(await readFile(join(state, 'source.json'), 'utf8')).rejected;

  expect(await pass()).toBeInstanceOf(InvalidInputError);
  const first = await rejected();
  expect(first).toMatchObject({ commit: git('rev-parse', 'HEAD'), kind: 'signature' });
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(first.commit);

  for (let i = 0; i < 3; i++) expect(await pass()).toBeInstanceOf(InvalidInputError);
  expect(lines).toHaveLength(1);
  expect(await rejected()).toEqual(first);

  await writeFile(join(repo, 'web.yaml'), 'id: web\nimage: docker.io/library/nginx:1.27.5\n');
  git('commit', '-q', '-am', 'web 1.27.5');
  expect(await pass()).toBeInstanceOf(InvalidInputError);
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(git('rev-parse', 'HEAD'));
  expect((await rejected()).commit).toBe(git('rev-parse', 'HEAD'));
});
