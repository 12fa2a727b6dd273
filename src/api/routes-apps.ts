/**
 * REST routes: the app list, one app's detail and logs, the lifecycle actions
 * and the server's health. Actions answer 202 as soon as the controller (or
 * installer) returns, which is as soon as systemd has queued the job; they
 * never wait for it. While systemd is unreachable, actions answer 502 at once.
 */
import type { FastifyInstance } from 'fastify';
import { deriveState } from '../controller/state.js';
import type { AppStatus, LifecycleResult } from '../controller/types.js';
import { NotFoundError } from '../errors.js';
import { INSTANCE_NAME } from '../naming.js';
import { describeLink, linkUp } from '../systemd/link.js';
import type { LinkStatus } from '../systemd/types.js';
import type { EventHub } from './event-hub.js';
import { appFailureCause, appUnits, mergeJournals } from './failure-cause.js';
import { parseAppId } from './guard.js';
import { HttpError } from './http-errors.js';
import type { ActionAccepted, ApiDeps, AppDetail, AppList, Health } from './types.js';

export const ACTIONS = ['start', 'stop', 'restart', 'install', 'remove'] as const;
export type Action = (typeof ACTIONS)[number];

const DEFAULT_LOG_LINES = 100;
const MAX_LOG_LINES = 1000;

/** The link to systemd while it is down (app states are not current then); undefined while it is up or unknown to the API. */
export function linkDown(deps: Pick<ApiDeps, 'link'>): LinkStatus | undefined {
  const link = deps.link?.current();
  return link && !linkUp(link) ? link : undefined;
}

/** Throws HttpError 502 `systemd-unavailable` (`what`: the link's description) while the link to systemd is down. */
export function assertLinkUp(deps: Pick<ApiDeps, 'link'>, what: string): void {
  const link = linkDown(deps);
  if (link) throw new HttpError(502, 'systemd-unavailable', `${what}: ${describeLink(link)}; try again once it is back (GET /api/health)`);
}

/**
 * The tracked app `id`, after checking the id's form. Throws HttpError 400, NotFoundError, or HttpError 502 for
 * an app not known while systemd has not been reached yet (the apps are known once it is).
 */
export function requireApp(deps: Pick<ApiDeps, 'controller' | 'link'>, raw: unknown): AppStatus {
  const id = parseAppId(raw);
  const status = deps.controller.get(id);
  if (!status) {
    assertLinkUp(deps, `app ${JSON.stringify(id)} is not known yet`);
    throw new NotFoundError('app', id, 'GET /api/apps lists the apps this node knows');
  }
  return status;
}

/**
 * Runs one lifecycle action and builds the 202 answer; the seq is read after the call returned. Refused with
 * HttpError 502 while systemd is unreachable, before any intent is written.
 */
export async function runAction(deps: ApiDeps, hub: EventHub, action: Action, id: string): Promise<ActionAccepted> {
  assertLinkUp(deps, `cannot ${action} ${id} now`);
  const c = deps.controller;
  if (action === 'install' || action === 'remove') {
    if (!deps.installer) throw new HttpError(501, 'not-implemented', `${action} is not available: this server runs without the reconciler`);
    const status = action === 'install' ? await deps.installer.install(id) : await deps.installer.remove(id);
    return { epoch: hub.epoch, seq: hub.lastSeq(), action, status };
  }
  const result = await held(hub, () => (action === 'start' ? c.start(id) : action === 'stop' ? c.stop(id) : c.restart(id)));
  return { epoch: hub.epoch, seq: hub.lastSeq(), action, job: result.job, status: impliedStatus(result) };
}

/**
 * Runs a click's controller call under a hold of the hub's queue ({@link EventHub.hold}), released when the call
 * settles: the answer goes first, and the clients' copies of the events the call causes wait for it (issue 15).
 */
async function held<T>(hub: EventHub, call: () => Promise<T>): Promise<T> {
  const release = hub.hold();
  try {
    return await call();
  } finally {
    release();
  }
}

/** The lifecycle actions of one instance of a template app. */
export const INSTANCE_ACTIONS = ['start', 'stop', 'restart'] as const;

/**
 * Starts, stops or restarts instance `instance` of template app `id` (issue 17) and builds the 202 answer, as
 * {@link runAction} does for the app. Throws HttpError 400 for a name that is no instance name, NotFoundError (404,
 * naming the app's instances) for one the app does not have, HttpError 502 while systemd is unreachable.
 */
export async function runInstanceAction(deps: ApiDeps, hub: EventHub, action: (typeof INSTANCE_ACTIONS)[number], id: string, instance: string): Promise<ActionAccepted> {
  if (!INSTANCE_NAME.test(instance)) {
    throw new HttpError(400, 'invalid-input', `instance ${JSON.stringify(instance.slice(0, 80))} is not an instance name: 1–32 lowercase letters, digits, '_', '.' and '-', starting and ending with a letter or digit`);
  }
  assertLinkUp(deps, `cannot ${action} ${id}@${instance} now`);
  const c = deps.controller;
  const result = await held(hub, () => (action === 'start' ? c.start(id, instance) : action === 'stop' ? c.stop(id, instance) : c.restart(id, instance)));
  return { epoch: hub.epoch, seq: hub.lastSeq(), action, instance, job: result.job, status: result.status };
}

/**
 * The status the queued job implies. When a signal announced our job before the
 * call's reply was handled, the controller may not know the job's type yet and
 * derives the pre-call state (`running` for a stop); the job is ours, so its
 * type is the action, and the state is derived as the controller would. An app
 * of several containers is returned as it is: the controller gives every job of
 * the call's transaction the call's type, and its state needs all of its units.
 */
