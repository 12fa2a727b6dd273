/**
 * `archy-quadlet validate`: loads every manifest, compiles the valid catalog
 * for the target podman (so that `quadlet:` keys are checked against its key
 * list, as `render` would), and reports every problem as
 * `FILE:LINE:COL /pointer: message (hint)` on stderr (exit 1), or `{ ok,
 * problems, warnings }` on stdout with `--json`. Writes nothing.
 */
import type { Command } from 'commander';
import { compileCatalog } from '../../compile/compile-catalog.js';
import { DEFAULT_PODMAN_VERSION } from '../../compile/target-version.js';
import { formatProblem, InvalidInputError, type Problem } from '../../errors.js';
import { loadManifests, type LoadResult } from '../../manifest/load.js';
import { listConfigTemplates, readManifestFiles } from '../../store/manifest-files.js';
import type { GlobalOptions } from '../program.js';

/** The manifests directory when `--manifests` is not given. */
export const DEFAULT_MANIFESTS_DIR = 'manifests';

export interface ValidateOptions extends Pick<GlobalOptions, 'manifests' | 'json' | 'user'> {
  podmanVersion?: string;
}

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

/**
 * The command's body: prints the report (warnings on stderr, or in the JSON).
 * @throws InvalidInputError (exit 1) when any manifest is invalid or does not compile for the target.
 * @throws UsageError (exit 2) when `podmanVersion` is no supported version.
 */
export async function validate(opts: ValidateOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const dir = opts.manifests ?? DEFAULT_MANIFESTS_DIR;
  const { manifests, problems: loadProblems } = await readCatalog(dir);
  // The compiler expects valid manifests: it runs only when the loader found nothing.
  const compiled = loadProblems.length === 0 ? compileCatalog(manifests, { podmanVersion: opts.podmanVersion ?? DEFAULT_PODMAN_VERSION, scope: opts.user ? 'user' : 'system' }) : undefined;
  const problems = [...loadProblems, ...(compiled?.problems ?? [])];
  const warnings = compiled?.warnings ?? [];
  const ok = problems.length === 0;
  if (opts.json) {
    out.write(`${JSON.stringify({ ok, problems, warnings, apps: ok ? manifests.map((m) => ({ id: m.manifest.id, file: m.file })) : [] }, null, 2)}\n`);
    // The report is already on stdout; an empty problem list keeps the exit-code mapping from printing it again.
    if (!ok) throw new InvalidInputError([], `${problems.length} problem(s) in ${dir}`);
    return;
  }
  for (const w of warnings) err.write(`warning: ${formatProblem(w)}\n`);
  if (!ok) throw new InvalidInputError(problems);
  out.write(`${dir}: ${manifests.length} manifest(s) valid${manifests.length ? `: ${manifests.map((m) => m.manifest.id).join(', ')}` : ''}\n`);
}

/** Adds `validate` to the program. */
export function register(program: Command): void {
  program
    .command('validate')
    .description('check every manifest (schema, cross-manifest rules, keys of the target podman); print each problem as FILE:LINE:COL /pointer: message; exit 1 if any')
    .option('--podman-version <version>', 'podman the units are for (decides which quadlet: keys are known)', DEFAULT_PODMAN_VERSION)
    .action(async (_opts: unknown, cmd: Command) => {
      await validate(cmd.optsWithGlobals<ValidateOptions & GlobalOptions>());
    });
}
