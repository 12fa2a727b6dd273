/**
 * The warnings about a container's confinement that hold rootful and rootless (`hostNetwork`, `privileged`), and the
 * check of its `acknowledge:` entries. The rootless ones (a `user` by name, a host port below 1024) are in
 * compile-app.ts's rootlessUserNS, which decides the `UserNS=` beside them.
 */
import type { ContainerEntry } from '../manifest/containers.js';
import type { AcknowledgeableWarning } from '../manifest/types.js';
import type { ManifestContext } from './context.js';
import { UNPRIVILEGED_PORT_START } from './defaults.js';

/**
 * Warns for a container on the host's network or privileged (each acknowledged by its `acknowledge:` entry when it
 * has one), and for each `acknowledge:` entry whose warning the container can never get, rootful or rootless (as
 * eslint reports an unused disable directive): left behind when the field it excused changed, it would hide the next.
 */
export function warnConfinement(ctx: ManifestContext, base: string, c: ContainerEntry['spec']): void {
  if (c.hostNetwork) ctx.warn(`${base}/hostNetwork`, "shares the host's network stack: the container reaches every service on the host and binds host ports directly", 'prefer networks and ports unless the daemon needs the host network', c.acknowledge?.hostNetwork);
  if (c.privileged) ctx.warn(`${base}/privileged`, 'runs privileged: every capability and host device, no confinement', 'prefer capAdd and devices for what the daemon needs', c.acknowledge?.privileged);
  const never: Record<AcknowledgeableWarning, string | undefined> = {
    hostNetwork: c.hostNetwork ? undefined : 'hostNetwork is not set',
    privileged: c.privileged ? undefined : 'privileged is not set',
    user: c.user !== undefined && !/^\d+(?::\d+)?$/.test(c.user) ? undefined : 'user is not a name',
    ports: (c.ports ?? []).some((p) => (p.host ?? p.container) < UNPRIVILEGED_PORT_START) ? undefined : `no host port is below ${UNPRIVILEGED_PORT_START}`,
  };
  for (const key of Object.keys(c.acknowledge ?? {}) as AcknowledgeableWarning[]) {
    const why = never[key];
    if (why) ctx.warn(`${base}/acknowledge/${key}`, `acknowledges a warning this container never gets: ${why}`, `remove acknowledge.${key}`);
  }
}
