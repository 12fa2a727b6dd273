// Issue 17: the host-port check counts what the node itself binds, from the node context: the daemon's own
// `serve --listen` (not only its default), and on a rootless node the user daemon's port (the packaged user unit's
// 127.0.0.1:8081) besides the system daemon's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { validate } from '../../src/cli/commands/validate.js';
import { reservedPorts, resolveNodeContext } from '../../src/cli/node-context.js';
import { InvalidInputError, type Problem } from '../../src/errors.js';
import { loadDesired } from '../../src/reconcile/load-desired.js';

const work = mkdtempSync(join(tmpdir(), 'archy-reserved-ports-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A catalog of one app publishing `hostIp:port`. */
function catalog(name: string, port: number, hostIp?: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'web.yaml'), `id: web\nimage: docker.io/library/nginx:1.27.4-alpine\nports:\n  - container: 80\n    host: ${port}\n${hostIp ? `    hostIp: ${hostIp}\n` : ''}`);
  return dir;
}

/** The problems a pass's load finds with the node context's reservations (none: []). */
async function passProblems(manifestsDir: string, flags: { listen?: string; user?: boolean }): Promise<string[]> {
  const ctx = resolveNodeContext({ stateDir: join(work, 'state'), manifests: manifestsDir, ...flags });
  try {
    await loadDesired({ manifestsDir, stateDir: ctx.stateDir, reserved: ctx.reserved, createSecrets: false });
    return [];
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    return err.problems.map((p: Problem) => `${p.pointer}: ${p.message}`);
  }
}

describe('what the node reserves', () => {
  it('rootful: the daemon at serve --listen (default 127.0.0.1:8080); rootless: the user daemon (default 127.0.0.1:8081) and the system daemon', () => {
    expect(reservedPorts('system')).toEqual([{ ip: '127.0.0.1', port: 8080, protocol: 'tcp', what: "archy-quadlet serve (the node's API and web UI)" }]);
    expect(reservedPorts('system', '0.0.0.0:9000')).toEqual([{ ip: '*', port: 9000, protocol: 'tcp', what: "archy-quadlet serve (the node's API and web UI)" }]);
    expect(reservedPorts('user')).toEqual([
      { ip: '127.0.0.1', port: 8081, protocol: 'tcp', what: "archy-quadlet serve --user (this user's API and web UI)" },
      { ip: '127.0.0.1', port: 8080, protocol: 'tcp', what: "archy-quadlet serve (the node's API and web UI)" },
    ]);
    expect(reservedPorts('user', '127.0.0.1:8080').map((r) => r.port)).toEqual([8080]);
    expect(resolveNodeContext({ stateDir: '/s', manifests: '/m', user: true, listen: '[::1]:9443' }).reserved.map((r) => `${r.ip} ${r.port}`)).toEqual(['::1 9443', '127.0.0.1 8080']);
  });

  it('a pass of serve --listen 0.0.0.0:9000 refuses an app publishing 9000 on any address; the default listen does not', async () => {
    const dir = catalog('listen', 9000, '127.0.0.1');
    expect(await passProblems(dir, { listen: '0.0.0.0:9000' })).toEqual(["/ports/0/host: host port 9000/tcp is already bound by archy-quadlet serve (the node's API and web UI) on 9000"]);
    expect(await passProblems(dir, {})).toEqual([]);
  });

  it('rootless: an app on 127.0.0.1:8081 clashes with the user daemon (pass and validate --user); rootful it does not', async () => {
    const dir = catalog('rootless', 8081, '127.0.0.1');
    const refused = "/ports/0/host: host port 8081/tcp is already bound by archy-quadlet serve --user (this user's API and web UI) on 127.0.0.1:8081";
    expect(await passProblems(dir, { user: true })).toEqual([refused]);
    expect(await passProblems(dir, {})).toEqual([]);
    const out = new PassThrough();
    const err = new PassThrough();
    await expect(validate({ manifests: dir, user: true }, out, err)).rejects.toThrow(InvalidInputError);
    await expect(validate({ manifests: dir }, out, err)).resolves.toBeUndefined();
    // The system daemon's port stays reserved for a rootless node's apps.
    expect(await passProblems(catalog('rootless-8080', 8080), { user: true })).toEqual(["/ports/0/host: host port 8080/tcp is already bound by archy-quadlet serve (the node's API and web UI) on 127.0.0.1:8080"]);
  });
});
