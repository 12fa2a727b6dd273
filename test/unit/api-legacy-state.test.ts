import { describe, expect, it } from 'vitest';
import { LEGACY_STATES, legacyState } from '../../src/api/rpc.js';
import { APP_STATES } from '../../src/controller/types.js';

describe("legacyState: container-list's `state` in the previous client's union", () => {
  it('gives every state of ours a word of that union', () => {
    for (const s of APP_STATES) expect(LEGACY_STATES).toContain(legacyState(s));
  });

  it('keeps the shared words and maps the others as docs/api.md says', () => {
    const table = Object.fromEntries(APP_STATES.map((s) => [s, legacyState(s)]));
    expect(table).toMatchObject({
      running: 'running', stopped: 'stopped', starting: 'starting', stopping: 'stopping', restarting: 'restarting',
      installing: 'installing', updating: 'updating', removing: 'removing', failed: 'exited', 'not-installed': 'unknown',
    });
  });
});
