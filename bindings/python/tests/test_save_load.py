"""Saved catalogs: save() and load(), and hostile bytes."""

from __future__ import annotations

import pytest

import couponlib
from conftest import SHOP, cart

SMALL = 'currency: USD\ncode: TEN\nwhen: { payment.method: card }\n' \
        'discount: { amount: "10.00" }\n'


def test_a_saved_catalog_evaluates_as_the_compiled_one(shop):
    data = shop.save()
    assert isinstance(data, bytes) and data
    loaded = couponlib.load(data)
    assert loaded.coupons == shop.coupons
    for ctx in (cart(), cart(codes=[]), cart(user={"email": "x@shop.example"})):
        assert loaded.evaluate(ctx) == shop.evaluate(ctx)
        assert loaded.best(ctx) == shop.best(ctx)
    assert loaded.save() == data
    assert couponlib.load(bytearray(data)).codes == couponlib.load(memoryview(data)).codes


def test_linked_catalogs_and_environments(tmp_path):
    both = couponlib.compile([SHOP, SMALL])
    env = couponlib.Env()
    loaded = couponlib.load(both.save(), env=env)
    assert loaded.codes == both.codes and loaded.evaluate(cart()) == both.evaluate(cart())


def test_compile_takes_saved_programs_too(tmp_path, shop):
    """As couponc does, wherever a coupon file goes a saved one may."""
    (tmp_path / "shop.clp").write_bytes(shop.save())
    assert couponlib.compile(tmp_path / "shop.clp").codes == shop.codes
    assert couponlib.compile(shop.save()).codes == shop.codes
    assert couponlib.compile([tmp_path / "shop.clp", SMALL]).codes == shop.codes + ("TEN",)


def test_load_errors():
    with pytest.raises(TypeError):
        couponlib.load("not bytes")
    with pytest.raises(couponlib.LoadError) as e:
        couponlib.load(b"")
    assert e.value.code == "format" and e.value.source == "<saved program>"
    with pytest.raises(couponlib.LoadError):
        couponlib.load(b"code: A\n")


def test_truncated_and_corrupted_bytes_never_load():
    data = couponlib.compile(SMALL).save()
    for n in range(len(data)):
        with pytest.raises(couponlib.LoadError) as e:
            couponlib.load(data[:n])
        assert e.value.code in ("format", "verify", "limit")
    for i in range(len(data)):
        bad = bytearray(data)
        bad[i] ^= 0x5A
        with pytest.raises(couponlib.LoadError) as e:
            couponlib.load(bytes(bad))
        assert str(e.value).startswith("<saved program>: error[")
    with pytest.raises(couponlib.LoadError) as e:
        couponlib.load(data + b"\0")
    assert e.value.offset is not None


def test_a_corrupted_saved_file(tmp_path):
    data = bytearray(couponlib.compile(SMALL).save())
    data[-1] ^= 1
    (tmp_path / "bad.clp").write_bytes(data)
    with pytest.raises(couponlib.LoadError) as e:
        couponlib.compile(tmp_path / "bad.clp")
    assert e.value.source == str(tmp_path / "bad.clp")


def test_indexed_best(shop):
    for ctx in (cart(), cart(codes=[]), cart(user={"tags": []})):
        plain, indexed = shop.best(ctx), shop.best(ctx, indexed=True)
        assert indexed.coupons == plain.coupons and indexed.total == plain.total
        assert {r.code for r in indexed.rejected} <= {r.code for r in plain.rejected}
        assert shop.best_json(ctx, indexed=True)


def test_catalogs_pickle(shop):
    import pickle
    again = pickle.loads(pickle.dumps(shop))
    assert again.coupons == shop.coupons and again.best(cart()) == shop.best(cart())
