import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basicAuth, renderConfig, rpcauth, rpcauthSaltName, secretsUsed } from '../../src/reconcile/config-render.js';
import { InvalidInputError } from '../../src/errors.js';
import type { ExportValue } from '../../src/manifest/types.js';
import { loadDesired, missingSecret } from '../../src/reconcile/load-desired.js';
import { SALT, secretStore } from '../../src/store/state/secrets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archy-secrets-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config helpers', () => {
  it('rpcauth matches bitcoind rpcauth.py (HMAC-SHA256 keyed by the salt, hex)', () => {
    // Vector computed with Python: hmac.new(salt.encode(), pw.encode(), "SHA256").hexdigest()
    expect(rpcauth('archy', 'hunter2', '0123456789abcdef0123456789abcdef')).toBe(
      'archy:0123456789abcdef0123456789abcdef$3920d54ec70f500ee54e1da041d2364a8e57dd252f7a81ed8acd58ad6cf3b6d0',
    );
  });

  it('basicAuth is base64 of user:password', () => {
    expect(basicAuth('archy', 'hunter2')).toBe('YXJjaHk6aHVudGVyMg==');
  });

  const TEMPLATE = 'server=1\nrpcauth={{rpcauth "archy" "bitcoin-rpc"}}\n# {{app.id}} & <ok>\nauth={{basicAuth "archy" "bitcoin-rpc"}}\npw={{secret "bitcoin-rpc"}}\n';

  it('finds the secrets a template uses before rendering it', () => {
    expect(secretsUsed(TEMPLATE, 'templates/config/bitcoin.conf.hbs')).toEqual([
      { name: 'bitcoin-rpc', kind: 'password', exposed: true },
      { name: rpcauthSaltName('bitcoin-rpc'), kind: 'salt', exposed: false },
    ]);
  });

  it('only rpcauth keeps the password out of the file', () => {
    expect(secretsUsed('{{rpcauth "u" "p"}}', 't').map((n) => n.exposed)).toEqual([false, false]);
    expect(secretsUsed('{{basicAuth "u" "p"}}', 't').map((n) => n.exposed)).toEqual([true]);
  });

  it('renders with kept secrets byte-identically, unescaped', async () => {
    const store = secretStore(dir);
    const needs = secretsUsed(TEMPLATE, 't');
    const values: Record<string, string> = {};
    for (const n of needs) values[n.name] = await store.get(n.name, n.kind === 'salt' ? SALT : undefined);
    const first = renderConfig(TEMPLATE, 't', { app: { id: 'bitcoin' } }, values);
    const again: Record<string, string> = {};
    for (const n of needs) again[n.name] = await secretStore(dir).get(n.name);
    expect(renderConfig(TEMPLATE, 't', { app: { id: 'bitcoin' } }, again)).toBe(first);
    const pw = values['bitcoin-rpc']!;
    expect(first).toContain(`rpcauth=${rpcauth('archy', pw, values['bitcoin-rpc.rpcauth-salt']!)}\n`);
    expect(first).toContain('# bitcoin & <ok>\n');
    expect(first).toContain(`auth=${basicAuth('archy', pw)}\n`);
  });

  it('a missing field or a non-literal argument is invalid input naming the template', () => {
    expect(() => renderConfig('{{nope}}', 'templates/config/x.hbs', {}, {})).toThrow(/templates\/config\/x.hbs: template failed: "nope" not defined/);
    expect(() => secretsUsed('a\n{{secret app.id}}', 'templates/config/y.hbs')).toThrow(InvalidInputError);
    const err = (() => {
      try {
        secretsUsed('a\n{{rpcauth "u"}}', 'templates/config/y.hbs');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).problems[0]).toMatchObject({ file: 'templates/config/y.hbs', line: 2, col: 1 });
  });
});

