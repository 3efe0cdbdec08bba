"""Memory: every C object the binding makes is freed, and the interpreter
exits cleanly whatever is left alive.

Every environment allocates through the binding's counting allocator, so
couponlib.memory_in_use() is exact: after the objects of an environment
are gone, it is back to what it was, to the byte.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading

import couponlib
from conftest import SHOP, cart


def settle() -> int:
    gc.collect()
    return couponlib.memory_in_use()


def test_everything_is_freed():
    base = settle()
    env = couponlib.Env()
    assert couponlib.memory_in_use() > base
    for _ in range(20):
        cat = couponlib.compile(SHOP, env=env)
        both = couponlib.link(cat, couponlib.compile("code: X\ndiscount: { percent: 5 }\n",
                                                     env=env))
        ctx = couponlib.Context(cart(), env=env)
        both.evaluate(ctx)
        both.best(cart())
        both.evaluate_json(cart(), entered=True)
        both.evaluate(cart(), coupons=["X"])
        ctx.add_item("EXTRA", 1, "1.00", categories=["a"], tags=["b"])
        ctx.fill(cart())
        ctx.clear()
        both.disasm()
        again = couponlib.load(both.save(), env=env)
        again.best(cart(), indexed=True)
    assert couponlib.memory_in_use() > base
    del cat, both, ctx, env, again
    assert settle() == base


def test_errors_free_what_they_made():
    base = settle()
    env = couponlib.Env()
    for _ in range(20):
        for bad in ("code: A\ndiscount: { percent: 200 }\n", "coupons: [\n",
                    "currency: USD\ncoupons:\n  - { code: A, discount: { amount: 1 } }\n"
                    "  - { code: a, discount: { amount: 1 } }\n"):
            try:
                couponlib.compile(bad, env=env)
            except couponlib.CompileError:
                pass
        for bad in (cart(now="x"), cart(items=[{"sku": "A"}]), "{", cart(user={1: 2})):
            try:
                couponlib.Context(bad, env=env)
            except couponlib.ContextError:
                pass
        data = couponlib.compile("code: A\ndiscount: { percent: 5 }\n", env=env).save()
        for bad in (data[:-3], data[:40] + b"x" + data[41:]):
            try:
                couponlib.load(bad, env=env)
            except couponlib.LoadError:
                pass
    del env
    assert settle() == base


def test_a_thread_frees_its_state_when_it_ends():
    env = couponlib.Env()
    cat = couponlib.compile(SHOP, env=env)
    cat.evaluate(cart())
    before = settle()
    t = threading.Thread(target=lambda: (cat.evaluate(cart()), cat.best(cart())))
    t.start()
    t.join()
    assert settle() == before


def test_memory_does_not_grow_with_use(shop):
    shop.evaluate(cart())
    shop.best(cart())
    ctx = couponlib.Context(cart())
    before = settle()
    for _ in range(500):
        shop.evaluate(cart())
        shop.best(ctx)
    assert settle() == before


EXIT_SCRIPT = r"""
import gc, sys, threading
import couponlib
shop = couponlib.compile(sys.argv[1])
env = couponlib.Env()
mine = couponlib.compile(sys.argv[1], env=env)
ctx = couponlib.Context({"now": "2026-11-27T14:00:00Z", "currency": "USD",
                         "items": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}]},
                        env=env)
shop.evaluate(ctx); mine.best(ctx)
cycle = [shop, mine, ctx, env]
cycle.append(cycle)
class Holder:
    pass
h = Holder(); h.me = h; h.env = env; h.ctx = ctx; h.cat = mine
threads = [threading.Thread(target=lambda: mine.evaluate(ctx)) for _ in range(3)]
for t in threads: t.start()
for t in threads: t.join()
del cycle, h
print("ok")
"""


def test_the_interpreter_exits_cleanly(tmp_path):
    """Objects alive at exit, in reference cycles, and the per-thread states
    of finished threads are finalized in no particular order by the garbage
    collector; the environments must still be freed last."""
    script = tmp_path / "exit.py"
    script.write_text(EXIT_SCRIPT)
    for _ in range(3):
        p = subprocess.run([sys.executable, "-X", "faulthandler", str(script), str(SHOP)],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PYTHONSAFEPATH="1"))
        assert p.returncode == 0, p.stderr
        assert p.stdout == "ok\n" and "Exception ignored" not in p.stderr, p.stderr
