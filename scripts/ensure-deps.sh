#!/bin/sh
# Installs the Debian packages the test suite needs, only if one is missing.
# Idempotent: a machine that already has them is left untouched (no apt-get
# update, no network). Must run as root to install; otherwise it fails with
# the list of what is missing.
#   debootstrap        builds the Debian 13 root filesystem of the test host
#                      (and the image of real daemons, test/host/apps-image.ts)
#   systemd-container  systemd-nspawn boots that host
#   chromium           the browser tests drive it through playwright-core
#   git                the tests and scripts read the working tree
#   dpkg-dev           npm run package: dpkg-parsechangelog (dpkg-deb is dpkg's own)
#   lintian            Debian's package checker, run on the package by its e2e test
set -eu

PACKAGES="debootstrap systemd-container chromium git dpkg-dev lintian"

missing=""
for pkg in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *" installed") ;;
    *) missing="$missing $pkg" ;;
  esac
done

if [ -z "$missing" ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-deps: missing Debian packages:$missing" >&2
  echo "ensure-deps: installing them needs root; run as root, or: apt-get install -y$missing" >&2
  exit 1
fi

echo "ensure-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing
