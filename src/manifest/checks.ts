/**
 * Checks the schema cannot express: within one manifest (no container field beside
 * `containers`, whole-second stop timeouts, memory in range, config files under the
 * app's data directory, one mount per container path, dependencies between its
 * containers) and across the catalog (id = file name, unique ids, dependencies on
 * apps that exist, can be waited for and do not form a cycle, no host port bound twice).
 */
import type { ContainerSpec, Manifest, PortSpec } from './types.js';
import type { Finding } from './ajv-problems.js';
import { DNS_LABEL } from '../naming.js';
import { CONTAINER_FIELDS, containersOf, containerUnitName, isMultiContainer, networkName, type ContainerEntry } from './containers.js';
import { suggestion } from './did-you-mean.js';
import { ONION_EXPORT } from './onion.js';
import { checkWeb } from './app-meta.js';
import { checkRuntimeRefusals, isReservedNetworkName, reservedNetworkMessage } from './runtime-refusals.js';
import { parseDuration, parseMemory } from './units.js';
import ipaddr from 'ipaddr.js';

/** The longest podman secret name, in bytes (podman 5.4.2 refuses 254, shown on the test host). */
const PODMAN_SECRET_NAME_BYTES = 253;

/** The podman secrets of the node's generated secrets (src/compile/defaults.ts, PODMAN_SECRET_PREFIX). */
const GENERATED_SECRET_PREFIX = 'archy.';

/** Where app data lives on the node: `/var/lib/archipelago/<id>`. Config files must be written below it. */
export const DATA_ROOT = '/var/lib/archipelago';

/** One file as the cross checks see it: its parsed value (maybe invalid) and, when valid, the manifest. */
export interface CheckInput {
  file: string;
  value: unknown;
  manifest?: Manifest;
}

/** A host address the node itself binds, so that no app may publish on it (the daemon's API and web UI). */
export interface ReservedPort {
  /** An IP address, or `*` for every address. */
  ip: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** Who binds it, for the message: `archy-quadlet serve (the node's API and web UI)`. */
  what: string;
  /** What to do about a clash with it, when more can be said than "pick another host port" (how to move the daemon). */
  hint?: string;
}

/**
 * The daemon's listen address (`serve --listen`, parsed) as a reservation: `::` is every address (Node.js listens on
 * both families there unless told `ipv6Only`), `0.0.0.0` every IPv4 address.
 */
export function daemonReservation(listen: { host: string; port: number }, what = "archy-quadlet serve (the node's API and web UI)"): ReservedPort {
  return { ip: listen.host === '::' ? '*' : listen.host, port: listen.port, protocol: 'tcp', what };
}

/**
 * Whether two host addresses of a port bind the same socket, as podman 5.4.2 binds a published port (shown on the
 * test host: `-p 0.0.0.0:8080` and an unset address both refuse a port `127.0.0.1:8080` holds, "bind: address already
 * in use"; `-p [::]:8081` binds IPv6 only, beside `127.0.0.1:8081`, and refuses `[::1]:8081`). `*` is every address
 * of both families (a reservation), `0.0.0.0` (an unset `hostIp` too) every IPv4 one, `::` every IPv6 one.
 */
