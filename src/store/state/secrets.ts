/**
 * Node-local secrets: values generated once from a CSPRNG and kept, mode 0600,
 * in `<state-dir>/secrets/<name>`. A secret never changes once created, so
 * re-renders of the configs that use it are byte-identical.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import type { FileTexts } from '../file-texts.js';
import { createOnce, readTextIfExists, readTextsIfExist } from '../fs.js';
import { stateLayout } from './layout.js';

/** What a secret name may be: it names a file, so no `/`, no leading dot. */
export const SECRET_NAME = /^[a-z0-9][a-z0-9_.-]{0,126}$/;

/** Throws InvalidInputError when `name` cannot name a secret file. */
export function checkSecretName(name: string, where: string): void {
  if (!SECRET_NAME.test(name) || name.includes('..')) {
    throw new InvalidInputError([{ file: where, message: `invalid secret name ${JSON.stringify(name)}`, hint: 'use lower-case letters, digits, ".", "_" and "-"' }]);
  }
}

/** How a new secret's value is made: `bytes` random bytes, hex-encoded (safe in any config syntax). */
export interface SecretKind {
  bytes: number;
}

export const PASSWORD: SecretKind = { bytes: 32 };
/** bitcoind's rpcauth salt is 16 random bytes, hex (as its share/rpcauth/rpcauth.py makes it). */
export const SALT: SecretKind = { bytes: 16 };

/** The state directory's secrets. */
export interface SecretStore {
  /** The directory holding one file per secret. */
  readonly dir: string;
  /** The value of `name`, created (once, race-free) when missing. */
  get(name: string, kind?: SecretKind): Promise<string>;
  /** The value of `name`, or undefined when it does not exist (never creates it). */
  peek(name: string): Promise<string | undefined>;
  /**
   * The values of `names`, in order, undefined for each that does not exist (never creates one): read one after
   * another with synchronous reads, as a pass's other bulk reads (`readTexts`), through `texts` when given.
   * @throws InvalidInputError for a name that cannot name a secret file; the fs error for anything but a missing file.
   */
  peekAll(names: readonly string[], texts?: FileTexts): Array<string | undefined>;
}

/**
 * The secret store under `<stateDir>/secrets` (0700). A new secret is created
 * once ({@link createOnce}: a private 0600 temp file, fsynced, hard-linked into
 * place): two passes racing to create a secret agree on one value.
 * Throws on IO errors (e.g. permission denied on the state directory).
 */
export function secretStore(stateDir: string): SecretStore {
  const dir = stateLayout(stateDir).secrets;
  return {
    dir,
    async peek(name) {
      checkSecretName(name, dir);
      return readSecret(join(dir, name));
    },
    peekAll(names, texts) {
      for (const name of names) checkSecretName(name, dir);
      return readTextsIfExist(names.map((name) => join(dir, name)), texts).map((text) => text?.trim());
    },
    async get(name, kind = PASSWORD) {
      checkSecretName(name, dir);
      const path = join(dir, name);
      const existing = await readSecret(path);
      if (existing !== undefined) return existing;
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const { text } = await createOnce(path, randomBytes(kind.bytes).toString('hex'), { mode: 0o600 });
      if (text === undefined) throw new Error(`${path}: secret vanished right after it was created`);
      return text.trim();
    },
  };
}

/** A secret's value (trimmed), undefined when it does not exist. */
async function readSecret(path: string): Promise<string | undefined> {
  return (await readTextIfExists(path))?.trim();
}
