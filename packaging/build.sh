#!/bin/bash
# packaging/build.sh: builds the s2sauth Debian binary packages and lints them.
#
# The repository keeps its Debian packaging in packaging/debian rather than in
# debian/ at the root, so that nothing Debian-specific sits in the way of an
# ordinary CMake build.  This script copies the tree (the files git knows,
# committed or not, without build directories) to a temporary directory, puts
# packaging/debian there as debian/, runs `dpkg-buildpackage -us -uc -b` and
# then lintian on the result.  The repository itself is never modified.
#
# usage: packaging/build.sh [OUTDIR]
#   OUTDIR  where the .deb, .ddeb, .buildinfo and .changes files go
#           (default: out/packages in the repository; /out/ is git-ignored).
# Environment:
#   DEB_BUILD_OPTIONS  passed on; "parallel=2" is added when no parallel= is
#                      given.  "nocheck" skips building and running the unit
#                      tests (the ordinary CMake build runs them anyway).
#   S2S_KEEP_WORK=1    keep the temporary tree (its path is printed).
# Prints the paths of the .deb files, one a line, after "packages:".
# Exits non-zero if the build fails or lintian reports an error.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/out/packages}

if [ -e "$root/debian" ]; then
    echo "build.sh: $root/debian exists; the packaging lives in packaging/debian" \
         "and debian/ at the root is never used: remove it first" >&2
    exit 2
fi
for tool in dpkg-buildpackage lintian git; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool not found" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/s2sauth-deb.XXXXXX")
cleanup() {
    if [ "${S2S_KEEP_WORK:-0}" = 1 ]; then
        echo "build.sh: work tree kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# The files git tracks plus untracked files that are not ignored: what a
# fresh clone with the working copy's edits would contain.
src=$work/s2sauth
mkdir -p "$src"
git -C "$root" ls-files -z --cached --others --exclude-standard \
    | (cd "$root" && tar --null --no-recursion -T - -cf -) \
    | tar -C "$src" -xf -
rm -rf "$src/debian"
cp -a "$root/packaging/debian" "$src/debian"
# Build products of an earlier in-place debhelper run must not leak in.
rm -rf "$src/debian/.debhelper" "$src/debian/build" "$src/debian/tmp" "$src/debian/files"

opts=${DEB_BUILD_OPTIONS:-}
case " $opts " in
    *" parallel="*) ;;
    *) opts="${opts:+$opts }parallel=2" ;;
esac
export DEB_BUILD_OPTIONS=$opts

echo "build.sh: building in $src (DEB_BUILD_OPTIONS='$DEB_BUILD_OPTIONS')" >&2
start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
    tail -n 60 "$work/build.log" >&2
    echo "build.sh: dpkg-buildpackage failed (full log: $work/build.log)" >&2
    S2S_KEEP_WORK=1
    exit 1
fi
echo "build.sh: dpkg-buildpackage took $(( $(date +%s) - start )) s" >&2

mkdir -p "$out"
shopt -s nullglob
# Earlier results of this script only: OUTDIR may hold other files.
rm -f "$out"/s2sauth_*.buildinfo "$out"/s2sauth_*.changes "$out"/*s2sauth*.deb "$out"/*s2sauth*.ddeb
cp "$work"/*.deb "$work"/*.ddeb "$work"/*.buildinfo "$work"/*.changes "$out"/
cp "$work/build.log" "$out/build.log"
changes=("$out"/*.changes)

# Lintian over the .changes checks every binary package of the build.
# --fail-on error: warnings are reported (and listed in docs/packaging.md)
# but only errors fail the build.
echo "build.sh: lintian" >&2
lintian_rc=0
lintian --fail-on error --display-info\
    "${changes[0]}" | tee "$out/lintian.log" >&2 || lintian_rc=$?
if grep -q '^E: ' "$out/lintian.log" || [ "$lintian_rc" -ne 0 ]; then
    echo "build.sh: lintian reported errors" >&2
    exit 1
fi
echo "build.sh: lintian: $(grep -c '^E: ' "$out/lintian.log" || true) errors," \
     "$(grep -c '^W: ' "$out/lintian.log" || true) warnings" >&2

echo "packages:"
for deb in "$out"/*.deb; do
    echo "$deb"
done
