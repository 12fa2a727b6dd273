import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { APP_STATES } from '../../src/controller/types.js';
import { readCatalogIcon } from '../../src/store/node/catalog-files.js';
import { useHost } from '../host/index.js';
import { apiOnHost, type HostApi } from '../support/api.js';
import { QUICK_UNIT, slowStopUnit } from '../support/apps.js';

// Every route and every error of the API, in-process through fastify's inject,
// over the real controller on the real test host.

const host = useHost();
let h: HostApi;
let app: FastifyInstance;
const auth = (): Record<string, string> => ({ authorization: `Bearer ${h.token}` });

beforeAll(async () => {
  h = await apiOnHost(host, [
    { id: 'api-slow', name: 'Slow Stopper', unit: slowStopUnit(12) },
    { id: 'api-quick', name: 'Quick', unit: QUICK_UNIT },
    { id: 'api-absent', name: 'Absent', meta: { description: 'In the catalog, not installed', icon: 'icons/absent.svg', version: '1.0', web: { port: 3009, path: '/', loopbackOnly: true } } },
  ]);
  await h.controller.start('api-slow');
  await h.controller.start('api-quick');
  await h.waitFor('api-slow', 'running');
  await h.waitFor('api-quick', 'running');
  app = h.api();
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await h?.close();
});

