import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { signalDelivery } from '../../src/systemd/connection.js';
import { Message, MessageType } from '../../src/systemd/dbus-next.js';

const signal = (member: string): Message => new Message({ type: MessageType.SIGNAL, path: '/org/freedesktop/systemd1/unit/lnd_2eservice', interface: 'org.freedesktop.DBus.Properties', member });
/** The serial of the call made with `resumeFirst` in these tests (a click's StopUnit); any other is another call's. */
const CLICK = 7;
const reply = (type: number = MessageType.METHOD_RETURN, replySerial = CLICK): Message => new Message({ type, replySerial, ...(type === MessageType.ERROR ? { errorName: 'org.freedesktop.systemd1.NoSuchUnit' } : {}) });

/**
 * A delivery whose handled signals and whose callers' resumptions are written to one log, in the order they happen;
 * the call numbered CLICK was made with `resumeFirst`.
 */
function delivery() {
  const log: string[] = [];
  const d = signalDelivery(
    (msg, seq) => {
      if (msg.member === 'Throws') throw new Error('a handler bug');
      log.push(`${msg.member}#${seq}`);
    },
    (r) => r.replySerial === CLICK,
  );
  /** A reply as the library hands it over: the message first, then its caller's promise resolved; the caller resumes in a continuation. */
  const answer = (seq: number, label: string, type?: number, replySerial?: number): void => {
    d.onMessage(reply(type, replySerial), seq);
    void Promise.resolve().then(() => log.push(label));
  };
  return { d, log, answer };
}

describe('signalDelivery (issue 15)', () => {
  it('handles a signal at once when no reply came before it in the same turn', () => {
    const { d, log } = delivery();
    d.onMessage(signal('JobNew'), 1);
    d.onMessage(signal('PropertiesChanged'), 2);
    expect(log).toEqual(['JobNew#1', 'PropertiesChanged#2']);
  });

  it("lets the reply's caller resume before the signals that followed the reply, and keeps their order", async () => {
    const { d, log, answer } = delivery();
    // One read, as systemd answers StopUnit: the job's signals, the reply, then the unit's next change.
    d.onMessage(signal('PropertiesChanged'), 1);
    d.onMessage(signal('JobNew'), 2);
    answer(3, 'caller resumed');
    d.onMessage(signal('PropertiesChanged'), 4);
    expect(log).toEqual(['PropertiesChanged#1', 'JobNew#2']);
    await Promise.resolve();
    expect(log).toEqual(['PropertiesChanged#1', 'JobNew#2', 'caller resumed']);
    // A later read before the next turn: its signal waits behind the one already waiting.
    d.onMessage(signal('JobRemoved'), 5);
    await nextTurn();
    expect(log).toEqual(['PropertiesChanged#1', 'JobNew#2', 'caller resumed', 'PropertiesChanged#4', 'JobRemoved#5']);
    // Once delivered, a signal is handled at once again.
    d.onMessage(signal('UnitNew'), 6);
    expect(log.at(-1)).toBe('UnitNew#6');
  });

  it("keeps the library's order after the reply to a call made without resumeFirst", async () => {
    const { d, log, answer } = delivery();
    answer(1, 'GetAll caller resumed', MessageType.METHOD_RETURN, 12);
    d.onMessage(signal('PropertiesChanged'), 2);
    expect(log).toEqual(['PropertiesChanged#2']);
    await nextTurn();
    expect(log).toEqual(['PropertiesChanged#2', 'GetAll caller resumed']);
  });

  it('treats an error reply as a reply', async () => {
    const { d, log, answer } = delivery();
    answer(1, 'caller rejected', MessageType.ERROR);
    d.onMessage(signal('PropertiesChanged'), 2);
    await nextTurn();
    expect(log).toEqual(['caller rejected', 'PropertiesChanged#2']);
  });

  it('delivers the waiting signals at once on flush (the connection ends), and not twice', async () => {
    const { d, log, answer } = delivery();
    answer(1, 'caller resumed');
    d.onMessage(signal('PropertiesChanged'), 2);
    d.flush();
    expect(log).toEqual(['PropertiesChanged#2']);
    await nextTurn();
    expect(log).toEqual(['PropertiesChanged#2', 'caller resumed']);
  });

  it('goes on past a handler that throws on a later turn', async () => {
    const { d, log, answer } = delivery();
    answer(1, 'caller resumed');
    d.onMessage(signal('Throws'), 2);
    d.onMessage(signal('PropertiesChanged'), 3);
    await nextTurn();
    expect(log).toEqual(['caller resumed', 'PropertiesChanged#3']);
  });
});
