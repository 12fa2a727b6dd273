/**
 * `--listen HOST:PORT` parsing. Loopback by default: the API controls every
 * app on the node, so exposing it is an explicit choice.
 */
import { isIP } from 'node:net';
import { DEFAULT_LISTEN } from '../defaults.js';
import { UsageError } from '../errors.js';

export { DEFAULT_LISTEN };

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or `PORT` (loopback). Throws UsageError
 * naming the value and the accepted forms.
 */
export function parseListen(value: string): ListenAddress {
  const fail = (why: string): never => {
    throw new UsageError(`--listen ${JSON.stringify(value)}: ${why}; use HOST:PORT, [IPv6]:PORT or PORT (e.g. ${DEFAULT_LISTEN})`);
  };
  let host = '127.0.0.1';
  let portText = value;
  const v6 = /^\[([^\]]+)\]:([^:]*)$/.exec(value);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
    if (isIP(host) !== 6) fail(`${host} is not an IPv6 address`);
  } else if (value.includes(':')) {
    const i = value.lastIndexOf(':');
    host = value.slice(0, i);
    portText = value.slice(i + 1);
    if (host.includes(':')) fail('put an IPv6 address in brackets');
    if (host === '' || !(isIP(host) === 4 || /^[A-Za-z0-9.-]+$/.test(host))) fail(`${JSON.stringify(host)} is not a host`);
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) fail(`${JSON.stringify(portText)} is not a port (0–65535)`);
  return { host, port: Number(portText) };
}

/** Whether a host is a loopback address (anything else gets a warning at start). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
