#!/bin/bash
# integration/packages/run.sh: the installed-system test of the Debian packages.
#
# Builds the packages (packaging/build.sh), installs them with
# `apt-get install -y ./*.deb` as a user would, checks what got installed the
# way its users will use it (the dynamic linker, pkg-config and a C program,
# CMake's find_package, the s2sauth command and its man page), then purges
# them and checks that nothing is left behind.  It is not a CTest test: a
# package build takes minutes.  It needs root (it installs packages) and
# changes the system only for the time it runs; on any failure the packages
# are purged all the same.
#
# usage: integration/packages/run.sh [DEBDIR]
#   DEBDIR  test the .deb files already there instead of building them.
# Environment:
#   DEB_BUILD_OPTIONS  passed to packaging/build.sh; defaults to "nocheck"
#                      here, because CI has run the unit tests in its ordinary
#                      build already.  Set it to "" to run them in the build.
#   S2S_KEEP_INSTALLED=1  leave the packages installed at the end.

set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/integration/packages
work=$(mktemp -d "${TMPDIR:-/tmp}/s2sauth-pkgtest.XXXXXX")
failures=0
checks=0
installed=()

pass() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $*"; }
# expect NAME CMD...: the command must succeed
expect() { local name=$1; shift; if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/     /' "$work/out"; fi; }
# expect_eq NAME WANT GOT
expect_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: want '$2', got '$3'"; fi; }

apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -q "$@"; }

