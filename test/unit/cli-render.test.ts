import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diff } from '../../src/cli/commands/diff.js';
import { render } from '../../src/cli/commands/render.js';
import { EXIT, exitCodeFor, InvalidInputError, NotOwnedError } from '../../src/errors.js';

let dir: string;
let manifests: string;
let out: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'archy-quadlet-cli-'));
  manifests = join(dir, 'manifests');
  out = join(dir, 'units');
  cpSync('manifests', manifests, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
const committed = (): string[] => readdirSync('units').sort();

describe('render', () => {
  it('writes the catalog, then --check passes and a second render changes nothing', async () => {
    const o = capture();
    await render({ manifests, out }, o.stream);
    expect(readdirSync(out).sort()).toEqual(committed());
    expect(o.text()).toContain(`create ${join(out, 'lnd-lnd.container')}`);
    await render({ manifests, out, check: true }, capture().stream);
    const again = capture();
    await render({ manifests, out, json: true }, again.stream);
    expect(JSON.parse(again.text())).toMatchObject({ ok: true, created: [], updated: [], deleted: [] });
  });

  it('--check: exit 1 naming each stale file, writing nothing', async () => {
    await render({ manifests, out }, capture().stream);
    writeFileSync(join(out, 'lnd-lnd.container'), `${readFileSync(join(out, 'lnd-lnd.container'), 'utf8')}# edited\n`);
    rmSync(join(out, 'archy.network'));
    const err = await render({ manifests, out, check: true }, capture().stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(exitCodeFor(err)).toBe(EXIT.invalid);
    expect((err as InvalidInputError).problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      `${join(out, 'archy.network')}: would be created by render`,
      `${join(out, 'lnd-lnd.container')}: would be updated by render`,
    ]);
    expect(readFileSync(join(out, 'lnd-lnd.container'), 'utf8')).toMatch(/# edited\n$/);
  });

  it('prunes files of ours that are no longer rendered, keeps files that are not ours', async () => {
    await render({ manifests, out }, capture().stream);
    writeFileSync(join(out, 'old.container'), '# Managed by archy-quadlet; do not edit. source: manifests/old.yaml\n[Container]\nImage=x\n');
    writeFileSync(join(out, 'handmade.container'), '[Container]\nImage=docker.io/library/busybox:1.36.1\n');
    await render({ manifests, out }, capture().stream);
    expect(readdirSync(out).sort()).toEqual([...committed(), 'handmade.container'].sort());
  });

  it('refuses to overwrite a file without our header, names it, writes nothing', async () => {
    cpSync('units', out, { recursive: true });
    writeFileSync(join(out, 'lnd-lnd.container'), '[Container]\nImage=mine\n');
    rmSync(join(out, 'bitcoin-bitcoind.container'));
    const err = await render({ manifests, out }, capture().stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotOwnedError);
    expect((err as Error).message).toContain(join(out, 'lnd-lnd.container'));
    expect(readdirSync(out)).not.toContain('bitcoin-bitcoind.container');
  });

  it('writes nothing when any manifest is invalid, and reports every problem', async () => {
    writeFileSync(join(manifests, 'broken.yaml'), 'id: broken\nimage: nope\nbogus: 1\n');
    const err = await render({ manifests, out }, capture().stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).problems.length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(dir)).not.toContain('units');
  });

  it('writes nothing when the compiler refuses the catalog for the target podman', async () => {
    writeFileSync(join(manifests, 'probe.yaml'), 'id: probe\nimage: docker.io/library/busybox:1.36.1\nquadlet:\n  Container:\n    ReloadCmd: /bin/true\n');
    const err = await render({ manifests, out }, capture().stream).catch((e: unknown) => e);
    expect((err as InvalidInputError).problems.map((p) => p.message)).toEqual(['"ReloadCmd=" was not supported until Podman v5.5']);
    expect((err as InvalidInputError).problems[0]).toMatchObject({ file: `${manifests}/probe.yaml`, line: 5, pointer: '/quadlet/Container/ReloadCmd' });
    expect(readdirSync(dir)).not.toContain('units');
    await render({ manifests, out, podmanVersion: '5.5.0' }, capture().stream);
    expect(readFileSync(join(out, 'probe.container'), 'utf8')).toContain('\nReloadCmd=/bin/true\n');
  });
});

describe('diff', () => {
  it('prints a unified diff of what render would change, and writes nothing', async () => {
    await render({ manifests, out }, capture().stream);
    const lnd = join(manifests, 'lnd.yaml');
    writeFileSync(lnd, readFileSync(lnd, 'utf8').replace(/timeout: 330s/, 'timeout: 400s'));
    const o = capture();
    await diff({ manifests, out }, o.stream);
    expect(o.text()).toContain(`--- ${out}/lnd-lnd.container\n+++ ${out}/lnd-lnd.container\n`);
    expect(o.text()).toMatch(/^-StopTimeout=330$/m);
    expect(o.text()).toMatch(/^\+StopTimeout=400$/m);
    expect(o.text()).toMatch(/^\+TimeoutStopSec=430$/m);
    expect(readFileSync(join(out, 'lnd-lnd.container'), 'utf8')).toContain('StopTimeout=330');
  });
});
