/**
 * One app manifest → its units (docs/manifest.md, "Apps of several containers"):
 * - a one-container app: `<id>.container` (the app's unit, `<id>.service`), `<id>-<vol>.volume` per named volume,
 *   `<id>.build` for a local build;
 * - an app of several containers: its own network `<id>.network` with `ServiceName=<id>` (the app's unit
 *   `<id>.service`, which starts at boot when the app should run), and per container `<id>-<name>.container`,
 *   `PartOf=` and `WantedBy=` the app's unit, on the app's network under its short name (an alias on that network only); `<id>-<vol>.volume` per
 *   named volume (containers of one app that name the same volume share it), `<id>-<name>.build` per build.
 * Shared networks are made by the catalog pass.
 */
import { containersOf, containerUnitName, isMultiContainer, networkName, type ContainerEntry } from '../manifest/containers.js';
import type { ContainerSpec, Dependency, DesiredState, DeviceSpec, EnvValue, ExportValue, Manifest, NodeFact, TmpfsSpec, VolumeMount } from '../manifest/types.js';
import { parseMemory } from '../manifest/units.js';
import { staleVersion } from '../manifest/app-meta.js';
import { appService, instanceService, serviceName, unitFileName } from '../naming.js';
import type { BuildUnit, ContainerSection, ContainerUnit, InstallSection, NetworkUnit, UnitSpec, VolumeSection, VolumeUnit } from './model.js';
import { COMMAND_SEPARATOR, ManifestContext, pointerToken } from './context.js';
import type { Version } from './podman-keys.js';
import { checkRawEnvironment, clearEntrypoint } from './podman-quirks.js';
import { splitUnitWords } from '../render/unit-words.js';
import { warnConfinement } from './confinement-warnings.js';
import { addHosts, bindVolumes, durationMs, environment, healthKeys, publishPorts, serviceTimeouts } from './container-parts.js';
import { BOOT_TARGET, DEFAULT_RESTART, PODMAN_SECRET_PREFIX, UNPRIVILEGED_PORT_START } from './defaults.js';

export interface AppInputs {
  manifest: Manifest;
  /** `manifests/<id>.yaml`, as the ownership header names it. */
  source: string;
  /** Override > manifest > `running`; never `absent` here (absent apps have no units). */
  state: Exclude<DesiredState, 'absent'>;
  /** A template app's instances the user stopped on their own (`stop indexer@2`): the app's unit does not want them. */
  stoppedInstances?: readonly string[];
  scope: 'system' | 'user';
  /** Looks up another app of the catalog for a dependency: its effective state, its containers' services, its exports. */
  lookup: (id: string) => { state: DesiredState; containers: ContainerService[]; exports: Record<string, ExportValue> } | undefined;
  /** What the node knows of itself, for `{ node }` environment values (a fact not given is a problem where used). */
  node: NodeFacts;
  /** The podman the units are rendered for: its quirks are rendered around (src/compile/podman-quirks.ts). */
  target: Version;
}

/** The node's facts (docs/manifest: `{ node: FACT }`); each one absent when the node does not know it. */
export type NodeFacts = Partial<Record<NodeFact, string>>;

/** A container's service as a dependency sees it. */
export interface ContainerService {
  /** Short name; undefined for a one-container app. */
  name: string | undefined;
  /** `<stem>.service`. */
  service: string;
  /** Carries `Notify=healthy`: `After=` it means after it reported healthy. */
  healthy: boolean;
  oneshot: boolean;
}

/** Whether a container will carry `Notify=healthy`. */
export function notifiesHealthy(c: ContainerSpec): boolean {
  return c.health !== undefined && c.health.gateStart !== false && !c.oneshot;
}

/** The services of an app's containers (for `lookup`): a template app's are its instances (`<id>@<name>.service`). */
export function containerServices(m: Manifest): ContainerService[] {
  if (m.instances && !isMultiContainer(m)) {
    return m.instances.map((name) => ({ name, service: instanceService(m.id, name), healthy: notifiesHealthy(m), oneshot: m.oneshot === true }));
  }
  return containersOf(m).map((c) => ({
    name: c.name,
    service: serviceName(unitFileName(unitStem(m.id, c), 'container')),
    healthy: notifiesHealthy(c.spec),
    oneshot: c.spec.oneshot === true,
  }));
}

