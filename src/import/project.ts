/**
 * A compose project → one app manifest (Compose Specification: https://compose-spec.io, "The Compose application
 * model"): one service becomes a one-container app, several become `containers:` with `dependsOn` from their
 * `depends_on`. Pure: the caller reads the compose file, the env files and the environment and passes them in.
 */
import type { ContainerSpec, Dependency, Manifest } from '../manifest/types.js';
import { parseComposeYaml } from './compose-yaml.js';
import { dnsLabel } from './compose-values.js';
import { parseEnvFile } from './dotenv.js';
import { Findings, seg, type ImportFinding } from './findings.js';
import { interpolateDocument } from './interpolate.js';
import { convertService } from './service.js';
import { envFileEntries, type EnvFileText } from './service-env.js';

export interface ComposeInput {
  /** The compose file as shown in findings (e.g. `apps/mempool/compose.yaml`). */
  file: string;
  text: string;
  /** The project directory, absolute: relative paths (binds, env files, build contexts) are relative to it. */
  projectDir: string;
  /** The project's name when the file has no `name:` (compose: the directory's name). */
  defaultName: string;
  /** `--app`: the app id, over the file's `name:`. */
  appId?: string;
  /** Variable files in order (the project's `.env`, or each `--env`); later ones see earlier ones. */
  variableFiles: readonly EnvFileText[];
  /** The process environment: it wins over the variable files, as in compose. */
  environment: Readonly<Record<string, string | undefined>>;
  /** Every env file a service names, by absolute path (see {@link envFilesOf}). */
  envFiles: ReadonlyMap<string, EnvFileText>;
}

export interface ComposeImport {
  /** The app, unless an error was found. */
  manifest?: Manifest;
  /** Every finding, placed (`FILE:LINE:COL /pointer`), in document order. */
  findings: ImportFinding[];
}

const TOP_LEVEL = new Set(['version', 'name', 'services', 'networks', 'volumes', 'secrets', 'configs']);
const CONDITIONS: Record<string, Dependency['condition']> = { service_started: 'started', service_healthy: 'healthy', service_completed_successfully: 'completed' };

/** The variables of a project: its variable files, then the process environment over them. */
function variables(input: Pick<ComposeInput, 'variableFiles' | 'environment'>, findings: Findings): Map<string, string> {
  const env = new Map(Object.entries(input.environment).filter((e): e is [string, string] => e[1] !== undefined));
  const vars = new Map<string, string>();
  for (const f of input.variableFiles) {
    if (f.text === undefined) continue;
    const parsed = parseEnvFile(f.text, new Map([...vars, ...env]));
    for (const e of parsed.errors) findings.at('error', { file: f.file, line: e.line, col: e.col }, '', e.message, e.hint);
    for (const e of parsed.entries) if (e.value !== undefined) vars.set(e.name, e.value);
  }
  for (const [k, v] of env) vars.set(k, v);
  return vars;
}

/** The document, parsed and interpolated, or the findings that stop it. */
function readDocument(input: Omit<ComposeInput, 'envFiles'>, findings: Findings): { doc: Record<string, unknown>; vars: Map<string, string>; locate: ReturnType<typeof parseComposeYaml>['locate'] } | { locate: ReturnType<typeof parseComposeYaml>['locate'] } {
  const parsed = parseComposeYaml(input.text);
  for (const e of parsed.errors) findings.at('error', { file: input.file, line: e.line, col: e.col }, '', e.message);
  if (parsed.errors.length > 0) return { locate: parsed.locate };
  if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
    findings.error('', 'a compose file is a mapping with services');
    return { locate: parsed.locate };
  }
  const vars = variables(input, findings);
  const { value, errors } = interpolateDocument(parsed.value, vars);
  for (const e of errors) findings.error(e.pointer, e.message, e.hint);
  return { doc: value as Record<string, unknown>, vars, locate: parsed.locate };
}

