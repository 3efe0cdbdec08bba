#!/usr/bin/env bash
# The main job: compiles the example coupons and evaluates them against the
# example carts, showing what applies, what it takes off, and why the rest
# does not apply. Installs what it needs on first run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh core
if [ ! -f build/demo/build.ninja ]; then
    meson setup build/demo -Dbuildtype=release -Dtests=disabled >/dev/null
fi
ninja -C build/demo >/dev/null
cc=build/demo/src/couponc
coupons=(examples/coupons/*.yaml)

echo "== compiling ${coupons[*]}"
"$cc" check "${coupons[@]}"

for cart in examples/carts/*.json; do
    echo
    echo "== $cart: the best combination for the codes entered"
    "$cc" best --format text --context "$cart" "${coupons[@]}"
done

first=examples/carts/first-order.json
echo
echo "== $first: every coupon, as if its code had been entered"
"$cc" eval --format text --context "$first" "${coupons[@]}"
