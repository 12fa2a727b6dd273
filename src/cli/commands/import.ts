/**
 * `archy-quadlet import compose FILE|DIR [--env FILE]… [--app ID] [--out DIR] [--dry-run] [--force] [--allow-drop]`:
 * compose projects → app manifests, one per project (docs/import.md). Reads the projects (src/store/node/
 * compose-project.ts), converts each (src/import/, pure), checks every manifest with the loader, and writes them all
 * at once, atomically, or prints them (`--dry-run`). Every finding is printed on stderr as
 * `FILE:LINE:COL /pointer: message (hint)`, notes prefixed `note: `. Exit 1 when a project cannot be imported, a
 * manifest exists (without `--force`) or anything was dropped (without `--allow-drop`); nothing is written then.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT, formatProblem, ReportedError, UsageError } from '../../errors.js';
import type { ImportFinding } from '../../import/findings.js';
import { manifestYaml } from '../../import/manifest-yaml.js';
import { importCompose } from '../../import/project.js';
import { loadManifests } from '../../manifest/load.js';
import { writeFilesAtomic } from '../../store/atomic-write.js';
import { findComposeProjects, readComposeProject } from '../../store/node/compose-project.js';
import { readTextIfExists } from '../../store/fs.js';
import { manifestsDirOf, type NodeFlags } from '../node-context.js';
import { withOptions } from '../options.js';

export interface ImportComposeOptions extends Pick<NodeFlags, 'manifests' | 'json'> {
  env?: string[];
  app?: string;
  out?: string;
  dryRun?: boolean;
  force?: boolean;
  allowDrop?: boolean;
}

/** One imported app: where it came from, where it goes, its text. */
interface Imported {
  id: string;
  source: string;
  file: string;
  text: string;
}

/**
 * The command's body. Prints the findings (stderr) and the manifests (stdout, with `--dry-run`), or writes them.
 * @throws UsageError (exit 2) for `--app` with several projects, ReportedError (exit 1) when nothing may be written.
 */
export async function importComposeCommand(target: string, opts: ImportComposeOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const projects = await findComposeProjects(target).catch((e: Error) => {
    throw new UsageError(`${target}: ${e.message}`);
  });
  if (projects.length === 0) throw new UsageError(`${target}: no compose file (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml) here or in its subdirectories`);
  if (opts.app !== undefined && projects.length > 1) throw new UsageError(`--app names one app, and ${target} holds ${projects.length} compose projects`);
  const outDir = opts.out ?? manifestsDirOf(opts);

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
    const check = loadManifests([{ file, text }]);
    findings.push(...check.problems.map((p): ImportFinding => ({ level: 'error', ...p, message: `the imported manifest is invalid: ${p.message}` })));
    if (check.problems.length === 0) imported.push({ id: result.manifest.id, source: input.file, file, text });
  }
  for (const dup of imported.filter((a, i) => imported.findIndex((b) => b.id === a.id) !== i)) {
    findings.push({ level: 'error', file: dup.source, message: `another project is imported as the app ${JSON.stringify(dup.id)} too`, hint: 'import it alone with --app ID' });
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
  if (write) await writeFilesAtomic(imported.map((a) => ({ path: a.file, content: a.text })));

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

/** Adds `import` and its subcommand `compose` to the program (`import quadlet` and `import container` are to come). */
export function register(program: Command): void {
  const group = program.command('import').description('turn apps described another way into manifests: import compose');
  withOptions(
    group
      .command('compose')
      .description('compose projects (a compose file, a directory with one, or a directory of such directories) → one manifest per project')
      .argument('<path>', 'a compose file or a directory')
      .option('--env <file>', 'a variable file, instead of the project\'s .env (repeatable; later files win, the environment wins over all)', (v: string, prev: string[] = []) => [...prev, v])
      .option('--app <id>', 'the app id (default: the compose project\'s name, or its directory\'s)')
      .option('--dry-run', 'print the manifests instead of writing them')
      .option('--force', 'overwrite existing manifests')
      .option('--allow-drop', 'write even when parts of the compose file are not carried over (they are still listed)'),
    ['importOut'],
  ).action(async (target: string, _opts: unknown, cmd: Command) => {
    await importComposeCommand(target, cmd.optsWithGlobals<ImportComposeOptions>());
  });
}
