/**
 * What `render` would change in an out directory, and how: the plan that
 * `render` writes, `render --check` compares and `diff` prints. Reads only.
 */
import { join } from 'node:path';
import { compileCatalog } from '../compile/compile-catalog.js';
import { DEFAULT_PODMAN_VERSION } from '../compile/target-version.js';
import { InvalidInputError, NotOwnedError, type Problem } from '../errors.js';
import { nodeFacts } from '../store/node/facts.js';
import { renderUnits } from '../render/render-units.js';
import type { RenderedFile } from '../render/types.js';
import { loadUnitTemplates } from '../store/shipped/templates.js';
import { readUnitDir } from '../store/node/unit-dir.js';
import { readCatalog } from './catalog.js';
import { manifestsDirOf, reservationsOf, type NodeFlags } from './node-context.js';
import { DEFAULT_OUT_DIR } from './options.js';

/** The options of the commands that render (`render`, `diff`). */
export interface RenderOptions extends Pick<NodeFlags, 'manifests' | 'json' | 'user' | 'bus' | 'podmanVersion' | 'nodeDomain'> {
  out?: string;
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
  const loaded = await readCatalog(manifestsDirOf(opts), await reservationsOf(opts));
  if (loaded.problems.length > 0) throw new InvalidInputError(loaded.problems);
  const compiled = compileCatalog(loaded.manifests, { podmanVersion: opts.podmanVersion ?? DEFAULT_PODMAN_VERSION, scope: opts.user ? 'user' : 'system', node: nodeFacts(opts.nodeDomain ? { domain: opts.nodeDomain } : {}) });
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
