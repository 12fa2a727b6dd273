import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gitPass, type GitPassReport } from '../../src/reconcile/source.js';
import { gitSource, type GitSource } from '../../src/store/state/git-source.js';
import { writeInstallIntent } from '../../src/store/state/install-intents.js';
import { writeIntent } from '../../src/store/state/intents.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { gitIn } from '../support/git.js';
import { hostGenerator, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

// The reconciler on the real test host: a real local git repository with real
// commits as the source, the host's own Quadlet generator as the judge, its
// systemd over D-Bus. App ids start with `rc-` so they never meet other suites' units.

const host = useHost();
// A pass prunes units of ours its manifests do not name: it gets a directory no other suite writes to meanwhile.
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-reconcile-e2e-'));
const repo = join(work, 'repo');
const stateDir = join(work, 'state');
let systemd: SystemdPort;
let source: GitSource;
const generator = [hostGenerator(host)];

const git = gitIn(repo);

/**
 * A long-running busybox app; `extra` is appended YAML. It exits within a second of SIGTERM; the stop timeout is
 * only a bound for a loaded machine, where podman's SIGKILL after a short one would leave the unit `failed`.
 */
function manifest(id: string, environment: Record<string, string>, extra = ''): string {
  return appManifest(id, { stopTimeout: '30s', environment, extra });
}

/** Commits `files` (path under manifests/ → YAML, or null to delete) and returns the commit id. */
function commit(files: Record<string, string | null>, message: string): string {
  for (const [name, text] of Object.entries(files)) {
    const path = join(repo, 'manifests', name);
    if (text === null) unlinkSync(path);
    else writeFileSync(path, `${text}\n`);
  }
  git('add', '-A', '.');
  git('commit', '-q', '--allow-empty', '-m', message);
  return git('rev-parse', 'HEAD');
}

async function pass(extra: { podmanVersion?: string; dryRun?: boolean } = {}): Promise<GitPassReport> {
  return gitPass(source, { unitDir, stateDir, systemd, generator, pollMs: 100, allowEmpty: true, ...extra });
}

async function unit(service: string): Promise<{ activeState: string; invocationId: string }> {
  const { value } = await systemd.getUnitProperties(service);
  return { activeState: value.activeState ?? '', invocationId: value.invocationId ?? '' };
}

/**
 * Waits until systemd has finished stopping `service`: a stop job returns at once, and a pass holds an app whose
 * unit is still `deactivating` (however long that takes on a loaded machine).
 */
async function untilStopped(service: string): Promise<void> {
  await until(`${service} inactive`, () => unit(service).then((u) => u.activeState), (s) => s !== 'active' && s !== 'deactivating' && s !== 'activating');
}

/** Runs `fn` with the clock every Date reads pinned at `ms` (the pass's back-off decisions read Date.now()). */
async function at<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'], now: ms });
  try {
    return await fn();
  } finally {
    vi.useRealTimers();
  }
}

