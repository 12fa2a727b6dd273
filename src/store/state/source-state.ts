/**
 * The applied revision of a git source, kept in `<state-dir>/source.json` (pretty JSON, written atomically by a pass
 * with `--git`); `status` and `apply --json` show it.
 */
import { readTextIfExists } from '../fs.js';
import { stateLayout } from './layout.js';
import { writeStateFile } from './state-file.js';

/** The content of `source.json`. */
export interface SourceState {
  url?: string;
  ref?: string;
  /** The applied (last good) commit. */
  commit?: string;
  /** ISO-8601 time the last pass over it finished. */
  appliedAt?: string;
  /** The newest commit that failed validation, and why. */
  rejected?: { commit: string; error: string; at: string };
  /** The last fetch error, if the last fetch failed. */
  fetchError?: string;
}

/** The recorded source state ({} before the first git pass). Throws the fs error of a failed read, a SyntaxError for a file that is not JSON. */
export async function readSourceState(stateDir: string): Promise<SourceState> {
  const text = await readTextIfExists(stateLayout(stateDir).source);
  return text === undefined ? {} : (JSON.parse(text) as SourceState);
}

/** Records `s`; durable when it resolves. Throws the fs error of a failed write. */
export async function writeSourceState(stateDir: string, s: SourceState): Promise<void> {
  await writeStateFile(stateLayout(stateDir).source, `${JSON.stringify(s, null, 2)}\n`);
}
