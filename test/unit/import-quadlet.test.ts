// import quadlet's pure core: the unit-file reading as podman 5.4.2's generator does it (each rule checked against the
// generator in test/unit/import-quadlet-roundtrip.test.ts), the word splitting, and what each fixture reports.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { importQuadlet } from '../../src/import/quadlet-project.js';
import { allValues, lastValue, parseUnitFile } from '../../src/import/unit-file.js';
import { literalText, timeSpanMs } from '../../src/import/unit-values.js';
import { joinUnitWords, splitUnitWords } from '../../src/render/unit-words.js';

const FIXTURES = 'test/fixtures/quadlet';

function importDir(name: string, podmanVersion = '5.4.2'): ReturnType<typeof importQuadlet> {
  const dir = join(FIXTURES, name);
  const files = readdirSync(dir).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));
  return importQuadlet({ dir, absDir: resolve(dir), files, podmanVersion, scope: 'system' });
}

const shown = (r: ReturnType<typeof importQuadlet>, level: string): string[] => r.findings.filter((f) => f.level === level).map(formatProblem);

describe('unit-file syntax (systemd.syntax(7) as Quadlet reads it)', () => {
  it('joins continued lines without a space, skips comments inside them, and keeps positions', () => {
    const f = parseUnitFile('[Container]\nExec=a \\\n  # inside\n  b\\\nc\n  Image = x\n');
    expect(f.errors).toEqual([]);
    expect(f.groups[0]!.entries).toEqual([
      { key: 'Exec', value: 'a bc', line: 2, col: 1, valueCol: 6 },
      { key: 'Image', value: 'x', line: 6, col: 3, valueCol: 11 },
    ]);
  });

  it('merges a group named twice; repeats keys; an empty value clears a list; the last single value wins', () => {
    const f = parseUnitFile('[Container]\nVolume=/a:/a\nVolume=\nVolume=/b:/b\nImage=x\n[Unit]\n[Container]\nImage=y\n');
    const c = f.groups.find((g) => g.name === 'Container');
    expect(f.groups.map((g) => g.name)).toEqual(['Container', 'Unit']);
    expect(allValues(c, 'Volume').entries.map((e) => e.value)).toEqual(['/b:/b']);
    expect(allValues(c, 'Volume').cleared.map((e) => e.line)).toEqual([2, 3]);
    expect(lastValue(c, 'Image').entry?.value).toBe('y');
  });

  it('reports every line Quadlet refuses, with its position, and reads on', () => {
    const f = parseUnitFile('Key=before\n[Container]\nno equals here\n[Bad\n[]\nImage=x\n');
    expect(f.errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual([
      '1:1 a key before the first [Group] line',
      '3:1 "no equals here" is not a key-value pair, group, or comment',
      '4:1 "[Bad" is not a key-value pair, group, or comment',
      '5:1 invalid group name ""',
    ]);
  });

  it('splits words as Exec= and Environment= are read: quotes, C escapes, an empty word ends the value', () => {
    expect(splitUnitWords(`a "b c" 'd e' f\\x41 \\"g\\" h\\si`, 'args')).toEqual({ ok: true, words: ['a', 'b c', 'd e', 'fA', '"g"', 'h i'] });
    expect(splitUnitWords('a "" b', 'args')).toEqual({ ok: true, words: ['a'], dropped: 'b' });
    expect(splitUnitWords('a ""', 'args')).toEqual({ ok: true, words: ['a'] });
    // Relaxed: an open quote takes the rest of the value.
    expect(splitUnitWords('--label="a b --env=c', 'args')).toEqual({ ok: true, words: ['--label=a b --env=c'], unbalanced: '"' });
    expect(splitUnitWords('a \\q', 'args')).toEqual({ ok: false, message: 'unsupported escape \\q' });
    expect(splitUnitWords('CHOWN "SET UID" a\\b', 'strv')).toEqual({ ok: true, words: ['CHOWN', 'SET UID', 'a\\b'] });
    for (const words of [['plain'], ['with space', 'q"uote', 'back\\slash', 'tab\there']]) expect(splitUnitWords(joinUnitWords(words), 'args')).toEqual({ ok: true, words });
  });

  it('tells literal text from systemd specifiers and variables; reads time spans', () => {
    expect(literalText('100%% of $$5', true)).toEqual({ ok: true, value: '100% of $5' });
    expect(literalText('%h/data', true)).toEqual({ ok: false, why: 'it holds the systemd specifier %h, which systemd expands when the unit runs' });
    expect(literalText('${HOME}', true).ok).toBe(false);
    expect(literalText('$5', false)).toEqual({ ok: true, value: '$5' });
    expect([timeSpanMs('90'), timeSpanMs('20min'), timeSpanMs('1h 30s'), timeSpanMs('infinity')]).toEqual([90_000, 1_200_000, 3_630_000, undefined]);
  });
});

describe('import quadlet: the fixtures', () => {
  it('bitcoin-node: one app per container on the shared network, lnd and electrs depend on bitcoind, volumes keep their data', () => {
    const r = importDir('bitcoin-node');
    expect(shown(r, 'error')).toEqual([]);
    const byId = Object.fromEntries(r.apps.map((a) => [a.manifest.id, a.manifest]));
    expect(Object.keys(byId).sort()).toEqual(['bitcoind', 'electrs', 'lnd']);
    expect(byId.lnd!.dependsOn).toEqual([{ app: 'bitcoind', condition: 'healthy' }]);
    expect(byId.lnd!.volumes).toEqual([{ name: 'data', target: '/root/.lnd' }]);
    expect(byId.electrs!.quadlet?.Container?.Volume).toBe('systemd-electrs-db:/data');
    expect(byId.bitcoind!.networks).toEqual(['bitcoin']);
    expect(byId.bitcoind!.health).toEqual({ cmd: ['bitcoin-cli', '-datadir=/home/bitcoin/.bitcoin', 'getblockchaininfo'], interval: '1m', timeout: '20s', startPeriod: '5m', retries: 5 });
    expect(byId.lnd!.health?.gateStart).toBe(false);
    expect(shown(r, 'dropped')).toEqual([
      'test/fixtures/quadlet/bitcoin-node/bitcoin.network:7:1 /Network/Subnet: Subnet= is not carried over: a manifest\'s network is made with its name only (bitcoin); an existing one keeps its options',
      'test/fixtures/quadlet/bitcoin-node/bitcoin.network:8:1 /Network/Label: Label= is not carried over: a manifest\'s network is made with its name only (bitcoin); an existing one keeps its options',
      'test/fixtures/quadlet/bitcoin-node/electrs-db.volume:5:1 /Volume/Label: Label= is not carried over: a manifest\'s volume is made with its name only (systemd-electrs-db); an existing one keeps its options',
    ]);
  });

  it('mempool-app: the network whose ServiceName is its name is an app of three containers named by their aliases', () => {
    const r = importDir('mempool-app');
    expect(shown(r, 'error')).toEqual([]);
    expect(shown(r, 'dropped')).toEqual([]);
    expect(r.apps).toHaveLength(1);
    const m = r.apps[0]!.manifest;
    expect([m.id, m.description, m.state]).toEqual(['mempool', 'mempool block explorer', undefined]);
    expect(Object.keys(m.containers!)).toEqual(['backend', 'db', 'frontend']);
    expect(m.containers!.backend!.dependsOn).toEqual([{ container: 'db', condition: 'healthy' }]);
    expect(m.containers!.backend!.networks).toEqual(['bitcoin']);
    expect(m.containers!.db!.volumes).toEqual([{ name: 'mysql', target: '/var/lib/mysql' }]);
  });

  it('quoting: every value as podman reads it; what a field cannot hold is kept as written', () => {
    const r = importDir('quoting');
    const m = r.apps[0]!.manifest;
    expect(m.environment).toEqual({ GREETING: 'hello world', SINGLE: 'it is', PERCENT: '100%', DOLLAR: '$5', PATHLIST: '/a:/b', JOINED: 'onetwo' });
    expect(m.command).toEqual(['sh', '-c', 'echo "$GREETING" && sleep infinity']);
    expect(m.quadlet).toEqual({
      Container: { Environment: ['"ESCAPED=tab\\x09here"', 'FROM_SYSTEMD=${HOME}'], PublishPort: '9000-9001:9000-9001', EnvironmentHost: 'false' },
      Service: { Environment: 'HOME=/root' },
    });
    expect(m.state).toBe('stopped');
    expect(shown(r, 'note')).toContain('test/fixtures/quadlet/quoting/notes.container:18:6 /Container/Exec/0: overridden by the Exec= on line 19 (Quadlet takes the last)');
  });

  it('hostile-syntax: every line Quadlet refuses, at its line; the good file still imports', () => {
    const r = importDir('hostile-syntax');
    expect(shown(r, 'error')).toEqual([
      'test/fixtures/quadlet/hostile-syntax/broken.container:1:1 /: a key before the first [Group] line (start the file with [Unit] or [Container])',
      'test/fixtures/quadlet/hostile-syntax/broken.container:4:1 /: "this line is neither a key nor a group" is not a key-value pair, group, or comment (a unit file has [Group] lines and Key=Value lines; end a line with \\ to continue it)',
      'test/fixtures/quadlet/hostile-syntax/broken.container:5:1 /: "[Unit" is not a key-value pair, group, or comment (a unit file has [Group] lines and Key=Value lines; end a line with \\ to continue it)',
    ]);
    expect(r.apps.map((a) => a.manifest.id)).toEqual(['fine']);
  });

  it('hostile-unknown: an unknown group, a typo key, a key of a newer podman and Pod= are dropped, each with why', () => {
    expect(shown(importDir('hostile-unknown'), 'dropped')).toEqual([
      'test/fixtures/quadlet/hostile-unknown/typos.container:4:1 /Containr: the group [Containr] is not carried over: a manifest carries [Unit], [Container], [Service] and [Install] only',
      "test/fixtures/quadlet/hostile-unknown/typos.container:9:1 /Container/Imagee: Imagee= is not carried over: no key of podman's Quadlet [Container] group: its generator refuses the unit",
      "test/fixtures/quadlet/hostile-unknown/typos.container:10:1 /Container/ReloadCmd: ReloadCmd= is not carried over: podman 5.4.2's Quadlet does not know it (since 5.5) (import with --podman-version 5.5 for a node that runs it)",
      'test/fixtures/quadlet/hostile-unknown/typos.container:12:1 /Container/Pod: Pod= is not carried over: a manifest has no pods (the containers of one app share its network instead)',
      'test/fixtures/quadlet/hostile-unknown/typos.container:14:1 /X-Monitoring: the group [X-Monitoring] is not carried over: a manifest carries [Unit], [Container], [Service] and [Install] only',
    ]);
    expect(importDir('hostile-unknown', '5.5').apps[0]!.manifest.quadlet?.Container?.ReloadCmd).toBe('/bin/true');
  });

  it('hostile-duplicate-ids: two units that become one app are an error naming both', () => {
    const r = importDir('hostile-duplicate-ids');
    expect(shown(r, 'error')).toEqual([
      'test/fixtures/quadlet/hostile-duplicate-ids/bitcoind.container:1:1 /: test/fixtures/quadlet/hostile-duplicate-ids/bitcoin-knots.container is imported as the app "bitcoin" too (give one of them another ContainerName=, or rename its file)',
      'test/fixtures/quadlet/hostile-duplicate-ids/my-app.container:1:1 /: test/fixtures/quadlet/hostile-duplicate-ids/My_App.container is imported as the app "my-app" too (give one of them another ContainerName=, or rename its file)',
    ]);
    expect(r.apps.map((a) => a.manifest.id)).toEqual([]);
  });

  it('hostile-not-a-unit: text and binary in unit files are errors; other files are left alone', () => {
    const r = importDir('hostile-not-a-unit');
    expect(shown(r, 'error').map((e) => e.replace(/ \(a unit file.*$/, ''))).toEqual([
      'test/fixtures/quadlet/hostile-not-a-unit/helper.network:1:1 /: "\u007fELF\\u0002\\u0001\\u0001\\u0000garbage" is not a key-value pair, group, or comment',
      'test/fixtures/quadlet/hostile-not-a-unit/lnd.container:3:1 /: "The lnd unit lives in /etc/containers/systemd." is not a key-value pair, group, or comment',
    ]);
    expect(shown(r, 'note')).toEqual(['test/fixtures/quadlet/hostile-not-a-unit/README.md: not a Quadlet unit (.container, .volume, .network, .image, .build, .pod, .kube): left alone']);
  });
});
