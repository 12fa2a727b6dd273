/**
 * Derived config files on the host (under each app's data directory): read
 * for the planner, written atomically (parents created), removed with their app.
 */
import { readFile, rm } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { writeStateFile } from './state-file.js';

/** The content at each path, undefined where there is no file. Throws on IO errors other than ENOENT. */
export async function readConfigFiles(paths: Iterable<string>): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  await Promise.all(
    [...new Set(paths)].map(async (p) => {
      try {
        out[p] = await readFile(p, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        out[p] = undefined;
      }
    }),
  );
  return out;
}

/** Writes a config file atomically (temp + fsync + rename), creating its directory. Throws for a relative path. */
export async function writeConfigFile(path: string, content: string, mode = 0o644): Promise<void> {
  if (!isAbsolute(path)) throw new Error(`config path must be absolute: ${JSON.stringify(path)}`);
  await writeStateFile(path, content, mode);
}

export async function removeConfigFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
