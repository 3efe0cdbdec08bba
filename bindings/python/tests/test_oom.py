"""Out-of-memory sweeps, as SQLite and Lua do them: fail the Nth allocation
of an operation for N = 0, 1, 2, ... until it succeeds. Every failure must
be a MemoryError (never a crash, never another error) and must free
everything it made, to the byte."""

from __future__ import annotations

import gc
import json

import pytest

import couponlib
from couponlib import _cl
from conftest import SHOP, cart

SOURCE = SHOP.read_text()


def sweep(operation) -> int:
    """Runs operation() with allocation N failing, for N = 0, 1, ... until
    it succeeds; returns how many allocations it needed."""
    gc.collect()
    base = couponlib.memory_in_use()
    for n in range(100000):
        _cl.cl_py_fail_after(n)
        try:
            operation()
            done = True
        except MemoryError:
            done = False
        finally:
            _cl.cl_py_fail_after(-1)
        gc.collect()
        assert couponlib.memory_in_use() == base, f"allocation {n}: memory not freed"
        if done:
            return n
    raise AssertionError("never succeeded")


def test_compile():
    assert sweep(lambda: couponlib.compile(SOURCE, env=couponlib.Env())) > 10


def test_link_save_load():
    env = couponlib.Env()
    a = couponlib.compile(SOURCE, env=env)
    b = couponlib.compile("code: X\ndiscount: { percent: 5 }\n", env=env)
    data = a.save()
    a.evaluate(cart())           # the thread's evaluation state, kept by env
    sweep(lambda: couponlib.link(a, b))
    sweep(lambda: couponlib.load(data, env=env).evaluate(cart()))
    sweep(a.save)


@pytest.mark.parametrize("how", ["dict", "text", "context"])
def test_evaluate_and_best(how):
    env = couponlib.Env()
    cat = couponlib.compile(SOURCE, env=env)

    def run():
        ctx = {"dict": cart, "text": lambda: json.dumps(cart()),
               "context": lambda: couponlib.Context(cart(), env=env)}[how]()
        cat.evaluate(ctx)
        cat.evaluate(ctx, coupons=["TV50", "STAFF"])
        cat.best(ctx)
        cat.best(ctx, indexed=True)
        cat.evaluate_json(ctx, entered=True)
    run()                        # the thread's evaluation state, kept by env
    assert sweep(run) > 0        # at least one allocation failed on the way


def test_context_setters():
    def run():
        ctx = couponlib.Context(env=couponlib.Env(tzdir="/usr/share/zoneinfo"))
        ctx.set_currency("USD")
        ctx.set_timezone("America/New_York")
        for i in range(20):
            ctx.add_item(f"SKU-{i}", 1, "1.00", categories=["a/b"], tags=["t"], on_sale=True)
            ctx.add_code(f"C{i}")
            ctx.add_user_tag(f"t{i}")
            ctx.set_usage(f"C{i}", total=1, spent="1.00")
        ctx.set("user.id", "u")
    sweep(run)
