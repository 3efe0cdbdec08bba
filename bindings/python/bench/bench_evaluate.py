#!/usr/bin/env python3
"""The cost of one evaluate() / best() call from Python, for a 10-line cart
against the example shop's catalog (examples/coupons/shop.yaml, 11 coupons).

    python3 bindings/python/bench/bench_evaluate.py [--seconds S] [--threads N]

For each way of passing the context (a dict, JSON text, a prepared Context)
it prints the median over several timed runs of the microseconds per call,
then the cost of the C evaluation alone for comparison (evaluate_json on a
prepared Context, which builds no Python objects but the JSON string), and
with --threads N the throughput of N threads sharing the catalog (with a
10-line cart much of a call is Python's, which holds the GIL; --lines 300
shows the scaling when the C evaluation dominates). Figures only: nothing
here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import couponlib

ROOT = Path(__file__).resolve().parents[3]


def cart(lines: int = 10) -> dict:
    """A Black Friday checkout with `lines` lines across a few categories."""
    cats = ["electronics/tv/oled", "fashion/coats", "fashion/accessories",
            "electronics/cables", "home/kitchen"]
    items = []
    for i in range(lines):
        items.append({"sku": f"SKU-{i:03d}" if i % 4 else f"HDMI-{i}",
                      "quantity": 1 + i % 3, "unit_price": f"{19 + 7 * i}.{i % 10}9",
                      "categories": [cats[i % len(cats)]], "on_sale": i % 5 == 4})
    return {"now": "2026-11-27T14:00:00Z", "currency": "USD", "codes": ["VIP20", "TENTH"],
            "user": {"id": "u-7", "email": "ann@example.com", "tags": ["vip"],
                     "orders_completed": 9},
            "payment": {"method": "card", "network": "mastercard", "bin": "552260"},
            "shipping": {"method": "express", "country": "US", "amount": "12.00"},
            "items": items, "usage": {"TENTH": {"total": 12, "user": 0}}}


def per_call(fn, seconds: float, repeats: int = 7) -> tuple[float, float]:
    """Median microseconds per call of fn over `repeats` runs: wall-clock
    time, and the CPU time of this process (less disturbed by other jobs on
    a shared machine)."""
    n = 1
    while True:                      # calibrate: a run of about seconds/repeats
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt > seconds / repeats / 4:
            break
        n *= 2
    n = max(1, int(n * (seconds / repeats) / dt))
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(n):
            fn()
        wall.append((time.perf_counter() - t) / n * 1e6)
        cpu.append((time.process_time() - c) / n * 1e6)
    return statistics.median(wall), statistics.median(cpu)


def threaded(fn, threads: int, seconds: float) -> float:
    """Calls per second of `threads` threads calling fn for `seconds`."""
    stop = time.perf_counter() + seconds
    counts = [0] * threads

    def work(k):
        c = 0
        while time.perf_counter() < stop:
            for _ in range(50):
                fn()
            c += 50
        counts[k] = c

    t = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return sum(counts) / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="time per figure")
    ap.add_argument("--lines", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0, help="also measure N threads")
    args = ap.parse_args()

    catalog = couponlib.compile(ROOT / "examples" / "coupons" / "shop.yaml")
    data = cart(args.lines)
    text = json.dumps(data)
    prepared = couponlib.Context(data)
    assert catalog.evaluate(data) == catalog.evaluate(prepared)

    print(f"couponlib {couponlib.__version__}, Python {sys.version.split()[0]}, "
          f"{len(catalog)} coupons, {args.lines}-line cart, {os.cpu_count()} cores")
    rows = [
        ("evaluate(dict)", lambda: catalog.evaluate(data)),
        ("evaluate(JSON text)", lambda: catalog.evaluate(text)),
        ("evaluate(Context)", lambda: catalog.evaluate(prepared)),
        ("best(dict)", lambda: catalog.best(data)),
        ("best(Context)", lambda: catalog.best(prepared)),
        ("evaluate_json(Context)", lambda: catalog.evaluate_json(prepared)),
        ("Context(dict)", lambda: couponlib.Context(data)),
    ]
    print(f"  {'':24} {'wall':>8} {'cpu':>8}  (microseconds per call, median of 7 runs)")
    for name, fn in rows:
        wall, cpu = per_call(fn, args.seconds)
        print(f"  {name:24} {wall:8.2f} {cpu:8.2f}")
    if args.threads:
        fn = rows[2][1]
        one = threaded(fn, 1, args.seconds)
        many = threaded(fn, args.threads, args.seconds)
        print(f"  evaluate(Context), 1 thread:  {one:10.0f} calls/s")
        print(f"  evaluate(Context), {args.threads} threads: {many:10.0f} calls/s "
              f"({many / one:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
