"""The benchmarks' carts, generated from a seed: the same arithmetic as
bench/c/cart.c and bench/node/cart.js (keep them in step), so that every
runner decides on exactly the same carts.

A cart is a plain dict: now (seconds since the epoch), user_id, tags,
orders_completed, method, shipping (cents), uses_total, uses_user (the W1
coupon's usage) and lines, each a dict of sku, quantity, unit_price (cents)
and category.
"""

M32 = 0xFFFFFFFF
DEPTS = ("electronics", "home", "fashion", "toys", "garden")
METHODS = ("card", "wallet", "paypal", "card")
TAGS = (("new",), ("vip",), ("gold",), ("vip", "gold"))

W1_SEED = 1
W2_SEED = 779


def cart_hash(seed, k):
    x = (seed * 0x9E3779B1 + k * 0x85EBCA77) & M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    x ^= x >> 16
    return x


def lines_of(seed):
    """The number of lines of cart seed in the bulk workload (W3)."""
    return 1 + cart_hash(seed, 9) % 10


def make(seed, nlines):
    lines = []
    for i in range(nlines):
        r = cart_hash(seed, 10 + i)
        lines.append({
            "sku": "SKU-%d" % (r % 5000),
            "quantity": 1 + (r >> 13) % 3,
            "unit_price": 199 + (r >> 15) % 20000,
            "category": "%s/c%d" % (DEPTS[(r >> 5) % 5], (r >> 9) % 8),
        })
    return {
        "now": 1795000000 + cart_hash(seed, 0) % 604800,
        "user_id": "u-%d" % (cart_hash(seed, 1) % 5000),
        "tags": list(TAGS[cart_hash(seed, 2) % 4]),
        "orders_completed": cart_hash(seed, 3) % 20,
        "method": METHODS[cart_hash(seed, 4) % 4],
        "shipping": 499,
        "uses_total": cart_hash(seed, 5) % 1000,
        "uses_user": cart_hash(seed, 6) % 7,
        "lines": lines,
    }
