/**
 * The Quadlet unit model: plain data, one interface per section, keys in
 * Quadlet/systemd PascalCase. The compiler makes every decision and fills
 * these; the renderer only prints them (src/render). Values are unescaped
 * text: quoting is the renderer's job.
 */

/** `[Unit]` of any unit kind (systemd's own keys; Quadlet passes them through). */
export interface UnitSection {
  /** Converts to `Description=…`. */
  Description?: string;
  /** Converts to one `Requires=…` line each (`<dep>.service`; Podman 5.4 does not translate `x.container`). */
  Requires?: string[];
  /** Converts to one `After=…` line each. */
  After?: string[];
  /** Converts to one `PartOf=…` line each (a container of an app of several stops and restarts with the app's unit). */
  PartOf?: string[];
  /** Converts to one `Wants=…` line each: a template app's unit wants its instances (`indexer@1.service`). */
  Wants?: string[];
}

/** `[Container]` of a `.container` unit. */
export interface ContainerSection {
  /** Converts to `Image=…`: `name:tag`, `name@sha256:…`, or `<id>.build` for a local build. */
  Image: string;
  /** Converts to `ContainerName=…`. */
  ContainerName: string;
  /** Converts to `Entrypoint=…` (a JSON array, which podman's `--entrypoint` accepts). */
  Entrypoint?: string;
  /** Converts to `Exec=…` (one line, each argument a word). */
  Exec?: string[];
  /** Converts to `WorkingDir=…`. */
  WorkingDir?: string;
  /** Converts to `User=…` (`uid`, `uid:gid` or a name). */
  User?: string;
  /** Converts to `UserNS=…`; rootless only: `keep-id:uid=U,gid=G` for a numeric user (src/compile/compile-app.ts, rootlessUserNS). */
  UserNS?: string;
  /** Converts to one `Environment=NAME=value` line each. */
  Environment?: Array<[name: string, value: string]>;
  /** Converts to one `Secret=…` line each (`name,type=env,target=VAR`). */
  Secret?: string[];
  /** Converts to one `PublishPort=…` line each (`[ip:]host:container[/udp]`). */
  PublishPort?: string[];
  /** Converts to one `Volume=…` line each (`x.volume:/target[:ro]`, `/host:/target[:ro]`). */
  Volume?: string[];
  /**
   * Converts to one `Network=…` line each: `<name>.network`, `host`, or for the app's own network
   * `<id>.network:alias=<name>` (the short name its app's other containers reach it by, on that network only).
   */
  Network?: string[];
  /** Converts to `HostName=…`. */
  HostName?: string;
  /** Converts to one `AddHost=host:ip` line each. */
  AddHost?: string[];
  /** Converts to `RunInit=true`: an init process as PID 1. */
  RunInit?: boolean;
  /** Converts to `ShmSize=…` (podman's units: `64m`, `1g`, or bytes). */
  ShmSize?: string;
  /** Converts to one `Ulimit=name=soft:hard` line each. */
  Ulimit?: string[];
  /** Converts to one `AddDevice=host[:container[:permissions]]` line each. */
  AddDevice?: string[];
  /** Converts to one `Tmpfs=path[:options]` line each. */
  Tmpfs?: string[];
  /** Converts to one `Sysctl=name=value` line each. */
  Sysctl?: Array<[name: string, value: string]>;
  /** Converts to `ReadOnly=true`. */
  ReadOnly?: boolean;
  /** Converts to `NoNewPrivileges=true`. */
  NoNewPrivileges?: boolean;
  /** Converts to one `AddCapability=…` line each. */
  AddCapability?: string[];
  /** Converts to one `DropCapability=…` line each. */
  DropCapability?: string[];
  /** Converts to `HealthCmd=…` (a JSON array: exec form, no shell unless the command asks for one). */
  HealthCmd?: string;
  /** Converts to `HealthInterval=…` (a Go duration such as `30s`). */
  HealthInterval?: string;
  /** Converts to `HealthTimeout=…`. */
  HealthTimeout?: string;
  /** Converts to `HealthStartPeriod=…`. */
  HealthStartPeriod?: string;
  /** Converts to `HealthRetries=…`. */
  HealthRetries?: number;
  /** Converts to `Notify=healthy`: the unit stays `activating` until the first healthy check. */
  Notify?: 'healthy';
  /** Converts to `StopSignal=…`. */
  StopSignal?: string;
  /** Converts to `StopTimeout=…` (whole seconds). */
  StopTimeout?: number;
  /** Converts to `Memory=…` (bytes). Podman 5.5+; earlier targets get `PodmanArgs=--memory=…` instead. */
  Memory?: number;
  /** Converts to one `Label=key=value` line each. */
  Label?: Array<[key: string, value: string]>;
  /** Converts to `AutoUpdate=…`. */
  AutoUpdate?: 'registry' | 'local';
  /** Converts to one `PodmanArgs=…` line each (one argument per line). */
  PodmanArgs?: string[];
}

