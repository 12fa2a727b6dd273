/**
 * What the compiler hands to everything downstream (CLI writer, reconciler, status):
 * the exact text of each unit file, and who owns it.
 */

/** The first line of every file archy-quadlet writes; a file without it is never touched. */
export const OWNERSHIP_MARKER = '# Managed by archy-quadlet';

/** Whether a file's text carries our ownership header. */
export function isOwned(content: string): boolean {
  return content.startsWith(OWNERSHIP_MARKER);
}

export interface RenderedFile {
  /** File name inside the unit directory, e.g. `lnd.container`, `archy.network`. */
  name: string;
  /** The app that owns this file (its id), or undefined for a file shared by several apps (e.g. the app network). */
  app?: string;
  /** Manifest files this file was rendered from, relative to the manifests directory's parent, e.g. `manifests/lnd.yaml`. */
  sources: string[];
  /** The full text, starting with the ownership header. */
  content: string;
}