export function sameHostAddress(a: string, b: string): boolean {
  if (a === '*' || b === '*') return true;
  const x = ipaddr.isValid(a) ? ipaddr.process(a) : undefined;
  const y = ipaddr.isValid(b) ? ipaddr.process(b) : undefined;
  if (!x || !y) return a === b;
  if (x.kind() !== y.kind()) return false;
  const any = (v: ipaddr.IPv4 | ipaddr.IPv6) => v.range() === 'unspecified';
  return any(x) || any(y) || x.toString() === y.toString();
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
  if (isMultiContainer(m)) {
    if (isReservedNetworkName(m.id)) out.push({ pointer: '/id', message: `an app of several containers has its own network named after it: ${reservedNetworkMessage(m.id)}`, hint: 'give the app another id' });
    for (const field of CONTAINER_FIELDS) {
      if (m[field] !== undefined) out.push({ pointer: `/${field}`, target: 'key', message: `"${field}" is a container's field, and this app lists its containers`, hint: `move it under containers.<name>` });
    }
    for (const name of Object.keys(m.containers)) {
      const unit = containerUnitName(m.id, name);
      if (!DNS_LABEL.test(unit)) out.push({ pointer: `/containers/${name}`, target: 'key', message: `the unit name ${unit} is longer than a DNS label (63 characters)`, hint: 'shorten the container name or the app id' });
    }
  }
  const appDir = `${DATA_ROOT}/${m.id}/`;
  for (const c of containersOf(m)) {
    checkContainer(c, out);
    (c.spec.configs ?? []).forEach((config, i) => {
      const pointer = `${c.base}/configs/${i}`;
      if (!config.path.startsWith(appDir)) {
        out.push({ pointer: `${pointer}/path`, message: `must be under ${appDir}`, hint: 'the node writes config files only inside the app\'s data directory' });
      }
      if (m.instances && /%[iI]/.test(config.path)) {
        out.push({ pointer: `${pointer}/path`, message: "a template app's instances share its config files: the node writes this one once, at a path with a literal %i, which no instance mounts", hint: 'use one path for every instance; what differs per instance goes in command or environment as %i' });
      }
      if (options.templates && !options.templates.includes(config.template)) {
        out.push({ pointer: `${pointer}/template`, message: `unknown template ${JSON.stringify(config.template)}${suggestion(config.template, options.templates)}`, hint: `templates: ${options.templates.join(', ') || 'none'}` });
      }
    });
  }
  checkContainerDependencies(m, out);
  checkOnionFields(m, appDir, out);
  out.push(...checkWeb(m));
  return out;
}

/** `onionServiceDir` where the node can read what tor writes; `onion.address` is no export an app declares. */
function checkOnionFields(m: Manifest, appDir: string, out: Finding[]): void {
  if (m.exports?.[ONION_EXPORT] !== undefined) {
    out.push({ pointer: `/exports/${ONION_EXPORT}`, target: 'key', message: `${ONION_EXPORT} is the app's onion address, which the node reads from its Tor app`, hint: 'remove it; publish a port over Tor with onion: <virtual port> instead' });
  }
  const dir = m.onionServiceDir;
  if (dir === undefined) return;
  if (!dir.startsWith(appDir)) out.push({ pointer: '/onionServiceDir', message: `must be under ${appDir}`, hint: "the app's data stays inside its data directory" });
  const binds = containersOf(m).flatMap((c) => c.spec.binds ?? []);
  if (!binds.some((b) => dir === b.source || dir.startsWith(`${b.source}/`))) {
    out.push({ pointer: '/onionServiceDir', message: 'is inside none of this app\'s binds: the node could not read the onion addresses tor writes', hint: binds.length > 0 ? `binds: ${binds.map((b) => b.source).join(', ')}` : 'bind a host directory that contains it into the Tor container' });
  }
}

