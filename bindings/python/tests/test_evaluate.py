"""Evaluating: results, choices, amounts, JSON, and evaluation errors."""

from __future__ import annotations

import decimal
import json
from decimal import Decimal

import pytest

import couponlib
from conftest import cart


def test_results(shop, ctx_dict):
    results = shop.evaluate(ctx_dict)
    assert isinstance(results, list) and len(results) == len(shop)
    by = {r.code: r for r in results}
    bf = by["BLACKFRIDAY"]
    assert isinstance(bf, couponlib.Result)
    assert bf.applicable is True and bf.discount == Decimal("200.00")
    assert str(bf.discount) == "200.00" and str(bf.shipping_discount) == "0.00"
    assert bf.lines == (couponlib.Line(0, "OLED-65", Decimal("200.00")),)
    assert bf.reasons == () and bf.currency == "USD" and bf.coupon == shop["BLACKFRIDAY"].index
    ten = by["TENTH"]
    assert [line.sku for line in ten.lines] == ["OLED-65", "COAT-M", "SCARF"]
    assert sum(line.discount for line in ten.lines) == ten.discount == Decimal("15.00")
    welcome = by["WELCOME10"]
    assert welcome.applicable is False and welcome.discount == Decimal("0.00")
    (reason,) = welcome.reasons
    assert isinstance(reason, couponlib.Reason)
    assert reason.code == "ORDER_SEQUENCE" and reason.line == 17 and reason.message
    assert welcome.reason_codes == ("ORDER_SEQUENCE",)
    for r in results:
        assert all(x.code in couponlib.REASONS for x in r.reasons)
        assert r.applicable or r.reasons


def test_results_are_immutable(shop, ctx_dict):
    r = shop.evaluate(ctx_dict)[0]
    with pytest.raises(AttributeError):
        r.discount = Decimal(0)
    assert r == couponlib.Result(*r) and hash(r) == hash(couponlib.Result(*r))


def test_amounts_have_the_currency_decimals():
    src = "code: ALL\ndiscount: { percent: 10 }\n"
    cat = couponlib.compile(src)
    for currency, price, want in (("USD", "19.99", "2.00"), ("JPY", "1999", "200"),
                                  ("KWD", "19.995", "2.000"), ("BHD", "0.001", "0.000")):
        (r,) = cat.evaluate({"now": "2026-01-01T00:00:00Z", "currency": currency,
                             "items": [{"sku": "A", "quantity": 1, "unit_price": price}]})
        assert str(r.discount) == want and r.currency == currency
        assert r.discount.as_tuple().exponent == -couponlib.currency_exponent(currency)


def test_amounts_do_not_depend_on_the_decimal_context(shop, ctx_dict):
    want = shop.best(ctx_dict)
    with decimal.localcontext() as c:
        c.prec = 2
        c.traps[decimal.Inexact] = True
        got = shop.best(ctx_dict)
    assert str(got.subtotal) == "2129.00" and got == want


def test_entered(shop, ctx_dict):
    everything = {r.code: r for r in shop.evaluate(ctx_dict)}
    entered = {r.code: r for r in shop.evaluate(ctx_dict, entered=True)}
    assert everything["TV50"].applicable and not entered["TV50"].applicable
    assert "CODE_REQUIRED" in entered["TV50"].reason_codes
    assert entered["VIP20"] == everything["VIP20"]   # entered in the context


def test_some_coupons(shop, ctx_dict):
    some = shop.evaluate(ctx_dict, coupons=["tv50", "WELCOME10"])
    assert [r.code for r in some] == ["TV50", "WELCOME10"]
    every = {r.code: r for r in shop.evaluate(ctx_dict)}
    assert some == [every["TV50"], every["WELCOME10"]]
    assert shop.evaluate(ctx_dict, coupons="STAFF")[0].code == "STAFF"
    assert shop.evaluate(ctx_dict, coupons=[]) == []
    with pytest.raises(KeyError):
        shop.evaluate(ctx_dict, coupons=["NOPE"])
    with pytest.raises(KeyError):
        shop.evaluate(ctx_dict, coupons=["TV\0"])
    with pytest.raises(TypeError):
        shop.evaluate(ctx_dict, coupons=[5])


