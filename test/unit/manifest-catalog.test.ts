import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { loadManifests } from '../../src/manifest/load.js';
import { manifestSchema } from '../../src/manifest/schema.js';
import type { Manifest } from '../../src/manifest/types.js';
import { DNS_LABEL } from '../../src/naming.js';
import { basicAuth, renderConfig, rpcauth, rpcauthSaltName, secretsUsed } from '../../src/reconcile/config-render.js';
import { templateFacts } from '../../src/reconcile/desired.js';
import { readManifestFiles } from '../../src/store/node/manifest-files.js';
import { listConfigTemplates } from '../../src/store/shipped/templates.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function load(dir: string): Promise<Map<string, Manifest>> {
  const sources = await readManifestFiles(dir, ROOT);
  const { manifests, problems } = loadManifests(sources, { templates: await listConfigTemplates() });
  expect(problems.map(formatProblem)).toEqual([]);
  expect(manifests).toHaveLength(sources.length);
  return new Map(manifests.map((m) => [m.manifest.id, m.manifest]));
}

describe('the node catalog (manifests/)', () => {
  test('loads with zero problems: bitcoin, electrumx, lnd', async () => {
    expect([...(await load('manifests')).keys()]).toEqual(['bitcoin', 'electrumx', 'lnd']);
  });

  test('every file opens with the editor schema line, and the line points at the schema', async () => {
    for (const dir of ['manifests', 'test/fixtures/manifests']) {
      for (const { file, text } of await readManifestFiles(dir, ROOT)) {
        const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
        expect(m, file).not.toBeNull();
        expect(path.resolve(ROOT, path.dirname(file), m![1]!), file).toBe(path.join(ROOT, 'schema/manifest.schema.json'));
      }
    }
  });

  test('what the node needs: each app its daemon and a UI container, one shared network, the host gateway, data dirs, stop times, health', async () => {
    const apps = await load('manifests');
    const names = Object.fromEntries([...apps].map(([id, m]) => [id, Object.keys(m.containers ?? {})]));
    expect(names).toEqual({ bitcoin: ['bitcoind', 'ui'], electrumx: ['electrumx', 'ui'], lnd: ['lnd', 'ui'] });
    for (const [id, m] of apps) {
      const [main, ui] = Object.keys(m.containers!).map((name) => m.containers![name]!);
      expect(main!.networks, id).toEqual(['archy']);
      expect(main!.hosts, id).toEqual([{ host: 'host.containers.internal', ip: 'host-gateway' }]);
      expect(main!.image, id).toMatch(/^docker\.io\/[a-z0-9]+\/[a-z0-9-]+:v?[0-9][0-9a-z.-]*$/);
      expect(ui!.image, id).toBe('docker.io/library/nginx:1.27.4-alpine');
      expect(main!.health, id).toBeDefined();
      expect(ui!.health, id).toBeDefined();
      for (const c of [main!, ui!]) for (const b of c.binds ?? []) expect(b.source.startsWith(`/var/lib/archipelago/${id}/`), b.source).toBe(true);
      expect(main!.security?.noNewPrivileges, id).toBe(true);
      expect(main!.security?.capDrop, id).toEqual(['ALL']);
      // The UI starts after the daemon and is on the app's own network only.
      expect(ui!.dependsOn, id).toEqual([{ container: Object.keys(m.containers!)[0] }]);
      expect(ui!.networks, id).toBeUndefined();
    }
    expect(apps.get('bitcoin')!.containers!.bitcoind!.stop).toEqual({ signal: 'SIGTERM', timeout: '600s' });
    expect(apps.get('lnd')!.containers!.lnd!.stop).toEqual({ signal: 'SIGTERM', timeout: '330s' });
    expect(apps.get('lnd')!.containers!.lnd!.dependsOn).toEqual([{ app: 'bitcoin', container: 'bitcoind' }]);
    expect(apps.get('electrumx')!.containers!.electrumx!.dependsOn).toEqual([{ app: 'bitcoin', container: 'bitcoind', condition: 'healthy' }]);
  });

  test('bitcoind and its UI share one RPC credential: the UI header authenticates against the rpcauth line', async () => {
    const apps = await load('manifests');
    const template = async (name: string): Promise<string> => readFile(path.join(ROOT, 'templates/config', name), 'utf8');
    const conf = apps.get('bitcoin')!.containers!.bitcoind!.configs!.find((c) => c.template === 'bitcoin.conf.hbs')!;
    const nginx = apps.get('bitcoin')!.containers!.ui!.configs!.find((c) => c.template === 'bitcoin-ui.nginx.conf.hbs')!;
    expect(conf.path).toBe('/var/lib/archipelago/bitcoin/bitcoin.conf');
    const secrets = { 'bitcoin-rpc-password': 'c0ffee'.repeat(8), [rpcauthSaltName('bitcoin-rpc-password')]: 'ab'.repeat(16) };
    const bitcoinConf = renderConfig(await template(conf.template), conf.template, {}, secrets);
    const nginxConf = renderConfig(await template(nginx.template), nginx.template, {}, secrets);
    const line = /^rpcauth=(.+)$/m.exec(bitcoinConf)![1]!;
    const header = /proxy_set_header Authorization "Basic ([A-Za-z0-9+/=]+)";/.exec(nginxConf)![1]!;
    const [user, password] = Buffer.from(header, 'base64').toString('utf8').split(':') as [string, string];
    const salt = line.slice(line.indexOf(':') + 1, line.indexOf('$'));
    expect(rpcauth(user, password, salt)).toBe(line);
    expect(header).toBe(basicAuth('archy', secrets['bitcoin-rpc-password']));
    // bitcoind by its alias on the bitcoin app's own network.
    expect(nginxConf).toContain('proxy_pass http://bitcoind:8332/;');
  });

  test('lnd and ElectrumX reach bitcoind with what the bitcoin app exports: its host, port, user and the RPC password', async () => {
    const apps = await load('manifests');
    const loaded = [...apps.values()].map((manifest) => ({ file: `manifests/${manifest.id}.yaml`, manifest }));
    const facts = templateFacts(loaded, {});
    const template = async (name: string): Promise<string> => readFile(path.join(ROOT, 'templates/config', name), 'utf8');
    const secrets = { 'bitcoin-rpc-password': 'c0ffee'.repeat(8) };
    for (const name of ['lnd.conf.hbs', 'electrumx.env.hbs']) expect(secretsUsed(await template(name), name, facts).map((n) => n.name), name).toEqual(['bitcoin-rpc-password']);
    const lnd = renderConfig(await template('lnd.conf.hbs'), 'lnd.conf.hbs', {}, secrets, facts);
    expect(lnd).toContain(`bitcoind.rpchost=bitcoin-bitcoind:8332\nbitcoind.rpcuser=archy\nbitcoind.rpcpass=${secrets['bitcoin-rpc-password']}\n`);
    expect(lnd).toContain('bitcoind.zmqpubrawblock=tcp://bitcoin-bitcoind:28332\n');
    const electrumx = renderConfig(await template('electrumx.env.hbs'), 'electrumx.env.hbs', {}, secrets, facts);
    expect(electrumx).toContain(`DAEMON_URL=http://archy:${secrets['bitcoin-rpc-password']}@bitcoin-bitcoind:8332/\n`);
  });

  test('every config template parses and uses only the bitcoin RPC secret', async () => {
    for (const name of await listConfigTemplates()) {
      const text = await readFile(path.join(ROOT, 'templates/config', name), 'utf8');
      for (const need of secretsUsed(text, name)) expect(need.name, name).toMatch(/^bitcoin-rpc-password(\.rpcauth-salt)?$/);
    }
  });
});

