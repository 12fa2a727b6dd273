/**
 * Apps on the test host: where its Quadlet generator and unit directories are, and hand-written units written
 * into it and taken out again.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appService } from '../../src/naming.js';
import { runPass, type PassOptions, type PassReport } from '../../src/reconcile/pass.js';
import { createSystemd } from '../../src/systemd/client.js';
import { ROOTLESS_USER, type TestHost } from '../host/index.js';
import { until } from './wait.js';

/** The prefix that runs a command inside the host (serve's `via`: its journalctl and podman read the host's). */
export function hostVia(host: Pick<TestHost, 'pid'>): string[] {
  return ['nsenter', '-t', String(host.pid), '-m', '-u', '-i', '-n', '-p', '--'];
}

/** argv of the host's podman, run inside it (a pass's `podman` option: the podman secrets it creates live there). */
export function hostPodman(host: TestHost): string[] {
  return [...hostVia(host), 'podman'];
}

/** Host-side path of the host's own Quadlet generator (podman 5.4.2's), as a pass runs it. */
export function hostGenerator(host: TestHost): string {
  return join(host.rootDir, 'usr/libexec/podman/quadlet');
}

/**
 * Quadlet's search path under /run (seen through the host's PID 1). Other suites share `host.unitDir`
 * (/etc/containers/systemd), and a pass rightly prunes any unit of ours there that its manifests do not name: a
 * suite whose passes own a whole directory uses this one.
 */
export function runUnitDir(host: TestHost): string {
  return join('/proc', String(host.pid), 'root/run/containers/systemd');
}

/**
 * The systemd manager a helper acts on: the host's system manager (a `TestHost`), or a node under test's (rootless:
 * the user's, through its bridge; test/support/node.ts): its bus, its Quadlet directory (this machine's path), its journal.
 */
export type ManagerTarget = Pick<TestHost, 'busAddress' | 'unitDir' | 'journal'>;

/** A daemon-reload of the host's manager over D-Bus; resolves once systemd has finished it (the generators ran). */
export async function daemonReload(host: Pick<TestHost, 'busAddress'>): Promise<void> {
  const systemd = createSystemd({ address: host.busAddress });
  try {
    await systemd.ready();
    await systemd.reload();
  } finally {
    await systemd.close();
  }
}

/** Writes units `<id>.container` into `unitDir` (default the host's Quadlet directory) and reloads systemd (Reload() returns after the generators ran). */
export async function installUnits(host: ManagerTarget, units: Record<string, string>, unitDir = host.unitDir): Promise<void> {
  for (const [id, text] of Object.entries(units)) writeFileSync(join(unitDir, `${id}.container`), text);
  await daemonReload(host);
}

/** Stops the apps `ids`, removes their `<id>.container` from `unitDir` (default the host's Quadlet directory) and reloads systemd. */
export async function removeUnits(host: ManagerTarget, ids: readonly string[], unitDir = host.unitDir): Promise<void> {
  const systemd = createSystemd({ address: host.busAddress });
  try {
    await systemd.ready();
    for (const id of ids) await systemd.stopUnit(appService(id)).catch(() => undefined);
    for (const id of ids) rmSync(join(unitDir, `${id}.container`), { force: true });
    await systemd.reload();
  } finally {
    await systemd.close();
  }
}

/**
 * One reconcile pass on the host, as the node's daemon runs it: the host's generator and podman, its root for config
 * files, the controller `controller` (its phases and catalog), the health gate polled every 100 ms. `allowEmpty`: the
 * suites remove their last app by a pass over an empty catalog (the refusal itself is tested in reconcile-cli).
 */
export function passOnHost(
  host: TestHost,
  controller: { systemd: PassOptions['systemd']; controller: NonNullable<PassOptions['controller']> },
  dirs: { manifestsDir: string; stateDir: string; unitDir: string },
  extra: Partial<PassOptions> = {},
): Promise<PassReport> {
  return runPass({
    ...dirs,
    systemd: controller.systemd,
    controller: controller.controller,
    configRoot: host.rootDir,
    generator: [hostGenerator(host)],
    podman: hostPodman(host),
    pollMs: 100,
    allowEmpty: true,
    ...extra,
  });
}

/**
 * After a suite restarted the host's bus daemon, what held a connection to it is restarted too, so the suites after
 * find the host as booted: systemd-logind keeps running but never takes its bus name again (every later caller, rootless
 * podman among them, waited 25 s for its activation to time out), and the rootless user's manager can no longer have
 * PID 1 move a process into its scopes (rootless podman then fails: "open /sys/fs/cgroup.controllers"). Resolves
 * once the user's manager runs again; throws when it does not within a minute.
 */
export async function afterBusRestart(host: TestHost): Promise<void> {
  await host.execOk(['systemctl', 'restart', 'systemd-logind.service', `user@${ROOTLESS_USER.uid}.service`]);
  await until(
    "the rootless user's manager running",
    async () => (await host.exec(['systemctl', '--user', '-M', `${ROOTLESS_USER.name}@`, 'is-system-running'])).stdout.trim(),
    (state) => state === 'running' || state === 'degraded',
    { timeoutMs: 60_000 },
  );
}

/** The host journal's cursor now: what {@link jobTimes} reads after. */
export async function journalCursor(host: TestHost): Promise<string> {
  const out = await host.execOk(['journalctl', '-n', '0', '--show-cursor', '-q']);
  return out.trim().replace(/^-- cursor: /, '');
}

/** When one job of a unit ran, from systemd's own journal messages ("Stopping …", "Stopped …"), monotonic µs (0: not seen). */
export interface JobTimes {
  began: number;
  ended: number;
  /** systemd's JobResult (`done`, `canceled`, …), or `none` when the job did not end. */
  result: string;
  /** The unit logged "Deactivated successfully" (its processes exited by themselves, not killed). */
  success: boolean;
}

/**
 * The `type` job of each of `units` after `cursor`, read from PID 1's journal messages: a stopped unit may be
 * unloaded at once, taking its timestamps with it (`systemctl show` then says 0); the journal keeps them.
 */
export async function jobTimes(host: TestHost, cursor: string, type: 'start' | 'stop', units: readonly string[]): Promise<Record<string, JobTimes>> {
  const out = await host.execOk(['journalctl', '-o', 'json', `--after-cursor=${cursor}`, '_PID=1', ...units.map((u) => `UNIT=${u}`)]);
  const entries = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
  const result: Record<string, JobTimes> = {};
  for (const unit of units) {
    const mine = entries.filter((e) => e.UNIT === unit);
    // "Stopping …"/"Starting …" when the job begins; "Stopped …"/"Started …" when it ends (a restart's stop half ends
    // as a `restart` job).
    const began = mine.find((e) => e.CODE_FUNC === 'job_emit_start_message' && e.JOB_TYPE === type);
    const ended = mine.find((e) => e.CODE_FUNC === 'job_emit_done_message' && (e.JOB_TYPE === type || (type === 'stop' && e.JOB_TYPE === 'restart')));
    result[unit] = {
      began: Number(began?.__MONOTONIC_TIMESTAMP ?? 0),
      ended: Number(ended?.__MONOTONIC_TIMESTAMP ?? 0),
      result: ended?.JOB_RESULT ?? 'none',
      success: mine.some((e) => e.CODE_FUNC === 'unit_log_success'),
    };
  }
  return result;
}
