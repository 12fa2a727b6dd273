import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalFollower } from '../../src/api/journalctl.js';
import type { RunningServer } from '../../src/api/server.js';
import { followHealth } from '../../src/cli/health-feed.js';
import type { HealthWatch } from '../../src/podman/health-events.js';
import { BUSYBOX_IMAGE, useHost } from '../host/index.js';
import { apiOnHost, type HostApi } from '../support/api.js';
import { record, type Recorder } from '../support/controller.js';
import { hostVia } from '../support/host.js';
import { followEvents, type EventStream, type RecordedEvent } from '../support/sse.js';
import { until } from '../support/wait.js';

// The live journal (GET /api/apps/:id/journal) and podman's health on the real host: a container writes numbered
// lines; they arrive over the stream, a resume from the last cursor loses none and repeats none, and no journalctl
// outlives its client. A health check goes starting → healthy → unhealthy → healthy as podman says, and the app's
// state stays running meanwhile.

const host = useHost();
const COUNTER = `trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "count $i"; sleep 0.2; done`;
const UNITS = {
  jx: ['[Unit]', 'Description=test app jx: counts', '', '[Container]', `Image=${BUSYBOX_IMAGE}`, `Exec=sh -c '${COUNTER}'`, ''].join('\n'),
  hx: [
    '[Unit]', 'Description=test app hx: healthy once /tmp/ready exists', '', '[Container]', `Image=${BUSYBOX_IMAGE}`, 'ContainerName=hx',
    `Exec=sh -c 'trap "exit 0" TERM; sleep 2; touch /tmp/ready; while true; do sleep 1; done'`,
    'HealthCmd=test -f /tmp/ready', 'HealthInterval=1s', 'HealthStartPeriod=0s', 'HealthRetries=2', '',
  ].join('\n'),
};

let api: HostApi;
let server: RunningServer;
let health: HealthWatch;
let rec: Recorder;
/** What the health watch logged (a reader that ended, a list that failed). */
const healthLog: string[] = [];

/** The counter values of `line` events, in arrival order. */
const counts = (messages: readonly RecordedEvent[]): number[] =>
  messages.filter((m) => m.event === 'line' && /^count \d+$/.test(m.data.message)).map((m) => Number(m.data.message.slice(6)));
/** journalctl processes inside the host that follow `unit`. */
const followers = async (unit: string): Promise<string[]> =>
  (await host.exec(['pgrep', '-a', 'journalctl'])).stdout.split('\n').filter((l) => l.includes('--follow') && l.includes(unit));
const stream = (path: string, headers: Record<string, string> = {}): EventStream => followEvents(server.url, api.token, { path, headers });

beforeAll(async () => {
  api = await apiOnHost(host, [
    { id: 'jx', unit: UNITS.jx },
    { id: 'hx', unit: UNITS.hx, health: true },
  ]);
  server = await api.listen({ follow: journalFollower({ via: hostVia(host) }), maxFollowers: 3 });
  rec = record(api.controller);
  health = followHealth(api.controller, { via: hostVia(host), log: (m) => void healthLog.push(m) });
  await api.systemd.startUnit('jx.service', 'replace');
  await api.waitFor('jx', 'running');
});

afterAll(async () => {
  health?.stop();
  rec?.stop();
  await api?.close();
});