function unitStem(appId: string, c: ContainerEntry): string {
  return c.name === undefined ? appId : containerUnitName(appId, c.name);
}

/** What a container's unit gets from its app. */
interface Placement {
  /** Unit and container name, e.g. `lnd` or `mempool-db`. */
  stem: string;
  /**
   * For a container of an app of several: the app's network (`<id>.network`), its alias on it, the app's unit, and
   * where the other apps it requires are collected (the app's unit requires them).
   */
  app?: { network: string; alias?: string; service: string; requires: Set<string> };
  install?: InstallSection;
  /** `ContainerName=` when it is not the stem: a template's `<id>-%i`. */
  containerName?: string;
}

/**
 * Compiles one app. Problems go to `ctx`; the units are returned even when some
 * were found, and the catalog pass discards everything if any problem exists.
 */
export function compileApp(ctx: ManifestContext, input: AppInputs): UnitSpec[] {
  const m = input.manifest;
  if (!ctx.isLabel('/id', m.id)) return [];
  const stale = staleVersion(m);
  if (stale) ctx.warn(stale.pointer, stale.message, stale.hint);
  const boot: InstallSection | undefined = input.state === 'running' ? { WantedBy: [BOOT_TARGET[input.scope]] } : undefined;
  const containers = containersOf(m);
  if (m.instances) return compileTemplateApp(ctx, input, containers[0]!, boot);
  if (!isMultiContainer(m)) return compileContainer(ctx, input, containers[0]!, { stem: m.id, ...(boot ? { install: boot } : {}) }, new Map());

  const service = appService(m.id);
  const network = appNetwork(ctx, input, boot);
  const units: UnitSpec[] = [network];
  const volumes = new Map<string, VolumeSection>();
  const appRequires = new Set<string>();
  for (const c of containers) {
    if (!ctx.isLabel(c.base, c.name!)) continue;
    const stem = containerUnitName(m.id, c.name!);
    units.push(...compileContainer(ctx, input, c, { stem, app: { network: network.file, alias: c.name!, service, requires: appRequires }, install: { WantedBy: [service] } }, volumes));
  }
  // Another app's unit is required by this app's unit: stopping that app stops all of this one (PartOf), not only
  // the containers that wait for it.
  if (appRequires.size > 0) network.Unit.Requires = [...appRequires];
  return units;
}

/**
 * The app's own network `<id>.network` as the app's unit (`ServiceName=<id>`): an app of several containers, or of
 * template instances. It starts at boot when the app should run.
 */
function appNetwork(ctx: ManifestContext, input: AppInputs, boot: InstallSection | undefined): NetworkUnit {
  const m = input.manifest;
  return {
    kind: 'network',
    file: unitFileName(m.id, 'network'),
    app: m.id,
    sources: [input.source],
    Unit: { Description: ctx.text(m.description !== undefined ? '/description' : '/name', m.description ?? m.name ?? m.id, 'raw', 'systemd') },
    Network: { NetworkName: m.id, ServiceName: m.id },
    ...(boot ? { Install: boot } : {}),
  };
}

/**
 * A one-container app with `instances` (issue 17, template units): the template `<id>@.container` (`ContainerName=
 * <id>-%i`, `PartOf=<id>.service`, `%i` kept as systemd's specifier in its values) on the app's own network, whose
 * unit `<id>.service` wants `<id>@<name>.service` for each instance: a start of the app starts them all, a stop
 * stops them all, and each instance starts and stops on its own. Podman 5.4.2's generator has no instance files
 * (an empty `x@1.container` is read as a unit without an image), so the instances are the app unit's `Wants=`.
 */
