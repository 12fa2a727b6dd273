import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readOnionAddresses } from '../../src/store/node/onion-addresses.js';

const ADDRESS = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion';
const root = await mkdtemp(path.join(tmpdir(), 'archy-onion-'));
afterAll(() => rm(root, { recursive: true, force: true }));

describe('readOnionAddresses', () => {
  it('reads each hostname file under the root, trimmed; a missing file or one that holds no v3 address gives none', async () => {
    const hs = '/var/lib/archipelago/tor/data/hs';
    for (const [app, text] of [['web', `${ADDRESS}\n`], ['bad', 'not an address\n']]) {
      await mkdir(path.join(root, hs, app!), { recursive: true });
      await writeFile(path.join(root, hs, app!, 'hostname'), text!);
    }
    const hostnames = { web: `${hs}/web/hostname`, bad: `${hs}/bad/hostname`, later: `${hs}/later/hostname` };
    expect(await readOnionAddresses(hostnames, root)).toEqual({ web: ADDRESS });
    expect(await readOnionAddresses({}, root)).toEqual({});
  });
});
