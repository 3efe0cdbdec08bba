#!/bin/sh
# couponc as a user runs it: exit statuses (0 success, 1 a check or test
# failed, 2 bad usage or unreadable input), --context -, saved programs,
# directories as catalogs, duplicate codes across files, gen-codes, text
# output. Prints one line per check and "N passed, M failed" last.
#
#   cli.sh COUPONC SOURCE_ROOT
set -u
cc=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() {
    pass=$((pass + 1))
    echo "ok   $1"
}

bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
}

# status NAME WANT CMD...: the command's exit status is WANT.
status() {
    name=$1 want=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else bad "$name (exit $got, want $want)"; fi
}

shop=$root/examples/coupons/shop.yaml
cart=$root/examples/carts/first-order.json

status "check of a good file exits 0" 0 "$cc" check "$shop"
printf 'code: A\ndiscount: { amout: "1.00" }\n' >"$tmp/bad.yaml"
status "check of a bad file exits 1" 1 "$cc" check "$tmp/bad.yaml"
if grep -q 'bad.yaml:2:13: error\[unknown-key\]' "$tmp/err" && grep -q 'did you mean "amount"' "$tmp/err"; then
    ok "the error has its position and a suggestion"
else
    bad "the error has its position and a suggestion: $(cat "$tmp/err")"
fi
status "a missing file exits 2" 2 "$cc" check "$tmp/none.yaml"
status "an unknown command exits 2" 2 "$cc" frobnicate
status "eval without a context exits 2" 2 "$cc" eval "$shop"
status "an unreadable context exits 2" 2 "$cc" eval --context "$tmp/none.json" "$shop"
printf '{"now": 1, "currency": "USD", "items": []}' >"$tmp/badctx.json"
status "a malformed context exits 2" 2 "$cc" eval --context "$tmp/badctx.json" "$shop"
grep -q 'badctx.json:1:9' "$tmp/err" && ok "the context error has its position" || bad "the context error has its position: $(cat "$tmp/err")"

"$cc" eval --context "$cart" "$shop" >"$tmp/file.json"
"$cc" eval --context - "$shop" <"$cart" >"$tmp/stdin.json"
cmp -s "$tmp/file.json" "$tmp/stdin.json" && ok "--context - reads standard input" || bad "--context - reads standard input"

status "compile -o saves a program" 0 "$cc" compile "$shop" -o "$tmp/shop.clp"
"$cc" eval --context "$cart" "$tmp/shop.clp" >"$tmp/saved.json"
cmp -s "$tmp/file.json" "$tmp/saved.json" && ok "a saved program evaluates as its source" || bad "a saved program evaluates as its source"
"$cc" best --context "$cart" "$shop" >"$tmp/best-src.json"
"$cc" best --context "$cart" "$tmp/shop.clp" >"$tmp/best-saved.json"
cmp -s "$tmp/best-src.json" "$tmp/best-saved.json" && ok "best on a saved program" || bad "best on a saved program"
status "check accepts a saved program" 0 "$cc" check "$tmp/shop.clp"
status "disasm of a saved program" 0 "$cc" disasm "$tmp/shop.clp"
head -c 100 "$tmp/shop.clp" >"$tmp/cut.clp"
status "a truncated saved program exits 2" 2 "$cc" eval --context "$cart" "$tmp/cut.clp"
grep -q 'saved program' "$tmp/err" && ok "the load error says what is wrong" || bad "the load error says what is wrong: $(cat "$tmp/err")"

mkdir "$tmp/catalog"
cp "$shop" "$tmp/catalog/shop.yaml"
cp "$root/tests/cases/order.yaml" "$tmp/catalog/order.yaml"
cp "$root/tests/cases/order.test.yaml" "$tmp/catalog/order.test.yaml"   # not a coupon file
"$cc" best --context "$cart" "$tmp/catalog/order.yaml" "$tmp/catalog/shop.yaml" >"$tmp/files.json"
"$cc" best --context "$cart" "$tmp/catalog" >"$tmp/dir.json"
cmp -s "$tmp/files.json" "$tmp/dir.json" && ok "a directory is the catalog of its files" || bad "a directory is the catalog of its files"
cp "$shop" "$tmp/catalog/zshop.yaml"
status "a code two files define fails check" 1 "$cc" check "$tmp/catalog"
grep -q 'zshop.yaml:14:5: error\[duplicate\]: duplicate coupon code WELCOME10 (also defined at .*/shop.yaml:14:5)' "$tmp/err" \
    && ok "the duplicate names both positions" || bad "the duplicate names both positions: $(cat "$tmp/err")"
status "best refuses the duplicate too" 2 "$cc" best --context "$cart" "$tmp/catalog"

"$cc" gen-codes --count 20000 --prefix SUM- --length 8 --check >"$tmp/codes"
[ "$(wc -l <"$tmp/codes")" -eq 20000 ] && ok "gen-codes writes N codes" || bad "gen-codes writes N codes"
[ "$(sort -u "$tmp/codes" | wc -l)" -eq 20000 ] && ok "the codes are unique" || bad "the codes are unique"
grep -Evq '^SUM-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{9}$' "$tmp/codes" && bad "codes have the prefix, 8 characters and a check" || ok "codes have the prefix, 8 characters and a check"
status "gen-codes without --count exits 2" 2 "$cc" gen-codes --length 4
status "too many codes for the length exits 2" 2 "$cc" gen-codes --count 1000 --length 2
status "a bad number exits 2" 2 "$cc" gen-codes --count ten

"$cc" best --format text --context "$cart" "$shop" >"$tmp/text"
grep -q 'best combination: BANK5 + TV50 + WELCOME10' "$tmp/text" && grep -q 'does not apply' "$tmp/text" \
    && ok "--format text says what applies and why not" || bad "--format text says what applies and why not"
status "best --indexed" 0 "$cc" best --indexed --context "$cart" "$shop"
python3 - "$tmp/best-src.json" "$tmp/out" <<'PY' && ok "the indexed choice is the full one" || bad "the indexed choice is the full one"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
sys.exit(0 if (a["coupons"], a["discount"], a["total"]) == (b["coupons"], b["discount"], b["total"]) else 1)
PY

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
