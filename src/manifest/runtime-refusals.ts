/**
 * Combinations the target podman or systemd accepts in a manifest but refuses when the unit loads or the container
 * runs (issue 17, "Options that are accepted but cannot work"), refused at `validate` with a hint.
 */
import type { ContainerSpec } from './types.js';
import type { Finding } from './ajv-problems.js';
import { networkName } from './containers.js';

/**
 * Podman's names of network modes: `podman network create bridge` (host, none, private, default, pasta,
 * slirp4netns) fails with "conflicts with a valid network mode" (podman 5.4.2 on the test host); `container:…` and
 * `ns:…` are no DNS labels, so the schema already refuses them.
 */
const RESERVED_NETWORK_NAMES: readonly string[] = ['bridge', 'host', 'none', 'private', 'default', 'pasta', 'slirp4netns'];

/** Whether podman refuses `name` as a network's name. */
export function isReservedNetworkName(name: string): boolean {
  return RESERVED_NETWORK_NAMES.includes(name);
}

/** The message for a network named like a network mode. */
export function reservedNetworkMessage(name: string): string {
  return `"${name}" is a podman network mode, which podman refuses as a network's name ("conflicts with a valid network mode")`;
}

/**
 * Combinations podman accepts in a unit but refuses (or ignores) when the container runs (issue 17, "Options that are
 * accepted but cannot work"); each shown with podman 5.4.2 on the test host or read from podman's source:
 * - `autoUpdate: registry` needs an image named by tag alone: podman's auto-update refuses a reference with a digest
 *   (pkg/autoupdate ValidateImageReference: "auto updates require fully-qualified image references without digest"),
 *   and a local build (`localhost/…`) has no registry to look in (`local` compares with the local image instead);
 * - `Notify=healthy` and `HealthOnFailure=` (escape hatch) need a health check ("sdnotify policy \"healthy\" requires a
 *   healthcheck to be set", "cannot set on-failure action to restart without a health check");
 * - a `net.*` sysctl on the host's network ("can't be set since Network Namespace set to host").
 */
export function checkRuntimeRefusals(spec: ContainerSpec, base: string, out: Finding[]): void {
  checkServiceAndLimits(spec, base, out);
  checkVolumeFields(spec, base, out);
  (spec.networks ?? []).forEach((n, i) => {
    const name = networkName(n);
    if (isReservedNetworkName(name)) out.push({ pointer: `${base}/networks/${i}${typeof n === 'string' ? '' : '/name'}`, message: reservedNetworkMessage(name), hint: 'give the network another name' });
  });
  if (spec.autoUpdate === 'registry') {
    const image = spec.image ?? '';
    const digest = image.includes('@sha256:');
    const named = image.split('@')[0]!;
    const tagged = named.slice(named.lastIndexOf('/')).includes(':');
    if (spec.build !== undefined || image.startsWith('localhost/')) {
      out.push({ pointer: `${base}/autoUpdate`, message: `${spec.build ? 'a local build' : `${image} is a local image`}: auto-update would look for it in a registry that does not exist`, hint: 'use autoUpdate: local (updates when the local image changes)' });
    } else if (digest) {
      out.push({ pointer: `${base}/autoUpdate`, message: tagged ? 'podman auto-update refuses an image reference with both a tag and a digest' : 'an image pinned by digest alone never changes: auto-update would never update it', hint: `name the image by its tag alone (${image.slice(0, image.indexOf('@'))}${tagged ? '' : ':TAG'}), or remove autoUpdate to keep the digest pin` });
    }
  }
  const raw = spec.quadlet?.Container ?? {};
  const values = (key: string): string[] => { const v = raw[key]; return v === undefined ? [] : Array.isArray(v) ? v : [v]; };
  if (spec.health === undefined) {
    if (values('Notify').includes('healthy')) out.push({ pointer: `${base}/quadlet/Container/Notify`, message: 'Notify=healthy needs a health check: podman refuses to start the container without one', hint: 'add health (whose gateStart, true by default, gives Notify=healthy) and remove this key' });
    if (values('HealthOnFailure').some((v) => v !== 'none')) out.push({ pointer: `${base}/quadlet/Container/HealthOnFailure`, message: 'HealthOnFailure= needs a health check: podman refuses to start the container without one', hint: 'add health, or remove this key' });
  }
  if (spec.hostNetwork) {
    for (const key of Object.keys(spec.sysctls ?? {})) {
      if (key.startsWith('net.')) out.push({ pointer: `${base}/sysctls/${key}`, target: 'key', message: `${key} cannot be set on the host's network: podman refuses to start the container (the sysctl would change the host)`, hint: 'set it on the node, or remove hostNetwork' });
    }
  }
}