def test_best(shop, ctx_dict):
    choice = shop.best(ctx_dict)
    assert isinstance(choice, couponlib.Choice)
    assert choice.coupons == ("BLACKFRIDAY",)
    assert (choice.discount, choice.shipping_discount, choice.subtotal, choice.shipping,
            choice.total) == (Decimal("200.00"), Decimal("0.00"), Decimal("2129.00"),
                              Decimal("12.00"), Decimal("1941.00"))
    assert [r.code for r in choice.applied] == ["BLACKFRIDAY"]
    rejected = {r.code: r for r in choice.rejected}
    assert "NOT_COMBINABLE" in rejected["VIP20"].reason_codes
    assert choice.currency == "USD"


def test_best_with_an_unknown_code(shop):
    choice = shop.best(cart(codes=["NOSUCH"]))
    unknown = [r for r in choice.rejected if r.code == "NOSUCH"]
    assert unknown and unknown[0].coupon is None
    assert unknown[0].reason_codes == ("UNKNOWN_CODE",)


def test_best_of_nothing():
    cat = couponlib.compile("code: A\ndiscount: { percent: 5 }\n")
    choice = cat.best({"now": "2026-01-01T00:00:00Z", "currency": "EUR", "items": []})
    assert choice.coupons == () and choice.applied == () and choice.total == Decimal("0.00")


def test_to_dict_is_the_spec_json(shop, ctx_dict):
    """to_dict() gives the JSON of SPEC sections 5 and 6, as the C library
    writes it (lines by index and SKU)."""
    results = shop.evaluate(ctx_dict)
    assert [r.to_dict() for r in results] == json.loads(shop.evaluate_json(ctx_dict))
    assert results[1].to_dict()["lines"][0] == {"index": 0, "sku": "OLED-65",
                                               "discount": "13.38"}
    assert shop.best(ctx_dict).to_dict() == json.loads(shop.best_json(ctx_dict))
    entered = json.loads(shop.evaluate_json(ctx_dict, entered=True))
    assert any(x["code"] == "CODE_REQUIRED" for r in entered for x in r["reasons"])
    reason = couponlib.Reason("EXPIRED", "expired", None)
    assert reason.to_dict() == {"code": "EXPIRED", "message": "expired"}


def test_the_step_budget():
    cat = couponlib.compile("code: A\nwhen: { user.tags: { any: [a, b, c] } }\n"
                            "discount: { percent: 5 }\n", env=couponlib.Env(steps=2))
    with pytest.raises(couponlib.EvaluationError) as e:
        cat.evaluate(cart(user={"tags": ["x", "y"]}))
    assert e.value.code == "steps" and e.value.line is None


def test_a_context_without_now():
    cat = couponlib.compile("code: A\ndiscount: { percent: 5 }\n")
    ctx = couponlib.Context()
    ctx.set_currency("USD")
    for call in (cat.evaluate, cat.best, cat.evaluate_json, cat.best_json):
        with pytest.raises(couponlib.EvaluationError) as e:
            call(ctx)
        assert e.value.code == "invalid-argument"


def test_contexts_and_catalogs_of_other_environments(shop, ctx_dict):
    env = couponlib.Env(steps=100000)
    ctx = couponlib.Context(ctx_dict, env=env)
    assert shop.evaluate(ctx) == shop.evaluate(ctx_dict)
    mine = couponlib.compile("code: A\ndiscount: { percent: 5 }\n", env=env)
    assert mine.evaluate(couponlib.Context(ctx_dict))[0].applicable


def test_an_evaluation_inside_an_evaluation(shop, ctx_dict):
    """The thread's state is busy while its results are read: an evaluation
    started then (from a finalizer, say) gets fresh state."""
    st = couponlib.default_env()._state()
    st.busy = True
    try:
        assert couponlib.default_env()._state() is not st
        inner = shop.evaluate(ctx_dict)
    finally:
        st.busy = False
    assert couponlib.default_env()._state() is st
    assert inner == shop.evaluate(ctx_dict)
