#!/usr/bin/env python3
"""Writes the data the benchmark runners share into a directory:

    w2.yaml          W2's and W4's catalog: 10,000 coupons (6,000 that need
                     their code, 4,000 automatic ones), the same catalog as
                     `couponc bench best10k`
    w2-coupons.json  the same coupons as plain records, which the peers
                     turn into their own rules (see records() below)
    w1.json, w2.json the W1 and W2 carts as couponlib contexts (SPEC 3)

    bench/workloads.py DIR

W1's coupon is bench/w1.yaml; the carts come from bench/python/cart.py
(and its C and JavaScript twins). Nothing here is random: the same files
come out every time.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import cart  # noqa: E402

DEPTS = ("electronics", "home", "fashion", "toys", "garden")
W2_CODES = ["C00004", "C00015"]


def category(i):
    """Category path number i of 40, as src/cli/cmd_bench.c names them."""
    return "%s/c%d" % (DEPTS[i % 40 // 8], i % 8)


def records():
    """The 10,000 coupons of cmd_bench.c's catalog10k, as plain records.

    Each has code, automatic, group, owner, and the conditions weekday
    (ISO numbers, 1 = Monday), methods, category (a path: some line in
    it or under it) and min_subtotal (cents), each None when absent; and a
    discount: kind (percent or amount), value (basis points or cents), max
    (cents or None) and target (None: the whole order; {"skus": [...]}
    or {"category": path}: the lines that match)."""
    out = []
    for i in range(10000):
        r = {"code": "C%05d" % i, "automatic": False, "group": None, "owner": None,
             "weekday": None, "methods": None, "category": None, "min_subtotal": None,
             "discount": None}
        if i % 10 >= 4:
            r["min_subtotal"] = (20 + i % 200) * 100
            r["discount"] = {"kind": "percent", "value": (5 + i % 20) * 100,
                             "max": (10 + i % 50) * 100, "target": None}
            out.append(r)
            continue
        r["automatic"] = True
        k = i % 16
        if k == 0:
            r["group"] = "weekend"
            r["weekday"] = [6, 7]
            r["min_subtotal"] = (50 + i % 100) * 100
            r["discount"] = {"kind": "amount", "value": (5 + i % 10) * 100, "max": None,
                             "target": None}
        elif k == 1:
            r["group"] = "partner"
            r["methods"] = ["upi", "klarna"]
            r["discount"] = {"kind": "percent", "value": (2 + i % 5) * 100, "max": None,
                             "target": None}
        elif k in (2, 3):
            r["owner"] = "u-%d" % (i % 5000)
            r["discount"] = {"kind": "amount", "value": 700, "max": None, "target": None}
        elif k == 10:
            cat = category(i // 16)
            r["group"] = cat
            r["category"] = cat
            r["discount"] = {"kind": "percent", "value": (3 + i % 7) * 100, "max": None,
                             "target": {"category": cat}}
        else:
            r["discount"] = {"kind": "percent", "value": (5 + i % 15) * 100, "max": None,
                             "target": {"skus": ["SKU-%d" % (i * 7 % 5000),
                                                 "SKU-%d" % (i * 13 % 5000)]}}
        out.append(r)
    return out


def money(cents):
    return "%d.%02d" % (cents // 100, cents % 100)


def yaml_of(recs):
    """The catalog as couponlib YAML, line for line as cmd_bench.c writes it."""
    days = {6: "sat", 7: "sun"}
    out = ["version: 1\ncurrency: USD\ntimezone: America/New_York\ncoupons:\n"]
    for r in recs:
        d = r["discount"]
        out.append("  - code: %s\n" % r["code"])
        if not r["automatic"]:
            out.append('    when: { cart.subtotal: { gte: "%s" } }\n' % money(r["min_subtotal"]))
            out.append('    discount: { percent: %d, max_amount: "%s" }\n'
                       % (d["value"] // 100, money(d["max"])))
            continue
        out.append("    automatic: true\n")
        if r["weekday"]:
            out.append("    group: %s\n    when: { weekday: [%s], cart.subtotal: { gte: \"%s\" } }\n"
                       "    discount: { amount: \"%s\" }\n"
                       % (r["group"], ", ".join(days[w] for w in r["weekday"]),
                          money(r["min_subtotal"]), money(d["value"])))
        elif r["methods"]:
            out.append("    group: %s\n    when: { payment.method: [%s] }\n"
                       "    discount: { percent: %d }\n"
                       % (r["group"], ", ".join(r["methods"]), d["value"] // 100))
        elif r["owner"]:
            out.append("    owner: %s\n    discount: { amount: \"%s\" }\n"
                       % (r["owner"], money(d["value"])))
        elif r["category"]:
            out.append("    group: %s\n    when: { category: [%s] }\n    discount: { percent: %d, "
                       "target: { items: { category: [%s] } } }\n"
                       % (r["group"], r["category"], d["value"] // 100, r["category"]))
        else:
            out.append("    discount: { percent: %d, target: { items: { sku: [%s] } } }\n"
                       % (d["value"] // 100, ", ".join(d["target"]["skus"])))
    return "".join(out)


def rfc3339(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def context_of(c, codes=()):
    """A cart (bench/python/cart.py) as a couponlib context (SPEC 3)."""
    return {
        "now": rfc3339(c["now"]),
        "currency": "USD",
        "codes": list(codes),
        "user": {"id": c["user_id"], "tags": c["tags"], "orders_completed": c["orders_completed"]},
        "payment": {"method": c["method"]},
        "shipping": {"amount": money(c["shipping"])},
        "items": [{"sku": l["sku"], "quantity": l["quantity"], "unit_price": money(l["unit_price"]),
                   "categories": [l["category"]]} for l in c["lines"]],
        "usage": {"SEVEN": {"total": c["uses_total"], "user": c["uses_user"]}},
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: workloads.py DIR")
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    recs = records()
    files = {
        "w2.yaml": yaml_of(recs),
        "w2-coupons.json": json.dumps(recs, separators=(",", ":")) + "\n",
        "w1.json": json.dumps(context_of(cart.make(cart.W1_SEED, 10)), indent=1) + "\n",
        "w2.json": json.dumps(context_of(cart.make(cart.W2_SEED, 10), W2_CODES), indent=1) + "\n",
    }
    for name, text in files.items():
        path = os.path.join(d, name)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)


if __name__ == "__main__":
    main()