function compileTemplateApp(ctx: ManifestContext, input: AppInputs, entry: ContainerEntry, boot: InstallSection | undefined): UnitSpec[] {
  const m = input.manifest;
  if (isMultiContainer(m)) {
    ctx.problem('/instances', 'instances are for a one-container app', 'run the containers of an app of several as separate apps, or give the instances to a one-container app');
    return [];
  }
  if (m.build) ctx.problem('/instances', 'an app with instances cannot build its image (the build unit would be a template too)', 'build the image in another app and name it in image');
  if ((m.instances ?? []).length > 1 && (m.ports ?? []).length > 0) ctx.problem('/ports', 'every instance would publish the same host ports', 'leave the ports out (instances reach each other by name on the app network), or run one instance');
  const network = appNetwork(ctx, input, boot);
  // An instance the user stopped on their own is not wanted: neither the next boot nor a start of the app starts it.
  network.Unit.Wants = (m.instances ?? []).flatMap((name, i) => (input.stoppedInstances?.includes(name) ? [] : [ctx.text(`/instances/${i}`, instanceService(m.id, name), 'raw', 'systemd')]));
  const requires = new Set<string>();
  const units = compileContainer(ctx, input, entry, { stem: `${m.id}@`, containerName: `${m.id}-%i`, app: { network: network.file, service: appService(m.id), requires } }, new Map());
  for (const u of units) if (u.kind === 'container') u.template = true;
  if (requires.size > 0) network.Unit.Requires = [...requires];
  return [network, ...units];
}


/**
 * What rootless (the user manager) asks of a container, and the `UserNS=` it gets (docs/rootless.md):
 * - a numeric `user` (`uid[:gid]`) runs as that uid with the node's user mapped onto it (`keep-id:uid=U,gid=G`): the
 *   files the daemon writes for the container (configs, private ones 0600) are the process's own inside, and what the
 *   process writes under a bind is the node user's outside (a daemon's macaroons, readable by the daemon);
 * - a `user` given by name cannot be mapped (the name lives in the image): warned, the files are then readable by it only when public;
 * - a host port below 1024 needs `net.ipv4.ip_unprivileged_port_start` lowered on the node: warned.
 * Returns the `UserNS=` value, or undefined.
 */
function rootlessUserNS(ctx: ManifestContext, base: string, c: ContainerEntry['spec']): string | undefined {
  (c.ports ?? []).forEach((p, i) => {
    const host = p.host ?? p.container;
    if (host < UNPRIVILEGED_PORT_START) {
      ctx.warn(
        `${base}/ports/${i}`,
        `rootless: host port ${host} is below ${UNPRIVILEGED_PORT_START}, which a user's container may not bind unless the node lowers net.ipv4.ip_unprivileged_port_start`,
        `use a host port of ${UNPRIVILEGED_PORT_START} or more (host: ${host + 8000 < 65536 ? host + 8000 : UNPRIVILEGED_PORT_START}), or set the sysctl on the node`,
        c.acknowledge?.ports,
      );
    }
  });
  if (c.user === undefined) return undefined;
  const numeric = /^(\d+)(?::(\d+))?$/.exec(c.user);
  if (!numeric) {
    ctx.warn(`${base}/user`, `rootless: user "${c.user}" is a name, so the node's user cannot be mapped onto it: files the daemon writes for the container are readable by it only when public`, 'give the numeric uid[:gid] the image uses for that name', c.acknowledge?.user);
    return undefined;
  }
  const uid = numeric[1]!;
  const gid = numeric[2] ?? uid;
  // Root inside is the node's user already (podman's rootless default mapping).
  if (uid === '0' && gid === '0') return undefined;
  return `keep-id:uid=${uid},gid=${gid}`;
}

