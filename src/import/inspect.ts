/**
 * An existing container, as `podman inspect` shows it, → an app manifest (one container, named after it, so the
 * unit's `podman run --replace --name <id>` takes the old container's place). Only what the user gave is carried
 * over: values equal to the image's own (`podman image inspect`: its Env, Cmd, Entrypoint, WorkingDir, User, Labels,
 * StopSignal, Healthcheck) and podman's defaults (`container=podman`, `HOSTNAME`, `HOME`, the default `PATH`, the
 * short id as host name, the default network, 10 s stop timeout, 64 MB /dev/shm) are left out. Where inspect alone
 * cannot tell a default from a choice (ulimits, env secrets' targets, the log driver), the container's
 * `CreateCommand` (the `podman run` that made it) decides. Every finding names the inspect field as a JSON pointer
 * (`container lnd /HostConfig/RestartPolicy/MaximumRetryCount: …`). Pure.
 */
import type { ContainerSpec, Manifest } from '../manifest/types.js';
import { byteSize, dnsLabel, manifestDuration, qualifyImage, signal } from './compose-values.js';
import type { ImportFinding, ImportLevel } from './findings.js';
import { hatch } from './quadlet-container.js';
import { CAPABILITIES, fits, ULIMIT_NAMES } from './unit-values.js';
import { joinUnitWords } from '../render/unit-words.js';

/** The parts of `podman inspect`'s JSON (one container) the importer reads. */
export interface InspectContainer {
  Id: string;
  Name: string;
  ImageName?: string;
  Image?: string;
  Pod?: string;
  IsInfra?: boolean;
  Config: {
    Hostname?: string;
    User?: string;
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | string | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string | number;
    StopTimeout?: number;
    Tty?: boolean;
    OpenStdin?: boolean;
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number } | null;
    HealthcheckOnFailureAction?: string;
    CreateCommand?: string[] | null;
    Secrets?: Array<{ Name: string }> | null;
  };
  HostConfig: {
    Binds?: string[] | null;
    NetworkMode?: string;
    PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    Init?: boolean;
    Privileged?: boolean;
    ReadonlyRootfs?: boolean;
    SecurityOpt?: string[] | null;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    ExtraHosts?: string[] | null;
    Dns?: string[] | null;
    DnsSearch?: string[] | null;
    DnsOptions?: string[] | null;
    Sysctls?: Record<string, string> | null;
    Devices?: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions?: string }> | null;
    Tmpfs?: Record<string, string> | null;
    ShmSize?: number;
    Memory?: number;
    Ulimits?: Array<{ Name: string; Soft: number; Hard: number }> | null;
    LogConfig?: { Type?: string };
  };
  Mounts?: Array<{ Type: string; Name?: string; Source?: string; Destination: string; Mode?: string; RW?: boolean; Propagation?: string }> | null;
  NetworkSettings?: { Networks?: Record<string, { Aliases?: string[] | null }> | null };
}

/** The parts of `podman image inspect`'s JSON the importer compares with. */
export interface InspectImage {
  Config?: {
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    WorkingDir?: string;
    User?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
  } | null;
  Healthcheck?: { Test?: string[] } | null;
}

export interface ContainerImport {
  manifest?: Manifest;
  findings: ImportFinding[];
}

/** podman's own environment for every container (`PATH` only when the image has none). */
const PODMAN_ENV = new Set(['container', 'HOSTNAME', 'HOME']);
const PODMAN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PODMAN_SHM = 65_536_000;
const PODMAN_STOP_TIMEOUT = 10;
/** The default health check timings, ns (podman run's defaults): left out when equal. */
const HEALTH_DEFAULTS = { Interval: 30e9, Timeout: 30e9, StartPeriod: 0 };
const TMPFS_DEFAULT_OPTIONS = new Set(['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup', 'noexec']);
/** User-mode networking (rootless podman's own): `pasta`, `slirp4netns`, each with options after a `:`. */
const USER_MODE_NETWORK = /^(pasta|slirp4netns)(:|$)/;
const CREDENTIAL = /pass(word)?|secret|token|api_?key|private_?key/i;

/**
 * The values of `flags` (`--flag value`, `--flag=value`) among the options of the `podman run` that made the
 * container: before its image, which is followed by the container's command when that was given there.
 */