export function impliedStatus(result: LifecycleResult): AppStatus {
  const s = result.status;
  // An app of several containers is derived from all of its units, not from the app unit's ActiveState.
  if (s.job?.path !== result.job || s.job.type !== 'unknown' || s.containers) return s;
  const { state } = deriveState({ loadState: 'loaded', activeState: s.activeState, subState: s.subState, jobType: result.action });
  return state === s.state ? s : { ...s, state, job: { ...s.job, type: result.action } };
}

/** The app list with the seq it is current as of, and the link to systemd when the API knows it. */
export function appList(deps: Pick<ApiDeps, 'controller' | 'link'>, hub: EventHub): AppList {
  const systemd = deps.link?.current();
  return { epoch: hub.epoch, seq: hub.lastSeq(), apps: deps.controller.list(), ...(systemd ? { systemd } : {}) };
}

/** Parses `?lines=N` (1…1000, default 100). Throws HttpError 400. */
export function parseLines(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LOG_LINES;
  const n = typeof raw === 'string' && /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LOG_LINES)) throw new HttpError(400, 'invalid-input', `lines must be an integer from 1 to ${MAX_LOG_LINES}, got ${JSON.stringify(raw)}`);
  return n;
}


/**
 * The units whose journal an app's logs are: `?container=NAME` names one container of an app of several; without
 * it, the app's unit and every container's. Throws HttpError 400 for a container the app does not have.
 */
export function logUnits(status: AppStatus, container: unknown): string[] {
  if (container === undefined) return appUnits(status);
  const found = typeof container === 'string' ? status.containers?.find((c) => c.name === container) : undefined;
  if (!found) {
    const names = status.containers?.map((c) => c.name).join(', ');
    throw new HttpError(400, 'invalid-input', `app ${status.id} has no container ${JSON.stringify(container)}${names ? `; its containers: ${names}` : ' (it is an app of one container: leave container out)'}`);
  }
  return [found.unit];
}

export function registerAppRoutes(app: FastifyInstance, deps: ApiDeps, hub: EventHub): void {
  app.get('/api/apps', async (): Promise<AppList> => appList(deps, hub));

  app.get('/api/health', async (_req, reply): Promise<Health> => {
    const systemd = deps.link?.current();
    if (!systemd || linkUp(systemd)) return { ok: true, ...(systemd ? { systemd } : {}) };
    reply.code(503);
    return { ok: false, error: 'systemd-unavailable', message: describeLink(systemd), systemd };
  });

  app.get<{ Params: { id: string } }>('/api/apps/:id', async (req): Promise<AppDetail> => {
    const status = requireApp(deps, req.params.id);
    const seq = hub.lastSeq();
    const unitText = deps.units ? await deps.units(status.id, status.containers?.map((c) => c.unit)) : undefined;
    const cause = deps.journal ? await appFailureCause(status, deps.journal) : undefined;
    const systemd = deps.link?.current();
    return { ...status, epoch: hub.epoch, seq, unitText, ...(cause ? { cause } : {}), history: hub.history(status.id), ...(systemd ? { systemd } : {}) };
  });

  // An app of several containers: its unit's and every container's lines, merged in time order; `?container=` one's.
  app.get<{ Params: { id: string }; Querystring: { lines?: string; container?: string } }>('/api/apps/:id/logs', async (req) => {
    const status = requireApp(deps, req.params.id);
    const n = parseLines(req.query.lines);
    const units = logUnits(status, req.query.container);
    const journal = deps.journal;
    if (!journal) throw new HttpError(501, 'not-implemented', 'logs are not available: this server runs without a journal reader');
    if (units.length === 1) return { id: status.id, unit: units[0]!, lines: await journal(units[0]!, n) };
    return { id: status.id, unit: status.unit, lines: mergeJournals(await Promise.all(units.map((u) => journal(u, n))), n) };
  });

  // The manifest's icon, from the manifests directory. An SVG opened on its own runs no script (CSP sandbox).
  app.get<{ Params: { id: string } }>('/api/apps/:id/icon', async (req, reply) => {
    const status = requireApp(deps, req.params.id);
    if (!status.icon) throw new NotFoundError('icon of app', status.id, 'its manifest has no icon');
    if (!deps.icons) throw new HttpError(501, 'not-implemented', 'icons are not available: this server runs without the manifests directory');
    const file = await deps.icons(status.icon);
    if (!file) throw new NotFoundError('icon file', status.icon, 'the manifests directory has no such file (or it is not a regular file of at most 1 MiB inside it)');
    return reply
      .header('content-type', file.type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
      .header('cache-control', 'private, max-age=300')
      .send(file.body);
  });

  app.post<{ Params: { id: string; action: string } }>('/api/apps/:id/:action', async (req, reply) => {
    const action = req.params.action;
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new HttpError(404, 'not-found', `no action ${JSON.stringify(action)}; use one of ${ACTIONS.join(', ')}`);
    }
    const status = requireApp(deps, req.params.id);
    const accepted = await runAction(deps, hub, action as Action, status.id);
    return reply.code(202).send(accepted);
  });

  // One instance of a template app (issue 17): `indexer@2.service`, as `systemctl stop indexer@2` names it.
  app.post<{ Params: { id: string; instance: string; action: string } }>('/api/apps/:id/instances/:instance/:action', async (req, reply) => {
    const action = req.params.action;
    if (!(INSTANCE_ACTIONS as readonly string[]).includes(action)) {
      throw new HttpError(404, 'not-found', `no action ${JSON.stringify(action)} for an instance; use one of ${INSTANCE_ACTIONS.join(', ')}`);
    }
    const status = requireApp(deps, req.params.id);
    const accepted = await runInstanceAction(deps, hub, action as (typeof INSTANCE_ACTIONS)[number], status.id, req.params.instance);
    return reply.code(202).send(accepted);
  });
}
