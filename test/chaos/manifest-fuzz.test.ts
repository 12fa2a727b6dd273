import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/cli/commands/render.js';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { exitCodeFor, formatProblem, InvalidInputError, type Problem } from '../../src/errors.js';
import { loadManifests, type ManifestSource } from '../../src/manifest/load.js';
import { renderUnits } from '../../src/render/render-units.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { msSince, recordFigures } from '../support/chaos-figures.js';
import { deepNesting, hostileId, hostileManifest, hugeInput, mutatedValid, randomText, wrongTypes } from '../support/chaos-manifests.js';
import { DIST_MAIN, REPO as ROOT, runCli } from '../support/cli.js';
import { stringify } from 'yaml';

// Hostile input: the manifest loader (pure) and the real `render` (in-process and as a child process) fed with
// random YAML, wrong types, huge strings, deep nesting, unicode, control characters and path-like ids. Nothing may
// throw, nothing may be written for invalid input, and every problem says file, line and pointer.

const fixture = (name: string): Record<string, unknown> => parse(readFileSync(join(ROOT, 'test/fixtures/manifests', `${name}.yaml`), 'utf8')) as Record<string, unknown>;
const PLAIN = fixture('plain');
const KITCHEN = fixture('kitchen-sink');

/** What the run found; failures keep their first few examples for the message. */
interface Tally {
  cases: number;
  crashes: number;
  malformed: number;
  examples: string[];
}
const tally = (): Tally => ({ cases: 0, crashes: 0, malformed: 0, examples: [] });
const note = (t: Tally, what: string): void => void (t.examples.length < 5 && t.examples.push(what.slice(0, 600)));

/** What is wrong with a problem's location, or undefined: it must name one of the files, a line ≥ 1, a column and a JSON pointer. */
function badLocation(p: Problem, files: readonly string[]): string | undefined {
  if (!files.includes(p.file)) return `unknown file ${JSON.stringify(p.file)}`;
  if (!Number.isInteger(p.line) || p.line! < 1) return `no line: ${JSON.stringify(p)}`;
  if (!Number.isInteger(p.col) || p.col! < 1) return `no column: ${JSON.stringify(p)}`;
  if (typeof p.pointer !== 'string' || (p.pointer !== '' && !p.pointer.startsWith('/'))) return `no pointer: ${JSON.stringify(p)}`;
  if (p.message.trim() === '') return `empty message: ${JSON.stringify(p)}`;
  return undefined;
}

let templates: Awaited<ReturnType<typeof loadUnitTemplates>>;
beforeAll(async () => {
  templates = await loadUnitTemplates();
});

/** Loads `sources`; counts a throw as a crash and a problem without file/line/pointer as malformed. Valid catalogs are compiled and rendered too. */
function loadCase(t: Tally, sources: ManifestSource[]): void {
  t.cases++;
  const files = sources.map((s) => s.file);
  try {
    const { manifests, problems } = loadManifests(sources);
    for (const p of problems) {
      const bad = badLocation(p, files) ?? (formatProblem(p).includes('\n') ? `problem spans lines: ${JSON.stringify(formatProblem(p))}` : undefined);
      if (bad) {
        t.malformed++;
        note(t, bad);
      }
    }
    const bad = new Set(problems.map((p) => p.file));
    if (manifests.some((m) => bad.has(m.file))) {
      t.malformed++;
      note(t, 'a manifest with problems was returned as valid');
    }
    if (problems.length === 0 && manifests.length > 0) {
      const compiled = compileCatalog(manifests, { podmanVersion: '5.4.2', scope: 'system' });
      if (compiled.problems.length === 0) renderUnits(compiled.units, templates);
    }
  } catch (err) {
    t.crashes++;
    note(t, `${(err as Error).stack ?? String(err)}\ninput: ${JSON.stringify(sources).slice(0, 300)}`);
  }
}

const one = (text: string): ManifestSource[] => [{ file: 'manifests/app.yaml', text }];
const expectClean = (t: Tally): void => {
  expect(t.examples, t.examples.join('\n---\n')).toEqual([]);
  expect(t.crashes).toBe(0);
  expect(t.malformed).toBe(0);
};

