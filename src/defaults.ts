/**
 * What every command assumes when not told otherwise, in one leaf module with no imports: the options' help shows
 * these, and `--help` loads this file rather than the modules that act on them (issue 15, docs/performance.md).
 */

/** `--state-dir` when not given, for the system manager. */
export const DEFAULT_STATE_DIR = '/var/lib/archy-quadlet';

/** The podman the nodes run (Debian 13's): what every command renders for unless told `--podman-version`. */
export const DEFAULT_PODMAN_VERSION = '5.4.2';

/** The generator of a standard podman install (`--generator`). */
export const DEFAULT_GENERATOR = '/usr/libexec/podman/quadlet';

/** `serve --listen` when not given: loopback, since the API controls every app on the node. */
export const DEFAULT_LISTEN = '127.0.0.1:8080';
