#!/bin/sh
# check_exports.sh LIB: the shared library exports only s2s_* (and its version
# node), and carries a SONAME.
set -eu
lib=$1
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^s2s_' | grep -v '^S2SAUTH_1$' || true)
if [ -n "$bad" ]; then
    echo "unexpected exported symbols:"; echo "$bad"; exit 1
fi
count=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -c '^s2s_')
[ "$count" -ge 60 ] || { echo "only $count s2s_ symbols exported"; exit 1; }
objdump -p "$lib" | grep -q 'SONAME *libs2sauth.so.1' || { echo "no SONAME libs2sauth.so.1"; exit 1; }
echo "exports ok: $count s2s_ symbols, SONAME libs2sauth.so.1"
