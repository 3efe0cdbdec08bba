#!/bin/sh
# check.sh COUPONC SRCDIR [--update]
#
# Golden test of `couponc disasm` (like PCRE2's /B tests): every example
# coupon file examples/coupons/NAME.yaml has its listing in
# tests/golden/NAME.disasm, compared byte for byte. couponc runs from the
# source directory with a relative path, so the listing (which names its
# source) does not depend on where the tree is.
#
# To regenerate after a deliberate change of the compiler or the listing:
#     tests/golden/check.sh build/gcc/src/couponc . --update
# then read the diff (git diff tests/golden) before committing it.
set -u
couponc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$2" || exit 2
update=${3:-}
passed=0
failed=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for yaml in examples/coupons/*.yaml; do
    name=$(basename "$yaml" .yaml)
    golden=tests/golden/$name.disasm
    if ! "$couponc" disasm "$yaml" >"$tmp" 2>&1; then
        echo "FAIL $yaml: couponc disasm failed"
        sed 's/^/    /' "$tmp"
        failed=$((failed + 1))
        continue
    fi
    if [ "$update" = "--update" ]; then
        cp "$tmp" "$golden"
        echo "updated $golden"
        passed=$((passed + 1))
    elif [ ! -f "$golden" ]; then
        echo "FAIL $yaml: no $golden (run tests/golden/check.sh COUPONC . --update)"
        failed=$((failed + 1))
    elif cmp -s "$tmp" "$golden"; then
        echo "ok   $yaml"
        passed=$((passed + 1))
    else
        echo "FAIL $yaml: the listing differs from $golden"
        diff -u "$golden" "$tmp" | head -n 40 | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done
# a golden file without its example is stale
for golden in tests/golden/*.disasm; do
    [ -e "$golden" ] || continue
    name=$(basename "$golden" .disasm)
    if [ ! -f "examples/coupons/$name.yaml" ]; then
        echo "FAIL $golden: examples/coupons/$name.yaml is gone"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
