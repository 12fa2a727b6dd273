/**
 * The node's podman secret store, through the podman command (`podman secret ls`, `podman secret create`): where
 * the reconciler puts the generated secrets a container takes as environment values (`Secret=archy.<name>,type=env`
 * in its unit, so the value is in no unit file, and `podman inspect` shows it masked; shown on the test host in
 * test/e2e/reconcile-exports.test.ts).
 */
import { execFile, spawn } from 'node:child_process';

/** The podman secrets the reconciler needs. */
export interface PodmanSecrets {
  /** Names of every podman secret on the node. Throws when podman cannot be run or fails (its stderr). */
  list(): Promise<Set<string>>;
  /** Creates secret `name` with `value`, replacing one of that name (`--replace`). Throws with podman's stderr. */
  create(name: string, value: string): Promise<void>;
}

/** The variable of podman's environment that carries a secret's value into `podman secret create --env`. */
const VALUE_VARIABLE = 'ARCHY_QUADLET_SECRET_VALUE';

/** Longest a podman secret call may take (ms): it reads and writes one small file. */
const TIMEOUT_MS = 60_000;

/** {@link PodmanSecrets} over `command` (argv of podman, default `['podman']`; tests run it inside their host). */
export function podmanSecrets(command: readonly string[] = ['podman']): PodmanSecrets {
  const [cmd, ...pre] = command;
  if (!cmd) throw new Error('no podman command given');
  return {
    list: () =>
      new Promise((resolve, reject) => {
        execFile(cmd, [...pre, 'secret', 'ls', '--format', '{{.Name}}'], { timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
          if (err) reject(new Error(`podman secret ls failed: ${stderr.trim() || err.message}`));
          else resolve(new Set(stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '')));
        });
      }),
    create: (name, value) =>
      new Promise((resolve, reject) => {
        // The value goes in through podman's own environment (`--env`: the data is the named variable's value):
        // never on a command line other processes could read. (A `-` for stdin needs a real pipe, which a spawned
        // child does not get.)
        const child = spawn(cmd, [...pre, 'secret', 'create', '--replace', '--env', name, VALUE_VARIABLE], {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, [VALUE_VARIABLE]: value },
          timeout: TIMEOUT_MS,
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', (err) => reject(new Error(`podman secret create ${name} failed: ${err.message}`)));
        child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`podman secret create ${name} failed (exit ${code}): ${stderr.trim()}`))));
      }),
  };
}
