/**
 * The one naming function for Quadlet unit files and the systemd services the
 * generator makes of them. Render, status, start/stop and diff all use it.
 *
 * Rules (podman-systemd.unit(5)): `x.container` → `x.service`,
 * `x.network` → `x-network.service`, `x.volume` → `x-volume.service`,
 * `x.build` → `x-build.service`, `x.pod` → `x-pod.service`,
 * `x.image` → `x-image.service`, `x.kube` → `x.service`.
 */

export const UNIT_KINDS = ['container', 'network', 'volume', 'build', 'pod', 'image', 'kube'] as const;
export type UnitKind = (typeof UNIT_KINDS)[number];

/** A DNS label: what an app id, and so a unit name, may be. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Orders names by code point (a negative number, 0 or a positive one, as `Array.prototype.sort` takes): for app ids,
 * DNS labels, the same order as `localeCompare`, without loading ICU's collator (~9 ms on a command's first use,
 * issue 15), and the same on every machine whatever its locale (the names of hand-written units may hold capitals).
 */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The unit file name for `name` of `kind`, e.g. `unitFileName('lnd', 'container')` → `lnd.container`. */
export function unitFileName(name: string, kind: UnitKind): string {
  return `${name}.${kind}`;
}

/** Splits `lnd.container` into `{ name: 'lnd', kind: 'container' }`; undefined for a file that is no Quadlet unit. */
export function parseUnitFileName(fileName: string): { name: string; kind: UnitKind } | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const kind = fileName.slice(dot + 1);
  if (!(UNIT_KINDS as readonly string[]).includes(kind)) return undefined;
  return { name: fileName.slice(0, dot), kind: kind as UnitKind };
}

/** The service systemd knows a Quadlet unit file by: `lnd.container` → `lnd.service`, `archy.network` → `archy-network.service`. */
export function serviceName(fileName: string): string {
  const parsed = parseUnitFileName(fileName);
  if (!parsed) throw new Error(`not a Quadlet unit file name: ${JSON.stringify(fileName)}`);
  const { name, kind } = parsed;
  return kind === 'container' || kind === 'kube' ? `${name}.service` : `${name}-${kind}.service`;
}

/**
 * The service a unit file makes, given its text: `<ServiceName>.service` when the file sets `ServiceName=`
 * (podman-systemd.unit(5); an app of several containers names its network's service after the app), else
 * {@link serviceName}.
 * @throws Error for a file name that is no Quadlet unit.
 */
export function serviceOf(fileName: string, content: string): string {
  const own = /^[ \t]*ServiceName[ \t]*=[ \t]*(\S+)[ \t]*$/m.exec(content);
  return own ? `${own[1]}.service` : serviceName(fileName);
}

/** A template instance's service: `instanceService('indexer', '1')` → `indexer@1.service` (of `indexer@.container`). */
export function instanceService(appId: string, instance: string): string {
  return `${appId}@${instance}.service`;
}

/** A template app's instance name (the manifest's `instances` items, schema/manifest.schema.json): `1`, `eu-1`, `shard_a.2`. */
export const INSTANCE_NAME = /^[a-z0-9]([a-z0-9_.-]{0,30}[a-z0-9])?$/;

/**
 * What a lifecycle command names, in systemd's spelling: `indexer` → `{ app: 'indexer' }`, `indexer@2` (or
 * `indexer@2.service`) → `{ app: 'indexer', instance: '2' }`. Undefined when the app is no DNS label or the instance
 * no instance name.
 */
export function parseAppTarget(arg: string): { app: string; instance?: string } | undefined {
  const m = /^([^@]+)(?:@([^@]*?))?(?:\.service)?$/.exec(arg);
  if (!m || !DNS_LABEL.test(m[1]!)) return undefined;
  if (m[2] === undefined) return arg.endsWith('.service') ? undefined : { app: m[1]! };
  return INSTANCE_NAME.test(m[2]) ? { app: m[1]!, instance: m[2] } : undefined;
}

/** Whether a unit file is a systemd template (`indexer@.container`): its services are its instances. */
export function isTemplateUnit(fileName: string): boolean {
  return parseUnitFileName(fileName)?.name.endsWith('@') === true;
}

/**
 * The services of the container units among an app's unit files, in order: `lnd.container` → `lnd.service`; a
 * template `indexer@.container` → the instances the set's files want (`Wants=indexer@1.service`, on the app unit).
 */
export function containerServicesOf(units: ReadonlyArray<{ name: string; content?: string }>): string[] {
  return [...new Set(units.flatMap((u) => (parseUnitFileName(u.name)?.kind === 'container' ? servicesOfUnit(u.name, units) : [])))];
}

/** The services of one container unit file among `units` (see {@link containerServicesOf}): a template's instances. */
export function servicesOfUnit(name: string, units: ReadonlyArray<{ name: string; content?: string }>): string[] {
  if (!isTemplateUnit(name)) return [serviceName(name)];
  const prefix = serviceName(name).replace(/\.service$/, '');
  const wanted = units.flatMap((o) => [...(o.content ?? '').matchAll(/^Wants=(\S+)$/gm)].map((w) => w[1]!));
  return [...new Set(wanted.filter((s) => s.startsWith(prefix) && s.endsWith('.service') && s.length > prefix.length + '.service'.length))];
}

/** The unit of an app, `<id>.service`: its one container's, or its network's (`ServiceName=<id>`) in an app of several: `appService('lnd')` → `lnd.service`. */
export function appService(appId: string): string {
  return serviceName(unitFileName(appId, 'container'));
}
