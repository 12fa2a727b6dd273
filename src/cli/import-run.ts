/**
 * The bodies of `archy-quadlet import` (declared in `commands/import.ts`, loaded when an import runs): apps
 * described another way → app manifests (docs/import.md).
 *
 * - `import compose FILE|DIR [--env FILE]… [--app ID]`: compose projects, one manifest per project (read by
 *   src/store/node/compose-project.ts).
 * - `import quadlet DIR [--podman-version V]`: a directory of Quadlet units (`.container`, `.volume`, `.network`, …).
 * - `import container NAME…|--all [--podman PATH]`: existing containers, from `podman inspect` and `podman image
 *   inspect` of their images.
 *
 * Each reads its input here (the IO edge), converts it with src/import/ (pure), checks the manifests with the loader
 * (and for quadlet and container, the compiler for the target podman), and writes them all at once, atomically, or
 * prints them (`--dry-run`). Every finding is printed on stderr as `FILE:LINE:COL /pointer: message (hint)` (for a
 * container, `container NAME /inspect/field: …`), notes prefixed `note: `. Exit 1 when an input cannot be imported,
 * a manifest exists (without `--force`) or anything was dropped (without `--allow-drop`); nothing is written then.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { compileCatalog } from '../compile/compile-catalog.js';
import { EXIT, formatProblem, ReportedError, UsageError } from '../errors.js';
import type { ImportFinding } from '../import/findings.js';
import { importContainer, type InspectContainer, type InspectImage } from '../import/inspect.js';
import { manifestYaml } from '../import/manifest-yaml.js';
import { importCompose } from '../import/project.js';
import { importQuadlet } from '../import/quadlet-project.js';
import { loadManifests } from '../manifest/load.js';
import type { ReservedPort } from '../manifest/checks.js';
import type { Manifest } from '../manifest/types.js';
import { writeFilesAtomic } from '../store/atomic-write.js';
import { findComposeProjects, readComposeProject } from '../store/node/compose-project.js';
import { readTextIfExists } from '../store/fs.js';
import { DEFAULT_PODMAN_VERSION } from '../compile/target-version.js';
import { manifestsDirOf, reservationsOf, type NodeFlags } from './node-context.js';

/** What every import takes. */
interface ImportOptions extends Pick<NodeFlags, 'manifests' | 'json' | 'user' | 'bus'> {
  out?: string;
  dryRun?: boolean;
  force?: boolean;
  allowDrop?: boolean;
}

export interface ImportComposeOptions extends ImportOptions {
  env?: string[];
  app?: string;
}

export interface ImportQuadletOptions extends ImportOptions {
  podmanVersion?: string;
}

export interface ImportContainerOptions extends ImportOptions {
  all?: boolean;
  podman?: string;
  podmanVersion?: string;
}

/** One imported app: where it came from, where it goes, its text. */
interface Imported {
  id: string;
  source: string;
  file: string;
  text: string;
}

type Streams = { out: NodeJS.WritableStream; err: NodeJS.WritableStream };

/** Where the node's daemons listen, for the manager the import is for (`--user`: the rootless ones), notes on `err`. */
function nodeReservations(opts: ImportOptions, err: NodeJS.WritableStream): Promise<ReservedPort[]> {
  return reservationsOf(opts, (line) => void err.write(`note: ${line}\n`));
}

/**
 * Checks the imported apps against each other and the output directory, then writes them all at once (or prints them
 * with `--dry-run`) and reports every finding.
 * @throws ReportedError (exit 1) when an error was found, or a part was dropped without `--allow-drop`.
 */
async function finishImport(imported: Imported[], findings: ImportFinding[], opts: ImportOptions, { out, err }: Streams): Promise<void> {
  for (const dup of imported.filter((a, i) => imported.findIndex((b) => b.id === a.id) !== i)) {
    findings.push({ level: 'error', file: dup.source, message: `another input is imported as the app ${JSON.stringify(dup.id)} too`, hint: 'import it alone with another id' });
  }
  if (!opts.force) {
    for (const app of imported) {
      for (const existing of [app.file, app.file.replace(/\.yaml$/, '.yml')]) {
        if ((await readTextIfExists(existing)) !== undefined) findings.push({ level: 'error', file: existing, message: `a manifest for ${app.id} exists already`, hint: 'pass --force to overwrite it, or --app ID for another id' });
      }
    }
  }

  const errors = findings.filter((f) => f.level === 'error');
  const dropped = findings.filter((f) => f.level === 'dropped');
  const blocked = errors.length > 0 || (dropped.length > 0 && !opts.allowDrop);
  const write = !blocked && !opts.dryRun;
  if (write) {
    for (const dir of new Set(imported.map((a) => path.dirname(a.file)))) await mkdir(dir, { recursive: true });
    await writeFilesAtomic(imported.map((a) => ({ path: a.file, content: a.text })));
  }

  if (opts.json) {
    out.write(`${JSON.stringify({ ok: !blocked, written: write, apps: imported.map(({ id, source, file }) => ({ id, source, file })), findings }, null, 2)}\n`);
  } else {
    for (const f of findings) err.write(`${f.level === 'note' ? 'note: ' : ''}${formatProblem(f)}\n`);
    if (opts.dryRun && errors.length === 0) out.write(imported.map((a) => `# ${a.file}\n${a.text}`).join('---\n'));
    if (write) for (const a of imported) out.write(`wrote ${a.file} (from ${a.source})\n`);
  }
  if (errors.length > 0) throw new ReportedError(EXIT.invalid, `${errors.length} error(s); nothing written`);
  if (blocked) {
    if (!opts.json) err.write(`${dropped.length} part(s) not carried over; nothing written (pass --allow-drop to import without them)\n`);
    throw new ReportedError(EXIT.invalid, `${dropped.length} part(s) dropped`);
  }
}

