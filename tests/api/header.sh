#!/bin/sh
# header.sh SRCDIR BUILDDIR [SANITIZE] - the public header compiles as C99
# -pedantic with gcc and clang, and as C++ (C++11 and C++17) with g++ and
# clang++, all with -Wall -Wextra -Werror; and a C++ program links against
# the shared library through it and runs (the extern "C" guards work).
# SANITIZE is the build's b_sanitize: a library built with sanitizers is
# linked with them, by clang++ (whose runtime it was built for).
set -u
src=$1
build=$2
sanitize=${3:-none}
inc="$src/include"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() {
    name=$1; shift
    if out=$("$@" 2>&1); then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        printf '%s\n' "$out" | sed 's/^/    /'
    fi
}

for cc in gcc clang; do
    check "$cc -std=c99 -pedantic" $cc -std=c99 -pedantic -Wall -Wextra -Werror -I"$inc" \
        -c "$src/tests/api/header.c" -o "$tmp/h-$cc.o"
    check "$cc -std=c11 -pedantic" $cc -std=c11 -pedantic -Wall -Wextra -Werror -I"$inc" \
        -c "$src/tests/api/header.c" -o "$tmp/h11-$cc.o"
done
for cxx in g++ clang++; do
    for std in c++11 c++17; do
        check "$cxx -std=$std" $cxx -std=$std -pedantic -Wall -Wextra -Werror -x c++ -I"$inc" \
            -c "$src/tests/api/header.c" -o "$tmp/h-$cxx-$std.o"
    done
done
linkers="g++ clang++"
san=""
if [ "$sanitize" != "none" ]; then
    linkers="clang++"
    san="-fsanitize=$sanitize"
fi
for cxx in $linkers; do
    check "$cxx links a C++ client" $cxx -std=c++11 -Wall -Wextra -Werror $san -I"$inc" \
        "$src/tests/api/client.cpp" -L"$build/src" -lcouponlib -o "$tmp/client-$cxx"
    check "$cxx client runs" env LD_LIBRARY_PATH="$build/src" "$tmp/client-$cxx"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
