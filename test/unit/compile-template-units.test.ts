// Template units (issue 17, "What users need and cannot express"): one manifest, N instances. A one-container app
// with `instances` renders the template <id>@.container (%i kept as systemd's instance specifier) and the app unit
// <id>.network wanting <id>@<name>.service per instance; podman 5.4.2's generator makes the template service.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { loadManifests } from '../../src/manifest/load.js';
import type { Manifest } from '../../src/manifest/types.js';
import { containerServicesOf } from '../../src/naming.js';
import { renderUnits } from '../../src/render/render-units.js';
import { dryRunFiles } from '../support/quadlet.js';
import { execCommands, expandSpecifiers, keyValues } from '../support/systemd-exec.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';
const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };
const INDEXER: Manifest = { id: 'indexer', image: IMAGE, instances: ['1', '2'], command: ['indexer', '--shard', '%i', '--rate', '100%'], environment: { SHARD: 'shard-%i' } };

function validate(manifests: Manifest[]) {
  const loaded = loadManifests(manifests.map((m) => ({ file: `manifests/${m.id}.yaml`, text: JSON.stringify(m) })), { templates: [] });
  const result = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
  return { units: result.units, problems: [...loaded.problems, ...result.problems].map((p) => `${p.pointer}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`) };
}

describe('an app with instances', () => {
  it('renders the template and the app unit that wants each instance; the generator makes indexer@.service with %i for systemd', () => {
    const { units, problems } = validate([INDEXER]);
    expect(problems).toEqual([]);
    const files = renderUnits(units, templates);
    expect(files.map((f) => f.name)).toEqual(['indexer.network', 'indexer@.container']);
    const network = files.find((f) => f.name === 'indexer.network')!.content;
    expect(network).toContain('[Unit]\nDescription=indexer\nWants=indexer@1.service\nWants=indexer@2.service\n');
    expect(network).toContain('[Network]\nNetworkName=indexer\nServiceName=indexer\n');
    expect(network).toContain('[Install]\nWantedBy=multi-user.target\n');
    const template = files.find((f) => f.name === 'indexer@.container')!.content;
    expect(template).toContain('PartOf=indexer.service\n');
    expect(template).toContain('ContainerName=indexer-%i\nExec=indexer --shard %i --rate 100%%\n');
    expect(template).toContain('Environment=SHARD=shard-%i\n');
    expect(template).toContain('Network=indexer.network\n');
    expect(template).not.toContain('[Install]');

    const run = dryRunFiles(files);
    expect(run.complaints).toEqual([]);
    const service = run.services.get('indexer@.service')!;
    expect(keyValues(service, 'Requires')).toContain('indexer.service');
    const start = keyValues(service, 'ExecStart').find((v) => v.startsWith('/usr/bin/podman run '))!;
    // systemd expands %i per instance: indexer@2.service runs container indexer-2 with shard 2.
    const read = execCommands(start.replaceAll('%i', '2').replaceAll('%N', 'indexer@2').replaceAll('%t', '/run'));
    expect(read.ok).toBe(true);
    const argv = read.ok ? read.value[0]! : [];
    expect(argv.slice(argv.indexOf(IMAGE) + 1)).toEqual(['indexer', '--shard', '2', '--rate', '100%']);
    expect(argv[argv.indexOf('--name') + 1]).toBe('indexer-2');
    expect(argv).toContain('SHARD=shard-2');
    // What the pass reads as the app's container services: the instances, not the template.
    expect(containerServicesOf(files)).toEqual(['indexer@1.service', 'indexer@2.service']);
    expect(expandSpecifiers('%%i')).toEqual({ ok: true, value: '%i' });
    // A user's manager takes the same template (rootless).
    const rootless = compileCatalog(loadManifests([{ file: 'manifests/indexer.yaml', text: JSON.stringify(INDEXER) }]).manifests, { podmanVersion: '5.4.2', scope: 'user' });
    const user = dryRunFiles(renderUnits(rootless.units, templates), { user: true });
    expect(user.complaints).toEqual([]);
    expect([...user.services.keys()].sort()).toEqual(['indexer.service', 'indexer@.service']);
  });

  it('another app waits for every instance; one instance may be named as a container', () => {
    const { units, problems } = validate([INDEXER, { id: 'api', image: IMAGE, dependsOn: [{ app: 'indexer' }] }, { id: 'one', image: IMAGE, dependsOn: [{ app: 'indexer', container: '2' }] }]);
    expect(problems).toEqual([]);
    const unit = (name: string) => units.find((u) => u.file === name)!;
    expect(unit('api.container').Unit).toMatchObject({ Requires: ['indexer.service'], After: ['indexer@1.service', 'indexer@2.service'] });
    expect(unit('one.container').Unit).toMatchObject({ Requires: ['indexer.service'], After: ['indexer@2.service'] });
  });

  it('refuses, at the field: instances in an app of several, with a build, ports with more than one instance, a bad name', () => {
    expect(validate([{ id: 'a', instances: ['1'], containers: { x: { image: IMAGE } } }]).problems).toContain(
      '/instances: instances are for a one-container app (run the containers of an app of several as separate apps, or give the instances to a one-container app)',
    );
    expect(validate([{ id: 'a', instances: ['1'], build: { context: '/srv/a', tag: 'localhost/a:1' } }]).problems).toEqual([
      '/instances: an app with instances cannot build its image (the build unit would be a template too) (build the image in another app and name it in image)',
    ]);
    expect(validate([{ id: 'a', image: IMAGE, instances: ['1', '2'], ports: [{ container: 80, host: 8088 }] }]).problems).toEqual([
      '/ports: every instance would publish the same host ports (leave the ports out (instances reach each other by name on the app network), or run one instance)',
    ]);
    expect(validate([{ id: 'a', image: IMAGE, instances: ['1'], ports: [{ container: 80, host: 8088 }] }]).problems).toEqual([]);
    expect(validate([{ id: 'a', image: IMAGE, instances: ['Shard 1'] }]).problems.join('\n')).toMatch(/^\/instances\/0: must be an instance name/);
    expect(validate([{ id: 'a', image: IMAGE, instances: ['1', '1'] }]).problems.join('\n')).toMatch(/^\/instances/);
  });

  it("refuses an instance whose container <id>-<name> is another app's container, at the instance (each start would remove the other's)", () => {
    const busy = { id: 'idx', image: IMAGE, instances: ['db', '2'] } as Manifest;
    expect(validate([busy, { id: 'idx-db', image: IMAGE }]).problems).toEqual([
      '/instances/0: instance db runs the container idx-db, which is also the container of app "idx-db" (manifests/idx-db.yaml): each start would remove the other\'s (rename the instance or that app)',
    ]);
    // A container of an app of several, and another template's instance.
    expect(validate([{ id: 'mem', image: IMAGE, instances: ['pool-db'] }, { id: 'mem-pool', containers: { db: { image: IMAGE } } }]).problems).toEqual([
      '/instances/0: instance pool-db runs the container mem-pool-db, which is also the container of container db of app "mem-pool" (manifests/mem-pool.yaml): each start would remove the other\'s (rename the instance or that app)',
    ]);
    expect(validate([{ id: 'a', image: IMAGE, instances: ['b-1'] }, { id: 'a-b', image: IMAGE, instances: ['1'] }]).problems).toHaveLength(1);
    expect(validate([busy, { id: 'idx-web', image: IMAGE }]).problems).toEqual([]);
  });

  it('refuses %i in a config path: the config is written once, and no instance would mount it', () => {
    expect(validate([{ id: 'idx', image: IMAGE, instances: ['1'], configs: [{ template: 't.hbs', path: '/var/lib/archipelago/idx/%i/idx.conf', target: '/etc/idx.conf' }] }]).problems).toContain(
      "/configs/0/path: a template app's instances share its config files: the node writes this one once, at a path with a literal %i, which no instance mounts (use one path for every instance; what differs per instance goes in command or environment as %i)",
    );
  });
});