describe('GET /api/apps/:id/journal: the journal, live', () => {
  it('sends the last lines first, then new lines as the container writes them, each with its cursor as the id', async () => {
    const s = stream('/api/apps/jx/journal?lines=5');
    try {
      const res = await s.response;
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      // Five lines from before, then the container's next ones.
      const first = await s.next((m) => m.event === 'line');
      expect(first.id).toMatch(/^s=[0-9a-f]+;i=[0-9a-f]+;b=/);
      expect(first.data.unit).toBe('jx.service');
      expect(first.data.line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 \S+ \S+(\[\d+\])?: /);
      const before = counts(s.messages).at(-1)!;
      await s.next((m) => m.event === 'line' && Number(/^count (\d+)$/.exec(m.data.message)?.[1]) >= before + 10, 30_000);
      const seen = counts(s.messages);
      expect(seen.slice(1)).toEqual(seen.slice(1).map((_, i) => seen[0]! + i + 1));
    } finally {
      s.close();
    }
  });

  it('a resume with Last-Event-ID gets every line after it and none before, however many were written meanwhile', async () => {
    const a = stream('/api/apps/jx/journal?lines=3');
    await a.next((m) => m.event === 'line' && /^count/.test(m.data.message));
    await until('a few live lines', async () => counts(a.messages).length, (n) => n >= 8, { timeoutMs: 30_000 });
    a.close();
    const lastLine = [...a.messages].reverse().find((m) => m.event === 'line')!;
    const lastCount = counts(a.messages).at(-1)!;
    // Paused: the container goes on counting.
    await until('ten lines written while paused', async () => (await host.journal('jx.service', 1)), (out) => Number(/count (\d+)/.exec(out)?.[1]) >= lastCount + 10, { timeoutMs: 30_000 });
    const b = stream('/api/apps/jx/journal?lines=3', { 'last-event-id': lastLine.id! });
    try {
      await b.next((m) => m.event === 'line' && Number(/^count (\d+)$/.exec(m.data.message)?.[1]) >= lastCount + 12, 30_000);
      const resumed = counts(b.messages);
      expect(resumed[0]).toBe(lastCount + 1);
      expect(resumed).toEqual(resumed.map((_, i) => lastCount + 1 + i));
      expect(b.messages.filter((m) => m.event === 'line').map((m) => m.id)).not.toContain(lastLine.id);
    } finally {
      b.close();
    }
  });

  it('leaves no journalctl running once its clients are gone; past maxFollowers it answers 503 too-many-followers', async () => {
    const open = [stream('/api/apps/jx/journal?lines=1'), stream('/api/apps/jx/journal?lines=1'), stream('/api/apps/jx/journal?lines=1')];
    for (const s of open) await s.next((m) => m.event === 'line');
    expect(await followers('jx.service')).toHaveLength(3);
    const refused = await fetch(`${server.url}/api/apps/jx/journal`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ error: 'too-many-followers' });
    for (const s of open) s.close();
    await until('no journalctl follows jx any more', () => followers('jx.service'), (l) => l.length === 0, { timeoutMs: 20_000 });
    const again = stream('/api/apps/jx/journal?lines=1');
    await again.next((m) => m.event === 'line');
    again.close();
    await until('none again', () => followers('jx.service'), (l) => l.length === 0, { timeoutMs: 20_000 });
  });

  it('a cursor journalctl cannot seek to: an error event with journalctl\'s words, and the stream ends', async () => {
    const s = stream('/api/apps/jx/journal', { 'last-event-id': 's=1;i=2' });
    try {
      const error = await s.next((m) => m.event === 'error', 30_000);
      expect(error.data).toMatchObject({ error: 'journal-failed' });
      expect(error.data.message).toMatch(/Failed to seek to cursor/);
      expect(s.messages.filter((m) => m.event === 'line')).toEqual([]);
    } finally {
      s.close();
    }
    await until('no journalctl follows jx', () => followers('jx.service'), (l) => l.length === 0, { timeoutMs: 20_000 });
  });

  it('refuses what is not a journal cursor, and a container an app does not have', async () => {
    const auth = { authorization: `Bearer ${api.token}` };
    const bad = await fetch(`${server.url}/api/apps/jx/journal`, { headers: { ...auth, 'last-event-id': '17' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/journal cursor/);
    const noContainer = await fetch(`${server.url}/api/apps/jx/logs?container=db`, { headers: auth });
    expect(noContainer.status).toBe(400);
    expect((await noContainer.json()).message).toMatch(/app of one container/);
  });
});

describe('health from podman, beside the state', () => {
  it('goes starting → healthy as the checks pass, unhealthy when they fail, and the state stays running', async () => {
    const from = rec.mark('hx');
    await api.systemd.startUnit('hx.service', 'replace');
    await until('hx healthy', async () => api.controller.get('hx'), (s) => s?.health === 'healthy' && s.state === 'running', { timeoutMs: 60_000 });
    const healths = (): Array<string | undefined> => rec.seen('hx').slice(from).map((s) => s.health).filter((h, i, a) => i === 0 || a[i - 1] !== h);
    expect(healths().filter((h) => h !== undefined).slice(0, 1)).toEqual(['starting']);
    expect(healths().at(-1)).toBe('healthy');
    // The check fails from now on: podman says unhealthy after its retries (2).
    const mid = rec.mark('hx');
    await host.execOk(['podman', 'exec', 'hx', 'rm', '/tmp/ready']);
    await until('hx unhealthy', async () => api.controller.get('hx'), (s) => s?.health === 'unhealthy', { timeoutMs: 60_000 });
    expect(rec.seen('hx').slice(mid).map((s) => s.state)).toEqual(rec.seen('hx').slice(mid).map(() => 'running'));
    // The REST view says so too.
    const res = await fetch(`${server.url}/api/apps/hx`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(await res.json()).toMatchObject({ state: 'running', health: 'unhealthy' });
    await host.execOk(['podman', 'exec', 'hx', 'touch', '/tmp/ready']);
    await until('hx healthy again', async () => api.controller.get('hx'), (s) => s?.health === 'healthy', { timeoutMs: 60_000 });
    // From the reader's live events: it never ended (a restart would list the containers again) nor failed.
    expect(healthLog).toEqual([]);
  });

  it('has no health once it is stopped, and an app without a health check never has one', async () => {
    await api.systemd.stopUnit('hx.service', 'replace');
    await api.waitFor('hx', 'stopped');
    await until('hx without health', async () => api.controller.get('hx'), (s) => s?.health === undefined, { timeoutMs: 30_000 });
    expect(rec.seen('jx').filter((s) => s.health !== undefined)).toEqual([]);
  });
});