function unitText(name: string): string | undefined {
  const path = join(unitDir, name);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

beforeAll(async () => {
  mkdirSync(join(repo, 'manifests'), { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
  source = gitSource({ url: `file://${repo}`, ref: 'main', stateDir });
});

afterAll(async () => {
  for (const id of ['rc-a', 'rc-b', 'rc-c', 'rc-d']) {
    await systemd.stopUnit(`${id}.service`).catch(() => undefined);
    rmSync(join(unitDir, `${id}.container`), { force: true });
  }
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(work, { recursive: true, force: true });
});

describe('reconcile from a git repository on the real host', () => {
  it('a new manifest committed → its unit appears and runs; the applied commit is reported', async () => {
    const c1 = commit({ 'rc-a.yaml': manifest('rc-a', { A: '1' }), 'rc-b.yaml': manifest('rc-b', { B: '1' }) }, 'add rc-a, rc-b');
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.commit).toBe(c1);
    expect(r.planned).toEqual(['write units/rc-a.container', 'write units/rc-b.container', 'daemon-reload', 'start rc-a.service', 'start rc-b.service']);
    expect(r.counters).toMatchObject({ reloads: 1, starts: 2, restarts: 0 });
    expect(unitText('rc-a.container')).toContain('Environment=A=1');
    expect((await unit('rc-a.service')).activeState).toBe('active');
    expect((await unit('rc-b.service')).activeState).toBe('active');
    expect(JSON.parse(readFileSync(join(stateDir, 'source.json'), 'utf8')).commit).toBe(c1);
  });

  it('an env var changed in one manifest → only that app restarts, with one reload', async () => {
    const a = await unit('rc-a.service');
    const b = await unit('rc-b.service');
    commit({ 'rc-a.yaml': manifest('rc-a', { A: '2' }) }, 'rc-a: A=2');
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual(['write units/rc-a.container', 'daemon-reload', 'restart rc-a.service']);
    expect(r.counters).toMatchObject({ writes: 1, reloads: 1, restarts: 1, starts: 0, stops: 0 });
    const a2 = await unit('rc-a.service');
    expect(a2.activeState).toBe('active');
    expect(a2.invocationId).not.toBe(a.invocationId);
    expect(await unit('rc-b.service')).toEqual(b);
  });

  it('nothing changed → zero writes, zero reloads, zero restarts, files untouched', async () => {
    const before = { a: await unit('rc-a.service'), b: await unit('rc-b.service'), mtime: statSync(join(unitDir, 'rc-a.container')).mtimeMs };
    commit({}, 'an unrelated commit');
    const r = await pass();
    expect(r.planned).toEqual([]);
    expect(r.counters).toEqual({ writes: 0, removes: 0, reloads: 0, starts: 0, stops: 0, restarts: 0, rollbacks: 0 });
    expect(await unit('rc-a.service')).toEqual(before.a);
    expect(await unit('rc-b.service')).toEqual(before.b);
    expect(statSync(join(unitDir, 'rc-a.container')).mtimeMs).toBe(before.mtime);
  });

  it('a commit that fails validation is not applied; the last good commit stays and the error names the commit', async () => {
    const good = (await pass()).commit;
    const bad = commit({ 'rc-b.yaml': 'id: rc-b\nimage: [not, a, string]\n' }, 'broken rc-b');
    const r = await pass();
    expect(r.commit).toBe(good);
    expect(r.rejected?.commit).toBe(bad);
    expect(r.rejected?.error).toMatch(/rc-b\.yaml:2:\d+ \/image/);
    expect(r.counters.writes + r.counters.restarts + r.counters.reloads).toBe(0);
    expect((await unit('rc-b.service')).activeState).toBe('active');
    // The rejected commit is not retried (no new validation, same report) until the ref moves.
    expect((await pass()).rejected?.commit).toBe(bad);
    commit({ 'rc-b.yaml': manifest('rc-b', { B: '1' }) }, 'fix rc-b');
    const fixed = await pass();
    expect(fixed.rejected).toBeUndefined();
    expect(fixed.commit).toBe(git('rev-parse', 'HEAD'));
    expect(fixed.counters.restarts).toBe(0);
  });

  it('a unit the node\'s generator rejects is not installed; the last good one keeps running, untouched', async () => {
    const before = await unit('rc-b.service');
    const text = unitText('rc-b.container');
    // Memory= is rendered for a podman 5.5 target; the node's 5.4.2 generator does not know the key.
    commit({ 'rc-b.yaml': manifest('rc-b', { B: '1' }, 'memory: 64Mi') }, 'rc-b: memory limit');
    const r = await pass({ podmanVersion: '5.5.0' });
    expect(r.held).toEqual([{ app: 'rc-b', reason: expect.stringMatching(/^the Quadlet generator rejects units\/rc-b\.container: unsupported key 'Memory' in group 'Container'/) }]);
    expect(r.planned).toEqual([]);
    expect(unitText('rc-b.container')).toBe(text);
    expect(await unit('rc-b.service')).toEqual(before);
    commit({ 'rc-b.yaml': manifest('rc-b', { B: '1' }) }, 'rc-b: no memory limit');
    expect((await pass()).held).toEqual([]);
  });

  it('install/remove intents over the manifest state: remove → stopped and gone; install → back', async () => {
    await writeInstallIntent(stateDir, 'rc-a', 'absent');
    const r = await pass();
    expect(r.done).toEqual(['stop rc-a.service', 'remove units/rc-a.container', 'daemon-reload', 'forget rc-a']);
    expect(unitText('rc-a.container')).toBeUndefined();
    await writeInstallIntent(stateDir, 'rc-a', 'present');
    const back = await pass();
    expect(back.done).toEqual(['write units/rc-a.container', 'daemon-reload', 'start rc-a.service']);
    expect((await unit('rc-a.service')).activeState).toBe('active');
  });

  it('a user-stopped app stays stopped: re-rendered without [Install], reloaded, not started', async () => {
    await writeIntent(stateDir, 'rc-a', 'stopped');
    await systemd.stopUnit('rc-a.service');
    await untilStopped('rc-a.service');
    const r = await pass();
    expect(r.done).toEqual(['write units/rc-a.container', 'daemon-reload']);
    expect(unitText('rc-a.container')).not.toContain('[Install]');
    expect((await unit('rc-a.service')).activeState).toBe('inactive');
    expect((await pass()).planned).toEqual([]);
  });

  it("between a user's start/stop and the manifest's state, the later one wins", async () => {
    // rc-a is user-stopped (previous test). The user starts it: the intent is newer than any state the node saw.
    await writeIntent(stateDir, 'rc-a', 'running');
    expect((await pass()).done).toEqual(['write units/rc-a.container', 'daemon-reload', 'start rc-a.service']);
    expect((await unit('rc-a.service')).activeState).toBe('active');
    // A commit says `state: stopped` after that click: the manifest is later, it wins (the click is not a newer one).
    commit({ 'rc-a.yaml': manifest('rc-a', { A: '2' }, 'state: stopped') }, 'rc-a: stopped');
    expect((await pass()).done).toEqual(['stop rc-a.service', 'write units/rc-a.container', 'daemon-reload']);
    expect(unitText('rc-a.container')).not.toContain('[Install]');
    // The stop job returns at once; the user's next click comes once the app is down.
    await untilStopped('rc-a.service');
    expect((await unit('rc-a.service')).activeState).toBe('inactive');
    // The user starts it again: now the click is later.
    await writeIntent(stateDir, 'rc-a', 'running');
    expect((await pass()).done).toEqual(['write units/rc-a.container', 'daemon-reload', 'start rc-a.service']);
    expect((await unit('rc-a.service')).activeState).toBe('active');
    expect((await pass()).planned).toEqual([]);
  });

  // rc-c's back-off runs out on the clock, and a pass after that retries it: this test is the last that keeps rc-c,
  // so no other test's steps depend on how long the machine took. Its own passes read a pinned clock.
  it('an update that never gets healthy is rolled back to its last-good files and runs again; not retried before its back-off ends', async () => {
    // The broken revision fails by systemd's start timeout; the same timeout bounds the healthy start and the
    // rollback's gate, so it leaves a loaded machine room (a healthy start takes about 2 s on a quiet one).
    const health = (cmd: string) => `health:\n  cmd: [${cmd}]\n  interval: 1s\n  retries: 1\nstartTimeout: 20s`;
    commit({ 'rc-c.yaml': manifest('rc-c', { C: '1' }, health('"true"')) }, 'add rc-c (healthy)');
    const first = await pass();
    expect(first.failures).toEqual([]);
    expect((await unit('rc-c.service')).activeState).toBe('active');
    const good = unitText('rc-c.container');

    commit({ 'rc-c.yaml': manifest('rc-c', { C: '2' }, health('"false"')) }, 'rc-c: broken health check');
    const r = await pass();
    expect(r.counters.rollbacks).toBe(1);
    expect(r.failures).toEqual([
      { app: 'rc-c', step: 'restart rc-c.service', error: expect.stringMatching(/^update of rc-c failed: rc-c\.service .*; rolled back to its last-good files, running again$/) },
    ]);
    expect(unitText('rc-c.container')).toBe(good);
    expect((await unit('rc-c.service')).activeState).toBe('active');
    expect(r.requeueAt).toEqual(expect.any(String));

    // The last instant before the back-off ends: held, nothing done.
    const nextAt = Date.parse(r.requeueAt!);
    const again = await at(nextAt - 1, () => pass());
    expect(again.held).toEqual([{ app: 'rc-c', reason: expect.stringMatching(/^waiting to retry rc-c \(attempt 1 of 5, next at \S+, last failure: rc-c\.service .*\); running its last-good files$/), retryAt: r.requeueAt }]);
    expect(again.requeueAt).toBe(r.requeueAt);
    expect(again.planned).toEqual([]);
    expect(again.counters).toMatchObject({ writes: 0, reloads: 0, restarts: 0 });
    expect(unitText('rc-c.container')).toBe(good);
    // When it ends, the same revision is tried again (planned only: a dry run changes nothing).
    const due = await at(nextAt, () => pass({ dryRun: true }));
    expect(due.held).toEqual([]);
    expect(due.planned).toEqual(['write units/rc-c.container', 'daemon-reload', 'restart rc-c.service']);
    expect(unitText('rc-c.container')).toBe(good);
  }, 120_000);

  it('a manifest deleted → its app stopped and its unit gone', async () => {
    commit({ 'rc-c.yaml': null }, 'drop rc-c');
    const r = await pass();
    expect(r.done).toEqual(['stop rc-c.service', 'remove units/rc-c.container', 'daemon-reload', 'forget rc-c']);
    expect(unitText('rc-c.container')).toBeUndefined();
    const { value } = await systemd.listUnitsByNames(['rc-c.service']);
    expect(value[0]?.loadState).toBe('not-found');
  });
});
