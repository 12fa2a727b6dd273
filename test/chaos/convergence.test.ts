import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus, RetryStatus } from '../../src/controller/types.js';
import { MAX_UPDATE_ATTEMPTS } from '../../src/reconcile/backoff.js';
import { appService } from '../../src/naming.js';
import { createSystemd } from '../../src/systemd/client.js';
import type { SystemdPort } from '../../src/systemd/types.js';
import { loadOrCreateToken } from '../../src/store/state/token.js';
import { useHost } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { msSince, recordFigures } from '../support/chaos-figures.js';
import { hostArgs, hostCli, reconcileArgs, startServeChild, type ServeChild } from '../support/cli.js';
import { gitIn } from '../support/git.js';
import { followEvents, type RecordedEvent } from '../support/sse.js';
import { eventually } from '../support/wait.js';

// Convergence without a human (issue "Convergence"), on the real host, with the node's daemon as it runs in
// production: `serve --watch --git URL` fetching a real local repository every second.
// 0. The reconciler's own starts reset systemd's start rate limit: 4 revisions of an app that allows 2 starts per
//    hour all run; when systemd does refuse the app (restarts from outside), the daemon heals it.
// 1. A burst of commits to one app: every one restarts it (the reconciler's restarts reset systemd's start rate
//    limit), and it ends on the last revision, running; the start limit never trips.
// 2. A revision that exits 1: rolled back to its last-good files (running), backed off with the attempt, the next
//    time and the last failure visible in `status --json` and on the event stream; retried after each back-off
//    until its attempts are used up; then a fixed revision is applied at once and the back-off is gone.

const host = useHost();
const work = mkdtempSync(join(tmpdir(), 'aq-chaos-convergence-'));
const repo = join(work, 'repo');
const stateDir = join(work, 'state');
const BURST = 8;
let systemd: SystemdPort;
let daemon: Daemon | undefined;

const git = gitIn(repo);