/**
 * The manifests as YAML, checked together as `validate` checks a catalog (the loader with the node's `reserved`
 * addresses, then the compiler for the target podman): a problem is an error against the manifest itself, and that
 * app is not imported.
 */
function checkedManifests(apps: ReadonlyArray<{ manifest: Manifest; source: string }>, outDir: string, command: 'quadlet' | 'container', podmanVersion: string, scope: 'system' | 'user', reserved: readonly ReservedPort[], findings: ImportFinding[]): Imported[] {
  const all = apps.map((a) => ({ ...a, id: a.manifest.id, file: path.join(outDir, `${a.manifest.id}.yaml`), text: manifestYaml(a.manifest, a.source, command) }));
  const loaded = loadManifests(all.map(({ file, text }) => ({ file, text })), { reserved });
  const problems = [...loaded.problems, ...(loaded.problems.length === 0 ? compileCatalog(loaded.manifests, { podmanVersion, scope }).problems : [])];
  findings.push(...problems.map((p): ImportFinding => ({ level: 'error', ...p, message: `the imported manifest is invalid: ${p.message}` })));
  const bad = new Set(problems.map((p) => p.file));
  return all.filter((a) => !bad.has(a.file)).map(({ id, source, file, text }) => ({ id, source, file, text }));
}

/**
 * `import compose`: one manifest per compose project.
 * @throws UsageError (exit 2) for `--app` with several projects, ReportedError (exit 1) when nothing may be written.
 */
export async function importComposeCommand(target: string, opts: ImportComposeOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const projects = await findComposeProjects(target).catch((e: Error) => {
    throw new UsageError(`${target}: ${e.message}`);
  });
  if (projects.length === 0) throw new UsageError(`${target}: no compose file (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml) here or in its subdirectories`);
  if (opts.app !== undefined && projects.length > 1) throw new UsageError(`--app names one app, and ${target} holds ${projects.length} compose projects`);
  const outDir = opts.out ?? manifestsDirOf(opts);
  const reserved = await nodeReservations(opts, err);

  const findings: ImportFinding[] = [];
  const imported: Imported[] = [];
  for (const project of projects) {
    const input = await readComposeProject(project, opts.env ?? [], process.env);
    const result = importCompose({ ...input, ...(opts.app !== undefined ? { appId: opts.app } : {}) });
    findings.push(...result.findings);
    if (!result.manifest) continue;
    const file = path.join(outDir, `${result.manifest.id}.yaml`);
    const text = manifestYaml(result.manifest, input.file);
    // The output must be a manifest `validate` accepts: a problem here is reported against the manifest itself.
    const check = loadManifests([{ file, text }], { reserved });
    findings.push(...check.problems.map((p): ImportFinding => ({ level: 'error', ...p, message: `the imported manifest is invalid: ${p.message}` })));
    if (check.problems.length === 0) imported.push({ id: result.manifest.id, source: input.file, file, text });
  }
  await finishImport(imported, findings, opts, { out, err });
}

/** Every file of a unit directory by name, and its drop-in directories (`x.container.d`). */
async function readUnitDir(dir: string): Promise<{ files: Array<{ name: string; text: string }>; dropIns: string[] }> {
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`${dir}: ${e.code === 'ENOTDIR' ? 'not a directory (import quadlet reads a directory of units)' : e.message}`);
  });
  const files: Array<{ name: string; text: string }> = [];
  const dropIns: string[] = [];
  for (const name of entries.sort()) {
    const s = await stat(path.join(dir, name)).catch(() => undefined);
    if (s?.isDirectory() && name.endsWith('.d')) dropIns.push(name);
    else if (s?.isFile()) files.push({ name, text: await readFile(path.join(dir, name), 'utf8') });
  }
  return { files, dropIns };
}

