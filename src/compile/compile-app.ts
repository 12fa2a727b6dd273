/**
 * One app manifest → its units: `<id>.container`, `<id>-<vol>.volume` per named
 * volume, `<id>.build` for a local build, and `archy-<ui.id>.container` for a
 * companion UI. Networks are shared across apps and made by the catalog pass.
 */
import type { DesiredState, Manifest } from '../manifest/types.js';
import { parseMemory } from '../manifest/units.js';
import { appService, unitFileName } from '../naming.js';
import type { BuildUnit, ContainerSection, ContainerUnit, InstallSection, UnitSpec, VolumeUnit } from './model.js';
import { ManifestContext } from './context.js';
import { addHosts, bindVolumes, durationMs, environment, healthKeys, publishPorts, serviceTimeouts } from './container-parts.js';
import { BOOT_TARGET, COMPANION_PREFIX, DEFAULT_RESTART } from './defaults.js';

export interface AppInputs {
  manifest: Manifest;
  /** `manifests/<id>.yaml`, as the ownership header names it. */
  source: string;
  /** Override > manifest > `running`; never `absent` here (absent apps have no units). */
  state: Exclude<DesiredState, 'absent'>;
  scope: 'system' | 'user';
  /** Looks up another app of the catalog for a dependency: its effective state, and whether it gates on health. */
  lookup: (id: string) => { state: DesiredState; notifiesHealthy: boolean } | undefined;
}

/** Whether a manifest's container will carry `Notify=healthy`. */
export function notifiesHealthy(m: Manifest): boolean {
  return m.health !== undefined && m.health.gateStart !== false;
}

/** The companion's unit name: `archy-<ui.id>`. */
export function companionName(uiId: string): string {
  return `${COMPANION_PREFIX}${uiId}`;
}

/**
 * Compiles one app. Problems go to `ctx`; the units are returned even when some
 * were found, and the catalog pass discards everything if any problem exists.
 */
