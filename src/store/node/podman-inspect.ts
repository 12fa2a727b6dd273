/**
 * What podman has of named volumes and networks (`podman volume inspect`, `podman network inspect`), for the
 * reconciler's drift check (src/reconcile/drift.ts). Rootless, the user's podman answers for the user's.
 */
import { execFile } from 'node:child_process';

/** Longest one inspect may take (ms): it reads podman's database. */
const TIMEOUT_MS = 60_000;

/**
 * The inspect JSON of each of `names` of `kind` that exists, by name, over `command` (argv of podman). One call per
 * name: podman fails a whole inspect when one name is missing. Throws when podman cannot be run or fails otherwise.
 */
export async function inspectExisting<T>(command: readonly string[], kind: 'volume' | 'network', names: readonly string[]): Promise<Map<string, T>> {
  const [cmd, ...pre] = command;
  if (!cmd) throw new Error('no podman command given');
  const out = new Map<string, T>();
  for (const name of names) {
    const found = await new Promise<T | undefined>((resolve, reject) => {
      execFile(cmd, [...pre, kind, 'inspect', '--format', 'json', name], { timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
        if (!err) return resolve((JSON.parse(stdout) as T[])[0]);
        // podman 5.4.2: "no such volume", "unable to find network with name or ID x: network not found".
        if (/no such|not found/i.test(stderr)) return resolve(undefined);
        reject(new Error(`podman ${kind} inspect ${name} failed: ${stderr.trim() || err.message}`));
      });
    });
    if (found !== undefined) out.set(name, found);
  }
  return out;
}