/**
 * `import quadlet DIR`: the directory's containers, one app each, or an app of several where its network says so.
 * @throws UsageError (exit 2) when DIR is no directory or has no units, ReportedError (exit 1) when nothing may be written.
 */
export async function importQuadletCommand(dir: string, opts: ImportQuadletOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const { files, dropIns } = await readUnitDir(dir);
  if (!files.some((f) => /\.(container|volume|network|image|build|pod|kube)$/.test(f.name))) throw new UsageError(`${dir}: no Quadlet unit (.container, .volume, .network, …) in it`);
  const podmanVersion = opts.podmanVersion ?? DEFAULT_PODMAN_VERSION;
  const scope = opts.user ? 'user' : 'system';
  const result = importQuadlet({ dir, absDir: path.resolve(dir), files, dropIns, podmanVersion, scope });
  const findings = [...result.findings];
  const imported = checkedManifests(result.apps.map((a) => ({ manifest: a.manifest, source: a.sources.join(', ') })), opts.out ?? manifestsDirOf(opts), 'quadlet', podmanVersion, scope, await nodeReservations(opts, err), findings);
  await finishImport(imported, findings, opts, { out, err });
}

/** Runs `podman ARGS` and parses its JSON output; podman's own message when it fails. */
function podmanJson(podman: string, args: readonly string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile(podman, args, { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 }, (e, stdout, stderr) => {
      if (e) reject(new Error(`${podman} ${args.join(' ')} failed: ${stderr.trim() || e.message}`));
      else {
        try {
          resolve(JSON.parse(stdout || '[]'));
        } catch {
          reject(new Error(`${podman} ${args.join(' ')} printed no JSON`));
        }
      }
    });
  });
}

/**
 * `import container NAME…|--all`: each container (every one but Quadlet's and pod infra containers with `--all`)
 * → its own app, compared with its image so only the user's values are kept.
 * @throws UsageError (exit 2) for neither or both of names and `--all`; InvalidInput-style ReportedError (exit 1)
 *   when podman cannot inspect a name, or nothing may be written.
 */
export async function importContainerCommand(names: string[], opts: ImportContainerOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  if ((names.length > 0) === Boolean(opts.all)) throw new UsageError('name the containers to import, or pass --all (not both)');
  const podman = opts.podman ?? 'podman';
  const findings: ImportFinding[] = [];
  let selected = names;
  if (opts.all) {
    const listed = (await podmanJson(podman, ['ps', '-a', '--format', 'json']).catch((e: Error) => {
      throw new UsageError(e.message);
    })) as Array<{ Names?: string[]; Labels?: Record<string, string> | null; IsInfra?: boolean }>;
    selected = [];
    for (const c of listed) {
      const name = c.Names?.[0];
      if (!name || c.IsInfra) continue;
      const unit = c.Labels?.PODMAN_SYSTEMD_UNIT;
      if (unit) findings.push({ level: 'note', file: `container ${name}`, message: `left alone: run by the systemd unit ${unit}`, hint: 'import a Quadlet unit with import quadlet' });
      else selected.push(name);
    }
    if (selected.length === 0) {
      // Nothing else to say: the containers left alone are named in the message itself.
      const alone = findings.map((f) => `\n${formatProblem(f)}`).join('');
      throw new UsageError(`podman has no container to import (--all leaves out those of systemd units and pods' infra containers)${alone}`);
    }
  }
  const inspected: InspectContainer[] = [];
  for (const name of selected) {
    try {
      inspected.push(...((await podmanJson(podman, ['container', 'inspect', name])) as InspectContainer[]));
    } catch (e) {
      findings.push({ level: 'error', file: `container ${name}`, message: (e as Error).message, hint: 'podman ps -a lists the containers' });
    }
  }
  const images = new Map<string, InspectImage | undefined>();
  for (const c of inspected) {
    const ref = c.Image ?? c.ImageName;
    if (ref === undefined || images.has(ref)) continue;
    images.set(ref, await podmanJson(podman, ['image', 'inspect', ref]).then((list) => (list as InspectImage[])[0]).catch(() => undefined));
  }
  const apps: Array<{ manifest: Manifest; source: string }> = [];
  for (const c of inspected) {
    const result = importContainer(c, images.get(c.Image ?? c.ImageName ?? ''), opts.user ? 'user' : 'system');
    findings.push(...result.findings);
    if (result.manifest) apps.push({ manifest: result.manifest, source: `podman inspect ${c.Name}` });
  }
  const imported = checkedManifests(apps, opts.out ?? manifestsDirOf(opts), 'container', opts.podmanVersion ?? DEFAULT_PODMAN_VERSION, opts.user ? 'user' : 'system', await nodeReservations(opts, err), findings);
  await finishImport(imported, findings, opts, { out, err });
}
