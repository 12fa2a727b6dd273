// Named volumes with options (issue 17, "What users need and cannot express"): a volume on NFS or of a driver is
// rendered into its .volume unit, and podman 5.4.2's generator turns it into podman volume create's options.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import type { Manifest } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import { loadManifests } from '../../src/manifest/load.js';
import { dryRunFiles } from '../support/quadlet.js';
import { execCommands, keyValues } from '../support/systemd-exec.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';
const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };
const compile = (m: Manifest) => compileCatalog([{ file: `manifests/${m.id}.yaml`, manifest: m }], { podmanVersion: '5.4.2', scope: 'system' });

describe('a named volume with a driver, a type, a device and options', () => {
  it('an NFS volume: the .volume unit carries them, and podman volume create gets them as options', () => {
    const result = compile({ id: 'media', image: IMAGE, volumes: [{ name: 'library', target: '/library', type: 'nfs4', device: ':/export/media', options: 'addr=192.168.1.10,nfsvers=4.2' }] });
    expect(result.problems).toEqual([]);
    const files = renderUnits(result.units, templates);
    expect(files.find((f) => f.name === 'media-library.volume')!.content).toContain('[Volume]\nVolumeName=media-library\nType=nfs4\nDevice=:/export/media\nOptions=addr=192.168.1.10,nfsvers=4.2\n');
    const run = dryRunFiles(files);
    expect(run.complaints).toEqual([]);
    const create = execCommands(keyValues(run.services.get('media-library-volume.service')!, 'ExecStart')[0]!);
    expect(create).toEqual({ ok: true, value: [['/usr/bin/podman', 'volume', 'create', '--ignore', '--opt', 'device=:/export/media', '--opt', 'type=nfs4', '--opt', 'o=addr=192.168.1.10,nfsvers=4.2', 'media-library']] });
  });

  it('two containers of an app that name one volume must give it the same options', () => {
    const problems = compile({ id: 'stack', containers: { a: { image: IMAGE, volumes: [{ name: 'd', target: '/d', driver: 'local' }] }, b: { image: IMAGE, volumes: [{ name: 'd', target: '/d', driver: 'other' }] } } }).problems;
    expect(problems.map((p) => p.pointer)).toEqual(['/containers/b/volumes/0']);
  });
});

describe('what validate refuses of a volume is what the real generator refuses', () => {
  it('Driver=image without Image=, Type= or Options= without Device= are not generated; a plugin driver is', () => {
    const run = dryRunFiles([
      { name: 'a.volume', content: '[Volume]\nDriver=image\n' },
      { name: 'b.volume', content: '[Volume]\nType=nfs4\n' },
      { name: 'c.volume', content: '[Volume]\nOptions=addr=10.0.0.5\n' },
      { name: 'd.volume', content: '[Volume]\nDriver=nosuch\n' },
    ]);
    expect([...run.services.keys()]).toEqual(['d-volume.service']);
    expect(run.complaints.join('\n')).toMatch(/"a\.volume": the key Image is mandatory when using the image driver/);
    expect(run.complaints.join('\n')).toMatch(/"b\.volume": key Type can't be used without Device/);
    expect(run.complaints.join('\n')).toMatch(/"c\.volume": key Options can't be used without Device/);
    // validate refuses the same three at their fields, and lets the plugin driver through.
    for (const [field, value] of [['driver', 'image'], ['type', 'nfs4'], ['options', 'addr=10.0.0.5']] as const) {
      const text = `id: v\nimage: ${IMAGE}\nvolumes: [{ name: d, target: /d, ${field}: ${JSON.stringify(value)} }]\n`;
      expect(loadManifests([{ file: 'manifests/v.yaml', text }], { reserved: [] }).problems.map((p) => p.pointer), field).toEqual([`/volumes/0/${field}`]);
    }
    expect(loadManifests([{ file: 'manifests/v.yaml', text: `id: v\nimage: ${IMAGE}\nvolumes: [{ name: d, target: /d, driver: nosuch }]\n` }], { reserved: [] }).problems).toEqual([]);
  });
});