/** One container's units: its `.container`, its volumes not yet made for the app (`made`), its `.build`. */
function compileContainer(ctx: ManifestContext, input: AppInputs, entry: ContainerEntry, at: Placement, made: Map<string, VolumeSection>): UnitSpec[] {
  const m = input.manifest;
  const c = entry.spec;
  const base = entry.base;
  const sources = [input.source];
  const units: UnitSpec[] = [];
  const env = environmentValues(ctx, input, entry);
  const deps = dependencies(ctx, input, entry, env.apps);
  if (at.app) for (const r of deps.appRequires) at.app.requires.add(r);
  const requires = [...new Set([...deps.requires, ...(at.app ? [] : deps.appRequires)])];

  let image: string;
  if (c.build) {
    const build: BuildUnit = {
      kind: 'build',
      file: unitFileName(at.stem, 'build'),
      app: m.id,
      sources,
      Unit: { Description: `Image build for ${at.stem}` },
      Build: {
        ImageTag: ctx.text(`${base}/build/tag`, c.build.tag, 'value'),
        SetWorkingDirectory: ctx.text(`${base}/build/context`, c.build.context, 'value'),
        ...(c.build.file !== undefined ? { File: ctx.text(`${base}/build/file`, c.build.file, 'value') } : {}),
      },
    };
    units.push(build);
    image = build.file;
  } else {
    image = ctx.text(`${base}/image`, c.image ?? '', 'value');
    if (c.image === undefined) ctx.problem(base, 'needs either image or build');
  }

  const volumeMounts: string[] = [];
  (c.volumes ?? []).forEach((v, i) => {
    const name = `${m.id}-${ctx.label(`${base}/volumes/${i}/name`, v.name)}`;
    const file = unitFileName(name, 'volume');
    const section = volumeSection(ctx, `${base}/volumes/${i}`, name, v);
    // The kernel lets no user namespace mount NFS (nfs has no FS_USERNS_MOUNT); not shown on the test host, which has
    // no NFS client at all (rootful and rootless: "unknown filesystem type 'nfs4'").
    if (input.scope === 'user' && /^nfs4?$/.test(v.type ?? '')) ctx.warn(`${base}/volumes/${i}/type`, `rootless: a user's podman mounts the volume inside its user namespace, where the kernel does not allow ${v.type} mounts: the container will not start`, 'mount the export on the node (fstab or a .mount unit) and bind it (binds: [{ source: /mnt/…, target: … }])');
    const first = made.get(file);
    if (!first) {
      made.set(file, section);
      const unit: VolumeUnit = { kind: 'volume', file, app: m.id, sources, Unit: { Description: `Volume ${v.name} of ${m.id}` }, Volume: section };
      units.push(unit);
    } else if (JSON.stringify(first) !== JSON.stringify(section)) {
      ctx.problem(`${base}/volumes/${i}`, `volume ${v.name} is also made by another container of ${m.id}, with another driver, type, device or options`, 'give every container that names it the same ones');
    }
    volumeMounts.push(ctx.text(`${base}/volumes/${i}/target`, `${file}:${v.target}${v.readOnly ? ':ro' : ''}`, 'raw'));
  });

  const stopTimeoutMs = durationMs(ctx, `${base}/stop/timeout`, c.stop?.timeout);
  const stopTimeoutS = stopTimeoutMs === undefined ? undefined : Math.ceil(stopTimeoutMs / 1000);
  const networks = c.hostNetwork
    ? ['host']
    : [...(at.app ? [at.app.alias === undefined ? at.app.network : `${at.app.network}:alias=${at.app.alias}`] : []), ...(c.networks ?? []).map((n, i) => unitFileName(ctx.label(typeof n === 'string' ? `${base}/networks/${i}` : `${base}/networks/${i}/name`, networkName(n)), 'network'))];
  warnConfinement(ctx, base, c);
  const userNS = input.scope === 'user' ? rootlessUserNS(ctx, base, c) : undefined;
  const container: ContainerSection = {
    Image: image,
    ContainerName: at.containerName ?? at.stem,
    ...(c.entrypoint?.length ? { Entrypoint: ctx.text(`${base}/entrypoint`, JSON.stringify(c.entrypoint), 'value') } : c.entrypoint ? clearEntrypoint(input.target) : {}),
    ...(c.command ? { Exec: c.command.map((a, i) => ctx.text(`${base}/command/${i}`, a, 'word')) } : {}),
    ...(c.workingDir !== undefined ? { WorkingDir: ctx.text(`${base}/workingDir`, c.workingDir, 'value') } : {}),
    ...(c.user !== undefined ? { User: ctx.text(`${base}/user`, c.user, 'value') } : {}),
    ...(userNS !== undefined ? { UserNS: userNS } : {}),
    ...nonEmpty('Environment', env.literal),
    ...nonEmpty('Secret', [...(c.secrets ?? []).map((s, i) => ctx.text(`${base}/secrets/${i}`, secretValue(s), 'word')), ...env.secrets]),
    ...nonEmpty('PublishPort', publishPorts(ctx, `${base}/ports`, c.ports)),
    ...nonEmpty('Volume', [...volumeMounts, ...bindVolumes(ctx, `${base}/binds`, c.binds, c.configs, `${base}/configs`)]),
    ...nonEmpty('Network', networks),
    ...(c.hostname !== undefined ? { HostName: ctx.text(`${base}/hostname`, c.hostname, 'value') } : {}),
    ...(c.hostNetwork && !c.hosts ? {} : { AddHost: addHosts(ctx, `${base}/hosts`, c.hosts) }),
    ...(c.init ? { RunInit: true } : {}),
    ...(c.shmSize !== undefined ? shmSize(ctx, `${base}/shmSize`, c.shmSize) : {}),
    ...nonEmpty('Ulimit', Object.entries(c.ulimits ?? {}).map(([name, v]) => ctx.text(`${base}/ulimits/${pointerToken(name)}`, `${name}=${typeof v === 'number' ? `${v}:${v}` : `${v.soft}:${v.hard}`}`, 'raw'))),
    ...nonEmpty('AddDevice', (c.devices ?? []).map((d, i) => ctx.text(`${base}/devices/${i}`, deviceValue(d), 'strv'))),
    ...nonEmpty('Tmpfs', (c.tmpfs ?? []).map((t, i) => ctx.text(`${base}/tmpfs/${i}`, tmpfsValue(ctx, `${base}/tmpfs/${i}`, t), 'raw'))),
    ...nonEmpty('Sysctl', Object.entries(c.sysctls ?? {}).map(([k, v]): [string, string] => (ctx.text(`${base}/sysctls/${pointerToken(k)}`, `${k}=${v}`, 'strv'), [k, v]))),
    ...(c.security?.readOnly ? { ReadOnly: true } : {}),
    ...(c.security?.noNewPrivileges ? { NoNewPrivileges: true } : {}),
    ...nonEmpty('AddCapability', (c.security?.capAdd ?? []).map((cap, i) => ctx.text(`${base}/security/capAdd/${i}`, cap, 'strv'))),
    ...nonEmpty('DropCapability', (c.security?.capDrop ?? []).map((cap, i) => ctx.text(`${base}/security/capDrop/${i}`, cap, 'strv'))),
    ...healthKeys(ctx, `${base}/health`, c.oneshot && c.health ? { ...c.health, gateStart: false } : c.health, input.target),
    ...(c.stop?.signal !== undefined ? { StopSignal: ctx.text(`${base}/stop/signal`, c.stop.signal, 'value') } : {}),
    ...(stopTimeoutS !== undefined ? { StopTimeout: stopTimeoutS } : {}),
    ...(c.memory !== undefined ? memoryKey(ctx, `${base}/memory`, c.memory) : {}),
    ...nonEmpty('Label', environment(ctx, `${base}/labels`, c.labels)),
    ...(c.autoUpdate ? { AutoUpdate: ctx.text(`${base}/autoUpdate`, c.autoUpdate, 'value') as ContainerSection['AutoUpdate'] } : {}),
  };
  if (c.privileged) container.PodmanArgs = [...(container.PodmanArgs ?? []), '--privileged'];
  const description = at.app && entry.name !== undefined
    ? ctx.text(base, `${m.name ?? m.id}: ${entry.name}`, 'raw', 'systemd')
    : ctx.text(m.description !== undefined ? '/description' : '/name', m.description ?? m.name ?? m.id, 'raw', 'systemd');
  const unit: ContainerUnit = {
    kind: 'container',
    file: unitFileName(at.stem, 'container'),
    app: m.id,
    sources,
    Unit: {
      Description: description,
      ...nonEmpty('Requires', requires),
      ...nonEmpty('After', [...(at.app && c.hostNetwork ? [at.app.service] : []), ...deps.after]),
      ...(at.app ? { PartOf: [at.app.service] } : {}),
    },
    Container: container,
    Service: {
      ...(c.oneshot ? { Type: 'oneshot' as const, RemainAfterExit: true } : {}),
      Restart: ctx.text(`${base}/restart`, c.restart ?? (c.oneshot ? 'no' : DEFAULT_RESTART), 'raw', 'systemd'),
      ...serviceTimeouts(ctx, { health: c.oneshot ? undefined : c.health, healthBase: `${base}/health`, startTimeout: c.startTimeout, startTimeoutPointer: `${base}/startTimeout`, stopTimeoutS }),
    },
    ...(at.install ? { Install: at.install } : {}),
    raw: rawSections(ctx, base, c, input, at.app !== undefined),
  };
  units.push(unit);
  return units;
}

