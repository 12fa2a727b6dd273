/**
 * The `[Container]` group of an existing `.container` unit → a manifest container (podman-systemd.unit(5)). Each key
 * is read as podman 5.4.2's generator reads it (the last line of a single-valued key; every line of a list key, an
 * empty one clearing those before it; words split as unit-words.ts says) and goes to its manifest field. A value a
 * field cannot hold as literal text (a systemd specifier, a `$` variable, a form the field has no words for) goes to
 * the `quadlet:` escape hatch as written, which Quadlet reads exactly as before; a key neither can carry is dropped,
 * with the reason. Pure.
 */
import type { BuildSpec, ContainerSpec, PortSpec, RawSections } from '../manifest/types.js';
import { keySupport, formatVersion, type Version } from '../compile/podman-keys.js';
import { byteSize, duration, qualifyImage, resolvePath, signal } from './compose-values.js';
import type { Findings } from './findings.js';
import { allValues, lastValue, unitBoolean, unquoted, type UnitEntry, type UnitGroup } from './unit-file.js';
import { CAPABILITIES, fits, literalText, ULIMIT_NAMES } from './unit-values.js';
import { joinUnitWords, splitUnitWords } from '../render/unit-words.js';

/** What a `.container` refers to in its directory, resolved by the caller. */
export interface UnitRefs {
  /** `x.volume` → the podman volume it makes (its `VolumeName=`, or `systemd-x`). */
  volume(file: string): string | undefined;
  /** `x.network` → the podman network it makes (its `NetworkName=`, or `systemd-x`). */
  network(file: string): string | undefined;
  /** `x.image` → its image; `x.build` → the build. */
  image(file: string): { image: string } | { build: BuildSpec } | undefined;
}

export interface ContainerGroupContext {
  findings: Findings;
  pointerOf: (e: UnitEntry) => string;
  appId: string;
  /** Absolute directory of the unit: Quadlet resolves `./` paths against it. */
  unitDir: string;
  target: Version;
  refs: UnitRefs;
  /** In an app of several: the app's network unit (`mempool.network`); its `Network=` line is the app's own. */
  appNetwork?: string;
}

export interface ContainerGroupResult {
  spec: ContainerSpec;
  /** The alias on the app's network (`Network=mempool.network:alias=db`), in an app of several. */
  alias?: string;
  /** `Notify=healthy` with a health command: the start waits for healthy. */
  gated: boolean;
}

