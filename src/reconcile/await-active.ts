/**
 * The health gate: waits until a service's start job is done and it is
 * `active` (with `Notify=healthy`, systemd holds it `activating` until the
 * first healthy check, so `active` means healthy). Polls systemd's unit list:
 * a pass is not latency-critical, and polling needs no subscription state.
 */
import type { UnitManager, UnitRow } from './ports.js';

/**
 * A gate's outcome. A failure says whether the unit failed itself (`cause`: its own Result is not `success`) or only
 * is not up (a start job that never ran because a unit it requires failed leaves Result as it was, `success`).
 */
export type GateResult = { ok: true } | { ok: false; reason: string; cause?: boolean };

/** Time past the start timeout before giving up, so systemd's own timeout decides first. */
const GRACE_MS = 5_000;

/**
 * Waits until `service` has stopped: no job in flight, and inactive or failed (also once its unit file is gone).
 * Gives up after `timeoutMs` (systemd's own stop timeout ends the job before that). Never throws on a unit state.
 */
export async function awaitStopped(systemd: UnitManager, service: string, timeoutMs: number, pollMs = 250): Promise<GateResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = (await systemd.listUnitsByNames([service])).value[0];
    // A unit whose file is gone (loadState not-found) may still be deactivating: only its ActiveState says it stopped.
    if (!row || (row.job === null && (row.activeState === 'inactive' || row.activeState === 'failed'))) return { ok: true };
    if (Date.now() >= deadline) return { ok: false, reason: `${service} did not stop within ${Math.round(timeoutMs / 1000)}s (${row.activeState}/${row.subState})` };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Waits for `service` to be active with no job in flight, within `timeoutMs` (+ a grace), and then to stay
 * active in the same invocation for `stableMs`: without a health check (`Notify=healthy`), `active` only means
 * the container was created (podman notifies systemd then), and a process that exits at once must not pass for
 * a healthy start and become the last-good version. A restart by systemd itself meanwhile (`NRestarts` grew: a
 * crash loop under `Restart=`) fails at once; a new invocation someone else started (a user's restart) begins the
 * window again. Never throws on a unit state.
 */
export async function awaitActive(systemd: UnitManager, service: string, timeoutMs: number, pollMs = 250, stableMs = 0): Promise<GateResult> {
  const deadline = Date.now() + timeoutMs + GRACE_MS;
  let up: { invocationId: string; nRestarts: number; since: number } | undefined;
  for (;;) {
    const { value } = await systemd.listUnitsByNames([service]);
    const row = value[0];
    if (row && row.loadState === 'not-found') return { ok: false, reason: `${service} does not exist after the reload` };
    if (row && row.job === null) {
      if (row.activeState === 'active') {
        if (stableMs <= 0) return { ok: true };
        const props = (await systemd.getUnitProperties(service)).value;
        const now = { invocationId: props.invocationId ?? '', nRestarts: props.nRestarts ?? 0, since: Date.now() };
        if (up && now.nRestarts > up.nRestarts) return { ok: false, reason: `${service} was restarted by systemd within ${Math.round(stableMs / 1000)}s of starting (it exits soon after it starts)` };
        if (!up || now.invocationId !== up.invocationId) up = now;
        else if (Date.now() - up.since >= stableMs) return { ok: true };
        await new Promise((r) => setTimeout(r, pollMs));
        continue;
      }
      if (up && row.activeState !== 'activating' && row.activeState !== 'deactivating') {
        return downReason(systemd, service, row, `did not stay up for ${Math.round(stableMs / 1000)}s`);
      }
      if (row.activeState === 'failed' || row.activeState === 'inactive' || row.subState === 'auto-restart') {
        return downReason(systemd, service, row, 'did not start');
      }
    }
    if (Date.now() >= deadline) {
      return { ok: false, reason: `${service} did not become active within ${Math.round(timeoutMs / 1000)}s (${row?.activeState ?? '?'}/${row?.subState ?? '?'})` };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The main process's last exit as systemd's ExecMainCode/ExecMainStatus say it: `exited 125`, `killed by signal 9`. */
function exitOf(code: number | undefined, status: number | undefined): string {
  if (code === 1) return `, exited ${status ?? '?'}`;
  if (code === 2) return `, killed by signal ${status ?? '?'}`;
  if (code === 3) return `, dumped core (signal ${status ?? '?'})`;
  return '';
}

/**
 * Why `service`, seen down (`row`), is not up. A unit whose own Result is not `success` failed itself:
 * `mempool-db.service failed (exit-code, exited 125)` (in the stable window: `… did not stay up for 10s: failed (…)`).
 * Otherwise it did not fail itself (its start job never ran: a unit it requires failed, or it exited 0), and the
 * reason says so instead of quoting a Result of `success` that belongs to no run.
 */
async function downReason(systemd: UnitManager, service: string, row: UnitRow, what: string): Promise<GateResult> {
  const p = (await systemd.getUnitProperties(service)).value;
  const state = `${row.activeState}/${row.subState}`;
  // Seen in systemd's restart (`auto-restart`), the unit failed itself, even when its next run has begun by the time
  // its properties are read (RestartSec= defaults to 100 ms) and has reset its Result to `success`.
  const restarting = /auto-restart/.test(row.subState);
  if ((p.result !== undefined && p.result !== 'success') || restarting) {
    const failed = p.result !== undefined && p.result !== 'success' ? `failed (${p.result}${exitOf(p.execMainCode, p.execMainStatus)})` : `failed (${row.subState}: systemd restarts it)`;
    return { ok: false, cause: true, reason: what === 'did not start' ? `${service} ${failed}` : `${service} ${what}: ${failed}` };
  }
  // Name the unit it requires that failed (a shared network's `archy-network.service` whose options podman refused).
  const required = p.requires?.length ? (await systemd.listUnitsByNames(p.requires)).value : [];
  const failedRequired = required.filter((r) => r.activeState === 'failed').map((r) => r.name);
  if (failedRequired.length > 0) return { ok: false, cause: false, reason: `${service} ${what} (${state}; it did not fail itself: ${failedRequired.join(', ')}, which it requires, failed)` };
  return { ok: false, cause: false, reason: `${service} ${what} (${state}; it did not fail itself: a unit it requires failed, or it exited 0)` };
}

/**
 * The gate of an app of several containers: waits for each of `awaits` side by side (see {@link awaitActive}) and
 * names the container that failed: one that failed itself before one that is down only because a unit it requires
 * failed (mempool's backend is not the cause when its database's image could not be pulled). Never throws on a
 * unit state.
 */
export async function awaitAllActive(systemd: UnitManager, awaits: ReadonlyArray<{ service: string; stableMs: number }>, timeoutMs: number, pollMs = 250): Promise<GateResult> {
  const results = await Promise.all(awaits.map((a) => awaitActive(systemd, a.service, timeoutMs, pollMs, a.stableMs)));
  const failed = results.filter((r): r is Extract<GateResult, { ok: false }> => !r.ok);
  return failed.find((r) => r.cause) ?? failed[0] ?? { ok: true };
}