function createFlags(c: InspectContainer, ...flags: string[]): string[] {
  const argv = c.Config.CreateCommand ?? [];
  const cmd = c.Config.Cmd ?? [];
  const tail = cmd.length > 0 && cmd.every((w, i) => argv[argv.length - cmd.length + i] === w) ? cmd.length : 0;
  const args = argv.slice(0, argv.length - tail - 1);
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const f = flags.find((x) => a === x || a.startsWith(`${x}=`));
    if (f === undefined) continue;
    if (a === f) {
      if (i + 1 < args.length) out.push(args[++i]!);
    } else out.push(a.slice(f.length + 1));
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const env = (list: readonly string[] | null | undefined): Map<string, string> => new Map((list ?? []).map((e) => [e.split('=', 1)[0]!, e.slice(e.indexOf('=') + 1)]));

/** Collects findings against one container's inspect fields. */
class Report {
  readonly list: ImportFinding[] = [];
  constructor(readonly file: string) {}
  add(level: ImportLevel, pointer: string, message: string, hint?: string): void {
    this.list.push({ level, file: this.file, pointer, message, ...(hint ? { hint } : {}) });
  }
  drop(pointer: string, what: string, why: string, hint?: string): void {
    this.add('dropped', pointer, `${what} is not carried over: ${why}`, hint);
  }
  note(pointer: string, message: string, hint?: string): void {
    this.add('note', pointer, message, hint);
  }
}

/**
 * Converts one container.
 * @param image its image's `podman image inspect`, to tell the user's values from the image's; without it every
 *   value counts as the user's (noted).
 */
export function importContainer(c: InspectContainer, image: InspectImage | undefined, scope: 'system' | 'user' = 'system'): ContainerImport {
  const r = new Report(`container ${c.Name}`);
  const id = dnsLabel(c.Name);
  if (id === undefined) {
    r.add('error', '/Name', `no app id can be made of ${JSON.stringify(c.Name)}`);
    return { findings: r.list };
  }
  if (id !== c.Name) r.note('/Name', `the app is ${JSON.stringify(id)} (ids are DNS labels): its unit's container replaces a container named ${id}, not ${c.Name}`, `remove the old one before apply: podman rm -f ${c.Name}`);
  if (c.Pod) r.drop('/Pod', 'the pod', 'a manifest has no pods: the containers of one app share its network instead');
  if (!image) r.note('/Image', 'the image could not be inspected: every value of the container counts as chosen for it');
  const img = image?.Config ?? {};
  const spec: ContainerSpec = {};

  const q = qualifyImage(c.ImageName ?? '');
  if (!q.ok) {
    r.add('error', '/ImageName', `${q.why}`, 'the container was made from an image without a name; tag it and import again');
    return { findings: r.list };
  }
  spec.image = q.value;
  for (const n of q.notes ?? []) r.note('/ImageName', n);

  commandAndEntrypoint(c, img, spec, r);
  environment(c, img, spec, r);
  if (c.Config.User && c.Config.User !== (img.User ?? '')) {
    if (fits('user', c.Config.User)) spec.user = c.Config.User;
    else hatch(spec, 'Container', 'User', c.Config.User);
  }
  if (c.Config.WorkingDir && c.Config.WorkingDir !== (img.WorkingDir || '/')) {
    if (fits('absPath', c.Config.WorkingDir)) spec.workingDir = c.Config.WorkingDir;
    else r.drop('/Config/WorkingDir', 'the working directory', 'no absolute path a manifest takes');
  }
  mounts(c, spec, r);
  network(c, spec, r);
  ports(c, spec, r);
  health(c, image, spec, r);
  labels(c, img, spec, r);
  security(c, spec, r);
  lifecycle(c, img, spec, r);
  resources(c, spec, r);
  if (scope === 'user') rootlessOwnership(spec, r);
  return { manifest: { id, ...spec }, findings: r.list };
}

/**
 * Rootless, a numeric `user` gets the node's user mapped onto it (`UserNS=keep-id:uid=U,gid=G`, docs/rootless.md),
 * where the old container ran it as a subordinate uid: what that wrote under its binds is not U's in the unit's
 * container until it is the node's user's.
 */
function rootlessOwnership(spec: ContainerSpec, r: Report): void {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(spec.user ?? '');
  if (!numeric || (numeric[1] === '0' && (numeric[2] ?? '0') === '0') || !spec.binds?.length) return;
  r.note(
    '/Config/User',
    `rootless, the unit maps the node's user onto ${spec.user} (UserNS=keep-id): what the old container wrote under its binds as ${spec.user} belongs to a subordinate uid and is not ${spec.user}'s in the unit's container`,
    `give it to the node's user before apply: podman unshare chown -R 0:0 ${spec.binds.map((b) => b.source).join(' ')}`,
  );
}

function commandAndEntrypoint(c: InspectContainer, img: NonNullable<InspectImage['Config']>, spec: ContainerSpec, r: Report): void {
  const entry = typeof c.Config.Entrypoint === 'string' ? [c.Config.Entrypoint] : (c.Config.Entrypoint ?? []);
  if (!same(entry, img.Entrypoint ?? [])) {
    if (entry.length === 0) r.drop('/Config/Entrypoint', 'the cleared entrypoint', 'a manifest cannot clear the image\'s entrypoint');
    else spec.entrypoint = entry;
  }
  const cmd = c.Config.Cmd ?? [];
  if (!same(cmd, img.Cmd ?? []) || spec.entrypoint) {
    if (cmd.length > 0) spec.command = cmd;
    else if ((img.Cmd ?? []).length > 0) r.drop('/Config/Cmd', 'the cleared command', 'a manifest cannot clear the image\'s command');
  }
}

function environment(c: InspectContainer, img: NonNullable<InspectImage['Config']>, spec: ContainerSpec, r: Report): void {
  const imageEnv = env(img.Env);
  const given = new Set(createFlags(c, '-e', '--env').map((e) => e.split('=', 1)[0]!));
  // An env secret: inspect shows it as `<secret name>=*******`; its target is only in the podman run that made it.
  const envSecrets = new Map(createFlags(c, '--secret').map((s) => s.split(',')).filter((p) => p.includes('type=env')).map((p) => [p[0]!, p.find((x) => x.startsWith('target='))?.slice(7) ?? p[0]!]));
  const left: string[] = [];
  (c.Config.Env ?? []).forEach((entry, i) => {
    const at = `/Config/Env/${i}`;
    const name = entry.split('=', 1)[0]!;
    const value = entry.slice(name.length + 1);
    if (value === '*******' && (envSecrets.has(name) || (c.Config.Secrets ?? []).every((s) => s.Name !== name))) {
      const target = envSecrets.get(name);
      if (target && fits('secretName', name) && fits('envName', target)) (spec.secrets ??= []).push({ name, env: target });
      else r.drop(at, `the env secret ${name}`, 'inspect masks it, and the podman run that made the container does not say its variable');
      return;
    }
    const podmanOwn = PODMAN_ENV.has(name) || (name === 'PATH' && !imageEnv.has('PATH') && value === PODMAN_PATH) || (name === 'TERM' && c.Config.Tty && value === 'xterm');
    if ((imageEnv.get(name) === value || podmanOwn) && !given.has(name)) {
      left.push(name);
      return;
    }
    if (!fits('envName', name) || /[\u0000-\u001f\u007f]/.test(value)) {
      r.drop(at, `the variable ${name}`, 'a unit file cannot carry its name or value');
      return;
    }
    (spec.environment ??= {})[name] = value;
    if (CREDENTIAL.test(name)) r.note(at, `${name} looks like a credential, carried over as text`, 'make it a podman secret: secrets: [{ name, env }]');
  });
  if (left.length > 0) r.note('/Config/Env', `${left.join(', ')}: the image's or podman's own, left out`);
  for (const s of c.Config.Secrets ?? []) {
    const at = `/Config/Secrets`;
    if (!fits('secretName', s.Name)) r.drop(at, `the secret ${s.Name}`, 'no secret name a manifest takes');
    else {
      const given2 = createFlags(c, '--secret').map((x) => x.split(',')).find((p) => p[0] === s.Name);
      const target = given2?.find((x) => x.startsWith('target='))?.slice(7);
      (spec.secrets ??= []).push({ name: s.Name, ...(target && fits('absPath', target) ? { target } : {}) });
      if (target && !fits('absPath', target)) r.note(at, `the secret ${s.Name} is mounted at /run/secrets/${s.Name} (its target ${target} is no absolute path)`);
    }
  }
}

function mounts(c: InspectContainer, spec: ContainerSpec, r: Report): void {
  const prefix = `${dnsLabel(c.Name)}-`;
  (c.Mounts ?? []).forEach((m, i) => {
    const at = `/Mounts/${i}`;
    if (!fits('absPath', m.Destination)) {
      r.drop(at, `the mount at ${m.Destination}`, 'no absolute path a manifest takes');
      return;
    }
    if (m.Propagation && m.Propagation !== 'rprivate') r.drop(`${at}/Propagation`, `propagation ${m.Propagation}`, 'a manifest bind has no propagation');
    if (m.Type === 'bind') {
      if (!m.Source || !fits('absPath', m.Source)) {
        r.drop(at, `the bind of ${m.Source}`, 'a host path with : or , cannot be written into a unit');
        return;
      }
      const relabel = m.Mode === 'z' || m.Mode === 'Z' ? m.Mode : undefined;
      (spec.binds ??= []).push({ source: m.Source, target: m.Destination, ...(m.RW === false ? { readOnly: true } : {}), ...(relabel ? { relabel } : {}) });
      return;
    }
    if (m.Type === 'volume' && m.Name) {
      const name = m.Name.startsWith(prefix) ? m.Name.slice(prefix.length) : undefined;
      if (name !== undefined && fits('dnsLabel', name)) {
        (spec.volumes ??= []).push({ name, target: m.Destination, ...(m.RW === false ? { readOnly: true } : {}) });
        r.note(at, `the volume ${m.Name} is the app's volume ${name} (VolumeName=${m.Name}: the same volume, its data kept)`);
        return;
      }
      hatch(spec, 'Container', 'Volume', `${m.Name}:${m.Destination}${m.RW === false ? ':ro' : ''}`);
      r.note(at, `${/^[0-9a-f]{64}$/.test(m.Name) ? 'the anonymous volume' : 'the volume'} ${m.Name} kept by its name in quadlet: Container: Volume, so its data stays (a manifest volume of this app is named ${prefix}<name>)`);
      return;
    }
    r.drop(at, `the ${m.Type} mount at ${m.Destination}`, 'a manifest mounts host paths, volumes and tmpfs');
  });
  for (const [target, options] of Object.entries(c.HostConfig.Tmpfs ?? {})) {
    const at = `/HostConfig/Tmpfs/${target.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    const opts = options.split(',').filter((o) => o !== '' && !TMPFS_DEFAULT_OPTIONS.has(o));
    const o = Object.fromEntries(opts.map((x) => x.split('=')));
    const size = o.size === undefined ? undefined : byteSize(o.size);
    if (!fits('absPath', target) || Object.keys(o).some((k) => k !== 'size' && k !== 'mode') || (size && !size.ok)) {
      hatch(spec, 'Container', 'Tmpfs', `${target}:${opts.join(',')}`);
      r.note(at, 'kept as written in quadlet: Container: Tmpfs (options a manifest tmpfs has no field for)');
      continue;
    }
    (spec.tmpfs ??= []).push(opts.length === 0 ? target : { target, ...(size?.ok ? { size: size.value } : {}), ...(o.mode !== undefined ? { mode: o.mode } : {}) });
  }
}

function network(c: InspectContainer, spec: ContainerSpec, r: Report): void {
  const mode = c.HostConfig.NetworkMode ?? 'bridge';
  if (mode === 'host') {
    spec.hostNetwork = true;
    return;
  }
  if (mode === 'none') {
    hatch(spec, 'Container', 'Network', 'none');
    r.note('/HostConfig/NetworkMode', 'no network: kept in quadlet: Container: Network=none');
    return;
  }
  if (USER_MODE_NETWORK.test(mode)) {
    // Rootless, podman's default is pasta (NetworkMode "pasta", no network): the unit's container gets it too. A mode
    // named in the podman run (with its options), or slirp4netns, is kept as written.
    const kept = createFlags(c, '--network', '--net').find((v) => USER_MODE_NETWORK.test(v)) ?? (mode === 'pasta' ? undefined : mode);
    if (kept !== undefined) {
      hatch(spec, 'Container', 'Network', kept);
      r.note('/HostConfig/NetworkMode', `${kept}: kept in quadlet: Container: Network (a manifest container is on the host's network or on podman networks)`);
    }
    return;
  }
  if (mode.startsWith('container:') || mode.startsWith('ns:')) {
    r.drop('/HostConfig/NetworkMode', `network mode ${mode}`, 'a manifest container is on the host\'s network or on podman networks');
    return;
  }
  for (const [name, settings] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
    if (['podman', 'pasta', 'slirp4netns', 'bridge'].includes(name)) continue;
    if (!fits('dnsLabel', name)) {
      r.drop(`/NetworkSettings/Networks/${name}`, `the network ${name}`, 'a manifest network is a DNS label');
      continue;
    }
    (spec.networks ??= []).push(name);
    const extra = (settings?.Aliases ?? []).filter((a) => a !== c.Name && a !== c.Id.slice(0, 12));
    if (extra.length > 0) r.drop(`/NetworkSettings/Networks/${name}/Aliases`, `the aliases ${extra.join(', ')}`, 'a manifest container is reached by its name on a shared network');
  }
}

function ports(c: InspectContainer, spec: ContainerSpec, r: Report): void {
  for (const [key, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    const [port, proto = 'tcp'] = key.split('/') as [string, string?];
    for (const b of bindings ?? []) {
      const at = `/HostConfig/PortBindings/${key.replace('/', '~1')}`;
      if (proto !== 'tcp' && proto !== 'udp') {
        r.drop(at, `port ${key}`, 'a manifest port is tcp or udp');
        continue;
      }
      const host = Number(b.HostPort || port);
      const given = createFlags(c, '-p', '--publish').map((p) => p.split('/')[0]!.split(':'));
      if (given.some((parts) => parts.length === 1 && parts[0] === port)) r.note(at, `podman chose host port ${host} for ${key}: pinned to it`);
      const hostIp = b.HostIp && b.HostIp !== '0.0.0.0' && b.HostIp !== '::' ? b.HostIp : undefined;
      (spec.ports ??= []).push({ container: Number(port), ...(host !== Number(port) ? { host } : {}), ...(hostIp ? { hostIp } : {}), ...(proto === 'udp' ? { protocol: 'udp' as const } : {}) });
    }
  }
}

function health(c: InspectContainer, image: InspectImage | undefined, spec: ContainerSpec, r: Report): void {
  const h = c.Config.Healthcheck;
  const test = h?.Test ?? [];
  if (test.length === 0) return;
  if (image?.Healthcheck && same(image.Healthcheck.Test, test)) {
    r.note('/Config/Healthcheck', 'the image\'s own health check: not gating the start', 'give the manifest a health: to wait for it');
    return;
  }
  if (test[0] === 'NONE') {
    hatch(spec, 'Container', 'HealthCmd', 'none');
    return;
  }
  const cmd = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test[0] === 'CMD' ? test.slice(1) : test;
  spec.health = { cmd };
  for (const [field, key] of [['interval', 'Interval'], ['timeout', 'Timeout'], ['startPeriod', 'StartPeriod']] as const) {
    const ns = h?.[key];
    if (ns !== undefined && ns !== HEALTH_DEFAULTS[key] && ns > 0) spec.health[field] = manifestDuration(Math.ceil(ns / 1e6));
  }
  if (h?.Retries !== undefined && h.Retries !== 3 && h.Retries >= 1 && h.Retries <= 100) spec.health.retries = h.Retries;
  if (c.Config.HealthcheckOnFailureAction && c.Config.HealthcheckOnFailureAction !== 'none') hatch(spec, 'Container', 'HealthOnFailure', c.Config.HealthcheckOnFailureAction);
  r.note('/Config/Healthcheck', 'the unit\'s start waits until the check passes (health.gateStart)');
}

function labels(c: InspectContainer, img: NonNullable<InspectImage['Config']>, spec: ContainerSpec, r: Report): void {
  for (const [key, value] of Object.entries(c.Config.Labels ?? {})) {
    const at = `/Config/Labels/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (img.Labels?.[key] === value) continue;
    if (key === 'PODMAN_SYSTEMD_UNIT') {
      r.note(at, `run by the systemd unit ${value}: the manifest's unit replaces it`, 'remove that unit (for a Quadlet unit: import quadlet its directory instead)');
      continue;
    }
    if (key === 'io.containers.autoupdate' && (value === 'registry' || value === 'local')) {
      // A local image has no registry to update from (validate refuses registry there): local is what can work.
      const local = value === 'registry' && (spec.image ?? '').startsWith('localhost/');
      spec.autoUpdate = local ? 'local' : value;
      if (local) r.note(at, `auto-update registry on the local image ${spec.image} looks in a registry that does not exist: the manifest says autoUpdate: local`);
      continue;
    }
    if (!fits('labelKey', key) || /[\u0000-\u001f\u007f]/.test(value)) r.drop(at, `the label ${key}`, 'a unit file cannot carry it');
    else (spec.labels ??= {})[key] = value;
  }
}

function security(c: InspectContainer, spec: ContainerSpec, r: Report): void {
  const hc = c.HostConfig;
  if (hc.Privileged) spec.privileged = true;
  if (hc.ReadonlyRootfs) (spec.security ??= {}).readOnly = true;
  for (const [field, list, key] of [['capAdd', hc.CapAdd, 'CapAdd'], ['capDrop', hc.CapDrop, 'CapDrop']] as const) {
    (list ?? []).forEach((cap, i) => {
      const name = cap.toUpperCase().replace(/^CAP_/, '');
      if (CAPABILITIES.has(name)) ((spec.security ??= {})[field] ??= []).push(name);
      else r.drop(`/HostConfig/${key}/${i}`, `capability ${cap}`, 'no capability a manifest knows');
    });
  }
  (hc.SecurityOpt ?? []).forEach((opt, i) => {
    if (opt === 'no-new-privileges' || opt === 'no-new-privileges:true') (spec.security ??= {}).noNewPrivileges = true;
    else if (opt.startsWith('label=disable')) hatch(spec, 'Container', 'SecurityLabelDisable', 'true');
    else if (opt.startsWith('seccomp=')) hatch(spec, 'Container', 'SeccompProfile', opt.slice(8));
    else r.drop(`/HostConfig/SecurityOpt/${i}`, `security option ${opt}`, 'no manifest field or Quadlet key for it');
  });
  (hc.ExtraHosts ?? []).forEach((entry, i) => {
    const [host, ip] = [entry.slice(0, entry.indexOf(':')), entry.slice(entry.indexOf(':') + 1)];
    if (host && (fits('ipAddress', ip) || ip === 'host-gateway')) (spec.hosts ??= []).push({ host, ip });
    else r.drop(`/HostConfig/ExtraHosts/${i}`, `the host entry ${entry}`, 'a manifest host entry is HOST:IP');
  });
  for (const [key, quadlet] of [['Dns', 'DNS'], ['DnsSearch', 'DNSSearch'], ['DnsOptions', 'DNSOption']] as const) {
    for (const v of hc[key] ?? []) hatch(spec, 'Container', quadlet, v);
  }
  for (const [name, value] of Object.entries(hc.Sysctls ?? {})) (spec.sysctls ??= {})[name] = value;
  for (const d of hc.Devices ?? []) {
    const permissions = d.CgroupPermissions && d.CgroupPermissions !== 'rwm' ? d.CgroupPermissions : undefined;
    (spec.devices ??= []).push(d.PathInContainer === d.PathOnHost && !permissions ? d.PathOnHost : { host: d.PathOnHost, container: d.PathInContainer, ...(permissions ? { permissions } : {}) });
  }
  if (c.Config.Tty || c.Config.OpenStdin) r.drop(c.Config.Tty ? '/Config/Tty' : '/Config/OpenStdin', 'the terminal', 'a container run by systemd has no terminal or stdin');
}

function lifecycle(c: InspectContainer, img: NonNullable<InspectImage['Config']>, spec: ContainerSpec, r: Report): void {
  if (c.HostConfig.Init) spec.init = true;
  const hostname = c.Config.Hostname ?? '';
  const named = createFlags(c, '-h', '--hostname').length > 0 || (!c.Config.CreateCommand && hostname !== c.Id.slice(0, 12));
  if (hostname && named) {
    if (fits('dnsLabel', hostname)) spec.hostname = hostname;
    else {
      hatch(spec, 'Container', 'HostName', hostname);
      r.note('/Config/Hostname', `${hostname} kept in quadlet: Container: HostName (a manifest hostname is one DNS label)`);
    }
  }
  const stopSignal = c.Config.StopSignal === undefined ? undefined : String(c.Config.StopSignal);
  if (stopSignal && stopSignal !== (img.StopSignal || 'SIGTERM') && stopSignal !== '15') {
    const s = signal(stopSignal);
    if (s.ok) spec.stop = { signal: s.value };
    else r.drop('/Config/StopSignal', `stop signal ${stopSignal}`, s.why);
  }
  const timeout = c.Config.StopTimeout;
  if (timeout !== undefined && timeout !== PODMAN_STOP_TIMEOUT) {
    if (timeout > 0) spec.stop = { ...spec.stop, timeout: `${timeout}s` };
    else r.drop('/Config/StopTimeout', 'a stop timeout of 0', 'podman would kill the container at once');
  }
  const policy = c.HostConfig.RestartPolicy ?? {};
  const name = policy.Name ?? '';
  if (name === 'always' || name === 'unless-stopped') spec.restart = 'always';
  else if (name === 'on-failure') spec.restart = 'on-failure';
  else spec.restart = 'no';
  if (name === 'unless-stopped') r.note('/HostConfig/RestartPolicy/Name', 'unless-stopped → always: a stop by archy-quadlet stop keeps it stopped');
  if (name === '' || name === 'no') r.note('/HostConfig/RestartPolicy/Name', 'no restart policy: restart "no" (a manifest\'s default is on-failure)');
  if ((policy.MaximumRetryCount ?? 0) > 0) r.drop('/HostConfig/RestartPolicy/MaximumRetryCount', `the retry limit ${policy.MaximumRetryCount}`, 'systemd restarts without a count (its own start limit applies)');
}

function resources(c: InspectContainer, spec: ContainerSpec, r: Report): void {
  const create = c.Config.CreateCommand;
  const hc = c.HostConfig;
  if (hc.ShmSize !== undefined && hc.ShmSize !== PODMAN_SHM && hc.ShmSize > 0) {
    const s = byteSize(hc.ShmSize);
    if (s.ok) spec.shmSize = s.value;
  }
  if (hc.Memory) {
    const s = byteSize(hc.Memory);
    if (s.ok) spec.memory = s.value;
  }
  // podman gives every container the host's nofile and nproc limits: only those named in its podman run are the user's.
  const given = new Set(createFlags(c, '--ulimit').map((u) => u.split('=', 1)[0]!));
  for (const [i, u] of (hc.Ulimits ?? []).entries()) {
    const name = u.Name.replace(/^RLIMIT_/, '').toLowerCase();
    if (!given.has(name)) continue;
    if (u.Soft >= 0 && u.Hard >= 0 && ULIMIT_NAMES.has(name)) (spec.ulimits ??= {})[name] = u.Soft === u.Hard ? u.Soft : { soft: u.Soft, hard: u.Hard };
    else r.drop(`/HostConfig/Ulimits/${i}`, `ulimit ${name}`, 'a manifest ulimit has a name it knows and a limit of 0 or more (no unlimited)');
  }
  if (!create && (hc.Ulimits ?? []).length > 0) r.note('/HostConfig/Ulimits', 'no podman run to tell podman\'s default limits from chosen ones: none carried over');
  const logDriver = createFlags(c, '--log-driver')[0];
  if (logDriver) hatch(spec, 'Container', 'LogDriver', logDriver);
  for (const opt of createFlags(c, '--log-opt')) hatch(spec, 'Container', 'LogOpt', opt);
  const pids = createFlags(c, '--pids-limit')[0];
  if (pids) hatch(spec, 'Container', 'PidsLimit', pids);
  for (const a of createFlags(c, '--annotation')) hatch(spec, 'Container', 'Annotation', joinUnitWords([a]));
  if (spec.quadlet?.Container) r.note('/HostConfig', `kept in quadlet: Container: ${Object.keys(spec.quadlet.Container).join(', ')} (no manifest field)`);
}
