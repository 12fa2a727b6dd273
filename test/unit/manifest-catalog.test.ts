import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { loadManifests, type ManifestSource } from '../../src/manifest/load.js';
import { manifestSchema } from '../../src/manifest/schema.js';
import type { ContainerSpec, EnvValue, Manifest } from '../../src/manifest/types.js';
import { DNS_LABEL } from '../../src/naming.js';
import { basicAuth, renderConfig, rpcauth, rpcauthSaltName, secretsUsed } from '../../src/reconcile/config-render.js';
import { templateFacts } from '../../src/reconcile/desired.js';
import { readManifestFiles } from '../../src/store/node/manifest-files.js';
import { renderUnits } from '../../src/render/render-units.js';
import type { RenderedFile } from '../../src/render/types.js';
import { listConfigTemplates, loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { runQuadletDryRun } from '../support/quadlet.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function load(dir: string): Promise<Map<string, Manifest>> {
  const sources = await readManifestFiles(dir, ROOT);
  const { manifests, problems } = loadManifests(sources, { templates: await listConfigTemplates() });
  expect(problems.map(formatProblem)).toEqual([]);
  expect(manifests).toHaveLength(sources.length);
  return new Map(manifests.map((m) => [m.manifest.id, m.manifest]));
}

/** The unit files of a catalog, as `render` writes them for podman 5.4.2. */
async function compileSources(sources: ManifestSource[]): Promise<RenderedFile[]> {
  const { manifests, problems } = loadManifests(sources, { templates: await listConfigTemplates() });
  expect(problems.map(formatProblem)).toEqual([]);
  const compiled = compileCatalog(manifests, { podmanVersion: '5.4.2', scope: 'system' });
  expect(compiled.problems).toEqual([]);
  return renderUnits(compiled.units, await loadUnitTemplates());
}

