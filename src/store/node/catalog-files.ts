/**
 * Files of the manifests directory besides the manifests, which the API serves: an app's icon (`icon:` in its
 * manifest, a path relative to that directory). The path comes from a validated manifest, and is checked again here
 * because it names a file to read: it must stay inside the directory, also through symbolic links.
 */
import { open, realpath } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { isMissing } from '../fs.js';

/** The largest icon served, bytes. */
export const MAX_ICON_BYTES = 1 << 20;

/** Content types by extension: the only kinds of icon a manifest may name (`schema/manifest.schema.json` /icon). */
export const ICON_TYPES: Readonly<Record<string, string>> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

/** The schema's form of an icon path: relative, segments not starting with a dot, a known extension. */
const ICON_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*\.(svg|png|webp|jpg|jpeg)$/;

/** An icon file: its bytes and content type. */
export interface CatalogFile {
  type: string;
  body: Buffer;
}

/**
 * Reads icon `rel` of the manifests directory `dir`. Undefined when it does not exist, is no regular file, is bigger
 * than {@link MAX_ICON_BYTES}, has a path of another form, or resolves (through a symbolic link) outside `dir`.
 * @throws the fs error for anything but a missing file (EACCES …).
 */
export async function readCatalogIcon(dir: string, rel: string): Promise<CatalogFile | undefined> {
  const type = ICON_TYPES[extname(rel).toLowerCase()];
  if (!ICON_PATH.test(rel) || !type) return undefined;
  let root: string;
  let file: string;
  try {
    root = await realpath(dir);
    file = await realpath(join(root, rel));
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  const inside = relative(root, file);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || inside.startsWith(sep)) return undefined;
  const handle = await open(file, 'r');
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_ICON_BYTES) return undefined;
    return { type, body: await handle.readFile() };
  } finally {
    await handle.close();
  }
}
