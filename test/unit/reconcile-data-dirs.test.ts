import { describe, expect, it } from 'vitest';
import { dataDirs, expandInstance } from '../../src/reconcile/desired.js';
import type { Manifest } from '../../src/manifest/types.js';

// Which bind sources a pass makes when missing: the app's writable binds under its own data directory.

describe('dataDirs', () => {
  it("a writable bind under the app's data directory, once each, sorted; read-only binds and other paths are not the pass's", () => {
    const m = {
      id: 'lnd',
      containers: {
        lnd: {
          image: 'img',
          binds: [
            { source: '/var/lib/archipelago/lnd/data/', target: '/root/.lnd' },
            { source: '/var/lib/archipelago/lnd', target: '/all' },
            // Another container's output (read-only): made by its producer, never by the pass.
            { source: '/var/lib/archipelago/lnd/tls.cert', target: '/tls.cert', readOnly: true },
            // The node's, not the app's.
            { source: '/var/lib/archipelago/bitcoin/data', target: '/btc' },
            { source: '/run/podman/podman.sock', target: '/podman.sock' },
            { source: '/var/lib/archipelago/lndx/data', target: '/x' },
          ],
        },
        ui: { image: 'img', binds: [{ source: '/var/lib/archipelago/lnd/data', target: '/data' }] },
      },
    } as unknown as Manifest;
    expect(dataDirs(m)).toEqual(['/var/lib/archipelago/lnd', '/var/lib/archipelago/lnd/data']);
  });

  it('an app without binds has none', () => {
    expect(dataDirs({ id: 'web', image: 'img' } as Manifest)).toEqual([]);
  });

  it("a template app's %i is each instance's name and %I its unescaped name ('-' is '/'), as systemd expands them", () => {
    const m = { id: 'idx', image: 'img', instances: ['shard-1', 'b'], binds: [{ source: '/var/lib/archipelago/idx/%i', target: '/data' }, { source: '/var/lib/archipelago/idx/by-path/%I', target: '/p' }] } as Manifest;
    expect(dataDirs(m)).toEqual(['/var/lib/archipelago/idx/b', '/var/lib/archipelago/idx/by-path/b', '/var/lib/archipelago/idx/by-path/shard/1', '/var/lib/archipelago/idx/shard-1']);
    expect(expandInstance('%i:%I', 'eu-west-1')).toBe('eu-west-1:eu/west/1');
  });
});