describe('the node catalog (manifests/)', () => {
  test('loads with zero problems: bitcoin, btcpay, electrumx, lnd, mempool, tor', async () => {
    expect([...(await load('manifests')).keys()]).toEqual(['bitcoin', 'btcpay', 'electrumx', 'lnd', 'mempool', 'tor']);
  });

  test('every icon draws with shapes only: no <text>, whose glyph needs a font the browser may not have (U+20BF)', async () => {
    const manifests = await load('manifests');
    const icons = [...manifests.values()].map((m) => m.icon).filter((i): i is string => i !== undefined);
    expect(icons).toHaveLength(manifests.size);
    for (const icon of icons) {
      const svg = await readFile(path.join(ROOT, 'manifests', icon), 'utf8');
      expect(svg, icon).toMatch(/^<svg [^>]*role="img" aria-label="[a-z]+"/);
      expect(svg, icon).not.toMatch(/<text\b|<tspan\b|<foreignObject\b/);
      expect(svg, icon).toMatch(/<path d="/);
    }
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

  test('what the node needs: bitcoin, lnd and ElectrumX each its daemon and a UI container, one shared network, the host gateway, data dirs, stop times, health', async () => {
    const apps = new Map([...(await load('manifests'))].filter(([id]) => ['bitcoin', 'electrumx', 'lnd'].includes(id)));
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

/** Every environment value of every container of `m`, as `container NAME` → value. */
function environments(m: Manifest): Map<string, EnvValue> {
  const out = new Map<string, EnvValue>();
  for (const [name, c] of Object.entries(m.containers ?? {})) for (const [key, value] of Object.entries(c.environment ?? {})) out.set(`${name} ${key}`, value);
  return out;
}

/** `container VAR` of every app that takes secret `secret`, directly or as another app's export of it. */
function takersOf(apps: Map<string, Manifest>, secret: string): string[] {
  const out: string[] = [];
  for (const [id, m] of apps) {
    for (const [where, v] of environments(m)) {
      if (typeof v !== 'object') continue;
      const exported = 'app' in v ? apps.get(v.app)?.exports?.[v.export] : undefined;
      if (('secret' in v && v.secret === secret) || (typeof exported === 'object' && exported.secret === secret)) out.push(`${id} ${where}`);
    }
  }
  return out;
}

describe('the node catalog: apps of several containers (mempool, btcpay)', () => {
  test('public images on their canonical registries, pinned by a version tag; data under /var/lib/archipelago/<app>/', async () => {
    for (const [id, m] of await load('manifests')) {
      for (const [name, c] of Object.entries(m.containers ?? { [id]: m })) {
        expect(c.image, `${id}/${name}`).toMatch(/^(docker\.io|ghcr\.io|quay\.io)\/[a-z0-9-]+\/[a-z0-9-]+:v?[0-9]+\.[0-9]+[0-9a-z.-]*$/);
        for (const b of c.binds ?? []) expect(b.source.startsWith(`/var/lib/archipelago/${id}/`), b.source).toBe(true);
        for (const f of c.configs ?? []) expect(f.path.startsWith(`/var/lib/archipelago/${id}/`), f.path).toBe(true);
      }
    }
  });

  /** The containers of app `id`, which must be `names` in order, the first a database from `dbImage` gated on health with stop `dbStop`. */
  async function tiers(id: string, names: string[], dbImage: RegExp, dbStop: ContainerSpec['stop']): Promise<Record<string, ContainerSpec>> {
    const containers = (await load('manifests')).get(id)!.containers!;
    expect(Object.keys(containers)).toEqual(names);
    const db = containers[names[0]!]!;
    expect(db.image).toMatch(dbImage);
    expect(db.health?.gateStart).not.toBe(false);
    expect(db.stop).toEqual(dbStop);
    return containers;
  }

  test('mempool: MariaDB gated on health → backend → frontend, each with the stop its daemon needs; UI on this host only', async () => {
    const { db, backend, frontend } = await tiers('mempool', ['db', 'backend', 'frontend'], /^docker\.io\/library\/mariadb:/, { signal: 'SIGTERM', timeout: '60s' });
    expect(backend!.dependsOn).toEqual([{ container: 'db', condition: 'healthy' }, { app: 'bitcoin', container: 'bitcoind', condition: 'healthy' }]);
    expect(backend!.stop).toEqual({ signal: 'SIGTERM', timeout: '60s' });
    expect(backend!.init).toBe(true);
    expect(frontend!.dependsOn).toEqual([{ container: 'backend' }]);
    expect(frontend!.stop).toEqual({ signal: 'SIGQUIT', timeout: '30s' });
    expect(frontend!.ports).toEqual([{ container: 8080, host: 3005, hostIp: '127.0.0.1', onion: 80 }]);
    // Only the backend reaches other apps; the db and the frontend are on the app's own network alone.
    expect([db!.networks, backend!.networks, frontend!.networks]).toEqual([undefined, ['archy'], undefined]);
    // The frontend reaches the backend by its short name on the app's network.
    expect(frontend!.environment?.BACKEND_MAINNET_HTTP_HOST).toBe('backend');
    expect(backend!.environment?.DATABASE_HOST).toBe('db');
  });

  test('btcpay: PostgreSQL gated on health → NBXplorer → server, each with the stop its daemon needs; UI on this host only', async () => {
    const { db, nbxplorer, server } = await tiers('btcpay', ['db', 'nbxplorer', 'server'], /^docker\.io\/library\/postgres:/, { signal: 'SIGINT', timeout: '60s' });
    expect(nbxplorer!.dependsOn).toEqual([{ container: 'db', condition: 'healthy' }, { app: 'bitcoin', container: 'bitcoind', condition: 'healthy' }]);
    expect(server!.dependsOn).toEqual([{ container: 'db', condition: 'healthy' }, { container: 'nbxplorer' }]);
    for (const c of [nbxplorer!, server!]) expect(c.stop).toEqual({ signal: 'SIGTERM', timeout: '60s' });
    expect(server!.ports).toEqual([{ container: 23000, host: 3004, hostIp: '127.0.0.1', onion: 80 }]);
    expect([db!.networks, nbxplorer!.networks, server!.networks]).toEqual([undefined, ['archy'], undefined]);
    // The server reads the cookie NBXplorer writes into its data directory: the same host directory, read-only.
    const nbxData = nbxplorer!.binds!.find((b) => b.target === '/datadir')!.source;
    expect(server!.binds).toContainEqual({ source: nbxData, target: '/nbxplorer', readOnly: true });
    expect(server!.environment?.BTCPAY_BTCEXPLORERCOOKIEFILE).toBe('/nbxplorer/Main/.cookie');
  });

  test('each database password is a generated secret, taken as an environment value by the db and the daemons that log in, and by nothing else', async () => {
    const apps = await load('manifests');
    expect(takersOf(apps, 'mempool-db-password')).toEqual(['mempool db MARIADB_PASSWORD', 'mempool backend DATABASE_PASSWORD']);
    expect(takersOf(apps, 'btcpay-db-password')).toEqual(['btcpay db POSTGRES_PASSWORD', 'btcpay nbxplorer PGPASSWORD', 'btcpay server PGPASSWORD']);
    // bitcoind's RPC password reaches the two daemons that call it, as bitcoin exports it.
    expect(takersOf(apps, 'bitcoin-rpc-password')).toEqual(['btcpay nbxplorer NBXPLORER_BTCRPCPASSWORD', 'mempool backend CORE_RPC_PASSWORD']);
    // Npgsql takes the password from PGPASSWORD: the connection strings carry none.
    for (const [where, v] of environments(apps.get('btcpay')!)) if (typeof v === 'string') expect(v, where).not.toMatch(/password/i);
    // In the units, secrets are podman secrets of type env.
    const unit = await readFile(path.join(ROOT, 'units/mempool-backend.container'), 'utf8');
    expect(unit).toContain('Secret=archy.mempool-db-password,type=env,target=DATABASE_PASSWORD\n');
    expect(unit).toContain('Secret=archy.bitcoin-rpc-password,type=env,target=CORE_RPC_PASSWORD\n');
  });

  test('no app repeats another app\'s host names or credentials: every cross-app value is an export', async () => {
    const apps = await load('manifests');
    // Every container name on the shared network, and every literal other apps could copy from the exports.
    const foreign = (id: string): string[] => [...apps].filter(([other]) => other !== id).flatMap(([other, m]) => [
      ...Object.keys(m.containers ?? {}).map((c) => `${other}-${c}`),
      ...Object.values(m.exports ?? {}).filter((v): v is string => typeof v === 'string' && !/^[0-9]+$/.test(v)),
    ]);
    for (const [id, m] of apps) {
      for (const [where, v] of environments(m)) if (typeof v === 'string') for (const f of foreign(id)) expect(v, `${id} ${where}`).not.toContain(f);
    }
    // mempool's and NBXplorer's views of bitcoind, and mempool's of ElectrumX, are exports.
    const env = (id: string, c: string): Record<string, EnvValue> => apps.get(id)!.containers![c]!.environment!;
    expect(env('mempool', 'backend')).toMatchObject({
      CORE_RPC_HOST: { app: 'bitcoin', export: 'rpc.host' },
      CORE_RPC_PORT: { app: 'bitcoin', export: 'rpc.port' },
      CORE_RPC_USERNAME: { app: 'bitcoin', export: 'rpc.user' },
      ELECTRUM_HOST: { app: 'electrumx', export: 'electrum.host' },
      ELECTRUM_PORT: { app: 'electrumx', export: 'electrum.port' },
    });
    expect(env('btcpay', 'nbxplorer')).toMatchObject({
      NBXPLORER_BTCRPCURL: { app: 'bitcoin', export: 'rpc.url' },
      NBXPLORER_BTCRPCUSER: { app: 'bitcoin', export: 'rpc.user' },
      NBXPLORER_BTCNODEENDPOINT: { app: 'bitcoin', export: 'p2p.endpoint' },
    });
    // The templates name other apps only through {{export}}.
    for (const name of await listConfigTemplates()) {
      const text = await readFile(path.join(ROOT, 'templates/config', name), 'utf8');
      for (const f of ['bitcoin-bitcoind', 'electrumx-electrumx']) expect(text, name).not.toContain(f);
    }
  });
});

describe('podman 5.4.2\'s Quadlet generator over the committed units of mempool and btcpay', () => {
  test('keeps each app\'s order, health gates, stops, secrets and ports', () => {
    const { services } = runQuadletDryRun('units');
    const service = (name: string): string => services.get(name) ?? '';
    for (const app of ['mempool', 'btcpay']) {
      expect(service(`${app}.service`), app).toMatch(/^Requires=bitcoin\.service$/m);
      expect(service(`${app}.service`), app).toMatch(/^WantedBy=multi-user\.target$/m);
      expect(service(`${app}-db.service`), app).toMatch(/--sdnotify=healthy/);
      expect(service(`${app}-db.service`), app).toMatch(/ --stop-timeout 60 /);
      expect(service(`${app}-db.service`), app).toMatch(/^TimeoutStopSec=90$/m);
    }
    expect(service('mempool.service')).toMatch(/^Requires=electrumx\.service$/m);
    const backend = service('mempool-backend.service');
    expect(backend).toMatch(/^Requires=mempool-db\.service\nAfter=mempool-db\.service\nAfter=bitcoin-bitcoind\.service$/m);
    expect(backend).toMatch(/ --init /);
    expect(backend).toMatch(/--network mempool:alias=backend --network archy /);
    expect(backend).toMatch(/--secret archy\.mempool-db-password,type=env,target=DATABASE_PASSWORD /);
    expect(backend).toMatch(/--secret archy\.bitcoin-rpc-password,type=env,target=CORE_RPC_PASSWORD /);
    expect(service('mempool-db.service')).toMatch(/--secret archy\.mempool-db-password,type=env,target=MARIADB_PASSWORD /);
    const frontend = service('mempool-frontend.service');
    expect(frontend).toMatch(/^After=mempool-backend\.service$/m);
    // The generator orders these two flags either way round.
    expect(frontend).toMatch(/ --stop-signal SIGQUIT /);
    expect(frontend).toMatch(/ --stop-timeout 30 /);
    expect(frontend).toMatch(/--publish 127\.0\.0\.1:3005:8080 /);
    expect(service('btcpay-db.service')).toMatch(/ --stop-signal SIGINT /);
    const nbx = service('btcpay-nbxplorer.service');
    expect(nbx).toMatch(/^After=btcpay-db\.service\nAfter=bitcoin-bitcoind\.service$/m);
    expect(nbx).toMatch(/--secret archy\.btcpay-db-password,type=env,target=PGPASSWORD /);
    const server = service('btcpay-server.service');
    expect(server).toMatch(/^After=btcpay-db\.service\nAfter=btcpay-nbxplorer\.service$/m);
    expect(server).toMatch(/--publish 127\.0\.0\.1:3004:23000 /);
    expect(server).toMatch(/-v \/var\/lib\/archipelago\/btcpay\/nbxplorer:\/nbxplorer:ro /);
  });
});

describe('Bitcoin Knots: the bitcoin app run from Knots\' image', () => {
  const KNOTS = 'docker.io/bitcoinknots/bitcoin:28.1';

  /** The catalog with bitcoin.yaml switched to Knots: its image and its name, nothing else. */
  async function knotsCatalog(): Promise<ManifestSource[]> {
    const sources = await readManifestFiles('manifests', ROOT);
    return sources.map((s) => (s.file.endsWith('/bitcoin.yaml') ? { ...s, text: s.text.replace('image: docker.io/bitcoin/bitcoin:28.1', `image: ${KNOTS}`).replace('name: Bitcoin Core', 'name: Bitcoin Knots') } : s));
  }

  test('switching is the image line: the catalog stays valid, and every unit but bitcoind\'s (and the app\'s description) is unchanged', async () => {
    const core = await compileSources(await readManifestFiles('manifests', ROOT));
    const knots = await compileSources(await knotsCatalog());
    expect(knots.map((f) => f.name)).toEqual(core.map((f) => f.name));
    const changed = knots.filter((f, i) => f.content !== core[i]!.content).map((f) => f.name);
    expect(changed).toEqual(['bitcoin-bitcoind.container', 'bitcoin-ui.container']);
    const bitcoind = knots.find((f) => f.name === 'bitcoin-bitcoind.container')!.content;
    expect(bitcoind).toContain(`Image=${KNOTS}\n`);
    // The consumers' units, the exports they take and the config templates do not name the implementation.
    for (const f of knots.filter((x) => !x.name.startsWith('bitcoin'))) expect(f.content, f.name).not.toMatch(/[Kk]nots|Bitcoin Core/);
  });

  test('the Knots catalog is accepted by podman 5.4.2\'s Quadlet generator', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'aq-knots-'));
    try {
      for (const f of await compileSources(await knotsCatalog())) await writeFile(path.join(dir, f.name), f.content);
      const run = runQuadletDryRun(dir);
      expect(run.complaints).toEqual([]);
      expect(run.code).toBe(0);
      expect(run.services.get('bitcoin-bitcoind.service')).toContain(KNOTS);
    } finally {
      await rm(dir, { recursive: true, force: true });
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
