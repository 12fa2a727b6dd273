/**
 * Onion services in the catalog: which ports an app publishes over Tor (`ports[].onion`), which app is the node's
 * Tor (`onionServiceDir`), and where the node finds each app's onion address (tor's `hostname` file). Pure: the
 * reconciler and the live view read the files (src/store/node/onion-addresses.ts).
 */
import { containersOf } from './containers.js';
import type { DesiredState, LoadedManifest, Manifest } from './types.js';

/**
 * The export every app with an onion service has without declaring it: its onion address, as tor wrote it. Config
 * templates take it (`{{export "bitcoin" "onion.address"}}`); it is empty until tor has written it.
 */
export const ONION_EXPORT = 'onion.address';

/** A v3 onion address as tor writes it into `hostname`: 56 base32 characters and `.onion`. */
export const ONION_ADDRESS = /^[a-z2-7]{56}\.onion$/;

/** The app's ports published over Tor, in manifest order: the virtual port, and the host port tor reaches on 127.0.0.1. */
export function onionPorts(m: Manifest): Array<{ virtual: number; target: number }> {
  return containersOf(m).flatMap((c) => (c.spec.ports ?? []).flatMap((p) => (p.onion !== undefined ? [{ virtual: p.onion, target: p.host ?? p.container }] : [])));
}

const installed = (lm: LoadedManifest, states: Readonly<Record<string, DesiredState>>): boolean => (states[lm.manifest.id] ?? lm.manifest.state ?? 'running') !== 'absent';

/**
 * Where tor writes each installed app's onion address on the host: `<onionServiceDir>/<id>/hostname` of the
 * installed app with `onionServiceDir`, for every installed app with an onion port, by id. Empty when no such app is
 * installed (the catalog allows one at most).
 */
export function onionHostnames(manifests: readonly LoadedManifest[], states: Readonly<Record<string, DesiredState>>): Record<string, string> {
  const provider = manifests.find((lm) => lm.manifest.onionServiceDir !== undefined && installed(lm, states))?.manifest.onionServiceDir;
  const out: Record<string, string> = {};
  if (provider === undefined) return out;
  for (const lm of manifests) if (installed(lm, states) && onionPorts(lm.manifest).length > 0) out[lm.manifest.id] = `${provider}/${lm.manifest.id}/hostname`;
  return out;
}
