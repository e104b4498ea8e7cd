#!/bin/sh
# run.sh: builds the libFuzzer targets with clang 14 (ASan + UBSan) and runs
# each for a bounded time, failing on any crash, leak, timeout or sanitizer
# report.  Usage (from anywhere):
#
#     tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     default: 60, all
#
# New interesting inputs go to build-fuzz/fuzz-corpus/<target>/ (kept between
# runs, never committed); the seeds in tests/fuzz/corpus/ and the regression
# inputs in tests/fuzz/regressions/ are read only.  A crash leaves its input in
# build-fuzz/fuzz-artifacts/<target>/ and the log in build-fuzz/fuzz-logs/.
# Prints one line per target: execs/s and total execs.  See docs/fuzzing.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${S2S_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-60}
[ $# -gt 0 ] && shift

case $seconds in
    ''|*[!0-9]*) echo "run.sh: seconds must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    -DS2S_BUILD_FUZZ=ON -DS2S_BUILD_ADAPTERS=OFF -DS2S_BUILD_TESTS=OFF -DS2S_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"${S2S_FUZZ_BUILD_JOBS:-2}" --target fuzz_all

if [ $# -gt 0 ]; then
    targets="$*"
else
    # The list in tests/fuzz/targets.cmake, the one the build uses.
    targets=$(sed -n '/set(S2S_FUZZ_TARGETS/,/)/p' "$here/targets.cmake" |
              sed -e 's/set(S2S_FUZZ_TARGETS//' -e 's/)//' | tr -s ' \n' '  ')
fi

# Input sizes: tokens and stacks need room for many caveats; the line-based
# files less.  Every parser's own limits are exercised by its unit tests.
max_len_of() {
    case $1 in
        v1|v2|v2json|stack|verify|roundtrip) echo 16384 ;;
        *) echo 4096 ;;
    esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

mkdir -p "$build/fuzz-logs"
failed=""
printf '%-12s %10s %14s  %s\n' target execs/s "total execs" result
for t in $targets; do
    bin="$build/tests/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "run.sh: no target fuzz_$t" >&2; exit 2; }
    work="$build/fuzz-corpus/$t"
    artifacts="$build/fuzz-artifacts/$t/"
    log="$build/fuzz-logs/$t.log"
    mkdir -p "$work" "$artifacts"
    set -- "$work" "$here/corpus/$t"
    [ -d "$here/regressions/$t" ] && set -- "$@" "$here/regressions/$t"
    dict=""
    [ -f "$here/dict/$t.dict" ] && dict="-dict=$here/dict/$t.dict"
    status=0
    "$bin" -max_total_time="$seconds" -max_len="$(max_len_of "$t")" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts" $dict "$@" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    result=ok
    if [ "$status" -ne 0 ] || grep -q -e 'runtime error:' -e 'ERROR: AddressSanitizer' \
            -e 'ERROR: LeakSanitizer' -e 'property violated' "$log"; then
        result="FAILED (exit $status; log $log; input in $artifacts)"
        failed="$failed $t"
    fi
    printf '%-12s %10s %14s  %s\n' "$t" "${rate:-?}" "${execs:-?}" "$result"
done

if [ -n "$failed" ]; then
    echo "run.sh: failed:$failed" >&2
    exit 1
fi
