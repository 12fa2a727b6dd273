// `archy-quadlet import compose` as a user runs it (bin/archy-quadlet over dist/: `npm run build` first).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DIST_MAIN, runCli } from '../support/cli.js';

const out = mkdtempSync(join(tmpdir(), 'archy-import-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const fixture = (name: string): string => `test/fixtures/compose/${name}`;

describe('archy-quadlet import compose', () => {
  it('is built', () => expect(existsSync(DIST_MAIN)).toBe(true));

  it('--dry-run prints the manifest and writes nothing', async () => {
    const r = await runCli(['import', 'compose', fixture('env-forms'), '--out', out, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# .*env-forms\.yaml\n# Imported from test\/fixtures\/compose\/env-forms\/compose\.yaml by archy-quadlet import compose\.\nid: env-forms\n/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('writes the manifest, and never overwrites it without --force', async () => {
    const first = await runCli(['import', 'compose', fixture('env-forms'), '--out', out]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`wrote ${join(out, 'env-forms.yaml')} (from test/fixtures/compose/env-forms/compose.yaml)\n`);
    expect(readdirSync(out)).toEqual(['env-forms.yaml']);
    const again = await runCli(['import', 'compose', fixture('env-forms'), '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${join(out, 'env-forms.yaml')}: a manifest for env-forms exists already (pass --force to overwrite it, or --app ID for another id)`);
    expect((await runCli(['import', 'compose', fixture('env-forms'), '--out', out, '--force'])).code).toBe(0);
    // The written manifest is one validate accepts.
    expect((await runCli(['--manifests', out, 'validate'])).code).toBe(0);
  });

  it('anything dropped: exit 1 and nothing written, unless --allow-drop', async () => {
    const dropped = await runCli(['import', 'compose', fixture('mempool-db'), '--out', out]);
    expect(dropped.code).toBe(1);
    expect(dropped.stderr).toContain('test/fixtures/compose/mempool-db/compose.yaml:54:5 /services/api/restart: the retry limit 5 is not carried over: systemd restarts without a count (its own start limit applies)\n');
    expect(dropped.stderr).toContain('1 part(s) not carried over; nothing written (pass --allow-drop to import without them)');
    expect(existsSync(join(out, 'mempool-db.yaml'))).toBe(false);
    const allowed = await runCli(['import', 'compose', fixture('mempool-db'), '--out', out, '--allow-drop', '--app', 'mempool']);
    expect(allowed.code).toBe(0);
    expect(readFileSync(join(out, 'mempool.yaml'), 'utf8')).toContain('    oneshot: true\n');
  });

  it('an unset variable: exit 1 naming FILE:LINE:COL and the variable', async () => {
    const r = await runCli(['import', 'compose', fixture('hostile-unset-var'), '--out', out, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('test/fixtures/compose/hostile-unset-var/compose.yaml:6:16 /services/app/environment/API_KEY: variable API_KEY is not set');
    expect(r.stdout).toBe('');
  });

  it('--env files replace the project .env; a directory of projects imports each; --app needs one project', async () => {
    const withEnv = await runCli(['import', 'compose', fixture('env-forms'), '--env', fixture('bitcoin-node/.env'), '--dry-run', '--out', out]);
    expect(withEnv.code).toBe(1);
    expect(withEnv.stderr).toContain('/services/worker/environment/1: variable APP_PORT is not set');
    // A bus nobody listens on: the daemon is where the package puts it, 127.0.0.1:8080.
    const all = await runCli(['--bus', `unix:path=${join(out, 'no-bus')}`, 'import', 'compose', 'test/fixtures/compose', '--dry-run', '--allow-drop', '--json', '--out', join(out, 'none')]);
    const answer = JSON.parse(all.stdout) as { apps: Array<{ id: string }>; findings: Array<{ level: string; file: string; pointer?: string; message: string }> };
    expect(answer.apps.map((a) => a.id)).toEqual(['anchors', 'bitcoin-node', 'env-forms', 'host-net', 'hostile-injection', 'mempool-db']);
    // ports-volumes publishes 8080 on every address, where the node's daemon listens: not imported.
    expect(answer.findings.filter((f) => f.level === 'error' && f.file.endsWith('ports-volumes.yaml')).map((f) => `${f.file} ${f.pointer}: ${f.message}`)).toEqual([
      `${join(out, 'none', 'ports-volumes.yaml')} /ports/14/host: the imported manifest is invalid: host port 8080/tcp is already bound by archy-quadlet serve (the node's API and web UI) on 127.0.0.1:8080`,
    ]);
    const usage = await runCli(['import', 'compose', 'test/fixtures/compose', '--app', 'x']);
    expect(usage.code).toBe(2);
  });
});

describe('archy-quadlet import quadlet and import container', () => {
  it('import quadlet --dry-run prints the manifests, with where each came from; drops block the write', async () => {
    const r = await runCli(['import', 'quadlet', 'test/fixtures/quadlet/bitcoin-node', '--out', out, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("test/fixtures/quadlet/bitcoin-node/bitcoin.network:7:1 /Network/Subnet: Subnet= is not carried over: a manifest's network is made with its name only (bitcoin); an existing one keeps its options\n");
    expect(r.stderr).toContain('3 part(s) not carried over; nothing written (pass --allow-drop to import without them)');
    const allowed = await runCli(['import', 'quadlet', 'test/fixtures/quadlet/mempool-app', '--out', join(out, 'fresh'), '--dry-run']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('# Imported from test/fixtures/quadlet/mempool-app/mempool.network, test/fixtures/quadlet/mempool-app/mempool-backend.container');
    expect(allowed.stdout).toContain('by archy-quadlet import quadlet.\nid: mempool\n');
  });

  it('import quadlet writes what validate accepts; a directory without units is a usage error', async () => {
    const dir = join(out, 'quadlet');
    const r = await runCli(['import', 'quadlet', 'test/fixtures/quadlet/bitcoin-node', '--out', dir, '--allow-drop']);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['bitcoind.yaml', 'electrs.yaml', 'lnd.yaml']);
    expect((await runCli(['--manifests', dir, 'validate'])).code).toBe(0);
    expect((await runCli(['import', 'quadlet', 'test/fixtures/compose/env-forms'])).code).toBe(2);
  });

  it("--user checks the rootless daemons' addresses (the user daemon's, 127.0.0.1:8081, where no manager answers); compose too", async () => {
    const units = join(out, 'user-units');
    mkdirSync(units);
    writeFileSync(join(units, 'web.container'), '[Container]\nImage=docker.io/library/nginx:1.27.4-alpine\nPublishPort=127.0.0.1:8081:80\n');
    // A bus nobody listens on: the packaged addresses, whatever runs on this machine.
    const noBus = ['--bus', `unix:path=${join(out, 'no-bus')}`];
    const rootful = await runCli([...noBus, 'import', 'quadlet', units, '--out', join(out, 'user-out'), '--dry-run']);
    expect(rootful.code).toBe(0);
    expect(rootful.stderr).not.toContain('already bound');
    const rootless = await runCli([...noBus, '--user', 'import', 'quadlet', units, '--out', join(out, 'user-out'), '--dry-run']);
    expect(rootless.code).toBe(1);
    expect(rootless.stderr).toContain(`${join(out, 'user-out', 'web.yaml')}:7:11 /ports/0/host: the imported manifest is invalid: host port 8081/tcp is already bound by archy-quadlet serve --user (this user's API and web UI) on 127.0.0.1:8081 (pick another host port, or move the daemon: systemctl --user edit archy-quadlet.service)\n`);
    const compose = join(out, 'user-compose');
    mkdirSync(compose);
    writeFileSync(join(compose, 'compose.yaml'), 'services:\n  web:\n    image: docker.io/library/nginx:1.27.4-alpine\n    ports: ["127.0.0.1:8081:80"]\n');
    expect((await runCli([...noBus, 'import', 'compose', compose, '--dry-run', '--out', join(out, 'user-out')])).code).toBe(0);
    const composeRootless = await runCli([...noBus, '--user', 'import', 'compose', compose, '--dry-run', '--out', join(out, 'user-out')]);
    expect(composeRootless.code).toBe(1);
    expect(composeRootless.stderr).toContain("host port 8081/tcp is already bound by archy-quadlet serve --user (this user's API and web UI) on 127.0.0.1:8081");
  });

  it('import container needs names or --all, and says what podman said about a name it cannot inspect', async () => {
    expect((await runCli(['import', 'container'])).code).toBe(2);
    const r = await runCli(['import', 'container', 'ghost', '--podman', '/bin/false', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('container ghost: /bin/false container inspect ghost failed');
  });

  it('import container --all with only containers of systemd units: a usage error naming each one left alone', async () => {
    const podman = join(out, 'podman-units-only');
    writeFileSync(podman, `#!/bin/sh\necho '[{"Names":["lnd"],"Labels":{"PODMAN_SYSTEMD_UNIT":"lnd.service"}},{"Names":["lnd-infra"],"IsInfra":true}]'\n`, { mode: 0o755 });
    const r = await runCli(['import', 'container', '--all', '--podman', podman, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "archy-quadlet: podman has no container to import (--all leaves out those of systemd units and pods' infra containers)\n" +
        'container lnd: left alone: run by the systemd unit lnd.service (import a Quadlet unit with import quadlet)\n',
    );
  });
});
