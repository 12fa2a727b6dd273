import { setImmediate as afterIo } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createEventHub } from '../../src/api/event-hub.js';
import { runAction } from '../../src/api/routes-apps.js';
import type { ApiDeps } from '../../src/api/types.js';
import type { AppStatus, StateEvent } from '../../src/controller/types.js';
import { eventually } from '../support/wait.js';

/** A controller that emits the events a test pushes, as the real one does from systemd's signals. */
function fakeController() {
  const listeners = new Set<(e: StateEvent) => void>();
  let seq = 0;
  const status = (state: AppStatus['state']): AppStatus => ({ id: 'lnd', name: 'LND', unit: 'lnd.service', state });
  return {
    list: (): AppStatus[] => [status('running')],
    subscribe(l: (e: StateEvent) => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit(state: AppStatus['state']): number {
      seq += 1;
      for (const l of listeners) l({ seq, status: status(state) });
      return seq;
    },
  };
}

/** A hub over a fake controller, and what one listener received (seqs; 0 for a message sent through `defer`). */
function hubWithClient(maxHoldMs?: number) {
  const controller = fakeController();
  const hub = createEventHub(controller, { ringSize: 10, historySize: 5, ...(maxHoldMs !== undefined ? { maxHoldMs } : {}) });
  const got: number[] = [];
  hub.listen((e) => got.push(e.seq));
  return { controller, hub, got };
}

describe('EventHub fan-out (issue 15)', () => {
  it('writes an event to the clients after the I/O at hand, in order with the messages sent through defer', async () => {
    const { controller, hub, got } = hubWithClient();
    controller.emit('stopping');
    hub.defer(() => got.push(0));
    controller.emit('stopped');
    // Recorded at once (a snapshot or GET made meanwhile holds it), written later.
    expect(hub.lastSeq()).toBe(2);
    expect(hub.history('lnd').map((h) => h.state)).toEqual(['running', 'stopping', 'stopped']);
    expect(got).toEqual([]);
    await afterIo();
    expect(got).toEqual([1, 0, 2]);
  });

  it('holds the writes while a call is in flight and sends them, in order, once the last hold is released', async () => {
    const { controller, hub, got } = hubWithClient();
    const releaseFirst = hub.hold();
    const releaseSecond = hub.hold();
    controller.emit('stopping');
    controller.emit('stopped');
    await afterIo();
    expect(got).toEqual([]);
    releaseFirst();
    releaseFirst(); // a second release of the same hold does not count
    await afterIo();
    expect(got).toEqual([]);
    releaseSecond();
    expect(got).toEqual([]);
    await afterIo();
    expect(got).toEqual([1, 2]);
    hub.close();
  });

  it('sends the held events when a hold outlives maxHoldMs, without its release', async () => {
    const { controller, hub, got } = hubWithClient(5);
    hub.hold();
    controller.emit('stopping');
    await afterIo();
    expect(got).toEqual([]);
    await eventually('the held event, sent once the 5 ms bound passed', () => got.length > 0, { timeoutMs: 10_000, intervalMs: 5 });
    expect(got).toEqual([1]);
    hub.close();
  });

  it('gives an event to the clients listening when it happened, and one client that throws does not stop the others', async () => {
    const { controller, hub, got } = hubWithClient();
    hub.listen(() => {
      throw new Error('socket gone');
    });
    controller.emit('stopping');
    const late: number[] = [];
    hub.listen((e) => late.push(e.seq));
    controller.emit('stopped');
    await afterIo();
    expect(got).toEqual([1, 2]);
    expect(late).toEqual([2]);
  });

  it("holds a click's events until its answer is built (runAction): systemd announces the job before it answers", async () => {
    const { controller, hub, got } = hubWithClient();
    let seenDuringCall: number[] | undefined;
    const stop = async (id: string) => {
      controller.emit('stopping'); // JobNew and PropertiesChanged, before the call's reply
      for (let i = 0; i < 3; i++) await afterIo(); // the reply a few turns of the loop later
      seenDuringCall = [...got];
      return { id, action: 'stop' as const, job: '/org/freedesktop/systemd1/job/7', status: controller.list()[0]! };
    };
    const accepted = await runAction({ controller: { stop } } as unknown as ApiDeps, hub, 'stop', 'lnd');
    expect(seenDuringCall).toEqual([]);
    expect(accepted.seq).toBe(1);
    expect(got).toEqual([]);
    await afterIo();
    expect(got).toEqual([1]);
  });
});
