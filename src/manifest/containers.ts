/**
 * The containers of an app, whichever way the manifest lists them: a one-container app's fields at the top level,
 * or `containers.<name>` (docs/manifest.md, "Apps of several containers"). Every stage that walks an app's
 * containers (checks, compile, reconcile's config files, the controller's app list) goes through here. Pure.
 */
import type { ContainerSpec, Manifest, NetworkRef } from './types.js';

/** One container of an app. */
export interface ContainerEntry {
  /** Its short name (`containers.<name>`); undefined for a one-container app. */
  name: string | undefined;
  spec: ContainerSpec;
  /** JSON pointer of its fields in the manifest: `''` (top level) or `/containers/<name>`. */
  base: string;
}

/**
 * The fields of a container (`ContainerSpec`): with `containers`, none of them may appear at the top level.
 * Kept in the schema's order (`$defs/container`).
 */
export const CONTAINER_FIELDS = [
  'image', 'build', 'command', 'entrypoint', 'workingDir', 'user', 'environment', 'secrets', 'ports', 'volumes',
  'binds', 'configs', 'networks', 'hostNetwork', 'hosts', 'hostname', 'init', 'shmSize', 'ulimits', 'devices',
  'tmpfs', 'sysctls', 'privileged', 'acknowledge', 'security', 'health', 'dependsOn', 'oneshot', 'stop', 'startTimeout', 'memory',
  'labels', 'autoUpdate', 'restart', 'quadlet',
] as const satisfies ReadonlyArray<keyof ContainerSpec>;

/** Whether the manifest lists its containers under `containers` (an app of several containers). */
export function isMultiContainer(m: Manifest): m is Manifest & { containers: Record<string, ContainerSpec> } {
  return m.containers !== undefined;
}

/** The app's containers in manifest order: `[{ name: undefined, spec: m, base: '' }]` for a one-container app. */
export function containersOf(m: Manifest): ContainerEntry[] {
  if (!isMultiContainer(m)) return [{ name: undefined, spec: m, base: '' }];
  return Object.entries(m.containers).map(([name, spec]) => ({ name, spec, base: `/containers/${name}` }));
}

/** The unit name stem of a container of an app of several: `containerUnitName('mempool', 'db')` → `mempool-db`. */
export function containerUnitName(appId: string, name: string): string {
  return `${appId}-${name}`;
}

/**
 * The services of an app's containers, for the controller (`AppRef.containers`): `[{ name: 'db', unit:
 * 'mempool-db.service' }, …]` in manifest order; a template app's instances (`{ name: '1', unit:
 * 'indexer@1.service' }`); undefined for a one-container app (its unit is the container).
 */
export function appContainers(m: Manifest): Array<{ name: string; unit: string; health?: true }> | undefined {
  if (m.instances && !isMultiContainer(m)) return m.instances.map((name) => ({ name, unit: `${m.id}@${name}.service`, ...(m.health ? { health: true as const } : {}) }));
  if (!isMultiContainer(m)) return undefined;
  return Object.entries(m.containers).map(([name, spec]) => ({ name, unit: `${containerUnitName(m.id, name)}.service`, ...(spec.health ? { health: true as const } : {}) }));
}

/** The name of a container's `networks` entry: `archy` for `archy` and for `{ name: archy, subnets: … }`. */
export function networkName(n: NetworkRef): string {
  return typeof n === 'string' ? n : n.name;
}