function commit(id: string, yaml: string, message: string): string {
  mkdirSync(join(repo, 'manifests'), { recursive: true });
  writeFileSync(join(repo, 'manifests', `${id}.yaml`), yaml);
  git('add', '-A', '.');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

interface Daemon extends ServeChild {
  /** Every app status the daemon's SSE stream delivered (snapshots' and state events'), in order. */
  readonly events: AppStatus[];
}

/** The statuses in a stream's snapshots and state events, in order. */
function statusesOf(messages: readonly RecordedEvent[]): AppStatus[] {
  return messages.flatMap((m) => (m.event === 'state' && m.data.status ? [m.data.status as AppStatus] : m.event === 'snapshot' && m.data.apps ? (m.data.apps as AppStatus[]) : []));
}

/** `serve --watch --git` on the host's bus, with its SSE stream followed from the start. */
async function startDaemon(token: string): Promise<Daemon> {
  const child = await startServeChild([...hostArgs(host, { stateDir }), 'serve', '--listen', '127.0.0.1:0', '--watch', '--interval', '1s', '--git', `file://${repo}`, '--allow-empty', ...reconcileArgs(host)]);
  const stream = followEvents(child.url, token, { headers: { accept: 'text/event-stream' } });
  return {
    ...child,
    get events() {
      return statusesOf(stream.messages);
    },
    async stop(signal) {
      stream.close();
      return child.stop(signal);
    },
  };
}

async function unitState(id: string): Promise<{ activeState: string; result: string; job: boolean }> {
  const row = (await systemd.listUnitsByNames([appService(id)])).value[0];
  const props = (await systemd.getUnitProperties(appService(id))).value;
  return { activeState: row?.activeState ?? '', result: props.result ?? '', job: row?.job !== null && row?.job !== undefined };
}

function unitText(id: string): string {
  try {
    return readFileSync(join(host.unitDir, `${id}.container`), 'utf8');
  } catch {
    return '';
  }
}

/** `status --json` from a separate process (no reconciler in it): what it says of `id`. */
async function statusJson(id: string): Promise<AppStatus | undefined> {
  const r = await hostCli(host, { stateDir, manifests: join(repo, 'manifests') }, ['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { apps: AppStatus[] }).apps.find((a) => a.id === id);
}

beforeAll(async () => {
  mkdirSync(join(repo, 'manifests'), { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  systemd = createSystemd({ address: host.busAddress });
  await systemd.ready();
});

afterAll(async () => {
  await daemon?.stop();
  for (const id of ['cv-burst', 'cv-broken', 'cv-limit']) {
    await systemd.stopUnit(appService(id)).catch(() => undefined);
    rmSync(join(host.unitDir, `${id}.container`), { force: true });
  }
  await systemd.reload().catch(() => undefined);
  await systemd.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the daemon converges without a human', () => {
  it("the reconciler's own starts never trip the start limit (StartLimitBurst=2 per hour), and it heals an app that did", async () => {
    // Deterministic, whatever the machine's load: 4 starts of the same app within the hour, 2 allowed.
    const limited = (v: number): string =>
      `${appManifest('cv-limit', { environment: { V: String(v) }, stopTimeout: '2s' })}quadlet:\n  Unit:\n    StartLimitIntervalSec: "1h"\n    StartLimitBurst: "2"\n`;
    commit('cv-limit', limited(0), 'cv-limit 0');
    daemon = await startDaemon(await loadOrCreateToken(stateDir));
    // Passes of the daemon that started or restarted cv-limit and ended (gate included).
    const passes = (): number => (daemon!.log().match(/info pass done: .*\b(start|restart) cv-limit\.service/g) ?? []).length;
    // Applied: the daemon's pass for it is over, the revision is on disk, and systemd has it active.
    const applied = async (v: number, afterPasses: number): Promise<boolean> => {
      if (passes() <= afterPasses) return false;
      const u = await unitState('cv-limit');
      return unitText('cv-limit').includes(`Environment=V=${v}`) && u.activeState === 'active' && !u.job;
    };
    for (let v = 0; v < 4; v++) {
      const before = passes();
      if (v > 0) commit('cv-limit', limited(v), `cv-limit ${v}`);
      await eventually(() => `cv-limit never ran V=${v}:\n${daemon!.log()}`, () => applied(v, before), { timeoutMs: 120_000 });
    }
    expect((await unitState('cv-limit')).result).toBe('success');
    expect(daemon.log()).not.toMatch(/start-limit-hit/);

    // The limit is real on this host: restarts without the reset, and systemd refuses a start. The daemon's
    // next pass finds the app failed and starts it again (its start resets the limit): no human needed.
    const refusedBefore = daemon.events.length;
    const healedAfter = passes();
    for (let i = 0; i < 3; i++) {
      await systemd.restartUnit(appService('cv-limit')).catch(() => undefined);
      await eventually(() => 'cv-limit did not settle', async () => { const u = await unitState('cv-limit'); return !u.job && u.activeState !== 'activating'; }, { timeoutMs: 60_000 });
    }
    await eventually(() => `systemd never refused cv-limit:\n${JSON.stringify(daemon!.events.slice(refusedBefore))}`, () => daemon!.events.slice(refusedBefore).some((e) => e.id === 'cv-limit' && e.state === 'failed' && e.reason === 'start-limit-hit'), { timeoutMs: 60_000 });
    await eventually(() => `the daemon did not heal cv-limit:\n${daemon!.log()}`, () => applied(3, healedAfter), { timeoutMs: 120_000 });

    git('rm', '-q', 'manifests/cv-limit.yaml');
    git('commit', '-q', '-m', 'drop cv-limit');
    await eventually(() => `cv-limit was not removed:\n${daemon!.log()}`, () => unitText('cv-limit') === '', { timeoutMs: 120_000 });
  }, 400_000);

  it(`${BURST} commits 1 s apart to one app: it ends on the last revision, running; the start limit never trips`, async () => {
    const t0 = performance.now();
    const burst = (v: number): string => appManifest('cv-burst', { environment: { V: String(v) }, stopTimeout: '2s' });
    const from = daemon!.log().length;
    commit('cv-burst', burst(0), 'cv-burst 0');
    await eventually(() => `cv-burst never came up:\n${daemon!.log()}`, async () => unitText('cv-burst').includes('Environment=V=0') && (await unitState('cv-burst')).activeState === 'active', { timeoutMs: 120_000 });

    for (let v = 1; v <= BURST; v++) {
      commit('cv-burst', burst(v), `cv-burst ${v}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Converged: the last revision on disk, the service active with no job, and a dry run plans nothing.
    const last = `Environment=V=${BURST}`;
    await eventually(
      () => `cv-burst did not converge on V=${BURST}: ${unitText('cv-burst').match(/Environment=V=\d+/)?.[0]}\n${daemon!.log()}`,
      async () => {
        const u = await unitState('cv-burst');
        return unitText('cv-burst').includes(last) && u.activeState === 'active' && !u.job && !/restart cv-burst\.service$/m.test(daemon!.log().split('\n').slice(-3).join('\n'));
      },
      { timeoutMs: 180_000 },
    );
    const log = daemon!.log().slice(from);
    const restarts = (log.match(/info restart cv-burst\.service$/gm) ?? []).length;
    recordFigures('convergence-git-burst', { commits: BURST, 'restarts of the app': restarts, 'start-limit-hit in the log': (log.match(/start-limit-hit/g) ?? []).length, 'rollbacks': (log.match(/rollback cv-burst/g) ?? []).length, durationMs: msSince(t0) });
    expect(log).not.toMatch(/start-limit-hit/);
    expect(log).not.toMatch(/rollback cv-burst/);
    expect(daemon!.events.filter((s) => s.id === 'cv-burst' && s.state === 'failed')).toEqual([]);
    expect((await unitState('cv-burst')).result).toBe('success');
    expect(restarts).toBeGreaterThan(0);
  }, 400_000);

  it('a revision that exits 1: rolled back and running, back-off visible in status --json and SSE, bounded; a fixed revision is applied at once', async () => {
    const t0 = performance.now();
    const good = appManifest('cv-broken', { environment: { V: 'good' }, stopTimeout: '2s' });
    commit('cv-broken', good, 'cv-broken good');
    await eventually(() => `cv-broken never came up:\n${daemon!.log()}`, async () => unitText('cv-broken').includes('Environment=V=good') && (await unitState('cv-broken')).activeState === 'active', { timeoutMs: 120_000 });
    const goodText = unitText('cv-broken');

    commit('cv-broken', appManifest('cv-broken', { command: 'echo broken; exit 1', environment: { V: 'bad' }, stopTimeout: '2s' }), 'cv-broken: exits 1');
    const retries = (): RetryStatus[] => daemon!.events.filter((s) => s.id === 'cv-broken' && s.retry).map((s) => s.retry!);
    // Attempt 1 fails, is rolled back, and backs off: the event stream says so, the app runs its last-good files.
    await eventually(() => `no back-off on the event stream:\n${daemon!.log()}`, () => retries().some((r) => r.attempt === 1 && r.rolledBack === true), { timeoutMs: 180_000 });
    const first = retries().find((r) => r.attempt === 1 && r.rolledBack)!;
    expect(first).toEqual({ attempt: 1, maxAttempts: MAX_UPDATE_ATTEMPTS, nextAt: expect.any(String), lastFailure: expect.stringMatching(/^cv-broken\.service /), rolledBack: true });
    expect(unitText('cv-broken')).toBe(goodText);
    expect((await unitState('cv-broken')).activeState).toBe('active');
    // A process without the reconciler reads the same back-off from the app's record.
    const seen = await statusJson('cv-broken');
    expect(seen?.state).toBe('running');
    expect(seen?.retry).toMatchObject({ attempt: 1, maxAttempts: MAX_UPDATE_ATTEMPTS, rolledBack: true });

    // Retried after each back-off (10 s, 20 s, 40 s, 80 s), never sooner, until the attempts are used up.
    await eventually(() => `attempts seen: ${retries().map((r) => r.attempt).join(',')}\n${daemon!.log()}`, () => retries().some((r) => r.attempt === MAX_UPDATE_ATTEMPTS && r.rolledBack === true), { timeoutMs: 420_000 });
    const spent = retries().find((r) => r.attempt === MAX_UPDATE_ATTEMPTS && r.rolledBack)!;
    expect(spent.nextAt).toBeUndefined();
    const attempts = [...new Set(retries().map((r) => r.attempt))];
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    // Each attempt is one restart (logged with its time) and one rollback: the broken revision took the good
    // version down 5 times, not more, and never before its back-off had passed.
    const restartTimes = [...daemon!.log().matchAll(/^(\S+) info restart cv-broken\.service$/gm)].map((m) => Date.parse(m[1]!));
    expect(restartTimes.length).toBe(MAX_UPDATE_ATTEMPTS);
    expect((daemon!.log().match(/info rollback cv-broken to its last-good files/g) ?? []).length).toBe(MAX_UPDATE_ATTEMPTS);
    const rolledBack = retries().filter((r) => r.rolledBack);
    for (let a = 1; a < MAX_UPDATE_ATTEMPTS; a++) {
      const nextAt = Date.parse(rolledBack.find((r) => r.attempt === a)!.nextAt!);
      expect(restartTimes[a]!, `attempt ${a + 1} began before attempt ${a}'s back-off ended`).toBeGreaterThanOrEqual(nextAt);
    }
    const restarts = restartTimes.length;
    expect(unitText('cv-broken')).toBe(goodText);
    expect((await unitState('cv-broken')).activeState).toBe('active');
    expect((await statusJson('cv-broken'))?.retry).toMatchObject({ attempt: MAX_UPDATE_ATTEMPTS });

    // A fixed revision: applied on the next fetch, the back-off gone everywhere.
    commit('cv-broken', appManifest('cv-broken', { environment: { V: 'fixed' }, stopTimeout: '2s' }), 'cv-broken: fixed');
    await eventually(() => `the fixed revision was not applied:\n${daemon!.log()}`, async () => unitText('cv-broken').includes('Environment=V=fixed') && (await unitState('cv-broken')).activeState === 'active', { timeoutMs: 120_000 });
    await eventually(() => `the back-off was not cleared on the event stream:\n${daemon!.log()}`, () => { const last = daemon!.events.filter((s) => s.id === 'cv-broken').at(-1); return last?.state === 'running' && last.retry === undefined; }, { timeoutMs: 60_000 });
    expect((await statusJson('cv-broken'))?.retry).toBeUndefined();
    recordFigures('convergence-broken-revision', { attempts: attempts.length, 'restarts of the app': restarts, 'rollbacks': MAX_UPDATE_ATTEMPTS, 'max attempts': MAX_UPDATE_ATTEMPTS, durationMs: msSince(t0) });
  }, 900_000);
});
