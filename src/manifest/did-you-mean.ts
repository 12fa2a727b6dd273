/**
 * "Did you mean …?" for misspelled field names, enum values and app ids.
 */

/** Levenshtein distance between two strings (case-sensitive). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** True when the letters of `short` appear in `long` in order (`img` in `image`). */
function isSubsequence(short: string, long: string): boolean {
  let i = 0;
  for (const ch of long) if (ch === short[i]) i++;
  return i === short.length;
}

/**
 * The candidate closest to `word`, if it is close enough to be a plausible typo (case differences count as half an
 * edit; distance at most a third of the word, and at least 2 allowed). Undefined when nothing is close.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = word.toLowerCase();
  const allowed = Math.max(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    if (c === word) continue;
    const other = c.toLowerCase();
    // The distance is at least the length difference (less the abbreviation's half): a candidate that far off can
    // never be suggested, and skipping it keeps a hostile 1 MB field name from costing seconds per candidate.
    if (Math.abs(other.length - lower.length) - 0.5 > allowed) continue;
    // An abbreviation (`img` → `image`) beats an unrelated word at the same distance (`img` → `id`).
    const abbreviation = isSubsequence(lower, other) || isSubsequence(other, lower) ? 0.5 : 0;
    const d = other === lower ? 0.5 : editDistance(lower, other) - abbreviation;
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)` or the empty string. */
export function suggestion(word: string, candidates: Iterable<string>): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` (did you mean ${JSON.stringify(s)}?)`;
}