const loader = { random: tally(), wrongTypes: tally(), mutated: tally(), ids: tally(), deep: tally(), huge: tally(), catalogs: tally() };
const loaderStart = performance.now();
let idProblemsAtId = 0;

describe('the manifest loader under hostile input (pure)', () => {
  it('random text: unicode of every plane, control characters, YAML token soup', () => {
    fc.assert(fc.property(randomText, (text) => loadCase(loader.random, one(text))), { numRuns: 3000 });
    expectClean(loader.random);
  });

  it('manifest-shaped mappings with wrong types, huge strings and stray fields', () => {
    fc.assert(fc.property(wrongTypes, (v) => loadCase(loader.wrongTypes, one(stringify(v)))), { numRuns: 2500 });
    expectClean(loader.wrongTypes);
  });

  it('valid manifests with one field (any depth) replaced by something hostile', () => {
    fc.assert(fc.property(fc.oneof(mutatedValid(PLAIN), mutatedValid(KITCHEN)), (text) => loadCase(loader.mutated, one(text))), { numRuns: 2000 });
    expectClean(loader.mutated);
  });

  it('path-like and non-DNS-label ids are a problem at /id, never a file name', () => {
    fc.assert(
      fc.property(hostileId(PLAIN), ({ text }) => {
        loadCase(loader.ids, one(text));
        const { problems, manifests } = loadManifests(one(text));
        if (manifests.length === 0 && problems.some((p) => p.pointer === '/id')) idProblemsAtId++;
        else note(loader.ids, `hostile id accepted or not reported at /id: ${text.slice(0, 200)} → ${JSON.stringify(problems).slice(0, 300)}`);
      }),
      { numRuns: 1000 },
    );
    expectClean(loader.ids);
    expect(idProblemsAtId).toBe(1000);
  });

  it('deep nesting (flow and block, 50–600 levels) and alias expansion', () => {
    fc.assert(fc.property(deepNesting, (text) => loadCase(loader.deep, one(text))), { numRuns: 150 });
    expectClean(loader.deep);
  });

  it('huge strings (64 KiB – 1 MiB) as values and as field names', () => {
    fc.assert(fc.property(hugeInput(PLAIN), (text) => loadCase(loader.huge, one(text))), { numRuns: 50 });
    expectClean(loader.huge);
  });

  it('catalogs of 2–4 files mixing hostile and valid manifests (cross-manifest checks)', () => {
    const valid = fc.constantFrom(stringify(PLAIN), stringify({ ...PLAIN, id: 'other' }), stringify(KITCHEN));
    fc.assert(
      fc.property(fc.array(fc.oneof(valid, hostileManifest(PLAIN)), { minLength: 2, maxLength: 4 }), fc.constantFrom('plain', 'other', 'app', 'kitchen-sink'), (texts, stem) => {
        loadCase(
          loader.catalogs,
          texts.map((text, i) => ({ file: `manifests/${i === 0 ? stem : `app${i}`}.yaml`, text })),
        );
      }),
      { numRuns: 1300 },
    );
    expectClean(loader.catalogs);
  });

  afterAll(() => {
    const all = Object.values(loader);
    recordFigures('hostile-manifest-loader', {
      cases: all.reduce((n, t) => n + t.cases, 0),
      crashes: all.reduce((n, t) => n + t.crashes, 0),
      'problems without file/line/pointer': all.reduce((n, t) => n + t.malformed, 0),
      'hostile ids reported at /id': idProblemsAtId,
      durationMs: msSince(loaderStart),
    });
  });
});

