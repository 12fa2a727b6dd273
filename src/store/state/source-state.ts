/**
 * The applied revision of a git source, kept in `<state-dir>/source.json` (pretty JSON, written atomically by a pass
 * with `--git`); `status` and `apply --json` show it.
 */
import { readTextIfExists } from '../fs.js';
import { redactUrl } from './git-source.js';
import { stateLayout } from './layout.js';
import { writeStateFile } from './state-file.js';

/** The content of `source.json`. */
export interface SourceState {
  /** The repository's URL, without credentials (`redactUrl`). */
  url?: string;
  ref?: string;
  /** The ring the ref names (`ring/<name>`, docs/fleet.md). */
  ring?: string;
  /** The node's name, which selects `nodes/<name>.yaml`. */
  node?: string;
  /** Whether only commits signed by an allowed key are applied (`--verify-commits`). */
  verifyCommits?: boolean;
  /** The applied (last good) commit. */
  commit?: string;
  /** ISO-8601 time the last pass over it finished. */
  appliedAt?: string;
  /**
   * The newest commit not applied, and why: it failed validation (`invalid`; not tried again until the ref moves),
   * its signature is not good (`signature`), it does not descend from the applied commit (`rollback`), or it has no
   * manifest while apps are installed (`empty`; tried again with `--allow-empty`).
   */
  rejected?: { commit: string; error: string; at: string; kind?: 'invalid' | 'signature' | 'rollback' | 'empty' };
  /** The last fetch error, if the last fetch failed. */
  fetchError?: string;
}

/**
 * The recorded source state ({} before the first git pass), its URL without credentials (a file an older version
 * wrote may hold them). Throws the fs error of a failed read, a SyntaxError for a file that is not JSON.
 */
export async function readSourceState(stateDir: string): Promise<SourceState> {
  const text = await readTextIfExists(stateLayout(stateDir).source);
  if (text === undefined) return {};
  const s = JSON.parse(text) as SourceState;
  return s.url ? { ...s, url: redactUrl(s.url) } : s;
}

/** Records `s`; durable when it resolves. Throws the fs error of a failed write. */
export async function writeSourceState(stateDir: string, s: SourceState): Promise<void> {
  await writeStateFile(stateLayout(stateDir).source, `${JSON.stringify(s, null, 2)}\n`);
}
