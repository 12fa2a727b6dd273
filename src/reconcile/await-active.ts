/**
 * The health gate: waits until a service's start job is done and it is
 * `active` (with `Notify=healthy`, systemd holds it `activating` until the
 * first healthy check, so `active` means healthy). Polls systemd's unit list:
 * a pass is not latency-critical, and polling needs no subscription state.
 */
import type { UnitManager } from './ports.js';

export type GateResult = { ok: true } | { ok: false; reason: string };

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
        const result = (await systemd.getUnitProperties(service)).value.result;
        return { ok: false, reason: `${service} did not stay up for ${Math.round(stableMs / 1000)}s (${row.activeState}/${row.subState}${result ? `, result ${result}` : ''})` };
      }
      if (row.activeState === 'failed' || row.activeState === 'inactive' || row.subState === 'auto-restart') {
        const result = (await systemd.getUnitProperties(service)).value.result;
        return { ok: false, reason: `${service} did not stay up (${row.activeState}/${row.subState}${result ? `, result ${result}` : ''})` };
      }
    }
    if (Date.now() >= deadline) {
      return { ok: false, reason: `${service} did not become active within ${Math.round(timeoutMs / 1000)}s (${row?.activeState ?? '?'}/${row?.subState ?? '?'})` };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