/** The checks of one container: stop timeout, memory, mounts, health command, host networking. */
function checkContainer({ spec, base }: ContainerEntry, out: Finding[]): void {
  if (spec.stop?.timeout !== undefined && parseDuration(spec.stop.timeout) % 1000 !== 0) {
    out.push({ pointer: `${base}/stop/timeout`, message: 'must be a whole number of seconds', hint: 'podman StopTimeout= counts seconds, e.g. 600s or 10m' });
  }
  for (const key of ['memory', 'shmSize'] as const) {
    const text = spec[key];
    if (text === undefined) continue;
    try {
      parseMemory(text);
    } catch (err) {
      out.push({ pointer: `${base}/${key}`, message: (err as Error).message });
    }
  }
  checkMounts(spec, base, out);
  (spec.ports ?? []).forEach((p, i) => {
    if (p.onion === undefined) return;
    if (p.hostIp !== undefined && p.hostIp !== '127.0.0.1') out.push({ pointer: `${base}/ports/${i}/onion`, message: `the Tor app reaches an onion service's port on 127.0.0.1, and this one is bound to ${p.hostIp}`, hint: 'bind it to 127.0.0.1 (or leave hostIp out)' });
    if (p.protocol === 'udp') out.push({ pointer: `${base}/ports/${i}/onion`, message: 'an onion service carries tcp only', hint: 'remove onion from this port' });
  });
  checkHealthCmd(spec.health?.cmd, `${base}/health/cmd`, out);
  if (spec.hostNetwork) {
    for (const key of ['networks', 'ports'] as const) {
      if (spec[key]?.length) out.push({ pointer: `${base}/${key}`, target: 'key', message: `a container on the host's network has no ${key === 'ports' ? 'ports to publish (it binds host ports itself)' : 'other networks'}`, hint: `remove ${key} or hostNetwork` });
    }
  }
  checkRuntimeRefusals(spec, base, out);
  (spec.secrets ?? []).forEach((secret, i) => {
    const pointer = `${base}/secrets/${i}/name`;
    // podman counts bytes (podman secret create: "be between 1 and 253 characters"); the schema counted characters.
    if (new TextEncoder().encode(secret.name).length > PODMAN_SECRET_NAME_BYTES) out.push({ pointer, message: `is longer than podman's ${PODMAN_SECRET_NAME_BYTES} bytes`, hint: 'shorten the name' });
    if (secret.name.startsWith(GENERATED_SECRET_PREFIX)) out.push({ pointer, message: `names starting with "${GENERATED_SECRET_PREFIX}" are the node's generated secrets`, hint: `take one as an environment value: { secret: ${secret.name.slice(GENERATED_SECRET_PREFIX.length) || 'NAME'} }` });
  });
  if (spec.oneshot && spec.health?.gateStart !== false && spec.health !== undefined) {
    out.push({ pointer: `${base}/health`, target: 'key', message: 'a one-shot container runs to completion: a health check cannot gate its start', hint: 'remove health, or set health.gateStart: false' });
  }
}

/** `dependsOn: [{ container }]`: a sibling that exists, can be waited for as asked, and no cycle. */
function checkContainerDependencies(m: Manifest, out: Finding[]): void {
  const byName = new Map(containersOf(m).flatMap((c) => (c.name === undefined ? [] : [[c.name, c.spec] as const])));
  for (const c of containersOf(m)) {
    (c.spec.dependsOn ?? []).forEach((dep, i) => {
      if (dep.container === undefined || dep.app !== undefined) return;
      const at = `${c.base}/dependsOn/${i}`;
      if (c.name === undefined) {
        out.push({ pointer: `${at}/container`, message: 'a one-container app has no other container to wait for', hint: 'list the containers under containers, or depend on an app' });
        return;
      }
      const other = byName.get(dep.container);
      if (dep.container === c.name) {
        out.push({ pointer: `${at}/container`, message: 'a container cannot depend on itself' });
      } else if (!other) {
        out.push({ pointer: `${at}/container`, message: `unknown container ${JSON.stringify(dep.container)}${suggestion(dep.container, byName.keys())}`, hint: `containers of ${m.id}: ${[...byName.keys()].join(', ')}` });
      } else {
        const why = conditionProblem(dep.condition, other);
        if (why) out.push({ pointer: `${at}/condition`, message: `cannot wait for ${JSON.stringify(dep.container)} to be ${dep.condition}: ${why}`, hint: `${dep.condition === 'completed' ? 'make it oneshot' : 'give it a health check'} or use condition: started` });
      }
    });
  }
  reportCycles(
    [...byName.keys()],
    (name) => (byName.get(name)?.dependsOn ?? []).flatMap((d, i) => (d.container !== undefined && d.app === undefined ? [{ to: d.container, pointer: `/containers/${name}/dependsOn/${i}/container` }] : [])),
    (pointer, message) => out.push({ pointer, message, hint: 'systemd cannot order a cycle; remove one of these dependencies' }),
  );
}

/** Why `target` cannot be waited for with `condition`, or undefined when it can. */
function conditionProblem(condition: 'started' | 'healthy' | 'completed' | undefined, target: ContainerSpec): string | undefined {
  if (condition === 'healthy' && !gatesOnHealth(target)) return target.health ? 'its health.gateStart is false' : 'it has no health check';
  if (condition === 'completed' && !target.oneshot) return 'it is no one-shot container (oneshot: true)';
  return undefined;
}

