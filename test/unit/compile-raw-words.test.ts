// Issue 17, item 1: escape-hatch values of the [Container] keys podman 5.4.2's generator splits into words. Each
// value the generator reads other than it looks is shown with the real generator first (what reaches ExecStart=),
// then refused by validate at its pointer; a value it reads as written passes.
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import { loadManifests } from '../../src/manifest/load.js';
import { dryRunFiles } from '../support/quadlet.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';

/** The generated ExecStart= of a hand-written unit with `PodmanArgs=<value>`. */
function generated(value: string): string {
  const run = dryRunFiles([{ name: 'w.container', content: `[Container]\nImage=${IMAGE}\nPodmanArgs=${value}\n` }]);
  return /^ExecStart=(.*)$/m.exec(run.services.get('w.service') ?? '')?.[1] ?? '';
}

/** validate's problems for a manifest whose escape hatch has `PodmanArgs: value`. */
function problems(value: string): string[] {
  const loaded = loadManifests([{ file: 'manifests/web.yaml', text: JSON.stringify({ id: 'web', image: IMAGE, quadlet: { Container: { PodmanArgs: value } } }) }]);
  const r = compileCatalog(loaded.manifests, { podmanVersion: '5.4.2', scope: 'system' });
  return [...loaded.problems, ...r.problems].map((p) => `${p.pointer}: ${p.message}`);
}

describe("escape-hatch words the generator misreads are refused", () => {
  it('an escape it does not know: the generator drops the whole value, validate refuses it', () => {
    expect(generated('--label=a \\;')).not.toContain('--label');
    expect(problems('--label=a \\;')).toEqual(["/quadlet/Container/PodmanArgs: podman's generator skips this whole value without a word: unsupported escape \\;"]);
  });

  it('an open quote: the rest of the value is one word', () => {
    expect(generated('--label="a b --env=c')).toContain(' "--label=a b --env=c" ');
    expect(problems('--label="a b --env=c')).toEqual(["/quadlet/Container/PodmanArgs: the \" is never closed: podman's generator reads the rest of the value as one word"]);
  });

  it('an empty word ends the value: what follows is dropped', () => {
    expect(generated('--label=x "" --label=y')).toContain(' --label=x ');
    expect(generated('--label=x "" --label=y')).not.toContain('--label=y');
    expect(problems('--label=x "" --label=y')).toEqual(['/quadlet/Container/PodmanArgs: an empty word ("" or \'\') ends the value for podman\'s generator: "--label=y" would be dropped']);
  });

  it('quotes and the escapes it knows pass, and reach podman as written', () => {
    const value = '--label="ok one" --env=A=\\"b\\" --env=T=\\x41';
    expect(generated(value)).toContain(' "--label=ok one" "--env=A=\\"b\\"" --env=T=A ');
    expect(problems(value)).toEqual([]);
  });
});
