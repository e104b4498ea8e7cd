#!/bin/sh
# PostgreSQL connection-rate benchmark over SSL: trust, scram-sha-256 and
# s2sauth (hook and PAM), one line each with a ratio to trust (same run).
# Usage: integration/bench/postgres/run.sh [BUILD_DIR] [--seconds N] [--clients N]
# Runs as root; about 2 rounds x 4 x 3 s plus ~15 s of set-up.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
exec /usr/bin/python3 "$here/bench_postgres.py" --build "$build" "$@"
