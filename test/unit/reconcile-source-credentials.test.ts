import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { gitPass } from '../../src/reconcile/source.js';
import { gitSource } from '../../src/store/state/git-source.js';
import type { SystemdPort } from '../../src/systemd/types.js';

// A URL's credentials never reach logs, errors or source.json (docs/fleet.md): a fetch from an address where
// nothing listens fails before any pass, with the URL on git's command line.

let state: string;
beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'archy-cred-'));
});
afterEach(async () => {
  await rm(state, { recursive: true, force: true });
});

it('a failed fetch names the URL without its user and password', async () => {
  const lines: string[] = [];
  const source = gitSource({ url: 'https://deploy:s3cret-token@127.0.0.1:9/fleet.git', stateDir: state });
  // Nothing was ever applied and the fetch fails: the pass throws before it touches systemd.
  const err = await gitPass(source, { unitDir: join(state, 'units'), stateDir: state, systemd: {} as SystemdPort, log: (l) => lines.push(l) }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidInputError);
  const written = await readFile(join(state, 'source.json'), 'utf8');
  expect(JSON.parse(written)).toMatchObject({ url: 'https://127.0.0.1:9/fleet.git', fetchError: expect.stringContaining('https://127.0.0.1:9/fleet.git') });
  for (const text of [written, ...lines, (err as Error).message]) expect(text).not.toContain('s3cret-token');
});
