#!/bin/bash
# integration/bench/run.sh [BUILD_DIR]: every benchmark, one after another, each
# printing ratios against the reference it measures in the same run.  Not a
# test: nothing here asserts a time.  Quiet the machine first; the load average
# is printed with the results because it changes them.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# core: deserialize + verify, s2sauth vs libmacaroons, HMAC floor, libjwt"
"$build/integration/bench/bench_core" "${S2S_BENCH_SECONDS:-2}"
if [ -x "$build/integration/bench/bench_mtls" ]; then
    echo "# mtls: chain verification, bound vs unbound tokens"
    "$build/integration/bench/bench_mtls"
fi
for b in "$top"/integration/bench/*/run.sh; do
    [ -x "$b" ] || continue
    echo "# $(basename "$(dirname "$b")")"
    "$b" "$build"
done
