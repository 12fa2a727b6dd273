/**
 * Checks the schema cannot express: within one manifest (whole-second stop
 * timeouts, memory in range, config files under the app's data directory,
 * one mount per container path) and across the catalog (id = file name, unique
 * ids and unit names, dependencies that exist, can be waited for and do not
 * form a cycle, no host port bound twice).
 */
import type { Manifest, PortSpec } from './types.js';
import type { Finding } from './ajv-problems.js';
import { DNS_LABEL } from '../naming.js';
import { suggestion } from './did-you-mean.js';
import { parseDuration, parseMemory } from './units.js';

/** Where app data lives on the node: `/var/lib/archipelago/<id>`. Config files must be written below it. */
export const DATA_ROOT = '/var/lib/archipelago';

/** The companion's unit name stem: `ui.id: bitcoin-ui` → `archy-bitcoin-ui.container`. */
export function companionUnitName(uiId: string): string {
  return `archy-${uiId}`;
}

/** One file as the cross checks see it: its parsed value (maybe invalid) and, when valid, the manifest. */
export interface CheckInput {
  file: string;
  value: unknown;
  manifest?: Manifest;
}

export interface CheckOptions {
  /** Template file names available under `templates/config/`; when given, each config's template must be one. */
  templates?: readonly string[];
}

/** The file's base name without `.yaml`/`.yml`: `manifests/lnd.yaml` → `lnd`. */
export function fileStem(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1);
  return base.replace(/\.ya?ml$/, '');
}

function idOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const id = (value as Record<string, unknown>).id;
  return typeof id === 'string' ? id : undefined;
}

/** Checks inside one valid manifest. */
export function checkManifest(m: Manifest, options: CheckOptions): Finding[] {
  const out: Finding[] = [];
  if (m.stop?.timeout !== undefined && parseDuration(m.stop.timeout) % 1000 !== 0) {
    out.push({ pointer: '/stop/timeout', message: 'must be a whole number of seconds', hint: 'podman StopTimeout= counts seconds, e.g. 600s or 10m' });
  }
  if (m.memory !== undefined) {
    try {
      parseMemory(m.memory);
    } catch (err) {
      out.push({ pointer: '/memory', message: (err as Error).message });
    }
  }
  checkMounts(m, out);
  checkHealthCmd(m.health?.cmd, '/health/cmd', out);
  checkHealthCmd(m.ui?.health?.cmd, '/ui/health/cmd', out);
  const appDir = `${DATA_ROOT}/${m.id}/`;
  const uiDir = m.ui ? `${DATA_ROOT}/${m.ui.id}/` : undefined;
  const configs = [
    ...(m.configs ?? []).map((c, i) => ({ c, pointer: `/configs/${i}`, dirs: [appDir] })),
    ...(m.ui?.configs ?? []).map((c, i) => ({ c, pointer: `/ui/configs/${i}`, dirs: [appDir, uiDir!] })),
  ];
  for (const { c, pointer, dirs } of configs) {
    if (!dirs.some((d) => c.path.startsWith(d))) {
      out.push({ pointer: `${pointer}/path`, message: `must be under ${dirs.join(' or ')}`, hint: 'the node writes config files only inside the app\'s data directory' });
    }
    if (options.templates && !options.templates.includes(c.template)) {
      out.push({ pointer: `${pointer}/template`, message: `unknown template ${JSON.stringify(c.template)}${suggestion(c.template, options.templates)}`, hint: `templates: ${options.templates.join(', ') || 'none'}` });
    }
  }
  return out;
}

/**
 * Podman 5.4.2 keeps a `HealthCmd=` list that starts with Docker's `CMD` keyword as one word, so the check can
 * never pass and a `Notify=healthy` unit stays `activating` until its start timeout (shown on the test host).
 */
function checkHealthCmd(cmd: string[] | undefined, pointer: string, out: Finding[]): void {
  if (cmd?.[0] === 'CMD') {
    out.push({ pointer: `${pointer}/0`, message: 'must not be "CMD": the list is the command itself', hint: `drop "CMD" and write [${cmd.slice(1).map((w) => JSON.stringify(w)).join(', ')}]` });
  }
}