describe('auth and origin', () => {
  it('refuses every API route without the bearer token (401, WWW-Authenticate)', async () => {
    for (const [method, url] of [['GET', '/api/apps'], ['GET', '/api/apps/api-slow'], ['GET', '/api/apps/api-slow/logs'], ['POST', '/api/apps/api-slow/stop'], ['GET', '/api/events'], ['POST', '/rpc/v1']] as const) {
      const r = await app.inject({ method, url });
      expect(r.statusCode, `${method} ${url}`).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(r.json()).toEqual({ error: 'unauthorized', message: expect.stringContaining('archy-quadlet token') });
    }
    expect(h.controller.get('api-slow')!.state).toBe('running');
  });

  it('refuses a wrong token without echoing it', async () => {
    const r = await app.inject({ url: '/api/apps', headers: { authorization: 'Bearer not-the-token-123456' } });
    expect(r.statusCode).toBe(401);
    expect(r.body).not.toContain('not-the-token');
  });

  it('serves the UI and Vue without a token, with a CSP that allows nothing from elsewhere', async () => {
    const index = await app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("default-src 'none'");
    expect(index.body).toContain('/ui/app.js');
    const vue = await app.inject({ url: '/vendor/vue.esm-browser.prod.js' });
    expect(vue.statusCode).toBe(200);
    expect(vue.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await app.inject({ url: '/ui/app.js' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/ui/ui-logic.d.ts' })).statusCode).toBe(404);
  });

  it('refuses cross-origin requests by Origin and by Sec-Fetch-Site, accepts same-origin ones', async () => {
    const evil = await app.inject({ method: 'POST', url: '/api/apps/api-quick/stop', headers: { ...auth(), origin: 'http://evil.example' } });
    expect(evil.statusCode).toBe(403);
    expect(evil.json().error).toBe('cross-origin');
    const site = await app.inject({ url: '/api/apps', headers: { ...auth(), 'sec-fetch-site': 'cross-site' } });
    expect(site.statusCode).toBe(403);
    const nullOrigin = await app.inject({ url: '/api/apps', headers: { ...auth(), origin: 'null' } });
    expect(nullOrigin.statusCode).toBe(403);
    const same = await app.inject({ url: '/api/apps', headers: { ...auth(), host: 'localhost:8080', origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' } });
    expect(same.statusCode).toBe(200);
    expect(h.controller.get('api-quick')!.state).toBe('running');
  });
});

describe('REST', () => {
  it('GET /api/apps lists every app with the full state vocabulary and the seq it is current as of', async () => {
    const r = await app.inject({ url: '/api/apps', headers: auth() });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(Number.isInteger(body.seq)).toBe(true);
    expect(body.epoch).toMatch(/^[0-9a-f]{12}$/);
    const byId = Object.fromEntries(body.apps.map((a: { id: string; state: string }) => [a.id, a]));
    expect(byId['api-slow']).toMatchObject({ name: 'Slow Stopper', unit: 'api-slow.service', state: 'running' });
    expect(byId['api-absent']).toMatchObject({ state: 'not-installed' });
    for (const a of body.apps) expect(APP_STATES).toContain(a.state);
  });

  it('GET /api/apps/:id gives state, since, the rendered unit and the history', async () => {
    const r = await app.inject({ url: '/api/apps/api-quick', headers: auth() });
    expect(r.statusCode).toBe(200);
    const d = r.json();
    expect(d).toMatchObject({ id: 'api-quick', state: 'running', unit: 'api-quick.service' });
    expect(Date.parse(d.since)).toBeGreaterThan(0);
    expect(d.unitText).toBe(QUICK_UNIT);
    expect(d.history.map((x: { state: string }) => x.state)).toContain('running');
    const absent = (await app.inject({ url: '/api/apps/api-absent', headers: auth() })).json();
    expect(absent.state).toBe('not-installed');
    expect(absent.unitText).toBeUndefined();
  });

  it('GET /api/apps/:id/logs gives the recent journal lines', async () => {
    const r = await app.inject({ url: '/api/apps/api-quick/logs?lines=50', headers: auth() });
    expect(r.statusCode).toBe(200);
    expect(r.json().unit).toBe('api-quick.service');
    expect(r.json().lines.join('\n')).toContain('started');
    const bad = await app.inject({ url: '/api/apps/api-quick/logs?lines=0', headers: auth() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('lines must be an integer from 1 to 1000');
  });

  it('GET /api/apps/:id/icon serves the manifest\'s icon from the manifests directory, with its type; nothing outside it', async () => {
    const catalog = mkdtempSync(join(tmpdir(), 'aq-icons-'));
    try {
      mkdirSync(join(catalog, 'icons'));
      writeFileSync(join(catalog, 'icons/absent.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
      const icons = (path: string) => readCatalogIcon(catalog, path);
      const withIcons = h.api({ icons });
      const listed = (await withIcons.inject({ url: '/api/apps', headers: auth() })).json().apps.find((a: { id: string }) => a.id === 'api-absent');
      expect(listed).toMatchObject({ state: 'not-installed', description: 'In the catalog, not installed', icon: 'icons/absent.svg', version: '1.0', web: { port: 3009, path: '/', loopbackOnly: true } });
      const r = await withIcons.inject({ url: '/api/apps/api-absent/icon', headers: auth() });
      expect(r.statusCode).toBe(200);
      expect(r.headers).toMatchObject({ 'content-type': 'image/svg+xml', 'x-content-type-options': 'nosniff' });
      expect(r.headers['content-security-policy']).toContain('sandbox');
      expect(r.body).toBe('<svg xmlns="http://www.w3.org/2000/svg"/>');
      expect((await withIcons.inject({ url: '/api/apps/api-absent/icon' })).statusCode).toBe(401);
      const none = await withIcons.inject({ url: '/api/apps/api-quick/icon', headers: auth() });
      expect(none.statusCode).toBe(404);
      expect(none.json().message).toContain('its manifest has no icon');
      rmSync(join(catalog, 'icons/absent.svg'));
      expect((await withIcons.inject({ url: '/api/apps/api-absent/icon', headers: auth() })).statusCode).toBe(404);
      await withIcons.close();
    } finally {
      rmSync(catalog, { recursive: true, force: true });
    }
  });

  it('unknown app → 404 naming it; ids that are not DNS labels or traverse → 400; nothing reaches systemd', async () => {
    const missing = await app.inject({ method: 'POST', url: '/api/apps/nope/stop', headers: auth() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'not-found', message: expect.stringContaining('app "nope" not found') });
    // A literal `..` segment is resolved by the URL parser before routing: no route matches it.
    for (const url of ['/api/apps/../stop', '/api/apps/%2e%2e/stop']) expect((await app.inject({ method: 'POST', url, headers: auth() })).statusCode).toBe(404);
    for (const id of ['API-slow', '..%2F..%2Fetc%2Fpasswd', 'a_b', '-x', 'x'.repeat(64), 'api-slow.service']) {
      for (const url of [`/api/apps/${id}`, `/api/apps/${id}/stop`]) {
        const r = await app.inject({ method: url.endsWith('/stop') ? 'POST' : 'GET', url, headers: auth() });
        expect(r.statusCode, url).toBe(400);
        expect(r.json().error).toBe('invalid-id');
        expect(r.json().message).toContain('is not a DNS label');
      }
    }
    expect(h.controller.get('api-slow')!.state).toBe('running');
    const unknownAction = await app.inject({ method: 'POST', url: '/api/apps/api-slow/explode', headers: auth() });
    expect(unknownAction.statusCode).toBe(404);
    expect(unknownAction.json().message).toContain('start, stop, restart, install, remove');
    const route = await app.inject({ url: '/api/nothing', headers: auth() });
    expect(route.statusCode).toBe(404);
  });

  it('malformed JSON → 400, oversized body → 413, each with a clear message, before the controller', async () => {
    const bad = await app.inject({ method: 'POST', url: '/api/apps/api-slow/stop', headers: { ...auth(), 'content-type': 'application/json' }, payload: '{"oops":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'malformed-json', message: expect.stringContaining('not valid JSON') });
    const big = await app.inject({ method: 'POST', url: '/api/apps/api-slow/stop', headers: { ...auth(), 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(20_000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'payload-too-large', message: 'request body too large (limit 16384 bytes)' });
    expect(h.controller.get('api-slow')!.state).toBe('running');
  });

  it('install/remove without the reconciler → 501', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/apps/api-absent/install', headers: auth() });
    expect(r.statusCode).toBe(501);
    expect(r.json().message).toContain('without the reconciler');
  });

  it('POST stop answers 202 "stopping" at once while the unit takes 12 s to stop; start and restart likewise', async () => {
    const t0 = performance.now();
    const r = await app.inject({ method: 'POST', url: '/api/apps/api-slow/stop', headers: auth() });
    const ms = performance.now() - t0;
    expect(r.statusCode).toBe(202);
    const body = r.json();
    expect(body).toMatchObject({ action: 'stop', status: { id: 'api-slow', state: 'stopping' } });
    expect(body.job).toMatch(/^\/org\/freedesktop\/systemd1\/job\/\d+$/);
    expect(body.seq).toBeGreaterThan(0);
    expect(ms).toBeLessThan(500); // well under a second, whatever the stop takes
    expect(h.controller.get('api-slow')!.state).toBe('stopping');
    await h.waitFor('api-slow', 'stopped', 60_000);

    const start = await app.inject({ method: 'POST', url: '/api/apps/api-slow/start', headers: auth() });
    expect(start.statusCode).toBe(202);
    expect(['starting', 'running']).toContain(start.json().status.state);
    await h.waitFor('api-slow', 'running');

    const restart = await app.inject({ method: 'POST', url: '/api/apps/api-quick/restart', headers: auth() });
    expect(restart.statusCode).toBe(202);
    expect(restart.json().status.state).toBe('restarting');
    await h.waitFor('api-quick', 'running');
  });
});

describe('JSON-RPC 2.0 at /rpc/v1', () => {
  const rpc = async (payload: unknown, raw = false) => {
    const r = await app.inject({ method: 'POST', url: '/rpc/v1', headers: { ...auth(), 'content-type': 'application/json' }, payload: raw ? (payload as string) : JSON.stringify(payload) });
    return { status: r.statusCode, body: r.body === '' ? undefined : r.json() };
  };

  it('container-list: every app with the full state vocabulary, never "unknown"', async () => {
    const { status, body } = await rpc({ jsonrpc: '2.0', id: 1, method: 'container-list' });
    expect(status).toBe(200);
    expect(body.id).toBe(1);
    const byId = Object.fromEntries(body.result.map((e: { id: string }) => [e.id, e]));
    expect(byId['api-absent']).toMatchObject({ name: 'Absent', status: 'not-installed' });
    expect(byId['api-quick']).toMatchObject({ status: 'running', unit: 'api-quick.service' });
    for (const e of body.result) expect(APP_STATES).toContain(e.status);
  });

  it('container-stop / container-start / container-restart answer {"status": transitional} at once', async () => {
    const stop = await rpc({ jsonrpc: '2.0', id: 'a', method: 'container-stop', params: { id: 'api-quick' } });
    expect(stop.body).toEqual({ jsonrpc: '2.0', id: 'a', result: { status: 'stopping' } });
    await h.waitFor('api-quick', 'stopped');
    const start = await rpc({ jsonrpc: '2.0', id: 'b', method: 'container-start', params: ['api-quick'] });
    expect(start.body.result.status).toMatch(/^(starting|running)$/);
    await h.waitFor('api-quick', 'running');
    const restart = await rpc({ jsonrpc: '2.0', id: 'c', method: 'container-restart', params: { name: 'api-quick' } });
    expect(restart.body).toEqual({ jsonrpc: '2.0', id: 'c', result: { status: 'restarting' } });
    await h.waitFor('api-quick', 'running');
  });

  it("the previous system's client: container-list → container-stop → container-list, read by `state`", async () => {
    // That client reads each entry's `state` (its union) and sends `{"name": …}`; `status` stays beside it.
    type Entry = { id: string; name: string; state: string; status: string };
    const list = async (id: number): Promise<Map<string, Entry>> => {
      const r = await rpc({ jsonrpc: '2.0', id, method: 'container-list' });
      return new Map((r.body.result as Entry[]).map((e) => [e.id, e]));
    };
    const before = await list(10);
    expect(before.get('api-slow')).toMatchObject({ name: 'Slow Stopper', state: 'running', status: 'running' });
    expect(before.get('api-absent')).toMatchObject({ state: 'unknown', status: 'not-installed' });
    const stop = await rpc({ jsonrpc: '2.0', id: 11, method: 'container-stop', params: { name: 'api-slow' } });
    expect(stop.body.result).toEqual({ status: 'stopping' });
    // The unit takes 12 s to stop: the next list, at once, reads it stopping in both words.
    expect((await list(12)).get('api-slow')).toMatchObject({ state: 'stopping', status: 'stopping' });
    await h.waitFor('api-slow', 'stopped', 60_000);
    expect((await list(13)).get('api-slow')).toMatchObject({ state: 'stopped', status: 'stopped' });
    await rpc({ jsonrpc: '2.0', id: 14, method: 'container-start', params: { name: 'api-slow' } });
    await h.waitFor('api-slow', 'running');
  });

  it('unknown method → -32601 naming it; invalid request → -32600; parse error → -32700', async () => {
    const unknown = await rpc({ jsonrpc: '2.0', id: 7, method: 'container-explode' });
    expect(unknown.body.error.code).toBe(-32601);
    expect(unknown.body.error.message).toContain('"container-explode"');
    expect(unknown.body.id).toBe(7);
    for (const bad of [{ id: 1, method: 'container-list' }, { jsonrpc: '2.0', id: 2 }, { jsonrpc: '2.0', id: 3, method: 5 }, 'x', 42, { jsonrpc: '2.0', id: {}, method: 'container-list' }]) {
      const r = await rpc(bad);
      expect(r.body.error.code, JSON.stringify(bad)).toBe(-32600);
    }
    expect((await rpc([])).body.error.code).toBe(-32600);
    const parse = await rpc('{"jsonrpc": "2.0", "method"', true);
    expect(parse.body).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });

  it('bad ids → -32602, unknown apps → -32004, nothing reaches systemd', async () => {
    const bad = await rpc({ jsonrpc: '2.0', id: 1, method: 'container-stop', params: { id: '../api-quick' } });
    expect(bad.body.error).toMatchObject({ code: -32602, message: expect.stringContaining('not a DNS label') });
    const none = await rpc({ jsonrpc: '2.0', id: 2, method: 'container-stop', params: {} });
    expect(none.body.error.code).toBe(-32602);
    const unknown = await rpc({ jsonrpc: '2.0', id: 3, method: 'container-stop', params: { id: 'nope' } });
    expect(unknown.body.error).toMatchObject({ code: -32004, message: expect.stringContaining('"nope" not found') });
    expect(h.controller.get('api-quick')!.state).toBe('running');
  });

  it('batches answer each request; notifications get no answer', async () => {
    const r = await rpc([{ jsonrpc: '2.0', id: 1, method: 'container-list' }, { jsonrpc: '2.0', method: 'container-list' }, { jsonrpc: '2.0', id: 2, method: 'nope' }]);
    expect(r.body.map((x: { id: number }) => x.id)).toEqual([1, 2]);
    const n = await rpc({ jsonrpc: '2.0', method: 'container-list' });
    expect(n.status).toBe(204);
  });

  it('oversized body → 413', async () => {
    const r = await rpc({ jsonrpc: '2.0', id: 1, method: 'container-list', params: { pad: 'x'.repeat(20_000) } });
    expect(r.status).toBe(413);
  });
});
