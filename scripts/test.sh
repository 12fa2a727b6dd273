#!/bin/sh
# npm test: installs the Debian packages the suites need (when missing),
# builds, then runs every vitest project (unit, e2e on a booted systemd +
# podman host, browser). Extra arguments go to vitest, e.g.
#   npm test -- --project unit
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
npm run build
exec npx vitest run "$@"
