/**
 * One compose service → one manifest container (`ContainerSpec`), key by key (Compose Specification, "Services
 * top-level elements"). Every key is in {@link HANDLERS} or reported: carried over, carried over with a note, or
 * dropped with the reason. `depends_on` and `profiles` belong to the project (src/import/project.ts).
 */
import type { ContainerSpec } from '../manifest/types.js';
import { byteSize, dnsLabel, duration, hostPath, qualifyImage, resolvePath, signal, wholeSeconds } from './compose-values.js';
import { seg, type Findings } from './findings.js';
import { convertDevices, convertTmpfs, convertVolumes } from './mounts.js';
import { convertPorts } from './ports.js';
import { convertEnvironment, type EnvFileText } from './service-env.js';
import { convertCaps, convertExtraHosts, convertLabels, convertSecurityOpts, convertSysctls, convertUlimits } from './service-lists.js';
import { shellWords } from './shell-words.js';

/** What converting a service needs from its project. */
export interface ServiceContext {
  findings: Findings;
  /** The app's id (for a local build's image tag). */
  appId: string;
  /** The container's name in the app (a DNS label). */
  name: string;
  projectDir: string;
  home: string | undefined;
  vars: ReadonlyMap<string, string>;
  envFiles: ReadonlyMap<string, EnvFileText>;
  /** The project's top-level `volumes`, `networks`, `secrets` and `configs`, by name. */
  top: Record<'volumes' | 'networks' | 'secrets' | 'configs', Record<string, unknown>>;
}

type Handler = (value: unknown, at: string, spec: ContainerSpec, ctx: ServiceContext, service: Record<string, unknown>) => void;

const ABS_PATH = /^(?:\/(?!\.{1,2}(?:\/|$))[^/:,\x00-\x1f\x7f]+)+$|^\/$/;
const USER = /^(?:[0-9]+|[a-z_][a-z0-9_-]{0,31})(?::(?:[0-9]+|[a-z_][a-z0-9_-]{0,31}))?$/;
const SAFE = /^[^\x00-\x1f\x7f]*$/;
const RESTART: Record<string, ContainerSpec['restart']> = { no: 'no', always: 'always', 'on-failure': 'on-failure', 'unless-stopped': 'always' };

/** Keys that only describe the service to compose or to people: noted, with what takes their place. */
const NOTED: Record<string, string> = {
  container_name: 'the container is named by the manifest (<app>, or <app>-<container> in an app of several)',
  expose: 'expose only documents ports: containers on one network reach every port',
  links: 'the containers of an app reach each other by name on the app\'s network',
  pull_policy: 'the node pulls an image when it is missing',
  stdin_open: 'a service has no terminal to read from',
  tty: 'a service has no terminal',
};

/** Keys with no counterpart in a manifest or in podman 5.4's Quadlet keys: dropped with why. */
const DROPPED: Record<string, string> = {
  deploy: 'swarm and replica settings have no counterpart on one node (deploy.resources.limits.memory is read as memory)',
  scale: 'a manifest runs one instance of each container',
  platform: 'the node pulls its own platform\'s image',
  cpus: 'a manifest has no CPU limit field',
  cpu_shares: 'a manifest has no CPU weight field',
  mem_reservation: 'a manifest has no memory reservation field',
  ipc: 'a manifest has no IPC namespace field',
  pid: 'a manifest has no PID namespace field',
  cgroup_parent: 'the node places containers in systemd\'s slices',
  develop: 'compose watch is a development tool',
  extends: 'extends is not resolved by the importer',
  annotations: 'a manifest has no annotations field',
  external_links: 'a manifest reaches containers of other apps over shared networks',
  oom_score_adj: 'a manifest has no OOM score field',
};

