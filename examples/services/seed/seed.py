#!/usr/bin/env python3
"""Seeds the demo shop through the gateway: categories, products, coupons.

    CL_GATEWAY=http://127.0.0.1:18400 CL_ADMIN_EMAIL=... CL_ADMIN_PASSWORD=... seed.py DIR

Idempotent: products and categories are upserted; coupons that exist are kept.
"""
import json
import os
import pathlib
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shopapi import call, login  # noqa: E402


def main(seed_dir):
    d = pathlib.Path(seed_dir)
    token = login(os.environ["CL_ADMIN_EMAIL"], os.environ["CL_ADMIN_PASSWORD"])
    data = json.loads((d / "catalog.json").read_text())
    for c in data["categories"]:
        st, body = call("POST", "/api/catalog/categories", c, token)
        if st != 200:
            raise SystemExit(f"category {c['path']}: {st} {body}")
    for p in data["products"]:
        p = dict(p)
        sku = p.pop("sku")
        st, body = call("PUT", f"/api/catalog/products/{sku}", p, token)
        if st != 200:
            raise SystemExit(f"product {sku}: {st} {body}")
    n = 0
    for f in sorted((d / "coupons").glob("*.yaml")):
        st, body = call("POST", "/api/coupons", {"source": f.read_text()}, token)
        if st not in (201, 409):
            raise SystemExit(f"coupon {f.name}: {st} {body}")
        n += st == 201
    print(f"seed: {len(data['categories'])} categories, {len(data['products'])} products, "
          f"{n} new coupons", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