/** Two mounts at one container path make podman refuse the container ("duplicate mount destination"). */
function checkMounts(m: Manifest, out: Finding[]): void {
  const containers: Array<{ prefix: string; targets: Array<[string, string]> }> = [
    {
      prefix: '',
      targets: [
        ...(m.volumes ?? []).map((v, i): [string, string] => [`/volumes/${i}/target`, v.target]),
        ...(m.binds ?? []).map((b, i): [string, string] => [`/binds/${i}/target`, b.target]),
        ...(m.configs ?? []).map((c, i): [string, string] => [`/configs/${i}/target`, c.target]),
        ...(m.secrets ?? []).flatMap((s, i): Array<[string, string]> => (s.target ? [[`/secrets/${i}/target`, s.target]] : [])),
      ],
    },
    {
      prefix: '/ui',
      targets: [
        ...(m.ui?.binds ?? []).map((b, i): [string, string] => [`/ui/binds/${i}/target`, b.target]),
        ...(m.ui?.configs ?? []).map((c, i): [string, string] => [`/ui/configs/${i}/target`, c.target]),
      ],
    },
  ];
  for (const { targets } of containers) {
    const seen = new Map<string, string>();
    for (const [pointer, target] of targets) {
      const first = seen.get(target);
      if (first !== undefined) out.push({ pointer, message: `container path ${JSON.stringify(target)} is already mounted by ${first}`, hint: 'mount each container path once' });
      else seen.set(target, pointer);
    }
  }
  const volumes = new Map<string, number>();
  (m.volumes ?? []).forEach((v, i) => {
    const first = volumes.get(v.name);
    if (first !== undefined) out.push({ pointer: `/volumes/${i}/name`, message: `duplicate volume name ${JSON.stringify(v.name)} (also /volumes/${first})` });
    else volumes.set(v.name, i);
  });
}

/** A finding in a given file. */
export interface FileFinding extends Finding {
  file: string;
}

/**
 * Checks across all files. `inputs` holds every file that parsed, valid or not: ids from invalid files still count
 * as known apps, so that one typo does not cascade into "unknown app" errors elsewhere.
 */
export function checkCatalog(inputs: readonly CheckInput[]): FileFinding[] {
  const out: FileFinding[] = [];
  const idFiles = new Map<string, string>();
  for (const { file, value } of inputs) {
    const id = idOf(value);
    // An id that is no DNS label is already reported by the schema; comparing it with file names adds only noise.
    if (id === undefined || !DNS_LABEL.test(id)) continue;
    const stem = fileStem(file);
    if (id !== stem) {
      out.push({ file, pointer: '/id', message: `id ${JSON.stringify(id)} does not match the file name ${JSON.stringify(file.slice(file.lastIndexOf('/') + 1))}`, hint: `the file of app "${id}" must be named ${id}.yaml; or set id: ${stem}` });
    }
    const first = idFiles.get(id);
    if (first !== undefined) out.push({ file, pointer: '/id', message: `duplicate id ${JSON.stringify(id)}: also used by ${first}`, hint: 'each app id may be used once' });
    else idFiles.set(id, file);
  }
  const valid = inputs.filter((i): i is CheckInput & { manifest: Manifest } => i.manifest !== undefined);
  checkCompanionNames(valid, idFiles, out);
  checkDependencies(valid, idFiles, out);
  checkHostPorts(valid, out);
  checkConfigPaths(valid, out);
  return out;
}

function checkCompanionNames(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, idFiles: Map<string, string>, out: FileFinding[]): void {
  const companions = new Map<string, string>();
  for (const { file, manifest } of valid) {
    const ui = manifest.ui;
    if (!ui) continue;
    const unit = companionUnitName(ui.id);
    const clash = idFiles.get(ui.id) ?? companions.get(ui.id);
    if (clash !== undefined) {
      out.push({ file, pointer: '/ui/id', message: `companion id ${JSON.stringify(ui.id)} is already used by ${clash}`, hint: 'app and companion ids share one name space; pick another' });
    } else if (idFiles.has(unit)) {
      out.push({ file, pointer: '/ui/id', message: `companion unit ${unit}.container collides with app ${JSON.stringify(unit)} (${idFiles.get(unit)})`, hint: 'pick another companion id' });
    } else if (ui.id === manifest.id) {
      out.push({ file, pointer: '/ui/id', message: 'companion id must differ from the app id', hint: `e.g. ${manifest.id}-ui` });
    }
    companions.set(ui.id, file);
  }
}

