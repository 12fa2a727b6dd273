/**
 * Raw HTTP on loopback for the chaos tests: the path goes out byte for byte
 * (no URL normalisation, so `%2e%2e` and `..%2f` reach the server as sent),
 * and a body can be sent chunked (no Content-Length).
 */
import { request as httpRequest } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method?: string;
  /** The request target exactly as sent, e.g. `/api/apps/%2e%2e/stop`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
  timeoutMs?: number;
}

/** Sends one request to `base` (`http://127.0.0.1:PORT`). Rejects on a socket error or after `timeoutMs` (default 30 s). */
export function rawRequest(base: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...r.headers };
    if (r.body !== undefined && !r.chunked) headers['content-length'] = Buffer.byteLength(r.body);
    const req = httpRequest({ host: url.hostname, port: url.port, method: r.method ?? 'GET', path: r.path, headers, agent: false, timeout: r.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${r.method ?? 'GET'} ${r.path}: no answer within ${r.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    if (r.body !== undefined) {
      if (r.chunked) {
        const buf = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
        for (let i = 0; i < buf.length; i += 4096) req.write(buf.subarray(i, i + 4096));
      } else req.write(r.body);
    }
    req.end();
  });
}
