/**
 * The project's controller on the real test host: its systemd port on the host's system bus, a recorder of every
 * status it emits, and a wait for an app's state.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppRef, AppState, AppStatus, Controller } from '../../src/controller/types.js';
import { appService } from '../../src/naming.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import type { ManagerTarget } from './host.js';

/** The controller's refs of apps `ids` (named after themselves). */
export function appRefs(ids: readonly string[]): AppRef[] {
  return ids.map((id) => ({ id, name: id, unit: appService(id) }));
}

/** A fresh state directory for a controller (intents). */
export function newStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'aq-ctl-state-'));
}

/** One status as the recorder saw it, with the time it arrived. */
export interface Seen extends AppStatus {
  at: number;
}

/** Every status a controller emits, per app, from its first snapshot on. */
export interface Recorder {
  seen(id: string): Seen[];
  /** Index to pass to the checks so they look only at what came after this point. */
  mark(id: string): number;
  stop(): void;
}

export function record(controller: Controller): Recorder {
  const seen = new Map<string, Seen[]>();
  const add = (s: AppStatus): void => {
    const list = seen.get(s.id) ?? [];
    list.push({ ...s, at: Date.now() });
    seen.set(s.id, list);
  };
  for (const s of controller.list()) add(s);
  const off = controller.subscribe((e) => add(e.status));
  return { seen: (id) => seen.get(id) ?? [], mark: (id) => (seen.get(id) ?? []).length, stop: off };
}

/** The states of an app from the last one before index `from` on, consecutive repeats folded. */
export function foldStates(events: readonly Seen[], from = 0): AppState[] {
  const out: AppState[] = [];
  for (const e of events.slice(Math.max(0, from - 1))) if (out[out.length - 1] !== e.state) out.push(e.state);
  return out;
}

/**
 * Resolves with the status once `id` is in `state` (at once if it already is). Rejects after `timeoutMs` (default
 * 60 s) naming what it saw, with the last lines of `journal(unit)` when given.
 */
export function waitForState(
  controller: Controller,
  id: string,
  state: AppState,
  opts: { timeoutMs?: number; journal?: (unit: string, lines: number) => Promise<string> } = {},
): Promise<AppStatus> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const now = controller.get(id);
    if (now?.state === state) return resolve(now);
    const timer = setTimeout(() => {
      off();
      const last = controller.get(id);
      const message = `${id}: still ${last?.state} (${last?.reason ?? ''}) after ${timeoutMs} ms, wanted ${state}`;
      if (!opts.journal) return reject(new Error(message));
      opts.journal(appService(id), 30).then(
        (j) => reject(new Error(`${message}\n${j}`)),
        () => reject(new Error(message)),
      );
    }, timeoutMs);
    const off = controller.subscribe((e) => {
      if (e.status.id !== id || e.status.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(e.status);
    });
  });
}

export interface HostController {
  systemd: SystemdPort;
  controller: LiveController;
  stateDir: string;
  /** Every status the controller emitted for `id`, in order. */
  seen(id: string): Seen[];
  /** The states of `id` from the last one before index `from` on, consecutive repeats folded. */
  states(id: string, from?: number): AppState[];
  /** {@link waitForState}, with the unit's journal in the error. */
  waitFor(id: string, state: AppState, timeoutMs?: number): Promise<AppStatus>;
  /** Closes the controller and the port (the units stay). */
  close(): Promise<void>;
}

/** A controller for `ids` on the host, recording what it emits. */
export async function controllerOnHost(
  host: ManagerTarget,
  ids: string[],
  opts: { stateDir?: string; relistIntervalMs?: number; log?: (m: string) => void; refs?: Record<string, Partial<AppRef>> } = {},
): Promise<HostController> {
  const stateDir = opts.stateDir ?? newStateDir();
  const systemd = createSystemd({ address: host.busAddress });
  // `refs`: more of an app's ref (its dependencies, what the node wants of it) by id.
  const apps = appRefs(ids).map((r) => ({ ...r, ...opts.refs?.[r.id] }));
  const controller = await createController({ systemd, stateDir, apps, relistIntervalMs: opts.relistIntervalMs ?? 0, log: opts.log });
  const rec = record(controller);
  return {
    systemd,
    controller,
    stateDir,
    seen: rec.seen,
    states: (id, from = 0) => foldStates(rec.seen(id), from),
    waitFor: (id, state, timeoutMs) => waitForState(controller, id, state, { timeoutMs, journal: (unit, n) => host.journal(unit, n) }),
    async close() {
      rec.stop();
      await controller.close();
      await systemd.close();
    },
  };
}
