/**
 * The onion addresses tor wrote on the host: each app's `hostname` file in its hidden service directory (paths from
 * `onionHostnames`, src/manifest/onion.ts), read like config files (`root` places the host's `/` elsewhere).
 */
import { ONION_ADDRESS } from '../../manifest/onion.js';
import { readTextIfExists } from '../fs.js';
import { onHost } from './config-files.js';

/**
 * The address in each app's `hostname` file, by app id; an app is left out while its file is missing, not a v3
 * address, or unreadable by this process (EACCES: a rootless node, whose tor writes its directories 0700 as another
 * user). Throws other fs errors.
 */
export async function readOnionAddresses(hostnames: Readonly<Record<string, string>>, root = '/'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await Promise.all(
    Object.entries(hostnames).map(async ([app, path]) => {
      const text = await readTextIfExists(onHost(path, root)).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EACCES') return undefined;
        throw err;
      });
      const address = text?.trim();
      if (address !== undefined && ONION_ADDRESS.test(address)) out[app] = address;
    }),
  );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
