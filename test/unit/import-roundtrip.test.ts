// Every compose fixture that imports: import → validate (the loader) → compile → render → podman 5.4.2's own Quadlet
// generator accepts the units, and each generated `podman run` carries what the compose file said: image, command,
// entrypoint, environment, mounts, ports, user, health command and stop timeout. The expectations are read from the
// compose file here, by this test's own small reading of each form, and compared with the parsed argv.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { parseEnvFile } from '../../src/import/dotenv.js';
import { interpolateDocument } from '../../src/import/interpolate.js';
import { manifestYaml } from '../../src/import/manifest-yaml.js';
import { importCompose } from '../../src/import/project.js';
import { shellWords } from '../../src/import/shell-words.js';
import { loadManifests } from '../../src/manifest/load.js';
import { renderUnits } from '../../src/render/render-units.js';
import { findComposeProjects, readComposeProject } from '../../src/store/node/compose-project.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { runQuadletDryRun } from '../support/quadlet.js';

const FIXTURES = 'test/fixtures/compose';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The words of a generated `ExecStart=` line, unquoted as systemd reads them (`"…"`, `\"`, `%%`, `$$`). */
function execArgv(service: string): string[] {
  const line = /^ExecStart=(.*podman run .*)$/m.exec(service)?.[1];
  if (line === undefined) throw new Error(`no podman run in:\n${service}`);
  const words: string[] = [];
  let word = '';
  let quoted = false;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      word += line[++i];
      inWord = true;
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (c === ' ' && !quoted) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words.map((w) => w.replaceAll('%%', '%').replaceAll('$$', '$'));
}

/** The values of every `--flag VALUE` (and `--flag=VALUE`) before the image. */
function flagValues(argv: string[], flag: string, image: string): string[] {
  const end = argv.indexOf(image);
  const out: string[] = [];
  for (let i = 0; i < end; i++) {
    if (argv[i] === flag) out.push(argv[++i]!);
    else if (argv[i]!.startsWith(`${flag}=`)) out.push(argv[i]!.slice(flag.length + 1));
  }
  return out;
}

type Service = Record<string, unknown>;