/**
 * Shown on the test host (systemd 257, podman 5.4.2):
 * - `Type=oneshot` with `Restart=always` or `on-success`: systemd does not load the unit ("Service has Restart= set
 *   to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.", LoadState=bad-setting);
 * - a ulimit whose soft limit is above its hard one: podman refuses the container ("ulimit soft limit must be less
 *   than or equal to hard limit: 2048 > 1024");
 * - a health command whose program is empty (`["", "x"]`): podman creates the container with no health check at all
 *   ("has no defined healthcheck"), so a gated start would wait for ever.
 */
function checkServiceAndLimits(spec: ContainerSpec, base: string, out: Finding[]): void {
  if (spec.oneshot && (spec.restart === 'always' || spec.restart === 'on-success')) {
    out.push({ pointer: `${base}/restart`, message: `a one-shot container cannot have restart: ${spec.restart}: systemd refuses to load a oneshot service with Restart=always or on-success (bad-setting)`, hint: 'use restart: on-failure (or "no"), or remove oneshot' });
  }
  for (const [name, limit] of Object.entries(spec.ulimits ?? {})) {
    if (typeof limit === 'object' && limit.soft > limit.hard) {
      out.push({ pointer: `${base}/ulimits/${name}/soft`, message: `soft limit ${limit.soft} is above the hard limit ${limit.hard}: podman refuses the container`, hint: `a soft limit of at most ${limit.hard}, or raise hard` });
    }
  }
  if (spec.health?.cmd[0] === '') out.push({ pointer: `${base}/health/cmd/0`, message: 'the program is empty: podman then creates the container without a health check, and a gated start waits for ever', hint: 'name the program to run, e.g. [pg_isready, -q]' });
}

/**
 * A named volume's fields that podman 5.4.2's generator refuses (the unit is not generated: shown with the generator):
 * `Driver=image` needs `Image=` ("the key Image is mandatory when using the image driver"), which a manifest volume
 * has no field for; `Type=` and `Options=` need `Device=` ("key Type can't be used without Device"). A driver that
 * is no installed plugin passes the generator and fails at `podman volume create` ("no volume plugin with name X
 * available"): which plugins a node has is the node's, so it is documented, not checked.
 */
function checkVolumeFields(spec: ContainerSpec, base: string, out: Finding[]): void {
  (spec.volumes ?? []).forEach((v, i) => {
    const at = `${base}/volumes/${i}`;
    if (v.driver === 'image') out.push({ pointer: `${at}/driver`, message: "the image driver needs the image to mount (Quadlet's Image=), which a manifest volume does not give: podman's generator refuses the unit", hint: 'mount the image\'s files another way (a bind, or copy them in a oneshot container), or use the local driver' });
    for (const key of ['type', 'options'] as const) {
      if (v[key] !== undefined && v.device === undefined) out.push({ pointer: `${at}/${key}`, message: `${key} needs device: podman's generator refuses the unit ("key ${key === 'type' ? 'Type' : 'Options'} can't be used without Device")`, hint: key === 'type' ? 'give device (what to mount, e.g. ":/export/media" for nfs4, or "tmpfs")' : 'give type and device too (e.g. type: nfs4, device: ":/export/media"), or remove options' });
    }
  });
}