export function compileApp(ctx: ManifestContext, input: AppInputs): UnitSpec[] {
  const m = input.manifest;
  const idOk = ctx.isLabel('/id', m.id);
  // Every unit name derives from the ids: with a bad one there is nothing sensible to compile.
  if (!(m.ui ? ctx.isLabel('/ui/id', m.ui.id) : true) || !idOk) return [];
  const sources = [input.source];
  const units: UnitSpec[] = [];
  const deps = dependencies(ctx, input);

  let image: string;
  if (m.build) {
    const build: BuildUnit = {
      kind: 'build',
      file: unitFileName(m.id, 'build'),
      app: m.id,
      sources,
      Unit: { Description: `Image build for ${m.id}` },
      Build: {
        ImageTag: ctx.text('/build/tag', m.build.tag, 'value'),
        SetWorkingDirectory: ctx.text('/build/context', m.build.context, 'value'),
        ...(m.build.file !== undefined ? { File: ctx.text('/build/file', m.build.file, 'value') } : {}),
      },
    };
    units.push(build);
    image = build.file;
  } else {
    image = ctx.text('/image', m.image ?? '', 'value');
    if (m.image === undefined) ctx.problem('', 'needs either image or build');
  }

  const volumeMounts: string[] = [];
  (m.volumes ?? []).forEach((v, i) => {
    const name = `${m.id}-${ctx.label(`/volumes/${i}/name`, v.name)}`;
    const unit: VolumeUnit = {
      kind: 'volume',
      file: unitFileName(name, 'volume'),
      app: m.id,
      sources,
      Unit: { Description: `Volume ${v.name} of ${m.id}` },
      Volume: { VolumeName: name },
    };
    units.push(unit);
    volumeMounts.push(ctx.text(`/volumes/${i}/target`, `${unit.file}:${v.target}${v.readOnly ? ':ro' : ''}`, 'raw'));
  });

  const stopTimeoutMs = durationMs(ctx, '/stop/timeout', m.stop?.timeout);
  const stopTimeoutS = stopTimeoutMs === undefined ? undefined : Math.ceil(stopTimeoutMs / 1000);
  const networks = (m.networks ?? []).map((n, i) => unitFileName(ctx.label(`/networks/${i}`, n), 'network'));
  const container: ContainerSection = {
    Image: image,
    ContainerName: m.id,
    ...(m.entrypoint ? { Entrypoint: ctx.text('/entrypoint', JSON.stringify(m.entrypoint), 'value') } : {}),
    ...(m.command ? { Exec: m.command.map((a, i) => ctx.text(`/command/${i}`, a, 'word')) } : {}),
    ...(m.workingDir !== undefined ? { WorkingDir: ctx.text('/workingDir', m.workingDir, 'value') } : {}),
    ...(m.user !== undefined ? { User: ctx.text('/user', m.user, 'value') } : {}),
    ...nonEmpty('Environment', environment(ctx, '/environment', m.environment)),
    ...nonEmpty('Secret', (m.secrets ?? []).map((s, i) => ctx.text(`/secrets/${i}`, secretValue(s), 'word'))),
    ...nonEmpty('PublishPort', publishPorts(ctx, '/ports', m.ports)),
    ...nonEmpty('Volume', [...volumeMounts, ...bindVolumes(ctx, '/binds', m.binds, m.configs, '/configs')]),
    ...nonEmpty('Network', networks),
    AddHost: addHosts(ctx, '/hosts', m.hosts),
    ...(m.security?.readOnly ? { ReadOnly: true } : {}),
    ...(m.security?.noNewPrivileges ? { NoNewPrivileges: true } : {}),
    ...nonEmpty('AddCapability', (m.security?.capAdd ?? []).map((c, i) => ctx.text(`/security/capAdd/${i}`, c, 'word'))),
    ...nonEmpty('DropCapability', (m.security?.capDrop ?? []).map((c, i) => ctx.text(`/security/capDrop/${i}`, c, 'word'))),
    ...healthKeys(ctx, '/health', m.health),
    ...(m.stop?.signal !== undefined ? { StopSignal: ctx.text('/stop/signal', m.stop.signal, 'value') } : {}),
    ...(stopTimeoutS !== undefined ? { StopTimeout: stopTimeoutS } : {}),
    ...(m.memory !== undefined ? memoryKey(ctx, m.memory) : {}),
    ...nonEmpty('Label', environment(ctx, '/labels', m.labels)),
    ...(m.autoUpdate ? { AutoUpdate: ctx.text('/autoUpdate', m.autoUpdate, 'value') as ContainerSection['AutoUpdate'] } : {}),
  };
  const app: ContainerUnit = {
    kind: 'container',
    file: unitFileName(m.id, 'container'),
    app: m.id,
    sources,
    Unit: {
      Description: ctx.text(m.description !== undefined ? '/description' : '/name', m.description ?? m.name ?? m.id, 'raw'),
      ...nonEmpty('Requires', deps),
      ...nonEmpty('After', deps),
    },
    Container: container,
    Service: {
      Restart: ctx.text('/restart', m.restart ?? DEFAULT_RESTART, 'raw'),
      ...serviceTimeouts(ctx, { health: m.health, healthBase: '/health', startTimeout: m.startTimeout, stopTimeoutS }),
    },
    ...(input.state === 'running' ? { Install: { WantedBy: [BOOT_TARGET[input.scope]] } } : {}),
    raw: rawSections(ctx, m, input.state),
  };
  units.push(app);
  if (m.ui) units.push(compileCompanion(ctx, m, sources, networks));
  return units;
}

