#!/bin/sh
# npm test: installs the Debian packages the suites need (when missing),
# builds (the web UI's JSDoc types checked too), type-checks the tests and
# benchmarks, then runs every vitest project (unit, e2e on a booted systemd +
# podman host, browser). Extra arguments go to vitest, e.g.
#   npm test -- --project unit
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
npm run build
npx tsc -p tsconfig.json --noEmit
exec npx vitest run "$@"
