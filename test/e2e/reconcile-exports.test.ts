import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PassReport } from '../../src/reconcile/pass.js';
import { BUSYBOX_IMAGE } from '../host/image.js';
import { useHost } from '../host/index.js';
import { controllerOnHost, type HostController } from '../support/controller.js';
import { passOnHost, runUnitDir } from '../support/host.js';
import { until } from '../support/wait.js';

// Values between apps, on the real host: an app exports a literal and a generated secret; another takes both as
// environment values, plus a secret of its own and a node fact. The secrets reach the process as podman secrets
// (type env): the value is in no unit file, `podman inspect` shows it masked, and the process reads it. A podman
// secret deleted by hand is created again by the next pass that starts an app needing it.

const host = useHost();
const unitDir = runUnitDir(host);
const work = mkdtempSync(join(tmpdir(), 'archy-reconcile-exports-'));
const manifests = join(work, 'manifests');
const stateDir = join(work, 'state');
const LOOP = 'trap "exit 0" TERM; while true; do sleep 1; done';
let h: HostController;

const EXPORTER = `id: rx-node
image: ${BUSYBOX_IMAGE}
command: [sh, -c, ${JSON.stringify(LOOP)}]
stop:
  timeout: 2s
exports:
  rpc.host: rx-node
  rpc.password: { secret: rx-node-rpc-password }
`;
const CONSUMER = `id: rx-wallet
image: ${BUSYBOX_IMAGE}
command: [sh, -c, ${JSON.stringify(LOOP)}]
stop:
  timeout: 2s
environment:
  RPC_HOST: { app: rx-node, export: rpc.host }
  RPC_PASSWORD: { app: rx-node, export: rpc.password }
  SESSION_KEY: { secret: rx-wallet-session }
  NODE_NAME: { node: hostname }
`;

function pass(): Promise<PassReport> {
  return passOnHost(host, h, { manifestsDir: manifests, stateDir, unitDir }, { node: { hostname: 'umbrel-test' } });
}

const secret = (name: string): string => readFileSync(join(stateDir, 'secrets', name), 'utf8').trim();
/** The value of `name` in the environment of a process inside rx-wallet (as its own process sees it). */
const env = async (name: string): Promise<string> => host.execOk(['podman', 'exec', 'rx-wallet', 'sh', '-c', `printf %s "$${name}"`]);
const active = async (service: string): Promise<string> => (await h.systemd.getUnitProperties(service)).value.activeState ?? '';

beforeAll(async () => {
  mkdirSync(manifests, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  h = await controllerOnHost(host, ['rx-node', 'rx-wallet'], { stateDir });
});

afterAll(async () => {
  for (const f of readdirSync(manifests)) rmSync(join(manifests, f));
  await pass().catch(() => undefined);
  await host.exec(['sh', '-c', 'podman secret rm archy.rx-node-rpc-password archy.rx-wallet-session']).catch(() => undefined);
  await h.close();
  rmSync(work, { recursive: true, force: true });
});

describe('exports, generated secrets and node facts as environment values, on the real host', () => {
  it('the consumer starts after the exporter and gets every value; the secrets only as podman secrets', async () => {
    writeFileSync(join(manifests, 'rx-node.yaml'), EXPORTER);
    writeFileSync(join(manifests, 'rx-wallet.yaml'), CONSUMER);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual([
      'write units/rx-node.container',
      'write units/rx-wallet.container',
      'daemon-reload',
      'write podman secret archy.rx-node-rpc-password',
      'write podman secret archy.rx-wallet-session',
      'start rx-node.service',
      'start rx-wallet.service',
    ]);
    await until('rx-wallet active', () => active('rx-wallet.service'), (s) => s === 'active');
    // Every value reaches the process.
    expect(await env('RPC_HOST')).toBe('rx-node');
    expect(await env('RPC_PASSWORD')).toBe(secret('rx-node-rpc-password'));
    expect(await env('SESSION_KEY')).toBe(secret('rx-wallet-session'));
    expect(await env('NODE_NAME')).toBe('umbrel-test');
    expect(secret('rx-node-rpc-password')).toMatch(/^[0-9a-f]{64}$/);
    // The secrets are in no unit file and podman inspect shows them masked.
    const unit = readFileSync(join(unitDir, 'rx-wallet.container'), 'utf8');
    expect(unit).toContain('Secret=archy.rx-node-rpc-password,type=env,target=RPC_PASSWORD');
    const inspect = await host.execOk(['podman', 'inspect', 'rx-wallet']);
    for (const name of ['rx-node-rpc-password', 'rx-wallet-session']) {
      expect(unit).not.toContain(secret(name));
      expect(inspect).not.toContain(secret(name));
    }
    const generated = await host.execOk(['systemctl', 'cat', 'rx-wallet.service']);
    expect(generated).not.toContain(secret('rx-node-rpc-password'));
    // Ordered after the app whose values it takes, as if it had declared the dependency.
    expect(generated).toMatch(/^After=rx-node\.service$/m);
  });

  it('a no-op pass runs no podman and writes nothing', async () => {
    const r = await pass();
    expect(r.done).toEqual([]);
    expect(r.counters.writes).toBe(0);
  });

  it('a podman secret deleted by hand is created again when an app that needs it starts', async () => {
    await h.systemd.stopUnit('rx-wallet.service');
    await until('rx-wallet stopped', () => active('rx-wallet.service'), (s) => s === 'inactive' || s === 'failed');
    await host.execOk(['podman', 'secret', 'rm', 'archy.rx-wallet-session']);
    const r = await pass();
    expect(r.failures).toEqual([]);
    expect(r.done).toEqual(['write podman secret archy.rx-wallet-session', 'start rx-wallet.service']);
    await until('rx-wallet active', () => active('rx-wallet.service'), (s) => s === 'active');
    expect(await env('SESSION_KEY')).toBe(secret('rx-wallet-session'));
  });
});
