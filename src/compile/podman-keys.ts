/**
 * Which Quadlet keys each podman version's generator accepts, per group: the
 * table version targeting and the `quadlet:` escape hatch are checked against.
 *
 * The 5.4 lists were checked key by key against podman 5.4.2's own generator
 * (`unsupported key 'X' in group 'Container'` for every key listed under 5.5);
 * the 5.5 additions are the keys podman's newer supported-keys maps have and
 * 5.4.2 rejects.
 */

export type PodmanGroup = 'Container' | 'Network' | 'Volume' | 'Build';

/** A podman version as `[major, minor, patch]`. */
export type Version = readonly [number, number, number];

const CONTAINER_5_4 = [
  'AddCapability', 'AddDevice', 'AddHost', 'Annotation', 'AutoUpdate', 'CgroupsMode', 'ContainerName',
  'ContainersConfModule', 'DNS', 'DNSOption', 'DNSSearch', 'DropCapability', 'Entrypoint', 'Environment',
  'EnvironmentFile', 'EnvironmentHost', 'Exec', 'ExposeHostPort', 'GIDMap', 'GlobalArgs', 'Group', 'GroupAdd',
  'HealthCmd', 'HealthInterval', 'HealthLogDestination', 'HealthMaxLogCount', 'HealthMaxLogSize', 'HealthOnFailure',
  'HealthRetries', 'HealthStartPeriod', 'HealthStartupCmd', 'HealthStartupInterval', 'HealthStartupRetries',
  'HealthStartupSuccess', 'HealthStartupTimeout', 'HealthTimeout', 'HostName', 'IP', 'IP6', 'Image', 'Label',
  'LogDriver', 'LogOpt', 'Mask', 'Mount', 'Network', 'NetworkAlias', 'NoNewPrivileges', 'Notify', 'PidsLimit', 'Pod',
  'PodmanArgs', 'PublishPort', 'Pull', 'ReadOnly', 'ReadOnlyTmpfs', 'RemapGid', 'RemapUid', 'RemapUidSize',
  'RemapUsers', 'Rootfs', 'RunInit', 'SeccompProfile', 'Secret', 'SecurityLabelDisable', 'SecurityLabelFileType',
  'SecurityLabelLevel', 'SecurityLabelNested', 'SecurityLabelType', 'ServiceName', 'ShmSize', 'StartWithPod',
  'StopSignal', 'StopTimeout', 'SubGIDMap', 'SubUIDMap', 'Sysctl', 'Timezone', 'Tmpfs', 'UIDMap', 'Ulimit', 'Unmask',
  'User', 'UserNS', 'VolatileTmp', 'Volume', 'WorkingDir',
];
const NETWORK_5_4 = [
  'ContainersConfModule', 'DNS', 'DisableDNS', 'Driver', 'Gateway', 'GlobalArgs', 'IPAMDriver', 'IPRange', 'IPv6',
  'Internal', 'Label', 'NetworkName', 'Options', 'PodmanArgs', 'ServiceName', 'Subnet',
];
const VOLUME_5_4 = [
  'ContainersConfModule', 'Copy', 'Device', 'Driver', 'GlobalArgs', 'Group', 'Image', 'Label', 'Options',
  'PodmanArgs', 'ServiceName', 'Type', 'User', 'VolumeName',
];
const BUILD_5_4 = [
  'Annotation', 'Arch', 'AuthFile', 'ContainersConfModule', 'DNS', 'DNSOption', 'DNSSearch', 'Environment', 'File',
  'ForceRM', 'GlobalArgs', 'GroupAdd', 'ImageTag', 'Label', 'Network', 'PodmanArgs', 'Pull', 'Secret', 'ServiceName',
  'SetWorkingDirectory', 'Target', 'TLSVerify', 'Variant', 'Volume',
];

/** Keys by the version that first accepts them; the first row is the oldest supported target. */
const KEYS_SINCE: ReadonlyArray<{ version: Version; keys: Record<PodmanGroup, readonly string[]> }> = [
  { version: [5, 0, 0], keys: { Container: CONTAINER_5_4, Network: NETWORK_5_4, Volume: VOLUME_5_4, Build: BUILD_5_4 } },
  {
    version: [5, 5, 0],
    keys: {
      Container: ['Memory', 'ReloadCmd', 'ReloadSignal', 'Retry', 'RetryDelay'],
      Network: ['InterfaceName', 'NetworkDeleteOnStop'],
      Volume: [],
      Build: ['Retry', 'RetryDelay'],
    },
  },
];

/** The oldest podman the compiler targets (Quadlet `.build` units and the 5.x key set). */
export const MIN_VERSION: Version = [5, 0, 0];

/**
 * Parses `5.4.2` (or `5.5`) into a Version.
 * @returns undefined when the text is no `MAJOR.MINOR[.PATCH]` version.
 */
export function parseVersion(text: string): Version | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Orders two versions: negative when a < b. */
export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** `5.5` for `[5, 5, 0]`, `5.4.2` otherwise. */
export function formatVersion(v: Version): string {
  return v[2] === 0 ? `${v[0]}.${v[1]}` : v.join('.');
}

export type KeySupport = { supported: true } | { supported: false; since?: Version };

/** Whether `target`'s generator accepts `key` in `group`; when not, the version that first does (if any). */
export function keySupport(target: Version, group: PodmanGroup, key: string): KeySupport {
  for (const row of KEYS_SINCE) {
    if (!row.keys[group].includes(key)) continue;
    return compareVersions(target, row.version) >= 0 ? { supported: true } : { supported: false, since: row.version };
  }
  return { supported: false };
}
