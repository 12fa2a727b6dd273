// Every realistic Quadlet fixture (test/fixtures/quadlet/*, not hostile-*): podman 5.4.2's own generator turns the
// ORIGINAL units into services; import quadlet → validate → compile → render, and the same generator turns OUR units
// into services. For each container, both `podman run` command lines must be the same argv, compared parsed (systemd's
// word splitting, then flag by flag) and up to the order of options, whose order podman does not read: the same
// image, the same arguments after it in order, the same multiset of options. Two differences are the manifest's by
// design and are checked as such: the container name (`--name <id>` instead of Quadlet's `systemd-%N`), and
// `--add-host host.containers.internal:host-gateway`, which every manifest container gets.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { composeDurationMs, signal } from '../../src/import/compose-values.js';
import { manifestYaml } from '../../src/import/manifest-yaml.js';
import { healthCommand } from '../../src/import/quadlet-container.js';
import { importQuadlet } from '../../src/import/quadlet-project.js';
import { splitUnitWords } from '../../src/render/unit-words.js';
import { loadManifests } from '../../src/manifest/load.js';
import { renderUnits } from '../../src/render/render-units.js';
import { loadUnitTemplates } from '../../src/store/shipped/templates.js';
import { runQuadletDryRun } from '../support/quadlet.js';

const FIXTURES = 'test/fixtures/quadlet';
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Options of `podman run` that take no value (the rest take the next word, or `=value`). */
const BOOLEAN = new Set(['--replace', '--rm', '-d', '--init', '--read-only', '--privileged', '--env-host', '--read-only-tmpfs', '--tty', '-t', '--interactive', '-i']);
/** `--x=false` for these is podman's default: the same as not saying it. */
const DEFAULT_FALSE = new Set(['--init=false', '--read-only=false', '--env-host=false']);

interface RunArgv {
  name: string;
  options: string[];
  image: string;
  args: string[];
}

/** The `podman run` of a generated service, split as systemd splits `ExecStart=`, options normalized to `flag=value`. */
function podmanRun(service: string): RunArgv {
  const line = /^ExecStart=(.*podman run .*)$/m.exec(service)?.[1];
  if (line === undefined) throw new Error(`no podman run in:\n${service}`);
  const split = splitUnitWords(line, 'args');
  if (!split.ok) throw new Error(split.message);
  const words = split.words.map((w) => w.replaceAll('$$', '$').replaceAll('%%', '%'));
  let i = words.indexOf('run') + 1;
  const options: string[] = [];
  let name = '';
  while (i < words.length && words[i]!.startsWith('-')) {
    const w = words[i++]!;
    const [flag, value] = w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : BOOLEAN.has(w) ? [w, undefined] : [w, words[i++]!];
    if (flag === '--name') name = value!;
    else if (!DEFAULT_FALSE.has(`${flag}=${value}`)) options.push(value === undefined ? flag : `${flag}=${normalized(flag, value)}`);
  }
  return { name, options: options.sort(), image: words[i]!, args: words.slice(i + 1) };
}

/** One value as podman reads it: an entrypoint or health command as its argv, durations in ms, signals by name. */
function normalized(flag: string, value: string): string {
  if (flag === '--entrypoint') return JSON.stringify(value.startsWith('[') ? JSON.parse(value) : [value]);
  if (flag === '--health-cmd') return JSON.stringify(healthCommand(value));
  if (['--health-interval', '--health-timeout', '--health-start-period'].includes(flag)) return String(composeDurationMs(value));
  if (flag === '--stop-signal') return (signal(value) as { value: string }).value;
  if (flag === '--publish') return value.replace(/\/tcp$/, '');
  return value;
}

const projects = readdirSync(FIXTURES).filter((d) => !d.startsWith('hostile-')).sort();

describe('quadlet fixtures: the original units and our re-render give podman 5.4.2 the same podman run', () => {
  it('has the realistic fixtures', () => expect(projects).toEqual(['bitcoin-node', 'mempool-app', 'quoting']));

  for (const name of projects) {
    it(name, async () => {
      const dir = join(FIXTURES, name);
      const original = runQuadletDryRun(dir);
      expect(original.complaints, 'the original units generate').toEqual([]);
      const files = readdirSync(dir).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
      const result = importQuadlet({ dir, absDir: resolve(dir), files, podmanVersion: '5.4.2', scope: 'system' });
      expect(result.findings.filter((f) => f.level === 'error')).toEqual([]);
      const sources = result.apps.map((a) => ({ file: `manifests/${a.manifest.id}.yaml`, text: manifestYaml(a.manifest, a.sources.join(', '), 'quadlet') }));
      const loaded = loadManifests(sources);
      expect(loaded.problems).toEqual([]);
      const compiled = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
      expect(compiled.problems).toEqual([]);
      const out = mkdtempSync(join(tmpdir(), 'archy-import-quadlet-rt-'));
      dirs.push(out);
      for (const f of renderUnits(compiled.units, await loadUnitTemplates())) writeFileSync(join(out, f.name), f.content);
      const ours = runQuadletDryRun(out);
      expect(ours.complaints, 'our units generate').toEqual([]);

      const containers = [...original.services].filter(([, text]) => /podman run /.test(text));
      expect(containers.length).toBeGreaterThan(0);
      for (const [service, text] of containers) {
        const before = podmanRun(text);
        const mine = ours.services.get(service);
        expect(mine, `${service} is rendered under the same name`).toBeDefined();
        const after = podmanRun(mine!);
        expect(after.image, `${service}: image`).toBe(before.image);
        expect(after.args, `${service}: arguments after the image`).toEqual(before.args);
        expect(after.name, `${service}: the container is named after the app`).toBe(service.replace(/\.service$/, ''));
        const hostGateway = '--add-host=host.containers.internal:host-gateway';
        const added = before.options.includes(hostGateway) || after.options.includes('--network=host') ? [] : [hostGateway];
        expect(after.options, `${service}: options`).toEqual([...before.options, ...added].sort());
      }
    });
  }
});
