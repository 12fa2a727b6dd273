/**
 * What podman has of named volumes and networks (`podman volume ls`, `podman network ls`, as JSON), for the
 * reconciler's drift check (src/reconcile/drift.ts). Rootless, the user's podman answers for the user's.
 */
import { execFile } from 'node:child_process';

/** Longest one listing may take (ms): it reads podman's database. */
const TIMEOUT_MS = 60_000;

/**
 * The JSON of each of `names` of `kind` that exists, by name, over `command` (argv of podman): one
 * `podman volume ls --format json` (or `network ls`) for them all, whose entries carry the fields of
 * `podman … inspect` the drift check compares (`Driver`, `Options`; `driver`, `subnets`, `internal`, `ipv6_enabled`,
 * `options`), seen side by side on podman 5.4.2. One inspect per name (podman fails a whole inspect when one name is
 * missing) started a podman per volume and per network: hundreds of processes per pass with 400 apps.
 * No call when `names` is empty. Throws when podman cannot be run or fails.
 */
export async function inspectExisting<T>(command: readonly string[], kind: 'volume' | 'network', names: readonly string[]): Promise<Map<string, T>> {
  const [cmd, ...pre] = command;
  if (!cmd) throw new Error('no podman command given');
  const out = new Map<string, T>();
  if (names.length === 0) return out;
  const listed = await new Promise<unknown>((resolve, reject) => {
    execFile(cmd, [...pre, kind, 'ls', '--format', 'json'], { timeout: TIMEOUT_MS, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`podman ${kind} ls failed: ${stderr.trim() || err.message}`));
      try {
        resolve(JSON.parse(stdout));
      } catch (e) {
        reject(new Error(`podman ${kind} ls printed no JSON: ${(e as Error).message}`));
      }
    });
  });
  const wanted = new Set(names);
  for (const entry of Array.isArray(listed) ? (listed as Array<Record<string, unknown>>) : []) {
    const name = kind === 'volume' ? entry.Name : entry.name;
    if (typeof name === 'string' && wanted.has(name)) out.set(name, entry as T);
  }
  return out;
}
