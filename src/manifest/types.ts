/**
 * The app manifest: one YAML file per app in `manifests/`, validated against
 * `schema/manifest.schema.json`. These types mirror that schema exactly; the
 * schema is the authority (unknown fields are errors there).
 *
 * Durations are strings `^[0-9]+(ms|s|m|h)$` (e.g. `30s`, `10m`); memory sizes are
 * IEC strings `^[1-9][0-9]*(Ki|Mi|Gi|Ti)?$` (`128Mi`, `1Gi`; a bare number is bytes).
 */

/** What the manifest asks the node to do with the app. `absent` = in the catalog, not installed. */
export type DesiredState = 'running' | 'stopped' | 'absent';

export interface Manifest {
  /** A DNS label; names the unit (`<id>.container` → `<id>.service`). */
  id: string;
  /** Display name, e.g. "Bitcoin Knots". Defaults to the id. */
  name?: string;
  description?: string;
  /** Desired state; default `running`. */
  state?: DesiredState;
  /** `name:tag` or `name@sha256:digest`. Exactly one of `image` and `build`. */
  image?: string;
  /** A local build (Quadlet `.build` unit). */
  build?: BuildSpec;
  /** Replaces the image's command (Quadlet `Exec=`). */
  command?: string[];
  /** Replaces the image's entrypoint (Quadlet `Entrypoint=`). */
  entrypoint?: string[];
  workingDir?: string;
  /** `uid`, `uid:gid`, or a user name (Quadlet `User=`/`Group=`). */
  user?: string;
  environment?: Record<string, string>;
  /** Secrets by reference: podman secret names, never literal values. */
  secrets?: SecretRef[];
  ports?: PortSpec[];
  /** Named volumes (`<id>-<name>.volume`) mounted into the container. */
  volumes?: VolumeMount[];
  /** Host paths bind-mounted into the container. */
  binds?: BindMount[];
  /**
   * Config files the node renders from `templates/config/<template>` (plus secrets it generates once and keeps in
   * its state directory), writes atomically at `path` on the host, and bind-mounts read-only at `target`.
   */
  configs?: ConfigFileSpec[];
  /** Networks by name; each becomes `<name>.network`. Default: none (podman's default network). */
  networks?: string[];
  /** Extra /etc/hosts entries; `ip: host-gateway` reaches the host (`host.containers.internal`). */
  hosts?: HostEntry[];
  security?: SecuritySpec;
  health?: HealthSpec;
  /** Other apps this one needs: started before it, stopped after it. */
  dependsOn?: Dependency[];
  stop?: StopSpec;
  /** Time allowed for the first start, image pull included (systemd TimeoutStartSec). */
  startTimeout?: string;
  /** Memory limit, IEC units (`128Mi`, `1Gi`). */
  memory?: string;
  labels?: Record<string, string>;
  /** Quadlet `AutoUpdate=`. */
  autoUpdate?: 'registry' | 'local';
  /** systemd `Restart=`; default `on-failure`. */
  restart?: 'no' | 'always' | 'on-failure' | 'on-abnormal' | 'on-abort' | 'on-watchdog' | 'on-success';
  /** An optional companion UI container (unit `archy-<ui.id>`), started and stopped with the app. */
  ui?: CompanionSpec;
  /** Raw Quadlet keys per section; still checked against the target podman's key list. */
  quadlet?: RawSections;
}

export interface BuildSpec {
  /** Build context directory on the node. */
  context: string;
  /** Containerfile path relative to the context. */
  file?: string;
  /** Tag for the built image, e.g. `localhost/myapp:latest`. */
  tag: string;
}

export interface SecretRef {
  /** podman secret name (a DNS label). */
  name: string;
  /** Expose as this environment variable (Secret=name,type=env,target=VAR) … */
  env?: string;
  /** … or as a file at this path in the container (Secret=name,type=mount,target=PATH). */
  target?: string;
}

export interface ConfigFileSpec {
  /** Template file name under `templates/config/`, e.g. `bitcoin.conf.hbs`. */
  template: string;
  /** Absolute host path, under the app's data directory. */
  path: string;
  /** Absolute container path. */
  target: string;
}

export interface PortSpec {
  container: number;
  /** Host port; default the container port. */
  host?: number;
  /** Host address to bind; default all addresses. */
  hostIp?: string;
  protocol?: 'tcp' | 'udp';
}

export interface VolumeMount {
  /** Volume name within the app; the unit is `<id>-<name>.volume`. */
  name: string;
  target: string;
  readOnly?: boolean;
}

export interface BindMount {
  /** Absolute host path. */
  source: string;
  /** Absolute container path. */
  target: string;
  readOnly?: boolean;
  /** SELinux relabel: `z` shared, `Z` private. */
  relabel?: 'z' | 'Z';
}

export interface HostEntry {
  host: string;
  /** An IP address or `host-gateway`. */
  ip: string;
}

export interface SecuritySpec {
  readOnly?: boolean;
  noNewPrivileges?: boolean;
  capAdd?: string[];
  capDrop?: string[];
}

export interface HealthSpec {
  /** The command run inside the container (Quadlet `HealthCmd=`). */
  cmd: string[];
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  retries?: number;
  /** Keep the unit `activating` until the first healthy check (Quadlet `Notify=healthy`); default true. */
  gateStart?: boolean;
}

export interface Dependency {
  app: string;
  /** `started` (default): ordered after it; `healthy`: after it reported healthy (needs its `health.gateStart`). */
  condition?: 'started' | 'healthy';
}

export interface StopSpec {
  /** Signal sent to stop the container (Quadlet `StopSignal=`), e.g. `SIGINT`. */
  signal?: string;
  /** Time the app gets to exit cleanly before SIGKILL (Quadlet `StopTimeout=`). */
  timeout?: string;
}

export interface CompanionSpec {
  /** The companion's id; the unit is `archy-<id>.container`. */
  id: string;
  image: string;
  ports?: PortSpec[];
  binds?: BindMount[];
  configs?: ConfigFileSpec[];
  environment?: Record<string, string>;
  health?: HealthSpec;
}

export interface RawSections {
  Unit?: Record<string, string | string[]>;
  Container?: Record<string, string | string[]>;
  Service?: Record<string, string | string[]>;
  Install?: Record<string, string | string[]>;
}

/** A manifest as loaded: the parsed value plus where it came from. */
export interface LoadedManifest {
  /** Path as given to the loader, e.g. `manifests/lnd.yaml`; every error names it. */
  file: string;
  manifest: Manifest;
  /**
   * Line and column of the node a JSON pointer names in `file` (the key itself with `target: 'key'`), so that later
   * stages (e.g. the compiler rejecting a `quadlet` key) can report `FILE:LINE:COL /pointer`.
   */
  locate?: (pointer: string, target?: 'key' | 'value') => { line: number; col: number };
}
