import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestValidator } from '../../src/manifest/schema.js';
import { goldenCases, renderCase } from '../support/golden.js';

// UPDATE_GOLDEN=1 rewrites the expected units from the current render; review them as a diff.
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden units', () => {
  for (const c of goldenCases()) {
    it(`${c.name}: every manifest of the case is valid by the schema`, () => {
      const validate = manifestValidator();
      for (const m of c.manifests) expect({ id: m.manifest.id, valid: validate(m.manifest), errors: validate.errors ?? null }).toEqual({ id: m.manifest.id, valid: true, errors: null });
    });

    it(`${c.name}: renders exactly the expected unit files`, async () => {
      const { files } = await renderCase(c);
      if (update) {
        rmSync(c.expectedDir, { recursive: true, force: true });
        mkdirSync(c.expectedDir, { recursive: true });
        for (const f of files) writeFileSync(join(c.expectedDir, f.name), f.content);
      }
      const expected = existsSync(c.expectedDir) ? readdirSync(c.expectedDir).sort() : [];
      expect(files.map((f) => f.name)).toEqual(expected);
      for (const f of files) expect(f.content, f.name).toBe(readFileSync(join(c.expectedDir, f.name), 'utf8'));
    });
  }
});