# Purges whichever of the packages dpkg still knows (installed, or removed
# with configuration files left); a package without conffiles is gone
# entirely after `apt-get remove`, and apt-get refuses to purge a name it
# does not know.
purge() {
    local known
    [ ${#installed[@]} -gt 0 ] || return 0
    known=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${installed[@]}" 2>/dev/null \
            | awk '$1 != "un" && $1 != "pn" {print $2}')
    [ -n "$known" ] || return 0
    # shellcheck disable=SC2086
    apt_get purge $known >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; return 1; }
}

cleanup() {
    local rc=$?
    if [ "${S2S_KEEP_INSTALLED:-0}" != 1 ] && [ ${#installed[@]} -gt 0 ] \
       && dpkg-query -W -f='${db:Status-Abbrev}\n' "${installed[@]}" 2>/dev/null | grep -q '^ii'; then
        echo "run.sh: purging the packages after a failure" >&2
        purge || true
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "run.sh: needs root to install packages" >&2; exit 2; }

# ---------------------------------------------------------------------------
# Build, or take the given packages.
if [ $# -ge 1 ]; then
    debdir=$(cd "$1" && pwd)
else
    debdir=$work/debs
    export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}
    start=$(date +%s)
    "$root/packaging/build.sh" "$debdir" >"$work/build.out"
    echo "run.sh: packages built in $(( $(date +%s) - start )) s"
fi
shopt -s nullglob
debs=("$debdir"/*.deb)
[ ${#debs[@]} -gt 0 ] || { echo "run.sh: no .deb files in $debdir" >&2; exit 2; }
for deb in "${debs[@]}"; do
    installed+=("$(dpkg-deb -f "$deb" Package)")
done
echo "run.sh: packages: ${installed[*]}"
version=$(dpkg-deb -f "$debdir"/libs2sauth1_*.deb Version)

# The test is only meaningful on a system without s2sauth already installed:
# a copy in /usr/local (cmake --install) would shadow the packaged one for
# pkg-config and CMake, and files under /usr would make the purge check lie.
if dpkg-query -W -f='${db:Status-Abbrev}\n' "${installed[@]}" 2>/dev/null | grep -qv '^un\|^pn'; then
    echo "run.sh: some of ${installed[*]} are installed already; purge them first" >&2
    installed=()
    exit 2
fi
find /usr -name '*s2sauth*' 2>/dev/null | sort >"$work/before"
if [ -s "$work/before" ]; then
    echo "run.sh: s2sauth files are already under /usr (remove them first):" >&2
    cat "$work/before" >&2
    installed=()
    exit 2
fi

# /etc may hold files of other s2sauth work: after the purge it must hold no
# others.  /etc/pam.d is left out: the PostgreSQL suites and benchmarks of
# other runs come and go there, and no package installs anything in it.
etc_s2sauth() { find /etc -path /etc/pam.d -prune -o -name '*s2sauth*' -print 2>/dev/null | sort; }
etc_s2sauth >"$work/etc-before"

# ---------------------------------------------------------------------------
# Install as a user would.
(cd "$debdir" && apt_get install "${debs[@]/#$debdir\//./}") >"$work/install.log" 2>&1 \
    || { cat "$work/install.log"; exit 1; }
expect_eq "all packages installed" "${#installed[@]}" \
    "$(dpkg-query -W -f='${db:Status-Abbrev}\n' "${installed[@]}" | grep -c '^ii')"

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=/usr/lib/$multiarch

# --- libs2sauth1: the dynamic linker finds the library by its SONAME.
expect_eq "ldconfig finds libs2sauth.so.1" "$libdir/libs2sauth.so.1" \
    "$(ldconfig -p | awk '$1 == "libs2sauth.so.1" {print $NF; exit}' | sed 's|^/lib/|/usr/lib/|')"
expect_eq "SONAME is libs2sauth.so.1" "libs2sauth.so.1" \
    "$(objdump -p "$libdir/libs2sauth.so.1" | awk '$1 == "SONAME" {print $2}')"
expect_eq "no RPATH/RUNPATH in the library or the CLI" "" \
    "$(objdump -p "$libdir/libs2sauth.so.1" /usr/bin/s2sauth | awk '$1 ~ /RPATH|RUNPATH/')"
unexported=$(objdump -T "$libdir/libs2sauth.so.1" | awk '$4 == "S2SAUTH_1" || $4 == "Base" {next} / DF \.text/ && $NF !~ /^s2s_/ {print $NF}')
expect_eq "only s2s_* functions are exported" "" "$unexported"

# --- libs2sauth-dev: pkg-config and a C program against the installed library.
expect_eq "pkg-config --modversion s2sauth" "${version%%-*}" "$(pkg-config --modversion s2sauth)"
expect_eq "pkg-config --cflags --libs s2sauth" "-ls2sauth" "$(pkg-config --cflags --libs s2sauth | xargs)"
cc -std=c99 -Wall -Wextra -Werror -o "$work/verify_c" "$here/verify.c" \
    $(pkg-config --cflags --libs s2sauth) >"$work/cc.log" 2>&1 \
    && pass "a C99 program compiles and links with pkg-config's flags" \
    || { fail "a C99 program compiles and links with pkg-config's flags"; cat "$work/cc.log"; }
expect_eq "the program loads the installed library" "$(readlink -f "$libdir/libs2sauth.so.1")" \
    "$(ldd "$work/verify_c" | awk '$1 == "libs2sauth.so.1" {print $3}' | xargs -r readlink -f)"

# --- s2sauth-tools: the CLI, its man page, and a key ring -> token -> decision
# round trip shared with the C program (the library as a host uses it).
expect_eq "s2sauth --version" "s2sauth ${version%%-*} (ABI 1)" "$(s2sauth --version)"
expect_eq "man page installed" "/usr/share/man/man1/s2sauth.1.gz" "$(man -w s2sauth 2>/dev/null)"
expect "man page renders without warnings" \
    bash -c '! LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l /usr/share/man/man1/s2sauth.1.gz 2>&1 >/dev/null | grep .'

cd "$work"
s2sauth keygen --keyring ring >keyid
expect_eq "keygen makes a 0600 key ring" "600" "$(stat -c %a ring)"
printf 'keyring %s/ring\nrevocation_list %s/revoked\nservice api\n' "$work" "$work" >verifier.conf
: >revoked
s2sauth mint --keyring ring --identity alice --ttl 10m --caveat 'http.method in GET' >token
expect "minted token names the ring's key" grep -qx "key id: *$(cat keyid)" <(s2sauth inspect - <token | sed 's/^ *//')

s2sauth verify --config verifier.conf --ctx http.method=GET - <token >v.out && rc=0 || rc=$?
expect_eq "CLI verify allows GET (exit 0)" "0" "$rc"
expect_eq "CLI verify names the identity" "alice" "$(awk '$1 == "identity:" {print $2}' v.out)"
s2sauth verify --config verifier.conf --ctx http.method=POST - <token >v.out && rc=0 || rc=$?
expect_eq "CLI verify denies POST (exit 1)" "1" "$rc"
expect_eq "CLI names the failed caveat" "caveat: http.method in GET" \
    "$(awk '$1 == "caveat:" {$1 = $1; print}' v.out)"

./verify_c verifier.conf GET "$(cat token)" >c.out && rc=0 || rc=$?
expect_eq "C program verifies the CLI's token (allow)" "0 allow alice" "$rc $(cat c.out)"
./verify_c verifier.conf DELETE "$(cat token)" >c.out && rc=0 || rc=$?
expect_eq "C program denies DELETE" "1 deny caveat_unsatisfied" "$rc $(cat c.out)"
sed 's/.$//' token >tampered
./verify_c verifier.conf GET "$(cat tampered)" >c.out && rc=0 || rc=$?
expect_eq "C program denies a truncated token" "1" "$rc"
s2sauth attenuate --caveat 'http.method in HEAD' - <token >narrowed
./verify_c verifier.conf GET "$(cat narrowed)" >c.out && rc=0 || rc=$?
expect_eq "an attenuated token cannot do what it no longer allows" "1 deny caveat_unsatisfied" "$rc $(cat c.out)"

s2sauth revoke --revocation-list revoked --token - <token >/dev/null
./verify_c verifier.conf GET "$(cat token)" >c.out && rc=0 || rc=$?
expect_eq "a revoked token is denied" "1 deny revoked" "$rc $(cat c.out)"

chmod 0644 ring
./verify_c verifier.conf GET "$(cat narrowed)" >c.out 2>c.err && rc=0 || rc=$?
expect_eq "a world-readable key ring is refused (exit 2)" "2" "$rc"
chmod 0600 ring

# --- libs2sauth-dev: CMake's find_package.
cmake -S "$here/cmake-consumer" -B cmake-build -DCMAKE_BUILD_TYPE=Release >cmake.log 2>&1 \
    && cmake --build cmake-build >>cmake.log 2>&1 \
    && pass "find_package(s2sauth 0.1) and s2sauth::s2sauth build a program" \
    || { fail "find_package(s2sauth 0.1) and s2sauth::s2sauth build a program"; cat cmake.log; }
expect_eq "the CMake-built program runs against the installed library" \
    "${version%%-*} 1" "$(./cmake-build/abi_version 2>&1)"
cmake -S "$here/cmake-consumer" -B cmake-build-2 -DWANT_VERSION=2 >cmake2.log 2>&1 && rc=0 || rc=$?
expect_eq "find_package(s2sauth 2) is refused (SameMajorVersion)" "1" "$rc"
cd "$root"

# ---------------------------------------------------------------------------
# The adapters' packages, each checked when it is among the packages tested
# (their packaging is switched off until their branches merge; see
# docs/packaging.md): where the files went, then the adapter's own
# integration suite run against the installed files instead of the build tree.
has() { local p; for p in "${installed[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }
suite() {  # suite NAME CMD...: run an integration suite, show its log's tail on failure
    local name=$1; shift
    if "$@" >"$work/suite.log" 2>&1; then pass "$name"; else fail "$name"; tail -n 40 "$work/suite.log" | sed 's/^/     /'; fi
}

if has libnginx-mod-http-s2sauth; then
    expect_eq "nginx module in nginx's modules directory" "yes" \
        "$([ -f /usr/lib/nginx/modules/ngx_http_s2sauth_module.so ] && echo yes)"
    expect_eq "dh_nginx enabled the module in modules-enabled" \
        "/usr/share/nginx/modules-available/mod-http-s2sauth.conf" \
        "$(readlink /etc/nginx/modules-enabled/50-mod-http-s2sauth.conf)"
    expect_eq "mod-http-s2sauth.conf loads the module" \
        "load_module modules/ngx_http_s2sauth_module.so;" \
        "$(cat /usr/share/nginx/modules-available/mod-http-s2sauth.conf)"
    # Debian's nginx, loading the module the way /etc/nginx/nginx.conf does.
    mkdir -p "$work/nginx"
    cat >"$work/nginx/nginx.conf" <<EOF
include /etc/nginx/modules-enabled/50-mod-http-s2sauth.conf;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 16; }
http {
    s2sauth_keyring $work/ring;
    s2sauth_service web;
    server { listen 127.0.0.1:1; location / { s2sauth on; } }
}
EOF
    # Debian's prefix (no -p): load_module's relative path is resolved there.
    expect "nginx -t loads the module from modules-enabled" \
        nginx -t -c "$work/nginx/nginx.conf"
    sed -i 's/s2sauth on;/s2sauth maybe;/' "$work/nginx/nginx.conf"
    nginx -t -c "$work/nginx/nginx.conf" >"$work/nginx/t.out" 2>&1 && rc=0 || rc=$?
    expect_eq "nginx -t rejects a bad s2sauth directive" "1 1" \
        "$rc $(grep -c 'in "s2sauth" directive' "$work/nginx/t.out")"
    suite "nginx integration suite against the installed module" \
        env -C "$root/integration/nginx" PYTHONDONTWRITEBYTECODE=1 \
        S2S_NGINX_MODULE=/usr/lib/nginx/modules/ngx_http_s2sauth_module.so \
        /usr/bin/python3 -m unittest test_nginx
fi

if has s2sauth-redis-proxy; then
    expect "system user _s2sauth exists" getent passwd _s2sauth
    expect_eq "key directory is 0750 root:_s2sauth" "750 root _s2sauth" \
        "$(stat -c '%a %U %G' /etc/s2sauth/keys)"
    expect_eq "systemd unit installed" "yes" \
        "$([ -f /lib/systemd/system/s2sauth-redis-proxy.service ] && echo yes)"
    /usr/sbin/s2sauth-redis-proxy -t -c /etc/s2sauth/redis-proxy.conf >/dev/null 2>&1 && rc=0 || rc=$?
    expect_eq "the default configuration refuses to start without a key ring" "1" "$rc"
    cc -o "$work/hiredis_client" "$root/integration/redis/hiredis_client.c" \
        $(pkg-config --cflags --libs hiredis)
    suite "Redis proxy integration suite against the installed proxy and CLI" \
        /usr/bin/python3 "$root/integration/redis/run_tests.py" \
        --proxy /usr/sbin/s2sauth-redis-proxy --cli /usr/bin/s2sauth \
        --hiredis-client "$work/hiredis_client"
fi

if has postgresql-15-s2sauth || has libpam-s2sauth; then
    # The suite takes a build tree; this one holds only the installed objects.
    # postgres (the server and its PAM stack) must be able to reach it.
    chmod 0711 "$work"
    fake=$work/installed-tree/adapters/postgres
    mkdir -p "$fake"
    ln -s /usr/lib/postgresql/15/lib/s2sauth.so "$fake/s2sauth.so"
    ln -s "$libdir/security/pam_s2sauth.so" "$fake/pam_s2sauth.so"
    if has postgresql-15-s2sauth; then
        expect_eq "hook in PostgreSQL 15's pkglibdir" "yes" \
            "$([ -f "$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir)/s2sauth.so" ] && echo yes)"
        suite "PostgreSQL hook suite against the installed hook" \
            /usr/bin/python3 "$root/integration/postgres/test_postgres.py" \
            --build "$work/installed-tree" --path hook
    fi
    if has libpam-s2sauth; then
        expect_eq "PAM module in the multiarch security directory" "yes" \
            "$([ -f "$libdir/security/pam_s2sauth.so" ] && echo yes)"
        suite "PAM suite against the installed module" \
            /usr/bin/python3 "$root/integration/postgres/test_postgres.py" \
            --build "$work/installed-tree" --path pam
    fi
fi

# ---------------------------------------------------------------------------
# Remove, then purge; nothing may be left.
if [ "${S2S_KEEP_INSTALLED:-0}" = 1 ]; then
    echo "run.sh: S2S_KEEP_INSTALLED=1: packages left installed"
    installed=()
else
    for pkg in "${installed[@]}"; do dpkg -L "$pkg"; done | sort -u >"$work/files"
    apt_get remove "${installed[@]}" >"$work/remove.log" 2>&1 \
        && pass "apt-get remove" || { fail "apt-get remove"; cat "$work/remove.log"; }
    purge && pass "apt-get purge" || fail "apt-get purge"
    expect_eq "dpkg -l lists none of the packages" "" \
        "$(dpkg -l 2>/dev/null | awk '$2 ~ /s2sauth/')"
    left=$(while read -r f; do
               if [ ! -d "$f" ] && { [ -e "$f" ] || [ -L "$f" ]; }; then echo "$f"; fi
           done <"$work/files")
    expect_eq "no packaged file is left" "" "$left"
    find /usr -name '*s2sauth*' 2>/dev/null | sort >"$work/after"
    expect_eq "nothing named *s2sauth* is left under /usr" "" "$(cat "$work/after")"
    expect_eq "ldconfig no longer knows libs2sauth.so.1" "" "$(ldconfig -p | awk '$1 == "libs2sauth.so.1"')"
    etc_s2sauth >"$work/etc-after"
    expect_eq "nothing named *s2sauth* is left under /etc" "" \
        "$(comm -13 "$work/etc-before" "$work/etc-after")"
    installed=()
fi

echo "run.sh: $((checks - failures))/$checks checks passed"
[ "$failures" -eq 0 ]
