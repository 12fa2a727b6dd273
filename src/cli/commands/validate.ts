/**
 * `archy-quadlet validate`: loads every manifest, compiles the valid catalog
 * for the target podman (so that `quadlet:` keys are checked against its key
 * list, as `render` would), and reports every problem as
 * `FILE:LINE:COL /pointer: message (hint)` on stderr (exit 1), or `{ ok,
 * problems, warnings, acknowledged, apps }` on stdout with `--json`. A warning the manifest acknowledges
 * (`acknowledge:`) is not printed: the summary line counts it and names where. Writes nothing.
 */
import type { Command } from 'commander';
import { EXIT, formatProblem, InvalidInputError, ReportedError } from '../../errors.js';
import type { NodeFlags } from '../node-context.js';
import { withOptions } from '../options.js';

export type ValidateOptions = Pick<NodeFlags, 'manifests' | 'json' | 'user' | 'bus' | 'podmanVersion' | 'nodeDomain'>;

/**
 * The command's body: prints the report (warnings on stderr, or in the JSON).
 * @throws InvalidInputError (exit 1) when any manifest is invalid or does not compile for the target
 *   (ReportedError with `--json`, whose answer lists the problems).
 * @throws UsageError (exit 2) when `podmanVersion` is no supported version.
 */
export async function validate(opts: ValidateOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const [{ readCatalog }, { compileCatalog }, { nodeFacts }, { manifestsDirOf, reservationsOf }, { DEFAULT_PODMAN_VERSION }] = await Promise.all([
    import('../catalog.js'),
    import('../../compile/compile-catalog.js'),
    import('../../store/node/facts.js'),
    import('../node-context.js'),
    import('../../compile/target-version.js'),
  ]);
  const dir = manifestsDirOf(opts);
  const { manifests, problems: loadProblems } = await readCatalog(dir, await reservationsOf(opts));
  // The compiler expects valid manifests: it runs only when the loader found nothing.
  const compiled = loadProblems.length === 0 ? compileCatalog(manifests, { podmanVersion: opts.podmanVersion ?? DEFAULT_PODMAN_VERSION, scope: opts.user ? 'user' : 'system', node: nodeFacts(opts.nodeDomain ? { domain: opts.nodeDomain } : {}) }) : undefined;
  const problems = [...loadProblems, ...(compiled?.problems ?? [])];
  const warnings = compiled?.warnings ?? [];
  const acknowledged = compiled?.acknowledged ?? [];
  const ok = problems.length === 0;
  if (opts.json) {
    out.write(`${JSON.stringify({ ok, problems, warnings, acknowledged, apps: ok ? manifests.map((m) => ({ id: m.manifest.id, file: m.file })) : [] }, null, 2)}\n`);
    if (!ok) throw new ReportedError(EXIT.invalid, `${problems.length} problem(s) in ${dir}`);
    return;
  }
  for (const w of warnings) err.write(`warning: ${formatProblem(w)}\n`);
  if (!ok) throw new InvalidInputError(problems);
  const acks = acknowledged.length ? `; ${acknowledged.length} warning(s) acknowledged: ${acknowledged.map((a) => `${[a.file, a.line].filter((x) => x !== undefined).join(':')} ${a.pointer}`).join(', ')}` : '';
  out.write(`${dir}: ${manifests.length} manifest(s) valid${manifests.length ? `: ${manifests.map((m) => m.manifest.id).join(', ')}` : ''}${acks}\n`);
}

/** Adds `validate` to the program. */
export function register(program: Command): void {
  withOptions(
    program
      .command('validate')
      .description('check every manifest (schema, cross-manifest rules, keys of the target podman); print each problem as FILE:LINE:COL /pointer: message; exit 1 if any'),
    ['podmanVersion', 'nodeDomain'],
  ).action(async (_opts: unknown, cmd: Command) => {
    await validate(cmd.optsWithGlobals<ValidateOptions>());
  });
}
