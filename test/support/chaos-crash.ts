/**
 * Crash consistency: judges a unit directory left behind by a killed run (`runCli` with `killAfterMs`, in cli.ts)
 * against the renders before and after the change (every file old or new in full, none lost, no temp file that
 * looks like a unit).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUnitFileName } from '../../src/naming.js';

/** Unit files (by name → content) and the other entries of a unit directory. */
export function readDir(dir: string): { units: Map<string, string>; others: string[] } {
  const units = new Map<string, string>();
  const others: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (parseUnitFileName(name)) units.set(name, readFileSync(join(dir, name), 'utf8'));
    else others.push(name);
  }
  return { units, others };
}

/** What a unit directory looks like after a kill, judged against the renders before (`old`) and after (`next`). */
export interface Verdict {
  /** Unit files whose content is neither the old nor the new render. */
  torn: string[];
  /** Files in both renders that are gone. */
  lost: string[];
  /** Unit files in neither render (e.g. a temp file named like a unit). */
  stray: string[];
  /** Non-unit entries left behind (hidden temp files). */
  temps: string[];
  /** 'old' (nothing replaced yet), 'new' (all replaced), or 'mixed' (the kill fell between renames). */
  phase: 'old' | 'new' | 'mixed';
}

/**
 * Judges the unit files in `dir` (only names that are Quadlet units; `ignore` lists other files there that are not
 * the render's, e.g. a hand-written unit).
 */
export function judge(dir: string, old: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>, ignore: readonly string[] = []): Verdict {
  const { units, others } = readDir(dir);
  const v: Verdict = { torn: [], lost: [], stray: [], temps: others, phase: 'mixed' };
  for (const [name, content] of units) {
    if (ignore.includes(name)) continue;
    const o = old.get(name);
    const n = next.get(name);
    if (o === undefined && n === undefined) v.stray.push(name);
    else if (content !== o && content !== n) v.torn.push(name);
  }
  for (const name of old.keys()) if (next.has(name) && !units.has(name)) v.lost.push(name);
  const present = (m: ReadonlyMap<string, string>): boolean => [...m].every(([name, c]) => units.get(name) === c);
  const onlyOf = (m: ReadonlyMap<string, string>): boolean => [...units.keys()].every((n) => ignore.includes(n) || m.has(n));
  if (present(old) && onlyOf(old)) v.phase = 'old';
  else if (present(next) && onlyOf(next)) v.phase = 'new';
  return v;
}