describe('loading the desired node (the catalog in manifests/, a fresh state dir)', () => {
  const catalog = fileURLToPath(new URL('../../manifests', import.meta.url));
  const bitcoinConf = (d: Awaited<ReturnType<typeof loadDesired>>): string =>
    d.desired.apps.find((a) => a.id === 'bitcoin')!.configs.find((c) => c.path.endsWith('/bitcoin.conf'))!.content;

  it('creates no secret unless asked to (a dry run, the validation of a commit): missing ones render as placeholders', async () => {
    const loaded = await loadDesired({ manifestsDir: catalog, stateDir: dir });
    expect(await readdir(dir)).toEqual([]);
    expect(bitcoinConf(loaded)).toContain(`rpcauth=${rpcauth('archy', missingSecret('bitcoin-rpc-password'), missingSecret(rpcauthSaltName('bitcoin-rpc-password')))}\n`);
  });

  it('reads existing secrets without creating the missing ones', async () => {
    const store = secretStore(dir);
    const pw = await store.get('bitcoin-rpc-password');
    const loaded = await loadDesired({ manifestsDir: catalog, stateDir: dir });
    expect(await readdir(store.dir)).toEqual(['bitcoin-rpc-password']);
    expect(bitcoinConf(loaded)).toContain(`rpcauth=${rpcauth('archy', pw, missingSecret(rpcauthSaltName('bitcoin-rpc-password')))}\n`);
  });

  it('creates them for a pass that executes', async () => {
    const loaded = await loadDesired({ manifestsDir: catalog, stateDir: dir, createSecrets: true });
    const store = secretStore(dir);
    expect((await readdir(store.dir)).sort()).toEqual(['bitcoin-rpc-password', 'bitcoin-rpc-password.rpcauth-salt', 'btcpay-db-password', 'mempool-db-password']);
    const pw = (await store.peek('bitcoin-rpc-password'))!;
    expect(bitcoinConf(loaded)).toContain(`rpcauth=${rpcauth('archy', pw, (await store.peek(rpcauthSaltName('bitcoin-rpc-password')))!)}\n`);
  });
});

describe('the export and node helpers of config templates', () => {
  const facts = {
    exports: (app: string, name: string): ExportValue | undefined => (({ 'bitcoin/rpc.host': 'bitcoin-bitcoind', 'bitcoin/rpc.password': { secret: 'bitcoin-rpc' } }) as Record<string, ExportValue>)[`${app}/${name}`],
    node: { hostname: 'umbrel-7', timeZone: 'Europe/Zurich' },
  };
  const T = 'host={{export "bitcoin" "rpc.host"}}\npass={{export "bitcoin" "rpc.password"}}\nname={{node "hostname"}}\ntz={{node "timeZone"}}\n';

  it('a secret export is a secret the template uses (the file then carries it: 0600); a literal one is not', () => {
    expect(secretsUsed(T, 't', facts)).toEqual([{ name: 'bitcoin-rpc', kind: 'password', exposed: true }]);
    expect(secretsUsed('{{export "bitcoin" "rpc.host"}}', 't', facts)).toEqual([]);
  });

  it('renders exports (literal, and the secret\'s value) and node facts', () => {
    expect(renderConfig(T, 't', {}, { 'bitcoin-rpc': 'pw' }, facts)).toBe('host=bitcoin-bitcoind\npass=pw\nname=umbrel-7\ntz=Europe/Zurich\n');
  });

  it('an export no app has, or a fact the node does not know, is invalid input naming the template', () => {
    expect(() => renderConfig('{{export "bitcoin" "rpc.port"}}', 'templates/config/x.hbs', {}, {}, facts)).toThrow(/templates\/config\/x.hbs: \{\{export "bitcoin" "rpc.port"\}\}: "bitcoin" exports no "rpc.port"/);
    expect(() => renderConfig('{{node "domain"}}', 'templates/config/x.hbs', {}, {}, facts)).toThrow(/this node does not know its domain/);
    expect(() => secretsUsed('{{export "bitcoin"}}', 'templates/config/x.hbs', facts)).toThrow(InvalidInputError);
  });
});
