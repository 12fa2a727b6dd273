import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, StateEvent } from '../../src/controller/types.js';
import { runPass } from '../../src/reconcile/pass.js';
import { readIntent } from '../../src/store/state/intents.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { appManifest, MISSING_IMAGE_UNIT, QUICK_UNIT, slowStopUnit } from '../support/apps.js';
import { assertBuilt, hostArgs, runCli, runCliOk, spawnCli } from '../support/cli.js';
import { controllerOnHost, newStateDir } from '../support/controller.js';
import { hostGenerator, installUnits, removeUnits } from '../support/host.js';

// The controller across process deaths, through the real command line
// (`bin/archy-quadlet`, built by `npm run build`) on the real test host.

const host = useHost();
const work = mkdtempSync(join(tmpdir(), 'aq-ctl-restart-'));
let systemd: SystemdPort;

function cli(stateDir: string, ...args: string[]): string[] {
  return [...hostArgs(host, { stateDir }), ...args];
}

/** Resolves with the child's stdout so far once it contains `text`. */
function waitForOutput(child: ChildProcessWithoutNullStreams, text: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`)), timeoutMs);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(text)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

beforeAll(async () => {
  assertBuilt();
  await installUnits(host, { 'ctl-kill': slowStopUnit(12), 'ctl-wait': QUICK_UNIT, 'ctl-bad': MISSING_IMAGE_UNIT });
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  await systemd?.close();
  await removeUnits(host, ['ctl-kill', 'ctl-keep', 'ctl-wait', 'ctl-bad']);
  rmSync(work, { recursive: true, force: true });
});

describe('controller restarts', () => {
  const stateDir = newStateDir();

  it('killed (-9) mid-stop and started again: reports stopping from systemd at once, then stopped', async () => {
    const first = await controllerOnHost(host, ['ctl-kill'], { stateDir });
    await first.controller.start('ctl-kill');
    await first.waitFor('ctl-kill', 'running');
    await first.close();

    const child = spawnCli(cli(stateDir, 'stop', 'ctl-kill', '--unit-dir', host.unitDir, '--wait'));
    const out = await waitForOutput(child, 'ctl-kill: stopping');
    expect(out).toMatch(/^ctl-kill: stopping \(stop job \d+ queued\)$/m);
    const gone = exited(child);
    child.kill('SIGKILL');
    expect((await gone).signal).toBe('SIGKILL');
    expect((await readIntent(stateDir, 'ctl-kill'))?.intent).toBe('stopped');

    // A new controller process (the CLI) sees the stop still in flight.
    const { stdout } = await runCliOk(cli(stateDir, '--json', 'status', '--unit-dir', host.unitDir));
    const status = (JSON.parse(stdout) as { apps: AppStatus[] }).apps.find((s) => s.id === 'ctl-kill');
    expect(status).toMatchObject({ id: 'ctl-kill', state: 'stopping', activeState: 'deactivating', intent: 'stopped', job: { type: 'stop' } });
    expect(status!.deadline).toBeDefined();

    // And so does one in this process, at once, then follows it to the end.
    const again = await controllerOnHost(host, ['ctl-kill'], { stateDir });
    try {
      expect(again.controller.get('ctl-kill')?.state).toBe('stopping');
      await again.waitFor('ctl-kill', 'stopped', 60_000);
      expect(again.states('ctl-kill')).toEqual(['stopping', 'stopped']);
    } finally {
      await again.close();
    }
  });

  it('start|stop --wait follow the job to its end; a failed job exits 3', async () => {
    const started = await runCliOk(cli(stateDir, 'start', 'ctl-wait', '--wait', '--unit-dir', host.unitDir));
    expect(started.stdout).toMatch(/^ctl-wait: starting \(start job \d+ queued\)\nctl-wait: running \(job done\)\n$/);
    const stopped = await runCliOk(cli(stateDir, 'stop', 'ctl-wait', '--wait', '--unit-dir', host.unitDir));
    expect(stopped.stdout).toMatch(/^ctl-wait: stopping \(stop job \d+ queued\)\nctl-wait: stopped \(job done\)\n$/);
    const bad = await runCli(cli(stateDir, 'start', 'ctl-bad', '--wait', '--unit-dir', host.unitDir));
    expect(bad.code, bad.stdout + bad.stderr).toBe(3);
    expect(bad.stdout).toMatch(/^ctl-bad: failed \(exit-code\) \(job failed\)$/m);
    expect(bad.stderr).toMatch(/ctl-bad\.service: the start job ended "failed", state failed \(exit-code\); see journalctl -u ctl-bad\.service/);
    const unknown = await runCli(cli(stateDir, 'stop', 'nope', '--unit-dir', host.unitDir));
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/app "nope" not found/) });
  });

  it('status --watch --json streams state changes until SIGINT', async () => {
    const child = spawnCli(cli(stateDir, '--json', 'status', '--watch', '--unit-dir', host.unitDir));
    await waitForOutput(child, '"id":"ctl-kill"');
    const lines: string[] = [];
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      lines.push(...parts);
    });
    const c = await controllerOnHost(host, ['ctl-kill'], { stateDir });
    try {
      await c.controller.start('ctl-kill');
      await c.waitFor('ctl-kill', 'running');
    } finally {
      await c.close();
    }
    const deadline = Date.now() + 10_000;
    const states = (): string[] => lines.map((l) => JSON.parse(l) as StateEvent).filter((e) => e.seq !== undefined).map((e) => e.status.state);
    while (!states().includes('running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // The first event may be the intent change alone (state still stopped).
    expect(states().filter((s, i, a) => a[i - 1] !== s && s !== 'stopped')).toEqual(['starting', 'running']);
    expect(states()[states().length - 1]).toBe('running');
    const done = exited(child);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });

  it('a user-stopped app stays stopped after a controller restart, a daemon-reload and a reconcile pass', async () => {
    const manifests = join(work, 'manifests');
    mkdirSync(manifests, { recursive: true });
    writeFileSync(join(manifests, 'ctl-keep.yaml'), appManifest('ctl-keep'));
    const generator = [hostGenerator(host)];
    const pass = () => runPass({ manifestsDir: manifests, stateDir, unitDir: host.unitDir, systemd, generator, pollMs: 100, allowEmpty: true });
    const installed = await pass();
    expect(installed.done).toContain('start ctl-keep.service');

    const c1 = await controllerOnHost(host, ['ctl-keep'], { stateDir });
    await c1.waitFor('ctl-keep', 'running');
    await c1.controller.stop('ctl-keep');
    await c1.waitFor('ctl-keep', 'stopped');
    await c1.close();

    const c2 = await controllerOnHost(host, ['ctl-keep'], { stateDir });
    try {
      expect(c2.controller.get('ctl-keep')).toMatchObject({ state: 'stopped', intent: 'stopped' });
      await systemd.reload();
      const r = await pass();
      expect(r.done).not.toContain('start ctl-keep.service');
      expect(r.failures).toEqual([]);
      await new Promise((res) => setTimeout(res, 2000));
      expect(c2.controller.get('ctl-keep')).toMatchObject({ state: 'stopped', intent: 'stopped', activeState: 'inactive' });
      expect(c2.states('ctl-keep')).toEqual(['stopped']);
    } finally {
      await c2.close();
    }
  });
});