function checkDependencies(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, idFiles: Map<string, string>, out: FileFinding[]): void {
  const byId = new Map(valid.map((v) => [v.manifest.id, v.manifest]));
  const companionOf = new Map(valid.flatMap((v) => (v.manifest.ui ? [[v.manifest.ui.id, v.manifest.id] as const] : [])));
  for (const { file, manifest } of valid) {
    (manifest.dependsOn ?? []).forEach((dep, i) => {
      const at = `/dependsOn/${i}`;
      if (dep.app === manifest.id) {
        out.push({ file, pointer: `${at}/app`, message: 'an app cannot depend on itself' });
        return;
      }
      if (!idFiles.has(dep.app)) {
        const owner = companionOf.get(dep.app);
        const hint = owner !== undefined ? `"${dep.app}" is the companion of "${owner}"; depend on "${owner}"` : `known apps: ${[...idFiles.keys()].sort().join(', ')}`;
        const near = owner !== undefined ? '' : suggestion(dep.app, idFiles.keys());
        out.push({ file, pointer: `${at}/app`, message: `unknown app ${JSON.stringify(dep.app)}${near}`, hint });
        return;
      }
      const target = byId.get(dep.app);
      if (!target) return; // That app's own file is invalid and reported there.
      if ((target.state ?? 'running') === 'absent' && (manifest.state ?? 'running') !== 'absent') {
        out.push({ file, pointer: `${at}/app`, message: `depends on ${JSON.stringify(dep.app)}, which is absent (not installed)`, hint: `install ${dep.app} (state: running) or make this app absent too` });
      }
      if (dep.condition === 'healthy' && (!target.health || target.health.gateStart === false)) {
        const why = target.health ? 'its health.gateStart is false' : 'it has no health check';
        out.push({ file, pointer: `${at}/condition`, message: `cannot wait for ${JSON.stringify(dep.app)} to be healthy: ${why}`, hint: `add a health check to ${idFiles.get(dep.app)} or use condition: started` });
      }
    });
  }
  reportCycles(valid, byId, out);
}

/** Every dependency cycle is reported once, at the dependency that closes it in the first file (in input order). */
function reportCycles(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, byId: Map<string, Manifest>, out: FileFinding[]): void {
  const fileOf = new Map(valid.map((v) => [v.manifest.id, v.file]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    (byId.get(id)?.dependsOn ?? []).forEach((dep, i) => {
      if (dep.app === id || !byId.has(dep.app)) return;
      const s = state.get(dep.app);
      if (s === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep.app)), dep.app];
        out.push({ file: fileOf.get(id)!, pointer: `/dependsOn/${i}/app`, message: `dependency cycle: ${cycle.join(' → ')}`, hint: 'systemd cannot order a cycle; remove one of these dependencies' });
      } else if (s === undefined) {
        visit(dep.app);
      }
    });
    stack.pop();
    state.set(id, 'done');
  };
  for (const { manifest } of valid) if (!state.has(manifest.id)) visit(manifest.id);
}

function checkHostPorts(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, out: FileFinding[]): void {
  const bound: Array<{ ip: string; port: number; protocol: string; where: string }> = [];
  const add = (file: string, pointer: string, ports: readonly PortSpec[] | undefined): void => {
    (ports ?? []).forEach((p, i) => {
      const ip = p.hostIp ?? '*';
      const port = p.host ?? p.container;
      const protocol = p.protocol ?? 'tcp';
      const where = `${file} ${pointer}/${i}`;
      const clash = bound.find((b) => b.port === port && b.protocol === protocol && (b.ip === ip || b.ip === '*' || ip === '*'));
      if (clash) {
        out.push({ file, pointer: `${pointer}/${i}${p.host !== undefined ? '/host' : '/container'}`, message: `host port ${port}/${protocol} is already bound by ${clash.where}`, hint: 'pick another host port, or bind the two to different host addresses' });
      } else {
        bound.push({ ip, port, protocol, where });
      }
    });
  };
  for (const { file, manifest } of valid) {
    if ((manifest.state ?? 'running') === 'absent') continue;
    add(file, '/ports', manifest.ports);
    add(file, '/ui/ports', manifest.ui?.ports);
  }
}

function checkConfigPaths(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, out: FileFinding[]): void {
  const written = new Map<string, string>();
  for (const { file, manifest } of valid) {
    const all = [...(manifest.configs ?? []).map((c, i) => [`/configs/${i}/path`, c.path] as const), ...(manifest.ui?.configs ?? []).map((c, i) => [`/ui/configs/${i}/path`, c.path] as const)];
    for (const [pointer, path] of all) {
      const first = written.get(path);
      if (first !== undefined) out.push({ file, pointer, message: `config file ${path} is already written by ${first}`, hint: 'each config file has one source; mount the same file from both places instead' });
      else written.set(path, `${file} ${pointer}`);
    }
  }
}
