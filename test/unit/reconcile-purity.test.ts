import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The planner is pure: observed + desired in, steps out. Every file it imports,
// transitively, must do no IO (no node module, no D-Bus, no process).
const FORBIDDEN = [/from ['"]node:/, /from ['"](fs|child_process|os|path|crypto)['"]/, /dbus-next/, /\bprocess\./, /\bimport\(/];

/** src/reconcile/plan.ts and every project file it reaches through relative imports. */
function closure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/from ['"](\.[^'"]+)['"]/g)) visit(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  };
  visit(resolve(entry));
  return [...seen].sort();
}

describe('pure core: the reconcile planner does no IO', () => {
  const files = closure('src/reconcile/plan.ts');

  it('reaches the planner, its steps and the shared contracts, nothing else', () => {
    expect(files.map((f) => f.slice(resolve('.').length + 1))).toEqual([
      join('src', 'controller', 'types.ts'),
      join('src', 'naming.ts'),
      join('src', 'reconcile', 'backoff.ts'),
      join('src', 'reconcile', 'plan.ts'),
      join('src', 'reconcile', 'steps.ts'),
      join('src', 'reconcile', 'types.ts'),
      join('src', 'reconcile', 'unit-text.ts'),
      join('src', 'render', 'types.ts'),
    ]);
  });

  for (const file of files) {
    it(`${file.slice(resolve('.').length + 1)} imports no node module, D-Bus or process`, () => {
      expect(FORBIDDEN.filter((re) => re.test(readFileSync(file, 'utf8'))).map(String)).toEqual([]);
    });
  }
});
