// src/import is pure like the rest of the core (README, "How it fits together"): the command reads the compose
// project and the environment, src/import converts. No file of it imports a node module or touches process.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = join('src', 'import');
const FORBIDDEN = [/from ['"]node:/, /from ['"](fs|child_process|os|path|crypto|net|http)['"]/, /\bprocess\./, /\bimport\(/];

describe('layers: src/import does no IO', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));
  it('finds its files', () => expect(files.length).toBeGreaterThanOrEqual(10));
  for (const file of files) {
    it(`${file} imports no node module and no process`, () => {
      const text = readFileSync(join(DIR, file), 'utf8');
      expect(FORBIDDEN.filter((re) => re.test(text)).map(String)).toEqual([]);
      // Beyond its own folder it reaches only the manifest's types and schema, the shared errors, the yaml parser,
      // the table of the keys each podman's Quadlet knows and how Quadlet splits a value into words.
      const imports = [...text.matchAll(/from ['"]([^'"]+)['"]/g)].map((m) => m[1]!).filter((s) => !s.startsWith('./'));
      for (const s of imports) expect(['yaml', '../errors.js', '../manifest/types.js', '../manifest/schema.js', '../manifest/containers.js', '../manifest/yaml-source.js', '../compile/podman-keys.js', '../render/unit-words.js']).toContain(s);
    });
  }
});