const asMap = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The env files the services name (absolute paths), for the caller to read before {@link importCompose}.
 * Unreadable documents name none.
 */
export function envFilesOf(input: Omit<ComposeInput, 'envFiles'>): string[] {
  const read = readDocument(input, new Findings());
  if (!('doc' in read)) return [];
  return Object.values(asMap(read.doc.services)).flatMap((s) => envFileEntries(asMap(s).env_file, input.projectDir).map((e) => e.path));
}

/**
 * Converts a compose project into an app manifest.
 * @returns the manifest (absent when any finding is an error) and every finding: errors (nothing can be written),
 *   dropped parts (what is not carried over, and why) and notes (decisions taken). Never throws on any input text.
 */
export function importCompose(input: ComposeInput): ComposeImport {
  const findings = new Findings();
  const read = readDocument(input, findings);
  const done = (manifest?: Manifest): ComposeImport => ({ ...(manifest && !findings.failed ? { manifest } : {}), findings: findings.place(input.file, read.locate) });
  if (!('doc' in read)) return done();
  const { doc, vars } = read;

  for (const key of Object.keys(doc)) {
    if (key === 'version') findings.note(`/${key}`, 'version is obsolete in the Compose Specification and ignored');
    else if (key === 'include') findings.drop(`/${key}`, 'include', 'included compose files are not merged by the importer', 'import each of them, or merge them first (docker compose config)');
    else if (!TOP_LEVEL.has(key) && !key.startsWith('x-')) findings.drop(`/${key}`, key, 'no top-level element of the Compose Specification');
  }

  const name = input.appId ?? (typeof doc.name === 'string' ? doc.name : input.defaultName);
  const id = dnsLabel(name);
  if (id === undefined) {
    findings.error(input.appId === undefined && typeof doc.name === 'string' ? '/name' : '', `no app id can be made of ${JSON.stringify(name)}`, 'pass --app ID');
    return done();
  }
  if (id !== name) findings.note(typeof doc.name === 'string' && input.appId === undefined ? '/name' : '', `the app id is ${JSON.stringify(id)} (made of ${JSON.stringify(name)}: ids are DNS labels)`);

  const services = asMap(doc.services);
  if (Object.keys(services).length === 0) {
    findings.error(doc.services === undefined ? '' : '/services', 'the project has no services');
    return done();
  }

  const top = { volumes: asMap(doc.volumes), networks: asMap(doc.networks), secrets: asMap(doc.secrets), configs: asMap(doc.configs) };
  const containers = new Map<string, { spec: ContainerSpec; service: Record<string, unknown>; base: string }>();
  const labels = new Map<string, string>();
  for (const [serviceName, raw] of Object.entries(services)) {
    const base = `/services${seg(serviceName)}`;
    const service = asMap(raw);
    if (Array.isArray(service.profiles) && service.profiles.length > 0) {
      findings.drop(`${base}/profiles`, `service ${serviceName}`, `it belongs to the profiles ${service.profiles.join(', ')}, which compose starts only when asked`);
      continue;
    }
    const label = dnsLabel(serviceName);
    if (label === undefined || labels.has(label)) {
      findings.error(base, label === undefined ? `no container name can be made of ${JSON.stringify(serviceName)}` : `services ${labels.get(label)} and ${serviceName} both become the container ${label}`, 'rename one service');
      continue;
    }
    labels.set(label, serviceName);
    if (label !== serviceName) findings.note(base, `service ${serviceName} is the container ${JSON.stringify(label)} (container names are DNS labels)`);
    const spec = convertService(service, base, { findings, appId: id, name: label, projectDir: input.projectDir, home: vars.get('HOME'), vars, envFiles: input.envFiles, top });
    if (spec) containers.set(serviceName, { spec, service, base });
  }

  if (containers.size === 1 && Object.keys(services).length === 1) {
    const [{ spec, service, base }] = [...containers.values()] as [{ spec: ContainerSpec; service: Record<string, unknown>; base: string }];
    if (service.depends_on !== undefined) findings.drop(`${base}/depends_on`, 'depends_on', 'the project has no other service');
    return done({ id, ...spec });
  }
  dependencies(containers, labels, new Set(Object.keys(services)), findings);
  if (containers.size === 0) {
    findings.error('/services', 'no service could be carried over');
    return done();
  }
  return done({ id, containers: Object.fromEntries([...containers].map(([serviceName, c]) => [dnsLabel(serviceName)!, c.spec])) });
}

