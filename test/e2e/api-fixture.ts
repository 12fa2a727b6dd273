/**
 * The API on the real test host: units written into the host's Quadlet
 * directory, the project's own systemd port and controller on the host's
 * system bus, and `createApi` over them. Shared by the api-* and ui-* e2e files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi } from '../../src/api/create-api.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import type { ApiDeps, ApiLog } from '../../src/api/types.js';
import { unitTextFrom } from '../../src/api/unit-text.js';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppRef, AppState, StateEvent } from '../../src/controller/types.js';
import { appService } from '../../src/naming.js';
import { generateToken } from '../../src/store/token.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import type { TestHost } from '../host/index.js';

/**
 * A container whose PID 1 traps SIGTERM and takes `seconds` to exit; podman's
 * StopTimeout and systemd's TimeoutStopSec are longer, so the stop really takes
 * that long (podman would SIGKILL after its default 10 s).
 */
export function slowStopUnit(seconds: number): string {
  return `[Unit]
Description=api e2e: takes ${seconds} s to stop

[Container]
Image=localhost/busybox:latest
Exec=sh -c 'trap "sleep ${seconds}; exit 0" TERM; echo started; while true; do sleep 1; done'
StopTimeout=${seconds + 50}

[Service]
TimeoutStopSec=${seconds + 80}
`;
}

/** A container that stops at once. */
export const QUICK_UNIT = `[Unit]
Description=api e2e: stops at once

[Container]
Image=localhost/busybox:latest
Exec=sh -c 'trap "exit 0" TERM; echo started; while true; do sleep 1; done'
`;

export interface AppSpec {
  id: string;
  name?: string;
  /** The .container text; absent for an app in the catalog that is not installed. */
  unit?: string;
}

export interface HostApi {
  systemd: SystemdPort;
  controller: LiveController;
  token: string;
  deps: ApiDeps;
  /** A fresh API over the controller (for `inject`). */
  api(extra?: Partial<ApiDeps>): ReturnType<typeof createApi>;
  /** The API listening on 127.0.0.1 (random port). */
  listen(extra?: Partial<ApiDeps>): Promise<RunningServer>;
  /** Resolves when the controller reports `state` for `id` (at once if it already does). */
  waitFor(id: string, state: AppState, timeoutMs?: number): Promise<StateEvent | undefined>;
  close(): Promise<void>;
}

/** Collects what the API logs, so a test can show that the token never appears. */
export function memoryLog(): ApiLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`), error: (m) => void lines.push(`error ${m}`) };
}

/** Writes the units, reloads systemd, and starts the controller for `apps`. */
export async function apiOnHost(host: TestHost, apps: AppSpec[]): Promise<HostApi> {
  const stateDir = mkdtempSync(join(tmpdir(), 'aq-api-state-'));
  for (const a of apps) if (a.unit) writeFileSync(join(host.unitDir, `${a.id}.container`), a.unit);
  const systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  await systemd.reload();
  const refs: AppRef[] = apps.map((a) => ({ id: a.id, name: a.name ?? a.id, unit: appService(a.id) }));
  const controller = await createController({ systemd, stateDir, apps: refs });
  const token = generateToken();
  const log = memoryLog();
  const deps: ApiDeps = {
    controller,
    token,
    log,
    units: unitTextFrom(host.unitDir),
    journal: async (unit, n) => (await host.journal(unit, n)).split('\n').filter((l) => l !== '' && !l.startsWith('-- ')),
  };
  const servers: RunningServer[] = [];

  const waitFor = (id: string, state: AppState, timeoutMs = 60_000): Promise<StateEvent | undefined> =>
    new Promise((resolve, reject) => {
      if (controller.get(id)?.state === state) return resolve(undefined);
      const timer = setTimeout(() => {
        off();
        reject(new Error(`${id}: still ${controller.get(id)?.state} after ${timeoutMs} ms, wanted ${state}`));
      }, timeoutMs);
      const off = controller.subscribe((e) => {
        if (e.status.id !== id || e.status.state !== state) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });

  return {
    systemd,
    controller,
    token,
    deps,
    api: (extra) => createApi({ ...deps, ...extra }),
    async listen(extra) {
      const s = await startServer({ ...deps, ...extra }, { host: '127.0.0.1', port: 0 });
      servers.push(s);
      return s;
    },
    waitFor,
    async close() {
      for (const s of servers) await s.close();
      for (const a of apps) {
        if (!a.unit) continue;
        await systemd.stopUnit(appService(a.id), 'replace').catch(() => undefined);
      }
      await controller.close();
      for (const a of apps) if (a.unit) rmSync(join(host.unitDir, `${a.id}.container`), { force: true });
      await systemd.reload().catch(() => undefined);
      await systemd.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `read` every 200 ms until `ok` holds, and resolves with that value; a read that throws counts as its
 * message. Throws after `timeoutMs` with `what` and the last value: tests wait for conditions, never for time.
 */
export async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch((e: Error) => e.message as unknown as T);
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One Server-Sent Events message of `GET /api/events`: its `event:` and its parsed `data:`. */
export interface RecordedEvent {
  event: string;
  data: any;
}

/** Reads the event stream of the server at `base` until `close()`: every message, parsed, in arrival order. */
export function recordEvents(base: string, token: string): { messages: RecordedEvent[]; close: () => void } {
  const messages: RecordedEvent[] = [];
  const ac = new AbortController();
  void (async () => {
    const res = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
        const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
        if (event && data) messages.push({ event, data: JSON.parse(data) });
      }
    }
  })().catch(() => {});
  return { messages, close: () => ac.abort() };
}

/** The states of app `id` in recorded `state` events, in order, each repeat in a row dropped. */
export function statesOf(messages: readonly RecordedEvent[], id: string): string[] {
  return messages
    .filter((m) => m.event === 'state' && m.data.status.id === id)
    .map((m) => m.data.status.state as string)
    .filter((s, i, a) => i === 0 || a[i - 1] !== s);
}
