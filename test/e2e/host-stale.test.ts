import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { cachePaths, instancePaths } from '../host/paths.js';
import { isAlive } from '../host/proc.js';
import { startTestHost } from '../host/start.js';

// A crashed run leaves its host running; the next run of the same instance
// must power it off before booting, and must touch nothing else.

describe('test host: stale instances', () => {
  // A name derived from this run's host, so that no other run's instance is involved.
  const name = `${useHost().name}-stale`.slice(0, 63);
  const paths = instancePaths(cachePaths(), name);

  it('a pid file naming a live process that is not this instance\'s systemd-nspawn is ignored, not signalled', async () => {
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    const { host, stop } = await startTestHost({ name });
    try {
      expect(await host.execOk(['hostname'])).toBe(`${name}\n`);
      expect(Number(readFileSync(paths.pidFile, 'utf8'))).not.toBe(process.pid);
    } finally {
      await stop();
    }
    expect(existsSync(paths.pidFile)).toBe(false);
    expect(existsSync(paths.dir)).toBe(false);
  });

  it('a host left running by a crashed run is powered off before the next boot, which starts clean', async () => {
    const crashed = await startTestHost({ name });
    const oldNspawn = Number(readFileSync(paths.pidFile, 'utf8'));
    await crashed.host.execOk(['touch', '/etc/left-by-crashed-run']);
    await crashed.host.execOk(['podman', 'run', '-d', '--name', 'left-running', BUSYBOX_IMAGE, 'sleep', '100000']);
    expect(isAlive(oldNspawn)).toBe(true);

    // No stop(): as if the test runner had died here.
    const next = await startTestHost({ name });
    const nextNspawn = Number(readFileSync(paths.pidFile, 'utf8'));
    try {
      expect(isAlive(oldNspawn)).toBe(false);
      expect(isAlive(crashed.host.pid)).toBe(false);
      expect(next.host.pid).not.toBe(crashed.host.pid);
      expect((await next.host.exec(['test', '-e', '/etc/left-by-crashed-run'])).code).toBe(1);
      expect(await next.host.execOk(['podman', 'ps', '-a', '--format', '{{.Names}}'])).toBe('');
    } finally {
      await next.stop();
    }
    expect(isAlive(nextNspawn)).toBe(false);
    expect(existsSync(paths.pidFile)).toBe(false);
  });
});
