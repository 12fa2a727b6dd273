import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/render/line-diff.js';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a', 'x\n', 'x\n')).toBe('');
  });

  it('shows a changed line with its context', () => {
    const before = 'h\n[Unit]\nA=1\nB=2\nC=3\nD=4\nE=5\nF=6\n';
    const after = 'h\n[Unit]\nA=1\nB=2\nC=changed\nD=4\nE=5\nF=6\n';
    expect(unifiedDiff('x.container', before, after)).toBe(
      '--- a/x.container\n+++ b/x.container\n@@ -2,7 +2,7 @@\n [Unit]\n A=1\n B=2\n-C=3\n+C=changed\n D=4\n E=5\n F=6\n',
    );
  });

  it('a new file diffs against /dev/null, a removed one to it', () => {
    expect(unifiedDiff('n.network', undefined, 'a\nb\n')).toBe('--- /dev/null\n+++ b/n.network\n@@ -0,0 +1,2 @@\n+a\n+b\n');
    expect(unifiedDiff('n.network', 'a\n', undefined)).toBe('--- a/n.network\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n');
  });

  it('shows an absolute path without the a/ b/ prefixes', () => {
    expect(unifiedDiff('/etc/containers/systemd/x.container', 'a\n', 'b\n').split('\n').slice(0, 2)).toEqual(['--- /etc/containers/systemd/x.container', '+++ /etc/containers/systemd/x.container']);
  });

  it('splits far-apart changes into separate hunks', () => {
    const before = Array.from({ length: 20 }, (_, i) => `L${i}`).join('\n') + '\n';
    const after = before.replace('L1\n', 'X1\n').replace('L18\n', 'X18\n');
    expect(unifiedDiff('f', before, after).match(/^@@/gm)).toHaveLength(2);
  });
});
