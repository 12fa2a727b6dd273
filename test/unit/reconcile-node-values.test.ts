import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { lookupValue, parseNodeFile, selectApps, substituteNodeValues, type NodeValues } from '../../src/reconcile/node-values.js';

// Per-node values (docs/fleet.md): nodes/<name>.yaml's values replace {{node.PATH}} in a manifest's text before it is
// validated, and its apps select what the node runs.

const node = (values: Record<string, unknown>, found = true): NodeValues => ({ file: 'nodes/n1.yaml', found, values });
const sub = (text: string, values: Record<string, unknown>, found = true) => substituteNodeValues({ file: 'manifests/x.yaml', text }, node(values, found));

describe('substituteNodeValues', () => {
  it('a whole quoted placeholder takes the value with its type; inside a string, its text', () => {
    const r = sub('id: x\nimage: "docker.io/x:{{node.tag}}"\nenvironment:\n  DBCACHE: "{{ node.bitcoin.dbcache }}"\n  ON: \'{{node.on}}\'\n', { tag: '1.2', bitcoin: { dbcache: 4000 }, on: true });
    expect(r.problems).toEqual([]);
    expect(r.source.text).toBe('id: x\nimage: "docker.io/x:1.2"\nenvironment:\n  DBCACHE: 4000\n  ON: true\n');
  });

  it('a list or mapping replaces a whole quoted value as a flow collection, on the same line', () => {
    const r = sub('a: "{{node.list}}"\nb: 1\n', { list: ['x y', 2] });
    expect(r.source.text).toBe('a: ["x y",2]\nb: 1\n');
  });

  it('escapes for the quotes around it and never inserts a line break', () => {
    const r = sub('a: "p={{node.s}}"\nb: \'q={{node.t}}\'\n', { s: 'say "hi"\nnow', t: "it's" });
    expect(r.problems).toEqual([]);
    expect(r.source.text).toBe('a: "p=say \\"hi\\"\\nnow"\nb: \'q=it\'\'s\'\n');
  });

  it('inside unquoted or block text only a plain word; else a problem at its line and column', () => {
    expect(sub('a: x-{{node.w}}\n', { w: 'v1.2' }).source.text).toBe('a: x-v1.2\n');
    expect(sub('c: |\n  k={{node.w}}\n', { w: 'v1' }).source.text).toBe('c: |\n  k=v1\n');
    expect(sub('a: x-{{node.w}}\n', { w: 'a: b' }).problems).toEqual([
      { file: 'manifests/x.yaml', line: 1, col: 6, message: '{{node.w}}: its value "a: b" cannot stand inside this unquoted text', hint: 'put the text in double quotes' },
    ]);
  });

  it('every missing key is a problem naming the file, line, column and the key', () => {
    const r = sub('id: x\nenvironment:\n  A: "{{node.bitcoin.dbcache}}"\n  B: "{{node.b}}"\n', { bitcoin: {} });
    expect(r.problems).toEqual([
      { file: 'manifests/x.yaml', line: 3, col: 7, message: '{{node.bitcoin.dbcache}}: nodes/n1.yaml has no value bitcoin.dbcache', hint: 'add it under values: in nodes/n1.yaml' },
      { file: 'manifests/x.yaml', line: 4, col: 7, message: '{{node.b}}: nodes/n1.yaml has no value b', hint: 'add it under values: in nodes/n1.yaml' },
    ]);
    expect(sub('a: "{{node.b}}"\n', {}, false).problems[0]!.message).toBe('{{node.b}}: this node has no node file (nodes/n1.yaml)');
  });

  it('an unquoted placeholder (YAML reads it as a mapping) is a problem that says to quote it', () => {
    expect(sub('a: {{node.b}}\n', { b: 1 }).problems).toEqual([{ file: 'manifests/x.yaml', line: 1, col: 4, message: '{{node.b}}: a placeholder stands only in a value', hint: 'quote it: "{{node.b}}"' }]);
  });

  it('leaves other templates alone ({{node "hostname"}} is a config template fact)', () => {
    const text = 'a: "{{node \\"hostname\\"}}"\n';
    expect(sub(text, {})).toEqual({ source: { file: 'manifests/x.yaml', text }, problems: [] });
  });

  it('the substituted value is what the schema then checks', () => {
    const r = sub('id: x\nimage: docker.io/library/busybox:1.37\nstartTimeout: "{{node.t}}"\n', { t: 5 });
    const { problems } = loadManifests([r.source]);
    expect(problems.map((p) => `${p.file}:${p.line} ${p.pointer}`)).toEqual(['manifests/x.yaml:3 /startTimeout']);
  });
});

describe('parseNodeFile', () => {
  it('reads apps and values; a missing file is no values and every app', () => {
    expect(parseNodeFile({ file: 'nodes/n1.yaml', text: 'apps: [a, b]\nvalues:\n  x: { y: 1 }\n' }).node).toEqual({
      file: 'nodes/n1.yaml',
      found: true,
      values: { x: { y: 1 } },
      apps: [
        { id: 'a', line: 1, col: 8 },
        { id: 'b', line: 1, col: 11 },
      ],
    });
    expect(parseNodeFile({ file: 'nodes/n1.yaml' })).toEqual({ node: { file: 'nodes/n1.yaml', found: false, values: {} }, problems: [] });
  });

  it('collects every problem with its place', () => {
    const { problems } = parseNodeFile({ file: 'nodes/n1.yaml', text: 'app: [a]\nvalues: 3\napps: [1]\n' });
    expect(problems.map((p) => `${p.line}:${p.col} ${p.pointer}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`)).toEqual([
      '1:1 /app: unknown field "app" (did you mean "apps"?)',
      '2:9 /values: must be a mapping of values ({{node.PATH}} reads them)',
      '3:8 /apps/0: must be an app id (a string)',
    ]);
  });
});

describe('selectApps and lookupValue', () => {
  const { manifests } = loadManifests(['a', 'b', 'c'].map((id) => ({ file: `manifests/${id}.yaml`, text: `id: ${id}\nimage: docker.io/library/busybox:1.37\n` })));

  it('keeps the apps the node file names, every app without a list', () => {
    expect(selectApps(manifests, { ...node({}), apps: [{ id: 'c', line: 1, col: 8 }] }).manifests.map((m) => m.manifest.id)).toEqual(['c']);
    expect(selectApps(manifests, node({})).manifests.map((m) => m.manifest.id)).toEqual(['a', 'b', 'c']);
  });

  it('an id no manifest has is a problem at its line', () => {
    expect(selectApps(manifests, { ...node({}), apps: [{ id: 'bb', line: 2, col: 5 }] }).problems).toEqual([
      { file: 'nodes/n1.yaml', line: 2, col: 5, pointer: '/apps', message: 'no manifest has the id "bb"', hint: 'did you mean "b"?' },
    ]);
  });

  it('looks a dotted path up, own keys only', () => {
    expect(lookupValue({ a: { b: 0 } }, 'a.b')).toBe(0);
    expect(lookupValue({ a: 1 }, 'a.b')).toBeUndefined();
    expect(lookupValue({}, 'constructor')).toBeUndefined();
  });
});
