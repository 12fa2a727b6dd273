/**
 * `archy-quadlet validate`: loads every manifest and reports every problem as
 * `FILE:LINE:COL /pointer: message (hint)` on stderr (exit 1), or `{ ok,
 * problems }` on stdout with `--json`. Writes nothing.
 */
import type { Command } from 'commander';
import { InvalidInputError, type Problem } from '../../errors.js';
import { loadManifests, type LoadResult } from '../../manifest/load.js';
import { listConfigTemplates, readManifestFiles } from '../../store/manifest-files.js';
import type { GlobalOptions } from '../program.js';

/** The manifests directory when `--manifests` is not given. */
export const DEFAULT_MANIFESTS_DIR = 'manifests';

/**
 * Reads and loads the catalog in `dir` (config templates checked against the package's `templates/config/`).
 * An unreadable directory is reported as a problem, not thrown, so callers treat it like any invalid input.
 */
export async function readCatalog(dir: string): Promise<LoadResult> {
  let sources;
  try {
    sources = await readManifestFiles(dir);
  } catch (err) {
    const problem: Problem = { file: dir, message: `cannot read the manifests directory: ${(err as Error).message}`, hint: 'pass --manifests DIR' };
    return { manifests: [], problems: [problem] };
  }
  return loadManifests(sources, { templates: await listConfigTemplates() });
}

/** The command's body: prints the report; throws InvalidInputError (exit 1) when any manifest is invalid. */
export async function validate(opts: Pick<GlobalOptions, 'manifests' | 'json'>, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const dir = opts.manifests ?? DEFAULT_MANIFESTS_DIR;
  const { manifests, problems } = await readCatalog(dir);
  const ok = problems.length === 0;
  if (opts.json) {
    out.write(`${JSON.stringify({ ok, problems, apps: manifests.map((m) => ({ id: m.manifest.id, file: m.file })) }, null, 2)}\n`);
    // The report is already on stdout; an empty problem list keeps the exit-code mapping from printing it again.
    if (!ok) throw new InvalidInputError([], `${problems.length} problem(s) in ${dir}`);
    return;
  }
  if (!ok) throw new InvalidInputError(problems);
  out.write(`${dir}: ${manifests.length} manifest(s) valid${manifests.length ? `: ${manifests.map((m) => m.manifest.id).join(', ')}` : ''}\n`);
}

/** Adds `validate` to the program. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check every manifest (schema and cross-manifest rules); print each problem as FILE:LINE:COL /pointer: message; exit 1 if any')
    .action(async (_opts: unknown, cmd: Command) => {
      await validate(cmd.optsWithGlobals<GlobalOptions>());
    });
}
