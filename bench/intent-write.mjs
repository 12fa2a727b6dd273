// The durable write a click makes before its systemd call (issue 15): the intent record as it is written now
// (writeIntent: the older of two copies overwritten in place, one fdatasync) against the form it replaced (the whole
// record as a new file: temp file fsynced, renamed, the directory fsynced: writeFileAtomic), interleaved one for one
// on the same disk and directory, so both see the same load. No test host: a disk benchmark.
// Usage: node bench/intent-write.mjs   (after `npm run build`; `npm run bench` runs it with the others)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figure, loadLine, percentile, printFigures } from './support/figures.mjs';

const { writeIntent } = await import('../dist/store/state/intents.js');
const { writeFileAtomic } = await import('../dist/store/atomic-write.js');

const ROUNDS = 200;
const work = mkdtempSync(join(tmpdir(), 'archy-bench-intent-'));
const inPlace = [];
const replaced = [];
try {
  // The first record of an app is a new file; every later one is written in place.
  await writeIntent(work, 'lnd', 'running');
  for (let i = 0; i < ROUNDS; i++) {
    const intent = i % 2 === 0 ? 'stopped' : 'running';
    let t0 = performance.now();
    await writeIntent(work, 'lnd', intent);
    inPlace.push(performance.now() - t0);
    t0 = performance.now();
    await writeFileAtomic(join(work, 'intents', 'old-form.json'), `${JSON.stringify({ id: 'old-form', intent, at: new Date().toISOString() })}\n`);
    replaced.push(performance.now() - t0);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

for (const p of [50, 99]) {
  figure({ figure: `intent record p${p} (one fdatasync in place)`, value: percentile(inPlace, p), unit: 'ms', ref: `a new file, renamed (writeFileAtomic) p${p}`, refValue: percentile(replaced, p), by: 'report' });
}
console.log(`${ROUNDS} writes of each, interleaved; ${loadLine()}`);
printFigures();
