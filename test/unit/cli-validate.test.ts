import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assertBuilt, runCli } from '../support/cli.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[]): Promise<Run> {
  const { code, stdout, stderr } = await runCli(args);
  return { code, stdout, stderr };
}

let dir: string;

beforeAll(async () => {
  // The CLI runs from dist/: `npm test` builds first (`npm run build`).
  assertBuilt();
  dir = await mkdtemp(path.join(tmpdir(), 'archy-validate-'));
  await writeFile(path.join(dir, 'lnd.yaml'), 'id: lnd\nimage: docker.io/lightninglabs/lnd:v0.18.5-beta\nstop:\n  timeout: 5 minutes\nhealth:\n  cmd: [lncli, state]\n  intervall: 30s\n');
  await writeFile(path.join(dir, 'web.yml'), 'id: web\nimage: nginx\n');
  await writeFile(path.join(dir, 'notes.txt'), 'not a manifest\n');
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('archy-quadlet validate', () => {
  test('bad manifests: every problem on stderr as FILE:LINE:COL /pointer: message, exit 1', async () => {
    const r = await run(['--manifests', dir, 'validate']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `${dir}/lnd.yaml:4:12 /stop/timeout: must match "^[0-9]+(ms|s|m|h)$" (e.g. 30s, 10m)`,
      `${dir}/lnd.yaml:7:3 /health/intervall: unknown field "intervall" (did you mean "interval"?)`,
      `${dir}/web.yml:2:8 /image: must be a fully qualified image reference (e.g. docker.io/library/nginx:1.27.4-alpine, quay.io/org/app@sha256:<64 hex>) (registry/name:tag or registry/name@sha256:<64 hex>. The registry is required (short names resolve differently per host) and so is a tag or digest (no implicit :latest))`,
      '',
    ]);
  });

  test('--json prints { ok, problems } on stdout and still exits 1', async () => {
    const r = await run(['--manifests', dir, '--json', 'validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { ok: boolean; problems: Array<Record<string, unknown>>; warnings: unknown[]; apps: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.apps).toEqual([]);
    expect(report.problems[0]).toEqual({ file: `${dir}/lnd.yaml`, line: 4, col: 12, pointer: '/stop/timeout', message: 'must match "^[0-9]+(ms|s|m|h)$" (e.g. 30s, 10m)' });
    expect(report.problems).toHaveLength(3);
  });

  test("the catalog is valid: exit 0, paths relative to the working directory; the Tor app's host network is acknowledged, so no warning", async () => {
    const r = await run(['validate']);
    expect(r).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^manifests: 6 manifest\(s\) valid: bitcoin, btcpay, electrumx, lnd, mempool, tor; 1 warning\(s\) acknowledged: manifests\/tor\.yaml:\d+ \/hostNetwork\n$/),
      stderr: '',
    });
    const json = JSON.parse((await run(['--json', 'validate'])).stdout) as { warnings: unknown[]; acknowledged: Array<{ pointer: string; reason: string }> };
    expect(json.warnings).toEqual([]);
    expect(json.acknowledged).toEqual([expect.objectContaining({ file: 'manifests/tor.yaml', pointer: '/hostNetwork', reason: expect.stringContaining('onion service') })]);
  });

  test('quadlet: keys are checked against the target podman, as render would', async () => {
    const keys = await mkdtemp(path.join(tmpdir(), 'archy-validate-keys-'));
    try {
      await writeFile(path.join(keys, 'web.yaml'), 'id: web\nimage: docker.io/library/nginx:1.27.4-alpine\nquadlet:\n  Container:\n    ReloadCmd: /bin/true\n');
      const old = await run(['--manifests', keys, 'validate']);
      expect(old.code).toBe(1);
      expect(old.stderr).toBe(
        `${keys}/web.yaml:5:5 /quadlet/Container/ReloadCmd: "ReloadCmd=" was not supported until Podman v5.5 (the target is Podman 5.4.2; remove the key or target a newer podman (--podman-version))\n`,
      );
      expect((await run(['--manifests', keys, 'validate', '--podman-version', '5.5.0'])).code).toBe(0);
      expect((await run(['--manifests', keys, 'validate', '--podman-version', 'five'])).code).toBe(2);
    } finally {
      await rm(keys, { recursive: true, force: true });
    }
  });

  test('a missing directory is invalid input (exit 1) that names the option', async () => {
    const r = await run(['--manifests', path.join(dir, 'nope'), 'validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\S+\/nope: cannot read the manifests directory: ENOENT: .* \(pass --manifests DIR\)\n$/);
  });
});