/**
 * `depends_on` → `dependsOn: [{ container, condition }]`. A `service_completed_successfully` target becomes a
 * one-shot; a `service_healthy` target without a health check here cannot be waited for (the image's own check is
 * not known to the importer): the condition falls back to `started`, reported.
 */
function dependencies(containers: Map<string, { spec: ContainerSpec; service: Record<string, unknown>; base: string }>, labels: Map<string, string>, serviceNames: ReadonlySet<string>, findings: Findings): void {
  const serviceOfLabel = new Map([...labels].map(([label, service]) => [service, label]));
  for (const [, { spec, service, base }] of containers) {
    const raw = service.depends_on;
    if (raw === undefined || raw === null) continue;
    const entries: Array<[string, Record<string, unknown>, string]> = Array.isArray(raw)
      ? raw.map((n, i) => [String(n), {}, `${base}/depends_on${seg(i)}`])
      : Object.entries(asMap(raw)).map(([n, v]) => [n, asMap(v), `${base}/depends_on${seg(n)}`]);
    for (const [target, opts, at] of entries) {
      const other = containers.get(target);
      if (other === undefined) {
        if (serviceNames.has(target)) findings.drop(at, `the dependency on ${target}`, `${target} is not carried over`);
        else findings.error(at, `depends on ${JSON.stringify(target)}, which is no service of this project`);
        continue;
      }
      const conditionText = opts.condition === undefined ? 'service_started' : String(opts.condition);
      let condition = CONDITIONS[conditionText];
      if (condition === undefined) {
        findings.drop(`${at}/condition`, `condition ${JSON.stringify(conditionText)}`, 'a condition is service_started, service_healthy or service_completed_successfully');
        condition = 'started';
      }
      if (condition === 'completed' && !other.spec.oneshot) {
        other.spec.oneshot = true;
        findings.note(other.base, `${target} runs to completion (another service waits for service_completed_successfully): oneshot: true`);
        if (other.spec.health) {
          delete other.spec.health;
          findings.drop(`${other.base}/healthcheck`, 'the health check', 'a one-shot container runs to completion; its start is not gated on health');
        }
        if (other.spec.restart === 'always' || other.spec.restart === 'on-success') {
          findings.drop(`${other.base}/restart`, `restart ${other.spec.restart}`, 'systemd does not restart a one-shot service after it succeeded');
          delete other.spec.restart;
        }
      }
      if (condition === 'healthy' && other.spec.health === undefined) {
        findings.drop(`${at}/condition`, 'service_healthy', `${target} has no healthcheck in the compose file (the image's own is not known to the importer): it waits for started`, `add a healthcheck to ${target}`);
        condition = 'started';
      }
      for (const key of Object.keys(opts)) {
        if (key === 'restart' && opts.restart === true) findings.drop(`${at}/restart`, 'restart: true', `systemd's Requires= stops this container with ${target}; it is started again by the app's next start`);
        else if (key === 'required' && opts.required === false) findings.drop(`${at}/required`, 'required: false', 'a manifest dependency is always required');
        else if (key !== 'condition' && key !== 'restart' && key !== 'required') findings.drop(`${at}${seg(key)}`, key, 'no such key of depends_on');
      }
      const dep: Dependency = { container: serviceOfLabel.get(target)! };
      if (condition !== 'started') dep.condition = condition;
      (spec.dependsOn ??= []).push(dep);
    }
  }
}
