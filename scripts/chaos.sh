#!/bin/sh
# npm run test:chaos: the hostile-input, crash-consistency, load, API-security
# and fault-matrix tests alone (vitest project `chaos`, on its own test host
# instance NAME-chaos), then the figures they recorded, as Markdown tables
# (docs/reliability.md holds the latest). Extra arguments go to vitest, e.g.
#   npm run test:chaos -- test/chaos/matrix.test.ts
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
npm run build
rm -rf test-artifacts/chaos
status=0
npx vitest run --project chaos "$@" || status=$?
node --input-type=module -e '
import { readdirSync, readFileSync } from "node:fs";
const dir = "test-artifacts/chaos";
let names = [];
try { names = readdirSync(dir).filter((n) => n.endsWith(".json")).sort(); } catch {}
if (names.length === 0) console.log("no figures recorded");
for (const n of names) {
  const { name, at, ...figures } = JSON.parse(readFileSync(`${dir}/${n}`, "utf8"));
  console.log(`\n### ${name} (${at})\n\n| figure | value |\n| --- | --- |`);
  for (const [k, v] of Object.entries(figures)) console.log(`| ${k} | ${v} |`);
}
'
exit "$status"