/**
 * `Requires=`/`After=` of one container. A container of the same app: its service. Another app: its unit is
 * required (`appRequires`: by the container, or in an app of several by the app's unit), and `After=` each of its containers (with `healthy`, each health-gated one), or with `container` that one.
 * Checked against the catalog here (an app that is absent in this render cannot be required).
 */
function dependencies(ctx: ManifestContext, input: AppInputs, entry: ContainerEntry, envApps: ReadonlyMap<string, string>): { requires: string[]; appRequires: string[]; after: string[] } {
  const requires: string[] = [];
  const appRequires: string[] = [];
  const after: string[] = [];
  const declared = entry.spec.dependsOn ?? [];
  // An app whose export the environment takes is a dependency (started) unless one on it is declared.
  const implied = [...envApps].filter(([app]) => !declared.some((d) => d.app === app)).map(([app, at]) => ({ d: { app } as Dependency, at }));
  [...declared.map((d, i) => ({ d, at: `${entry.base}/dependsOn/${i}` })), ...implied].forEach(({ d, at }) => {
    if (d.app === undefined) {
      const service = serviceName(unitFileName(containerUnitName(input.manifest.id, d.container!), 'container'));
      requires.push(service);
      after.push(service);
      return;
    }
    if (!ctx.isLabel(`${at}/app`, d.app)) return;
    appRequires.push(appService(d.app));
    const other = input.lookup(d.app);
    if (!other) {
      ctx.problem(`${at}/app`, `depends on "${d.app}", which is not in the catalog`, 'add its manifest or remove the dependency');
      return;
    }
    if (other.state === 'absent') ctx.problem(`${at}/app`, `depends on "${d.app}", whose desired state is absent`, `install "${d.app}" or remove the dependency`);
    const targets = d.container === undefined ? other.containers : other.containers.filter((c) => c.name === d.container);
    if (targets.length === 0) {
      ctx.problem(`${at}/container`, `"${d.app}" has no container "${d.container}"`, `its containers: ${other.containers.map((c) => c.name ?? d.app).join(', ')}`);
    } else if (d.condition === 'healthy') {
      const gated = targets.filter((c) => c.healthy);
      if (gated.length === 0) ctx.problem(`${at}/condition`, `waits until "${d.app}" is healthy, but ${d.container === undefined ? `"${d.app}"` : `its container "${d.container}"`} has no health check gating its start`, `give it a health check (health.gateStart not false) or use condition: started`);
      after.push(...gated.map((c) => c.service));
    } else {
      after.push(...targets.map((c) => c.service));
    }
  });
  return { requires: [...new Set(requires)], appRequires: [...new Set(appRequires)], after: [...new Set(after)] };
}

