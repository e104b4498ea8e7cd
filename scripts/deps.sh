#!/bin/sh
# deps.sh: installs, from Debian 12's own archive, everything s2sauth needs to
# build, test, benchmark and demo.  Runs apt-get only when something is missing,
# so a second run costs nothing.  Needs root (or sudo) only when it installs.
set -eu

PACKAGES="
build-essential cmake pkg-config clang-14 libclang-rt-14-dev
libssl-dev libsodium-dev libjansson-dev libcmocka-dev
libmacaroons-dev python3-pymacaroons libjwt-dev
nginx nginx-dev libnginx-mod-http-echo
redis-server redis-tools libhiredis-dev python3-redis nutcracker
postgresql-15 postgresql-server-dev-15 libkrb5-dev python3-psycopg2
libpam0g-dev pamtester
curl wrk openssl procps iproute2 binutils
debhelper dpkg-dev lintian fakeroot
"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Debian's server packages start their daemons on install where an init system
# runs; s2sauth's tests start their own on loopback ports, so keep them off.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