/** The schema a `$ref` such as `#/$defs/container/properties/image` points at (a JSON pointer into the schema). */
function resolveRef(ref: string): Record<string, unknown> {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, manifestSchema);
}

/**
 * Every property path the schema defines (such as `/containers/NAME/health/gateStart`, with NAME as `*`); array items and the alternatives of
 * a `oneOf`/`anyOf` are walked; the values of a map of objects (`containers`) appear as `*`.
 */
function schemaPaths(schema: Record<string, unknown>, prefix = '', depth = 0): string[] {
  if (depth > 12) return [];
  const resolved = typeof schema.$ref === 'string' ? { ...resolveRef(schema.$ref), ...schema, $ref: undefined } : schema;
  if (typeof resolved.$ref === 'string') return schemaPaths(resolved, prefix, depth + 1);
  const out: string[] = [];
  const items = resolved.items as Record<string, unknown> | undefined;
  if (items) out.push(...schemaPaths(items, prefix, depth + 1));
  for (const alt of [...((resolved.oneOf as Array<Record<string, unknown>>) ?? []), ...((resolved.anyOf as Array<Record<string, unknown>>) ?? [])]) out.push(...schemaPaths(alt, prefix, depth + 1));
  const map = resolved.additionalProperties;
  if (map && typeof map === 'object' && typeof (map as Record<string, unknown>).$ref === 'string' && (map as { $ref: string }).$ref === '#/$defs/container') {
    out.push(...schemaPaths(map as Record<string, unknown>, `${prefix}/*`, depth + 1));
  }
  for (const [key, sub] of Object.entries((resolved.properties as Record<string, Record<string, unknown>>) ?? {})) {
    out.push(`${prefix}/${key}`, ...schemaPaths(sub, `${prefix}/${key}`, depth + 1));
  }
  return out;
}