/** `[Service]` of a `.container` unit (systemd's own keys). */
export interface ServiceSection {
  /** Converts to `Type=oneshot` for a container that runs to completion (Quadlet then runs podman in the foreground). */
  Type?: 'oneshot';
  /** Converts to `RemainAfterExit=yes`: a completed one-shot container stays active, so what waits for it can start. */
  RemainAfterExit?: boolean;
  /** Converts to `Restart=…`. */
  Restart: string;
  /** Converts to `TimeoutStartSec=…` (whole seconds): image pull plus, with `Notify=healthy`, the time to the first healthy check. */
  TimeoutStartSec: number;
  /** Converts to `TimeoutStopSec=…` (whole seconds): always longer than `StopTimeout` so podman, not systemd, ends the container. */
  TimeoutStopSec: number;
}

/** `[Install]`: present only when the unit should start at boot (or with its app). */
export interface InstallSection {
  /** Converts to one `WantedBy=…` line each. */
  WantedBy: string[];
}

/** `[Network]` of a `.network` unit. */
export interface NetworkSection {
  /** Converts to `NetworkName=…`: the podman network's name (without it Quadlet would use `systemd-<name>`). */
  NetworkName: string;
  /**
   * Converts to `ServiceName=…`: the service the generator makes (default `<name>-network.service`). An app of
   * several containers names its own network's service `<id>`, so `<id>.service` is the app's unit either way.
   */
  ServiceName?: string;
  /** Converts to `Driver=…` (`podman network create --driver`). */
  Driver?: string;
  /** Converts to one `Subnet=…` line each (CIDR). */
  Subnet?: string[];
  /** Converts to one `Gateway=…` line each: the n-th pairs with the n-th `Subnet=`. */
  Gateway?: string[];
  /** Converts to one `IPRange=…` line each: the n-th pairs with the n-th `Subnet=`. */
  IPRange?: string[];
  /** Converts to `IPv6=true`. */
  IPv6?: boolean;
  /** Converts to `Internal=true`. */
  Internal?: boolean;
  /** Converts to one `DNS=…` line each. */
  DNS?: string[];
  /** Converts to one `Options=name=value` line each (`--opt`). */
  Options?: string[];
}

/** `[Volume]` of a `.volume` unit. */
export interface VolumeSection {
  /** Converts to `VolumeName=…`. */
  VolumeName: string;
  /** Converts to `Driver=…` (`podman volume create --driver`). */
  Driver?: string;
  /** Converts to `Type=…` (`--opt type=`). */
  Type?: string;
  /** Converts to `Device=…` (`--opt device=`). */
  Device?: string;
  /** Converts to `Options=…` (`--opt o=`). */
  Options?: string;
}

/** `[Build]` of a `.build` unit. */
export interface BuildSection {
  /** Converts to `ImageTag=…`: the tag the container's `Image=<id>.build` resolves to. */
  ImageTag: string;
  /** Converts to `SetWorkingDirectory=…`: the build context directory. */
  SetWorkingDirectory: string;
  /** Converts to `File=…`: the Containerfile, relative to the context. */
  File?: string;
}

/** Raw keys from a manifest's `quadlet:` escape hatch, appended verbatim (already checked against the target). */
export type RawEntries = Array<[key: string, value: string]>;

interface UnitBase {
  /** File name, e.g. `lnd.container` (from `unitFileName`). */
  file: string;
  /** Owning app id; undefined for a file shared by several apps (a network). */
  app?: string;
  /** Manifest files it comes from, e.g. `manifests/lnd.yaml`. */
  sources: string[];
  Unit: UnitSection;
}

export interface ContainerUnit extends UnitBase {
  kind: 'container';
  Container: ContainerSection;
  Service: ServiceSection;
  Install?: InstallSection;
  /** Escape-hatch keys per section, printed after the compiled ones. */
  raw: { Unit: RawEntries; Container: RawEntries; Service: RawEntries; Install: RawEntries };
  /** A template (`<id>@.container`): `%i` and `%I` in its values stay systemd's instance specifiers. */
  template?: boolean;
}

export interface NetworkUnit extends UnitBase {
  kind: 'network';
  Network: NetworkSection;
  /** The app's own network, when the app should start at boot. */
  Install?: InstallSection;
}

export interface VolumeUnit extends UnitBase {
  kind: 'volume';
  Volume: VolumeSection;
}

export interface BuildUnit extends UnitBase {
  kind: 'build';
  Build: BuildSection;
}

/** One Quadlet unit file, by kind. */
export type UnitSpec = ContainerUnit | NetworkUnit | VolumeUnit | BuildUnit;
