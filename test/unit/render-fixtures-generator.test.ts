import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { serviceName } from '../../src/naming.js';
import { DIST_MAIN, runCliOk } from '../support/cli.js';
import { runQuadletDryRun } from '../support/quadlet.js';

const out = mkdtempSync(path.join(tmpdir(), 'archy-fixture-units-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the fixture manifests (every field) through render and podman 5.4.2\'s generator', () => {
  test('render writes their units and the generator accepts every one without a complaint', async () => {
    // The CLI runs from dist/: `npm test` builds first.
    expect(existsSync(DIST_MAIN)).toBe(true);
    await runCliOk(['--manifests', 'test/fixtures/manifests', 'render', '--out', out]);
    const files = readdirSync(out).sort();
    expect(files).toEqual([
      'archy-kitchen-sink-ui.container',
      'archy.network',
      'built-data.volume',
      'built.build',
      'built.container',
      'kitchen-backend.network',
      'kitchen-sink-cache.volume',
      'kitchen-sink-shared.volume',
      'kitchen-sink.container',
      'plain.container',
    ]);
    const run = runQuadletDryRun(out);
    expect(run.complaints).toEqual([]);
    expect(run.code).toBe(0);
    expect([...run.services.keys()].sort()).toEqual(files.map(serviceName).sort());
    // Values that need quoting reach podman as one argument each.
    const sink = run.services.get('kitchen-sink.service')!;
    expect(sink).toContain('-v "/var/lib/archipelago/kitchen-sink/private dir:/srv/private:Z"');
    expect(sink).toContain('--env "GREETING=say \\"hi\\" to %%h"');
    expect(sink).toContain(' serve --port 8080 --motd "hello world" 100%%\n');
  });
});