/** Every file under `dir` with its content (the out directory before and after). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) out[name] = readFileSync(join(dir, name), 'utf8');
  return out;
}

const OURS = '# Managed by archy-quadlet; do not edit. source: manifests/old.yaml\n[Container]\nImage=x\n';
const FOREIGN = '[Container]\nImage=docker.io/library/busybox:1.36.1\n';

describe('render into a unit directory under hostile input (the real command)', () => {
  const work = mkdtempSync(join(tmpdir(), 'aq-chaos-fuzz-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Fresh manifests dir with `texts`, an out dir holding one file of ours and one foreign file. */
  function stage(i: number, texts: string[]): { manifests: string; out: string; files: string[] } {
    const manifests = join(work, `m${i}`);
    const out = join(work, `u${i}`);
    mkdirSync(manifests);
    mkdirSync(out);
    const names = texts.map((_, j) => (j === 0 ? 'plain.yaml' : `app${j}.yaml`));
    texts.forEach((text, j) => writeFileSync(join(manifests, names[j]!), text));
    writeFileSync(join(out, 'old.container'), OURS);
    writeFileSync(join(out, 'handmade.container'), FOREIGN);
    return { manifests, out, files: names.map((n) => `${manifests}/${n}`) };
  }

  it('in-process: 0 crashes, exit code 0 or 1 only, 0 files written for invalid input, every problem located', async () => {
    const t0 = performance.now();
    const t = tally();
    let invalid = 0;
    let written = 0;
    const samples = fc.sample(fc.array(hostileManifest(PLAIN), { minLength: 1, maxLength: 3 }), { numRuns: 600, seed: 7 });
    for (const [i, texts] of samples.entries()) {
      const { manifests, out, files } = stage(i, texts);
      const before = snapshot(out);
      t.cases++;
      try {
        await render({ manifests, out }, { write: () => true } as unknown as NodeJS.WritableStream);
      } catch (err) {
        if (exitCodeFor(err) !== 1) {
          t.crashes++;
          note(t, `exit ${exitCodeFor(err)}: ${(err as Error).stack}`);
        } else if (err instanceof InvalidInputError) {
          invalid++;
          for (const p of err.problems) {
            const bad = badLocation(p, files);
            if (bad) {
              t.malformed++;
              note(t, bad);
            }
          }
        }
        const after = snapshot(out);
        if (JSON.stringify(after) !== JSON.stringify(before)) {
          written++;
          note(t, `files changed for invalid input: ${Object.keys(after).join(', ')}`);
        }
      }
      rmSync(manifests, { recursive: true });
      rmSync(out, { recursive: true });
    }
    recordFigures('hostile-manifest-render', { cases: t.cases, invalid, crashes: t.crashes, 'files written for invalid input': written, 'problems without file/line/pointer': t.malformed, durationMs: msSince(t0) });
    expect(t.examples, t.examples.join('\n---\n')).toEqual([]);
    expect(invalid).toBeGreaterThan(500);
    expect(written).toBe(0);
  });

  it('as a child process: exit 0 or 1 only, nothing written for invalid input, each stderr line is FILE:LINE:COL /pointer: message', async () => {
    expect(existsSync(DIST_MAIN), 'run `npm run build` first (bin/archy-quadlet runs dist/)').toBe(true);
    const t0 = performance.now();
    const samples = fc.sample(fc.array(hostileManifest(PLAIN), { minLength: 1, maxLength: 2 }), { numRuns: 24, seed: 11 });
    const results: Array<{ code: number; signal: string | null; stderr: string; files: string[]; changed: boolean }> = [];
    const runOne = async (i: number, texts: string[]): Promise<void> => {
      const { manifests, out, files } = stage(1000 + i, texts);
      const before = snapshot(out);
      const { code, signal, stderr } = await runCli(['--manifests', manifests, 'render', '--out', out]);
      results.push({ code, signal, stderr, files, changed: code !== 0 && JSON.stringify(snapshot(out)) !== JSON.stringify(before) });
    };
    for (let i = 0; i < samples.length; i += 4) await Promise.all(samples.slice(i, i + 4).map((texts, j) => runOne(i + j, texts)));

    const crashes = results.filter((r) => r.code !== 0 && r.code !== 1);
    const unlocated = results.flatMap((r) =>
      r.code === 1
        ? r.stderr
            .split('\n')
            .filter((l) => l !== '')
            .filter((l) => !r.files.some((f) => new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ /`).test(l)))
        : [],
    );
    recordFigures('hostile-manifest-cli', {
      cases: results.length,
      'exit 1': results.filter((r) => r.code === 1).length,
      crashes: crashes.length,
      'files written for invalid input': results.filter((r) => r.changed).length,
      'stderr lines without FILE:LINE:COL /pointer': unlocated.length,
      durationMs: msSince(t0),
    });
    expect(crashes.map((r) => `${r.signal ?? r.code}: ${r.stderr.slice(0, 400)}`)).toEqual([]);
    expect(results.filter((r) => r.changed)).toEqual([]);
    expect(unlocated.slice(0, 5)).toEqual([]);
  });
});
