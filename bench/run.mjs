// npm run bench: runs every benchmark in bench/ (each *.mjs but this file), one after another,
// each in its own process so that one's warm caches and heap do not colour the next.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const benches = readdirSync(dir).filter((f) => f.endsWith('.mjs') && f !== 'run.mjs').sort();
let failed = 0;
for (const bench of benches) {
  console.log(`\n== bench/${bench}`);
  const r = spawnSync(process.execPath, [`${dir}${bench}`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${bench} failed (exit ${r.status ?? r.signal})`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
