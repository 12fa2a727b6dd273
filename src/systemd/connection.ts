/**
 * One D-Bus connection to a bus daemon, low-level: method calls as `Message`s,
 * signals as raw messages, every incoming message stamped with a sequence
 * number the moment it is parsed (before any promise continuation runs, so a
 * reply and the signals around it keep their wire order). The caller of a
 * call made with `resumeFirst` (a job: a click) resumes before the signals
 * that followed its reply in the same read are handled ({@link signalDelivery}).
 */
import { EventEmitter } from 'node:events';
import { DBusError, Message, MessageType, sessionBus, type MessageBus } from './dbus-next.js';
import { SystemdError } from '../errors.js';

/** A reply and its arrival stamp. */
export interface StampedMessage {
  seq: number;
  message: Message;
}

export interface Connection {
  /**
   * Sends a method call and resolves with its reply; throws SystemdError (D-Bus error name) on an error reply, a
   * timeout or a closed bus. With `resumeFirst`, the caller resumes before the signals that follow the reply in the
   * same read are handled ({@link signalDelivery}).
   */
  call(msg: Message, opts?: { resumeFirst?: boolean }): Promise<StampedMessage>;
  /** Every signal, in arrival order. */
  onSignal(listener: (msg: Message, seq: number) => void): void;
  /** Called once when the connection ends (not after `close()`). */
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

export interface OpenOptions {
  address: string;
  /** Next value of the port-wide sequence counter. */
  nextSeq: () => number;
  /** How long a call may wait for its reply. */
  callTimeoutMs?: number;
  /** How long connecting (socket + auth + Hello) may take. */
  connectTimeoutMs?: number;
}

/**
 * Delivers a connection's signals in arrival order: at once, except those that arrive after the reply to a call made
 * with `resumeFirst` in the same turn of the event loop: they wait for the next turn (`setImmediate`), and the
 * call's caller resumes first. The library reads every message a read brought in one go, and a caller resumes only
 * once that is over (a promise continuation). A click's reply from systemd is often followed in the same read by the
 * unit's next PropertiesChanged, and the click's answer waited for their handling: in 11 of 50 POST stops in one
 * run, 4.5 ms at p90 and up to 13 ms from the reply's arrival to its caller (issue 15, docs/performance.md,
 * "3 December, evening"). Other replies keep the library's order, so the state events of a signal that follows one
 * are not delayed; those of a click are held until its answer anyway (the API's EventHub.hold).
 *
 * `onMessage` takes every incoming message, once stamped; `resumeFirst(reply)` says whether the reply's caller goes
 * first; `flush` delivers the waiting signals at once (the connection's end). A `deliver` that throws while signals
 * are delivered on a later turn is skipped over, as the library skips one that throws in its own turn: the others
 * are still delivered.
 */
export function signalDelivery(deliver: (msg: Message, seq: number) => void, resumeFirst: (reply: Message) => boolean): { onMessage(msg: Message, seq: number): void; flush(): void } {
  const waiting: Array<[Message, number]> = [];
  let afterReply = false;
  const flush = (): void => {
    afterReply = false;
    for (const [msg, seq] of waiting.splice(0)) {
      try {
        deliver(msg, seq);
      } catch {
        // See above: the library's own turn skips a throwing handler the same way.
      }
    }
  };
  return {
    onMessage(msg, seq) {
      if (msg.type === MessageType.SIGNAL) {
        if (afterReply) waiting.push([msg, seq]);
        else deliver(msg, seq);
      } else if ((msg.type === MessageType.METHOD_RETURN || msg.type === MessageType.ERROR) && !afterReply && resumeFirst(msg)) {
        afterReply = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

const DISCONNECTED = 'org.freedesktop.DBus.Error.Disconnected';
const NO_REPLY = 'org.freedesktop.DBus.Error.NoReply';

/** Maps whatever a call rejected with to SystemdError, keeping systemd's D-Bus error name. */
export function toSystemdError(err: unknown): SystemdError {
  if (err instanceof SystemdError) return err;
  if (err instanceof DBusError) return new SystemdError(err.type, err.text || 'no message');
  return new SystemdError('org.freedesktop.DBus.Error.Failed', err instanceof Error ? err.message : String(err));
}

/**
 * Connects to `address` (any bus daemon address: dbus-next's `systemBus()`
 * ignores an address, `sessionBus({ busAddress })` takes one) and completes the
 * Hello handshake. Throws SystemdError when the bus cannot be reached.
 */
export async function openConnection(opts: OpenOptions): Promise<Connection> {
  const callTimeoutMs = opts.callTimeoutMs ?? 25_000;
  const bus: MessageBus = sessionBus({ busAddress: opts.address });
  // dbus-next does not forward the stream's end to MessageBus and never rejects
  // pending calls; its DBusConnection is an EventEmitter that does emit 'end'.
  const raw = (bus as unknown as { _connection: EventEmitter })._connection;
  const stamps = new WeakMap<Message, number>();
  const pending = new Set<(err: SystemdError) => void>();
  const events = new EventEmitter();
  let closed = false;
  let ended = false;

  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    const err = new SystemdError(DISCONNECTED, `D-Bus connection to ${opts.address} lost: ${reason}`);
    for (const reject of pending) reject(err);
    pending.clear();
    if (closed) return;
    // What arrived before the end is delivered before it.
    signals.flush();
    events.emit('close', reason);
  };

  // The serials of the calls in flight whose caller resumes before the signals that follow their reply.
  const firstSerials = new Set<number>();
  const signals = signalDelivery(
    (msg, seq) => {
      if (!closed) events.emit('signal', msg, seq);
    },
    (reply) => reply.replySerial !== undefined && reply.replySerial !== null && firstSerials.has(reply.replySerial),
  );
  bus.on('message', (msg: Message) => {
    const seq = opts.nextSeq();
    stamps.set(msg, seq);
    signals.onMessage(msg, seq);
  });

  let failConnect: ((err: unknown) => void) | undefined;
  // One permanent error listener: an EventEmitter 'error' without one would throw.
  // MessageBus's typings omit 'error', which it does emit.
  (bus as unknown as EventEmitter).on('error', (err: unknown) => {
    if (failConnect) failConnect(err);
    else end(err instanceof Error ? err.message : String(err));
  });
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => failConnect?.(new Error(`no Hello reply within ${connectTimeoutMs} ms`)), connectTimeoutMs);
    failConnect = (err: unknown): void => {
      clearTimeout(timer);
      failConnect = undefined;
      ended = true;
      bus.disconnect();
      reject(new SystemdError(DISCONNECTED, `cannot connect to D-Bus at ${opts.address}: ${err instanceof Error ? err.message : String(err)}`));
    };
    bus.once('connect', () => {
      clearTimeout(timer);
      failConnect = undefined;
      resolve();
    });
  });
  raw.on('end', () => end('the bus closed the connection'));

  return {
    async call(msg: Message, callOpts?: { resumeFirst?: boolean }): Promise<StampedMessage> {
      if (ended) throw new SystemdError(DISCONNECTED, `D-Bus connection to ${opts.address} is closed`);
      return new Promise<StampedMessage>((resolve, reject) => {
        const settle = (): void => {
          clearTimeout(timer);
          pending.delete(fail);
          if (msg.serial !== null) firstSerials.delete(msg.serial);
        };
        const fail = (err: SystemdError): void => {
          settle();
          reject(err);
        };
        const timer = setTimeout(
          () => fail(new SystemdError(NO_REPLY, `${msg.interface}.${msg.member} got no reply within ${callTimeoutMs} ms`)),
          callTimeoutMs,
        );
        pending.add(fail);
        const replied = bus.call(msg);
        // The library numbered the call just now; its reply comes in a later read.
        if (callOpts?.resumeFirst && msg.serial !== null) firstSerials.add(msg.serial);
        replied.then(
          (reply) => {
            settle();
            if (!reply) return reject(new SystemdError(NO_REPLY, `${msg.interface}.${msg.member} returned nothing`));
            resolve({ seq: stamps.get(reply) ?? opts.nextSeq(), message: reply });
          },
          (err: unknown) => fail(toSystemdError(err)),
        );
      });
    },
    onSignal(listener) {
      events.on('signal', listener);
    },
    onClose(listener) {
      events.on('close', listener);
    },
    close() {
      closed = true;
      end('closed');
      bus.disconnect();
    },
  };
}
