import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { gitSource } from '../../src/store/state/git-source.js';
import { appFile, stateLayout } from '../../src/store/state/layout.js';
import { tokenPath } from '../../src/store/state/token.js';

describe('stateLayout', () => {
  const s = '/var/lib/archy-quadlet';
  const layout = stateLayout(s);

  it('names every entry of the state directory', () => {
    expect({ ...layout, gitCache: undefined }).toEqual({
      root: s,
      apps: join(s, 'apps'),
      lastGood: join(s, 'last-good'),
      intents: join(s, 'intents'),
      installs: join(s, 'installs'),
      declared: join(s, 'declared'),
      installSections: join(s, 'install-sections'),
      secrets: join(s, 'secrets'),
      podmanSecrets: join(s, 'podman-secrets.json'),
      git: join(s, 'git'),
      source: join(s, 'source.json'),
      token: join(s, 'api-token'),
      lock: join(s, 'reconcile.lock'),
      gitCache: undefined,
    });
  });

  it('is the one the store modules use', () => {
    expect(tokenPath(s)).toBe(layout.token);
    expect(gitSource({ url: 'https://example.org/catalog.git', stateDir: s }).dir).toBe(layout.gitCache('https://example.org/catalog.git'));
  });

  it('a git cache per URL: 16 hex digits of its sha256', () => {
    expect(layout.gitCache('/srv/catalog')).toMatch(new RegExp(`^${join(s, 'git')}/[0-9a-f]{16}$`));
    expect(layout.gitCache('/srv/catalog')).not.toBe(layout.gitCache('/srv/catalog2'));
  });
});

describe('appFile', () => {
  it('is <dir>/<id>.json for a DNS label', () => {
    expect(appFile('/s/intents', 'lnd')).toBe('/s/intents/lnd.json');
  });

  it('refuses an id that would name another path, naming the directory', () => {
    for (const id of ['../x', 'a/b', '', '.hidden', 'UPPER']) {
      expect(() => appFile('/s/intents', id)).toThrow(InvalidInputError);
    }
    expect(() => appFile('/s/intents', '../x')).toThrow(/\/s\/intents: invalid app id "\.\.\/x"/);
  });
});
