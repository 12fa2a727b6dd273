import { describe, expect, it } from 'vitest';
import type { LoadedManifest, Manifest } from '../../src/manifest/types.js';
import { onionServices } from '../../src/reconcile/desired.js';

describe('onion services for the Tor app\'s template', () => {
  it('every installed app\'s ports with onion, by app id; absent apps and apps without one left out', () => {
    const lm = (id: string, manifest: Partial<Manifest>): LoadedManifest => ({ file: `manifests/${id}.yaml`, manifest: { id, ...manifest } });
    const manifests = [
      lm('web', { containers: { ui: { image: 'x:1', ports: [{ container: 80, host: 3001, hostIp: '127.0.0.1', onion: 80 }] }, api: { image: 'x:1', ports: [{ container: 8080, onion: 8080 }] } } }),
      lm('bitcoin', { image: 'x:1', ports: [{ container: 8333 }] }),
      lm('gone', { image: 'x:1', state: 'absent', ports: [{ container: 81, onion: 80 }] }),
      lm('admin', { image: 'x:1', ports: [{ container: 80, host: 3009, onion: 80 }] }),
    ];
    expect(onionServices(manifests, { gone: 'absent' })).toEqual([
      { app: 'admin', ports: [{ virtual: 80, target: 3009 }] },
      { app: 'web', ports: [{ virtual: 80, target: 3001 }, { virtual: 8080, target: 8080 }] },
    ]);
  });
});
