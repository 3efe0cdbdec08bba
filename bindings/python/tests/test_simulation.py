"""Campaign simulation: Catalog.simulate() and Simulation.

The report is checked figure by figure against a reference summed here from
evaluate() and best() on the same orders; then every way of giving orders,
threads and merging, and every error path."""

from __future__ import annotations

import gc
import gzip
import io
import json
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

import couponlib
from couponlib import _cl
from conftest import SHOP

CODES = ["WELCOME10", "TENTH", "VIP20", "STAFF", "TV50", "HAPPYHOUR", "BIRTHDAY", "bday",
         "SAVE01", "tv50"]
PRODUCTS = [
    ("OLED-65", "1899.00", ["electronics/tv/oled"]), ("LED-43", "329.00", ["electronics/tv"]),
    ("HDMI-2M", "9.99", ["electronics/cables"]), ("PHONE", "799.00", ["electronics/phones"]),
    ("COAT-M", "180.00", ["fashion/coats"]), ("SCARF", "25.00", ["fashion/accessories"]),
    ("MUG", "8.49", ["home/kitchen"]), ("BOOK", "14.99", ["books"]),
    ("COFFEE", "0.99", ["grocery/coffee"]), ("SOFA", "1299.49", ["home/furniture"]),
]


def orders(n: int, seed: int = 7) -> list[dict]:
    """n varied checkouts against the example shop: every coupon qualifies
    on some, fails on others for one or several reasons, and some orders
    enter codes (known, in lower case, unknown)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        day = rnd.choice(["2026-11-27", "2026-11-28", "2026-11-30", "2026-12-02",
                          "2026-05-16", "2026-03-04"])
        hour = rnd.choice([9, 14, 17, 18, 21, 23])
        items = []
        for _ in range(rnd.randint(1, 5)):
            sku, price, cats = rnd.choice(PRODUCTS)
            items.append({"sku": sku, "quantity": rnd.randint(1, 4), "unit_price": price,
                          "categories": cats, "on_sale": rnd.random() < 0.2})
        user = {"id": f"u-{rnd.randint(1, 60)}",
                "email": rnd.choice(["a@example.com", "b@shop.example", "c@gmail.com"]),
                "tags": rnd.sample(["vip", "newsletter", "gold"], rnd.randint(0, 2)),
                "birthday": rnd.choice(["1990-11-29", "1985-05-15", "1970-01-01"]),
                "orders_completed": rnd.randint(0, 30)}
        o = {"now": f"{day}T{hour:02d}:{rnd.randint(0, 59):02d}:00-05:00", "currency": "USD",
             "user": user, "order": {"sequence": rnd.choice([1, 2, 10, 20, 7])},
             "payment": rnd.choice([{"method": "card", "network": "visa", "bin": "411111"},
                                    {"method": "card", "network": "amex", "bin": "371449"},
                                    {"method": "paypal"}]),
             "shipping": {"method": rnd.choice(["standard", "express"]), "country": "US",
                          "amount": rnd.choice(["0.00", "4.99", "12.00"])},
             "items": items,
             "codes": rnd.sample(CODES, rnd.choice([0, 0, 1, 1, 2, 3]))}
        if rnd.random() < 0.3:
            o["usage"] = {"HAPPYHOUR": {"total": rnd.choice([3, 500]), "user": rnd.randint(0, 1)},
                          "BIRTHDAY": {"total": 1, "user": 0,
                                       "spent": rnd.choice(["10.00", "1999.00"])}}
        if i % 37 == 5:
            del o["user"]["id"]
        out.append(o)
    return out


@pytest.fixture(scope="module")
def sample():
    return orders(400)


@pytest.fixture(scope="module")
def lines(sample):
    return [json.dumps(o) for o in sample]


def cents(d: Decimal) -> int:
    return int(d.scaleb(2))


def nearest_rank(costs: list[int], p: int) -> int:
    s = sorted(costs)
    return s[max(1, math.ceil(p * len(s) / 100)) - 1] if s else 0


def close_to(got: Decimal, exact: int) -> bool:
    """The percentile bound of docs/simulation.md: exact below 256 minor
    units, else within 1/256 (and one minor unit of rounding)."""
    g = cents(got)
    return g == exact if exact < 256 else abs(g - exact) <= exact / 256 + 1


def half_up(total: int, n: int) -> int:
    return (2 * total + n) // (2 * n) if n else 0


def test_report_is_the_sum_of_the_evaluations(shop, sample):
    report = shop.simulate(sample)
    assert isinstance(report, couponlib.SimulationReport)
    assert report.orders == len(sample) and report.errors == 0 and report.currency == "USD"
    assert report.flags == couponlib.SimulationFlags(True, False, True, False)
    n = len(shop)
    q = [0] * n
    disc = [0] * n
    ship = [0] * n
    costs: list[list[int]] = [[] for _ in range(n)]
    why = [dict() for _ in range(n)]
    alone = [dict() for _ in range(n)]
    won = [0] * n
    wdisc = [0] * n
    wship = [0] * n
    rejected = [0] * n
    rwhy = [dict() for _ in range(n)]
    ralone = [dict() for _ in range(n)]
    subtotal = shipping = unknown = discounted = 0
    best_costs = []
    best_disc = best_ship = 0
    for o in sample:
        for r in shop.evaluate(o):
            i = r.coupon
            if r.applicable:
                q[i] += 1
                disc[i] += cents(r.discount)
                ship[i] += cents(r.shipping_discount)
                costs[i].append(cents(r.discount) + cents(r.shipping_discount))
            else:
                codes = set(r.reason_codes)
                for c in codes:
                    why[i][c] = why[i].get(c, 0) + 1
                    if len(codes) == 1:
                        alone[i][c] = alone[i].get(c, 0) + 1
        ch = shop.best(o)
        subtotal += cents(ch.subtotal)
        shipping += cents(ch.shipping)
        cost = cents(ch.discount) + cents(ch.shipping_discount)
        best_disc += cents(ch.discount)
        best_ship += cents(ch.shipping_discount)
        if ch.applied:
            discounted += 1
            best_costs.append(cost)
        for r in ch.applied:
            won[r.coupon] += 1
            wdisc[r.coupon] += cents(r.discount)
            wship[r.coupon] += cents(r.shipping_discount)
        for r in ch.rejected:
            if r.coupon is None:
                unknown += 1
                continue
            rejected[r.coupon] += 1
            codes = set(r.reason_codes)
            for c in codes:
                rwhy[r.coupon][c] = rwhy[r.coupon].get(c, 0) + 1
                if len(codes) == 1:
                    ralone[r.coupon][c] = ralone[r.coupon].get(c, 0) + 1
    assert cents(report.subtotal) == subtotal and cents(report.shipping) == shipping
    for i, c in enumerate(report.coupons):
        assert (c.index, c.code, c.name) == (i, shop[i].code, shop[i].name)
        e = c.eval
        assert (e.orders, e.qualifying, e.not_qualifying) == (len(sample), q[i],
                                                              len(sample) - q[i]), c.code
        assert (cents(e.discount), cents(e.shipping_discount)) == (disc[i], ship[i]), c.code
        assert cents(e.cost) == disc[i] + ship[i]
        assert cents(e.average) == half_up(disc[i] + ship[i], q[i])
        assert cents(e.min) == (min(costs[i]) if costs[i] else 0)
        assert cents(e.max) == (max(costs[i]) if costs[i] else 0)
        for name, p in zip(couponlib.Percentiles._fields, (25, 50, 75, 90, 95, 99)):
            assert close_to(getattr(e.percentiles, name), nearest_rank(costs[i], p)), (c.code, p)
        assert {r.code: (r.orders, r.only) for r in e.reasons} == \
            {k: (v, alone[i].get(k, 0)) for k, v in why[i].items()}, c.code
        assert [r.orders for r in e.reasons] == sorted((r.orders for r in e.reasons),
                                                       reverse=True)
        for r in e.reasons:
            assert r.share == round(r.orders / e.not_qualifying, 4)
        b = c.best
        assert (b.won, b.rejected) == (won[i], rejected[i]), c.code
        assert (cents(b.discount), cents(b.shipping_discount)) == (wdisc[i], wship[i])
        assert cents(b.average) == half_up(wdisc[i] + wship[i], won[i])
        assert {r.code: (r.orders, r.only) for r in b.reasons} == \
            {k: (v, ralone[i].get(k, 0)) for k, v in rwhy[i].items()}, c.code
    a = report.best
    assert (a.orders, a.discounted, a.unknown_codes) == (len(sample), discounted, unknown)
    assert (cents(a.discount), cents(a.shipping_discount)) == (best_disc, best_ship)
    assert cents(a.cost) == best_disc + best_ship
    assert cents(a.min) == min(best_costs) and cents(a.max) == max(best_costs)
    assert a.share == round(discounted / len(sample), 4)
    for name, p in zip(couponlib.Percentiles._fields, (25, 50, 75, 90, 95, 99)):
        assert close_to(getattr(a.percentiles, name), nearest_rank(best_costs, p))
    # The sample exercises what it should: every coupon qualifies somewhere
    # and fails elsewhere, several for more than one reason.
    assert all(0 < c.eval.qualifying < len(sample) for c in report.coupons)
    assert unknown > 0 and any(r.code == "NOT_COMBINABLE" for c in report.coupons
                               for r in c.best.reasons)
    assert any(r.only < r.orders for c in report.coupons for r in c.eval.reasons)


def test_entered_and_indexed(shop, sample):
    r = shop.simulate(sample, entered=True, indexed=True)
    assert r.flags == couponlib.SimulationFlags(True, True, True, True)
    tv = r.coupon("tv50")
    q = sum(1 for o in sample if shop.evaluate(o, entered=True)[tv.index].applicable)
    assert tv.eval.qualifying == q
    assert "CODE_REQUIRED" in {x.code for x in tv.eval.reasons}
    plain = shop.simulate(sample)
    assert r.best.cost == plain.best.cost and r.best.discounted == plain.best.discounted
    assert r.best.unknown_codes == plain.best.unknown_codes


def test_views(shop, sample):
    only_eval = shop.simulate(sample, best=False)
    assert only_eval.best is None and all(c.best is None for c in only_eval.coupons)
    only_best = shop.simulate(sample, eval=False)
    assert all(c.eval is None for c in only_best.coupons)
    both = shop.simulate(sample)
    assert [c.eval for c in both.coupons] == [c.eval for c in only_eval.coupons]
    assert both.best == only_best.best
    with pytest.raises(ValueError):
        shop.simulate(sample, eval=False, best=False)
    with pytest.raises(ValueError):
        shop.simulate(sample, eval=False, entered=True)
    with pytest.raises(ValueError):
        shop.simulate(sample, best=False, indexed=True)
    with pytest.raises(TypeError):
        shop.simulate(sample, best=1)


def test_every_kind_of_order_gives_the_same_report(shop, sample, lines):
    want = shop.simulate(sample)
    assert shop.simulate(lines) == want
    assert shop.simulate(x.encode() for x in lines) == want
    assert shop.simulate(couponlib.Context(o) for o in sample) == want
    mixed = [[o, json.dumps(o), json.dumps(o).encode(), couponlib.Context(o),
              bytearray(json.dumps(o).encode())][i % 5] for i, o in enumerate(sample)]
    assert shop.simulate(mixed) == want
    # A file of JSON lines, plain or gzip, with blank lines and CRLF.
    text = ("\n".join(lines[:200]) + "\n\n   \n" + "\r\n".join(lines[200:]) + "\n").encode()
    assert shop.simulate(io.BytesIO(text)) == want
    assert shop.simulate(gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(text)))) == want
    assert shop.simulate(io.StringIO(text.decode())) == want


def test_the_json_report(shop, sample):
    sim = couponlib.Simulation(shop)
    sim.extend(sample)
    text = sim.report_json()
    j = json.loads(text)
    assert j.pop("percentile_error").startswith("exact below 256")
    assert sim.report().to_dict() == j
    assert text.endswith("}\n") and j["currency"] == "USD"


def test_a_simulation_streams_in_bounded_memory(shop, sample):
    sim = couponlib.Simulation(shop)
    sim.extend(sample)
    gc.collect()
    held = couponlib.memory_in_use()
    for _ in range(5):
        sim.extend(sample)
    gc.collect()
    assert couponlib.memory_in_use() == held
    assert sim.orders == 6 * len(sample)

    def forever():
        i = 0
        while True:                 # a generator: simulate() never holds it all
            yield sample[i % len(sample)]
            i += 1
            if i == 3000:
                return
    assert shop.simulate(forever()).orders == 3000


def test_add_and_report_as_it_goes(shop, sample):
    sim = couponlib.Simulation(shop, best=False)
    assert sim.orders == 0 and sim.errors == 0 and sim.currency is None
    empty = sim.report()
    assert empty.orders == 0 and empty.currency is None and empty.best is None
    assert all(c.eval.qualifying == 0 and c.eval.max == 0 for c in empty.coupons)
    for o in sample[:10]:
        sim.add(o)
    sim.add_json(json.dumps(sample[10]))
    sim.add_json(json.dumps(sample[11]).encode())
    sim.add_json(memoryview(json.dumps(sample[12]).encode()))
    assert sim.orders == 13 and sim.currency == "USD"
    assert sim.report() == shop.simulate(sample[:13], best=False)
    assert "13 orders" in repr(sim) and sim.catalog is shop
    with pytest.raises(TypeError):
        sim.add_json(sample[0])


def test_percentiles(shop, sample):
    sim = couponlib.Simulation(shop)
    sim.extend(sample)
    r = sim.report()
    assert sim.percentile(0) == r.best.min and sim.percentile(100) == r.best.max
    assert sim.percentile(50) == r.best.percentiles.p50
    assert sim.percentile("99") == r.best.percentiles.p99
    assert sim.percentile(Decimal("90")) == r.best.percentiles.p90
    assert sim.percentile(25, "tv50") == r.coupon("TV50").eval.percentiles.p25
    assert sim.percentile(99.9, 0) >= sim.percentile(99, 0)
    best_costs = []
    for o in sample:
        ch = shop.best(o)
        if ch.applied:
            best_costs.append(cents(ch.discount + ch.shipping_discount))
    for p in (1, 10, 33.33, 66.67, 80, 99.99):
        exact = sorted(best_costs)[max(1, math.ceil(Decimal(str(p)) * len(best_costs) / 100)) - 1]
        assert close_to(sim.percentile(p), exact), p
    for bad in (-1, 100.01, 12.345, "x", float("nan")):
        with pytest.raises(ValueError):
            sim.percentile(bad)
    for bad in (None, True, [50]):
        with pytest.raises(TypeError):
            sim.percentile(bad)
    with pytest.raises(KeyError):
        sim.percentile(50, "NOPE")
    with pytest.raises(IndexError):
        sim.percentile(50, len(shop))
    only_eval = couponlib.Simulation(shop, best=False)
    with pytest.raises(ValueError, match="best combination"):
        only_eval.percentile(50)
    only_best = couponlib.Simulation(shop, eval=False)
    with pytest.raises(ValueError, match="each coupon alone"):
        only_best.percentile(50, "TV50")


def test_amounts_have_the_currency_decimals():
    cat = couponlib.compile("currency: JPY\ncode: ALL\nautomatic: true\n"
                            "discount: { percent: 10 }\n")
    order = {"now": "2026-01-01T00:00:00Z", "currency": "JPY",
             "items": [{"sku": "A", "quantity": 1, "unit_price": "1999"}]}
    r = cat.simulate([order] * 3)
    assert r.currency == "JPY" and str(r.best.cost) == "600" and str(r.subtotal) == "5997"
    assert str(r.coupons[0].eval.average) == "200"
    sim = couponlib.Simulation(cat)
    sim.add(order)
    assert str(sim.percentile(50)) == "200"


# ---------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------

def test_threads_merge_into_the_report_of_one(shop, sample, lines):
    want = shop.simulate(lines)

    def part(chunk):
        sim = couponlib.Simulation(shop)
        sim.extend(chunk)
        return sim

    chunks = [lines[0:7], lines[7:150], lines[150:151], lines[151:], []]
    with ThreadPoolExecutor(4) as pool:
        sims = list(pool.map(part, chunks))
    into = couponlib.Simulation(shop)
    for s in sims:
        into.merge(s)
    assert into.report() == want
    assert sims[1].orders == 143            # merging leaves the others as they were
    for n in (2, 3, 8):
        assert shop.simulate(lines, threads=n) == want
        assert shop.simulate(iter(sample), threads=n) == want


def test_one_simulation_shared_by_threads(shop, lines):
    """Threads may feed one Simulation: they take turns."""
    sim = couponlib.Simulation(shop)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(sim.add, lines))
    assert sim.report() == shop.simulate(lines)


def test_orders_are_counted_without_the_gil():
    """As test_threads.py proves it for evaluations: threads are seen
    inside cl_sim_add_json at once."""
    coupons = "\n".join(
        f"  - code: C{i}\n    automatic: true\n"
        f"    when: {{ items: {{ sku: {{ matches: \"^S-{i % 7}\" }}, min_quantity: 2 }} }}\n"
        f"    discount: {{ percent: {1 + i % 40} }}" for i in range(120))
    cat = couponlib.compile("currency: USD\ncoupons:\n" + coupons + "\n")
    items = [{"sku": f"S-{i % 11}-{i}", "quantity": 1 + i % 3, "unit_price": f"{1 + i}.00"}
             for i in range(300)]
    line = json.dumps({"now": "2026-05-01T10:00:00Z", "currency": "USD", "items": items})
    _cl.cl_py_reset_peak()
    seen = threading.Event()
    deadline = time.monotonic() + 120

    def work():
        sim = couponlib.Simulation(cat, best=False)
        while not seen.is_set() and time.monotonic() < deadline:
            sim.add_json(line)
            if _cl.cl_py_peak_inside() >= 2:
                seen.set()
        return sim

    with ThreadPoolExecutor(3) as pool:
        sims = list(pool.map(lambda _: work(), range(3)))
    assert _cl.cl_py_peak_inside() >= 2
    total = sum(s.orders for s in sims)
    for s in sims[1:]:
        sims[0].merge(s)
    assert sims[0].orders == total


def test_threads_stop_at_a_strict_error(shop, lines):
    bad = lines[:300] + ["{"] + lines[300:]
    with pytest.raises(couponlib.ContextError) as e:
        shop.simulate(bad, threads=3, strict=True)
    assert e.value.order == 300

    seen = []
    r = shop.simulate(bad, threads=3, on_error=lambda i, err: seen.append(i))
    assert seen == [300] and r.errors == 1 and r.orders == len(lines)

    def broken():
        yield from lines[:100]
        raise OSError("the disk is gone")
    with pytest.raises(OSError, match="disk"):
        shop.simulate(broken(), threads=2)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def test_refused_orders_are_counted_and_reported(shop, sample, lines):
    sim = couponlib.Simulation(shop)
    sim.add(sample[0])
    with pytest.raises(couponlib.ContextError) as e:
        sim.add('{"now": "2026-01-01T00:00:00Z", "currency": "USD", "items": [}')
    assert e.value.code == "syntax" and e.value.line == 1 and e.value.column > 0
    assert "^" in e.value.render()
    with pytest.raises(couponlib.ContextError) as e:
        sim.add({**sample[1], "now": "yesterday"})
    assert e.value.code == "date" and e.value.path == "now"
    with pytest.raises(couponlib.ContextError) as e:
        sim.add({**sample[1], "items": [{"sku": "A", "quantity": 1, "unit_price": "1.999"}]})
    assert e.value.code == "amount" and e.value.path == "items[0].unit_price"
    eur = {**sample[1], "currency": "EUR"}
    with pytest.raises(couponlib.EvaluationError) as e:
        sim.add(eur)
    assert e.value.code == "currency" and "EUR" in e.value.message
    with pytest.raises(couponlib.EvaluationError):
        sim.add(json.dumps(eur))
    with pytest.raises(couponlib.EvaluationError):
        sim.add(couponlib.Context(eur))
    with pytest.raises(couponlib.ContextError):
        sim.add("")
    assert (sim.orders, sim.errors) == (1, 7)
    r = sim.report()
    assert r.errors == 7 and r.orders == 1
    assert r == shop.simulate([sample[0]])._replace(errors=7)
    # What is not an order at all is a TypeError, and not counted.
    for bad in (42, None, [sample[0]], {**sample[0], "shipping": {"amount": 4.99}}):
        with pytest.raises(TypeError):
            sim.add(bad)
    assert sim.errors == 7


def test_simulate_goes_on_past_refused_orders(shop, lines):
    bad = list(lines[:50])
    bad[3] = "{not json"
    bad[10] = json.dumps({**json.loads(lines[10]), "currency": "EUR"})
    bad[20] = ""                           # blank: skipped, not refused
    seen = []
    r = shop.simulate(bad, on_error=lambda i, e: seen.append((i, type(e).__name__, e.code)))
    assert seen == [(3, "ContextError", "syntax"), (10, "EvaluationError", "currency")]
    assert r.errors == 2 and r.orders == 47
    assert shop.simulate(bad).errors == 2             # without on_error: counted only
    with pytest.raises(couponlib.ContextError) as e:
        shop.simulate(bad, strict=True)
    assert e.value.order == 3 and e.value.line == 1

    def stop(i, e):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        shop.simulate(bad, on_error=stop)
    with pytest.raises(TypeError):
        shop.simulate(bad, on_error=5)
    with pytest.raises(TypeError):
        shop.simulate(bad, strict="yes")


def test_the_currency_of_a_simulation(shop, sample):
    eur = [{**o, "currency": "EUR"} for o in sample[:20]]
    r = shop.simulate(eur + sample[:20])
    assert r.currency == "EUR" and r.orders == 20 and r.errors == 20
    # Coupons in another currency simply do not qualify.
    assert all(c.eval.qualifying == 0 for c in r.coupons)
    assert all(c.eval.reasons[0].code == "CURRENCY" for c in r.coupons)
    r = shop.simulate(eur + sample[:20], currency="USD")
    assert r.currency == "USD" and r.orders == 20 and r.errors == 20
    empty = shop.simulate([], currency="JPY")
    assert empty.currency == "JPY" and str(empty.subtotal) == "0"
    with pytest.raises(couponlib.ContextError) as e:
        shop.simulate(sample, currency="EURO")
    assert e.value.code == "currency"
    with pytest.raises(TypeError):
        shop.simulate(sample, currency=840)


def test_the_step_budget_refuses_an_order():
    env = couponlib.Env(steps=50)
    src = "currency: USD\ncoupons:\n" + "".join(
        f"  - {{ code: K{i}, automatic: true, when: {{ category: [c{i}] }}, "
        f"discount: {{ percent: 5 }} }}\n" for i in range(40))
    cat = couponlib.compile(src, env=env)
    big = {"now": "2026-01-01T00:00:00Z", "currency": "USD",
           "items": [{"sku": f"S{i}", "quantity": 1, "unit_price": "1.00",
                      "categories": [f"x{i}/y"]} for i in range(200)]}
    sim = couponlib.Simulation(cat)
    with pytest.raises(couponlib.EvaluationError) as e:
        sim.add(big)
    assert e.value.code == "steps" and sim.errors == 1 and sim.orders == 0


def test_merge_errors(shop, sample):
    a = couponlib.Simulation(shop)
    a.extend(sample[:5])
    other = couponlib.compile("currency: USD\ncode: X\ndiscount: { percent: 5 }\n")
    with pytest.raises(couponlib.Error) as e:
        a.merge(couponlib.Simulation(other))
    assert e.value.code == "invalid-argument" and "coupons" in e.value.message
    with pytest.raises(couponlib.Error):
        a.merge(couponlib.Simulation(shop, best=False))
    with pytest.raises(couponlib.Error):
        a.merge(couponlib.Simulation(shop, entered=True))
    # The same coupons compiled again may be merged.
    again = couponlib.compile(SHOP)
    b = couponlib.Simulation(again)
    b.extend(sample[5:10])
    a.merge(b)
    assert a.report() == shop.simulate(sample[:10])
    eur = couponlib.Simulation(shop)
    eur.add({**sample[0], "currency": "EUR"})
    with pytest.raises(couponlib.Error) as e:
        a.merge(eur)
    assert e.value.code == "currency" and "EUR" in e.value.message
    assert a.orders == 10
    with pytest.raises(ValueError):
        a.merge(a)
    with pytest.raises(TypeError):
        a.merge(shop)


def test_closed_simulations(shop, sample):
    sim = couponlib.Simulation(shop)
    sim.add(sample[0])
    sim.close()
    assert sim.closed and "closed" in repr(sim)
    for call in (lambda: sim.add(sample[0]), lambda: sim.add_json("{}"), sim.report,
                 sim.report_json, lambda: sim.extend(sample), lambda: sim.percentile(50),
                 lambda: sim.orders, lambda: sim.currency):
        with pytest.raises(ValueError, match="closed"):
            call()
    live = couponlib.Simulation(shop)
    with pytest.raises(ValueError, match="closed"):
        live.merge(sim)
    with pytest.raises(ValueError, match="closed"):
        sim.merge(live)
    sim.close()                               # again: nothing happens
    with couponlib.Simulation(shop) as s:
        s.add(sample[0])
        assert s.orders == 1
    assert s.closed
    with pytest.raises(ValueError):
        with s:
            pass


def test_bad_arguments(shop, sample):
    with pytest.raises(TypeError):
        couponlib.Simulation("shop.yaml")
    for bad in ("orders.jsonl", b"{}", sample[0], 5):
        with pytest.raises(TypeError):
            shop.simulate(bad)
    for bad in (0, 257):
        with pytest.raises(ValueError):
            shop.simulate(sample, threads=bad)
    with pytest.raises(TypeError):
        shop.simulate(sample, threads=2.0)
    other = couponlib.Context(sample[0], env=couponlib.Env())
    with pytest.raises(ValueError, match="Env"):
        couponlib.Simulation(shop).add(other)
    with pytest.raises(KeyError):
        shop.simulate(sample).coupon("NOPE")


def test_a_simulation_keeps_its_catalog_alive(sample):
    sim = couponlib.Simulation(couponlib.compile(SHOP))
    gc.collect()
    sim.extend(sample[:20])
    assert sim.report().orders == 20


def test_out_of_memory(sample):
    """Every allocation of creating, counting and reporting fails in turn:
    a MemoryError each time, nothing leaked, and the report unchanged."""
    env = couponlib.Env()
    cat = couponlib.compile(SHOP, env=env)
    want = cat.simulate(sample[:1])
    gc.collect()
    base = couponlib.memory_in_use()
    for n in range(2000):
        _cl.cl_py_fail_after(n)
        try:
            sim = couponlib.Simulation(cat)
            sim.add(sample[0])
            got = sim.report()
            done = True
        except MemoryError:
            done = False
        finally:
            _cl.cl_py_fail_after(-1)
        if done:
            assert got == want
            break
        sim = None
        gc.collect()
        assert couponlib.memory_in_use() == base, f"allocation {n}: memory not freed"
    else:
        raise AssertionError("never succeeded")
    assert n > 5
    # An order that runs out of memory is not counted: the simulation is as
    # it was, and the next order counts.
    sim = couponlib.Simulation(cat)
    sim.add(sample[0])
    for n in range(200):
        _cl.cl_py_fail_after(n)
        try:
            sim.add(sample[1])
            break
        except MemoryError:
            pass
        finally:
            _cl.cl_py_fail_after(-1)
    assert sim.report() == cat.simulate(sample[:2])