/** Whether a container carries `Notify=healthy`: a health check whose `gateStart` is not false. */
export function gatesOnHealth(c: ContainerSpec): boolean {
  return c.health !== undefined && c.health.gateStart !== false && !c.oneshot;
}

/**
 * A health command's first word that podman reads as Docker's keyword, in any case (podman's makeHealthCheckFromCli):
 * `CMD` makes it split the JSON text on blanks (the check can never pass: shown on the test host), `CMD-SHELL` runs
 * a shell, `NONE` disables the check.
 */
function checkHealthCmd(cmd: string[] | undefined, pointer: string, out: Finding[]): void {
  const first = cmd?.[0];
  if (first === undefined) return;
  const keyword = first.toUpperCase();
  if (keyword === 'CMD') {
    out.push({ pointer: `${pointer}/0`, message: `must not be ${JSON.stringify(first)}: the list is the command itself`, hint: `drop "${first}" and write [${cmd!.slice(1).map((w) => JSON.stringify(w)).join(', ')}]` });
  } else if (keyword === 'CMD-SHELL' || keyword === 'NONE') {
    out.push({ pointer: `${pointer}/0`, message: `must not be ${JSON.stringify(first)}: podman reads it as a keyword (${keyword === 'NONE' ? 'no health check' : 'run a shell'}), and the list is the command itself`, hint: keyword === 'NONE' ? 'remove health to have no check' : `run the shell yourself: [sh, -c, ${JSON.stringify(cmd!.slice(1).join(' '))}]` });
  }
}

