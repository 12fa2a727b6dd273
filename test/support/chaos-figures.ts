/**
 * Figures of the chaos and hostile-input suites (cases, trials, crashes, torn
 * files, requests, 5xx, durations): each test records what it measured under
 * its own name, one JSON file per name in `test-artifacts/chaos/`, and
 * `npm run test:chaos` prints them after the run (docs/reliability.md holds
 * the latest).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the figures go (ignored by git). */
export const FIGURES_DIR = fileURLToPath(new URL('../../test-artifacts/chaos/', import.meta.url));

export type Figures = Record<string, number | string | boolean>;

/**
 * Records the figures of one test under `name` (kebab-case), replacing those of an earlier run.
 * Call it before the assertions, so that a failing run still leaves its numbers.
 */
export function recordFigures(name: string, figures: Figures): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(join(FIGURES_DIR, `${name}.json`), `${JSON.stringify({ name, at: new Date().toISOString(), ...figures }, null, 2)}\n`);
}

/** Every recorded figure set, sorted by name. */
export function readFigures(): Array<Figures & { name: string; at: string }> {
  let names: string[];
  try {
    names = readdirSync(FIGURES_DIR).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names.sort().map((n) => JSON.parse(readFileSync(join(FIGURES_DIR, n), 'utf8')) as Figures & { name: string; at: string });
}

/** Milliseconds since `t0` (a `performance.now()` reading), rounded. */
export function msSince(t0: number): number {
  return Math.round(performance.now() - t0);
}
