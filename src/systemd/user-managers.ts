/**
 * The users' own systemd managers on this machine, seen by root: which run, and one service unit's settings in each.
 * A user's bus admits only that user (root included: "Transport endpoint is not connected", docs/testhost.md), so the
 * read goes through systemd's own transport into it, `busctl --user -M UID@` (the one `systemctl --user -M` uses),
 * which prints the D-Bus values as JSON.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { ServiceSettings } from './unit-settings.js';
import { unitPath } from './unit-path.js';

/** How long one read may take (ms); a user whose manager does not answer by then is left out. */
const TIMEOUT_MS = 2000;

/** The uids whose managers run: `/run/user/UID/bus` exists (logind's runtime directory of a logged-in or lingering user). */
export async function runningUserManagers(runtimeRoot = '/run/user'): Promise<number[]> {
  const names = await readdir(runtimeRoot).catch(() => [] as string[]);
  return names.filter((n) => /^[0-9]+$/.test(n) && existsSync(`${runtimeRoot}/${n}/bus`)).map(Number).sort((a, b) => a - b);
}

/** `busctl ARGS` → its stdout; rejects when it fails or takes longer than TIMEOUT_MS. */
function busctl(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('busctl', [...args], { timeout: TIMEOUT_MS }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

/**
 * `unit`'s settings in user `uid`'s manager (LoadState, ActiveState, UnitFileState, Service.Environment), or
 * undefined when it cannot be read (no such manager, busctl missing, no answer in time). Needs root.
 */
export async function readUserServiceSettings(uid: number, unit: string): Promise<ServiceSettings | undefined> {
  const base = ['--user', `--machine=${uid}@.host`, '--json=short', 'get-property', 'org.freedesktop.systemd1', unitPath(unit)];
  try {
    const [unitProps, service] = await Promise.all([busctl([...base, 'org.freedesktop.systemd1.Unit', 'LoadState', 'ActiveState', 'UnitFileState']), busctl([...base, 'org.freedesktop.systemd1.Service', 'Environment'])]);
    // One JSON value a line, in the order asked: {"type":"s","data":"loaded"}.
    const [loadState, activeState, unitFileState] = unitProps.trim().split('\n').map((l) => String((JSON.parse(l) as { data: unknown }).data));
    const environment = (JSON.parse(service.trim()) as { data: unknown[] }).data.map(String);
    if (loadState === undefined || activeState === undefined || unitFileState === undefined) return undefined;
    return { loadState, activeState, unitFileState, environment: loadState === 'loaded' ? environment : [] };
  } catch {
    return undefined;
  }
}
