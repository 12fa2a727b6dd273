import { describe, expect, it } from 'vitest';
import { parseUnit, unitShape } from '../../src/render/parse-unit.js';

describe('parseUnit (the Quadlet parser\'s reading of unit text)', () => {
  it('reads sections and entries, skipping comments and blank lines', () => {
    expect(parseUnit('# header\n\n[Unit]\nDescription=x y\n; note\n[Container]\nImage = a\n')).toEqual([
      { name: 'Unit', entries: [['Description', 'x y']] },
      { name: 'Container', entries: [['Image', 'a']] },
    ]);
  });

  it('joins a line ending in a backslash with the next one, swallowing the next key', () => {
    const sections = parseUnit('[Container]\nWorkingDir=x\\\nContainerName=zz\n');
    expect(unitShape(sections)).toEqual(['Container: WorkingDir']);
    expect(sections[0]!.entries[0]).toEqual(['WorkingDir', 'xContainerName=zz']);
  });

  it('refuses a line that is no key, group or comment', () => {
    expect(() => parseUnit('[Unit]\nnonsense\n')).toThrow(/line 2/);
  });
});
