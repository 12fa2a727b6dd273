/**
 * The one place that maps error classes to HTTP status codes and response
 * bodies (the CLI's counterpart is `exitCodeFor` in src/errors.ts).
 */
import { InvalidInputError, NotFoundError, NotOwnedError, SystemdError } from '../errors.js';

/** An error the API raises itself, with the status it answers with. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  /** A stable machine-readable code, e.g. `not-found`, `invalid-input`, `payload-too-large`. */
  error: string;
  /** What went wrong and what to do, for a person. */
  message: string;
}

/** D-Bus errors by which systemd refuses a request (the request conflicts with the unit's state): 409, not 502. */
const SYSTEMD_REFUSALS = /^org\.freedesktop\.systemd1\./;

/** Fastify's own client errors, by code, with the message we answer instead of its terse default. */
const FASTIFY_MESSAGES: Record<string, [string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload-too-large', 'request body too large'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['malformed-json', 'request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['malformed-json', 'request body is empty but Content-Type is application/json; send a JSON value or no Content-Type'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported-media-type', 'unsupported Content-Type; send application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['bad-request', 'Content-Length does not match the body'],
};

/**
 * The status code and body for an error thrown while handling a request.
 * Unknown errors are 500 with a generic message (their detail goes to the log only).
 */
export function httpErrorFor(err: unknown, bodyLimit: number): { statusCode: number; body: ErrorBody } {
  if (err instanceof HttpError) return { statusCode: err.statusCode, body: { error: err.code, message: err.message } };
  if (err instanceof InvalidInputError) return { statusCode: 400, body: { error: 'invalid-input', message: err.message } };
  if (err instanceof NotFoundError) return { statusCode: 404, body: { error: 'not-found', message: err.message } };
  if (err instanceof NotOwnedError) return { statusCode: 409, body: { error: 'not-owned', message: err.message } };
  if (err instanceof SystemdError) {
    const refused = SYSTEMD_REFUSALS.test(err.dbusName);
    return { statusCode: refused ? 409 : 502, body: { error: refused ? 'systemd-refused' : 'systemd-unavailable', message: err.message } };
  }
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && FASTIFY_MESSAGES[e.code]) {
    const [code, message] = FASTIFY_MESSAGES[e.code]!;
    const status = typeof e.statusCode === 'number' ? e.statusCode : 400;
    const detail = e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? ` (limit ${bodyLimit} bytes)` : e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' && typeof e.message === 'string' ? `: ${e.message}` : '';
    return { statusCode: status, body: { error: code, message: message + detail } };
  }
  // A JSON syntax error from the body parser carries statusCode 400.
  if (err instanceof SyntaxError && e.statusCode === 400) {
    return { statusCode: 400, body: { error: 'malformed-json', message: `request body is not valid JSON: ${err.message}` } };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 && typeof e.message === 'string') {
    return { statusCode: e.statusCode, body: { error: 'bad-request', message: e.message } };
  }
  return { statusCode: 500, body: { error: 'internal', message: 'internal error; see the server log' } };
}
