import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { useHost } from '../host/index.js';

// The daemon's own unit, as shipped, is one systemd 257 loads without a complaint.

const host = useHost();
const target = join(host.rootDir, 'etc/systemd/system/archy-quadlet.service');

afterAll(() => rmSync(target, { force: true }));

it('packaging/archy-quadlet.service passes systemd-analyze verify on systemd 257', async () => {
  mkdirSync(join(host.rootDir, 'etc/systemd/system'), { recursive: true });
  copyFileSync('packaging/archy-quadlet.service', target);
  const res = await host.exec(['systemd-analyze', 'verify', '/etc/systemd/system/archy-quadlet.service']);
  expect({ code: res.code, stderr: res.stderr.trim(), stdout: res.stdout.trim() }).toEqual({ code: 0, stderr: '', stdout: '' });
});
