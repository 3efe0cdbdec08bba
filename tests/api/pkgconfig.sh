#!/bin/sh
# pkgconfig.sh SRCDIR BUILDDIR [CC [SANITIZE]] - installs the build into a
# scratch directory and builds the client with nothing but what the
# installed couponlib.pc says (cflags and libs), then runs it against the
# installed shared library. CC is the build's C compiler and SANITIZE its
# b_sanitize (a sanitized library needs its runtime in the client).
set -u
src=$1
build=$2
cc=${3:-cc}
sanitize=${4:-none}
san=""
[ "$sanitize" != "none" ] && san="-fsanitize=$sanitize"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
step() {
    name=$1; shift
    if out=$("$@" 2>&1); then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; printf '%s\n' "$out" | sed 's/^/    /'
    fi
}
step "meson install --destdir" meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet
pc=$(find "$tmp/root" -name couponlib.pc | head -n 1)
step "couponlib.pc is installed" test -n "$pc"
if [ -n "$pc" ]; then
    export PKG_CONFIG_PATH="$(dirname "$pc")"
    export PKG_CONFIG_SYSROOT_DIR="$tmp/root"
    step "pkg-config knows couponlib" pkg-config --exists couponlib
    step "its version" sh -c '[ "$(pkg-config --modversion couponlib)" = "0.1.0" ]'
    cflags=$(pkg-config --cflags couponlib)
    libs=$(pkg-config --libs couponlib)
    step "compile and link the client" sh -c "$cc -std=c99 -Wall -Wextra -Werror $san $cflags \
        '$src/tests/api/client.c' $libs -o '$tmp/client'"
    libdir=$(dirname "$(find "$tmp/root" -name libcouponlib.so.0 | head -n 1)")
    step "the soname is installed" test -e "$libdir/libcouponlib.so.0"
    step "the client runs against the installed library" \
        env LD_LIBRARY_PATH="$libdir" "$tmp/client"
    step "the client uses the installed library" sh -c \
        "LD_LIBRARY_PATH='$libdir' ldd '$tmp/client' | grep -q '$libdir/libcouponlib.so.0'"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