/** Appends `value` to the escape hatch's `section.key` (a list once the key repeats). */
export function hatch(spec: ContainerSpec, section: keyof RawSections, key: string, value: string): void {
  const raw = ((spec.quadlet ??= {})[section] ??= {});
  const prev = raw[key];
  raw[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
}

type Handler = (c: Converter, key: string) => void;

/** One container's conversion: the spec being built and the findings of its file. */
class Converter {
  readonly spec: ContainerSpec = {};
  alias: string | undefined;
  constructor(
    readonly ctx: ContainerGroupContext,
    readonly group: UnitGroup,
  ) {}

  at(e: UnitEntry): string {
    return this.ctx.pointerOf(e);
  }

  /** The value as written, into the escape hatch, with a note saying why the field could not take it. */
  keep(e: UnitEntry, why?: string): void {
    hatch(this.spec, 'Container', e.key, e.value);
    this.ctx.findings.note(this.at(e), `kept as written in quadlet: Container: ${e.key}${why ? `: ${why}` : ''}`);
  }

  /** The last entry of a single-valued key (earlier ones noted as overridden), as literal text or kept as written. */
  last(key: string): { e: UnitEntry; text: string } | undefined {
    const { entry, overridden } = lastValue(this.group, key);
    for (const o of overridden) this.ctx.findings.note(this.at(o), `overridden by the ${key}= on line ${entry!.line} (Quadlet takes the last)`);
    if (!entry || unquoted(entry.value) === '') return undefined;
    const lit = literalText(unquoted(entry.value), true);
    if (!lit.ok) {
      this.keep(entry, lit.why);
      return undefined;
    }
    return { e: entry, text: lit.value };
  }

  /** Every effective entry of a list key (those an empty value cleared are noted). */
  all(key: string): UnitEntry[] {
    const { entries, cleared } = allValues(this.group, key);
    for (const c of cleared) this.ctx.findings.note(this.at(c), c.value === '' ? `the empty ${key}= clears the ${key}= lines before it` : `cleared by an empty ${key}= below`);
    return entries;
  }

  /** The words of one entry (`args` or `strv` reading); a value Quadlet cannot split is reported. */
  words(e: UnitEntry, mode: 'args' | 'strv'): string[] | undefined {
    const split = splitUnitWords(e.value, mode);
    if (split.ok) return split.words;
    this.ctx.findings.drop(this.at(e), `${e.key}=${e.value}`, `podman's generator cannot split it (${split.message}) and skips it`);
    return undefined;
  }

  drop(e: UnitEntry, why: string, hint?: string): void {
    this.ctx.findings.drop(this.at(e), `${e.key}=`, why, hint);
  }
}

/** Each word of `Key=a b c` that `take` cannot hold is kept as its own escape-hatch line. */
function eachWord(c: Converter, key: string, mode: 'args' | 'strv', take: (word: string, e: UnitEntry) => string | undefined): void {
  for (const e of c.all(key)) {
    for (const word of c.words(e, mode) ?? []) {
      const why = take(word, e);
      if (why === undefined) continue;
      hatch(c.spec, 'Container', key, joinUnitWords([word]));
      c.ctx.findings.note(c.at(e), `${JSON.stringify(word)} kept as written in quadlet: Container: ${key}: ${why}`);
    }
  }
}

/** Each line of a key Quadlet reads whole (`PublishPort=`, `Volume=`, `Tmpfs=`): `take` returns why it cannot, or undefined. */
function eachLine(c: Converter, key: string, take: (text: string, e: UnitEntry) => string | undefined): void {
  for (const e of c.all(key)) {
    const lit = literalText(e.value, true);
    const why = lit.ok ? take(lit.value, e) : lit.why;
    if (why !== undefined) c.keep(e, why);
  }
}

const PORT = /^(?:(\[[0-9A-Fa-f:]+\]|[0-9.]+):)?([0-9]{1,5}):([0-9]{1,5})(?:\/(tcp|udp))?$/;

function publishPort(text: string): PortSpec | string {
  const m = PORT.exec(text);
  if (!m) return 'a manifest port is [ip:]host:container[/tcp|udp], one port each (ranges and random host ports stay as written)';
  const [, ip, host, container, proto] = m;
  const p: PortSpec = { container: Number(container) };
  if (Number(host) < 1 || Number(host) > 65535 || p.container < 1 || p.container > 65535) return 'a port is 1–65535';
  if (Number(host) !== p.container) p.host = Number(host);
  const addr = ip?.replace(/^\[|\]$/g, '');
  if (addr !== undefined && addr !== '0.0.0.0' && addr !== '') {
    if (!fits('ipAddress', addr)) return `${addr} is no IP address`;
    p.hostIp = addr;
  }
  if (proto === 'udp') p.protocol = 'udp';
  return p;
}

/** `Volume=` source:target[:options] → a bind, a manifest volume, or a named/anonymous podman volume kept as written. */
function volume(c: Converter, text: string, e: UnitEntry): string | undefined {
  const parts = text.split(':');
  if (parts.length === 1) return 'an anonymous volume (no source): kept by Quadlet as written';
  let [source, target, options = ''] = parts as [string, string, string?];
  if (parts.length > 3) return 'more than source:target:options';
  const opts = options === '' ? [] : options.split(',');
  if (source.startsWith('.')) {
    const abs = resolvePath(c.ctx.unitDir, source);
    c.ctx.findings.note(c.at(e), `relative path ${source} resolved against the unit's directory: ${abs}`);
    source = abs;
  }
  if (!fits('absPath', target)) return `the target ${target} is no absolute path a manifest takes`;
  const ro = opts.includes('ro');
  if (source.startsWith('/')) {
    if (!fits('absPath', source)) return `the source ${source} is no absolute path a manifest takes`;
    const relabel = opts.filter((o) => o === 'z' || o === 'Z');
    if (opts.some((o) => !['ro', 'rw', 'z', 'Z'].includes(o)) || relabel.length > 1) return `options ${options}: a bind takes ro and one of z, Z`;
    (c.spec.binds ??= []).push({ source, target, ...(ro ? { readOnly: true } : {}), ...(relabel[0] ? { relabel: relabel[0] as 'z' | 'Z' } : {}) });
    return undefined;
  }
  const podmanName = source.endsWith('.volume') ? c.ctx.refs.volume(source) : source;
  if (podmanName === undefined) return `${source} is no .volume unit in this directory`;
  const prefix = `${c.ctx.appId}-`;
  const name = podmanName.startsWith(prefix) ? podmanName.slice(prefix.length) : undefined;
  if (name !== undefined && fits('dnsLabel', name) && opts.every((o) => o === 'ro' || o === 'rw')) {
    (c.spec.volumes ??= []).push({ name, target, ...(ro ? { readOnly: true } : {}) });
    c.ctx.findings.note(c.at(e), `the podman volume ${podmanName} is the app's volume ${name} (the manifest makes ${prefix}${name}.volume with VolumeName=${podmanName}: the same volume, its data kept)`);
    return undefined;
  }
  hatch(c.spec, 'Container', 'Volume', `${podmanName}:${target}${options ? `:${options}` : ''}`);
  c.ctx.findings.note(c.at(e), `the podman volume ${podmanName} kept by its name in quadlet: Container: Volume, so its data stays (a manifest volume of app ${c.ctx.appId} is named ${prefix}<name>)`);
  return undefined;
}

/** `Network=` → the app's network, `hostNetwork`, a shared network, or kept as written. */
function network(c: Converter, text: string, e: UnitEntry): string | undefined {
  if (text === 'host') {
    c.spec.hostNetwork = true;
    return undefined;
  }
  const [ref, ...rest] = text.split(':');
  const options = rest.join(':');
  if (c.ctx.appNetwork !== undefined && ref === c.ctx.appNetwork) {
    const alias = /^alias=([a-z0-9-]+)$/.exec(options)?.[1];
    if (options !== '' && alias === undefined) return 'on the app\'s network a container takes only alias=NAME';
    c.alias = alias;
    return undefined;
  }
  if (ref!.endsWith('.container')) {
    c.drop(e, `joining ${ref}'s network namespace is no manifest network`, 'put both containers on one network');
    return undefined;
  }
  const podmanName = ref!.endsWith('.network') ? c.ctx.refs.network(ref!) : ref!;
  if (podmanName === undefined) return `${ref} is no .network unit in this directory`;
  if (['none', 'private', 'bridge', 'pasta', 'slirp4netns', 'ns', 'container'].includes(podmanName) || text.includes(':')) {
    if (ref!.endsWith('.network')) {
      c.drop(e, `options on a shared network (${options}) have no manifest field`, 'containers on a shared network reach each other by container name');
      return undefined;
    }
    return `network mode ${text} has no manifest field`;
  }
  if (!fits('dnsLabel', podmanName)) return `the network name ${podmanName} is no DNS label`;
  if ((c.spec.networks ??= []).includes(podmanName)) return undefined;
  c.spec.networks.push(podmanName);
  return undefined;
}

/** `HealthCmd=` as podman reads it: a JSON array (`CMD` stripped, `CMD-SHELL` run by /bin/sh), else a shell command. */
export function healthCommand(text: string): string[] | undefined {
  if (text.startsWith('[')) {
    try {
      const list = JSON.parse(text) as unknown;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string')) return undefined;
      if (list[0] === 'CMD') return list.slice(1);
      if (list[0] === 'CMD-SHELL') return ['/bin/sh', '-c', list.slice(1).join(' ')];
      return list;
    } catch {
      return undefined;
    }
  }
  return text === 'none' ? undefined : ['/bin/sh', '-c', text];
}

const HEALTH_DURATIONS = { HealthInterval: 'interval', HealthTimeout: 'timeout', HealthStartPeriod: 'startPeriod' } as const;

function health(c: Converter): void {
  const cmd = c.last('HealthCmd');
  const notify = lastValue(c.group, 'Notify').entry;
  const notifyHealthy = notify !== undefined && unquoted(notify.value).toLowerCase() === 'healthy';
  if (notify && !notifyHealthy && unitBoolean(notify.value)) c.keep(notify, 'sd_notify from inside the container has no manifest field');
  const list = cmd && healthCommand(cmd.text);
  if (cmd && !list) c.keep(cmd.e, 'no command a manifest health check runs');
  const others = Object.keys(HEALTH_DURATIONS).concat('HealthRetries');
  if (!list) {
    for (const key of others) for (const e of c.all(key)) c.keep(e, 'a health setting without a health command a manifest carries');
    if (notifyHealthy) c.keep(notify, 'waits for a health check the image defines');
    return;
  }
  c.spec.health = { cmd: list };
  for (const [key, field] of Object.entries(HEALTH_DURATIONS)) {
    const v = c.last(key);
    if (!v) continue;
    const d = duration(v.text);
    if (d.ok) c.spec.health[field] = d.value;
    else c.keep(v.e, d.why);
  }
  const retries = c.last('HealthRetries');
  if (retries && /^[0-9]+$/.test(retries.text) && Number(retries.text) >= 1 && Number(retries.text) <= 100) c.spec.health.retries = Number(retries.text);
  else if (retries) c.keep(retries.e, 'retries are 1–100');
  if (!notifyHealthy) c.spec.health.gateStart = false;
}

function user(c: Converter): void {
  const u = c.last('User');
  const g = c.last('Group');
  if (!u) {
    if (g) c.keep(g.e, 'a group without a user');
    return;
  }
  const text = g ? `${u.text}:${g.text}` : u.text;
  if (fits('user', text)) c.spec.user = text;
  else {
    c.keep(u.e, 'not a uid, uid:gid or user name a manifest takes');
    if (g) c.keep(g.e);
  }
}

function image(c: Converter): void {
  const img = c.last('Image');
  if (!img) return;
  if (img.text.endsWith('.image') || img.text.endsWith('.build')) {
    const ref = c.ctx.refs.image(img.text);
    if (!ref) c.ctx.findings.error(c.at(img.e), `${img.text} is no unit in this directory`);
    else if ('image' in ref) c.spec.image = ref.image;
    else c.spec.build = ref.build;
    return;
  }
  const q = qualifyImage(img.text);
  if (!q.ok) {
    c.ctx.findings.error(c.at(img.e), q.why);
    return;
  }
  c.spec.image = q.value;
  for (const n of q.notes ?? []) c.ctx.findings.note(c.at(img.e), n.replace('as compose reads it', 'as docker reads it; podman would ask its registries.conf'));
}

const KEYS: Record<string, Handler> = {
  Image: image,
  Exec: (c) => {
    const { entry, overridden } = lastValue(c.group, 'Exec');
    for (const o of overridden) c.ctx.findings.note(c.at(o), `overridden by the Exec= on line ${entry!.line} (Quadlet takes the last)`);
    if (!entry || entry.value === '') return;
    const split = splitUnitWords(entry.value, 'args');
    if (!split.ok) {
      c.ctx.findings.error(c.at(entry), `podman's generator cannot split Exec=: ${split.message}`);
      return;
    }
    const literal = split.words.map((w) => literalText(w, true));
    const bad = literal.find((l) => !l.ok);
    if (bad && !bad.ok) c.keep(entry, bad.why);
    else if (split.words.length > 0) c.spec.command = literal.map((l) => (l as { value: string }).value);
  },
  Entrypoint: (c) => {
    const v = c.last('Entrypoint');
    if (!v) return;
    if (v.text.startsWith('[')) {
      try {
        const list = JSON.parse(v.text) as unknown;
        if (Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === 'string' && x !== '')) c.spec.entrypoint = list;
        else c.keep(v.e, 'an empty or odd entrypoint list');
      } catch {
        c.spec.entrypoint = [v.text];
      }
    } else c.spec.entrypoint = [v.text];
  },
  WorkingDir: (c) => {
    const v = c.last('WorkingDir');
    if (v && fits('absPath', v.text)) c.spec.workingDir = v.text;
    else if (v) c.keep(v.e, 'no absolute path a manifest takes');
  },
  User: user,
  Group: () => undefined,
  Environment: (c) =>
    eachWord(c, 'Environment', 'args', (word) => {
      const eq = word.indexOf('=');
      if (eq <= 0) return 'a name without a value takes the host\'s';
      const [name, value] = [word.slice(0, eq), word.slice(eq + 1)];
      if (!fits('envName', name)) return `${name} is no environment name a manifest takes`;
      const lit = literalText(value, true);
      if (!lit.ok) return lit.why;
      if (/[\u0000-\u001f\u007f]/.test(lit.value)) return 'a control character in the value';
      (c.spec.environment ??= {})[name] = lit.value;
      return undefined;
    }),
  Label: (c) =>
    eachWord(c, 'Label', 'args', (word) => {
      const eq = word.indexOf('=');
      if (eq <= 0) return 'a label without a value';
      const lit = literalText(word.slice(eq + 1), true);
      if (!fits('labelKey', word.slice(0, eq))) return 'no label key a manifest takes';
      if (!lit.ok || /[\u0000-\u001f\u007f]/.test(lit.value)) return lit.ok ? 'a control character in the value' : lit.why;
      (c.spec.labels ??= {})[word.slice(0, eq)] = lit.value;
      return undefined;
    }),
  Secret: (c) =>
    eachWord(c, 'Secret', 'args', (word) => {
      const [name, ...opts] = word.split(',');
      const o = Object.fromEntries(opts.map((x) => x.split('=')));
      if (!fits('secretName', name!) || opts.some((x) => !/^(type|target)=/.test(x))) return 'options other than type and target (uid, gid, mode) have no manifest field';
      if (o.type === 'env' && o.target !== undefined && fits('envName', o.target)) (c.spec.secrets ??= []).push({ name: name!, env: o.target });
      else if ((o.type === undefined || o.type === 'mount') && (o.target === undefined || fits('absPath', o.target))) (c.spec.secrets ??= []).push({ name: name!, ...(o.target !== undefined ? { target: o.target } : {}) });
      else return 'no form of a manifest secret';
      return undefined;
    }),
  PublishPort: (c) =>
    eachLine(c, 'PublishPort', (text) => {
      const p = publishPort(text);
      if (typeof p === 'string') return p;
      (c.spec.ports ??= []).push(p);
      return undefined;
    }),
  Volume: (c) => eachLine(c, 'Volume', (text, e) => volume(c, text, e)),
  Network: (c) => eachLine(c, 'Network', (text, e) => network(c, text, e)),
  HostName: (c) => {
    const v = c.last('HostName');
    if (v && fits('dnsLabel', v.text)) c.spec.hostname = v.text;
    else if (v) c.keep(v.e, 'a manifest hostname is one DNS label');
  },
  AddHost: (c) =>
    eachLine(c, 'AddHost', (text) => {
      const m = /^([^:\s]+):(.+)$/.exec(text);
      if (!m || !(fits('ipAddress', m[2]!) || m[2] === 'host-gateway')) return 'a manifest host entry is HOST:IP, one a line';
      (c.spec.hosts ??= []).push({ host: m[1]!, ip: m[2]! });
      return undefined;
    }),
  RunInit: (c) => {
    const v = lastValue(c.group, 'RunInit').entry;
    if (v && unitBoolean(v.value)) c.spec.init = true;
    else if (v) c.ctx.findings.note(c.at(v), 'RunInit=false is podman\'s default (no init)');
  },
  ShmSize: (c) => {
    const v = c.last('ShmSize');
    const s = v && byteSize(v.text);
    if (s?.ok) c.spec.shmSize = s.value;
    else if (v) c.keep(v.e, s && !s.ok ? s.why : undefined);
  },
  Ulimit: (c) =>
    eachLine(c, 'Ulimit', (text) => {
      const m = /^([a-z]+)=([0-9]+)(?::([0-9]+))?$/.exec(text);
      if (!m || !ULIMIT_NAMES.has(m[1]!)) return 'a manifest ulimit is NAME=SOFT[:HARD] with a name it knows, in numbers (no -1)';
      (c.spec.ulimits ??= {})[m[1]!] = m[3] === undefined || m[3] === m[2] ? Number(m[2]) : { soft: Number(m[2]), hard: Number(m[3]) };
      return undefined;
    }),
  AddDevice: (c) =>
    eachWord(c, 'AddDevice', 'strv', (word) => {
      const [host, container, permissions] = word.split(':');
      if (!fits('absPath', host!) || (container !== undefined && !fits('absPath', container)) || (permissions !== undefined && !/^[rwm]{1,3}$/.test(permissions))) return 'an optional device (-) or a form a manifest device has no words for';
      (c.spec.devices ??= []).push(container === undefined ? host! : { host: host!, container, ...(permissions ? { permissions } : {}) });
      return undefined;
    }),
  Tmpfs: (c) =>
    eachLine(c, 'Tmpfs', (text) => {
      const [target, opts] = text.split(/:(.*)/s) as [string, string?];
      if (!fits('absPath', target)) return 'no absolute path a manifest takes';
      if (opts === undefined || opts === '') {
        (c.spec.tmpfs ??= []).push(target);
        return undefined;
      }
      const o = Object.fromEntries(opts.split(',').map((x) => x.split('=')));
      const size = o.size === undefined ? undefined : byteSize(o.size);
      if (Object.keys(o).some((k) => k !== 'size' && k !== 'mode') || (size && !size.ok) || (o.mode !== undefined && !/^[0-7]{3,4}$/.test(o.mode))) return 'options other than size and mode';
      (c.spec.tmpfs ??= []).push({ target, ...(size?.ok ? { size: size.value } : {}), ...(o.mode !== undefined ? { mode: o.mode } : {}) });
      return undefined;
    }),
  Sysctl: (c) =>
    eachWord(c, 'Sysctl', 'strv', (word) => {
      const eq = word.indexOf('=');
      if (eq <= 0) return 'a sysctl is NAME=VALUE';
      (c.spec.sysctls ??= {})[word.slice(0, eq)] = word.slice(eq + 1);
      return undefined;
    }),
  ReadOnly: (c) => {
    const v = lastValue(c.group, 'ReadOnly').entry;
    if (v && unitBoolean(v.value)) (c.spec.security ??= {}).readOnly = true;
    else if (v) c.ctx.findings.note(c.at(v), 'ReadOnly=false is podman\'s default');
  },
  NoNewPrivileges: (c) => {
    const v = lastValue(c.group, 'NoNewPrivileges').entry;
    if (v && unitBoolean(v.value)) (c.spec.security ??= {}).noNewPrivileges = true;
  },
  AddCapability: (c) => capabilities(c, 'AddCapability', 'capAdd'),
  DropCapability: (c) => capabilities(c, 'DropCapability', 'capDrop'),
  HealthCmd: health,
  HealthInterval: () => undefined,
  HealthTimeout: () => undefined,
  HealthStartPeriod: () => undefined,
  HealthRetries: () => undefined,
  Notify: () => undefined,
  StopSignal: (c) => {
    const v = c.last('StopSignal');
    const s = v && signal(v.text);
    if (s?.ok) c.spec.stop = { ...c.spec.stop, signal: s.value };
    else if (v) c.keep(v.e, s && !s.ok ? s.why : undefined);
  },
  StopTimeout: (c) => {
    const v = c.last('StopTimeout');
    if (v && /^[1-9][0-9]*$/.test(v.text)) c.spec.stop = { ...c.spec.stop, timeout: `${v.text}s` };
    else if (v) c.keep(v.e, 'a manifest stop timeout is a whole number of seconds, at least 1');
  },
  AutoUpdate: (c) => {
    const v = c.last('AutoUpdate');
    if (v && (v.text === 'registry' || v.text === 'local')) c.spec.autoUpdate = v.text;
    else if (v) c.keep(v.e, 'a manifest auto-update is registry or local');
  },
  Memory: (c) => {
    const v = c.last('Memory');
    const s = v && byteSize(v.text);
    if (s?.ok) c.spec.memory = s.value;
    else if (v) c.keep(v.e, s && !s.ok ? s.why : undefined);
  },
  PodmanArgs: (c) => {
    for (const e of c.all('PodmanArgs')) {
      const words = c.words(e, 'args');
      if (!words) continue;
      const rest = words.filter((w) => w !== '--privileged');
      if (rest.length < words.length) c.spec.privileged = true;
      if (rest.length > 0) {
        hatch(c.spec, 'Container', 'PodmanArgs', joinUnitWords(rest));
        c.ctx.findings.note(c.at(e), `${rest.join(' ')} kept as written in quadlet: Container: PodmanArgs (no manifest field)`);
      }
    }
  },
  ContainerName: () => undefined,
  Pod: (c) => c.all('Pod').forEach((e) => c.drop(e, 'a manifest has no pods', 'the containers of one app share its network instead')),
  StartWithPod: (c) => c.all('StartWithPod').forEach((e) => c.drop(e, 'a manifest has no pods')),
  Rootfs: (c) => c.all('Rootfs').forEach((e) => c.drop(e, 'a manifest container runs an image, not a root filesystem')),
  ServiceName: (c) => c.all('ServiceName').forEach((e) => c.ctx.findings.note(c.at(e), `the service is the app's, ${c.ctx.appId}.service`)),
};