/**
 * A container's environment: literal `Environment=` pairs (text, node facts, literal exports), `Secret=` values for
 * secrets (`{ secret }` and secret exports: the podman secret `archy.<name>` the reconciler creates from the node's
 * generated secret, given as type env), and the apps whose exports it takes (id → pointer of the first use).
 */
function environmentValues(ctx: ManifestContext, input: AppInputs, entry: ContainerEntry): { literal: Array<[string, string]>; secrets: string[]; apps: Map<string, string> } {
  const literal: Array<[string, string]> = [];
  const secrets: string[] = [];
  const apps = new Map<string, string>();
  const secret = (pointer: string, variable: string, name: string): void => {
    secrets.push(ctx.text(pointer, `${PODMAN_SECRET_PREFIX}${name},type=env,target=${variable}`, 'word'));
  };
  const plain = (pointer: string, variable: string, text: string): void => {
    ctx.text(pointer, `${variable}=${text}`, 'word');
    literal.push([variable, text]);
  };
  for (const [key, value] of Object.entries(entry.spec.environment ?? {}) as Array<[string, EnvValue]>) {
    const pointer = `${entry.base}/environment/${pointerToken(key)}`;
    if (typeof value === 'string') {
      plain(pointer, key, value);
    } else if ('secret' in value) {
      secret(pointer, key, value.secret);
    } else if ('node' in value) {
      const fact = input.node[value.node];
      if (fact === undefined) ctx.problem(`${pointer}/node`, `this node does not know its ${value.node}`, value.node === 'domain' ? 'configure the node domain, or use a literal value' : 'use a literal value');
      else plain(pointer, key, fact);
    } else {
      // Its own app's export is a value, not a dependency.
      if (value.app !== input.manifest.id && !apps.has(value.app)) apps.set(value.app, `${pointer}/app`);
      const exported = value.app === input.manifest.id ? input.manifest.exports?.[value.export] : input.lookup(value.app)?.exports[value.export];
      if (exported === undefined) continue; // an unknown app or export: reported by the catalog checks and by dependencies()
      if (typeof exported === 'string') plain(pointer, key, exported);
      else secret(pointer, key, exported.secret);
    }
  }
  return { literal, secrets, apps };
}

