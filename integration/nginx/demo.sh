#!/bin/bash
# integration/nginx/demo.sh: s2sauth in front of an upstream, with Debian's
# nginx and the module built in this tree, in a temporary directory on
# loopback ports.  Keys and tokens come from the s2sauth CLI.  Prints what a
# client gets and what the upstream sees; exits non-zero if anything differs
# from what it says.
#
# usage: integration/nginx/demo.sh [build-dir]

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
module=$build/adapters/nginx/ngx_http_s2sauth_module.so
cli=$build/adapters/cli/s2sauth
nginx=/usr/sbin/nginx

for f in "$module" "$cli"; do
    [ -e "$f" ] || { echo "nginx demo: $f is missing: build first" >&2; exit 1; }
done

d=$(mktemp -d /tmp/s2s-nginx-demo.XXXXXX)
chmod 755 "$d"
trap '"$nginx" -p "$d/" -c "$d/nginx.conf" -s quit 2>/dev/null || true; sleep 0.3; rm -rf "$d"' EXIT

port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
front=$(port) upstream=$(port)

"$cli" keygen --keyring "$d/keyring" --key-id demo-1 >/dev/null
: >"$d/revoked"
chmod 644 "$d/revoked"

cat >"$d/nginx.conf" <<EOF
load_module $module;
user nobody nogroup;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;

    s2sauth_keyring $d/keyring;
    s2sauth_revocation_list $d/revoked;
    s2sauth_service orders;
    s2sauth_realm "orders";
    s2sauth_identity_header X-S2S-Identity;

    server {
        listen 127.0.0.1:$front;
        s2sauth on;
        # the upstream gets the verified identity, not the token
        location / { proxy_set_header Authorization ""; proxy_pass http://127.0.0.1:$upstream; }
    }

    # the upstream: says who nginx told it the caller is
    server {
        listen 127.0.0.1:$upstream;
        location / { return 200 "upstream: \$request_method \$uri for '\$http_x_s2s_identity' (token forwarded: '\$http_authorization')"; }
    }
}
EOF
"$nginx" -p "$d/" -c "$d/nginx.conf" -t -q
"$nginx" -p "$d/" -c "$d/nginx.conf"
for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$front/" && break
    sleep 0.1
done

failed=0
# show <expected status> <description> <curl args...>
show() {
    local want=$1 what=$2 out status body
    shift 2
    out=$(curl -s -w '\n%{http_code}' "$@")
    status=${out##*$'\n'}
    body=${out%$'\n'*}
    if [ "$status" = 200 ]; then
        printf '  %-52s -> %s  %s\n' "$what" "$status" "$body"
    else
        printf '  %-52s -> %s\n' "$what" "$status"
    fi
    [ "$status" = "$want" ] || { echo "    expected $want" >&2; failed=1; }
}

url=http://127.0.0.1:$front
token=$("$cli" mint --keyring "$d/keyring" --identity svc-checkout --ttl 10m \
        --caveat "service = orders" --caveat "http.path prefix /v1/orders")
get_only=$(printf '%s' "$token" | "$cli" attenuate --caveat "http.method in GET" -)

echo "nginx demo (Debian nginx $("$nginx" -v 2>&1 | sed 's|.*/||') + ngx_http_s2sauth_module):"
show 401 "GET /v1/orders/7, no token" "$url/v1/orders/7"
show 200 "GET /v1/orders/7, token for /v1/orders" -H "Authorization: Macaroon $token" \
    "$url/v1/orders/7"
show 200 "the same, spoofing X-S2S-Identity: admin" -H "Authorization: Macaroon $token" \
    -H "X-S2S-Identity: admin" "$url/v1/orders/7"
show 403 "GET /v1/orders/../admin, same token" --path-as-is \
    -H "Authorization: Macaroon $token" "$url/v1/orders/../admin"
show 403 "POST /v1/orders/7, token attenuated to GET" -X POST \
    -H "Authorization: Macaroon $get_only" "$url/v1/orders/7"
show 401 "GET /v1/orders/7, tampered token" \
    -H "Authorization: Macaroon ${token%?????}AAAAA" "$url/v1/orders/7"
printf '%s' "$token" | "$cli" revoke --revocation-list "$d/revoked" --token - >/dev/null
sleep 1.2
show 401 "GET /v1/orders/7, after s2sauth revoke (no reload)" \
    -H "Authorization: Macaroon $token" "$url/v1/orders/7"
if grep -qF "${token:0:40}" "$d/error.log"; then
    echo "  error.log contains the token" >&2
    failed=1
fi
echo "  error.log: $(grep -c 'access denied' "$d/error.log") denials logged at info with reason and token id, never the token"
exit $failed
