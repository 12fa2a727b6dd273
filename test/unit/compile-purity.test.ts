import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The compiler, the renderer and the controller's state derivation and ordering are pure: the IO shell reads
// files and D-Bus messages and passes them in.
const PURE_DIRS = ['src/compile', 'src/render'];
const PURE_FILES = ['src/controller/state.ts', 'src/controller/tracker.ts'];
const FORBIDDEN = [/from ['"]node:/, /from ['"](fs|child_process|os|path)['"]/, /dbus-next/, /\bprocess\./, /\bimport\(/];

const files = [...PURE_DIRS.flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f))), ...PURE_FILES];

describe('pure core: src/compile, src/render and the controller\'s state and tracker do no IO', () => {
  for (const file of files) {
    it(`${file} imports no node module, D-Bus or process`, () => {
      const text = readFileSync(file, 'utf8');
      expect(FORBIDDEN.filter((re) => re.test(text)).map(String)).toEqual([]);
    });
  }
});