/** Every service key the manifest carries, and how. */
const HANDLERS: Record<string, Handler> = {
  image: (v, at, spec, { findings }) => {
    const q = qualifyImage(v);
    if (!q.ok) return findings.error(at, q.why);
    spec.image = q.value;
    for (const n of q.notes ?? []) findings.note(at, n, 'write the full name in the manifest to be explicit');
  },
  build: convertBuild,
  command: (v, at, spec, { findings }) => argv(v, at, findings, 'command', (words) => (spec.command = words)),
  entrypoint: (v, at, spec, { findings }) => argv(v, at, findings, 'entrypoint', (words) => (spec.entrypoint = words)),
  environment: () => undefined,
  env_file: () => undefined,
  volumes: (v, at, spec, ctx) => convertVolumes(v, at, spec, { findings: ctx.findings, projectDir: ctx.projectDir, home: ctx.home, topVolumes: ctx.top.volumes }),
  ports: (v, at, spec, { findings }) => {
    const ports = convertPorts(v, at, findings);
    if (ports.length) spec.ports = ports;
  },
  healthcheck: convertHealth,
  restart: (v, at, spec, { findings }) => {
    const text = String(v);
    const [policy, max] = text.split(':') as [string, string?];
    const mapped = RESTART[policy];
    if (mapped === undefined) return findings.drop(at, `restart ${JSON.stringify(text)}`, 'a restart policy is no, always, on-failure or unless-stopped');
    spec.restart = mapped;
    if (policy === 'unless-stopped') findings.note(at, 'unless-stopped → always: systemd restarts it, and a stop through archy-quadlet keeps it stopped');
    if (max !== undefined) findings.drop(at, `the retry limit ${max}`, 'systemd restarts without a count (its own start limit applies)');
  },
  stop_grace_period: (v, at, spec, { findings }) => {
    const t = wholeSeconds(v);
    if (!t.ok) return findings.drop(at, 'stop_grace_period', t.why);
    (spec.stop ??= {}).timeout = t.value;
    if (t.note) findings.note(at, t.note);
  },
  stop_signal: (v, at, spec, { findings }) => {
    const s = signal(v);
    if (!s.ok) return findings.drop(at, 'stop_signal', s.why);
    (spec.stop ??= {}).signal = s.value;
  },
  user: (v, at, spec, { findings }) => {
    const text = String(v);
    if (!USER.test(text)) return findings.drop(at, `user ${JSON.stringify(text)}`, 'a user is uid, uid:gid or a lowercase user name');
    spec.user = text;
  },
  working_dir: (v, at, spec, { findings }) => {
    if (typeof v !== 'string' || !ABS_PATH.test(v)) return findings.drop(at, `working_dir ${JSON.stringify(v)}`, 'a working directory is a plain absolute path');
    spec.workingDir = v;
  },
  network_mode: (v, at, spec, { findings }) => {
    if (v === 'host') spec.hostNetwork = true;
    else if (v !== 'bridge' && v !== 'default') findings.drop(at, `network_mode ${JSON.stringify(v)}`, 'a manifest container is on the host\'s network or on podman networks; it cannot join another container\'s namespace or have none');
  },
  networks: convertNetworks,
  init: (v, _at, spec) => {
    if (v === true) spec.init = true;
  },
  privileged: (v, _at, spec) => {
    if (v === true) spec.privileged = true;
  },
  read_only: (v, _at, spec) => {
    if (v === true) (spec.security ??= {}).readOnly = true;
  },
  cap_add: (v, at, spec, { findings }) => convertCaps(v, at, 'capAdd', spec, findings),
  cap_drop: (v, at, spec, { findings }) => convertCaps(v, at, 'capDrop', spec, findings),
  devices: (v, at, spec, { findings }) => convertDevices(v, at, spec, findings),
  shm_size: (v, at, spec, { findings }) => size(v, at, findings, 'shm_size', (s) => (spec.shmSize = s)),
  mem_limit: (v, at, spec, { findings }) => size(v, at, findings, 'mem_limit', (s) => (spec.memory = s)),
  ulimits: (v, at, spec, { findings }) => convertUlimits(v, at, spec, findings),
  tmpfs: (v, at, spec, { findings }) => convertTmpfs(v, at, spec, findings),
  hostname: (v, at, spec, { findings }) => {
    if (typeof v === 'string' && /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(v)) spec.hostname = v;
    else findings.drop(at, `hostname ${JSON.stringify(v)}`, 'the manifest\'s hostname is one DNS label (lowercase, no dots)');
  },
  extra_hosts: (v, at, spec, { findings }) => convertExtraHosts(v, at, spec, findings),
  sysctls: (v, at, spec, { findings }) => convertSysctls(v, at, spec, findings),
  labels: (v, at, spec, { findings }) => convertLabels(v, at, spec, findings),
  security_opt: (v, at, spec, { findings }) => convertSecurityOpts(v, at, spec, findings),
  secrets: (v, at, spec, ctx) => fileMounts(v, at, spec, ctx, 'secrets'),
  configs: (v, at, spec, ctx) => fileMounts(v, at, spec, ctx, 'configs'),
  logging: convertLogging,
  dns: (v, at, spec) => quadletList(spec, 'DNS', v, at),
  dns_search: (v, at, spec) => quadletList(spec, 'DNSSearch', v, at),
  dns_opt: (v, at, spec) => quadletList(spec, 'DNSOption', v, at),
  group_add: (v, at, spec) => quadletList(spec, 'GroupAdd', v, at),
  pids_limit: (v, at, spec) => quadletList(spec, 'PidsLimit', v, at),
  userns_mode: (v, at, spec) => quadletList(spec, 'UserNS', v, at),
};

