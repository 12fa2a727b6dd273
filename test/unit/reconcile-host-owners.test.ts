import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { containerOwner, hostOwners } from '../../src/reconcile/desired.js';

// Who owns what a rootful node writes for a container (desired.ts hostOwners): the container's numeric user.

describe('containerOwner', () => {
  it('a numeric uid, or uid:gid; nothing for a name, for root, or without a user', () => {
    expect(containerOwner('1000')).toEqual({ uid: 1000 });
    expect(containerOwner('101:102')).toEqual({ uid: 101, gid: 102 });
    expect(containerOwner('bitcoin')).toBeUndefined();
    expect(containerOwner('101:bitcoin')).toBeUndefined();
    expect(containerOwner('0')).toBeUndefined();
    expect(containerOwner('0:1000')).toBeUndefined();
    expect(containerOwner(undefined)).toBeUndefined();
  });
});

describe('hostOwners', () => {
  it("gives each container's configs and writable data binds to its numeric user; shared or read-only ones stay root's", () => {
    const image = 'docker.io/library/busybox:1.37.0';
    const m = {
      id: 'shop',
      containers: {
        api: {
          image,
          user: '1000:1000',
          binds: [
            { source: '/var/lib/archipelago/shop/api', target: '/data' },
            { source: '/var/lib/archipelago/shop/shared', target: '/shared' },
            { source: '/var/lib/archipelago/shop/static', target: '/static', readOnly: true },
          ],
          configs: [{ template: 'api.conf.hbs', path: '/var/lib/archipelago/shop/api.conf', target: '/etc/api.conf' }],
        },
        web: {
          image,
          user: '101',
          binds: [
            { source: '/var/lib/archipelago/shop/shared', target: '/shared' },
            { source: '/var/lib/archipelago/shop/static/', target: '/usr/share/www' },
          ],
        },
        db: {
          image,
          binds: [{ source: '/var/lib/archipelago/shop/db', target: '/var/lib/db' }],
          configs: [{ template: 'db.conf.hbs', path: '/var/lib/archipelago/shop/db.conf', target: '/etc/db.conf' }],
        },
      },
    } as Manifest;
    expect(hostOwners(m)).toEqual({
      configs: { '/var/lib/archipelago/shop/api.conf': { uid: 1000, gid: 1000 } },
      dirs: {
        '/var/lib/archipelago/shop/api': { uid: 1000, gid: 1000 },
        // web writes it (api only reads it): web's.
        '/var/lib/archipelago/shop/static': { uid: 101 },
      },
    });
  });

  it("a template app's %i bind gives each instance's own directory to the container's user, not the unexpanded path", () => {
    const m = {
      id: 'indexer',
      image: 'docker.io/library/busybox:1.37.0',
      user: '1000',
      instances: ['1', '2'],
      binds: [{ source: '/var/lib/archipelago/indexer/shard-%i', target: '/data' }],
    } as Manifest;
    expect(hostOwners(m).dirs).toEqual({
      '/var/lib/archipelago/indexer/shard-1': { uid: 1000 },
      '/var/lib/archipelago/indexer/shard-2': { uid: 1000 },
    });
  });
});
