#!/bin/sh
# couponc simulate from the outside: the synthesizer (deterministic, and
# realistic: tests/sim/orders.py), the same report from plain, gzip,
# concatenated gzip and standard input, from 1 to 3 threads, bad lines
# (reported with their numbers, counted, --strict fatal), broken gzip,
# usage errors, the table, and peak memory that does not grow with the
# number of orders. Ends with "N passed, M failed".
#
#   check.sh COUPONC SRCROOT SANITIZE
couponc=$1
srcroot=$2
sanitize=$3
coupons=$srcroot/examples/coupons/shop.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { # check WHAT COMMAND...: passes when the command succeeds
    what=$1; shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# ASan keeps freed memory in quarantine, which would make the peak grow
# with the work done; the memory check turns it off.
if [ "$sanitize" != none ]; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
    export ASAN_OPTIONS
fi

# --- the synthesizer --------------------------------------------------
"$couponc" simulate --synthesize 4000 --seed 7 --out "$tmp/a.jsonl"
"$couponc" simulate --synthesize 4000 --seed 7 >"$tmp/b.jsonl"
"$couponc" simulate --synthesize 4000 --seed 8 --out "$tmp/c.jsonl"
check "the same seed gives the same orders" cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl"
check "another seed gives other orders" eval '! cmp -s "$tmp/a.jsonl" "$tmp/c.jsonl"'
check "4000 lines" [ "$(wc -l <"$tmp/a.jsonl")" -eq 4000 ]
"$couponc" simulate --synthesize 4000 --seed 7 --out "$tmp/a2.jsonl.gz"
check "--out FILE.gz writes gzip" sh -c "gzip -dc '$tmp/a2.jsonl.gz' | cmp -s - '$tmp/a.jsonl'"
if python3 "$srcroot/tests/sim/orders.py" "$tmp/a.jsonl" 2025 America/New_York >"$tmp/orders.log"; then
    ok "the synthetic history is realistic ($(tail -1 "$tmp/orders.log"))"
else
    cat "$tmp/orders.log"
    fail "the synthetic history is realistic"
fi
"$couponc" simulate --synthesize 300 --seed 2 --year 2024 --timezone Asia/Tokyo --out "$tmp/t.jsonl"
if python3 "$srcroot/tests/sim/orders.py" "$tmp/t.jsonl" 2024 Asia/Tokyo >"$tmp/orders2.log"; then
    ok "--year and --timezone"
else
    grep FAIL "$tmp/orders2.log" | grep -v -e busiest -e busier -e Christmas -e November
    # Few orders cannot show the calendar: only the other checks must pass.
    if grep FAIL "$tmp/orders2.log" | grep -q -v -e busiest -e busier -e Christmas -e November; then
        fail "--year and --timezone"
    else
        ok "--year and --timezone"
    fi
fi
check "--synthesize 0 writes nothing" sh -c "'$couponc' simulate --synthesize 0 | cmp -s - /dev/null"

# --- one report, however the orders come -----------------------------
# The first 1500 orders, replayed many ways.
head -1500 "$tmp/a.jsonl" >"$tmp/o.jsonl"
sim() { "$couponc" simulate --both --json "$@" "$coupons"; }
sim --orders "$tmp/o.jsonl" >"$tmp/r1.json"
check "every line is a valid order (--strict)" \
    "$couponc" simulate --strict --orders "$tmp/o.jsonl" "$coupons" >/dev/null
check "1500 orders counted" grep -q '"orders": 1500, "errors": 0' "$tmp/r1.json"
check "the report is JSON" python3 -m json.tool "$tmp/r1.json" >/dev/null
gzip -c "$tmp/o.jsonl" >"$tmp/o.jsonl.gz"
head -700 "$tmp/o.jsonl" | gzip -c >"$tmp/cat.gz"
tail -n +701 "$tmp/o.jsonl" | gzip -c >>"$tmp/cat.gz"
cp "$tmp/o.jsonl.gz" "$tmp/compressed.data"
sim --orders "$tmp/o.jsonl.gz" >"$tmp/r2.json"
check "gzip gives the same report" cmp -s "$tmp/r1.json" "$tmp/r2.json"
sim --orders "$tmp/compressed.data" >"$tmp/r2b.json"
check "gzip is told by its magic, not by the name" cmp -s "$tmp/r1.json" "$tmp/r2b.json"
sim --orders "$tmp/cat.gz" >"$tmp/r3.json"
check "concatenated gzip members are read on" cmp -s "$tmp/r1.json" "$tmp/r3.json"
sim --orders - <"$tmp/o.jsonl" >"$tmp/r4.json"
check "standard input" cmp -s "$tmp/r1.json" "$tmp/r4.json"
sim --orders - <"$tmp/o.jsonl.gz" >"$tmp/r4b.json"
check "gzip on standard input" cmp -s "$tmp/r1.json" "$tmp/r4b.json"
for n in 2 3; do
    sim --orders "$tmp/o.jsonl" --threads $n >"$tmp/r5.json"
    check "--threads $n gives the same report" cmp -s "$tmp/r1.json" "$tmp/r5.json"
    sim --orders "$tmp/o.jsonl.gz" --threads $n >"$tmp/r6.json"
    check "--threads $n over gzip gives the same report" cmp -s "$tmp/r1.json" "$tmp/r6.json"
done
# CRLF line ends and no final newline.
sed 's/$/\r/' "$tmp/o.jsonl" | head -c -2 >"$tmp/crlf.jsonl"
sim --orders "$tmp/crlf.jsonl" >"$tmp/r7.json"
check "CRLF line ends, no final newline" cmp -s "$tmp/r1.json" "$tmp/r7.json"
# A view at a time, and the table.
"$couponc" simulate --orders "$tmp/o.jsonl" "$coupons" >"$tmp/table.txt"
check "the table has each coupon alone" grep -q "^Each coupon alone (as if every code had been entered)" "$tmp/table.txt"
check "the table has a row per coupon" grep -q "^  WELCOME10 " "$tmp/table.txt"
check "the table has no best section by default" eval '! grep -q "^Best combination" "$tmp/table.txt"'
"$couponc" simulate --best --indexed --orders "$tmp/o.jsonl" "$coupons" >"$tmp/table2.txt"
check "--best --indexed: the best section alone" sh -c "grep -q '^Best combination of each order (automatic coupons and the codes entered; through the catalog index)' '$tmp/table2.txt' && ! grep -q '^Each coupon' '$tmp/table2.txt'"
"$couponc" simulate --both --entered --orders "$tmp/o.jsonl" "$coupons" >"$tmp/table3.txt"
check "--entered says so" grep -q "^Each coupon alone (codes as the customers entered them)" "$tmp/table3.txt"
check "1,500 orders in the table" grep -q "^1,500 orders in USD" "$tmp/table3.txt"

# --- bad lines ----------------------------------------------------------
{
    head -3 "$tmp/o.jsonl"
    echo '{"now": "2026-01-01T00:00:00Z", "currency": "USD", "items": [}'     # line 4
    echo
    echo '   '
    sed -n 4,5p "$tmp/o.jsonl"
    echo '{"now": "yesterday", "currency": "USD", "items": []}'                # line 9
    echo '{"now": "2026-01-01T00:00:00Z", "currency": "EUR", "items": []}'     # line 10
    sed -n 6p "$tmp/o.jsonl"
} >"$tmp/bad.jsonl"
"$couponc" simulate --json --orders "$tmp/bad.jsonl" "$coupons" >"$tmp/bad.json" 2>"$tmp/bad.err"
check "bad lines: exit 0 with a report" [ $? -eq 0 ]
check "bad lines: counted" grep -q '"orders": 6, "errors": 3' "$tmp/bad.json"
check "a syntax error names its line and column" grep -q "bad.jsonl:4:[0-9]*: error\[syntax\]" "$tmp/bad.err"
check "a bad date names its line and path" grep -q "bad.jsonl:9:.*error\[date\].*(at now)" "$tmp/bad.err"
check "another currency names its line" grep -q "bad.jsonl:10: error\[currency\]: the order is in EUR, the simulation in USD" "$tmp/bad.err"
"$couponc" simulate --json --currency EUR --orders "$tmp/bad.jsonl" "$coupons" >"$tmp/eur.json" 2>/dev/null
check "--currency EUR keeps the EUR order" grep -q '"orders": 1, "errors": 8' "$tmp/eur.json"
"$couponc" simulate --max-errors 1 --orders "$tmp/bad.jsonl" "$coupons" >/dev/null 2>"$tmp/bad1.err"
check "--max-errors 1 prints one and counts all" sh -c "[ \$(grep -c error '$tmp/bad1.err') -eq 1 ] && grep -q '3 lines refused (1 shown)' '$tmp/bad1.err'"
"$couponc" simulate --strict --orders "$tmp/bad.jsonl" "$coupons" >"$tmp/strict.out" 2>"$tmp/strict.err"
check "--strict: the first bad line is fatal (exit 2)" [ $? -eq 2 ]
check "--strict: no report" [ ! -s "$tmp/strict.out" ]
check "--strict: says where" grep -q "bad.jsonl:4:" "$tmp/strict.err"
# A line longer than the context size limit is refused, and the lines
# after it are read.
python3 -c "import sys; sys.stdout.write('{\"now\": \"' + 'x' * (17 << 20) + '\"}\n')" >"$tmp/long.jsonl"
head -2 "$tmp/o.jsonl" >>"$tmp/long.jsonl"
"$couponc" simulate --json --orders "$tmp/long.jsonl" "$coupons" >"$tmp/long.json" 2>"$tmp/long.err"
check "an over-long line is refused and the next ones read" grep -q '"orders": 2, "errors": 1' "$tmp/long.json"
check "an over-long line says why" grep -q "long.jsonl:1:.*error\[limit\]" "$tmp/long.err"

# --- broken input and usage ----------------------------------------------
head -c 3000 "$tmp/o.jsonl.gz" >"$tmp/trunc.gz"
"$couponc" simulate --orders "$tmp/trunc.gz" "$coupons" >/dev/null 2>"$tmp/trunc.err"
check "a truncated gzip stream is fatal (exit 2)" [ $? -eq 2 ]
check "a truncated gzip stream says so" grep -q "truncated" "$tmp/trunc.err"
{ head -c 100 "$tmp/o.jsonl.gz"; head -c 500 /dev/zero; } >"$tmp/corrupt.gz"
"$couponc" simulate --orders "$tmp/corrupt.gz" "$coupons" >/dev/null 2>"$tmp/corrupt.err"
check "corrupt gzip data is fatal (exit 2)" [ $? -eq 2 ]
check "corrupt gzip data says so" grep -q "corrupt gzip data" "$tmp/corrupt.err"
usage() { # usage WHAT ARGS...: exit 2
    what=$1; shift
    "$couponc" simulate "$@" >/dev/null 2>&1
    if [ $? -eq 2 ]; then ok "$what"; else fail "$what"; fi
}
usage "no --orders" "$coupons"
usage "no coupon file" --orders "$tmp/o.jsonl"
usage "a missing orders file" --orders "$tmp/none.jsonl" "$coupons"
usage "a bad coupon file" --orders "$tmp/o.jsonl" "$tmp/o.jsonl"
usage "--threads -1" --threads -1 --orders "$tmp/o.jsonl" "$coupons"
usage "--threads x" --threads x --orders "$tmp/o.jsonl" "$coupons"
usage "an unknown option" --fast --orders "$tmp/o.jsonl" "$coupons"
usage "an unknown currency" --currency XYZ --orders "$tmp/o.jsonl" "$coupons"
usage "--synthesize -5" --synthesize -5
usage "--synthesize x" --synthesize x
usage "--synthesize with a bad --year" --synthesize 5 --year 12
usage "--synthesize with an unknown zone" --synthesize 5 --timezone Mars/Olympus
usage "--synthesize into a missing directory" --synthesize 5 --out "$tmp/no/such/dir.jsonl"
check "simulate --help" sh -c "'$couponc' simulate --help | grep -q 'usage: couponc simulate'"

# --- peak memory does not grow with the orders --------------------------
"$couponc" simulate --synthesize 30000 --seed 3 --out "$tmp/big.jsonl.gz"
gzip -dc "$tmp/big.jsonl.gz" | head -3000 >"$tmp/small.jsonl"
# The peak as couponc measures it (--stats: getrusage), run from this shell.
rss() { # rss ORDERS THREADS: peak resident KiB of couponc simulate
    "$couponc" simulate --both --json --stats --threads "$2" --orders "$1" "$coupons" \
        2>&1 >/dev/null | sed -n 's/.*peak memory \([0-9]*\) KiB.*/\1/p'
}
for t in 1 2; do
    small=$(rss "$tmp/small.jsonl" $t)
    big=$(rss "$tmp/big.jsonl.gz" $t)
    if [ -n "$small" ] && [ -n "$big" ] && [ "$big" -le $((small + small / 10 + 1024)) ]; then
        ok "peak memory, $t thread(s): $small KiB for 3,000 orders, $big KiB for 30,000"
    else
        fail "peak memory, $t thread(s): $small KiB for 3,000 orders, $big KiB for 30,000"
    fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
