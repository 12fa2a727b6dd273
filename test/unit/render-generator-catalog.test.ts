import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { serviceName } from '../../src/naming.js';
import { runQuadletDryRun } from '../support/quadlet.js';

describe('podman 5.4.2 Quadlet generator over the committed catalog (units/)', () => {
  it('generates a service for every unit file, with no error and no warning', () => {
    const run = runQuadletDryRun('units');
    expect(run.complaints).toEqual([]);
    expect(run.code).toBe(0);
    expect([...run.services.keys()].sort()).toEqual(readdirSync('units').map(serviceName).sort());
  });

  it('keeps our decisions in the generated services: dependencies, health gating, timeouts, memory', () => {
    const { services } = runQuadletDryRun('units');
    const lnd = services.get('lnd.service')!;
    expect(lnd).toMatch(/^Requires=bitcoin\.service$/m);
    expect(lnd).toMatch(/^After=bitcoin\.service$/m);
    expect(lnd).toMatch(/^TimeoutStopSec=360$/m);
    expect(lnd).toMatch(/--sdnotify=healthy/);
    expect(lnd).toMatch(/--stop-timeout 330/);
    expect(lnd).toMatch(/--memory=2147483648/);
    const bitcoin = services.get('bitcoin.service')!;
    expect(bitcoin).toMatch(/--stop-timeout 600/);
    expect(bitcoin).toMatch(/^TimeoutStopSec=630$/m);
    expect(bitcoin).toMatch(/^TimeoutStartSec=1800$/m);
    expect(bitcoin).toMatch(/--add-host host\.containers\.internal:host-gateway/);
    const ui = services.get('archy-lnd-ui.service')!;
    expect(ui).toMatch(/^PartOf=lnd\.service$/m);
    expect(ui).toMatch(/^WantedBy=lnd\.service$/m);
  });
});
