import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachePaths } from '../host/paths.js';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';

describe('test host', () => {
  const host = useHost();

  it('runs podman 5.4.2 and systemd 257, the versions the nodes run', async () => {
    expect(await host.execOk(['podman', '--version'])).toMatch(/^podman version 5\.4\.2$/m);
    expect(await host.execOk(['systemctl', '--version'])).toMatch(/^systemd 257 /m);
  });

  it('has the busybox image locally and runs a container from it', async () => {
    expect(await host.execOk(['podman', 'image', 'exists', BUSYBOX_IMAGE])).toBe('');
    const out = await host.execOk(['podman', 'run', '--rm', BUSYBOX_IMAGE, 'sh', '-c', 'echo hello; test -w /tmp && echo tmp-writable']);
    expect(out).toBe('hello\ntmp-writable\n');
  });

  it('is named after its instance', async () => {
    expect(await host.execOk(['hostname'])).toBe(`${host.name}\n`);
  });

  it('writes inside the host never reach the cached rootfs that every run boots from', async () => {
    const probe = `etc/archy-probe-${host.name}`;
    await host.execOk(['touch', `/${probe}`]);
    expect(existsSync(join(host.rootDir, probe))).toBe(true);
    expect(existsSync(join(cachePaths().rootfs, probe))).toBe(false);
  });

  it('exec reports a failing command\'s exit code and stderr', async () => {
    const r = await host.exec(['sh', '-c', 'echo oops >&2; exit 7']);
    expect(r).toEqual({ stdout: '', stderr: 'oops\n', code: 7 });
  });

  it('journal() reads a unit\'s journal inside the host', async () => {
    expect(await host.journal('dbus.service', 50)).toMatch(/dbus/i);
  });
});
