/**
 * Node-local install intents (`archy-quadlet install|remove APP`), over the
 * manifest's own `state`: `<state-dir>/installs/<id>.json` as
 * `{"id":"lnd","intent":"absent","at":"…"}`. One file per app, each written
 * atomically, so a crash leaves the old or the new intent.
 */
import { InvalidInputError } from '../../errors.js';
import type { InstallIntent } from '../../reconcile/desired.js';
import { appFile, stateLayout } from './layout.js';
import type { FileTexts } from '../file-texts.js';
import { readAppFiles, writeStateFile } from './state-file.js';

const HINT = 'delete the file to clear the intent';

/**
 * Every recorded install intent by app id (none when the directory is missing); `texts`: a reconcile loop's kept
 * texts. Throws InvalidInputError for a corrupt file.
 */
export async function readInstallIntents(stateDir: string, texts?: FileTexts): Promise<Map<string, InstallIntent>> {
  const out = new Map<string, InstallIntent>();
  for (const { id, path, value } of await readAppFiles(stateLayout(stateDir).installs, HINT, undefined, texts)) {
    const intent = (value as { intent?: unknown } | null)?.intent;
    if (intent !== 'present' && intent !== 'absent') {
      throw new InvalidInputError([{ file: path, pointer: '/intent', message: 'must be "present" or "absent"', hint: HINT }]);
    }
    out.set(id, intent);
  }
  return out;
}

/** Records `intent` for `id`; durable when it resolves. Throws InvalidInputError for an invalid id, the fs error of a failed write. */
export async function writeInstallIntent(stateDir: string, id: string, intent: InstallIntent, at: Date = new Date()): Promise<void> {
  await writeStateFile(appFile(stateLayout(stateDir).installs, id), `${JSON.stringify({ id, intent, at: at.toISOString() })}\n`);
}
