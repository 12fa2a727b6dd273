/**
 * An app as a person knows it, from its manifest: the one-line description, the icon file, the version (its image's
 * tag) and where its web UI is published (`web:`). The dashboard shows them (docs/api.md, issue 16). Pure.
 */
import type { Finding } from './ajv-problems.js';
import { containersOf } from './containers.js';
import type { AppMeta, WebLink } from '../controller/types.js';
import type { ContainerSpec, Manifest } from './types.js';

export type { AppMeta, WebLink };

/**
 * The version an image reference names: its tag (`docker.io/bitcoin/bitcoin:28.1` → `28.1`), else its digest cut to
 * 12 hex digits (`…@sha256:0123456789ab…` → `sha256:0123456789ab`); undefined without either.
 */
export function imageVersion(image: string): string | undefined {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) return name.slice(colon + 1);
  if (at >= 0) {
    const digest = image.slice(at + 1);
    const [algo, hex] = digest.split(':');
    return hex ? `${algo}:${hex.slice(0, 12)}` : digest;
  }
  return undefined;
}

/** The container `web:` names (the app's only one, or `containers.<web.container>`), or undefined. */
function webContainer(m: Manifest): ContainerSpec | undefined {
  if (!m.web) return undefined;
  const entries = containersOf(m);
  return m.web.container === undefined ? (entries.length === 1 && entries[0]!.name === undefined ? entries[0]!.spec : undefined) : entries.find((c) => c.name === m.web!.container)?.spec;
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);

/** The web UI's link, when `web:` names a published port (a valid manifest's always does: {@link checkWeb}). */
export function webLink(m: Manifest): WebLink | undefined {
  const spec = webContainer(m);
  if (!spec || !m.web) return undefined;
  const path = m.web.path ?? '/';
  // A container on the host's network binds its ports on the host itself.
  if (spec.hostNetwork) return { port: m.web.port, path, loopbackOnly: false };
  const published = (spec.ports ?? []).find((p) => p.container === m.web!.port && (p.protocol ?? 'tcp') === 'tcp');
  if (!published) return undefined;
  return {
    port: published.host ?? published.container,
    path,
    loopbackOnly: published.hostIp !== undefined && LOOPBACK.has(published.hostIp),
    ...(published.onion !== undefined ? { onionPort: published.onion } : {}),
  };
}

/** Each container's version as its image names it ({@link imageVersion}; a `build`'s tag), in manifest order. */
function containerVersions(m: Manifest): Array<string | undefined> {
  return containersOf(m).map(({ spec }) => {
    const image = spec.image ?? spec.build?.tag;
    return image !== undefined ? imageVersion(image) : undefined;
  });
}

/**
 * A `version:` that no container's image tag is (`2.0.0` matches the tags `2.0.0` and `v2.0.0`, and `v3.2.1`
 * matches `3.2.1`): most likely left behind when an image was upgraded, so the dashboard would show the old number.
 * Undefined when it matches one, or without `version:`.
 */
export function staleVersion(m: Manifest): Finding | undefined {
  if (m.version === undefined) return undefined;
  const bare = (v: string): string => v.replace(/^v(?=\d)/, '');
  const tags = [...new Set(containerVersions(m).filter((v): v is string => v !== undefined))];
  if (tags.some((t) => bare(t) === bare(m.version!))) return undefined;
  return { pointer: '/version', message: `no container's image tag is version ${m.version} (${tags.length ? `tags: ${tags.join(', ')}` : 'no image has a tag'})`, hint: 'set version to the tag of the image that is the app, or remove it (the first container\'s tag is the default)' };
}

/** The manifest's meta for the dashboard; `version` is the manifest's own, else its first container's tag. */
export function appMeta(m: Manifest): AppMeta {
  const version = m.version ?? containerVersions(m)[0];
  const web = webLink(m);
  return {
    ...(m.description !== undefined ? { description: m.description } : {}),
    ...(m.icon !== undefined ? { icon: m.icon } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(web ? { web } : {}),
  };
}

/**
 * The other apps this app waits for, in first-mention order: every container's `dependsOn: [{ app }]` and every
 * environment value taken from another app (`{ app, export }`, which compile turns into a dependency too).
 */
export function appDependencies(m: Manifest): string[] {
  const out = new Set<string>();
  for (const { spec } of containersOf(m)) {
    for (const d of spec.dependsOn ?? []) if (d.app !== undefined && d.app !== m.id) out.add(d.app);
    for (const v of Object.values(spec.environment ?? {})) if (typeof v === 'object' && 'app' in v && v.app !== m.id) out.add(v.app);
  }
  return [...out];
}

/** `web:` names a container of the app and a tcp port it publishes. */
export function checkWeb(m: Manifest): Finding[] {
  const web = m.web;
  if (!web) return [];
  const names = containersOf(m).flatMap((c) => (c.name === undefined ? [] : [c.name]));
  if (names.length === 0 && web.container !== undefined) {
    return [{ pointer: '/web/container', target: 'key', message: 'a one-container app has no container to name', hint: 'remove web.container' }];
  }
  if (names.length > 0 && web.container === undefined) {
    return [{ pointer: '/web', message: 'an app of several containers must say which one serves the UI', hint: `web.container: one of ${names.join(', ')}` }];
  }
  if (web.container !== undefined && !names.includes(web.container)) {
    return [{ pointer: '/web/container', message: `no container ${JSON.stringify(web.container)} in this app`, hint: `one of ${names.join(', ')}` }];
  }
  const spec = webContainer(m)!;
  if (spec.hostNetwork) return [];
  const tcp = (spec.ports ?? []).filter((p) => (p.protocol ?? 'tcp') === 'tcp').map((p) => p.container);
  if (!tcp.includes(web.port)) {
    return [{ pointer: '/web/port', message: `port ${web.port} is not published by ${web.container ?? 'this app'}`, hint: tcp.length > 0 ? `published tcp ports: ${tcp.join(', ')}` : 'publish it under ports' }];
  }
  return [];
}