/**
 * Converts one service. Its `depends_on` and `profiles` are left to the caller.
 * @returns the container, or undefined when it has no image to run (a finding says why).
 */
export function convertService(service: Record<string, unknown>, base: string, ctx: ServiceContext): ContainerSpec | undefined {
  const spec: ContainerSpec = {};
  const { findings } = ctx;
  for (const [key, value] of Object.entries(service)) {
    const at = `${base}${seg(key)}`;
    if (key.startsWith('x-') || key === 'depends_on' || key === 'profiles') continue;
    if (value === null || value === undefined) continue;
    const handler = HANDLERS[key];
    if (handler) handler(value, at, spec, ctx, service);
    else if (NOTED[key] !== undefined) findings.note(at, `${key} is left out: ${NOTED[key]}`);
    else findings.drop(at, key, DROPPED[key] ?? 'no manifest field or Quadlet key carries it');
  }
  const environment = convertEnvironment(service, base, ctx);
  if (environment) spec.environment = environment;
  deployMemory(service.deploy, `${base}/deploy`, spec, findings);
  if (spec.hostNetwork && spec.ports?.length) {
    findings.note(`${base}/ports`, 'a container on the host\'s network binds its ports on the host itself: ports are left out (compose ignores them too)');
    delete spec.ports;
  }
  if (spec.image === undefined && spec.build === undefined) {
    if (service.image === undefined && service.build === undefined) findings.error(base, 'the service has neither image nor build', 'add image: NAME:TAG');
    return undefined;
  }
  return spec;
}

function argv(value: unknown, at: string, findings: Findings, what: string, set: (words: string[]) => void): void {
  let words: string[];
  if (typeof value === 'string') {
    const split = shellWords(value);
    if (!split.ok) return findings.drop(at, what, `${split.message} in ${JSON.stringify(value)}`);
    words = split.words;
  } else if (Array.isArray(value) && value.every((w) => typeof w === 'string' || typeof w === 'number' || typeof w === 'boolean')) {
    words = value.map(String);
  } else {
    return findings.drop(at, what, 'must be a string or a list of strings');
  }
  if (words.length === 0) return findings.drop(at, `an empty ${what}`, `a manifest cannot clear the image's ${what}; it keeps the image's`);
  if (!words.every((w) => SAFE.test(w))) return findings.drop(at, what, 'an argument holds a newline or a control character, which a unit file cannot carry');
  set(words);
}

function size(value: unknown, at: string, findings: Findings, what: string, set: (s: string) => void): void {
  const s = byteSize(value);
  if (s.ok) set(s.value);
  else findings.drop(at, what, s.why);
}

/** `deploy.resources.limits.memory` is the memory limit compose applies without swarm, too. */
function deployMemory(deploy: unknown, at: string, spec: ContainerSpec, findings: Findings): void {
  const memory = (deploy as { resources?: { limits?: { memory?: unknown } } } | null)?.resources?.limits?.memory;
  if (memory === undefined || spec.memory !== undefined) return;
  const s = byteSize(memory);
  if (s.ok) {
    spec.memory = s.value;
    findings.note(`${at}/resources/limits/memory`, `read as the memory limit (memory: ${s.value})`);
  }
}

function quadletList(spec: ContainerSpec, key: string, value: unknown, _at: string): void {
  const values = (Array.isArray(value) ? value : [value]).map(String);
  ((spec.quadlet ??= {}).Container ??= {})[key] = values.length === 1 ? values[0]! : values;
}

