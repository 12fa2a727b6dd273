// The figures of issue 15, as each benchmark measures them, gathered by bench/run.mjs into one table.
// A benchmark calls `figure(...)` for every line of that table; run alone it prints them itself (printFigures).
// Each figure is compared with a reference measured in the same run (absolute times on a shared machine are noise),
// or, where the issue sets an absolute bound (memory, the no-op pass), with that bound.
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** @typedef {{ figure: string, value: number, unit: string, ref?: string, refValue?: number, limit?: number, by: 'ratio' | 'value' | 'report', note?: string, load: number }} Figure */

/** @type {Figure[]} */
const recorded = [];

/**
 * Records one line of the table. `by: 'ratio'`: OK when value / refValue ≤ limit; `by: 'value'`: OK when value ≤ limit
 * (in `unit`); `by: 'report'`: a figure the issue asks to report, without a target. `load`: the 1-minute load
 * average when it was measured.
 * @param {Omit<Figure, 'load'>} f
 */
export function figure(f) {
  const row = { ...f, load: loadavg()[0] };
  recorded.push(row);
  if (process.env.ARCHY_BENCH_FIGURES) appendFileSync(process.env.ARCHY_BENCH_FIGURES, `${JSON.stringify(row)}\n`);
}

/** The p-th percentile (nearest rank) of `xs`. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const num = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

/** Whether a figure meets its target: 'OK', 'NO', or '—' for a figure only reported. */
export function ok(f) {
  if (f.by === 'report') return '—';
  return (f.by === 'ratio' ? f.value / f.refValue <= f.limit : f.value <= f.limit) ? 'OK' : 'NO';
}

/** The table of `rows` as text: figure, value, same-run reference, ratio, target, OK/NO, load when measured. */
export function figureTable(rows) {
  const header = ['figure', 'measured', 'same-run reference', 'ratio', 'target', 'ok', 'load'];
  const body = rows.map((f) => [
    f.figure,
    `${num(f.value)} ${f.unit}`,
    f.ref === undefined ? '—' : `${f.ref}: ${num(f.refValue)} ${f.unit}`,
    f.refValue ? `${(f.value / f.refValue).toFixed(2)}×` : '—',
    f.by === 'ratio' ? `≤ ${f.limit}×` : f.by === 'value' ? `≤ ${f.limit} ${f.unit}` : '(report)',
    ok(f),
    f.load.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** The machine's load line: `load average 1.02 0.80 0.75 (1/5/15 min) on 2 CPUs`. */
export function loadLine() {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min) on ${cpus().length} CPUs`;
}

/** Prints this process's figures (a benchmark run alone, not under bench/run.mjs). */
export function printFigures() {
  if (process.env.ARCHY_BENCH_FIGURES || recorded.length === 0) return;
  console.log(`\n${figureTable(recorded)}\n${loadLine()}`);
}
