/**
 * Property: what reaches podman is what the manifest says. For random text in any string field, either the compiler
 * reports a problem, or podman 5.4.2's own generator turns the rendered units into a service whose `ExecStart=`,
 * read the way systemd 257 reads it (test/support/systemd-exec.ts), is one command carrying each value exactly
 * (command, entrypoint, environment, mounts, …), whose `RequiresMountsFor=` names each host path, and whose
 * `Description=` is the manifest's. Cases are batched: one generator run converts a whole batch of apps.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { loadManifests } from '../../src/manifest/load.js';
import { networkName } from '../../src/manifest/containers.js';
import type { Manifest } from '../../src/manifest/types.js';
import { renderUnits } from '../../src/render/render-units.js';
import { EVERY_FIELD, mutations, stringLeaves } from '../support/manifest-leaves.js';
import { podmanHealthTest, runQuadletDryRun } from '../support/quadlet.js';
import { execCommands, expandSpecifiers, keyValues, mountPaths } from '../support/systemd-exec.js';

const templates = { unit: readFileSync('templates/unit.hbs', 'utf8') };
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * Every field, with what needs another app (dependsOn) or is verbatim syntax (the `quadlet:` escape hatch) left out;
 * a command and a health check of several words.
 */
const { dependsOn: _d, quadlet: _q, ...fields } = EVERY_FIELD;
const BASE: Manifest = { ...fields, command: ['find', '/data', '-name', '*.tmp', '-exec', 'rm', '-f', '{}', '+'], health: { cmd: ['check', '--quiet'], interval: '30s' }, secrets: [...fields.secrets!, { name: 'plain' }] };
const LEAVES = stringLeaves(BASE).filter((l) => l.where !== '/id');

/** The `podman run` argv of a service: its options as [flag, value] pairs, the image and the command's arguments. */
function podmanRun(service: string): { options: Array<[string, string]>; image: string; args: string[] } {
  const runs = keyValues(service, 'ExecStart').filter((v) => v.startsWith('/usr/bin/podman run '));
  expect(runs).toHaveLength(1);
  const read = execCommands(runs[0]!);
  if (!read.ok) throw new Error(`systemd would refuse ExecStart=: ${read.message}`);
  expect(read.value, 'one command in ExecStart=').toHaveLength(1);
  const argv = read.value[0]!;
  const options: Array<[string, string]> = [];
  let i = 2;
  while (argv[i]!.startsWith('-')) {
    const w = argv[i++]!;
    if (w.includes('=')) options.push([w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]);
    else if (['--replace', '--rm', '-d', '--init', '--read-only', '--privileged'].includes(w)) options.push([w, '']);
    else options.push([w, argv[i++]!]);
  }
  return { options, image: argv[i]!, args: argv.slice(i + 1) };
}

/** The options a manifest must give podman, as [flag, value] (JSON values compared parsed). */
function expectedOptions(m: Manifest): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (flag: string, values: readonly string[] | undefined): void => values?.forEach((v) => out.push([flag, v]));
  add('--workdir', m.workingDir === undefined ? undefined : [m.workingDir]);
  add('--user', m.user === undefined ? undefined : [m.user]);
  add('--hostname', m.hostname === undefined ? undefined : [m.hostname]);
  add('--stop-signal', m.stop?.signal === undefined ? undefined : [m.stop.signal]);
  add('--entrypoint', m.entrypoint && [JSON.stringify(m.entrypoint)]);
  add('--env', Object.entries(m.environment ?? {}).map(([k, v]) => `${k}=${v as string}`));
  add('--label', Object.entries(m.labels ?? {}).map(([k, v]) => `${k}=${v}`));
  add('--sysctl', Object.entries(m.sysctls ?? {}).map(([k, v]) => `${k}=${v}`));
  add('--secret', m.secrets?.map((s) => (s.env !== undefined ? `${s.name},type=env,target=${s.env}` : s.target !== undefined ? `${s.name},type=mount,target=${s.target}` : s.name)));
  add('--add-host', m.hosts?.map((h) => `${h.host}:${h.ip}`));
  add('--device', m.devices?.map((d) => (typeof d === 'string' ? d : [d.host, d.container, d.permissions].filter((x) => x !== undefined).join(':'))));
  add('--tmpfs', m.tmpfs?.flatMap((t) => (typeof t === 'string' ? [t] : [])));
  add('--cap-add', m.security?.capAdd?.map((c) => c.toLowerCase()));
  add('--cap-drop', m.security?.capDrop?.map((c) => c.toLowerCase()));
  add('--network', m.networks?.map(networkName));
  add('-v', [
    ...(m.volumes ?? []).map((v) => `${m.id}-${v.name}:${v.target}${v.readOnly ? ':ro' : ''}`),
    ...(m.binds ?? []).map((b) => `${b.source}:${b.target}${b.relabel ? `:${b.relabel}` : ''}`),
    ...(m.configs ?? []).map((c) => `${c.path}:${c.target}:ro`),
  ]);
  return out;
}

const normalized = (flag: string, value: string): string => (flag === '--entrypoint' ? JSON.stringify(JSON.parse(value)) : value);

