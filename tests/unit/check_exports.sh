#!/bin/bash
# check_exports.sh LIB: the shared library exports only s2s_* (and its version
# node), carries a SONAME, and matches the Debian symbols file.
set -eu
lib=$1
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^s2s_' | grep -v '^S2SAUTH_1$' || true)
if [ -n "$bad" ]; then
    echo "unexpected exported symbols:"; echo "$bad"; exit 1
fi
count=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -c '^s2s_')
[ "$count" -ge 60 ] || { echo "only $count s2s_ symbols exported"; exit 1; }
objdump -p "$lib" | grep -q 'SONAME *libs2sauth.so.1' || { echo "no SONAME libs2sauth.so.1"; exit 1; }
# The Debian symbols file must list exactly the exported functions, so a new
# function fails here rather than at the end of a package build.
symbols=$(dirname "$0")/../../packaging/debian/libs2sauth1.symbols
if [ -f "$symbols" ]; then
    exported=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep '^s2s_' | sed 's/@.*//' | sort)
    listed=$(grep -o 's2s_[a-z0-9_]*@' "$symbols" | tr -d '@' | sort)
    if [ "$exported" != "$listed" ]; then
        echo "packaging/debian/libs2sauth1.symbols does not match the exports:"
        diff <(echo "$listed") <(echo "$exported") || true
        exit 1
    fi
fi
echo "exports ok: $count s2s_ symbols, SONAME libs2sauth.so.1, symbols file in step"
