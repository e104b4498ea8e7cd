#!/bin/bash
# integration/bench/nginx/run.sh: requests per second of Debian's nginx
# serving a small static file (open_file_cache), keep-alive, with wrk:
#   (a) no authentication                         (nginx without the module)
#   (b) the s2sauth module in the access phase
#   (c) the same policy through auth_request to a second local server that
#       runs the module (keep-alive upstream): the design the module replaces
# and the RSS a worker gains with the module loaded.  One run, one worker per
# nginx, one wrk thread: the two cores are shared by nginx and wrk.
#
# (a), (b) and (c) are served by the same nginx (the module loaded), in
# interleaved rounds; each figure is the best round, the one least disturbed
# by whatever else the machine runs, and the worker CPU time per request of
# that round; the ratios are also given as the median of the per-round ratios.  The RSS baseline is a second nginx without load_module.
#
# usage: integration/bench/nginx/run.sh [build-dir] [seconds-per-run] [rounds]
# Not a test: no assertion on the figures.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../../build}" && pwd)
secs=${2:-1}
rounds=${3:-7}
module=$build/adapters/nginx/ngx_http_s2sauth_module.so
nginx=/usr/sbin/nginx

[ -f "$module" ] || { echo "no $module: build the nginx_module target first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

d=$(mktemp -d /tmp/s2s-nginx-bench.XXXXXX)
chmod 755 "$d"
pids=()
cleanup() {
    for conf in "$d"/n0.conf "$d"/n1.conf; do
        [ -f "$conf" ] && "$nginx" -p "$d/" -c "$conf" -s quit 2>/dev/null || true
    done
    sleep 0.3
    rm -rf "$d"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

mkdir -p "$d/www" "$d/auth" "$d/tmp"
printf 'hello, s2sauth\n' >"$d/www/index.html"
: >"$d/auth/index.html"
chmod 644 "$d/www/index.html" "$d/auth/index.html"

# a key ring and a token with five caveats, minted with pymacaroons
token=$(/usr/bin/python3 - "$d/keyring" <<'EOF'
import base64, os, sys
from pymacaroons import Macaroon
key = os.urandom(32)
path = sys.argv[1]
with open(path, "w") as f:
    f.write("k1 %s active\n" % base64.urlsafe_b64encode(key).rstrip(b"=").decode())
os.chmod(path, 0o600)
m = Macaroon(location="", identifier="s2s1:k1:bench-token-1", key=key)
for c in ("service = bench", "time < 2099-01-01T00:00:00Z", "http.method in GET,HEAD",
          "http.path prefix /", "identity = svc-bench"):
    m.add_first_party_caveat(c)
print(m.serialize())
EOF
)

pa=$(free_port) pb=$(free_port) pc=$(free_port) pauth=$(free_port)

common() {
    cat <<EOF
user nobody nogroup;
worker_processes 1;
worker_rlimit_nofile 4096;
error_log $d/error-$1.log warn;
pid $d/$1.pid;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    open_file_cache max=64 inactive=60s;
    open_file_cache_valid 60s;
    client_body_temp_path $d/tmp/body-$1;
    proxy_temp_path $d/tmp/proxy-$1;
    fastcgi_temp_path $d/tmp/fcgi-$1;
    uwsgi_temp_path $d/tmp/uwsgi-$1;
    scgi_temp_path $d/tmp/scgi-$1;
    root $d/www;
EOF
}

{
    common n0
    cat <<EOF
    server { listen 127.0.0.1:$pa; location / { } }
}
EOF
} >"$d/n0.conf"
pa1=$(free_port)

{
    echo "load_module $module;"
    common n1
    cat <<EOF
    s2sauth_keyring $d/keyring;
    s2sauth_service bench;

    upstream auth { server 127.0.0.1:$pauth; keepalive 32; }

    server { listen 127.0.0.1:$pa1; location / { } }

    server { listen 127.0.0.1:$pb; location / { s2sauth on; } }

    server {
        listen 127.0.0.1:$pc;
        location / { auth_request /_auth; }
        location = /_auth {
            internal;
            proxy_pass http://auth\$request_uri;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }
    }

    # the auth server answers with an empty body, so that the upstream
    # connection stays reusable after auth_request's header-only subrequest
    server { listen 127.0.0.1:$pauth; root $d/auth; location / { s2sauth on; } }
}
EOF
} >"$d/n1.conf"

for n in n0 n1; do
    "$nginx" -p "$d/" -c "$d/$n.conf" -t -q
    "$nginx" -p "$d/" -c "$d/$n.conf"
done
sleep 0.5

hdr="Authorization: Macaroon $token"
for url in "http://127.0.0.1:$pa/" "http://127.0.0.1:$pa1/" "http://127.0.0.1:$pb/" \
           "http://127.0.0.1:$pc/"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "$hdr" "$url")
    [ "$code" = 200 ] || { echo "setup: $url answered $code" >&2; exit 1; }
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pb/")
[ "$code" = 401 ] || { echo "setup: the module let a request without token through" >&2; exit 1; }

