import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppStatus } from '../../src/controller/types.js';
import { readIntent } from '../../src/store/state/intents.js';
import { useHost } from '../host/index.js';
import { QUICK_UNIT } from '../support/apps.js';
import { assertBuilt, hostArgs, runCliOk, startCliChild } from '../support/cli.js';
import { controllerOnHost, newStateDir } from '../support/controller.js';
import { daemonReload, installUnits, removeUnits } from '../support/host.js';
import { until } from '../support/wait.js';

// systemd unloads an inactive unit nothing references, and a unit it loads afresh has StateChangeTimestamp 0
// (`systemctl status` shows `Active: inactive (dead)` and no time). A controller's first look at such an app (a
// one-shot `status`, a new daemon) has no time for its state from systemd: an app the user stopped through us is
// stopped since the intent record's `at`; an app never started has no `since` at all. Neither moves from one look
// to the next, as a time made up at each look (the look's own) did.

const host = useHost();
const WAS = 'since-was';
const IDLE = 'since-idle';
const IDS = [WAS, IDLE];
const stateDir = newStateDir();
let stoppedAt: string;

/** systemd's StateChangeTimestamp of `id`'s unit as it has it now (0: none). */
const stamp = async (id: string): Promise<string> => (await host.execOk(['systemctl', 'show', '-P', 'StateChangeTimestampMonotonic', `${id}.service`])).trim();

/** A one-shot `status --json --unit-dir` (a new process each time): the apps `IDS` by id. */
async function oneShot(): Promise<Record<string, AppStatus>> {
  const { stdout } = await runCliOk([...hostArgs(host, { stateDir }), '--json', 'status', '--unit-dir', host.unitDir]);
  return Object.fromEntries((JSON.parse(stdout) as { apps: AppStatus[] }).apps.filter((s) => IDS.includes(s.id)).map((s) => [s.id, s]));
}

/** `status --watch --json` (the daemon's port: every property, signals), a new process: its first status of each app. */
async function watchedFirst(): Promise<Record<string, AppStatus>> {
  const child = startCliChild([...hostArgs(host, { stateDir }), '--json', 'status', '--watch', '--unit-dir', host.unitDir]);
  try {
    const first = (): Record<string, AppStatus> => {
      const out: Record<string, AppStatus> = {};
      for (const line of child.log().split('\n')) {
        if (!line.startsWith('{')) continue;
        const s = (JSON.parse(line) as { status: AppStatus }).status;
        if (IDS.includes(s.id) && !out[s.id]) out[s.id] = s;
      }
      return out;
    };
    return await until('the first line of each app', async () => first(), (o) => IDS.every((id) => o[id]), { timeoutMs: 60_000 });
  } finally {
    await child.stop();
  }
}

beforeAll(async () => {
  assertBuilt();
  await installUnits(host, { [WAS]: QUICK_UNIT, [IDLE]: QUICK_UNIT });
  const c = await controllerOnHost(host, [WAS], { stateDir });
  try {
    await c.controller.start(WAS);
    await c.waitFor(WAS, 'running');
    await c.controller.stop(WAS);
    await c.waitFor(WAS, 'stopped');
  } finally {
    await c.close();
  }
  stoppedAt = (await readIntent(stateDir, WAS))!.at;
  // systemd forgets the units' times: after a daemon-reload it has not loaded the inactive ones again.
  await daemonReload(host);
}, 180_000);

afterAll(async () => {
  await removeUnits(host, IDS);
});

describe('since of an app systemd has no time for', () => {
  it('systemd has none: both units loaded afresh have StateChangeTimestamp 0', async () => {
    expect(await stamp(WAS)).toBe('0');
    expect(await stamp(IDLE)).toBe('0');
  });

  it('one-shot status, twice: stopped through us → the intent\'s `at`; never started → no since', async () => {
    const runs = [await oneShot(), await oneShot()];
    for (const r of runs) {
      expect(r[WAS]).toMatchObject({ state: 'stopped', intent: 'stopped', since: stoppedAt });
      expect(r[IDLE]).toMatchObject({ state: 'stopped', activeState: 'inactive' });
      expect(r[IDLE]).not.toHaveProperty('since');
    }
    const { stdout } = await runCliOk([...hostArgs(host, { stateDir }), 'status', '--unit-dir', host.unitDir]);
    const row = (id: string): string[] => stdout.split('\n').find((l) => l.startsWith(`${id} `))!.trim().split(/\s{2,}/);
    expect(row(WAS).slice(0, 3)).toEqual([WAS, 'stopped', stoppedAt.slice(0, 19).replace('T', ' ')]);
    expect(row(IDLE).slice(0, 3)).toEqual([IDLE, 'stopped', '-']);
  });

  it('a controller started again (a new status --watch process, reading every property) shows the same', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await watchedFirst();
      expect(r[WAS]).toMatchObject({ state: 'stopped', since: stoppedAt });
      expect(r[IDLE]).toMatchObject({ state: 'stopped' });
      expect(r[IDLE]).not.toHaveProperty('since');
      await daemonReload(host);
    }
  });
});
