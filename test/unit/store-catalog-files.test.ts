import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ICON_BYTES, readCatalogIcon } from '../../src/store/node/catalog-files.js';

let root: string;
let catalog: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'archy-quadlet-icons-'));
  catalog = join(root, 'manifests');
  mkdirSync(join(catalog, 'icons'), { recursive: true });
  writeFileSync(join(catalog, 'icons/app.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(catalog, 'icons/app.PNG.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(root, 'outside.svg'), '<svg/>');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('readCatalogIcon: an icon of the manifests directory, and nothing outside it', () => {
  it('reads an icon with the content type of its extension', async () => {
    expect(await readCatalogIcon(catalog, 'icons/app.svg')).toEqual({ type: 'image/svg+xml', body: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
    expect((await readCatalogIcon(catalog, 'icons/app.PNG.png'))?.type).toBe('image/png');
  });

  it('is undefined for a missing file, a directory, another form of path, or a file over 1 MiB', async () => {
    expect(await readCatalogIcon(catalog, 'icons/none.svg')).toBeUndefined();
    mkdirSync(join(catalog, 'dir.svg'));
    expect(await readCatalogIcon(catalog, 'dir.svg')).toBeUndefined();
    for (const bad of ['../outside.svg', '/etc/hostname.svg', 'icons/../../outside.svg', 'icons/app.txt', '.x.svg']) expect(await readCatalogIcon(catalog, bad), bad).toBeUndefined();
    writeFileSync(join(catalog, 'big.png'), Buffer.alloc(MAX_ICON_BYTES + 1));
    expect(await readCatalogIcon(catalog, 'big.png')).toBeUndefined();
  });

  it('does not follow a symbolic link out of the directory; one inside it is read', async () => {
    symlinkSync(join(root, 'outside.svg'), join(catalog, 'icons/escape.svg'));
    expect(await readCatalogIcon(catalog, 'icons/escape.svg')).toBeUndefined();
    symlinkSync(join(catalog, 'icons/app.svg'), join(catalog, 'icons/alias.svg'));
    expect((await readCatalogIcon(catalog, 'icons/alias.svg'))?.type).toBe('image/svg+xml');
  });
});
