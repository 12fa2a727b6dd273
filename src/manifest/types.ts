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

/**
 * An app: one container (its fields at the top level, as `ContainerSpec`) or several (`containers`, each a
 * `ContainerSpec`, and no container field at the top level). docs/manifest.md, "Apps of several containers".
 */
export interface Manifest extends ContainerSpec {
  /** A DNS label; names the app's unit `<id>.service` (a one-container app's `<id>.container`, or `<id>.network`). */
  id: string;
  /** Display name, e.g. "Bitcoin Knots". Defaults to the id. */
  name?: string;
  description?: string;
  /**
   * The app's version as its makers number it (`2.0.0`), for the dashboard; default its first container's image tag
   * ({@link appMeta}). `validate` warns when no container's image tag is it.
   */
  version?: string;
  /**
   * The app's icon: a file of the manifests directory, by its path relative to it (`icons/bitcoin.svg`; svg, png,
   * webp or jpeg). Served by the API at `GET /api/apps/<id>/icon` (docs/api.md).
   */
  icon?: string;
  /** Where the app's web UI is, for the dashboard's Open link (see {@link WebSpec}). */
  web?: WebSpec;
  /** Desired state; default `running`. */
  state?: DesiredState;
  /**
   * A one-container app run as systemd template instances (issue 17): the unit `<id>@.container`, one instance
   * `<id>@<name>.service` per name, `%i` in its values the instance's name. The app's unit starts them all.
   */
  instances?: string[];
  /**
   * The containers of an app of several, by short name (a DNS label: the container's alias on the app's network,
   * and its unit `<id>-<name>.container`), in the order they are listed.
   */
  containers?: Record<string, ContainerSpec>;
  /**
   * Values this app offers other apps, by dot-separated name (`rpc.host`, `rpc.password`): a literal, or a secret
   * the node generates. Consumers take them as `environment: { X: { app, export } }` or `{{export "app" "name"}}`.
   */
  exports?: Record<string, ExportValue>;
  /**
   * Makes this app the node's Tor: the host directory it writes every installed app's hidden service into, as
   * `<dir>/<app id>/` (tor's `HiddenServiceDir`; its `hostname` file holds the app's onion address). Under
   * `/var/lib/archipelago/<id>/` and inside one of the app's binds; one app of the catalog at most.
   */
  onionServiceDir?: string;
}

/**
 * The app's web UI: a port the app publishes (`ports[].container` of its container, or of `containers.<container>`
 * in an app of several). The dashboard opens the host port it is published on, or its onion port over Tor.
 */
export interface WebSpec {
  /** In an app of several containers: the container serving the UI. */
  container?: string;
  /** The container port the UI listens on. */
  port: number;
  /** The path the link opens; default `/`. */
  path?: string;
}

/** An exported value: literal text, or `{ secret }`, a secret the node generates once and keeps. */
export type ExportValue = string | { secret: string };

/** The node facts an environment value or a config template can name. */
export type NodeFact = 'hostname' | 'lanAddress' | 'timeZone' | 'domain';

/**
 * An environment value: literal text; `{ secret }`, a secret the node generates (given as a podman secret of
 * type env, so it is in no unit file); `{ app, export }`, a value another app exports; `{ node }`, a node fact.
 */
export type EnvValue = string | { secret: string } | { app: string; export: string } | { node: NodeFact };

/** One container: everything `podman run` is told about it, and how systemd runs it. */
export interface ContainerSpec {
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
  environment?: Record<string, EnvValue>;
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
  /**
   * Shared networks, by name or with their options; each becomes `<name>.network`. An app of several containers also
   * has its own.
   */
  networks?: NetworkRef[];
  /** Share the host's network stack (Quadlet `Network=host`); `validate` warns. Excludes `networks` and `ports`. */
  hostNetwork?: boolean;
  /** Extra /etc/hosts entries; `ip: host-gateway` reaches the host (`host.containers.internal`). */
  hosts?: HostEntry[];
  /** The container's host name (Quadlet `HostName=`). */
  hostname?: string;
  /** Run an init process as PID 1 that reaps zombies and forwards signals (Quadlet `RunInit=true`). */
  init?: boolean;
  /** Size of /dev/shm, IEC units (Quadlet `ShmSize=`). */
  shmSize?: string;
  /** Resource limits by name (`nofile`, `nproc`, …): one number for both, or soft and hard (Quadlet `Ulimit=`). */
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  /** Host devices passed in (Quadlet `AddDevice=`). */
  devices?: DeviceSpec[];
  /** tmpfs mounts (Quadlet `Tmpfs=`), e.g. writable paths of a read-only container. */
  tmpfs?: TmpfsSpec[];
  /** Namespaced kernel parameters (Quadlet `Sysctl=`), e.g. `net.core.somaxconn: "1024"`. */
  sysctls?: Record<string, string>;
  /** All capabilities and host devices (`PodmanArgs=--privileged`); `validate` warns. */
  privileged?: boolean;
  /**
   * Warnings the container gets on purpose, each with the reason (`validate` counts them as acknowledged instead of
   * printing them; acknowledging one the container can never get is warned).
   */
  acknowledge?: Partial<Record<AcknowledgeableWarning, string>>;
  security?: SecuritySpec;
  health?: HealthSpec;
  /**
   * What this container waits for: other apps (`app`), or in an app of several containers, its other containers
   * (`container`). Started after them, stopped before them.
   */
  dependsOn?: Dependency[];
  /** Runs to completion, like a migration or an init job (systemd `Type=oneshot`, `RemainAfterExit=yes`). */
  oneshot?: boolean;
  stop?: StopSpec;
  /** Time allowed for the first start, image pull included (systemd TimeoutStartSec). */
  startTimeout?: string;
  /** Memory limit, IEC units (`128Mi`, `1Gi`). */
  memory?: string;
  labels?: Record<string, string>;
  /** Quadlet `AutoUpdate=`. */
  autoUpdate?: 'registry' | 'local';
  /** systemd `Restart=`; default `on-failure` (`no` for a one-shot container). */
  restart?: 'no' | 'always' | 'on-failure' | 'on-abnormal' | 'on-abort' | 'on-watchdog' | 'on-success';
  /** Raw Quadlet keys per section; still checked against the target podman's key list. */
  quadlet?: RawSections;
}

