/**
 * The controller on the real test host: hand-written `.container` units in
 * the host's Quadlet directory, the project's systemd port on the host's
 * system bus, a controller over them, and a recorder of every state it emits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createController, type LiveController } from '../../src/controller/controller.js';
import type { AppRef, AppState, AppStatus } from '../../src/controller/types.js';
import { appService } from '../../src/naming.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import type { TestHost } from '../host/index.js';

/** PID 1 traps SIGTERM and needs `seconds` to exit; podman's StopTimeout and TimeoutStopSec leave it that time. */
export function slowStop(seconds: number): string {
  return `[Container]
Image=localhost/busybox:latest
Exec=sh -c 'trap "sleep ${seconds}; exit 0" TERM; while true; do sleep 1; done'
StopTimeout=${seconds + 40}

[Service]
TimeoutStopSec=${seconds + 60}
`;
}

/** Stops within a second (the trap runs after the current `sleep 1`). */
export const QUICK = `[Container]
Image=localhost/busybox:latest
Exec=sh -c 'trap "exit 0" TERM; while true; do sleep 1; done'
`;

/** Becomes healthy only after `seconds` (Notify=healthy keeps the unit activating until then). */
export function healthGated(seconds: number): string {
  return `[Container]
Image=localhost/busybox:latest
Exec=sh -c 'trap "exit 0" TERM; sleep ${seconds}; touch /tmp/ready; while true; do sleep 1; done'
HealthCmd=test -f /tmp/ready
HealthInterval=1s
HealthStartPeriod=0s
Notify=healthy
`;
}

/** Exits 3 after `seconds`. */
export function exitsNonZero(seconds: number): string {
  return `[Container]
Image=localhost/busybox:latest
Exec=sh -c 'sleep ${seconds}; exit 3'
`;
}

/** Its image does not exist and no registry is reachable: `podman run` fails before the container is ready. */
export const MISSING_IMAGE = `[Container]
Image=localhost/no-such-image:latest
Exec=true
`;

export interface Observed {
  state: AppState;
  activeState?: string;
  subState?: string;
  job?: string;
  at: number;
}

export interface HostController {
  systemd: SystemdPort;
  controller: LiveController;
  stateDir: string;
  /** Every status the controller emitted for `id`, in order. */
  seen(id: string): Observed[];
  /** The states of `id` from the last one before index `from` on, consecutive repeats folded. */
  states(id: string, from?: number): AppState[];
  /** Resolves when `id` is in `state` (at once if it already is); rejects after `timeoutMs` with the unit's journal. */
  waitFor(id: string, state: AppState, timeoutMs?: number): Promise<AppStatus>;
  /** Closes the controller and the port (the units stay). */
  close(): Promise<void>;
}

/** Writes units `<id>.container` into the host and reloads systemd (Reload() returns after the generators ran). */
export async function installUnits(host: TestHost, units: Record<string, string>): Promise<void> {
  for (const [id, text] of Object.entries(units)) writeFileSync(join(host.unitDir, `${id}.container`), text);
  const systemd = createSystemd({ address: host.busAddress });
  try {
    await systemd.ready();
    await systemd.reload();
  } finally {
    await systemd.close();
  }
}

/** Stops and removes units written by {@link installUnits}. */
export async function removeUnits(host: TestHost, ids: string[]): Promise<void> {
  const systemd = createSystemd({ address: host.busAddress });
  try {
    await systemd.ready();
    for (const id of ids) await systemd.stopUnit(appService(id)).catch(() => undefined);
    for (const id of ids) rmSync(join(host.unitDir, `${id}.container`), { force: true });
    await systemd.reload();
  } finally {
    await systemd.close();
  }
}

export function refs(ids: string[]): AppRef[] {
  return ids.map((id) => ({ id, name: id, unit: appService(id) }));
}

export function newStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'aq-ctl-state-'));
}

/** A controller for `ids` on the host, recording what it emits. */
export async function controllerOnHost(
  host: TestHost,
  ids: string[],
  opts: { stateDir?: string; relistIntervalMs?: number; log?: (m: string) => void } = {},
): Promise<HostController> {
  const stateDir = opts.stateDir ?? newStateDir();
  const systemd = createSystemd({ address: host.busAddress });
  const controller = await createController({ systemd, stateDir, apps: refs(ids), relistIntervalMs: opts.relistIntervalMs ?? 0, log: opts.log });
  const seen = new Map<string, Observed[]>();
  const record = (s: AppStatus): void => {
    const list = seen.get(s.id) ?? [];
    list.push({ state: s.state, activeState: s.activeState, subState: s.subState, job: s.job?.type, at: Date.now() });
    seen.set(s.id, list);
  };
  for (const s of controller.list()) record(s);
  controller.subscribe((e) => record(e.status));

  const waitFor = (id: string, state: AppState, timeoutMs = 60_000): Promise<AppStatus> =>
    new Promise((resolve, reject) => {
      const now = controller.get(id);
      if (now?.state === state) return resolve(now);
      const timer = setTimeout(() => {
        off();
        host.journal(appService(id), 30).then(
          (j) => reject(new Error(`${id}: still ${controller.get(id)?.state} after ${timeoutMs} ms, wanted ${state}\n${j}`)),
          () => reject(new Error(`${id}: still ${controller.get(id)?.state} after ${timeoutMs} ms, wanted ${state}`)),
        );
      }, timeoutMs);
      const off = controller.subscribe((e) => {
        if (e.status.id !== id || e.status.state !== state) return;
        clearTimeout(timer);
        off();
        resolve(e.status);
      });
    });

  return {
    systemd,
    controller,
    stateDir,
    seen: (id) => seen.get(id) ?? [],
    states(id, from = 0) {
      const out: AppState[] = [];
      for (const o of (seen.get(id) ?? []).slice(Math.max(0, from - 1))) if (out[out.length - 1] !== o.state) out.push(o.state);
      return out;
    },
    waitFor,
    async close() {
      await controller.close();
      await systemd.close();
    },
  };
}
