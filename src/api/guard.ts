/**
 * Request guards for every API route: same-origin only, then the bearer token.
 * The UI's static files are not guarded (they hold no data).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { DNS_LABEL } from '../naming.js';
import { HttpError } from './http-errors.js';

/**
 * Rejects a request a cross-site page made: browsers send `Sec-Fetch-Site` and,
 * on non-GET and on fetch requests, `Origin`. Requests without either (curl, the
 * CLI) pass on to the token check. Throws HttpError 403.
 */
export function assertSameOrigin(headers: IncomingHttpHeaders): void {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    throw new HttpError(403, 'cross-origin', `cross-origin request refused (Sec-Fetch-Site: ${site}); the API answers only its own UI`);
  }
  const origin = headers.origin;
  if (typeof origin === 'string') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host !== headers.host) {
      throw new HttpError(403, 'cross-origin', `cross-origin request refused (Origin: ${origin}); the API answers only its own UI`);
    }
  }
}

/** Digests, so that the comparison takes the same time whatever the length of the presented token. */
function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Checks `Authorization: Bearer TOKEN` against the server's token in constant
 * time. Throws HttpError 401 (the message never echoes what was sent).
 */
export function assertBearer(headers: IncomingHttpHeaders, token: string): void {
  const auth = headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  if (!m) {
    throw new HttpError(401, 'unauthorized', 'missing bearer token: send "Authorization: Bearer TOKEN" (print it with `archy-quadlet token`)');
  }
  if (!timingSafeEqual(digest(m[1]!), digest(token))) {
    throw new HttpError(401, 'unauthorized', 'wrong bearer token (print the current one with `archy-quadlet token`)');
  }
}

/**
 * An app id from the URL or a JSON-RPC parameter, checked before anything
 * reaches the controller: a DNS label, so no path traversal, no unit-name
 * injection. Throws HttpError 400.
 */
export function parseAppId(raw: unknown): string {
  if (typeof raw !== 'string' || !DNS_LABEL.test(raw)) {
    const shown = typeof raw === 'string' ? JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw) : String(raw);
    throw new HttpError(
      400,
      'invalid-id',
      `app id ${shown} is not a DNS label: use 1–63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  return raw;
}