/** `ShmSize=` in podman's units: `64Mi` → `64m` (podman's k, m, g are 1024-based). */
function shmSize(ctx: ManifestContext, pointer: string, text: string): Pick<ContainerSection, 'ShmSize'> {
  try {
    parseMemory(text);
  } catch (err) {
    ctx.problem(pointer, (err as Error).message);
    return {};
  }
  const m = /^([0-9]+)(Ki|Mi|Gi|Ti)?$/.exec(text)!;
  const unit = { Ki: 'k', Mi: 'm', Gi: 'g', Ti: 't' }[m[2] as 'Ki'] ?? '';
  return { ShmSize: unit === 't' ? `${Number(m[1]) * 1024}g` : `${m[1]}${unit}` };
}

function deviceValue(d: DeviceSpec): string {
  if (typeof d === 'string') return d;
  return [d.host, ...(d.container !== undefined || d.permissions !== undefined ? [d.container ?? d.host] : []), ...(d.permissions !== undefined ? [d.permissions] : [])].join(':');
}

function tmpfsValue(ctx: ManifestContext, pointer: string, t: TmpfsSpec): string {
  if (typeof t === 'string') return t;
  const opts: string[] = [];
  if (t.size !== undefined) {
    const s = shmSize(ctx, `${pointer}/size`, t.size).ShmSize;
    if (s !== undefined) opts.push(`size=${s}`);
  }
  if (t.mode !== undefined) opts.push(`mode=${t.mode}`);
  return opts.length > 0 ? `${t.target}:${opts.join(',')}` : t.target;
}

/** A named volume's `[Volume]`: its podman name, and the driver and the local driver's mount when given (issue 17: NFS). */
function volumeSection(ctx: ManifestContext, pointer: string, name: string, v: VolumeMount): VolumeSection {
  const section: VolumeSection = { VolumeName: name };
  const keys = { driver: 'Driver', type: 'Type', device: 'Device', options: 'Options' } as const;
  for (const [field, key] of Object.entries(keys) as Array<[keyof typeof keys, (typeof keys)[keyof typeof keys]]>) {
    const value = v[field];
    if (value !== undefined) section[key] = ctx.text(`${pointer}/${field}`, value, 'value');
  }
  return section;
}