/** This test's reading of an image name: Docker Hub's when the first component is no registry. */
function expectedImage(name: string): string {
  const first = name.split('/')[0]!;
  if (name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return name;
  return `docker.io/${name.includes('/') ? name : `library/${name}`}`;
}

const words = (v: unknown): string[] | undefined => (v === undefined ? undefined : typeof v === 'string' ? (shellWords(v) as { words: string[] }).words : (v as unknown[]).map(String));

/** Every `[hostIp, host, container, protocol]` a compose port list publishes (ranges expanded; a random port = the same). */
function expectedPorts(list: unknown[]): string[] {
  return list.flatMap((p) => {
    let ip = '';
    let host: string;
    let container: string;
    let proto = 'tcp';
    if (typeof p === 'object' && p !== null) {
      const o = p as Record<string, unknown>;
      [ip, host, container, proto] = [String(o.host_ip ?? ''), String(o.published ?? o.target), String(o.target), String(o.protocol ?? 'tcp')];
    } else {
      let text = String(p);
      if (text.includes('/')) [text, proto] = text.split('/') as [string, string];
      const v6 = /^\[(.+)\]:(.*):(.*)$/.exec(text);
      const parts = v6 ? [v6[1]!, v6[2]!, v6[3]!] : text.split(':');
      container = parts[parts.length - 1]!;
      host = parts.length > 1 && parts[parts.length - 2] !== '' ? parts[parts.length - 2]! : container;
      ip = parts.length > 2 ? parts[0]! : '';
    }
    const [c0, c1 = c0] = container.split('-').map(Number) as [number, number?];
    const [h0] = host.split('-').map(Number) as [number];
    return Array.from({ length: c1! - c0 + 1 }, (_, k) => `${ip === '0.0.0.0' ? '' : ip}|${h0 + k}|${c0 + k}|${proto}`);
  });
}

/** A `--publish` value as the same tuple. */
function publishedTuple(value: string): string {
  const [spec, proto = 'tcp'] = value.split('/') as [string, string?];
  const v6 = /^\[(.+)\]:(\d+):(\d+)$/.exec(spec);
  const parts = v6 ? [v6[1]!, v6[2]!, v6[3]!] : spec.split(':');
  return `${parts.length > 2 ? parts[0] : ''}|${parts[parts.length - 2]}|${parts[parts.length - 1]}|${proto}`;
}

const projects = readdirSync(FIXTURES).filter((d) => !d.startsWith('hostile-')).sort();

describe('compose fixtures: import → validate → render → podman 5.4.2 generator → the same podman run', () => {
  it('has the realistic fixtures', () => {
    expect(projects).toEqual(['anchors', 'bitcoin-node', 'env-forms', 'host-net', 'mempool-db', 'ports-volumes']);
  });

  for (const name of projects) {
    it(name, async () => {
      const [project] = await findComposeProjects(join(FIXTURES, name));
      const input = await readComposeProject(project!, [], {});
      const result = importCompose(input);
      expect(result.findings.filter((f) => f.level === 'error')).toEqual([]);
      const manifest = result.manifest!;
      const text = manifestYaml(manifest, input.file);
      const loaded = loadManifests([{ file: `manifests/${manifest.id}.yaml`, text }]);
      expect(loaded.problems).toEqual([]);
      const compiled = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
      expect(compiled.problems).toEqual([]);
      const dir = mkdtempSync(join(tmpdir(), 'archy-import-rt-'));
      dirs.push(dir);
      for (const f of renderUnits(compiled.units, await loadUnitTemplates())) writeFileSync(join(dir, f.name), f.content);
      const run = runQuadletDryRun(dir);
      expect(run.complaints).toEqual([]);
      expect(run.code).toBe(0);

      // The compose file as compose reads it: merge keys applied, variables from .env interpolated.
      const vars = new Map(input.variableFiles.flatMap((f) => (f.text ? parseEnvFile(f.text, new Map()).entries : [])).map((e) => [e.name, e.value ?? '']));
      const doc = interpolateDocument(parseDocument(input.text, { merge: true }).toJS(), vars).value as { services: Record<string, Service> };
      const services = Object.entries(doc.services);
      for (const [serviceName, s] of services) {
        const unit = services.length === 1 ? `${manifest.id}.service` : `${manifest.id}-${serviceName}.service`;
        const argv = execArgv(run.services.get(unit)!);
        const image = expectedImage(String(s.image));
        expect(argv, `${unit}: image`).toContain(image);
        const after = argv.slice(argv.indexOf(image) + 1);
        expect(after, `${unit}: command`).toEqual(words(s.command) ?? []);
        const entry = flagValues(argv, '--entrypoint', image)[0];
        if (s.entrypoint !== undefined) expect(entry!.startsWith('[') ? JSON.parse(entry!) : [entry], `${unit}: entrypoint`).toEqual(words(s.entrypoint));
        // Environment: every variable of env_file and environment, environment winning.
        const env: Record<string, string> = {};
        for (const f of [s.env_file ?? []].flat()) {
          const file = input.envFiles.get(join(project!.dir, typeof f === 'string' ? f : (f as { path: string }).path));
          for (const e of file?.text ? parseEnvFile(file.text, vars).entries : []) env[e.name] = e.value!;
        }
        const envList = Array.isArray(s.environment) ? (s.environment as string[]).map((e) => (e.includes('=') ? e.split(/=(.*)/s).slice(0, 2) : [e, vars.get(e)])) : Object.entries(s.environment ?? {});
        for (const [k, v] of envList) env[String(k)] = String(v);
        expect(new Set(flagValues(argv, '--env', image)), `${unit}: environment`).toEqual(new Set(Object.entries(env).map(([k, v]) => `${k}=${v}`)));
        // Mounts: every target is mounted once, read-only when the compose file says so, from a host path or a volume.
        const mounts = new Map(flagValues(argv, '-v', image).map((v) => [v.split(':')[1]!, v]));
        for (const tmpfs of flagValues(argv, '--tmpfs', image)) mounts.set(tmpfs.split(':')[0]!, `tmpfs:${tmpfs}`);
        for (const v of (s.volumes ?? []) as unknown[]) {
          const target = typeof v === 'string' ? (v.split(':')[1] ?? v) : String((v as { target: string }).target);
          const ro = typeof v === 'string' ? /:ro(,|$)/.test(v) : (v as { read_only?: boolean }).read_only === true;
          const mount = mounts.get(target);
          expect(mount, `${unit}: a mount at ${target}`).toBeDefined();
          expect(/:ro(,|$)/.test(mount!), `${unit}: ${target} read-only`).toBe(ro);
          const source = typeof v === 'string' ? (v.includes(':') ? v.split(':')[0]! : '') : String((v as { source?: string }).source ?? '');
          if (source.startsWith('/')) expect(mount!.startsWith(`${source}:`), `${unit}: ${target} from ${source}`).toBe(true);
        }
        // Ports: the same set of (address, host port, container port, protocol); none on the host's network.
        const published = flagValues(argv, '--publish', image).map(publishedTuple).sort();
        expect(published, `${unit}: ports`).toEqual(s.network_mode === 'host' ? [] : expectedPorts((s.ports ?? []) as unknown[]).sort());
        expect(flagValues(argv, '--user', image), `${unit}: user`).toEqual(s.user === undefined ? [] : [String(s.user)]);
        const test = (s.healthcheck as { test?: unknown } | undefined)?.test;
        const healthCmd = test === undefined ? undefined : typeof test === 'string' ? ['/bin/sh', '-c', test] : (test as string[])[0] === 'CMD' ? (test as string[]).slice(1) : ['/bin/sh', '-c', (test as string[])[1]];
        const oneshot = manifest.containers?.[serviceName]?.oneshot === true;
        expect(flagValues(argv, '--health-cmd', image).map((c) => JSON.parse(c)), `${unit}: health command`).toEqual(healthCmd && !oneshot ? [healthCmd] : []);
        const grace = s.stop_grace_period as string | undefined;
        const seconds = grace === undefined ? [] : [String(Math.ceil([...grace.matchAll(/([\d.]+)(h|m|s)/g)].reduce((t, [, n, u]) => t + Number(n) * { h: 3600, m: 60, s: 1 }[u as 'h' | 'm' | 's'], 0)))];
        expect(flagValues(argv, '--stop-timeout', image), `${unit}: stop timeout`).toEqual(seconds);
      }
    });
  }
});
