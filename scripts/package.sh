#!/bin/sh
# npm run package: builds the Debian package archy-quadlet_VERSION_all.deb with
# dpkg-deb, from this checkout and its installed node_modules (no network).
# What goes where on the node: docs/packaging.md; the packaging files and
# lintian's remaining warnings: packaging/README.md.
#
#   npm run package [-- --out DIR] [-- --version VERSION]
#
#   --out DIR          where the .deb goes (default dist/package)
#   --version VERSION  the Debian version to build (default: the top entry of
#                      packaging/changelog); another version gets a changelog
#                      entry of its own ("rebuild of the same sources")
#
# It packages the working tree as it is: src/ is compiled afresh into the
# package (dist/ is not used: it may hold the output of deleted sources).
#
# Prints the path of the .deb on stdout. Needs dpkg-deb and dpkg-parsechangelog
# (dpkg-dev), which scripts/ensure-deps.sh installs.
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)

out=dist/package
version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) echo "package: unknown argument $1; use --out DIR or --version VERSION" >&2; exit 2 ;;
  esac
done

for tool in dpkg-deb dpkg-parsechangelog node npm gzip; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing; run sh scripts/ensure-deps.sh as root (dpkg-dev)" >&2; exit 1; }
done
[ -d node_modules ] || { echo "package: no node_modules; run npm ci first" >&2; exit 1; }

changelog_version=$(dpkg-parsechangelog -l packaging/changelog -S Version)
upstream=$(node -p 'require("./package.json").version')
case "$changelog_version" in
  "$upstream"-*) ;;
  *) echo "package: packaging/changelog's top entry is $changelog_version but package.json says $upstream; add a changelog entry $upstream-1" >&2; exit 1 ;;
esac
[ -n "$version" ] || version=$changelog_version
case "$version" in
  "$upstream"-*) ;;
  *) echo "package: --version $version must start with package.json's version: $upstream-REVISION" >&2; exit 2 ;;
esac
if dpkg --compare-versions "$version" lt "$changelog_version"; then
  echo "package: --version $version is older than packaging/changelog's $changelog_version" >&2
  exit 2
fi

mkdir -p .cache/package "$out"
stage=$(mktemp -d "$repo/.cache/package/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
root=$stage/root
app=$root/usr/share/archy-quadlet
doc=$root/usr/share/doc/archy-quadlet
mkdir -p "$app/bin" "$app/src/web" "$app/packaging" "$root/usr/bin" "$doc" \
  "$root/usr/lib/systemd/system" "$root/usr/lib/systemd/user" "$root/etc/archy-quadlet/manifests" \
  "$root/usr/share/man/man1" "$root/usr/share/bash-completion/completions" "$root/DEBIAN"

# The program: package.json (its version, "type": "module"), src/ compiled by
# tsconfig.build.json (no source maps: the TypeScript is not shipped; the web
# UI's JSDoc types checked as npm run build does), the launcher, the templates,
# the manifest schema and the web UI's files.
cp package.json package-lock.json "$app/"
npx tsc -p tsconfig.build.json --outDir "$app/dist" --sourceMap false
npx tsc -p src/web/tsconfig.json
sed '1s|^#!.*|#!/usr/bin/node|' bin/archy-quadlet >"$app/bin/archy-quadlet"
cp -R templates schema "$app/"
cp -R src/web/public "$app/src/web/"
cp packaging/await-health.mjs "$app/packaging/"
ln -s ../share/archy-quadlet/bin/archy-quadlet "$root/usr/bin/archy-quadlet"

# Production node modules only, from the ones installed here, as the lockfile
# says: no download. Optional ones are left out too (uglify-js for handlebars'
# precompiler, typescript as vue's optional peer): the program uses neither.
cp -R node_modules "$app/"
(cd "$app" && npm prune --omit=dev --omit=optional --offline --ignore-scripts --no-audit --no-fund --silent)
rm -rf "$app/node_modules/.bin" "$app/node_modules/.package-lock.json" "$app/package-lock.json"
# Every help commander prints, stored for the command line to print without it
# (src/cli/prebuilt-help.ts), from the staged program and its own modules.
node scripts/build-help.mjs "$app/dist"
# What a module's runtime never reads: its repository's dotfiles (.gitattributes,
# .eslintrc, .husky, …), tests, shell scripts, docs pages and READMEs (licence
# files stay), source maps and type declarations, and the scope directories the
# prune emptied.
find "$app/node_modules" -depth -mindepth 1 \( -name '.*' -o -name test -o -name tests -o -name __tests__ -o -name '*.sh' \
  -o -name '*.html' -o \( -name '*.md' ! -iname 'licen[cs]e*' \) -o -name '*.markdown' \
  -o -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -exec rm -rf {} +
find "$app/node_modules" -depth -type d -empty -delete

# Units, the shipped catalog (conffiles), docs, man page, completion.
cp packaging/archy-quadlet.service "$root/usr/lib/systemd/system/archy-quadlet.service"
cp packaging/archy-quadlet.user.service "$root/usr/lib/systemd/user/archy-quadlet.service"
cp manifests/*.yaml "$root/etc/archy-quadlet/manifests/"
cp -R manifests/icons "$root/etc/archy-quadlet/manifests/"
# The manifests' `# yaml-language-server: $schema=../schema/manifest.schema.json`
# line finds the shipped schema from the catalog's directory, as in a checkout.
# (Absolute: Debian policy 10.5, a link across top-level directories.)
ln -s /usr/share/archy-quadlet/schema "$root/etc/archy-quadlet/schema"

date=$(dpkg-parsechangelog -l packaging/changelog -S Date)
{
  if [ "$version" != "$changelog_version" ]; then
    printf 'archy-quadlet (%s) unstable; urgency=medium\n\n  * Rebuild of %s from the same sources.\n\n -- %s  %s\n\n' \
      "$version" "$changelog_version" "$(dpkg-parsechangelog -l packaging/changelog -S Maintainer)" "$date"
  fi
  cat packaging/changelog
} | gzip -9n >"$doc/changelog.Debian.gz"
node scripts/package-files.mjs copyright "$app" "$doc/copyright"
# Both from the staged program itself (which runs here as it will on the node).
node scripts/package-files.mjs man "$app" "$upstream" "$(date -u -d "$date" +%Y-%m-%d)" "$stage/archy-quadlet.1"
gzip -9n <"$stage/archy-quadlet.1" >"$root/usr/share/man/man1/archy-quadlet.1.gz"
node scripts/package-files.mjs completion "$app" "$root/usr/share/bash-completion/completions/archy-quadlet"

# Modes as Debian wants them, whatever the checkout's umask or the modules' own.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$app/bin/archy-quadlet"
# The modules' own command-line scripts (#! first line) keep their execute bit.
find "$app/node_modules" -type f -exec sh -c 'for f; do [ "$(head -c 2 "$f")" = "#!" ] && chmod 0755 "$f"; done; true' sh {} +

# DEBIAN/: control, conffiles (everything in /etc), maintainer scripts, md5sums.
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" packaging/control-files/control >"$root/DEBIAN/control"
(cd "$root" && find etc -type f | sort | sed 's|^|/|') >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  install -m 0755 "packaging/control-files/$script" "$root/DEBIAN/$script"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

deb="$out/archy-quadlet_${version}_all.deb"
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l packaging/changelog -S Timestamp) \
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
