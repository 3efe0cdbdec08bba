#!/usr/bin/env python3
"""A scripted purchase with coupons through the gateway, as a shopper would make it.

Registers a new customer, browses the kitchen, fills a cart, asks why codes do or
do not apply, checks out with a partner-bank card and the KITCHEN15 code, and prints
the order. Exits 1 when any step fails.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shopapi import call, login  # noqa: E402


def step(what, st, body, want):
    ok = st == want
    print(f"{'ok ' if ok else 'FAIL'} {what}: {st}", file=sys.stderr)
    if not ok:
        print(body, file=sys.stderr)
        raise SystemExit(1)
    return body


def main():
    email = f"shopper-{int(time.time() * 1000)}@example.com"
    step("register", *call("POST", "/api/auth/register",
                           {"email": email, "password": "correct horse 1", "name": "Demo"}), 201)
    tok = login(email, "correct horse 1")
    found = step("search the kitchen", *call("GET", "/api/catalog/products?category=home"), 200)
    print("  found: " + ", ".join(p["sku"] for p in found["items"]), file=sys.stderr)
    step("add a kettle", *call("POST", "/api/cart/items", {"sku": "KETTLE", "quantity": 1}, tok), 200)
    cart = step("add two mug sets", *call("POST", "/api/cart/items",
                                          {"sku": "MUG-SET", "quantity": 2}, tok), 200)
    print(f"  cart subtotal {cart['subtotal']}", file=sys.stderr)
    pay = {"method": "card", "network": "visa", "bin": "411111"}
    v = step("validate KITCHEN15 and CABLES3", *call(
        "POST", "/api/coupons/validate",
        {"codes": ["KITCHEN15", "CABLES3"], "payment": pay, "shipping": {"method": "standard"}},
        tok), 200)
    for c in v["codes"]:
        why = "; ".join(r["message"] for r in c["reasons"]) or "applies"
        print(f"  {c['code']}: {c['discount']} ({why})", file=sys.stderr)
    order = step("check out", *call("POST", "/api/checkout",
                                    {"codes": ["KITCHEN15", "BANK5"], "payment": pay,
                                     "shipping": {"method": "standard", "country": "US"}},
                                    tok, {"Idempotency-Key": "demo-" + email}), 201)
    print(f"  order {order['number']} (your order #{order['sequence']}): subtotal "
          f"{order['subtotal']} - discount {order['discount']} + shipping {order['shipping']} "
          f"= {order['total']} with {', '.join(order['coupons'])}", file=sys.stderr)
    if float(order["discount"]) <= 0:
        raise SystemExit("FAIL no discount was applied")
    print(order["number"])


if __name__ == "__main__":
    main()
