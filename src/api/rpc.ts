/**
 * JSON-RPC 2.0 at `POST /rpc/v1`, with the method names the node's existing
 * dashboard calls: `container-list`, `container-start`, `container-stop`,
 * `container-restart`. Errors of the app layer are mapped through the same
 * table as the REST routes (`httpErrorFor`), then to a JSON-RPC code.
 */
import type { FastifyInstance } from 'fastify';
import type { AppStatus } from '../controller/types.js';
import type { EventHub } from './event-hub.js';
import { httpErrorFor, HttpError } from './http-errors.js';
import { assertLinkUp, requireApp, runAction } from './routes-apps.js';
import type { ApiDeps } from './types.js';

export const RPC_ERRORS = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** Application codes (the -32000…-32099 server range). */
  notFound: -32004,
  conflict: -32009,
  unavailable: -32002,
  notImplemented: -32001,
} as const;

type RpcId = string | number | null;

interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type RpcResponse = { jsonrpc: '2.0'; id: RpcId; result: unknown } | { jsonrpc: '2.0'; id: RpcId; error: RpcError };

/**
 * The state words of the previous system's web client: its `container-list` entries' `state` is one of these
 * (docs/api.md, "JSON-RPC 2.0").
 */
export const LEGACY_STATES = [
  'created', 'running', 'stopped', 'exited', 'paused', 'unknown', 'stopping', 'starting', 'restarting',
  'installing', 'updating', 'removing', 'installed',
] as const;
export type LegacyState = (typeof LEGACY_STATES)[number];

/**
 * Our state in the previous client's words: the same word where it has one; `failed` (the main process ended and
 * systemd will not start it again) is its `exited`; `crash-loop` (systemd restarting a main process that exits) its
 * `restarting`; `not-installed` (in the catalog, no unit on the node) has no word
 * there, so `unknown`. The table in docs/api.md is this function.
 */
export function legacyState(state: AppStatus['state']): LegacyState {
  switch (state) {
    case 'failed':
      return 'exited';
    case 'crash-loop':
      return 'restarting';
    case 'not-installed':
      return 'unknown';
    default:
      return state;
  }
}

/** A `container-list` entry: the full state vocabulary in `status`, never "unknown"; the previous client's word in `state`. */
export interface ContainerEntry {
  id: string;
  name: string;
  unit: string;
  status: AppStatus['state'];
  /** `status` in the previous system's client's union ({@link legacyState}). */
  state: LegacyState;
  /** As in AppStatus: absent when nothing knows when the state began (docs/api.md). */
  since?: string;
  deadline?: string;
  reason?: string;
  /** The reconciler's back-off, as in AppStatus. */
  retry?: AppStatus['retry'];
}

function entry(s: AppStatus): ContainerEntry {
  return { id: s.id, name: s.name, unit: s.unit, status: s.state, state: legacyState(s.state), since: s.since, deadline: s.deadline, reason: s.reason, retry: s.retry };
}

/** The app id from `{"id": …}`, `{"name": …}` or `[…]` params. */
function idParam(params: unknown): unknown {
  if (Array.isArray(params)) return params[0];
  if (params && typeof params === 'object') {
    const p = params as Record<string, unknown>;
    return p.id ?? p.name;
  }
  return undefined;
}

const LIFECYCLE: Record<string, 'start' | 'stop' | 'restart'> = {
  'container-start': 'start',
  'container-stop': 'stop',
  'container-restart': 'restart',
};
export const RPC_METHODS = ['container-list', ...Object.keys(LIFECYCLE)];

function rpcErrorFor(err: unknown, bodyLimit: number): RpcError {
  const { statusCode, body } = httpErrorFor(err, bodyLimit);
  const code =
    statusCode === 400 ? RPC_ERRORS.invalidParams
    : statusCode === 404 ? RPC_ERRORS.notFound
    : statusCode === 409 ? RPC_ERRORS.conflict
    : statusCode === 501 ? RPC_ERRORS.notImplemented
    : statusCode === 502 ? RPC_ERRORS.unavailable
    : RPC_ERRORS.internal;
  return { code, message: body.message, data: { error: body.error } };
}

function isValidId(id: unknown): id is RpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** Handles one request object; undefined for a notification (no answer). */
async function handleOne(deps: ApiDeps, hub: EventHub, req: unknown, bodyLimit: number): Promise<RpcResponse | undefined> {
  const r = req as Record<string, unknown> | null;
  if (!r || typeof r !== 'object' || Array.isArray(r) || r.jsonrpc !== '2.0' || typeof r.method !== 'string' || ('id' in r && !isValidId(r.id)) || ('params' in r && (r.params === null || typeof r.params !== 'object'))) {
    const id = r && typeof r === 'object' && isValidId(r.id) ? r.id : null;
    return { jsonrpc: '2.0', id, error: { code: RPC_ERRORS.invalidRequest, message: 'invalid request: expected {"jsonrpc":"2.0","method":STRING,"params"?:OBJECT|ARRAY,"id"?:STRING|NUMBER}' } };
  }
  const notification = !('id' in r);
  const id = (r.id ?? null) as RpcId;
  const method = r.method;
  let answer: RpcResponse;
  try {
    if (method === 'container-list') {
      // The dashboard has no word for "not known": while systemd is unreachable it gets an error, not a guess.
      assertLinkUp(deps, 'app states are not known');
      answer = { jsonrpc: '2.0', id, result: deps.controller.list().map(entry) };
    } else if (Object.hasOwn(LIFECYCLE, method)) {
      const app = requireApp(deps, idParam(r.params));
      const accepted = await runAction(deps, hub, LIFECYCLE[method]!, app.id);
      answer = { jsonrpc: '2.0', id, result: { status: accepted.status.state } };
    } else {
      answer = { jsonrpc: '2.0', id, error: { code: RPC_ERRORS.methodNotFound, message: `method not found: ${JSON.stringify(method)}; available: ${RPC_METHODS.join(', ')}` } };
    }
  } catch (err) {
    if (httpErrorFor(err, bodyLimit).statusCode >= 500 && !(err instanceof HttpError)) deps.log.error(`rpc ${method}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    answer = { jsonrpc: '2.0', id, error: rpcErrorFor(err, bodyLimit) };
  }
  return notification ? undefined : answer;
}

export function registerRpcRoutes(app: FastifyInstance, deps: ApiDeps, hub: EventHub, bodyLimit: number): void {
  // Scoped to this plugin: the body reaches the handler unparsed, so a parse error is answered as JSON-RPC -32700.
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post('/rpc/v1', async (req, reply) => {
      const text = typeof req.body === 'string' ? req.body : '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        return reply.send({ jsonrpc: '2.0', id: null, error: { code: RPC_ERRORS.parse, message: `parse error: ${err instanceof Error ? err.message : 'not JSON'}` } });
      }
      if (Array.isArray(parsed)) {
        if (parsed.length === 0) return reply.send({ jsonrpc: '2.0', id: null, error: { code: RPC_ERRORS.invalidRequest, message: 'invalid request: empty batch' } });
        const answers = (await Promise.all(parsed.map((one) => handleOne(deps, hub, one, bodyLimit)))).filter((a) => a !== undefined);
        return answers.length > 0 ? reply.send(answers) : reply.code(204).send();
      }
      const answer = await handleOne(deps, hub, parsed, bodyLimit);
      return answer ? reply.send(answer) : reply.code(204).send();
    });
  });
}
