import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { hostArgs, runCli } from '../support/cli.js';
import { hostGenerator, runUnitDir } from '../support/host.js';

// `diff --node` is the node's plan, printed, with nothing changed: no unit, no config, no secret, no reload.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-diff-node-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');

afterAll(() => rmSync(work, { recursive: true, force: true }));

it('diff --node prints what a pass would write, reload and start, and changes nothing', async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(unitDir, { recursive: true });
  writeFileSync(join(manifests, 'dn.yaml'), appManifest('dn'));
  const before = (await host.exec(['systemctl', 'show', '-P', 'LoadState', 'dn.service'])).stdout.trim();

  const res = await runCli([...hostArgs(host, { stateDir, manifests }), 'diff', '--node', '--unit-dir', unitDir, '--generator', hostGenerator(host)]);

  expect(res.code).toBe(0);
  expect(res.stdout.split('\n').filter((l) => l.startsWith('would '))).toEqual(['would write units/dn.container', 'would daemon-reload', 'would start dn.service']);
  expect(existsSync(join(unitDir, 'dn.container'))).toBe(false);
  expect((await host.exec(['systemctl', 'show', '-P', 'LoadState', 'dn.service'])).stdout.trim()).toBe(before);
  expect(existsSync(stateDir) ? readdirSync(stateDir).filter((f) => f !== 'reconcile.lock') : []).toEqual([]);
});