describe('what reaches podman through its 5.4.2 generator and systemd is what the manifest says', () => {
  it('for random text in every string field: one command, every value intact, every host path a mount dependency', () => {
    let checked = 0;
    fc.assert(
      fc.property(fc.array(mutations(LEAVES), { minLength: 60, maxLength: 60 }), (batch) => {
        const dir = mkdtempSync(path.join(tmpdir(), 'archy-generator-property-'));
        dirs.push(dir);
        const cases: Manifest[] = [];
        batch.forEach((changes, n) => {
          const m = structuredClone(BASE);
          // Every other case a one-word health command (podman would run it through /bin/sh: issue 17's quirk).
          if (n % 2 === 0) m.health!.cmd = m.health!.cmd.slice(0, 1);
          for (const [i, text] of changes) LEAVES[i]!.set(m, text);
          m.id = `app${n}`;
          // A network with options is one unit per name: each case its own.
          for (const net of m.networks ?? []) if (typeof net !== 'string' && net.name === 'lan') net.name = `${m.id}-lan`;
          for (const c of m.configs ?? []) c.path = c.path.replace('/archipelago/app/', `/archipelago/${m.id}/`);
          // validate's own path: YAML (JSON is YAML) → schema and checks → compile.
          const loaded = loadManifests([{ file: `manifests/${m.id}.yaml`, text: JSON.stringify(m) }], { templates: ['a.conf.hbs'] });
          if (loaded.problems.length > 0) return;
          const result = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
          if (result.problems.length > 0) return;
          for (const f of renderUnits(result.units, templates)) writeFileSync(path.join(dir, f.name), f.content);
          cases.push(m);
        });
        const run = runQuadletDryRun(dir);
        expect(run.complaints).toEqual([]);
        for (const m of cases) {
          const service = run.services.get(`${m.id}.service`);
          expect(service, `${m.id}.service generated`).toBeDefined();
          const { options, image, args } = podmanRun(service!);
          expect(image).toBe(m.image);
          expect(args).toEqual(m.command);
          const given = options.map(([f, v]) => `${f} ${normalized(f, v)}`);
          for (const [flag, value] of expectedOptions(m)) expect(given, `${m.id} ${flag}`).toContain(`${flag} ${normalized(flag, value)}`);
          const health = options.find(([f]) => f === '--health-cmd');
          expect(podmanHealthTest(health![1])).toEqual(['CMD', ...m.health!.cmd]);
          const mounts = keyValues(service!, 'RequiresMountsFor').flatMap((v) => {
            const paths = mountPaths(v);
            if (!paths.ok) throw new Error(`systemd would refuse RequiresMountsFor=${v}: ${paths.message}`);
            return paths.value;
          });
          for (const p of [...(m.binds ?? []).map((b) => b.source), ...(m.configs ?? []).map((c) => c.path)]) expect(mounts).toContain(p);
          for (const v of m.volumes ?? []) {
            const create = execCommands(keyValues(run.services.get(`${m.id}-${v.name}-volume.service`)!, 'ExecStart')[0]!);
            if (!create.ok) throw new Error(create.message);
            const opts = (create.value[0] ?? []).flatMap((w, i, all) => (all[i - 1] === '--opt' || all[i - 1] === '--driver' ? [`${all[i - 1]} ${w}`] : []));
            const wanted = [...(v.driver ? [`--driver ${v.driver}`] : []), ...(v.device ? [`--opt device=${v.device}`] : []), ...(v.type ? [`--opt type=${v.type}`] : []), ...(v.options ? [`--opt o=${v.options}`] : [])];
            expect(opts.sort(), `${m.id} volume ${v.name}`).toEqual(wanted.sort());
          }
          for (const net of m.networks ?? []) {
            if (typeof net === 'string') continue;
            const create = execCommands(keyValues(run.services.get(`${net.name}-network.service`)!, 'ExecStart')[0]!);
            if (!create.ok) throw new Error(create.message);
            expect(create.value, `${net.name}: one command`).toHaveLength(1);
            const argv = create.value[0]!;
            const pairs = argv.flatMap((w, i) => (['--subnet', '--gateway', '--ip-range', '--dns', '--opt', '--driver'].includes(argv[i - 1]!) ? [`${argv[i - 1]} ${w}`] : []));
            const wanted = [
              ...(net.driver ? [`--driver ${net.driver}`] : []),
              ...(net.subnets ?? []).flatMap((s) => [`--subnet ${s.subnet}`, ...(s.gateway ? [`--gateway ${s.gateway}`] : []), ...(s.ipRange ? [`--ip-range ${s.ipRange}`] : [])]),
              ...(net.dns ?? []).map((d) => `--dns ${d}`),
              ...Object.entries(net.options ?? {}).map(([k, v]) => `--opt ${k}=${v}`),
            ];
            expect(pairs.sort(), `${m.id} network ${net.name}`).toEqual(wanted.sort());
            expect(argv.includes('--internal'), `${net.name} --internal`).toBe(net.internal === true);
            expect(argv.includes('--ipv6'), `${net.name} --ipv6`).toBe(net.ipv6 === true);
            expect(argv[argv.length - 1]).toBe(net.name);
          }
          const description = expandSpecifiers(keyValues(service!, 'Description')[0]!);
          expect(description).toEqual({ ok: true, value: m.description });
          checked++;
        }
      }),
      { numRuns: 30 },
    );
    // The property must not hold only because every input was refused.
    expect(checked).toBeGreaterThan(100);
  });

  it('covers every string field that reaches podman', () => {
    expect(LEAVES.length).toBeGreaterThan(45);
    expect(LEAVES.map((l) => l.where)).toEqual(expect.arrayContaining(['/command/0', '/entrypoint/1', '/environment/MODE (key)', '/binds/0/source', '/health/cmd/0', '/description', '/networks/1/subnets/0/gateway', '/networks/1/options/com.docker.network.bridge.name']));
  });
});
