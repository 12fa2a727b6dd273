#!/bin/sh
# npm run host: boots a test host by hand (see docs/testhost.md) and keeps it
# up until Ctrl-C. The harness is TypeScript under test/host/; it is compiled
# into the cache first, since Node runs JavaScript only.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
npx tsc -p test/host/tsconfig.json
exec node .cache/testhost/js/cli.js
