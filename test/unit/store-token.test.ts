import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateToken, tokenPath } from '../../src/store/state/token.js';

describe('loadOrCreateToken', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aq-token-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 256-bit token in a 0600 file once, then returns the same one', async () => {
    const state = join(dir, 'state');
    const t = await loadOrCreateToken(state);
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(tokenPath(state))).mode & 0o777).toBe(0o600);
    expect(await readFile(tokenPath(state), 'utf8')).toBe(`${t}\n`);
    expect(await loadOrCreateToken(state)).toBe(t);
  });

  it('gives one token to processes starting at once', async () => {
    const tokens = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateToken(dir)));
    expect(new Set(tokens).size).toBe(1);
  });

  it('tightens a token file readable by others', async () => {
    await writeFile(tokenPath(dir), 'abcdefghijklmnopqrstuvwxyz\n');
    await chmod(tokenPath(dir), 0o644);
    expect(await loadOrCreateToken(dir)).toBe('abcdefghijklmnopqrstuvwxyz');
    expect((await stat(tokenPath(dir))).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that holds no token, naming it', async () => {
    await writeFile(tokenPath(dir), 'short\n');
    await expect(loadOrCreateToken(dir)).rejects.toThrow(`${tokenPath(dir)}: not a valid API token`);
  });
});