function convertHealth(value: unknown, at: string, spec: ContainerSpec, { findings }: ServiceContext): void {
  const h = (value ?? {}) as Record<string, unknown>;
  const test = h.test;
  if (h.disable === true || (Array.isArray(test) && test[0] === 'NONE')) {
    ((spec.quadlet ??= {}).Container ??= {}).HealthCmd = 'none';
    findings.note(at, 'the image\'s health check is disabled: quadlet: Container: HealthCmd: none');
    return;
  }
  let cmd: string[] | undefined;
  if (typeof test === 'string') cmd = ['/bin/sh', '-c', test];
  else if (Array.isArray(test) && test[0] === 'CMD-SHELL' && test.length === 2) cmd = ['/bin/sh', '-c', String(test[1])];
  else if (Array.isArray(test) && test[0] === 'CMD' && test.length > 1) cmd = test.slice(1).map(String);
  if (cmd === undefined) {
    if (test === undefined) findings.drop(at, 'a health check without test', 'it changes the image\'s check, which the importer cannot see', 'write the whole check');
    else findings.drop(`${at}/test`, 'this health check', 'test is ["CMD", args…], ["CMD-SHELL", "command"], ["NONE"] or a command string');
    return;
  }
  if (!cmd.every((w) => SAFE.test(w))) return findings.drop(`${at}/test`, 'this health check', 'it holds a newline or a control character, which a unit file cannot carry');
  spec.health = { cmd };
  for (const [key, field] of [['interval', 'interval'], ['timeout', 'timeout'], ['start_period', 'startPeriod']] as const) {
    if (h[key] === undefined) continue;
    const d = duration(h[key]);
    if (!d.ok) findings.drop(`${at}/${key}`, key, d.why);
    else spec.health[field] = d.value;
  }
  if (h.retries !== undefined) {
    if (Number.isInteger(h.retries) && (h.retries as number) >= 1 && (h.retries as number) <= 100) spec.health.retries = h.retries as number;
    else findings.drop(`${at}/retries`, 'retries', 'a number of retries is 1-100');
  }
  if (h.start_interval !== undefined) findings.drop(`${at}/start_interval`, 'start_interval', 'a manifest health check has one interval');
  for (const key of Object.keys(h)) {
    if (!['test', 'interval', 'timeout', 'start_period', 'start_interval', 'retries', 'disable'].includes(key)) findings.drop(`${at}${seg(key)}`, key, 'no such key of a health check');
  }
}

/** A build with a local context → `build` with a local tag; a remote context cannot be built on the node. */
function convertBuild(value: unknown, at: string, spec: ContainerSpec, ctx: ServiceContext, service: Record<string, unknown>): void {
  const { findings } = ctx;
  if (service.image !== undefined) {
    findings.note(at, 'build is left out: the service names its image, which the node pulls');
    return;
  }
  const b = typeof value === 'string' ? { context: value } : ((value ?? {}) as Record<string, unknown>);
  const context = typeof b.context === 'string' ? b.context : '.';
  if (/^[a-z]+:\/\/|^git@|\.git(#.*)?$/.test(context)) {
    findings.drop(at, `build from ${JSON.stringify(context)}`, 'a remote build context cannot be built by the node', 'build and push the image, then name it in image:');
    return;
  }
  const dir = hostPath(context, ctx.projectDir, ctx.home);
  if (!dir.ok || !ABS_PATH.test(dir.value)) {
    findings.drop(at, 'build', dir.ok ? `the context ${dir.value} is no plain absolute path` : dir.why);
    return;
  }
  const file = typeof b.dockerfile === 'string' ? resolvePath('/', b.dockerfile).slice(1) : undefined;
  spec.build = { context: dir.value, ...(file ? { file } : {}), tag: `localhost/${ctx.appId}-${ctx.name}:latest` };
  findings.note(at, `built on the node from ${dir.value} and tagged ${spec.build.tag}`);
  for (const key of Object.keys(b)) {
    if (key !== 'context' && key !== 'dockerfile' && !key.startsWith('x-')) findings.drop(`${at}${seg(key)}`, `build ${key}`, 'a manifest build has a context and a Containerfile only');
  }
}

/**
 * `networks`: the project's own networks are the app's network (one per app; every container reaches the others by
 * name); an `external` network is a shared network (`networks: [name]`). Aliases and fixed addresses are dropped.
 */
function convertNetworks(value: unknown, at: string, spec: ContainerSpec, ctx: ServiceContext): void {
  const entries: Array<[string, Record<string, unknown>]> = Array.isArray(value) ? value.map((n) => [String(n), {}]) : Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, (v ?? {}) as Record<string, unknown>]);
  entries.forEach(([name, opts], i) => {
    const where = Array.isArray(value) ? `${at}${seg(i)}` : `${at}${seg(name)}`;
    const top = (ctx.top.networks[name] ?? {}) as Record<string, unknown>;
    if (top.external === true) {
      const label = dnsLabel(typeof top.name === 'string' ? top.name : name);
      if (label === undefined) return ctx.findings.drop(where, `network ${name}`, 'its name makes no DNS label');
      if (!(spec.networks ??= []).includes(label)) spec.networks.push(label);
      ctx.findings.note(where, `external network ${JSON.stringify(name)} → the shared network ${JSON.stringify(label)} (${label}.network); its containers reach this one as <app>-<container>`);
    }
    for (const [key, v] of Object.entries(opts)) {
      const w = `${where}${seg(key)}`;
      if (key === 'aliases') {
        const aliases = (Array.isArray(v) ? v : []).map(String).filter((a) => a !== ctx.name);
        if (aliases.length) ctx.findings.drop(w, `aliases ${aliases.join(', ')}`, `a container is reached by its name (${ctx.name}) on the app's network; the manifest has no other aliases`, 'rename the container, or point the others at its name');
      } else if (key !== 'priority' && key !== 'gw_priority' && !key.startsWith('x-')) {
        ctx.findings.drop(w, `network option ${key}`, 'podman assigns addresses and options on the app\'s network');
      }
    }
  });
}