/** `Memory=` is kept in the model; the version pass folds it into `PodmanArgs=` for targets before 5.5. */
function memoryKey(ctx: ManifestContext, pointer: string, text: string): Pick<ContainerSection, 'Memory'> {
  try {
    return { Memory: parseMemory(text) };
  } catch (err) {
    ctx.problem(pointer, (err as Error).message);
    return {};
  }
}

function secretValue(s: { name: string; env?: string; target?: string }): string {
  if (s.env !== undefined) return `${s.name},type=env,target=${s.env}`;
  if (s.target !== undefined) return `${s.name},type=mount,target=${s.target}`;
  return s.name;
}

const KEY_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/** The `[Container]` keys podman 5.4.2's generator splits into words with C escapes (unit-words.ts, `args`); shown with its binary. */
const ARGS_KEYS = new Set(['Exec', 'Environment', 'Label', 'Annotation', 'GlobalArgs', 'Secret', 'Mask', 'Unmask', 'EnvironmentFile', 'PodmanArgs']);

/**
 * An escape-hatch value of a key the generator splits into words, which it would read other than it looks (issue 17,
 * item 1): an escape it does not know makes it skip the whole value without a word; an open quote makes the rest of
 * the value one word; an empty word (`""`) ends the value.
 */
function checkRawWords(ctx: ManifestContext, pointer: string, value: string): void {
  const split = splitUnitWords(value, 'args');
  if (!split.ok) ctx.problem(pointer, `podman's generator skips this whole value without a word: ${split.message}`, 'write \\\\ for a backslash; the escapes it reads are \\n \\t \\" \\\\ \\s \\xHH \\uHHHH and \\ooo');
  else if (split.unbalanced) ctx.problem(pointer, `the ${split.unbalanced} is never closed: podman's generator reads the rest of the value as one word`, `close the quote`);
  else if (split.dropped) ctx.problem(pointer, `an empty word ("" or '') ends the value for podman's generator: ${JSON.stringify(split.dropped)} would be dropped`, 'remove the empty quotes');
}

/**
 * The escape hatch's keys, as entries; names and values checked here, keys against the target by the version pass.
 * `[Install]` lines are dropped where the compiler decides boot: an app that should not start at boot, and every
 * container of an app of several (they start with the app's unit).
 */
function rawSections(ctx: ManifestContext, base: string, c: ContainerSpec, { state, target }: AppInputs, partOfApp: boolean): ContainerUnit['raw'] {
  const out: ContainerUnit['raw'] = { Unit: [], Container: [], Service: [], Install: [] };
  for (const section of ['Unit', 'Container', 'Service', 'Install'] as const) {
    for (const [key, value] of Object.entries(c.quadlet?.[section] ?? {})) {
      const pointer = `${base}/quadlet/${section}/${key}`;
      if (!KEY_NAME.test(key)) {
        ctx.problem(pointer, `"${key}" is not a unit-file key name`, 'keys are letters, digits and "-", starting with a letter');
        continue;
      }
      const values = Array.isArray(value) ? value : [value];
      values.forEach((v, i) => {
        const at = Array.isArray(value) ? `${pointer}/${i}` : pointer;
        ctx.text(at, v, 'raw', 'systemd');
        // Verbatim Quadlet syntax: the generator unquotes its words, so `;`, `";"` and `';'` all end ExecStart='s command.
        if (section === 'Container' && v.split(/\s+/).some((w) => w.replace(/^(["'])(.*)\1$/, '$2') === ';')) ctx.problem(at, COMMAND_SEPARATOR.message, COMMAND_SEPARATOR.hint);
        if (section === 'Container' && key === 'Environment') checkRawEnvironment(ctx, at, v, target);
        if (section === 'Container' && ARGS_KEYS.has(key)) checkRawWords(ctx, at, v);
      });
      if (section === 'Install' && (state !== 'running' || partOfApp)) continue;
      out[section].push(...values.map((v): [string, string] => [key, v]));
    }
  }
  return out;
}

function nonEmpty<K extends string, T>(key: K, list: T[]): { [P in K]?: T[] } {
  return (list.length > 0 ? { [key]: list } : {}) as { [P in K]?: T[] };
}
