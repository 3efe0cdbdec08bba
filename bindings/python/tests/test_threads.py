"""Threads: the GIL is released while the C library evaluates, each thread
has its own evaluation state, and a shared Context is guarded.

The proof of parallel evaluation asserts no timing. The extension counts,
without the GIL, how many threads are inside an evaluation at once
(cl_py_enter/cl_py_leave around the C call, after the GIL is released and
before it is taken back). Were the GIL held during the call, that count
could never exceed one, however the threads were scheduled; with the GIL
released, threads that keep evaluating are seen inside together as soon as
the scheduler lets two of them overlap (OS preemption is enough, even on
one core). The loop stops as soon as that is seen; its time bound is only
a guard against hanging.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import couponlib
from couponlib import _cl
from conftest import cart


def heavy():
    """A catalog and a cart on which one evaluation takes a while in C."""
    coupons = "\n".join(
        f"  - code: C{i}\n"
        f"    when: {{ items: {{ sku: {{ matches: \"^S-{i % 7}\" }}, min_quantity: 2 }} }}\n"
        f"    discount: {{ percent: {1 + i % 40}, target: {{ items: {{ category: [c{i % 5}] }} }} }}"
        for i in range(150))
    cat = couponlib.compile("currency: USD\ncoupons:\n" + coupons + "\n")
    items = [{"sku": f"S-{i % 11}-{i}", "quantity": 1 + i % 3, "unit_price": f"{1 + i}.00",
              "categories": [f"c{i % 5}/x"]} for i in range(400)]
    ctx = couponlib.Context({"now": "2026-05-01T10:00:00Z", "currency": "USD",
                             "items": items})
    return cat, ctx


def test_evaluations_run_in_parallel():
    cat, ctx = heavy()
    _cl.cl_py_reset_peak()
    assert _cl.cl_py_peak_inside() == 0
    seen = threading.Event()
    deadline = time.monotonic() + 120

    def work():
        calls = 0
        while not seen.is_set() and time.monotonic() < deadline:
            cat.evaluate(ctx)
            calls += 1
            if _cl.cl_py_peak_inside() >= 2:
                seen.set()
        return calls

    with ThreadPoolExecutor(4) as pool:
        calls = list(pool.map(lambda _: work(), range(4)))
    assert _cl.cl_py_peak_inside() >= 2, f"never two threads inside at once ({calls} calls)"
    assert sum(calls) > 0


def test_best_releases_the_gil_too():
    cat, ctx = heavy()
    _cl.cl_py_reset_peak()
    seen = threading.Event()
    deadline = time.monotonic() + 120

    def work():
        while not seen.is_set() and time.monotonic() < deadline:
            cat.best(ctx)
            if _cl.cl_py_peak_inside() >= 2:
                seen.set()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _cl.cl_py_peak_inside() >= 2


def test_threads_get_their_own_results(shop):
    """Each thread's results are its own, whatever the others evaluate."""
    carts = [cart(items=[{"sku": "OLED-65", "quantity": 1 + k, "unit_price": "1899.00",
                          "categories": ["electronics/tv/oled"]},
                         {"sku": "COAT-M", "quantity": 1, "unit_price": f"{100 + k}.00",
                          "categories": ["fashion/coats"]}])
             for k in range(8)]
    want = [(shop.evaluate(c), shop.best(c)) for c in carts]
    prepared = [couponlib.Context(c) for c in carts]

    def work(k):
        for i in range(60):
            c = carts[k] if i % 2 else prepared[k]
            if (shop.evaluate(c), shop.best(c)) != want[k]:
                return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))


def test_each_thread_has_its_own_state():
    env = couponlib.Env()
    here = env._state()
    assert env._state() is here
    box = []
    t = threading.Thread(target=lambda: box.append(env._state()))
    t.start()
    t.join()
    assert box and box[0] is not here


def test_one_context_read_by_many_threads(shop, ctx_dict):
    ctx = couponlib.Context(ctx_dict)
    want = shop.evaluate(ctx)
    with ThreadPoolExecutor(6) as pool:
        assert all(r == want for r in pool.map(lambda _: shop.evaluate(ctx), range(300)))
    assert ctx._readers == 0


def test_changing_a_context_that_threads_evaluate(shop, ctx_dict):
    """Changes and evaluations of one Context from several threads: each
    either happens or raises RuntimeError; nothing is torn."""
    ctx = couponlib.Context(ctx_dict)
    stop = time.monotonic() + 3
    errors = {"eval": 0, "change": 0}
    good = {r.code for r in shop.evaluate(ctx)}

    def evaluate():
        n = 0
        while time.monotonic() < stop and n < 3000:
            n += 1
            try:
                assert {r.code for r in shop.evaluate(ctx)} == good
            except RuntimeError:
                errors["eval"] += 1

    def change():
        n = 0
        while time.monotonic() < stop and n < 3000:
            n += 1
            try:
                ctx.set("user.id", f"u-{n}")
            except RuntimeError:
                errors["change"] += 1

    threads = [threading.Thread(target=evaluate) for _ in range(3)] + \
        [threading.Thread(target=change)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ctx._readers == 0 and not ctx._writing
    ctx.set("user.id", "u-7")
    assert shop.evaluate(ctx) == shop.evaluate(ctx_dict)


@pytest.mark.parametrize("n", [2, 4])
def test_threads_compile_at_once(n):
    """Threads may compile at once (the GIL is released while they do)."""
    src = "currency: USD\ncoupons:\n" + "\n".join(
        f"  - {{ code: K{i}, discount: {{ amount: \"1.00\" }} }}" for i in range(300)) + "\n"
    with ThreadPoolExecutor(n) as pool:
        cats = list(pool.map(lambda _: couponlib.compile(src), range(6)))
    assert all(c.codes == cats[0].codes for c in cats)
