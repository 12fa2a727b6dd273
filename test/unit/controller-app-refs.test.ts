import { describe, expect, it } from 'vitest';
import { appRef, unitDirAppRefs } from '../../src/controller/app-refs.js';
import type { Manifest } from '../../src/manifest/types.js';

/** App `shop`'s ref with containers `names`, in that order. */
const shop = (names: string[]) => ({ id: 'shop', name: 'shop', unit: 'shop.service', containers: names.map((name) => ({ name, unit: `shop-${name}.service` })) });
const container = (unit: string[] = [], body: string[] = ['Image=localhost/busybox:latest']): string => `[Unit]\n${unit.join('\n')}\n\n[Container]\n${body.join('\n')}\n`;

describe('unitDirAppRefs', () => {
  it('groups the containers of an app of several under its network unit; every other container is an app', () => {
    const files = [
      { name: 'archy.network', content: '[Network]\nNetworkName=archy\n' },
      { name: 'lnd.container', content: container() },
      { name: 'shop-api.container', content: container(['PartOf=shop.service', 'Requires=shop-db.service', 'After=shop-db.service'], ['Network=shop.network']) },
      { name: 'shop-db.container', content: container(['PartOf=shop.service'], ['Network=shop.network']) },
      { name: 'shop-web.container', content: container(['PartOf=other.service shop.service'], ['Network=shop.network']) },
      { name: 'shop.network', content: '[Unit]\nDescription=shop\n\n[Network]\nNetworkName=shop\nServiceName=shop\n\n[Install]\nWantedBy=multi-user.target\n' },
      { name: 'stray.container', content: container(['PartOf=nothing-known.service']) },
      { name: 'broken.container', content: 'not a unit line\n' },
      { name: 'README.md', content: '' },
    ];
    expect(unitDirAppRefs(files)).toEqual([
      { id: 'broken', name: 'broken', unit: 'broken.service' },
      { id: 'lnd', name: 'lnd', unit: 'lnd.service' },
      shop(['api', 'db', 'web']),
      { id: 'stray', name: 'stray', unit: 'stray.service' },
    ]);
  });

  it('a network whose service is named otherwise, or that no container is part of, is no app', () => {
    expect(unitDirAppRefs([{ name: 'net.network', content: '[Network]\nServiceName=other\n' }, { name: 'empty.network', content: '[Network]\nServiceName=empty\n' }])).toEqual([]);
  });
});

describe('appRef', () => {
  it('a one-container app has no containers', () => {
    expect(appRef({ id: 'lnd', name: 'LND', image: 'docker.io/x/lnd:1' } as Manifest)).toEqual({ id: 'lnd', name: 'LND', unit: 'lnd.service', meta: { version: '1' }, desired: 'running' });
  });
  it('an app of several lists its containers in manifest order', () => {
    const m = { id: 'shop', containers: { db: { image: 'docker.io/x/db:1' }, api: { image: 'docker.io/x/api:1' }, web: { image: 'docker.io/x/web:1' } } } as unknown as Manifest;
    expect(appRef(m)).toEqual({ ...shop(['db', 'api', 'web']), meta: { version: '1' }, desired: 'running' });
  });
});
