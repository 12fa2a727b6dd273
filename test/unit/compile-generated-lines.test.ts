// What podman 5.4.2's generator writes from our keys, as systemd then reads it (issue 17, "What systemd does with
// the lines podman generates from ours"): values that cannot survive are refused at the field, with a hint.
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/compile/compile-catalog.js';
import type { Manifest } from '../../src/manifest/types.js';

const IMAGE = 'docker.io/library/busybox:1.37.0';
const problemsOf = (m: Partial<Manifest>) =>
  compileCatalog([{ file: 'manifests/cleanup.yaml', manifest: { id: 'cleanup', image: IMAGE, ...m } }], { podmanVersion: '5.4.2', scope: 'system' }).problems.map((p) => ({ pointer: p.pointer, message: p.message, hint: p.hint }));

describe('a lone ";" never reaches ExecStart= (systemd\'s command separator)', () => {
  it('the field report: find … -exec rm -f {} ; is refused at the ";" with the ways that work', () => {
    const problems = problemsOf({ command: ['find', '/data', '-name', '*.tmp', '-mtime', '+7', '-exec', 'rm', '-f', '{}', ';'] });
    expect(problems).toEqual([{ pointer: '/command/10', message: expect.stringMatching(/lone ";".*ExecStart=.*end of the command/), hint: expect.stringMatching(/"\+".*sh, -c/) }]);
  });

  it('also in a one-shot container (Type=oneshot would run what follows as a second command, on the host)', () => {
    expect(problemsOf({ oneshot: true, command: ['true', ';', '/bin/rm', '-rf', '/'] }).map((p) => p.pointer)).toEqual(['/command/1']);
  });

  it('"+", a ";" inside a word, and an escaped "\\;" are kept: systemd reads them as words', () => {
    expect(problemsOf({ command: ['find', '/data', '-exec', 'rm', '{}', '+'] })).toEqual([]);
    expect(problemsOf({ command: ['sh', '-c', 'a; b', 'x;'] })).toEqual([]);
    expect(problemsOf({ entrypoint: [';'], health: { cmd: ['check', ';'] } })).toEqual([]);
  });

  it('in the escape hatch, any spelling the generator unquotes to a lone ";"', () => {
    const problems = problemsOf({ quadlet: { Container: { PodmanArgs: ['--log-level ;', '--x ";"', "--y ';'"], ShmSize: ';' } } });
    expect(problems.map((p) => p.pointer)).toEqual(['/quadlet/Container/PodmanArgs/0', '/quadlet/Container/PodmanArgs/1', '/quadlet/Container/PodmanArgs/2', '/quadlet/Container/ShmSize']);
    expect(problemsOf({ quadlet: { Container: { PodmanArgs: '--label=a;b' }, Service: { ExecStartPre: '/bin/true ; /bin/true' } } })).toEqual([]);
  });
});

describe('a host path reaches RequiresMountsFor= intact', () => {
  it.each(['/srv/a b', '/srv/q"x', "/srv/it's", '/srv/a\\b', '/srv/$x'])('a bind source %j is refused at the field', (source) => {
    expect(problemsOf({ binds: [{ source, target: '/data' }] })).toEqual([{ pointer: '/binds/0/source', message: expect.stringMatching(/RequiresMountsFor=/), hint: expect.stringMatching(/rename/) }]);
  });

  it('so is a config file path; "%" and non-ASCII survive, and any container path may hold them all', () => {
    expect(problemsOf({ configs: [{ template: 'a.hbs', path: '/var/lib/archipelago/cleanup/a b.conf', target: '/etc/a.conf' }] }).map((p) => p.pointer)).toEqual(['/configs/0/path']);
    expect(problemsOf({ binds: [{ source: '/srv/100%/é', target: "/srv/it's a \"$x\"" }] })).toEqual([]);
  });
});
