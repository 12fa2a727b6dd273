import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/server.js';
import { loadOrCreateToken, tokenPath } from '../../src/store/state/token.js';
import { useHost } from '../host/index.js';
import { apiOnHost, type HostApi } from '../support/api.js';
import { QUICK_UNIT } from '../support/apps.js';
import { recordFigures } from '../support/chaos-figures.js';
import { rawRequest } from '../support/chaos-http.js';
import { hostArgs, startServeChild } from '../support/cli.js';

// API security over real HTTP on loopback, against the real controller on the test host: no token → 401 on every
// mutating route; traversal and non-DNS-label ids → 400; oversized bodies → 413; the token file is 0600 and the
// token appears in no log line, neither the API's nor `serve`'s.

const host = useHost();
const ID = 'sec-app';
let h: HostApi;
let server: RunningServer;
const counts = { 'unauthenticated requests': 0, 'answered 401': 0, 'bad ids sent': 0, 'answered 400': 0, 'oversized bodies': 0, 'answered 413': 0, 'log lines checked': 0, 'log lines with the token': 0 };

beforeAll(async () => {
  h = await apiOnHost(host, [{ id: ID, unit: QUICK_UNIT }]);
  server = await h.listen();
});
afterAll(async () => {
  await h?.close();
});

const auth = (): Record<string, string> => ({ authorization: `Bearer ${h.token}` });
const ACTIONS = ['start', 'stop', 'restart', 'install', 'remove'];
const RPC_METHODS = ['container-start', 'container-stop', 'container-restart', 'container-list'];

