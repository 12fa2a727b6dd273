import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onionHostnames } from '../../src/manifest/onion.js';
import type { LoadedManifest, Manifest } from '../../src/manifest/types.js';
import { buildDesired, onionServices } from '../../src/reconcile/desired.js';
import { onionRecheckAt } from '../../src/reconcile/pass.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const lm = (id: string, manifest: Partial<Manifest>): LoadedManifest => ({ file: `manifests/${id}.yaml`, manifest: { id, ...manifest } });
const ADDRESS = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion';

/** The Tor app as the catalog has it: its hidden services under its data bind. */
const tor = lm('tor', {
  image: 'x:1',
  hostNetwork: true,
  onionServiceDir: '/var/lib/archipelago/tor/hs',
  binds: [
    { source: '/var/lib/archipelago/tor/data', target: '/var/lib/tor' },
    { source: '/var/lib/archipelago/tor/hs', target: '/var/lib/tor-hs' },
  ],
  configs: [{ template: 'torrc.hbs', path: '/var/lib/archipelago/tor/torrc', target: '/etc/tor/torrc' }],
});
const web = lm('web', { containers: { ui: { image: 'x:1', ports: [{ container: 80, host: 3001, hostIp: '127.0.0.1', onion: 80 }] }, api: { image: 'x:1', ports: [{ container: 8080, onion: 8080 }] } } });
/** An app whose config shows web's onion address. */
const feed = lm('feed', { image: 'x:1', configs: [{ template: 'feed.hbs', path: '/var/lib/archipelago/feed/feed.conf', target: '/etc/feed.conf' }] });

describe('onion services for the Tor app\'s template', () => {
  it('every installed app\'s ports with onion, by app id; absent apps and apps without one left out', () => {
    const manifests = [
      web,
      lm('bitcoin', { image: 'x:1', ports: [{ container: 8333 }] }),
      lm('gone', { image: 'x:1', state: 'absent', ports: [{ container: 81, onion: 80 }] }),
      lm('admin', { image: 'x:1', ports: [{ container: 80, host: 3009, onion: 80 }] }),
    ];
    expect(onionServices(manifests, { gone: 'absent' })).toEqual([
      { app: 'admin', ports: [{ virtual: 80, target: 3009 }] },
      { app: 'web', ports: [{ virtual: 80, target: 3001 }, { virtual: 8080, target: 8080 }] },
    ]);
  });

  it('the catalog\'s torrc.hbs: one hidden service directory per app under the data directory, each port on 127.0.0.1', async () => {
    const templates = { 'torrc.hbs': await readFile(path.join(ROOT, 'templates/config/torrc.hbs'), 'utf8') };
    const desired = buildDesired({ manifests: [tor, web], states: {}, units: [], startTimeoutsMs: {}, templates, secrets: {} });
    const torrc = desired.apps.find((a) => a.id === 'tor')!.configs[0]!.content;
    expect(torrc.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([
      'DataDirectory /var/lib/tor',
      'SocksPort 0',
      'Log notice stdout',
      'HiddenServiceDir /var/lib/tor-hs/web',
      'HiddenServicePort 80 127.0.0.1:3001',
      'HiddenServicePort 8080 127.0.0.1:8080',
    ]);
    // With no app to publish, tor runs with its base config only.
    const alone = buildDesired({ manifests: [tor], states: {}, units: [], startTimeoutsMs: {}, templates, secrets: {} });
    expect(alone.apps[0]!.configs[0]!.content).not.toContain('HiddenService');
  });
});

describe('an app\'s onion address: where the node reads it, and the export onion.address', () => {
  it('tor\'s hostname file of each installed app with an onion port, under the installed Tor app\'s onionServiceDir', () => {
    expect(onionHostnames([tor, web, feed], {})).toEqual({ web: '/var/lib/archipelago/tor/hs/web/hostname' });
    expect(onionHostnames([tor, web, feed], { web: 'absent' })).toEqual({});
    // Without an installed Tor app, no app has an address to read.
    expect(onionHostnames([tor, web], { tor: 'absent' })).toEqual({});
    expect(onionHostnames([web], {})).toEqual({});
  });

  it('a template sees an empty onion.address until tor has written it, then the address: the file changes, so the pass writes it again', () => {
    const templates = { 'feed.hbs': '{{#if (export "web" "onion.address")}}url=http://{{export "web" "onion.address"}}/\n{{else}}# web has no onion address yet\n{{/if}}' };
    const render = (onions?: Record<string, string>): string =>
      buildDesired({ manifests: [tor, web, feed], states: {}, units: [], startTimeoutsMs: {}, templates: { ...templates, 'torrc.hbs': '' }, secrets: {}, ...(onions ? { onions } : {}) }).apps.find((a) => a.id === 'feed')!.configs[0]!.content;
    expect(render()).toBe('# web has no onion address yet\n');
    expect(render({ web: ADDRESS })).toBe(`url=http://${ADDRESS}/\n`);
  });

  it('a pass looks again soon while the Tor app is to run and an address is missing; not once all are there, nor while tor is stopped', () => {
    const now = Date.parse('2026-12-01T10:00:00.000Z');
    const hostnames = onionHostnames([tor, web], {});
    const loaded = (addresses: Record<string, string>, torState: 'running' | 'stopped' = 'running') => ({ manifests: [tor, web], states: { tor: torState, web: 'running' as const }, onions: { hostnames, addresses } });
    expect(onionRecheckAt(loaded({}), now)).toBe('2026-12-01T10:00:05.000Z');
    expect(onionRecheckAt(loaded({ web: ADDRESS }), now)).toBeUndefined();
    expect(onionRecheckAt(loaded({}, 'stopped'), now)).toBeUndefined();
  });
});
