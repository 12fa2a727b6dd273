// Drift of existing volumes and networks from their units (podman creates each once: `--ignore`). The inspected
// values are podman 5.4.2's own output on the test host (`podman volume inspect`, `podman network inspect`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driftOf, type DriftMemo } from '../../src/reconcile/pass.js';
import { describeDrift, findDrift, wantedResources, type InspectedNetwork, type InspectedVolume } from '../../src/reconcile/drift.js';
import type { Desired } from '../../src/reconcile/types.js';

const unit = (name: string, app: string | undefined, text: string) => ({ name, ...(app ? { app } : {}), sources: [], content: `# header\n${text}` });
const desired: Desired = {
  apps: [
    {
      id: 'media', run: true, configs: [], hash: 'h', startTimeoutMs: 1,
      units: [
        unit('media.container', 'media', '[Container]\nImage=x\nVolume=media-library.volume:/library\nNetwork=lan.network\n'),
        unit('media-library.volume', 'media', '[Volume]\nVolumeName=media-library\nType=nfs4\nDevice=:/export/media\nOptions=addr=192.168.1.10,nfsvers=4.2\n'),
      ],
    },
  ],
  shared: [unit('lan.network', undefined, '[Network]\nNetworkName=lan\nSubnet=10.60.0.0/24\nGateway=10.60.0.1\nInternal=true\nOptions=mtu=1400\n')],
};
const wanted = wantedResources(desired);
// `podman network inspect` of a network created with --subnet 10.77.0.0/24 --internal --opt mtu=1400 (test host).
const created: InspectedNetwork = { driver: 'bridge', subnets: [{ subnet: '10.60.0.0/24', gateway: '10.60.0.1' }], ipv6_enabled: false, internal: true, options: { mtu: '1400' } };
const nfs: InspectedVolume = { Driver: 'local', Options: { device: ':/export/media', o: 'addr=192.168.1.10,nfsvers=4.2', type: 'nfs4' } };
const find = (volumes: Record<string, InspectedVolume>, networks: Record<string, InspectedNetwork>) => findDrift(wanted, { volumes: new Map(Object.entries(volumes)), networks: new Map(Object.entries(networks)) });

describe('volumes and networks that exist with other options', () => {
  it('reads what the units make and which apps use them', () => {
    expect(wanted.map((w) => [w.kind, w.name, w.unit, w.apps, w.service])).toEqual([['volume', 'media-library', 'media-library.volume', ['media'], 'media-library-volume.service'], ['network', 'lan', 'lan.network', ['media'], 'lan-network.service']]);
  });

  it('a shared network lists every app whose containers name it (bare or with options), and no other', () => {
    const apps = ['photos', 'books', 'tor'].map((id, i) => ({
      id, run: true, configs: [], hash: 'h', startTimeoutMs: 1,
      units: [unit(`${id}.container`, id, `[Container]\nImage=x\n${['Network=lan.network', 'Network=lan.network:ip=10.60.0.9', 'Network=host\nVolume=lan.volume:/x'][i]}\n`)],
    }));
    const both = wantedResources({ apps: [...desired.apps, ...apps], shared: desired.shared });
    expect(both.map((w) => [w.name, w.apps])).toEqual([['media-library', ['media']], ['lan', ['books', 'media', 'photos']]]);
  });

  it('as created: no drift; missing (to be created): no drift', () => {
    expect(find({ 'media-library': nfs }, { lan: created })).toEqual([]);
    expect(find({}, {})).toEqual([]);
  });

  it('a local volume the unit moved to NFS (podman volume inspect: Options {}) is reported with the commands, never removed', () => {
    const drift = find({ 'media-library': { Driver: 'local', Options: {} } }, {});
    expect(drift.map(describeDrift)).toEqual([
      'volume media-library (app media) differs from media-library.volume: type: nfs4 wanted, the volume has none; device: :/export/media wanted, the volume has none; o: addr=192.168.1.10,nfsvers=4.2 wanted, the volume has none (podman keeps a volume as it was created; to apply the change, save its data, then systemctl stop media.service media-library-volume.service; podman volume rm media-library; systemctl start media.service (the pass does not remove a volume: it holds data))',
    ]);
  });

  it('rootless, the commands are the user\'s', () => {
    const drift = findDrift(wanted, { volumes: new Map([['media-library', { Driver: 'local', Options: {} }]]), networks: new Map() }, true);
    expect(drift[0]!.hint).toContain('then systemctl --user stop media.service media-library-volume.service; podman volume rm media-library; systemctl --user start media.service');
  });

  it('a network with another subnet, gateway, internal flag and option; podman\'s added IPv6 subnet and host bits are no drift', () => {
    expect(find({}, { lan: { driver: 'bridge', subnets: [{ subnet: '10.90.0.0/24', gateway: '10.90.0.1' }], internal: false, options: {} } })[0]!.differences).toEqual([
      'subnets: 10.60.0.0/24 wanted, the network has 10.90.0.0/24',
      'internal: true wanted, the network has false',
      'option mtu: 1400 wanted, the network has none',
    ]);
    expect(find({}, { lan: { ...created, subnets: [{ subnet: '10.60.0.0/24', gateway: '10.60.0.254' }] } })[0]!.differences).toEqual(['gateway of 10.60.0.0/24: 10.60.0.1 wanted, the network has 10.60.0.254']);
    expect(find({}, { lan: { ...created, options: { mtu: '1400', isolate: 'true' } } })[0]!.hint).toBe('podman keeps a network as it was created; to apply the change: systemctl stop media.service lan-network.service; podman network rm lan; systemctl start media.service (the network is created anew with the unit\'s options)');
  });
});

