/**
 * The API on the real test host: units written into the host's Quadlet directory, the project's own systemd port
 * and controller on the host's system bus, and `createApi` over them (in-process through `inject`, or listening).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi } from '../../src/api/create-api.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import type { ApiDeps, ApiLog, Journal } from '../../src/api/types.js';
import { unitTextFrom } from '../../src/api/unit-text.js';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppRef, AppState, AppStatus } from '../../src/controller/types.js';
import { appService } from '../../src/naming.js';
import { generateToken } from '../../src/store/state/token.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import type { TestHost } from '../host/index.js';
import { waitForState } from './controller.js';

export interface AppSpec {
  id: string;
  name?: string;
  /** The .container text; absent for an app in the catalog that is not installed. */
  unit?: string;
  /** What its manifest would tell a person (`appMeta`). */
  meta?: AppRef['meta'];
  /** Its manifest has `health:` (the unit `HealthCmd=`). */
  health?: true;
  /** The apps it waits for, and what the node wants of it, as the catalog and a pass would say. */
  dependsOn?: AppRef['dependsOn'];
  desired?: AppRef['desired'];
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
  /** {@link waitForState} of the controller, with the unit's journal in the error. */
  waitFor(id: string, state: AppState, timeoutMs?: number): Promise<AppStatus>;
  close(): Promise<void>;
}

/** Collects what the API logs, so a test can show that the token never appears. */
export function memoryLog(): ApiLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`), error: (m) => void lines.push(`error ${m}`) };
}

/** The journal of a unit inside the host, as the API serves it (lines, without journalctl's `-- ` notes). */
export function hostJournal(host: TestHost): Journal {
  return async (unit, n) => (await host.journal(unit, n)).split('\n').filter((l) => l !== '' && !l.startsWith('-- '));
}

/** Writes the units, reloads systemd, and starts the controller for `apps`. */
export async function apiOnHost(host: TestHost, apps: AppSpec[]): Promise<HostApi> {
  const stateDir = mkdtempSync(join(tmpdir(), 'aq-api-state-'));
  for (const a of apps) if (a.unit) writeFileSync(join(host.unitDir, `${a.id}.container`), a.unit);
  const systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  await systemd.reload();
  const refs: AppRef[] = apps.map((a) => ({
    id: a.id,
    name: a.name ?? a.id,
    unit: appService(a.id),
    ...(a.meta ? { meta: a.meta } : {}),
    ...(a.health ? { health: a.health } : {}),
    ...(a.dependsOn ? { dependsOn: a.dependsOn } : {}),
    ...(a.desired ? { desired: a.desired } : {}),
  }));
  const controller = await createController({ systemd, stateDir, apps: refs });
  const token = generateToken();
  const deps: ApiDeps = { controller, token, log: memoryLog(), units: unitTextFrom(host.unitDir), journal: hostJournal(host) };
  const servers: RunningServer[] = [];

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
    waitFor: (id, state, timeoutMs) => waitForState(controller, id, state, { timeoutMs, journal: (unit, n) => host.journal(unit, n) }),
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
