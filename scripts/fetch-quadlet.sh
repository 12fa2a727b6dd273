#!/bin/sh
# Obtains podman 5.4.2's Quadlet generator (Debian 13 "trixie" podman package)
# without installing anything system-wide, and prints the path of the binary.
#
# The package is fetched with apt-get through a temporary sources list whose
# mirror URI is read from this machine's own apt configuration, then unpacked
# with `dpkg -x` into .cache/quadlet/. A second run only prints the cached path.
#
# Usage: sh scripts/fetch-quadlet.sh      (prints e.g. /…/.cache/quadlet/root/usr/libexec/podman/quadlet)
# Env:   ARCHY_QUADLET_CACHE  cache directory (default: <repo>/.cache/quadlet)
set -eu

repo=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cache=${ARCHY_QUADLET_CACHE:-"$repo/.cache/quadlet"}
bin="$cache/root/usr/libexec/podman/quadlet"
suite=trixie

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

# The machine's own Debian mirror: the first URIs: line of a deb822 file, or the
# first `deb` line of sources.list; security archives are skipped.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { if ($i !~ /security/) { print $i; exit } else next } }' /etc/apt/sources.list)
fi
if [ -z "$mirror" ]; then
  echo "fetch-quadlet: no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; configure apt first" >&2
  exit 3
fi

for tool in apt-get dpkg; do
  command -v "$tool" >/dev/null 2>&1 || { echo "fetch-quadlet: $tool is required (a Debian-based machine)" >&2; exit 3; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/parts" "$work/prefs"
echo "deb $mirror $suite main" > "$work/sources.list"
chmod 755 "$work"

# Keep apt's own state untouched: every list, cache and preference lives in $work.
apt_opts="-o Dir::Etc::SourceList=$work/sources.list -o Dir::Etc::SourceParts=$work/parts \
  -o Dir::Etc::Preferences=$work/prefs/none -o Dir::Etc::PreferencesParts=$work/prefs \
  -o Dir::State::Lists=$work/lists -o Dir::Cache=$work -o Dir::Cache::archives=$work/archives \
  -o Dir::State::status=/dev/null -o APT::Get::List-Cleanup=false -o Debug::NoLocking=true -o APT::Sandbox::User=root"

echo "fetch-quadlet: downloading podman from $suite" >&2
# shellcheck disable=SC2086
apt-get $apt_opts -q update >&2
# shellcheck disable=SC2086
(cd "$work" && apt-get $apt_opts -q download podman >&2)

deb=$(ls "$work"/podman_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
  echo "fetch-quadlet: apt-get download podman produced no package" >&2
  exit 3
fi
rm -rf "$cache/root"
mkdir -p "$cache/root"
dpkg -x "$deb" "$cache/root"
basename "$deb" > "$cache/package"
if [ ! -x "$bin" ]; then
  echo "fetch-quadlet: $deb holds no usr/libexec/podman/quadlet" >&2
  exit 3
fi
echo "$bin"
