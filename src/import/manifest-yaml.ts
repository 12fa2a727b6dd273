/**
 * An imported manifest → the YAML text of `manifests/<id>.yaml`: fields in the schema's order (the app's, then each
 * container's as `CONTAINER_FIELDS` lists them), a header that says where it came from.
 */
import { stringify } from 'yaml';
import { CONTAINER_FIELDS } from '../manifest/containers.js';
import type { ContainerSpec, Manifest } from '../manifest/types.js';

const APP_FIELDS = ['id', 'name', 'description', 'state', 'containers', 'exports'] as const;

function ordered(spec: ContainerSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of CONTAINER_FIELDS) if (spec[key] !== undefined) out[key] = spec[key];
  return out;
}

/**
 * The manifest as YAML, after a comment header: `source` is what it came from as shown (`apps/x/compose.yaml`, the
 * unit files, `podman inspect lnd`), `command` the import that made it.
 */
export function manifestYaml(manifest: Manifest, source: string, command: 'compose' | 'quadlet' | 'container' = 'compose'): string {
  const doc: Record<string, unknown> = {};
  for (const key of APP_FIELDS) {
    if (key === 'containers' && manifest.containers) doc.containers = Object.fromEntries(Object.entries(manifest.containers).map(([n, c]) => [n, ordered(c)]));
    else if (manifest[key] !== undefined) doc[key] = manifest[key];
  }
  Object.assign(doc, ordered(manifest));
  const header = `# Imported from ${source.replace(/[\r\n]/g, ' ')} by archy-quadlet import ${command}.\n`;
  return header + stringify(doc, { lineWidth: 0, defaultStringType: 'PLAIN', defaultKeyType: 'PLAIN' });
}
