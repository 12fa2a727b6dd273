/**
 * `podman-secrets.json` in the state directory (`layout.ts`): for each podman secret the reconciler created, the
 * digest (`secretDigest`, sha256 of name and value) of the value it was created with, so a pass knows without
 * asking podman whether a secret is current: `{"archy.bitcoin-rpc-password":"<64 hex>"}`.
 */
import { InvalidInputError } from '../../errors.js';
import { readTextIfExists } from '../fs.js';
import { stateLayout } from './layout.js';
import { writeStateFile } from './state-file.js';

/**
 * The recorded digests by podman secret name; `{}` when none was created yet.
 * @throws InvalidInputError naming the file when it is not a JSON object of strings.
 */
export async function readPodmanSecretDigests(stateDir: string): Promise<Record<string, string>> {
  const path = stateLayout(stateDir).podmanSecrets;
  const text = await readTextIfExists(path);
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new InvalidInputError([{ file: path, message: 'not a JSON object of digests by secret name', hint: 'delete the file; the next pass creates the podman secrets again' }]);
  }
  return value as Record<string, string>;
}

/** Records that podman secret `name` now holds the value of `digest`. Atomic; throws the fs error. */
export async function recordPodmanSecret(stateDir: string, name: string, digest: string): Promise<void> {
  const all = await readPodmanSecretDigests(stateDir);
  all[name] = digest;
  await writeStateFile(stateLayout(stateDir).podmanSecrets, `${JSON.stringify(all, Object.keys(all).sort(), 2)}\n`);
}
