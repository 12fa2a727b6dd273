import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, useHost, type TestHost } from '../host/index.js';
import { startTestHost, type StartedHost } from '../host/start.js';
import { assertBuilt } from '../support/cli.js';
import { systemNode, type NodeUnderTest } from '../support/node.js';
import { until } from '../support/wait.js';

// Issue 17: an instance the user stopped on its own stays stopped across a reboot of the node, with no daemon and no
// pass: what the boot starts is the unit files' doing alone (the app unit's [Install] and its Wants=). A host of its
// own with a persistent root (the shared one is volatile), rootful, through the command line.

const ID = 'tir';
const STEP_MS = 300_000;
let started: StartedHost | undefined;
let host: TestHost;
let node: NodeUnderTest;
let dirs: { stateDir: string; manifests: string };

const active = async (unit: string): Promise<string> => (await host.exec(['systemctl', 'is-active', unit])).stdout.trim();

beforeAll(async () => {
  assertBuilt();
  started = await startTestHost({ name: `${useHost().name}-tir`.slice(0, 63), persistent: true, log: (l) => void process.stderr.write(`[testhost] ${l}\n`) });
  host = started.host;
  node = systemNode(host);
  dirs = { stateDir: node.tempDir('aq-tir-state-'), manifests: node.tempDir('aq-tir-manifests-') };
  mkdirSync(dirs.manifests, { recursive: true });
  writeFileSync(
    join(dirs.manifests, `${ID}.yaml`),
    `id: ${ID}\nimage: ${BUSYBOX_IMAGE}\ninstances: ["1", "2"]\ncommand: [sh, -c, 'trap "exit 0" TERM; echo started %i; while true; do sleep 1; done']\nstop:\n  timeout: 5s\n`,
  );
}, STEP_MS);

afterAll(async () => {
  await started?.stop();
}, STEP_MS);

describe('an instance stopped on its own, across a reboot (rootful, persistent root)', () => {
  it('comes back stopped while the other instance comes back running, before any pass; a pass after leaves it so', { timeout: STEP_MS }, async () => {
    const applied = await node.cli(dirs, ['apply']);
    expect(applied.code, applied.stderr).toBe(0);
    for (const i of ['1', '2']) expect(await active(`${ID}@${i}.service`), i).toBe('active');
    const stop = await node.cli(dirs, ['stop', `${ID}@2`]);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`^${ID}@2: stopping \\(stop job \\d+ queued\\)$`, 'm'));

    const oldPid = host.pid;
    await started!.reboot();
    expect(host.pid).not.toBe(oldPid);
    // Booted means the boot's jobs are done: the app unit's [Install] started it, and it wanted instance 1 alone.
    await until('the boot finished', async () => (await host.exec(['systemctl', 'is-system-running'])).stdout.trim(), (s) => s === 'running' || s === 'degraded', { timeoutMs: 120_000 });
    expect(await active(`${ID}.service`)).toBe('active');
    expect(await active(`${ID}@1.service`)).toBe('active');
    expect(await active(`${ID}@2.service`)).toBe('inactive');
    expect(await host.execOk(['podman', 'ps', '--format', '{{.Names}}'])).toBe(`${ID}-1\n`);

    const again = await node.cli(dirs, ['apply']);
    expect(again.code, again.stderr).toBe(0);
    expect(await active(`${ID}@2.service`)).toBe('inactive');
    expect(await active(`${ID}@1.service`)).toBe('active');
    const start = await node.cli(dirs, ['start', `${ID}@2`, '--wait']);
    expect(start.stdout).toMatch(new RegExp(`${ID}@2: running \\(job done\\)\\n$`));
  });
});