/** A host device: its path (the same inside), or both paths and the permissions (`r`, `w`, `m`). */
export type DeviceSpec = string | { host: string; container?: string; permissions?: string };

/** A tmpfs mount: its container path, or the path with a size (IEC) and mode (octal text, e.g. `"1777"`). */
export type TmpfsSpec = string | { target: string; size?: string; mode?: string };

export interface BuildSpec {
  /** Build context directory on the node. */
  context: string;
  /** Containerfile path relative to the context. */
  file?: string;
  /** Tag for the built image, e.g. `localhost/myapp:latest`. */
  tag: string;
}

export interface SecretRef {
  /** podman secret name: 1–253 characters without `,` `/` `=` or a control character (what podman 5.4.2 accepts). */
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
  /**
   * Also reachable over Tor: the node's Tor app publishes it as the app's onion service on this virtual port. The
   * Tor app reaches it on `127.0.0.1:<host>`: `hostIp` unset or 127.0.0.1, protocol tcp.
   */
  onion?: number;
}

export interface VolumeMount {
  /** Volume name within the app; the unit is `<id>-<name>.volume`. */
  name: string;
  target: string;
  readOnly?: boolean;
  /** The volume driver (Quadlet `.volume` `Driver=`). */
  driver?: string;
  /** File system type of the local driver's mount, e.g. `nfs4` (`Type=`). */
  type?: string;
  /** What the local driver mounts, e.g. `:/export/media` (`Device=`). */
  device?: string;
  /** Mount options, e.g. `addr=192.168.1.10,nfsvers=4.2` (`Options=`). */
  options?: string;
}

/** A shared network a container joins: its name, or its name and how podman creates it (issue 17). */
export type NetworkRef = string | NetworkSpec;

/** A shared network with options (Quadlet `.network`): every app that gives options for one name gives the same. */
export interface NetworkSpec {
  /** The network's name: the unit `<name>.network`, the podman network `<name>`. */
  name: string;
  /** `bridge` (podman's default), `macvlan` or `ipvlan` (`Driver=`). */
  driver?: 'bridge' | 'macvlan' | 'ipvlan';
  /** Its subnets in CIDR notation, each with an optional gateway and lease range (`Subnet=`, `Gateway=`, `IPRange=`). */
  subnets?: NetworkSubnet[];
  /** Dual stack (`IPv6=true`); `false` refuses an IPv6 subnet (podman would enable IPv6 for it anyway). */
  ipv6?: boolean;
  /** No route out of the network (`Internal=true`). */
  internal?: boolean;
  /** DNS servers of the network's resolver (`DNS=`). */
  dns?: string[];
  /** Driver options by name (`Options=name=value`, `podman network create --opt`), e.g. `mtu: "1400"`. */
  options?: Record<string, string>;
}

export interface NetworkSubnet {
  /** CIDR, e.g. `10.90.0.0/24` or `fd00:90::/64`. */
  subnet: string;
  /** An address of the subnet (`Gateway=`); default: its first address. */
  gateway?: string;
  /** Where addresses are leased from, inside the subnet: a CIDR or `first-last` (`IPRange=`). */
  ipRange?: string;
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

/** `app`: another app; `container`: another container of this app; both: one container of another app. */
export interface Dependency {
  /** Another app's id: after each of its containers (with `healthy`, each health-gated one), or with `container`, that one. */
  app?: string;
  /** A container by its short name: of this app, or with `app`, of that app. */
  container?: string;
  /**
   * `started` (default): ordered after it; `healthy`: after it reported healthy (needs its `health.gateStart`);
   * `completed`: after a one-shot container ran to completion (needs `oneshot`).
   */
  condition?: 'started' | 'healthy' | 'completed';
}

export interface StopSpec {
  /** Signal sent to stop the container (Quadlet `StopSignal=`), e.g. `SIGINT`. */
  signal?: string;
  /** Time the app gets to exit cleanly before SIGKILL (Quadlet `StopTimeout=`). */
  timeout?: string;
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

/**
 * The warnings a manifest may acknowledge, by the field that causes them: `hostNetwork`, `privileged`, and, rootless
 * only, a `user` given by name and a host port below 1024 (`ports`).
 */
export type AcknowledgeableWarning = 'hostNetwork' | 'privileged' | 'user' | 'ports';