/**
 * `secrets` / `configs` of a service: a top-level one with `file:` is bound read-only at its target (a secret's at
 * `/run/secrets/<name>`, a config's at `/<name>`); an `external` secret is the podman secret of that name.
 */
function fileMounts(value: unknown, at: string, spec: ContainerSpec, ctx: ServiceContext, kind: 'secrets' | 'configs'): void {
  if (!Array.isArray(value)) return ctx.findings.drop(at, kind, 'must be a list');
  value.forEach((entry, i) => {
    const where = `${at}${seg(i)}`;
    const ref = typeof entry === 'string' ? { source: entry } : ((entry ?? {}) as Record<string, unknown>);
    const source = String(ref.source ?? '');
    const top = (ctx.top[kind][source] ?? undefined) as Record<string, unknown> | undefined;
    const dir = kind === 'secrets' ? '/run/secrets' : '';
    const target = typeof ref.target === 'string' ? (ref.target.startsWith('/') ? ref.target : `${dir}/${ref.target}`) : `${dir}/${source}`;
    for (const key of ['uid', 'gid', 'mode']) if (ref[key] !== undefined) ctx.findings.drop(`${where}${seg(key)}`, key, 'the file keeps its owner and mode on the host');
    if (top === undefined) return ctx.findings.error(where, `unknown ${kind.slice(0, -1)} ${JSON.stringify(source)}`, `declare it under the top-level ${kind}`);
    if (kind === 'secrets' && top.external === true) {
      const name = dnsLabel(typeof top.name === 'string' ? top.name : source);
      if (name === undefined || !ABS_PATH.test(target)) return ctx.findings.drop(where, `secret ${source}`, 'its name or target cannot be written');
      (spec.secrets ??= []).push({ name, target });
      ctx.findings.note(where, `external secret → the podman secret ${JSON.stringify(name)}, mounted at ${target}`);
      return;
    }
    if (typeof top.file !== 'string') return ctx.findings.drop(where, `${kind.slice(0, -1)} ${JSON.stringify(source)}`, `only a ${kind.slice(0, -1)} from a file can be carried over (as a read-only bind)`);
    const file = hostPath(top.file, ctx.projectDir, ctx.home);
    if (!file.ok || !ABS_PATH.test(file.value) || !ABS_PATH.test(target)) return ctx.findings.drop(where, `${kind.slice(0, -1)} ${JSON.stringify(source)}`, file.ok ? 'its path holds : or , or is not plain' : file.why);
    (spec.binds ??= []).push({ source: file.value, target, readOnly: true });
    ctx.findings.note(where, `${kind.slice(0, -1)} ${JSON.stringify(source)} → a read-only bind of ${file.value} at ${target}`);
  });
}

/** `logging.driver` / `logging.options` → `quadlet: Container: LogDriver / LogOpt`. */
function convertLogging(value: unknown, at: string, spec: ContainerSpec, { findings }: ServiceContext): void {
  const l = (value ?? {}) as { driver?: unknown; options?: Record<string, unknown> };
  const section = ((spec.quadlet ??= {}).Container ??= {});
  if (typeof l.driver === 'string') section.LogDriver = l.driver;
  const opts = Object.entries(l.options ?? {}).map(([k, v]) => `${k}=${String(v)}`);
  if (opts.length) section.LogOpt = opts.length === 1 ? opts[0]! : opts;
  if (Object.keys(section).length === 0) delete spec.quadlet!.Container;
  findings.note(at, 'logging → quadlet: Container: LogDriver / LogOpt');
}
