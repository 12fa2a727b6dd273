/** The package's version (`package.json`'s `version`, e.g. `0.1.0`), read once when first imported. */
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
