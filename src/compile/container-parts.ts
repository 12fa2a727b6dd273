/**
 * The parts of a container's unit: ports, mounts, environment, host entries,
 * health check and the timeouts derived from them.
 */
import type { BindMount, ConfigFileSpec, HealthSpec, HostEntry, PortSpec } from '../manifest/types.js';
import { parseDuration } from '../manifest/units.js';
import type { ContainerSection, ServiceSection } from './model.js';
import { ManifestContext, pointerToken } from './context.js';
import type { Version } from './podman-keys.js';
import { healthCmdValue } from './podman-quirks.js';
import { HOST_GATEWAY_ENTRY, PODMAN_HEALTH_INTERVAL_MS, PODMAN_STOP_TIMEOUT_S, PULL_ALLOWANCE_S, STOP_MARGIN_S } from './defaults.js';

/** `PublishPort=[ip:]host:container[/udp]`; an IPv6 host address is bracketed. */
export function publishPorts(ctx: ManifestContext, base: string, ports: PortSpec[] | undefined): string[] {
  return (ports ?? []).map((p, i) => {
    const ip = p.hostIp === undefined ? '' : `${p.hostIp.includes(':') ? `[${p.hostIp}]` : p.hostIp}:`;
    const proto = p.protocol === 'udp' ? '/udp' : '';
    return ctx.text(`${base}/${i}`, `${ip}${p.host ?? p.container}:${p.container}${proto}`, 'raw');
  });
}

/**
 * Characters a host path of a `Volume=` cannot hold: podman 5.4.2's generator also writes the path, verbatim, into
 * the service's `RequiresMountsFor=`, which systemd splits on whitespace, unquotes and unescapes (`"`, `'`, `\`) and
 * never `$`-expands (our `$$` would stay doubled there). Issue 17.
 */
const MOUNT_PATH_UNSAFE = /[\s"'\\$]/;

/** Records a problem when a host path cannot reach `RequiresMountsFor=` intact (see {@link MOUNT_PATH_UNSAFE}). */
function hostPath(ctx: ManifestContext, pointer: string, path: string): void {
  const bad = MOUNT_PATH_UNSAFE.exec(path);
  if (bad) {
    ctx.problem(pointer, `${JSON.stringify(bad[0])} cannot be in a host path: podman's generator also writes it into the service's RequiresMountsFor=, where systemd would read ${/\s/.test(bad[0]) ? 'two paths' : 'another path'}`, 'rename the directory on the node (or bind a parent directory whose path has none)');
  }
}

/** `Volume=/host:/target[:ro][,z]` for binds, then `Volume=/host:/target:ro` for config files (always read-only). */
export function bindVolumes(ctx: ManifestContext, base: string, binds: BindMount[] | undefined, configs: ConfigFileSpec[] | undefined, configsBase: string): string[] {
  const out: string[] = [];
  (binds ?? []).forEach((b, i) => {
    const opts = [b.readOnly ? 'ro' : undefined, b.relabel].filter((o): o is string => o !== undefined);
    const value = `${b.source}:${b.target}${opts.length ? `:${opts.join(',')}` : ''}`;
    hostPath(ctx, `${base}/${i}/source`, b.source);
    out.push(ctx.text(`${base}/${i}`, value, 'raw'));
  });
  (configs ?? []).forEach((c, i) => {
    hostPath(ctx, `${configsBase}/${i}/path`, c.path);
    out.push(ctx.text(`${configsBase}/${i}`, `${c.path}:${c.target}:ro`, 'raw'));
  });
  return out;
}

/** `NAME=value` pairs in manifest order (`Environment=`, and `Label=` which has the same form). */
export function environment(ctx: ManifestContext, base: string, env: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(env ?? {}).map(([k, v]) => {
    ctx.text(`${base}/${pointerToken(k)}`, `${k}=${v}`, 'word');
    return [k, v];
  });
}

/** `AddHost=` entries: the manifest's, plus `host.containers.internal:host-gateway` unless the manifest names that host itself. */
export function addHosts(ctx: ManifestContext, base: string, hosts: HostEntry[] | undefined): string[] {
  const list = hosts ?? [];
  const out = list.map((h, i) => ctx.text(`${base}/${i}`, `${h.host}:${h.ip}`, 'raw'));
  if (!list.some((h) => h.host === HOST_GATEWAY_ENTRY.host)) out.push(`${HOST_GATEWAY_ENTRY.host}:${HOST_GATEWAY_ENTRY.ip}`);
  return out;
}

/** Milliseconds of a manifest duration, or undefined (with a problem) when it does not parse. */
export function durationMs(ctx: ManifestContext, pointer: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.problem(pointer, (err as Error).message);
    return undefined;
  }
}