/** The property paths a value uses, array indices dropped, container names as `*`; the keys of free-form maps are not paths. */
function valuePaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuePaths(v, prefix));
  if (value === null || typeof value !== 'object') return [];
  if (/\/(environment|labels|sysctls|quadlet\/[A-Za-z]+)$/.test(prefix)) return [];
  if (/\/ulimits$/.test(prefix)) return Object.values(value).flatMap((v) => valuePaths(v, prefix));
  if (prefix === '/containers') return Object.values(value).flatMap((v) => valuePaths(v, '/containers/*'));
  return Object.entries(value).flatMap(([k, v]) => [`${prefix}/${k}`, ...valuePaths(v, `${prefix}/${k}`)]);
}

describe('the README', () => {
  test('its complete example is valid beside the node catalog', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### A complete example'));
    const text = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const catalog = await readManifestFiles('manifests', ROOT);
    const { problems, manifests } = loadManifests([...catalog, { file: 'manifests/explorer.yaml', text }], { templates: await listConfigTemplates() });
    expect(problems.map(formatProblem)).toEqual([]);
    expect(Object.keys(manifests.find((m) => m.manifest.id === 'explorer')!.manifest.containers!)).toEqual(['db', 'migrate', 'api', 'web']);
  });
});

describe('schema and fixtures', () => {
  test('the fixtures (test/fixtures/manifests) load and use every field the schema defines', async () => {
    const fixtures = await load('test/fixtures/manifests');
    // A container's fields are one schema ($defs/container) at the top level or under containers.NAME: a field
    // counts as used in either place.
    const asContainer = (p: string): string => p.replace(/^\/containers\/\*(?=\/)/, '');
    const used = new Set([...fixtures.values()].flatMap((m) => valuePaths(m)).map(asContainer));
    const all = [...new Set(schemaPaths(manifestSchema).map(asContainer))];
    expect(used).toContain('/containers');
    expect(all.length).toBeGreaterThan(60);
    expect(all.filter((p) => !used.has(p))).toEqual([]);
  });

  test('the schema id pattern is the naming module\'s DNS label', () => {
    const defs = manifestSchema.$defs as Record<string, { pattern: string }>;
    expect(defs.dnsLabel!.pattern).toBe(DNS_LABEL.source);
  });
});

describe('purity', () => {
  test('src/manifest imports no filesystem, process, child process or D-Bus module', async () => {
    const { readdir } = await import('node:fs/promises');
    const dir = path.join(ROOT, 'src/manifest');
    for (const name of await readdir(dir)) {
      const text = await readFile(path.join(dir, name), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      expect(imports.filter((i) => /^(node:)?(fs|fs\/promises|child_process|process)$|dbus/.test(i)), name).toEqual([]);
      expect(/\bprocess\./.test(text), name).toBe(false);
    }
  });
});
