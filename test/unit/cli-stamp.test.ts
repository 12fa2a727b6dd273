import { expect, it } from 'vitest';
import { stampLines } from '../../src/cli/stamp.js';

// The daemon's log: every line of a multi-line message (a pass's problems) carries the time and the level.

it('stamps each line of a message with the same time and level', () => {
  const at = new Date('2026-12-01T18:47:58.873Z');
  expect(stampLines('error', 'pass invalid:\n/etc/a.yaml:4:1 /x: bad\n/etc/b.yaml:2:3 /y: bad', at)).toBe(
    '2026-12-01T18:47:58.873Z error pass invalid:\n2026-12-01T18:47:58.873Z error /etc/a.yaml:4:1 /x: bad\n2026-12-01T18:47:58.873Z error /etc/b.yaml:2:3 /y: bad\n',
  );
  expect(stampLines('', 'one line', at)).toBe('2026-12-01T18:47:58.873Z one line\n');
});
