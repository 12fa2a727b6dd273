/**
 * The API's bearer token: 32 bytes from the CSPRNG, base64url, kept in the
 * state directory as a 0600 file. Created on first use, never logged.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const TOKEN_FILE = 'api-token';
const TOKEN_RE = /^[A-Za-z0-9_-]{16,256}$/;

/** The token file's path in a state directory. */
export function tokenPath(stateDir: string): string {
  return join(stateDir, TOKEN_FILE);
}

/** A new token: 256 bits from the CSPRNG. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

async function readExisting(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
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
 * Returns the state directory's token, creating it (mode 0600, written to a
 * temp file, fsynced, then hard-linked into place so that two processes starting
 * at once agree on one token) when there is none.
 * Throws when the directory cannot be written or the file holds no valid token.
 */
export async function loadOrCreateToken(stateDir: string): Promise<string> {
  const path = tokenPath(stateDir);
  const existing = await readExisting(path);
  if (existing) return existing;

  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const token = generateToken();
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(temp, 'wx', 0o600);
  try {
    await fh.writeFile(`${token}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(temp, path);
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another process made one first: use that one.
    const theirs = await readExisting(path);
    if (!theirs) throw err;
    return theirs;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}
