/**
 * The compiler's defaults, each with the reason it has that value.
 */

/** Time allowed for an image pull on first start; systemd's default 90 s kills a large pull on a slow link. */
export const PULL_ALLOWANCE_S = 15 * 60;

/** `TimeoutStopSec` = `StopTimeout` + this: podman must be the one that ends the container, not systemd's SIGKILL. */
export const STOP_MARGIN_S = 30;

/** podman's own default stop timeout (`podman run --stop-timeout`), used when a manifest sets none. */
export const PODMAN_STOP_TIMEOUT_S = 10;

/** podman's default health check interval, counted when a manifest sets none. */
export const PODMAN_HEALTH_INTERVAL_MS = 30_000;

/** systemd `Restart=` when a manifest sets none. */
export const DEFAULT_RESTART = 'on-failure';

/** Every container reaches the host under this name, via podman's `host-gateway`. */
export const HOST_GATEWAY_ENTRY = { host: 'host.containers.internal', ip: 'host-gateway' } as const;

/** The target a running unit is wanted by, per systemd instance. */
export const BOOT_TARGET = { system: 'multi-user.target', user: 'default.target' } as const;

/**
 * Podman secrets the reconciler creates from the node's generated secrets are named `archy.<name>`; a manifest's
 * `secrets:` may name any podman secret but these (src/manifest/checks.ts refuses the prefix there).
 */
export const PODMAN_SECRET_PREFIX = 'archy.';

/** The lowest port an unprivileged process may bind on a default Linux (`net.ipv4.ip_unprivileged_port_start`). */
export const UNPRIVILEGED_PORT_START = 1024;
