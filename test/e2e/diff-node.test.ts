import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';

// `diff --node` is the node's plan, printed, with nothing changed: no unit, no config, no secret, no reload.

const host = useHost();
const BIN = fileURLToPath(new URL('../../bin/archy-quadlet', import.meta.url));
const unitDir = join('/proc', String(host.pid), 'root/run/containers/systemd');
const work = mkdtempSync(join(tmpdir(), 'archy-diff-node-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');

afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--bus', host.busAddress, '--state-dir', stateDir, '--manifests', manifests, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

it('diff --node prints what a pass would write, reload and start, and changes nothing', async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(join(manifests, 'dn.yaml'), `id: dn\nimage: ${BUSYBOX_IMAGE}\ncommand: [sleep, "1000"]\n`);
  const before = (await host.exec(['systemctl', 'show', '-P', 'LoadState', 'dn.service'])).stdout.trim();

  const res = await cli('diff', '--node', '--unit-dir', unitDir, '--generator', join(host.rootDir, 'usr/libexec/podman/quadlet'));

  expect(res.code).toBe(0);
  expect(res.stdout.split('\n').filter((l) => l.startsWith('would '))).toEqual(['would write units/dn.container', 'would daemon-reload', 'would start dn.service']);
  expect(existsSync(join(unitDir, 'dn.container'))).toBe(false);
  expect((await host.exec(['systemctl', 'show', '-P', 'LoadState', 'dn.service'])).stdout.trim()).toBe(before);
  expect(existsSync(stateDir) ? readdirSync(stateDir).filter((f) => f !== 'reconcile.lock') : []).toEqual([]);
});