function capabilities(c: Converter, key: string, field: 'capAdd' | 'capDrop'): void {
  eachWord(c, key, 'strv', (word) => {
    const name = word.toUpperCase().replace(/^CAP_/, '');
    if (!CAPABILITIES.has(name)) return 'no capability a manifest knows';
    const list = ((c.spec.security ??= {})[field] ??= []);
    if (!list.includes(name)) list.push(name);
    return undefined;
  });
}

/** The keys of `[Container]` a manifest field takes; any other key the target's Quadlet knows is kept as written. */
export const CONTAINER_FIELD_KEYS: readonly string[] = Object.keys(KEYS);

/**
 * Converts the `[Container]` group. Keys the target podman does not know are dropped (the original unit fails to
 * generate with them too); keys it knows without a manifest field go to the escape hatch as written.
 */
export function convertContainerGroup(ctx: ContainerGroupContext, group: UnitGroup): ContainerGroupResult {
  const c = new Converter(ctx, group);
  const keys = [...new Set(group.entries.map((e) => e.key))];
  for (const key of keys) {
    const handler = KEYS[key];
    if (handler) {
      handler(c, key);
      continue;
    }
    const support = keySupport(ctx.target, 'Container', key);
    const entries = c.all(key);
    if (!support.supported) {
      const first = group.entries.find((e) => e.key === key)!;
      const why = support.since
        ? `podman ${formatVersion(ctx.target)}'s Quadlet does not know it (since ${formatVersion(support.since)})`
        : `no key of podman's Quadlet [Container] group: its generator refuses the unit`;
      c.drop(first, why, support.since ? `import with --podman-version ${formatVersion(support.since)} for a node that runs it` : undefined);
      continue;
    }
    for (const e of entries) {
      if (key === 'EnvironmentFile' || key === 'Mount') {
        convertPathKey(c, e);
        continue;
      }
      hatch(c.spec, 'Container', key, e.value);
    }
  }
  if (c.spec.image === undefined && c.spec.build === undefined && !ctx.findings.failed) ctx.findings.error(`/${group.name}`, 'no Image= (a manifest container runs an image)');
  return { spec: c.spec, ...(c.alias !== undefined ? { alias: c.alias } : {}), gated: c.spec.health !== undefined && c.spec.health.gateStart !== false };
}

/** `EnvironmentFile=` and `Mount=` keep their value, with a relative path made absolute (Quadlet resolves it against the unit's directory). */
function convertPathKey(c: Converter, e: UnitEntry): void {
  if (e.key === 'Mount') {
    if (/(?:^|,)(?:source|src)=[^,]*\.(?:volume|image)(?:,|$)/.test(e.value)) {
      c.drop(e, 'a mount of a .volume or .image unit refers to a unit the manifest does not make', 'use Volume= for volumes');
      return;
    }
    hatch(c.spec, 'Container', 'Mount', e.value);
    return;
  }
  const words = c.words(e, 'args') ?? [];
  const paths = words.map((w) => (w.startsWith('/') || w.startsWith('%') ? w : resolvePath(c.ctx.unitDir, w)));
  hatch(c.spec, 'Container', 'EnvironmentFile', joinUnitWords(paths));
  const relative = words.filter((w, i) => w !== paths[i]);
  c.ctx.findings.note(c.at(e), `read by podman when the container starts, kept in quadlet: Container: EnvironmentFile${relative.length ? ` (${relative.join(', ')} resolved against the unit's directory)` : ''}`);
}
