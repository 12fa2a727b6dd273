#!/bin/sh
# npm start: the main job. Renders the committed manifests into units/, then
# validates the result with podman 5.4.2's own Quadlet generator (fetched and
# cached on first use) in dry-run mode, and prints the services it generated.
# Exits non-zero on any manifest problem or any generator error or warning.
set -eu
cd "$(dirname "$0")/.."

# A fresh clone has no node_modules: install exactly what the lockfile pins
# (npm ci builds dist/ through the prepare script).
if [ ! -d node_modules ]; then
  npm ci
else
  npm run build
fi

node bin/archy-quadlet render --out units

quadlet=$(sh scripts/fetch-quadlet.sh)
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT INT TERM

status=0
QUADLET_UNIT_DIRS="$(pwd)/units" "$quadlet" -dryrun >"$out" 2>"$err" || status=$?
# The generator notes every file it loads; anything else on stderr is an error or a warning.
complaints=$(grep -v 'Loading source unit file' "$err" || true)

echo "Quadlet generator ($("$quadlet" -version)) over units/:"
sed -n 's/^---\(.*\.service\)---$/  generated \1/p' "$out"
if [ "$status" -ne 0 ] || [ -n "$complaints" ]; then
  echo "$complaints" >&2
  echo "start: the generator rejected units/ (exit $status)" >&2
  exit 1
fi
echo "start: units/ is valid for podman $("$quadlet" -version)"
