import { describe, expect, it } from 'vitest';
import { isNspawnFor } from '../host/proc.js';
import { assertInstanceName, instancePaths } from '../host/paths.js';

// The test host harness signals a process only when its command line names
// the instance: these rules decide which processes a stale cleanup may touch.

const cache = { root: '/c', rootfs: '/c/rootfs', buildLock: '/c/rootfs.lock', instances: '/c/instances' };
const nspawn = (name: string): string[] => [
  'systemd-nspawn', '--register=no', '-D', '/c/rootfs', '--volatile=overlay',
  `--bind=/c/instances/${name}/containers:/var/lib/containers`, '-b', `--machine=${name}`,
];

describe('test host: which systemd-nspawn belongs to an instance', () => {
  it('matches the instance whose directory its bind names', () => {
    expect(isNspawnFor(nspawn('dev'), instancePaths(cache, 'dev').dir)).toBe(true);
  });

  it('does not match an instance whose name merely starts the same', () => {
    expect(isNspawnFor(nspawn('dev2'), instancePaths(cache, 'dev').dir)).toBe(false);
    expect(isNspawnFor(nspawn('dev'), instancePaths(cache, 'dev2').dir)).toBe(false);
  });

  it('does not match a process that is not systemd-nspawn, even if it names the directory', () => {
    expect(isNspawnFor(['rm', '-rf', '--bind=/c/instances/dev/containers'], instancePaths(cache, 'dev').dir)).toBe(false);
    expect(isNspawnFor(undefined, instancePaths(cache, 'dev').dir)).toBe(false);
  });

  it('matches a systemd-nspawn booting the directory itself (-D DIR), as the rootfs checks need', () => {
    expect(isNspawnFor(nspawn('dev'), '/c/rootfs')).toBe(true);
    expect(isNspawnFor(['/usr/bin/systemd-nspawn', '--directory=/c/rootfs'], '/c/rootfs')).toBe(true);
  });
});

describe('test host: instance names', () => {
  it.each(['archy-testhost', 'hostdev', 'a', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(() => assertInstanceName(name)).not.toThrow();
  });

  it.each(['', 'Dev', 'dev_1', '-dev', 'a/b', 'x'.repeat(64)])('rejects %j, naming the variable to set', (name) => {
    expect(() => assertInstanceName(name)).toThrow(/ARCHY_TESTHOST_NAME=/);
  });
});
