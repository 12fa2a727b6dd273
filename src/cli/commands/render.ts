/**
 * `archy-quadlet render`: manifests → Quadlet unit files in `--out` (default
 * ./units). Writes only when every manifest is valid, all files at once;
 * prunes files of ours that are no longer rendered; never touches a file
 * without our header. `--check` compares instead of writing (exit 1 when stale).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { compileCatalog } from '../../compile/compile-catalog.js';
import { DEFAULT_PODMAN_VERSION } from '../../compile/target-version.js';
import { formatProblem, InvalidInputError, NotOwnedError, type Problem } from '../../errors.js';
import { renderUnits } from '../../render/render-units.js';
import { isOwned, type RenderedFile } from '../../render/types.js';
import { writeFilesAtomic } from '../../store/atomic-write.js';
import { loadUnitTemplates } from '../../store/unit-templates.js';
import { readUnitDir } from '../../store/unit-dir.js';
import type { GlobalOptions } from '../program.js';
import { DEFAULT_MANIFESTS_DIR, readCatalog } from './validate.js';

export const DEFAULT_OUT_DIR = 'units';
export { DEFAULT_PODMAN_VERSION };

export interface RenderOptions extends Pick<GlobalOptions, 'manifests' | 'json' | 'user'> {
  out?: string;
  podmanVersion?: string;
}

export type ChangeAction = 'create' | 'update' | 'delete';

export interface UnitChange {
  name: string;
  action: ChangeAction;
  /** Current content in the out directory (undefined for create). */
  before?: string;
  /** Rendered content (undefined for delete). */
  after?: string;
}

export interface RenderPlan {
  out: string;
  files: RenderedFile[];
  changes: UnitChange[];
  unchanged: string[];
  warnings: Problem[];
}

/**
 * Loads, compiles and renders the catalog and compares it with the out directory. Reads only.
 * @throws InvalidInputError with every manifest or compile problem.
 * @throws NotOwnedError when a file we would write exists without our header.
 */
export async function planRender(opts: RenderOptions): Promise<RenderPlan> {
  const out = opts.out ?? DEFAULT_OUT_DIR;
  const loaded = await readCatalog(opts.manifests ?? DEFAULT_MANIFESTS_DIR);
  if (loaded.problems.length > 0) throw new InvalidInputError(loaded.problems);
  const compiled = compileCatalog(loaded.manifests, { podmanVersion: opts.podmanVersion ?? DEFAULT_PODMAN_VERSION, scope: opts.user ? 'user' : 'system' });
  if (compiled.problems.length > 0) throw new InvalidInputError(compiled.problems);
  const files = renderUnits(compiled.units, await loadUnitTemplates());

  const existing = new Map((await readUnitDir(out)).map((e) => [e.name, e]));
  const changes: UnitChange[] = [];
  const unchanged: string[] = [];
  for (const f of files) {
    const current = existing.get(f.name);
    if (current && !current.owned) throw new NotOwnedError(join(out, f.name));
    if (!current) changes.push({ name: f.name, action: 'create', after: f.content });
    else if (current.content !== f.content) changes.push({ name: f.name, action: 'update', before: current.content, after: f.content });
    else unchanged.push(f.name);
  }
  const rendered = new Set(files.map((f) => f.name));
  for (const e of existing.values()) {
    if (e.owned && !rendered.has(e.name)) changes.push({ name: e.name, action: 'delete', before: e.content });
  }
  changes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { out, files, changes, unchanged, warnings: compiled.warnings };
}

/** The command's body. Throws InvalidInputError (exit 1) for invalid manifests and, with `check`, for a stale out directory. */
export async function render(opts: RenderOptions & { check?: boolean }, stdout: NodeJS.WritableStream = process.stdout): Promise<void> {
  const plan = await planRender(opts);
  if (opts.check) {
    const stale = plan.changes.map((c): Problem => ({ file: join(plan.out, c.name), message: `would be ${c.action}d by render`, hint: 'run archy-quadlet render' }));
    if (opts.json) stdout.write(`${JSON.stringify({ ok: stale.length === 0, out: plan.out, changes: plan.changes.map(({ name, action }) => ({ name, action })), warnings: plan.warnings }, null, 2)}\n`);
    else if (stale.length === 0) stdout.write(`${plan.out}: up to date (${plan.files.length} unit file(s))\n`);
    if (stale.length > 0) throw new InvalidInputError(opts.json ? [] : stale, `${plan.out} is stale`);
    return;
  }
  if (plan.changes.length > 0) {
    await mkdir(plan.out, { recursive: true });
    await writeFilesAtomic(
      plan.changes.filter((c) => c.after !== undefined).map((c) => ({ path: join(plan.out, c.name), content: c.after! })),
      { owned: isOwned, remove: plan.changes.filter((c) => c.action === 'delete').map((c) => join(plan.out, c.name)) },
    );
  }
  if (opts.json) {
    const by = (a: ChangeAction): string[] => plan.changes.filter((c) => c.action === a).map((c) => c.name);
    stdout.write(`${JSON.stringify({ ok: true, out: plan.out, created: by('create'), updated: by('update'), deleted: by('delete'), unchanged: plan.unchanged, warnings: plan.warnings }, null, 2)}\n`);
    return;
  }
  for (const w of plan.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  for (const c of plan.changes) stdout.write(`${c.action} ${join(plan.out, c.name)}\n`);
  stdout.write(`${plan.out}: ${plan.files.length} unit file(s), ${plan.changes.length} change(s)\n`);
}

/** Adds `render` to the program. */
export function register(program: Command): void {
  program
    .command('render')
    .description('compile the manifests into Quadlet unit files in --out; writes nothing unless every manifest is valid')
    .option('--out <dir>', 'unit directory to write', DEFAULT_OUT_DIR)
    .option('--podman-version <version>', 'podman the units are for (decides which keys may be written)', DEFAULT_PODMAN_VERSION)
    .option('--check', 'write nothing; exit 1 and list the files when --out differs from the render')
    .action(async (_opts: unknown, cmd: Command) => {
      await render(cmd.optsWithGlobals<RenderOptions & { check?: boolean }>());
    });
}
