import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The compiler and the renderer are pure: the IO shell reads files and passes text in.
const PURE_DIRS = ['src/compile', 'src/render'];
const FORBIDDEN = [/from ['"]node:/, /from ['"](fs|child_process|os|path)['"]/, /dbus-next/, /\bprocess\./, /\bimport\(/];

describe('pure core: src/compile and src/render do no IO', () => {
  for (const dir of PURE_DIRS) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      it(`${dir}/${file} imports no node module, D-Bus or process`, () => {
        const text = readFileSync(join(dir, file), 'utf8');
        expect(FORBIDDEN.filter((re) => re.test(text)).map(String)).toEqual([]);
      });
    }
  }
});
