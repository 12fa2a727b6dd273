/**
 * Where things are on a node, and how a long-running command learns it should
 * end. Shared by every command; no other module decides these.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Quadlet unit directory of the system manager, or (with `user`) of this user's manager. */
export function defaultUnitDir(user: boolean | undefined): string {
  return user ? join(homedir(), '.config/containers/systemd') : '/etc/containers/systemd';
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM, and stops listening. */
export function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
