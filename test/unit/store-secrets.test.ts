import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { SALT, secretStore } from '../../src/store/state/secrets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('secret store (real files in a temp state dir)', () => {
  it('generates a secret once, 0600, and returns the same value ever after', async () => {
    const store = secretStore(dir);
    const a = await store.get('bitcoin-rpc');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await secretStore(dir).get('bitcoin-rpc')).toBe(a);
    expect((await stat(join(dir, 'secrets', 'bitcoin-rpc'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'secrets'))).mode & 0o777).toBe(0o700);
    expect(await store.get('other')).not.toBe(a);
  });

  it('racing creators agree on one value and leave no temp files', async () => {
    const values = await Promise.all(Array.from({ length: 20 }, () => secretStore(dir).get('race')));
    expect(new Set(values).size).toBe(1);
    expect(await readdir(join(dir, 'secrets'))).toEqual(['race']);
  });

  it('peekAll reads the values of many names in order, creates none, and rejects a bad name before reading any', async () => {
    const store = secretStore(dir);
    const a = await store.get('bitcoin-rpc');
    const b = await store.get('lnd.rpcauth-salt', SALT);
    expect(store.peekAll(['lnd.rpcauth-salt', 'electrumx-rpc', 'bitcoin-rpc'])).toEqual([b, undefined, a]);
    expect((await readdir(join(dir, 'secrets'))).sort()).toEqual(['bitcoin-rpc', 'lnd.rpcauth-salt']);
    expect(() => store.peekAll(['bitcoin-rpc', '../apps/lnd.json'])).toThrow(InvalidInputError);
  });

  it('salts are 16 bytes hex', async () => {
    expect(await secretStore(dir).get('x.rpcauth-salt', SALT)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('rejects names that could escape the directory', async () => {
    for (const bad of ['../x', 'a/b', '.hidden', '', 'A']) {
      await expect(secretStore(dir).get(bad), bad).rejects.toBeInstanceOf(InvalidInputError);
    }
  });
});