function compileCompanion(ctx: ManifestContext, m: Manifest, sources: string[], networks: string[]): ContainerUnit {
  const ui = m.ui!;
  const name = companionName(ui.id);
  const service = appService(m.id);
  const install: InstallSection = { WantedBy: [service] };
  return {
    kind: 'container',
    file: unitFileName(name, 'container'),
    app: m.id,
    sources,
    Unit: { Description: ctx.text('/name', `${m.name ?? m.id} web UI`, 'raw'), PartOf: [service], After: [service] },
    Container: {
      Image: ctx.text('/ui/image', ui.image, 'value'),
      ContainerName: name,
      ...nonEmpty('Environment', environment(ctx, '/ui/environment', ui.environment)),
      ...nonEmpty('PublishPort', publishPorts(ctx, '/ui/ports', ui.ports)),
      ...nonEmpty('Volume', bindVolumes(ctx, '/ui/binds', ui.binds, ui.configs, '/ui/configs')),
      ...nonEmpty('Network', networks),
      AddHost: addHosts(ctx, '/ui/hosts', undefined),
      ...healthKeys(ctx, '/ui/health', ui.health),
    },
    Service: { Restart: DEFAULT_RESTART, ...serviceTimeouts(ctx, { health: ui.health, healthBase: '/ui/health' }) },
    // Wanted by the app's service: the companion starts whenever the app does, whatever the app's boot setting.
    Install: install,
    raw: { Unit: [], Container: [], Service: [], Install: [] },
  };
}

/** `<dep>.service` for every dependency, checked against the catalog. */
function dependencies(ctx: ManifestContext, input: AppInputs): string[] {
  return (input.manifest.dependsOn ?? []).flatMap((d, i) => {
    if (!ctx.isLabel(`/dependsOn/${i}/app`, d.app)) return [];
    const other = input.lookup(d.app);
    if (!other) {
      ctx.problem(`/dependsOn/${i}/app`, `depends on "${d.app}", which is not in the catalog`, 'add its manifest or remove the dependency');
    } else if (other.state === 'absent') {
      ctx.problem(`/dependsOn/${i}/app`, `depends on "${d.app}", whose desired state is absent`, `install "${d.app}" or remove the dependency`);
    } else if (d.condition === 'healthy' && !other.notifiesHealthy) {
      ctx.problem(`/dependsOn/${i}/condition`, `waits until "${d.app}" is healthy, but "${d.app}" has no health check gating its start`, `give "${d.app}" a health check (health.gateStart not false) or use condition: started`);
    }
    return [appService(d.app)];
  });
}

/** `Memory=` is kept in the model; the version pass folds it into `PodmanArgs=` for targets before 5.5. */
function memoryKey(ctx: ManifestContext, text: string): Pick<ContainerSection, 'Memory'> {
  try {
    return { Memory: parseMemory(text) };
  } catch (err) {
    ctx.problem('/memory', (err as Error).message);
    return {};
  }
}

function secretValue(s: { name: string; env?: string; target?: string }): string {
  if (s.env !== undefined) return `${s.name},type=env,target=${s.env}`;
  if (s.target !== undefined) return `${s.name},type=mount,target=${s.target}`;
  return s.name;
}

const KEY_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/** The escape hatch's keys, as entries; names and values checked here, keys against the target by the version pass. */
function rawSections(ctx: ManifestContext, m: Manifest, state: AppInputs['state']): ContainerUnit['raw'] {
  const out: ContainerUnit['raw'] = { Unit: [], Container: [], Service: [], Install: [] };
  for (const section of ['Unit', 'Container', 'Service', 'Install'] as const) {
    for (const [key, value] of Object.entries(m.quadlet?.[section] ?? {})) {
      const pointer = `/quadlet/${section}/${key}`;
      if (!KEY_NAME.test(key)) {
        ctx.problem(pointer, `"${key}" is not a unit-file key name`, 'keys are letters, digits and "-", starting with a letter');
        continue;
      }
      const values = Array.isArray(value) ? value : [value];
      values.forEach((v, i) => ctx.text(Array.isArray(value) ? `${pointer}/${i}` : pointer, v, 'raw'));
      // An app that should not start at boot gets no [Install] lines, whatever the escape hatch says.
      if (section === 'Install' && state !== 'running') continue;
      out[section].push(...values.map((v): [string, string] => [key, v]));
    }
  }
  return out;
}

function nonEmpty<K extends string, T>(key: K, list: T[]): { [P in K]?: T[] } {
  return (list.length > 0 ? { [key]: list } : {}) as { [P in K]?: T[] };
}
