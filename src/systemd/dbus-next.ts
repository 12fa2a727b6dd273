/**
 * @jellybrick/dbus-next, loaded through Node's CommonJS loader (its `index.cjs`, and fast-xml-parser's one-file CommonJS
 * build). Imported as ESM, the package brings fast-xml-parser and fast-xml-builder as ~35 ES modules, each read
 * asynchronously; `require` reads and compiles both bundles synchronously: about 45 → 20 ms of CPU time for every
 * command that talks to systemd (issue 15, docs/performance.md). Every module of ours takes the library from here, so
 * `instanceof` checks (DBusError, Variant) see one copy of it. Each name is the library's class and its type.
 */
import { createRequire } from 'node:module';
import type * as DBus from '@jellybrick/dbus-next';

const dbus = createRequire(import.meta.url)('@jellybrick/dbus-next') as typeof DBus;

export const { DBusError, Message, MessageType, Variant, sessionBus } = dbus;
export type DBusError = DBus.DBusError;
export type Message = DBus.Message;
export type MessageType = DBus.MessageType;
export type Variant = DBus.Variant;
export type MessageBus = DBus.MessageBus;
