import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceOf } from '../../src/naming.js';
import { runQuadletDryRun } from '../support/quadlet.js';

describe('podman 5.4.2 Quadlet generator over the committed catalog (units/)', () => {
  it('generates a service for every unit file, with no error and no warning', () => {
    const run = runQuadletDryRun('units');
    expect(run.complaints).toEqual([]);
    expect(run.code).toBe(0);
    expect([...run.services.keys()].sort()).toEqual(readdirSync('units').map((f) => serviceOf(f, readFileSync(join('units', f), 'utf8'))).sort());
  });

  it('keeps our decisions in the generated services: dependencies, health gating, timeouts, memory, one unit per app', () => {
    const { services } = runQuadletDryRun('units');
    // lnd's unit (its network) requires bitcoin's; lnd waits for bitcoind to start; electrumx for it to be healthy.
    expect(services.get('lnd.service')!).toMatch(/^Requires=bitcoin\.service$/m);
    expect(services.get('lnd.service')!).toMatch(/^ExecStart=\/usr\/bin\/podman network create --ignore lnd$/m);
    const lnd = services.get('lnd-lnd.service')!;
    expect(lnd).toMatch(/^After=bitcoin-bitcoind\.service$/m);
    expect(lnd).toMatch(/^PartOf=lnd\.service$/m);
    expect(lnd).toMatch(/^Requires=lnd\.service$/m);
    expect(lnd).toMatch(/^TimeoutStopSec=360$/m);
    expect(lnd).toMatch(/--sdnotify=healthy/);
    expect(lnd).toMatch(/--stop-timeout 330/);
    expect(lnd).toMatch(/--memory=2147483648/);
    expect(lnd).toMatch(/--network lnd:alias=lnd --network archy /);
    expect(services.get('electrumx-electrumx.service')!).toMatch(/^After=bitcoin-bitcoind\.service$/m);
    const bitcoin = services.get('bitcoin-bitcoind.service')!;
    expect(bitcoin).toMatch(/--stop-timeout 600/);
    expect(bitcoin).toMatch(/^TimeoutStopSec=630$/m);
    expect(bitcoin).toMatch(/^TimeoutStartSec=1800$/m);
    expect(bitcoin).toMatch(/--add-host host\.containers\.internal:host-gateway/);
    const ui = services.get('lnd-ui.service')!;
    expect(ui).toMatch(/^PartOf=lnd\.service$/m);
    expect(ui).toMatch(/^After=lnd-lnd\.service$/m);
    expect(ui).toMatch(/^WantedBy=lnd\.service$/m);
    for (const app of ['bitcoin', 'electrumx', 'lnd']) expect(services.get(`${app}.service`)!, app).toMatch(/^WantedBy=multi-user\.target$/m);
  });
});
