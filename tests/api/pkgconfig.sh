#!/bin/sh
# pkgconfig.sh SRCDIR BUILDDIR - installs the build into a scratch directory
# and builds the client with nothing but what the installed couponlib.pc
# says (cflags and libs), then runs it against the installed shared library.
set -u
src=$1
build=$2
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
    step "compile and link the client" sh -c "cc -std=c99 -Wall -Wextra -Werror $cflags \
        '$src/tests/api/client.c' $libs -o '$tmp/client'"
    libdir=$(pkg-config --variable=libdir couponlib)
    step "the client runs against the installed library" \
        env LD_LIBRARY_PATH="$tmp/root$libdir" "$tmp/client"
    step "the client uses the installed library" sh -c \
        "LD_LIBRARY_PATH='$tmp/root$libdir' ldd '$tmp/client' | grep -q '$tmp/root$libdir/libcouponlib.so.0'"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