describe("a loop's drift memo (issue 15: a no-op pass spawns no podman)", () => {
  it('asks podman again only when the units change or the last check found drift', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'archy-drift-memo-'));
    try {
      const calls = join(dir, 'calls');
      // A stand-in podman (`$1 ls --format json`, $1 volume|network) that logs each call and lists the unit's volume
      // or network as created, beside one of podman's own that no unit names.
      const volumes = (volume: object) => JSON.stringify([{ Name: 'other', Driver: 'local', Options: {} }, { ...volume, Name: 'media-library' }]);
      const networks = JSON.stringify([{ name: 'podman', driver: 'bridge', subnets: [{ subnet: '10.88.0.0/16', gateway: '10.88.0.1' }] }, { ...created, name: 'lan' }]);
      const podman = (volume: object) => ['sh', '-c', `echo "$1 $2" >> ${calls}; if [ "$1" = volume ]; then echo '${volumes(volume)}'; else echo '${networks}'; fi`, 'podman'];
      const count = () => readFileSync(calls, 'utf8').trim().split('\n').length;
      const memo: DriftMemo = {};
      const log = () => {};
      expect(await driftOf(desired, podman(nfs), false, log, memo)).toEqual([]);
      expect(count()).toBe(2); // the volume and the network
      // Same units, no drift last time: podman is not asked.
      expect(await driftOf(desired, podman(nfs), false, log, memo)).toEqual([]);
      expect(count()).toBe(2);
      // The same desired object again (the watch loader's, inputs unchanged): its units are not even read again.
      let reads = 0;
      const counted = new Proxy(desired, { get: (t, k) => (k === 'apps' && reads++, Reflect.get(t, k)) });
      expect(await driftOf(counted, podman(nfs), false, log, memo)).toEqual([]);
      const afterKey = reads;
      expect(afterKey).toBeGreaterThan(0);
      expect(await driftOf(counted, podman(nfs), false, log, memo)).toEqual([]);
      expect(reads).toBe(afterKey);
      expect(count()).toBe(2);
      // Without a memo (apply), every pass asks.
      await driftOf(desired, podman(nfs), false, log, undefined);
      expect(count()).toBe(4);
      // Changed units: asked again; drift found, so the next pass asks again too (to see it fixed).
      const moved: Desired = { ...desired, shared: [unit('lan.network', undefined, '[Network]\nNetworkName=lan\nSubnet=10.61.0.0/24\n')] };
      expect((await driftOf(moved, podman(nfs), false, log, memo)).map((d) => d.name)).toEqual(['lan']);
      expect(count()).toBe(6);
      await driftOf(moved, podman(nfs), false, log, memo);
      expect(count()).toBe(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
