import { describe, expect, test } from 'vitest';
import { formatProblem } from '../../src/errors.js';
import { appMeta, imageVersion, staleVersion } from '../../src/manifest/app-meta.js';
import { loadManifests } from '../../src/manifest/load.js';
import type { Manifest } from '../../src/manifest/types.js';

const IMAGE = 'docker.io/library/nginx:1.27.4-alpine';

/** Loads one manifest `app.yaml` and returns the manifest (when valid) and the formatted problems. */
function load(text: string): { manifest?: Manifest; problems: string[] } {
  const r = loadManifests([{ file: 'manifests/app.yaml', text }]);
  return { manifest: r.problems.length === 0 ? r.manifests[0]?.manifest : undefined, problems: r.problems.map(formatProblem) };
}

describe('imageVersion: the version people know, from the image reference', () => {
  test('the tag; a registry port is no tag; a digest alone is cut to 12 hex digits', () => {
    expect(imageVersion('docker.io/bitcoin/bitcoin:28.1')).toBe('28.1');
    expect(imageVersion('docker.io/lightninglabs/lnd:v0.18.5-beta')).toBe('v0.18.5-beta');
    expect(imageVersion('localhost:5000/app:2.0@sha256:' + 'a'.repeat(64))).toBe('2.0');
    expect(imageVersion('localhost:5000/app@sha256:0123456789abcdef' + '0'.repeat(48))).toBe('sha256:0123456789ab');
    expect(imageVersion('localhost:5000/app')).toBeUndefined();
  });
});

describe('appMeta: description, icon, version and the web UI from a manifest', () => {
  test('a one-container app: the published host port, loopback or not, and its onion port', () => {
    const { manifest, problems } = load(
      `id: app\ndescription: A web app\nicon: icons/app.svg\nimage: ${IMAGE}\nports:\n  - { container: 80, host: 3001, hostIp: 127.0.0.1, onion: 80 }\nweb: { port: 80, path: /admin/ }\n`,
    );
    expect(problems).toEqual([]);
    expect(appMeta(manifest!)).toEqual({ description: 'A web app', icon: 'icons/app.svg', version: '1.27.4-alpine', web: { port: 3001, path: '/admin/', loopbackOnly: true, onionPort: 80 } });
  });

  test('an app of several containers: the named container; the version is the first container\'s tag', () => {
    const { manifest, problems } = load(
      `id: app\ncontainers:\n  db:\n    image: docker.io/library/mariadb:10.11.11\n  ui:\n    image: ${IMAGE}\n    ports: [{ container: 8080 }]\nweb: { container: ui, port: 8080 }\n`,
    );
    expect(problems).toEqual([]);
    expect(appMeta(manifest!)).toEqual({ version: '10.11.11', web: { port: 8080, path: '/', loopbackOnly: false } });
  });

  test("version: the manifest's own where the first container is not the app (a database first)", () => {
    const text = (version: string) => `id: app\nversion: "${version}"\ncontainers:\n  db:\n    image: docker.io/library/postgres:16.8\n  server:\n    image: docker.io/btcpayserver/btcpayserver:2.0.0\n`;
    const { manifest, problems } = load(text('2.0.0'));
    expect(problems).toEqual([]);
    expect(appMeta(manifest!).version).toBe('2.0.0');
    expect(staleVersion(manifest!)).toBeUndefined();
    // With or without a leading v, either side.
    expect(staleVersion(load(text('v2.0.0')).manifest!)).toBeUndefined();
    expect(staleVersion({ id: 'm', version: '3.2.1', image: 'docker.io/mempool/frontend:v3.2.1' } as Manifest)).toBeUndefined();
    // Left behind by an image upgrade: a warning that names the tags there are.
    expect(staleVersion(load(text('1.13.7')).manifest!)).toEqual({
      pointer: '/version',
      message: "no container's image tag is version 1.13.7 (tags: 16.8, 2.0.0)",
      hint: "set version to the tag of the image that is the app, or remove it (the first container's tag is the default)",
    });
    expect(load('id: app\nversion: ""\nimage: docker.io/library/busybox:1.37.0\n').problems).toEqual(['manifests/app.yaml:2:10 /version: must NOT have fewer than 1 characters']);
  });

  test('no meta fields: an empty meta', () => {
    expect(appMeta(load(`id: app\nimage: docker.io/x/y@sha256:${'f'.repeat(64)}\n`).manifest!)).toEqual({ version: 'sha256:ffffffffffff' });
  });
});

describe('icon and web: problems say where and what to do', () => {
  test('an icon path that leaves the directory, is absolute, or is no image is refused by the schema', () => {
    for (const icon of ['../secret.svg', '/etc/passwd.png', 'icons/../../x.svg', 'icons/.hidden.svg', 'icon.gif', 'a b.svg']) {
      const { problems } = load(`id: app\nimage: ${IMAGE}\nicon: ${JSON.stringify(icon)}\n`);
      expect(problems, icon).toEqual([expect.stringMatching(/^manifests\/app\.yaml:3:7 \/icon: must be (an|a) icon file/)]);
    }
  });

  test('web names a published tcp port of the right container', () => {
    expect(load(`id: app\nimage: ${IMAGE}\nweb: { port: 80 }\n`).problems).toEqual(['manifests/app.yaml:3:14 /web/port: port 80 is not published by this app (publish it under ports)']);
    expect(load(`id: app\nimage: ${IMAGE}\nports: [{ container: 80, protocol: udp }, { container: 81 }]\nweb: { port: 80 }\n`).problems).toEqual([
      'manifests/app.yaml:4:14 /web/port: port 80 is not published by this app (published tcp ports: 81)',
    ]);
    expect(load(`id: app\nimage: ${IMAGE}\nports: [{ container: 80 }]\nweb: { container: ui, port: 80 }\n`).problems).toEqual([
      'manifests/app.yaml:4:8 /web/container: a one-container app has no container to name (remove web.container)',
    ]);
    const multi = `id: app\ncontainers:\n  ui:\n    image: ${IMAGE}\n    ports: [{ container: 80 }]\n`;
    expect(load(`${multi}web: { port: 80 }\n`).problems).toEqual(['manifests/app.yaml:6:6 /web: an app of several containers must say which one serves the UI (web.container: one of ui)']);
    expect(load(`${multi}web: { container: api, port: 80 }\n`).problems).toEqual(['manifests/app.yaml:6:19 /web/container: no container "api" in this app (one of ui)']);
    expect(load(`id: app\nimage: ${IMAGE}\nhostNetwork: true\nweb: { port: 8080 }\n`).problems).toEqual([]);
  });
});
