"""Contexts: dicts, text and prepared Contexts, and every way they go wrong."""

from __future__ import annotations

import json
import types
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import couponlib
from conftest import cart


def both_ways(shop, data):
    """Evaluates data as a dict, as JSON text and as a Context: all agree."""
    a = shop.evaluate(data)
    assert a == shop.evaluate(json.dumps(data)) == shop.evaluate(couponlib.Context(data))
    return a


def test_dict_text_and_context_agree(shop, ctx_dict):
    results = both_ways(shop, ctx_dict)
    assert [r.code for r in results] == list(shop.codes)
    assert shop.best(ctx_dict) == shop.best(json.dumps(ctx_dict).encode()) == \
        shop.best(couponlib.Context(ctx_dict))


def test_python_values(shop, ctx_dict):
    """Decimals, ints, dates, aware datetimes, tuples, sets and other
    mappings stand for their JSON."""
    d = cart(now=datetime(2026, 11, 27, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
             user={"id": "u-7", "tags": {"vip"}, "birthday": date(1990, 11, 27),
                   "orders_completed": 9})
    d["items"] = tuple(dict(it, unit_price=Decimal(it["unit_price"])) for it in d["items"])
    d["shipping"] = types.MappingProxyType({"amount": 12, "country": "US"})
    plain = cart(user={"id": "u-7", "tags": ["vip"], "birthday": "1990-11-27",
                       "orders_completed": 9},
                 shipping={"amount": "12.00", "country": "US"})
    assert shop.evaluate(d) == shop.evaluate(plain)
    assert shop.evaluate(types.MappingProxyType(d)) == shop.evaluate(plain)


def test_floats_are_refused(shop):
    for d, where in ((cart(shipping={"amount": 12.5}), "shipping.amount"),
                     (cart(usage={"TENTH": {"spent": 1.0}}), "usage.TENTH.spent")):
        with pytest.raises(TypeError, match=where.replace(".", r"\.")):
            shop.evaluate(d)
    d = cart()
    d["items"][1]["unit_price"] = 180.0
    with pytest.raises(TypeError, match=r"items\[1\]\.unit_price"):
        shop.evaluate(d)
    with pytest.raises(TypeError):
        couponlib.Context(d)


def test_other_bad_python_values(shop):
    with pytest.raises(ValueError, match="naive"):
        shop.evaluate(cart(now=datetime(2026, 11, 27, 9, 0)))
    with pytest.raises(ValueError):
        shop.evaluate(cart(shipping={"amount": Decimal("NaN")}))
    with pytest.raises(TypeError, match="cannot hold"):
        shop.evaluate(cart(user={"id": object()}))
    for bad in (12, [cart()], None, 1.5):
        with pytest.raises(TypeError):
            shop.evaluate(bad)
        with pytest.raises(TypeError):
            couponlib.Context(12)


def test_errors_from_a_dict_carry_the_path(shop):
    d = cart()
    d["items"][2]["unit_price"] = "25.005"
    with pytest.raises(couponlib.ContextError) as info:
        shop.evaluate(d)
    e = info.value
    assert (e.code, e.path, e.source) == ("amount", "items[2].unit_price", "<context>")
    assert e.line is None and e.column is None   # no positions in a dict
    assert str(e) == f"<context>: error[amount]: {e.message} (at items[2].unit_price)"
    assert "25.005 has 3 decimals but USD has 2" in e.message


def test_errors_from_text_carry_positions(shop):
    text = '{\n  "now": "2026-11-27T14:00:00Z", "currency": "USD",\n' \
           '  "items": [ { "sku": "A", "quantity": 0, "unit_price": "1.00" } ] }\n'
    with pytest.raises(couponlib.ContextError) as info:
        shop.evaluate(text)
    e = info.value
    column = text.splitlines()[2].index("0") + 1
    assert (e.code, e.path, e.line, e.column) == ("value", "items[0].quantity", 3, column)
    assert e.render().splitlines()[-1] == "      | " + " " * (column - 1) + "^"


@pytest.mark.parametrize("data,code,path", [
    (cart(currncy="USD"), "unknown-key", ""),
    ({"now": "2026-11-27T14:00:00Z", "currency": "USD"}, "missing", ""),
    (cart(now="yesterday"), "date", "now"),
    (cart(currency="ZZZ"), "currency", "currency"),
    (cart(timezone="Mars/Olympus"), "zone", "timezone"),
    (cart(user={"id": True}), "type", "user.id"),
    (cart(user={"birthday": "1990-02-30"}), "date", "user.birthday"),
    (cart(order={"sequence": 0}), "value", "order.sequence"),
    (cart(items=[{"sku": "A", "quantity": 1}]), "missing", "items[0]"),
    (cart(items=[{"sku": "A", "quantity": 1.0, "unit_price": 1}]), "value",
     "items[0].quantity"),
    (cart(items=[{"sku": "A", "quantity": 1, "unit_price": "1", "on_sale": "no"}]),
     "type", "items[0].on_sale"),
    (cart(items=[{"sku": "A", "quantity": 1 << 62, "unit_price": "100"}]), "overflow",
     "items[0]"),
    (cart(items={"sku": "A"}), "type", "items"),
    (cart(usage={"TENTH": {"total": -1}}), "value", "usage.TENTH.total"),
    (cart(usage={"TENTH": {}, "tenth": {}}), "duplicate", "usage.tenth"),
    (cart(codes=[["A"]]), "type", "codes[0]"),
    (cart(codes=[1.5]), None, None),
    (cart(user={"id": "a\0b"}), "value", ""),
    (cart(user={1: "x"}), "unknown-key", "user"),
    (cart(payment={"bin": 10 ** 30}), None, None),
])
def test_context_errors_are_the_same_from_dicts_and_text(shop, data, code, path):
    """Whether a dict is read natively or (for what only JSON can stand for:
    floats, non-str keys, NUL) through its JSON, its errors are those of its
    JSON text."""
    text = json.dumps(data)
    if code is None:      # not an error: a number is text where text is expected
        assert shop.evaluate(data) == shop.evaluate(text)
        return
    with pytest.raises(couponlib.ContextError) as a:
        shop.evaluate(data)
    with pytest.raises(couponlib.ContextError) as b:
        shop.evaluate(text)
    assert (a.value.code, a.value.path, a.value.message) == \
        (b.value.code, b.value.path, b.value.message)
    assert a.value.code == code and a.value.path == path


def test_limits_apply_to_dicts():
    env = couponlib.Env(depth=4, list=3, string=8, nodes=50)
    ctx = couponlib.Context(env=env)
    for data in (cart(codes=["A", "B", "C", "D"]), cart(user={"id": "x" * 9}),
                 cart(user={"tags": [[[["deep"]]]]}), cart()):
        with pytest.raises(couponlib.ContextError) as a:
            ctx.fill(data)
        with pytest.raises(couponlib.ContextError) as b:
            ctx.fill(json.dumps(data))
        assert a.value.code == b.value.code == "limit"
        assert len(ctx) == 0


def test_a_context_built_with_setters(shop):
    ctx = couponlib.Context()
    assert ctx.currency is None and len(ctx) == 0
    ctx.set_now(datetime(2026, 11, 27, 14, tzinfo=timezone.utc))
    ctx.set_currency("USD")
    ctx.add_code("VIP20")
    ctx.add_code("TENTH")
    ctx.set("user.id", "u-7")
    ctx.set("user.email", "ann@example.com")
    ctx.add_user_tag("vip")
    ctx.set("user.orders_completed", 9)
    ctx.set("payment.method", "card")
    ctx.set("payment.network", "mastercard")
    ctx.set("payment.bin", "552260")
    ctx.set("shipping.method", "express")
    ctx.set("shipping.country", "US")
    ctx.set("shipping.amount", Decimal("12.00"))
    assert ctx.add_item("OLED-65", 1, "1899.00", categories="electronics/tv/oled") == 0
    assert ctx.add_item("COAT-M", 1, Decimal("180"), categories=["fashion/coats"]) == 1
    assert ctx.add_item("SCARF", 2, 25, categories=["fashion/accessories"], on_sale=True,
                        tags=["wool"]) == 2
    ctx.set_usage("TENTH", total=12, user=0)
    assert ctx.currency == "USD" and len(ctx) == 3
    assert repr(ctx) == "<couponlib.Context currency='USD' lines=3>"
    assert shop.evaluate(ctx) == shop.evaluate(cart())
    assert shop.best(ctx) == shop.best(cart())


def test_setters_change_the_outcome(shop):
    ctx = couponlib.Context(cart())
    assert shop.evaluate(ctx, coupons=["STAFF"])[0].applicable is False
    ctx.set("user.email", "bob@shop.example")
    assert shop.evaluate(ctx, coupons=["STAFF"])[0].applicable is True
    ctx.set("user.email", None)
    assert shop.evaluate(ctx, coupons=["STAFF"])[0].reason_codes == ("USER",)
    ctx.set_timezone("America/New_York")
    ctx.set_timezone(None)
    ctx.set("user.birthday", "1990-11-27")
    assert shop.evaluate(ctx, coupons=["BIRTHDAY"])[0].applicable is True
    ctx.unset("user.birthday")
    assert shop.evaluate(ctx, coupons=["BIRTHDAY"])[0].applicable is False
    ctx.set("user.signup_date", date(2024, 3, 1))
    ctx.set("order.number", "ORD-1")
    ctx.set("order.serial", 0)
    ctx.set("order.sequence", 1)
    assert shop.evaluate(ctx, coupons=["WELCOME10"])[0].applicable is True
    ctx.set_now(1798761600)
    ctx.set("payment.wallet", "apple_pay")


@pytest.mark.parametrize("call,exc,code", [
    (lambda c: c.set_now(datetime(2026, 1, 1)), ValueError, None),
    (lambda c: c.set_now("2026-01-01T00:00:00Z"), TypeError, None),
    (lambda c: c.set_now(True), TypeError, None),
    (lambda c: c.set_now(1 << 63), couponlib.ContextError, "value"),
    (lambda c: c.set_timezone("Mars/Olympus"), couponlib.ContextError, "zone"),
    (lambda c: c.set_timezone(5), TypeError, None),
    (lambda c: c.set_currency("ZZZ"), couponlib.ContextError, "currency"),
    (lambda c: c.set_currency(None), TypeError, None),
    (lambda c: c.set("user.name", "x"), KeyError, None),
    (lambda c: c.unset("user.name"), KeyError, None),
    (lambda c: c.set("user.id", 5), TypeError, None),
    (lambda c: c.set("user.id", "a\0"), couponlib.ContextError, "value"),
    (lambda c: c.set("order.serial", "5"), TypeError, None),
    (lambda c: c.set("order.serial", True), TypeError, None),
    (lambda c: c.set("order.serial", -1), couponlib.ContextError, "value"),
    (lambda c: c.set("order.sequence", 0), couponlib.ContextError, "value"),
    (lambda c: c.set("user.birthday", "28/11/1990"), couponlib.ContextError, "date"),
    (lambda c: c.set("user.birthday", datetime(1990, 1, 1)), TypeError, None),
    (lambda c: c.set("user.birthday", 19901128), TypeError, None),
    (lambda c: c.set("shipping.amount", 4.99), TypeError, None),
    (lambda c: c.set("shipping.amount", True), TypeError, None),
    (lambda c: c.set("shipping.amount", "4.999"), couponlib.ContextError, "amount"),
    (lambda c: c.set("shipping.amount", "-1.00"), couponlib.ContextError, "amount"),
    (lambda c: c.set("shipping.amount", "lots"), couponlib.ContextError, "amount"),
    (lambda c: c.set("shipping.amount", "1e99"), couponlib.ContextError, None),
    (lambda c: c.add_code(5), TypeError, None),
    (lambda c: c.add_user_tag("a\0"), couponlib.ContextError, "value"),
    (lambda c: c.add_item(5, 1, "1.00"), TypeError, None),
    (lambda c: c.add_item("A", 0, "1.00"), couponlib.ContextError, "value"),
    (lambda c: c.add_item("A", 1.0, "1.00"), TypeError, None),
    (lambda c: c.add_item("A", 1, 1.0), TypeError, None),
    (lambda c: c.add_item("A", 1, "1.00", on_sale=1), TypeError, None),
    (lambda c: c.add_item("A", 1, "1.00", categories=[5]), TypeError, None),
    (lambda c: c.add_item("A", 1 << 62, "1000.00"), couponlib.ContextError, "overflow"),
    (lambda c: c.set_usage("X", total=-1), couponlib.ContextError, "value"),
    (lambda c: c.set_usage("X", user="1"), TypeError, None),
    (lambda c: c.set_usage("X", spent=-5), couponlib.ContextError, "amount"),
])
def test_setter_errors(call, exc, code):
    ctx = couponlib.Context(cart())
    with pytest.raises(exc) as e:
        call(ctx)
    if code is not None:
        assert e.value.code == code
    if isinstance(e.value, couponlib.ContextError):
        assert e.value.message


def test_amounts_need_a_currency():
    ctx = couponlib.Context()
    with pytest.raises(couponlib.ContextError) as e:
        ctx.add_item("A", 1, "1.00")
    assert e.value.code == "currency"
    ctx.set_currency("JPY")
    ctx.add_item("A", 1, 500)
    with pytest.raises(couponlib.ContextError) as e:
        ctx.add_item("B", 1, "1.5")
    assert e.value.code == "amount"


def test_limits_reach_the_setters():
    env = couponlib.Env(items=1, string=4)
    ctx = couponlib.Context(env=env)
    ctx.set_currency("USD")
    ctx.add_item("A", 1, 1)
    with pytest.raises(couponlib.ContextError) as e:
        ctx.add_item("B", 1, 1)
    assert e.value.code == "limit"
    with pytest.raises(couponlib.ContextError) as e:
        ctx.add_code("TOOLONG")
    assert e.value.code == "limit"


def test_fill_and_clear(shop):
    ctx = couponlib.Context(cart())
    ctx.fill(json.dumps(cart(codes=[])))
    assert len(ctx) == 3
    with pytest.raises(couponlib.ContextError):
        ctx.fill(cart(now="never"))
    assert len(ctx) == 0 and ctx.currency is None     # left empty on error
    ctx.fill(cart())
    ctx.clear()
    assert len(ctx) == 0
    with pytest.raises(couponlib.EvaluationError) as e:
        shop.evaluate(ctx)
    assert e.value.code == "invalid-argument" and "now and currency" in e.value.message
    with pytest.raises(TypeError):
        ctx.fill(12)


def test_yaml_text_is_a_context_too(shop):
    text = "now: 2026-11-27T14:00:00Z\ncurrency: USD\nitems:\n" \
           "  - { sku: A, quantity: 1, unit_price: 10.00 }\n"
    assert shop.evaluate(text) == shop.evaluate(
        {"now": "2026-11-27T14:00:00Z", "currency": "USD",
         "items": [{"sku": "A", "quantity": 1, "unit_price": "10.00"}]})
    with pytest.raises(couponlib.ContextError) as e:
        shop.evaluate("now: [\n")
    assert e.value.code == "syntax"
    with pytest.raises(couponlib.ContextError) as e:
        shop.evaluate("a: 1\n---\nb: 2\n")
    assert e.value.code == "syntax"


def test_unicode(shop):
    d = cart(user={"id": "ünï-cødé ✓"})
    assert shop.evaluate(d) == shop.evaluate(json.dumps(d))
    with pytest.raises(couponlib.ContextError):
        shop.evaluate(cart(user={"id": "\udc80"}))


def test_changing_a_context_while_it_is_read():
    """The readers/writer guard: no change while an evaluation reads it, no
    evaluation while it changes."""
    ctx = couponlib.Context(cart())
    ctx._read()                       # as an evaluation in another thread does
    for change in (lambda: ctx.add_code("X"), lambda: ctx.fill(cart()), ctx.clear,
                   lambda: ctx.set("user.id", "x"), lambda: ctx.set_timezone(None)):
        with pytest.raises(RuntimeError, match="being evaluated"):
            change()
    ctx._done()
    ctx.add_code("X")
    ctx._writing = True               # as a change in another thread does
    try:
        with pytest.raises(RuntimeError, match="being changed"):
            couponlib.compile("code: A\ndiscount: { percent: 5 }\n").evaluate(ctx)
    finally:
        ctx._writing = False
    assert ctx._readers == 0
    ctx.add_code("Y")


def test_int_subclasses_and_hostile_mappings(shop):
    """Values are read as json reads them, and a mapping that changes the
    context while it is being read cannot break the reader."""
    import enum

    class Qty(enum.IntEnum):
        TWO = 2

    d = cart()
    d["items"][2]["quantity"] = Qty.TWO
    assert shop.evaluate(d) == shop.evaluate(cart())

    items = cart()["items"]
    import collections.abc

    class Shrinking(collections.abc.Mapping):
        def __init__(self, victim):
            self.victim = victim

        def __getitem__(self, k):
            return {"method": "card"}[k]

        def __iter__(self):
            self.victim.clear()          # empties the context's items list
            self.victim.update({})
            return iter(["method"])

        def __len__(self):
            return 1

    d = cart(items=items)
    d["payment"] = Shrinking(d)
    for _ in range(3):
        try:
            shop.evaluate(d)
        except (couponlib.ContextError, TypeError, RuntimeError):
            pass
