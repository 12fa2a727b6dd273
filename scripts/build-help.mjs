// Stores every help the command line prints, as commander prints it, in DIST/cli/help.json (src/cli/help-texts.ts),
// so `archy-quadlet --help` and each command's help print without loading commander or the commands
// (src/cli/prebuilt-help.ts). Run by `npm run build` and scripts/package.sh after the TypeScript is compiled.
//   node scripts/build-help.mjs DIST     (default: dist)
import { renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.argv[2] ?? 'dist');
const { helpTexts } = await import(pathToFileURL(join(dist, 'cli/help-texts.js')).href);
const file = join(dist, 'cli/help.json');
// Written whole or not at all: a half-written file would only fail to parse (then commander prints the help), but
// a build must not leave one behind.
writeFileSync(`${file}.tmp`, `${JSON.stringify(await helpTexts())}\n`);
renameSync(`${file}.tmp`, file);
