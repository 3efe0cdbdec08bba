#!/usr/bin/env python3
"""Orders per second of a simulation through the Python binding, for a file
of orders (JSON lines; `couponc simulate --synthesize N --out FILE` makes
one) against coupon files (default: the example shop).

    python3 bindings/python/bench/bench_simulate.py ORDERS.jsonl [COUPONS.yaml...]

It prints, for both views (eval and best) and for the best combination
alone, the orders per CPU second and per wall-clock second of
catalog.simulate() over the file (bytes lines), over the same orders as
dicts (parsed beforehand, not timed), and with threads=2; then the peak
memory of the process. Compare with `couponc simulate --both --stats`.
Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import couponlib

ROOT = Path(__file__).resolve().parents[3]


def run(name: str, n: int, fn) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    report = fn()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert report.orders + report.errors == n, (report.orders, report.errors, n)
    print(f"{name:40} {n / cpu:>10,.0f} orders/CPU s {n / wall:>10,.0f} orders/s")


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    orders = sys.argv[1]
    catalog = couponlib.compile(sys.argv[2:] or [str(ROOT / "examples/coupons/shop.yaml")])
    with open(orders, "rb") as f:
        n = sum(1 for line in f if line.strip())
    print(f"{n:,} orders, {len(catalog)} coupons")
    run("lines, both views", n, lambda: catalog.simulate(open(orders, "rb")))
    run("lines, best only", n, lambda: catalog.simulate(open(orders, "rb"), eval=False))
    run("lines, both views, threads=2", n,
        lambda: catalog.simulate(open(orders, "rb"), threads=2))
    dicts = [json.loads(line) for line in open(orders, "rb") if line.strip()]
    run("dicts, both views", n, lambda: catalog.simulate(dicts))
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB "
          "(the dicts included)")


if __name__ == "__main__":
    main()
