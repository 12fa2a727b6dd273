/**
 * Golden fixtures: `test/fixtures/golden/<case>.yaml` (one or more manifests,
 * `---`-separated; an optional `# podman-version: X` line) and the expected
 * units in `test/fixtures/golden/<case>/`, compared as whole files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { compileCatalog, type CompileResult } from '../../src/compile/compile-catalog.js';
import type { LoadedManifest, Manifest } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import type { RenderedFile } from '../../src/render/types.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';

export const GOLDEN_DIR = 'test/fixtures/golden';
export const DEFAULT_PODMAN = '5.4.2';

export interface GoldenCase {
  name: string;
  manifests: LoadedManifest[];
  podmanVersion: string;
  /** Directory of the expected units. */
  expectedDir: string;
}

export function goldenCases(): GoldenCase[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(GOLDEN_DIR, f);
      const text = readFileSync(file, 'utf8');
      const name = f.slice(0, -'.yaml'.length);
      return {
        name,
        manifests: parseAllDocuments(text).map((d) => ({ file, manifest: d.toJS() as Manifest })),
        podmanVersion: /^# podman-version: (\S+)$/m.exec(text)?.[1] ?? DEFAULT_PODMAN,
        expectedDir: join(GOLDEN_DIR, name),
      };
    });
}

/** Compiles and renders a case; throws when the compiler reports a problem (a golden case must be valid). */
export async function renderCase(c: GoldenCase): Promise<{ result: CompileResult; files: RenderedFile[] }> {
  const result = compileCatalog(c.manifests, { podmanVersion: c.podmanVersion, scope: 'system' });
  if (result.problems.length > 0) throw new Error(`golden case ${c.name}: ${JSON.stringify(result.problems)}`);
  return { result, files: renderUnits(result.units, await loadUnitTemplates()) };
}
