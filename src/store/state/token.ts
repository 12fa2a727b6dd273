/**
 * The API's bearer token: 32 bytes from the CSPRNG, base64url, kept in the
 * state directory as `api-token`, a 0600 file. Created on first use, never logged.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createOnce, readTextIfExists } from '../fs.js';
import { stateLayout } from './layout.js';

const TOKEN_RE = /^[A-Za-z0-9_-]{16,256}$/;

/** The token file's path in a state directory: `<stateDir>/api-token`. */
export function tokenPath(stateDir: string): string {
  return stateLayout(stateDir).token;
}

/** A new token: 256 bits from the CSPRNG. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The token in the file at `path` (tightened to 0600 if it was not), undefined when there is none. Throws for an invalid one. */
async function readExisting(path: string): Promise<string | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  const token = text.trim();
  if (!TOKEN_RE.test(token)) {
    throw new Error(`${path}: not a valid API token (expected 16–256 base64url characters); delete the file and a new token is made on the next start`);
  }
  // Tighten a token file someone made readable by others: it grants control of every app.
  const mode = (await stat(path)).mode & 0o777;
  if (mode !== 0o600) await chmod(path, 0o600);
  return token;
}

/**
 * Returns the state directory's token, creating it when there is none (mode 0600, once: {@link createOnce}, so
 * that two processes starting at once agree on one token; the state directory is made 0700).
 * Throws when the directory cannot be written or the file holds no valid token.
 */
export async function loadOrCreateToken(stateDir: string): Promise<string> {
  const path = tokenPath(stateDir);
  const existing = await readExisting(path);
  if (existing) return existing;

  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const token = generateToken();
  if ((await createOnce(path, `${token}\n`, { mode: 0o600 })).created) return token;
  // Another process made one first: use that one.
  const theirs = await readExisting(path);
  if (!theirs) throw new Error(`${path}: the API token another process created is gone again; start again`);
  return theirs;
}
