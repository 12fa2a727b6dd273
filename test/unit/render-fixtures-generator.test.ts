import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { serviceOf } from '../../src/naming.js';
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
      'archy.network',
      'built-data.volume',
      'built.build',
      'built.container',
      'kitchen-backend.network',
      'kitchen-sink-cache.volume',
      'kitchen-sink-shared.volume',
      'kitchen-sink.container',
      'plain.container',
      'shards.network',
      'shards@.container',
      'stack-api.container',
      'stack-db.container',
      'stack-db.volume',
      'stack-migrate.container',
      'stack-probe.container',
      'stack-web-cache.volume',
      'stack-web.container',
      'stack.network',
    ]);
    const run = runQuadletDryRun(out);
    expect(run.complaints).toEqual([]);
    expect(run.code).toBe(0);
    expect([...run.services.keys()].sort()).toEqual(files.map((f) => serviceOf(f, readFileSync(path.join(out, f), 'utf8'))).sort());
    // Values that need quoting reach podman as one argument each.
    const sink = run.services.get('kitchen-sink.service')!;
    expect(sink).toContain('-v "/var/lib/archipelago/kitchen-sink/private:/srv/private dir:Z"');
    expect(sink).toContain('--env "GREETING=say \\"hi\\" to %%h"');
    expect(sink).toContain(' serve --port 8080 --motd "hello world" 100%%\n');
    // The fields real apps need, as podman's own flags.
    for (const flag of ['--init', '--hostname kitchen', '--shm-size 128m', '--ulimit nofile=4096:8192', '--ulimit nproc=512:512', '--device /dev/fuse', '--device "/dev/serial/by-id/usb-My Modem:/dev/ttyACM0:rw"', '--tmpfs /var/tmp', '--tmpfs /run:size=64m,mode=1777', '--sysctl net.core.somaxconn=1024', '--sysctl "net.ipv4.ping_group_range=0 2147483647"', '--privileged']) {
      expect(sink, flag).toContain(` ${flag} `);
    }
    const stack = (name: string): string => run.services.get(`stack-${name}.service`)!;
    expect(stack('migrate')).toMatch(/^Type=oneshot$/m);
    expect(stack('migrate')).not.toMatch(/ -d /);
    expect(stack('api')).toMatch(/^After=stack-migrate\.service$/m);
    expect(stack('probe')).toContain(' --network host ');
    expect(run.services.get('stack.service')!).toMatch(/^RemainAfterExit=yes$/m);
  });
});
