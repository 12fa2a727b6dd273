import { describe, expect, it } from 'vitest';
import { displayDir } from '../../src/store/node/manifest-files.js';

// How a manifests directory is named in problems (FILE:LINE:COL): as the user would type it from where they are.

describe('displayDir', () => {
  it('relative inside the working directory, absolute outside it', () => {
    expect(displayDir('manifests', '/home/ops/fleet')).toBe('manifests');
    expect(displayDir('/home/ops/fleet/manifests', '/home/ops/fleet')).toBe('manifests');
    expect(displayDir('/home/ops/fleet', '/home/ops/fleet')).toBe('.');
    expect(displayDir('/etc/archy-quadlet/manifests', '/home/ops')).toBe('/etc/archy-quadlet/manifests');
  });

  it('from / (the daemon under systemd) always absolute, never etc/…', () => {
    expect(displayDir('/etc/archy-quadlet/manifests', '/')).toBe('/etc/archy-quadlet/manifests');
    expect(displayDir('srv/catalog', '/')).toBe('/srv/catalog');
  });
});