/** The health keys of a container for `target`'s podman (src/compile/podman-quirks.ts); `Notify=healthy` unless `gateStart: false`. */
export function healthKeys(ctx: ManifestContext, base: string, health: HealthSpec | undefined, target: Version): Partial<ContainerSection> {
  if (!health) return {};
  for (const key of ['interval', 'timeout', 'startPeriod'] as const) durationMs(ctx, `${base}/${key}`, health[key]);
  const cmd = healthCmdValue(ctx, `${base}/cmd`, health.cmd, target);
  return {
    ...(cmd !== undefined ? { HealthCmd: ctx.text(`${base}/cmd`, cmd, 'value') } : {}),
    ...(health.interval !== undefined ? { HealthInterval: health.interval } : {}),
    ...(health.timeout !== undefined ? { HealthTimeout: health.timeout } : {}),
    ...(health.startPeriod !== undefined ? { HealthStartPeriod: health.startPeriod } : {}),
    ...(health.retries !== undefined ? { HealthRetries: health.retries } : {}),
    ...(health.gateStart !== false ? { Notify: 'healthy' as const } : {}),
  };
}

/**
 * `[Service]` timeouts. Start: the pull allowance, plus (with `Notify=healthy`) the health
 * start period and one interval, so a slow-to-healthy daemon is not killed by systemd's
 * default 90 s; a manifest's `startTimeout` replaces the whole sum. Stop: podman's stop
 * timeout plus a margin, so systemd never SIGKILLs a container podman is still stopping.
 */
export function serviceTimeouts(
  ctx: ManifestContext,
  opts: { health?: HealthSpec; healthBase: string; startTimeout?: string; startTimeoutPointer?: string; stopTimeoutS?: number },
): Pick<ServiceSection, 'TimeoutStartSec' | 'TimeoutStopSec'> {
  const gated = opts.health !== undefined && opts.health.gateStart !== false;
  const startPeriodMs = durationMs(ctx, `${opts.healthBase}/startPeriod`, opts.health?.startPeriod) ?? 0;
  const intervalMs = durationMs(ctx, `${opts.healthBase}/interval`, opts.health?.interval) ?? PODMAN_HEALTH_INTERVAL_MS;
  const derivedMs = PULL_ALLOWANCE_S * 1000 + (gated ? startPeriodMs + intervalMs : 0);
  const startTimeoutPointer = opts.startTimeoutPointer ?? '/startTimeout';
  const explicitMs = durationMs(ctx, startTimeoutPointer, opts.startTimeout);
  if (explicitMs !== undefined && gated && explicitMs <= startPeriodMs) {
    ctx.problem(startTimeoutPointer, `must be longer than health.startPeriod (${opts.health?.startPeriod}): systemd would stop the unit before its first health check counts`);
  }
  return {
    TimeoutStartSec: Math.ceil((explicitMs ?? derivedMs) / 1000),
    TimeoutStopSec: (opts.stopTimeoutS ?? PODMAN_STOP_TIMEOUT_S) + STOP_MARGIN_S,
  };
}
