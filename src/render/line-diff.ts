/**
 * A unified diff of two texts, line by line (longest common subsequence; unit
 * files are short, so the quadratic table is cheap), for `archy-quadlet diff`.
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function diffOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = length of the longest common subsequence of a[i:] and b[j:].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Deletions before insertions, as diff(1) prints a changed line.
      ops.push({ kind: '-', line: a[i]! });
      i++;
    } else {
      ops.push({ kind: '+', line: b[j]! });
      j++;
    }
  }
  return ops;
}

/**
 * The unified diff turning `before` into `after` (`--- a/…`, `+++ b/…`, `@@` hunks with `context` lines
 * around each change); an empty string when they are equal. `undefined` stands for a file that does not exist.
 */
export function unifiedDiff(name: string, before: string | undefined, after: string | undefined, context = 3): string {
  if (before === after) return '';
  const ops = diffOps(splitLines(before ?? ''), splitLines(after ?? ''));
  // git's a/ b/ prefixes for relative paths; an absolute path is shown as it is.
  const side = (prefix: string): string => (name.startsWith('/') ? name : `${prefix}/${name}`);
  const out = [`--- ${before === undefined ? '/dev/null' : side('a')}`, `+++ ${after === undefined ? '/dev/null' : side('b')}`];
  const changed = ops.map((o, k) => (o.kind !== ' ' ? k : -1)).filter((k) => k >= 0);
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k]! - context);
    let end = changed[k]! + context;
    while (k + 1 < changed.length && changed[k + 1]! - context <= end + 1) end = changed[++k]! + context;
    k++;
    end = Math.min(ops.length - 1, end);
    const hunk = ops.slice(start, end + 1);
    const oldStart = ops.slice(0, start).filter((o) => o.kind !== '+').length;
    const newStart = ops.slice(0, start).filter((o) => o.kind !== '-').length;
    const oldLen = hunk.filter((o) => o.kind !== '+').length;
    const newLen = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${oldLen === 0 ? oldStart : oldStart + 1},${oldLen} +${newLen === 0 ? newStart : newStart + 1},${newLen} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}