/** Two mounts at one container path make podman refuse the container ("duplicate mount destination"). */
function checkMounts(c: ContainerSpec, base: string, out: Finding[]): void {
  const targets: Array<[string, string]> = [
    ...(c.volumes ?? []).map((v, i): [string, string] => [`${base}/volumes/${i}/target`, v.target]),
    ...(c.binds ?? []).map((b, i): [string, string] => [`${base}/binds/${i}/target`, b.target]),
    ...(c.configs ?? []).map((f, i): [string, string] => [`${base}/configs/${i}/target`, f.target]),
    ...(c.secrets ?? []).flatMap((s, i): Array<[string, string]> => (s.target ? [[`${base}/secrets/${i}/target`, s.target]] : [])),
    ...(c.tmpfs ?? []).map((t, i): [string, string] => [`${base}/tmpfs/${i}`, typeof t === 'string' ? t : t.target]),
  ];
  const seen = new Map<string, string>();
  for (const [pointer, target] of targets) {
    const first = seen.get(target);
    if (first !== undefined) out.push({ pointer, message: `container path ${JSON.stringify(target)} is already mounted by ${first}`, hint: 'mount each container path once' });
    else seen.set(target, pointer);
  }
  const volumes = new Map<string, number>();
  (c.volumes ?? []).forEach((v, i) => {
    const first = volumes.get(v.name);
    if (first !== undefined) out.push({ pointer: `${base}/volumes/${i}/name`, message: `duplicate volume name ${JSON.stringify(v.name)} (also ${base}/volumes/${first})` });
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
export function checkCatalog(inputs: readonly CheckInput[], reserved: readonly ReservedPort[] = []): FileFinding[] {
  const out: FileFinding[] = [];
  const idFiles = new Map<string, string>();
  for (const { file, value } of inputs) {
    const id = idOf(value);
    // An id that is no DNS label is already reported by the schema; comparing it with file names adds only noise.
    if (id === undefined || !DNS_LABEL.test(id)) continue;
    const stem = fileStem(file);
    if (id !== stem) {
      out.push({ file, pointer: '/id', message: `id ${JSON.stringify(id)} does not match the file name ${JSON.stringify(file.slice(file.lastIndexOf('/') + 1))}`, hint: `the file of app "${id}" must be named ${id}.yaml${DNS_LABEL.test(stem) ? `; or set id: ${stem}` : ''}` });
    }
    const first = idFiles.get(id);
    if (first !== undefined) out.push({ file, pointer: '/id', message: `duplicate id ${JSON.stringify(id)}: also used by ${first}`, hint: 'each app id may be used once' });
    else idFiles.set(id, file);
  }
  const valid = inputs.filter((i): i is CheckInput & { manifest: Manifest } => i.manifest !== undefined);
  checkUnitNames(valid, idFiles, out);
  checkDependencies(valid, idFiles, out);
  checkHostPorts(valid, out, reserved);
  checkConfigPaths(valid, out);
  checkOnionProvider(valid, out);
  return out;
}

/** One Tor per node: two apps with `onionServiceDir` would each publish every app's onion service. */
function checkOnionProvider(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, out: FileFinding[]): void {
  const providers = valid.filter((v) => v.manifest.onionServiceDir !== undefined);
  for (const { file } of providers.slice(1)) {
    out.push({ file, pointer: '/onionServiceDir', message: `${providers[0]!.file} already publishes the node's onion services (onionServiceDir)`, hint: 'one app of the catalog publishes them; remove onionServiceDir from one' });
  }
}

/**
 * An app of several containers makes `<id>.network` and `<id>-<name>.container`: neither may be another app's unit
 * (app `a-b` is `a-b.service`, as is container `b` of app `a`) or a shared network's (`networks: [a]` is `a.network`).
 */
function checkUnitNames(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, idFiles: Map<string, string>, out: FileFinding[]): void {
  const shared = new Map<string, string>();
  for (const { file, manifest } of valid) for (const c of containersOf(manifest)) for (const n of (c.spec.networks ?? []).map(networkName)) if (!shared.has(n)) shared.set(n, file);
  for (const { file, manifest } of valid) {
    if (!isMultiContainer(manifest)) continue;
    const sharedBy = shared.get(manifest.id);
    if (sharedBy !== undefined) {
      out.push({ file, pointer: '/id', message: `the app's own network ${manifest.id}.network is also a shared network of ${sharedBy} (networks: [${manifest.id}])`, hint: 'rename the shared network or the app' });
    }
    for (const name of Object.keys(manifest.containers)) {
      const stem = containerUnitName(manifest.id, name);
      const other = idFiles.get(stem);
      if (other !== undefined) out.push({ file, pointer: `/containers/${name}`, target: 'key', message: `container ${name} makes ${stem}.service, which is app "${stem}" (${other})`, hint: 'rename the container or that app' });
    }
  }
  checkInstanceContainerNames(valid, out);
}

/**
 * A template app's instance `i` runs the container `<id>-<i>`, which no other container of the catalog may be named
 * (app `idx` instance `db` and app `idx-db` would each start with `podman run --replace --name idx-db`, removing the
 * other's container, for ever). The unit names differ (`idx@db.service`, `idx-db.service`), so only the container
 * names clash. Reported at the instance.
 */
function checkInstanceContainerNames(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, out: FileFinding[]): void {
  const owners = new Map<string, string>();
  for (const { file, manifest } of valid) {
    if (manifest.instances) continue;
    for (const c of containersOf(manifest)) owners.set(c.name === undefined ? manifest.id : containerUnitName(manifest.id, c.name), c.name === undefined ? `app "${manifest.id}" (${file})` : `container ${c.name} of app "${manifest.id}" (${file})`);
  }
  for (const { file, manifest } of valid) {
    manifest.instances?.forEach((instance, i) => {
      const name = `${manifest.id}-${instance}`;
      const other = owners.get(name);
      if (other !== undefined) out.push({ file, pointer: `/instances/${i}`, message: `instance ${instance} runs the container ${name}, which is also the container of ${other}: each start would remove the other's`, hint: 'rename the instance or that app' });
      else owners.set(name, `instance ${instance} of app "${manifest.id}" (${file})`);
    });
  }
}

/**
 * Every dependency of an app's containers on another app, with its pointer: `dependsOn: [{ app[, container] }]`,
 * and each `environment` value `{ app, export }` (the app it takes a value from is started first; `export` names it).
 */
function appDependencies(m: Manifest): Array<{ app: string; container: string | undefined; condition: 'started' | 'healthy' | 'completed' | undefined; at: string; export?: string }> {
  return containersOf(m).flatMap((c) => [
    ...(c.spec.dependsOn ?? []).flatMap((d, i) => (d.app !== undefined ? [{ app: d.app, container: d.container, condition: d.condition, at: `${c.base}/dependsOn/${i}` }] : [])),
    ...Object.entries(c.spec.environment ?? {}).flatMap(([key, v]) =>
      typeof v === 'object' && 'app' in v ? [{ app: v.app, container: undefined, condition: undefined, at: `${c.base}/environment/${pointerToken(key)}`, export: v.export }] : [],
    ),
  ]);
}

/** `~` → `~0`, `/` → `~1` (RFC 6901). */
function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function checkDependencies(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, idFiles: Map<string, string>, out: FileFinding[]): void {
  const byId = new Map(valid.map((v) => [v.manifest.id, v.manifest]));
  for (const { file, manifest } of valid) {
    for (const dep of appDependencies(manifest)) {
      const at = dep.at;
      if (dep.app === manifest.id && dep.export === undefined) {
        out.push({ file, pointer: `${at}/app`, message: 'an app cannot depend on itself', ...(isMultiContainer(manifest) ? { hint: 'depend on one of its containers: {container: NAME}' } : {}) });
        continue;
      }
      if (!idFiles.has(dep.app)) {
        const owner = valid.flatMap((v) => containersOf(v.manifest).flatMap((c) => (c.name !== undefined && containerUnitName(v.manifest.id, c.name) === dep.app ? [{ app: v.manifest.id, container: c.name }] : [])))[0];
        if (owner) out.push({ file, pointer: `${at}/app`, message: `unknown app ${JSON.stringify(dep.app)}: it is container "${owner.container}" of app "${owner.app}"`, hint: `depend on the app (app: ${owner.app}) or on that container (app: ${owner.app}, container: ${owner.container})` });
        else out.push({ file, pointer: `${at}/app`, message: `unknown app ${JSON.stringify(dep.app)}${suggestion(dep.app, idFiles.keys())}`, hint: `known apps: ${[...idFiles.keys()].sort().join(', ')}` });
        continue;
      }
      const target = dep.app === manifest.id ? manifest : byId.get(dep.app);
      if (!target) continue; // That app's own file is invalid and reported there.
      if ((target.state ?? 'running') === 'absent' && (manifest.state ?? 'running') !== 'absent') {
        out.push({ file, pointer: `${at}/app`, message: `depends on ${JSON.stringify(dep.app)}, which is absent (not installed)`, hint: `install ${dep.app} (state: running) or make this app absent too` });
      }
      if (dep.export === ONION_EXPORT) {
        out.push({ file, pointer: `${at}/export`, message: `the onion address is known only once tor has run, so it cannot be an environment value`, hint: `take it in a config template: {{export "${dep.app}" "${ONION_EXPORT}"}}` });
        continue;
      }
      if (dep.export !== undefined) {
        const exports = Object.keys(target.exports ?? {});
        if (!exports.includes(dep.export)) {
          out.push({ file, pointer: `${at}/export`, message: `${JSON.stringify(dep.app)} exports no ${JSON.stringify(dep.export)}${suggestion(dep.export, exports)}`, hint: exports.length > 0 ? `its exports: ${exports.join(', ')}` : `add exports: { ${dep.export}: … } to ${idFiles.get(dep.app)}` });
        }
        continue;
      }
      // A template app's containers are its instances.
      const entries = target.instances && !isMultiContainer(target) ? target.instances.map((name) => ({ name, spec: target as ContainerSpec, base: '' })) : containersOf(target);
      const targets = entries.filter((c) => dep.container === undefined || c.name === dep.container);
      if (targets.length === 0) {
        const names = entries.flatMap((c) => (c.name === undefined ? [] : [c.name]));
        out.push({ file, pointer: `${at}/container`, message: `${JSON.stringify(dep.app)} has no container ${JSON.stringify(dep.container)}${suggestion(dep.container!, names)}`, hint: names.length > 0 ? `its containers: ${names.join(', ')}` : `${dep.app} is a one-container app: depend on the app` });
      } else if (dep.condition === 'healthy' && !targets.some((c) => gatesOnHealth(c.spec))) {
        const why = targets.some((c) => c.spec.health) ? 'its health.gateStart is false' : 'it has no health check';
        out.push({ file, pointer: `${at}/condition`, message: `cannot wait for ${JSON.stringify(dep.container === undefined ? dep.app : `${dep.app}/${dep.container}`)} to be healthy: ${why}`, hint: `add a health check to ${idFiles.get(dep.app)} or use condition: started` });
      } else if (dep.condition === 'completed') {
        out.push({ file, pointer: `${at}/condition`, message: 'an app is never completed: only a one-shot container of the same app is', hint: 'use condition: started or healthy' });
      }
    }
  }
  reportCycles(
    valid.map((v) => v.manifest.id),
    (id) => (byId.has(id) ? appDependencies(byId.get(id)!).filter((d) => d.app !== id && byId.has(d.app)).map((d) => ({ to: d.app, pointer: `${d.at}/app` })) : []),
    (pointer, message, from) => out.push({ file: valid.find((v) => v.manifest.id === from)!.file, pointer, message, hint: 'systemd cannot order a cycle; remove one of these dependencies' }),
  );
}

/**
 * Every cycle of the graph `nodes` → `edges(node)` is reported once, at the edge that closes it from the first node
 * (in `nodes` order) that reaches it: `report(pointer of that edge, "dependency cycle: a → b → a", its node)`.
 */
function reportCycles(nodes: readonly string[], edges: (node: string) => Array<{ to: string; pointer: string }>, report: (pointer: string, message: string, from: string) => void): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    const seen = new Set<string>(); // several references to one app are one edge
    for (const edge of edges(node)) {
      if (edge.to === node || seen.has(edge.to)) continue;
      seen.add(edge.to);
      const s = state.get(edge.to);
      if (s === 'visiting') report(edge.pointer, `dependency cycle: ${[...stack.slice(stack.indexOf(edge.to)), edge.to].join(' → ')}`, node);
      else if (s === undefined && nodes.includes(edge.to)) visit(edge.to);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of nodes) if (!state.has(node)) visit(node);
}

function checkHostPorts(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, out: FileFinding[], reserved: readonly ReservedPort[]): void {
  const bound: Array<{ ip: string; port: number; protocol: string; where: string; hint?: string }> = reserved.map((r) => ({ ip: r.ip, port: r.port, protocol: r.protocol, where: `${r.what} on ${r.ip === '*' ? '' : r.ip.includes(':') ? `[${r.ip}]:` : `${r.ip}:`}${r.port}`, ...(r.hint ? { hint: r.hint } : {}) }));
  const add = (file: string, pointer: string, ports: readonly PortSpec[] | undefined): void => {
    (ports ?? []).forEach((p, i) => {
      const ip = p.hostIp ?? '0.0.0.0';
      const port = p.host ?? p.container;
      const protocol = p.protocol ?? 'tcp';
      const where = `${file} ${pointer}/${i}`;
      const clash = bound.find((b) => b.port === port && b.protocol === protocol && sameHostAddress(b.ip, ip));
      if (clash) {
        out.push({ file, pointer: `${pointer}/${i}${p.host !== undefined ? '/host' : '/container'}`, message: `host port ${port}/${protocol} is already bound by ${clash.where}`, hint: clash.hint ?? 'pick another host port, or bind the two to different host addresses' });
      } else {
        bound.push({ ip, port, protocol, where });
      }
    });
  };
  for (const { file, manifest } of valid) {
    if ((manifest.state ?? 'running') === 'absent') continue;
    for (const c of containersOf(manifest)) add(file, `${c.base}/ports`, c.spec.ports);
  }
}

function checkConfigPaths(valid: ReadonlyArray<{ file: string; manifest: Manifest }>, out: FileFinding[]): void {
  const written = new Map<string, string>();
  for (const { file, manifest } of valid) {
    const all = containersOf(manifest).flatMap(({ spec, base }) => (spec.configs ?? []).map((c, i) => [`${base}/configs/${i}/path`, c.path] as const));
    for (const [pointer, path] of all) {
      const first = written.get(path);
      if (first !== undefined) out.push({ file, pointer, message: `config file ${path} is already written by ${first}`, hint: 'each config file has one source; mount the same file from both places instead' });
      else written.set(path, `${file} ${pointer}`);
    }
  }
}