describe('API security (real HTTP on loopback, the real controller)', () => {
  it('every mutating route without a token, with a wrong one or a malformed header → 401; nothing reaches systemd', async () => {
    const before = h.controller.get(ID)!.state;
    const headerSets: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token-0123456789abcdef' },
      { authorization: `Bearer ${h.token}x` },
      { authorization: `Basic ${Buffer.from(`admin:${h.token}`).toString('base64')}` },
      { authorization: `Bearer` },
      { authorization: `${h.token}` },
      { cookie: `token=${h.token}` },
    ];
    const requests: Array<{ method: string; path: string; body?: string }> = [
      ...ACTIONS.map((a) => ({ method: 'POST', path: `/api/apps/${ID}/${a}` })),
      ...RPC_METHODS.map((m) => ({ method: 'POST', path: '/rpc/v1', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params: { id: ID } }) })),
      { method: 'GET', path: '/api/apps' },
      { method: 'GET', path: `/api/apps/${ID}` },
      { method: 'GET', path: `/api/apps/${ID}/logs` },
      { method: 'GET', path: '/api/events' },
    ];
    const wrong: string[] = [];
    for (const headers of headerSets) {
      for (const r of requests) {
        const res = await rawRequest(server.url, { ...r, headers: { ...headers, ...(r.body ? { 'content-type': 'application/json' } : {}) } });
        counts['unauthenticated requests']++;
        if (res.status === 401) counts['answered 401']++;
        else wrong.push(`${r.method} ${r.path} ${JSON.stringify(headers).slice(0, 40)} → ${res.status}`);
        if (res.body.includes(h.token)) wrong.push(`${r.method} ${r.path}: the answer echoes the token`);
      }
    }
    expect(wrong).toEqual([]);
    expect(h.controller.get(ID)!.state).toBe(before);
  });

  it('traversal and non-DNS-label ids → 400 on every route, raw bytes on the wire', async () => {
    const ids = [
      '..%2f..%2fetc%2fpasswd',
      '..%2F',
      '%2e%2e',
      '%2e%2e%2f%2e%2e%2fetc',
      '%2E%2E',
      '.%2e',
      '..',
      '.',
      '%2fetc%2fpasswd',
      'a%20b',
      'a%00b',
      'a%0ab',
      'A',
      'Sec-App',
      'a_b',
      '-x',
      'x-',
      'x'.repeat(64),
      `${ID}.service`,
      `${ID}.container`,
      '%C3%BC',
      '%E2%80%AE',
      '~root',
      '%24(id)',
    ];
    const wrong: string[] = [];
    for (const id of ids) {
      const targets = [
        ...ACTIONS.map((a) => ({ method: 'POST', path: `/api/apps/${id}/${a}` })),
        { method: 'GET', path: `/api/apps/${id}` },
        { method: 'GET', path: `/api/apps/${id}/logs` },
      ];
      for (const t of targets) {
        const res = await rawRequest(server.url, { ...t, headers: auth() });
        counts['bad ids sent']++;
        if (res.status === 400) counts['answered 400']++;
        else wrong.push(`${t.method} ${t.path} → ${res.status} ${res.body.slice(0, 120)}`);
      }
      // JSON-RPC takes the id from its params: the same check.
      const raw = decodeURIComponent(id.replace(/%(?![0-9a-fA-F]{2})/g, '%25'));
      const rpc = await rawRequest(server.url, {
        method: 'POST',
        path: '/rpc/v1',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'container-stop', params: { id: raw } }),
      });
      counts['bad ids sent']++;
      const err = rpc.status === 200 ? (JSON.parse(rpc.body) as { error?: { code: number; data?: { status?: number } } }).error : undefined;
      // JSON-RPC answers 200 with an error object; invalid params is its "400".
      if (err?.code === -32602) counts['answered 400']++;
      else wrong.push(`rpc container-stop ${JSON.stringify(raw)} → ${rpc.status} ${rpc.body.slice(0, 160)}`);
    }
    expect(wrong).toEqual([]);
    expect(h.controller.get(ID)).toBeDefined();
  });

  it('oversized bodies → 413 (with a Content-Length and chunked), before anything runs', async () => {
    const wrong: string[] = [];
    const big = JSON.stringify({ pad: 'x'.repeat(64 * 1024) });
    const huge = JSON.stringify({ pad: 'x'.repeat(4 * 1024 * 1024) });
    for (const body of [big, huge]) {
      for (const chunked of [false, true]) {
        for (const path of [...ACTIONS.map((a) => `/api/apps/${ID}/${a}`), '/rpc/v1']) {
          counts['oversized bodies']++;
          const res = await rawRequest(server.url, { method: 'POST', path, headers: { ...auth(), 'content-type': 'application/json' }, body, chunked }).catch((e: Error) => ({ status: -1, body: e.message }));
          if (res.status === 413) counts['answered 413']++;
          else wrong.push(`${path} ${body.length} B${chunked ? ' chunked' : ''} → ${res.status} ${res.body.slice(0, 100)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the API never logs the token, whatever it was asked', () => {
    // Everything the API logged over this file's requests (including 401s, 400s, 413s).
    counts['log lines checked'] += h.deps.log && 'lines' in h.deps.log ? (h.deps.log as { lines: string[] }).lines.length : 0;
    const lines = (h.deps.log as unknown as { lines: string[] }).lines;
    counts['log lines with the token'] += lines.filter((l) => l.includes(h.token)).length;
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes(h.token))).toEqual([]);
  });

  it('serve: the token file is 0600 in a 0700 state dir, and serve\'s log never shows the token', async () => {
    const state = mkdtempSync(join(tmpdir(), 'aq-chaos-sec-'));
    try {
      const stateDir = join(state, 'state');
      const serve = await startServeChild([...hostArgs(host, { stateDir }), 'serve', '--unit-dir', host.unitDir, '--listen', '127.0.0.1:0']);
      try {
        const url = serve.url;
        const token = readFileSync(tokenPath(stateDir), 'utf8').trim();
        expect(statSync(tokenPath(stateDir)).mode & 0o777).toBe(0o600);
        expect(statSync(stateDir).mode & 0o777).toBe(0o700);
        expect(await loadOrCreateToken(stateDir)).toBe(token);
        // Good and bad requests alike, then a clean shutdown: none of it may print the token.
        const headers = { authorization: `Bearer ${token}` };
        await rawRequest(url, { path: '/api/apps', headers });
        await rawRequest(url, { method: 'POST', path: `/api/apps/${ID}/restart`, headers: { authorization: `Bearer ${token.slice(0, -1)}` } });
        await rawRequest(url, { method: 'POST', path: '/api/apps/%2e%2e/stop', headers });
        await rawRequest(url, { method: 'POST', path: '/rpc/v1', headers: { ...headers, 'content-type': 'application/json' }, body: '{"jsonrpc":' });
      } catch (err) {
        throw new Error(`${(err as Error).message}\nserve's log:\n${serve.log()}`);
      } finally {
        await serve.stop();
      }
      const log = serve.log();
      const token = readFileSync(tokenPath(stateDir), 'utf8').trim();
      const lines = log.split('\n').filter((l) => l !== '');
      counts['log lines checked'] += lines.length;
      counts['log lines with the token'] += lines.filter((l) => l.includes(token)).length;
      expect(lines.length).toBeGreaterThan(0);
      expect(log).not.toContain(token);

      // A token file someone made world-readable is tightened back to 0600 on the next start.
      chmodSync(tokenPath(stateDir), 0o644);
      await loadOrCreateToken(stateDir);
      expect(statSync(tokenPath(stateDir)).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });

  afterAll(() => recordFigures('api-security', counts));
});
