#!/bin/sh
# The library never reads a clock, the TZ variable, the locale's time
# settings or the environment (SPEC 1, docs/time.md): its shared object
# imports none of the functions that do.
#
#   symbols.sh LIBRARY.so
lib=$1
if [ ! -f "$lib" ]; then
    echo "symbols: no library at $lib"; echo "0 passed, 1 failed"; exit 1
fi
undefined=$(nm -D --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//') || {
    echo "symbols: nm failed"; echo "0 passed, 1 failed"; exit 1; }
if [ -z "$undefined" ]; then
    echo "symbols: nm listed nothing for $lib"; echo "0 passed, 1 failed"; exit 1
fi
forbidden='localtime localtime_r localtime64 localtime64_r gmtime gmtime_r gmtime64 gmtime64_r
mktime mktime64 timegm timelocal tzset getenv secure_getenv __secure_getenv time time64
clock_gettime clock_gettime64 __clock_gettime __clock_gettime64 gettimeofday
__gettimeofday64 ftime ctime ctime_r asctime asctime_r strftime strftime_l strptime
setlocale localeconv getdate clock'
passed=0 failed=0
for f in $forbidden; do
    if printf '%s\n' "$undefined" | grep -qx "$f"; then
        echo "FAIL the library imports $f"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
# The check sees the library's imports at all: it must find these.
for f in open read close; do
    if printf '%s\n' "$undefined" | grep -qx "$f\(64\)\?"; then
        passed=$((passed + 1))
    else
        echo "FAIL nm does not show the import of $f: the check would see nothing"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
