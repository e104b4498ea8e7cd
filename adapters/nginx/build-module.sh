#!/bin/bash
# build-module.sh: builds ngx_http_s2sauth_module.so for the nginx that
# nginx-dev describes (Debian's packaged binary), the way Debian builds its
# libnginx-mod-* packages: copy the nginx-dev tree, run its configure with
# the packaged binary's flags (conf_flags, --with-compat) plus
# --add-dynamic-module, then "make modules".  Nothing of nginx itself is
# rebuilt or installed.
#
# usage: build-module.sh <nginx-dev src> <work dir> <module dir> <output .so>
#        [<s2sauth include dir> <s2sauth library dir> [sanitize]]
# With the include and library dirs, the module links that libs2sauth with an
# rpath to it (for tests from the build tree); without them it links
# -ls2sauth.  "sanitize" instruments the module with ASan and UBSan, as the
# library is in an S2S_SANITIZE build (nginx then needs the runtimes in
# LD_PRELOAD: see integration/nginx/tests.cmake).

set -euo pipefail

src=$1 work=$2 module=$3 output=$4
inc=${5:-} libdir=${6:-} sanitize=${7:-}

# The compiler options of Debian's binary (nginx -V), so the module is built
# like the executable it is loaded into.
cc_opt="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security -fPIC -Wdate-time -D_FORTIFY_SOURCE=2"
ld_opt="-Wl,-z,relro -Wl,-z,now -fPIC"
if [ "$sanitize" = sanitize ]; then
    cc_opt="$cc_opt -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    ld_opt="$ld_opt -fsanitize=address,undefined"
fi

export S2SAUTH_INCS=${inc}
export S2SAUTH_LIBS=-ls2sauth
if [ -n "$libdir" ]; then
    S2SAUTH_LIBS="-L$libdir -Wl,-rpath,$libdir -ls2sauth"
fi

stamp="$work/.configured"
wanted="$S2SAUTH_INCS|$S2SAUTH_LIBS|$cc_opt|$ld_opt"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] \
   || [ "$module/config" -nt "$stamp" ]; then
    rm -rf "$work"
    mkdir -p "$work"
    cp -a "$src/." "$work/"
    (
        cd "$work"
        # conf_flags is a bash array of Debian's configure arguments
        # shellcheck disable=SC1091
        . ./conf_flags
        ./configure "${NGX_CONF_FLAGS[@]}" \
            --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" \
            --add-dynamic-module="$module" >configure.log 2>&1 \
            || { cat configure.log >&2; exit 1; }
    )
    printf '%s' "$wanted" >"$stamp"
fi

# CMake's make jobserver is not ours to join
env -u MAKEFLAGS -u MFLAGS make -s -j2 -C "$work" -f objs/Makefile modules
cp "$work/objs/ngx_http_s2sauth_module.so" "$output.tmp"
mv "$output.tmp" "$output"
