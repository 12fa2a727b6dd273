/**
 * What each manifest's own `state` field said when the node last saw it change:
 * `<state-dir>/declared/<id>.json` as `{"id":"lnd","state":"stopped","since":"…"}`.
 * Between a user's start/stop and a manifest's `state`, the later one wins
 * (docs/reconcile.md, "Desired state per app"); this is the manifest's side of
 * that clock. Each file is written atomically.
 */
import { InvalidInputError } from '../../errors.js';
import type { DesiredState } from '../../manifest/types.js';
import type { DeclaredState } from '../../reconcile/desired.js';
import { appFile, stateLayout } from './layout.js';
import type { FileTexts } from '../file-texts.js';
import { readAppFiles, writeStateFile } from './state-file.js';

const HINT = 'delete the file; the next pass records the manifest\'s state again (a user\'s intent then wins over it)';
const STATES: readonly DesiredState[] = ['running', 'stopped', 'absent'];

/**
 * Every remembered declared state by app id (none when the directory is missing); `texts`: a reconcile loop's kept
 * texts. Throws InvalidInputError for a corrupt file.
 */
export async function readDeclaredStates(stateDir: string, texts?: FileTexts): Promise<Map<string, DeclaredState>> {
  const out = new Map<string, DeclaredState>();
  for (const { id, path, value } of await readAppFiles(stateLayout(stateDir).declared, HINT, undefined, texts)) {
    const v = value as { state?: unknown; since?: unknown } | null;
    if (!v || !STATES.includes(v.state as DesiredState)) throw new InvalidInputError([{ file: path, pointer: '/state', message: 'must be "running", "stopped" or "absent"', hint: HINT }]);
    out.set(id, { state: v.state as DesiredState, ...(typeof v.since === 'string' ? { since: v.since } : {}) });
  }
  return out;
}

/** Remembers the declared states of `changes`; durable when it resolves. Throws InvalidInputError for an invalid id, and on IO errors. */
export async function writeDeclaredStates(stateDir: string, changes: ReadonlyMap<string, DeclaredState>): Promise<void> {
  const dir = stateLayout(stateDir).declared;
  for (const [id, d] of changes) await writeStateFile(appFile(dir, id), `${JSON.stringify({ id, ...d })}\n`);
}
