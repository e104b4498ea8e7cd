#!/bin/bash
# demo.sh BUILD_DIR: the Redis part of the demo.  A redis-server with ACL
# users and s2sauth-redis-proxy in front of it, both on loopback ports in a
# temporary directory; redis-cli logs in with a macaroon and each command is
# allowed or denied by the token's caveats.  Exits non-zero if any row
# differs from what it expects; stops everything it started.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
S2S=$build/adapters/cli/s2sauth
PROXY=$build/adapters/redis-proxy/s2sauth-redis-proxy
[ -x "$PROXY" ] && [ -x /usr/bin/redis-server ] || exit 0
dir=$(mktemp -d /tmp/s2sauth-redis-demo.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "port $1 did not open" >&2
    exit 1
}
redis_port=$(port)
proxy_port=$(port)

cat > "$dir/redis.conf" <<CONF
bind 127.0.0.1
user default off
user app on >app-secret ~* &* +@all
CONF
/usr/bin/redis-server "$dir/redis.conf" --port "$redis_port" --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" & pids+=($!)
"$S2S" keygen --keyring "$dir/keyring" --key-id redis-1 >/dev/null
printf 'app app-secret\n' > "$dir/users"
chmod 600 "$dir/users"
cat > "$dir/proxy.conf" <<CONF
listen 127.0.0.1 $proxy_port
backend 127.0.0.1 $redis_port
keyring $dir/keyring
service cache
backend_users_file $dir/users
default_backend_user app
CONF
wait_port "$redis_port"
"$PROXY" -c "$dir/proxy.conf" 2>"$dir/proxy.log" & pids+=($!)
wait_port "$proxy_port"

token=$("$S2S" mint --keyring "$dir/keyring" --identity svc-orders --ttl 1h \
    --caveat 'service = cache' --caveat 'redis.key prefix orders:' \
    --caveat 'redis.cmd in get,set,subscribe,ping')
expired=$("$S2S" mint --keyring "$dir/keyring" --identity svc-orders --caveat 'time < 2020-01-01T00:00:00Z')
echo "== Redis: redis-cli with a macaroon as its password, through s2sauth-redis-proxy"
echo "token caveats: service = cache, redis.key prefix orders:, redis.cmd in get,set,subscribe,ping"
printf '%-10s %-44s %-9s %s\n' SERVICE REQUEST RESULT WHY
failed=0
# row EXPECT TOKEN LABEL COMMAND...: runs the command through the proxy, prints a row.
row() {
    local expect=$1 tok=$2 label=$3
    shift 3
    local out result why
    out=$(timeout 5 redis-cli -p "$proxy_port" --no-auth-warning -a "$tok" "$@" 2>&1 | head -1) || true
    case "$out" in
        NOPERM*|WRONGPASS*|NOAUTH*|ERR*|AUTH\ failed*) result=DENY; why=$out ;;
        *) result=allow; why="reply: ${out:-(nil)}" ;;
    esac
    printf '%-10s %-44s %-9s %s\n' redis "${label:-$*}" "$result" "${why:0:90}"
    [ "$result" = "$expect" ] || { echo "   expected $expect" >&2; failed=1; }
}
row allow "$token" "" SET orders:1 shipped
row allow "$token" "" GET orders:1
row DENY "$token" "" GET secret:1
row DENY "$token" "" DEL orders:1
row DENY "$token" "" FLUSHDB
row DENY "$token" "" SORT orders:l BY secret:*
row DENY "$token" "EVAL \"...GET secret:x\" 1 orders:1" EVAL "return redis.call('GET','secret:x')" 1 orders:1
row DENY "$expired" "GET orders:1 (expired token)" GET orders:1
exit $failed
