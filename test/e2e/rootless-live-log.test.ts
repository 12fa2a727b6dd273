import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHost, userManager, type UserManager } from '../host/index.js';
import { appManifest } from '../support/apps.js';
import { assertBuilt, type ServeChild } from '../support/cli.js';
import { userNode, type NodeUnderTest } from '../support/node.js';
import { followEvents, type EventStream, type RecordedEvent } from '../support/sse.js';
import { until } from '../support/wait.js';

// The live journal and podman's health on a rootless node: `archy-quadlet serve --watch --user` inside the host as the
// user, as a node runs it (its journalctl follows `--user-unit`, its health reader the user's journal, with the user's
// podman). A container counts; its lines arrive over the stream and a resume from the last cursor loses none and
// repeats none; no journalctl outlives its client; the health goes healthy → unhealthy → healthy, the state running.

const host = useHost();
const ID = 'rl-live';
const COUNTER = 'touch /tmp/ready; trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "count $i"; sleep 0.2; done';

let user: UserManager;
let node: NodeUnderTest;
let daemon: ServeChild;
let token: string;

const api = async (path: string): Promise<any> => (await fetch(`${daemon.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
const stream = (headers: Record<string, string> = {}): EventStream => followEvents(daemon.url, token, { path: `/api/apps/${ID}/journal?lines=3`, headers });
const counts = (messages: readonly RecordedEvent[]): number[] =>
  messages.filter((m) => m.event === 'line' && /^count \d+$/.test(m.data.message)).map((m) => Number(m.data.message.slice(6)));
/** The user's journalctl processes that follow the app. */
const followers = async (): Promise<string[]> => (await user.exec(['pgrep', '-a', '-u', String(user.user.uid), 'journalctl'])).stdout.split('\n').filter((l) => l.includes('--follow') && l.includes(`${ID}.service`));
const container = async (): Promise<string> => (await node.execOk(['podman', 'ps', '--filter', `label=PODMAN_SYSTEMD_UNIT=${ID}.service`, '--format', '{{.Names}}'])).trim();

beforeAll(async () => {
  assertBuilt();
  user = await userManager(host);
  node = userNode(host, user);
  const stateDir = node.tempDir('aq-rl-live-state-');
  const manifests = node.tempDir('aq-rl-live-manifests-');
  writeFileSync(join(manifests, `${ID}.yaml`), appManifest(ID, { command: COUNTER, health: true }));
  await node.handOver(manifests);
  token = (await node.cli({ stateDir }, ['token'])).stdout.trim();
  daemon = await node.serve({ stateDir, manifests }, ['serve', '--watch', '--interval', '1h', '--listen', '127.0.0.1:0']);
  await until(`${ID} running`, () => api(`/api/apps/${ID}`), (s) => s.state === 'running', { timeoutMs: 180_000 });
});

afterAll(async () => {
  await daemon?.stop();
  await node?.exec([...node.systemctl, 'stop', `${ID}.service`]);
  if (node) rmSync(join(node.unitDir, `${ID}.container`), { force: true });
  await node?.exec([...node.systemctl, 'daemon-reload']);
  await user?.close();
});

describe('rootless: the live journal and health', () => {
  it('lines arrive over the stream, and a resume from the last cursor loses none and repeats none', async () => {
    const a = stream();
    const first = await a.next((m) => m.event === 'line' && /^count/.test(m.data.message), 60_000);
    expect(first.data.unit).toBe(`${ID}.service`);
    await until('live lines', async () => counts(a.messages).length, (n) => n >= 8, { timeoutMs: 30_000 });
    a.close();
    const last = [...a.messages].reverse().find((m) => m.event === 'line')!;
    const lastCount = counts(a.messages).at(-1)!;
    await until('ten lines written meanwhile', () => user.journal(`${ID}.service`, 1), (out) => Number(/count (\d+)/.exec(out)?.[1]) >= lastCount + 10, { timeoutMs: 30_000 });
    const b = stream({ 'last-event-id': last.id! });
    try {
      await b.next((m) => m.event === 'line' && Number(/^count (\d+)$/.exec(m.data.message)?.[1]) >= lastCount + 12, 30_000);
      const resumed = counts(b.messages);
      expect(resumed).toEqual(resumed.map((_, i) => lastCount + 1 + i));
    } finally {
      b.close();
    }
    await until('no journalctl follows the app', followers, (l) => l.length === 0, { timeoutMs: 20_000 });
  });

  it('health from the user\'s podman: healthy, unhealthy when the check fails (state running), healthy again', async () => {
    await until('healthy', () => api(`/api/apps/${ID}`), (s) => s.health === 'healthy', { timeoutMs: 60_000 });
    const name = await container();
    await node.execOk(['podman', 'exec', name, 'rm', '/tmp/ready']);
    const unhealthy = await until('unhealthy', () => api(`/api/apps/${ID}`), (s) => s.health === 'unhealthy', { timeoutMs: 60_000 });
    expect(unhealthy.state).toBe('running');
    await node.execOk(['podman', 'exec', name, 'touch', '/tmp/ready']);
    await until('healthy again', () => api(`/api/apps/${ID}`), (s) => s.health === 'healthy', { timeoutMs: 60_000 });
    // From the reader's live events: it never ended (a restart would list the containers again) nor failed.
    expect(daemon.log()).not.toMatch(/health events|containers' health failed/);
  });
});