worker_pid() {
    pgrep -P "$(cat "$d/$1.pid")" | head -1
}

# nanoseconds a process has spent on a CPU so far (scheduler accounting)
cpu_ns() {
    awk '{ print $1 }' "/proc/$1/schedstat"
}

# rps URL NGINX: prints "<requests per second> <worker CPU microseconds per
# request>"; the second figure does not depend on what else the machine runs.
rps() {
    local out worker t0 t1
    worker=$(worker_pid "$2")
    t0=$(cpu_ns "$worker")
    out=$(wrk -t1 -c32 -d"${secs}s" -H "$hdr" "$1")
    t1=$(cpu_ns "$worker")
    if grep -q "Non-2xx" <<<"$out"; then
        echo "wrk saw errors against $1:" >&2
        echo "$out" >&2
        exit 1
    fi
    awk -v t="$((t1 - t0))" '
        /^Requests\/sec:/ { rps = $2 }
        / requests in / { n = $1 }
        END { printf "%d %.1f\n", rps, t / 1e3 / n }' <<<"$out"
}

worker_rss() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$(worker_pid "$1")/status"
}

# warm up every path once, briefly
for p in "$pa" "$pa1" "$pb" "$pc"; do wrk -t1 -c8 -d1s -H "$hdr" "http://127.0.0.1:$p/" >/dev/null; done

best() { # best <name> <rps> <us>: keeps the best round of each configuration
    if [ -z "${best_rps[$1]:-}" ] || [ "$2" -gt "${best_rps[$1]}" ]; then
        best_rps[$1]=$2 best_us[$1]=$3
    fi
}
declare -A best_rps best_us
ratios_ba="" ratios_bc=""
for ((i = 0; i < rounds; i++)); do
    read -r ra u < <(rps "http://127.0.0.1:$pa1/" n1); best a "$ra" "$u"
    read -r rb u < <(rps "http://127.0.0.1:$pb/" n1);  best b "$rb" "$u"
    read -r rc u < <(rps "http://127.0.0.1:$pc/" n1);  best c "$rc" "$u"
    # a round's three runs are seconds apart: their ratio suffers less from
    # the machine's changing load than ratios of bests do
    ratios_ba="$ratios_ba $(awk -v x="$rb" -v y="$ra" 'BEGIN { printf "%.3f", x / y }')"
    ratios_bc="$ratios_bc $(awk -v x="$rb" -v y="$rc" 'BEGIN { printf "%.3f", x / y }')"
done
a=${best_rps[a]} ua=${best_us[a]}
b=${best_rps[b]} ub=${best_us[b]}
c=${best_rps[c]} uc=${best_us[c]}

median() {
    tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END {
        printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
med_ba=$(median "$ratios_ba")
med_bc=$(median "$ratios_bc")

# RSS after a warm-up of the baseline with the same file
wrk -t1 -c32 -d1s "http://127.0.0.1:$pa/" >/dev/null
rss0=$(worker_rss n0)
rss1=$(worker_rss n1)

awk -v a="$a" -v b="$b" -v c="$c" -v ua="$ua" -v ub="$ub" -v uc="$uc" \
    -v r0="$rss0" -v r1="$rss1" -v mba="$med_ba" -v mbc="$med_bc" -v n="$rounds" 'BEGIN {
    printf "nginx static, no auth (a):        %7d req/s  %6.1f us worker CPU/req\n", a, ua
    printf "nginx static, s2sauth module (b): %7d req/s  %6.1f us worker CPU/req   b/a = %.2f (target >= 0.90)   CPU a/b = %.2f\n", b, ub, b / a, ua / ub
    printf "nginx static, auth_request (c):   %7d req/s  %6.1f us worker CPU/req   b/c = %.2f (target >= 1.70)   CPU c/b = %.2f\n", c, uc, b / c, uc / ub
    printf "median over %d rounds of the per-round ratios: b/a = %.2f   b/c = %.2f\n", n, mba, mbc
    printf "worker RSS: %d kB without load_module, %d kB with the module and a verifier: +%d kB\n", r0, r1, r1 - r0
}'
