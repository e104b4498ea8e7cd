#!/bin/bash
# Benchmark of s2sauth-redis-proxy: redis-benchmark GET and SET, 50 clients,
# -P 1 and -P 16, against redis-server directly, through the proxy (AUTH with
# a macaroon carrying a key caveat, checked on every command) and through
# twemproxy (nutcracker, no auth), all in one run on this machine.  Prints one
# line per row with the ratios to direct and to twemproxy, then the memory per
# idle client connection of the proxy.  Not a test: no assertions.
#
# usage: integration/bench/redis/run.sh [BUILD_DIR]   (default: ./build)
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
PROXY=$BUILD/adapters/redis-proxy/s2sauth-redis-proxy
CLI=$BUILD/adapters/cli/s2sauth
THREADS=${PROXY_THREADS:-2}
N1=${N1:-200000}     # requests per -P 1 run
N16=${N16:-1000000}  # requests per -P 16 run
DIR=$(mktemp -d /tmp/s2s-redis-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "port $1 did not open" >&2; exit 1
}
REDIS_PORT=$(port); PROXY_PORT=$(port); PROXYU_PORT=$(port); TW_PORT=$(port); TW_STATS=$(port)

cat > "$DIR/redis.conf" <<CONF
bind 127.0.0.1
user default on nopass ~* &* +@all
user proxy on >proxy-secret ~* &* +@all
unixsocket $DIR/redis.sock
unixsocketperm 700
CONF
/usr/bin/redis-server "$DIR/redis.conf" --port "$REDIS_PORT" --save '' --appendonly no \
  --dir "$DIR" --logfile "$DIR/redis.log" & pids+=($!); REDIS_PID=$!
wait_port "$REDIS_PORT"

"$CLI" keygen --keyring "$DIR/keyring" >/dev/null
printf 'proxy proxy-secret\n' > "$DIR/users"; chmod 600 "$DIR/users"
cat > "$DIR/proxy.conf" <<CONF
listen 127.0.0.1 $PROXY_PORT
backend 127.0.0.1 $REDIS_PORT
threads $THREADS
keyring $DIR/keyring
service cache
backend_users_file $DIR/users
default_backend_user proxy
CONF
"$PROXY" -c "$DIR/proxy.conf" 2>"$DIR/proxy.log" & pids+=($!); PROXY_PID=$!
wait_port "$PROXY_PORT"
# The same proxy with the backend hop over a Unix socket (proxy next to redis-server).
sed -e "s/^listen .*/listen 127.0.0.1 $PROXYU_PORT/" -e "s|^backend .*|backend unix:$DIR/redis.sock|" \
  "$DIR/proxy.conf" > "$DIR/proxy-unix.conf"
"$PROXY" -c "$DIR/proxy-unix.conf" 2>"$DIR/proxy-unix.log" & pids+=($!); PROXYU_PID=$!
wait_port "$PROXYU_PORT"
# redis-benchmark's keys are "key:__rand_int__"; the token allows only that prefix.
TOKEN=$("$CLI" mint --keyring "$DIR/keyring" --ttl 1h --caveat 'redis.key prefix key:' \
        --caveat 'redis.cmd in get,set,ping,config|get')

cat > "$DIR/nutcracker.yml" <<CONF
bench:
  listen: 127.0.0.1:$TW_PORT
  hash: fnv1a_64
  distribution: ketama
  redis: true
  auto_eject_hosts: false
  servers:
   - 127.0.0.1:$REDIS_PORT:1
CONF
/usr/sbin/nutcracker -c "$DIR/nutcracker.yml" -s "$TW_STATS" -a 127.0.0.1 -o "$DIR/nutcracker.log" & pids+=($!); TW_PID=$!
wait_port "$TW_PORT"

# CPU time (user + system, in clock ticks) a process has used so far.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

# One redis-benchmark run: TEST P PORT PID [extra args]; sets RPS and CPU_US
# (CPU microseconds per request of the process PID: redis-server for direct,
# the proxy or twemproxy otherwise; a figure that load on the machine barely moves).
run() {
  local test=$1 pipe=$2 p=$3 pid=$4; shift 4
  local n=$N1; [ "$pipe" -gt 1 ] && n=$N16
  local before after
  before=$(ticks "$pid")
  RPS=$(redis-benchmark -h 127.0.0.1 -p "$p" -c 50 -n "$n" -P "$pipe" -t "$test" -r 100000 -q "$@" 2>/dev/null \
    | tr '\r' '\n' | awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i == "requests") v = $(i-1) } END { print v }')
  after=$(ticks "$pid")
  CPU_US=$(awk -v t=$((after - before)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
}

echo "requests/s, 50 clients; the proxy checks a key and a command caveat on every command;"
echo "proxy = backend hop over loopback TCP, proxy-unix = over a Unix socket; CPU = us per request"
printf '%-4s %-4s %8s %8s %10s %9s %9s %9s %9s   %s\n' test pipe direct proxy proxy-unix twemproxy \
  proxy/dir unix/dir proxy/twem "CPU: redis proxy proxy-unix twemproxy"
for pipe in 1 16; do
  for test in get set; do
    run "$test" "$pipe" "$REDIS_PORT" "$REDIS_PID"; d=$RPS; dc=$CPU_US
    run "$test" "$pipe" "$PROXY_PORT" "$PROXY_PID" -a "$TOKEN"; p=$RPS; pc=$CPU_US
    run "$test" "$pipe" "$PROXYU_PORT" "$PROXYU_PID" -a "$TOKEN"; u=$RPS; uc=$CPU_US
    run "$test" "$pipe" "$TW_PORT" "$TW_PID"; t=$RPS; tc=$CPU_US
    awk -v test="$test" -v pipe="$pipe" -v d="$d" -v p="$p" -v u="$u" -v t="$t" -v dc="$dc" -v pc="$pc" \
        -v uc="$uc" -v tc="$tc" 'BEGIN {
      printf "%-4s -P%-2s %8.0f %8.0f %10.0f %9.0f %8.2fx %8.2fx %8.2fx   %5s %5s %5s %5s\n",
             toupper(test), pipe, d, p, u, t, p / d, u / d, p / t, dc, pc, uc, tc }'
  done
done

# Memory per idle client: RSS growth of the proxy with 1000 idle connections,
# first unauthenticated, then authenticated (each with its backend connection).
/usr/bin/python3 - "$PROXY_PID" "$PROXY_PORT" "$TOKEN" <<'PY'
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
pid, port, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
def rss_kib():
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
N = 1000
time.sleep(0.5)
base = rss_kib()
socks = []
for _ in range(N):
    socks.append(socket.create_connection(("127.0.0.1", port)))
for s in socks:
    s.sendall(b"PING\r\n")
for s in socks:
    assert s.recv(64) == b"+PONG\r\n"
time.sleep(0.5)
idle = rss_kib()
auth = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n" % (len(token), token)
for s in socks:
    s.sendall(auth)
for s in socks:
    got = b""
    while len(got) < len(b"+OK\r\n+PONG\r\n"):
        chunk = s.recv(256)
        assert chunk, "connection closed"
        got += chunk
    assert got == b"+OK\r\n+PONG\r\n", got
time.sleep(0.5)
authed = rss_kib()
print("memory per idle client: %.1f KiB unauthenticated, %.1f KiB authenticated "
      "(RSS %d KiB -> %d KiB -> %d KiB with %d clients; backend sockets are kernel memory)"
      % ((idle - base) / N, (authed - base) / N, base, idle, authed, N))
for s in socks:
    s.close()
PY
