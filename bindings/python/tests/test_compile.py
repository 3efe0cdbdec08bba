"""Compiling, linking, catalogs, environments and compile errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import couponlib
from conftest import ROOT, SHOP

TEN = 'currency: USD\ncode: TEN\ndiscount: { amount: "10.00" }\n'
FIVE = 'currency: USD\ncode: FIVE\nautomatic: true\ngroup: g\npriority: 3\n' \
       'discount: { amount: "5.00" }\n'


def test_sources_of_every_kind(tmp_path):
    (tmp_path / "ten.yaml").write_text(TEN)
    for source in (str(tmp_path / "ten.yaml"), tmp_path / "ten.yaml", TEN, TEN.encode(),
                   bytearray(TEN.encode()), [TEN], [tmp_path / "ten.yaml"]):
        cat = couponlib.compile(source)
        assert cat.codes == ("TEN",), source


def test_several_sources_are_linked(tmp_path):
    (tmp_path / "five.yaml").write_text(FIVE)
    cat = couponlib.compile([TEN, tmp_path / "five.yaml"])
    assert cat.codes == ("TEN", "FIVE")
    assert len(cat) == 2


def test_link():
    ten, five = couponlib.compile(TEN), couponlib.compile(FIVE)
    both = couponlib.link(ten, five)
    assert both.codes == ("TEN", "FIVE")
    assert ten.codes == ("TEN",)       # the inputs are left as they are
    del ten, five
    assert len(both.evaluate({"now": "2026-01-01T00:00:00Z", "currency": "USD",
                              "items": [{"sku": "A", "quantity": 1, "unit_price": 20}]})) == 2


def test_link_errors():
    ten = couponlib.compile(TEN)
    with pytest.raises(couponlib.CompileError) as e:
        couponlib.link(ten, couponlib.compile(TEN, name="again.yaml"))
    assert e.value.code == "duplicate"
    with pytest.raises(couponlib.CompileError) as e:
        couponlib.compile([TEN, TEN])
    assert e.value.code == "duplicate" and "TEN" in e.value.message
    with pytest.raises(ValueError):
        couponlib.link()
    with pytest.raises(TypeError):
        couponlib.link(ten, "not a catalog")


def test_bad_source_types(tmp_path):
    for bad in (12, None, 1.5, object()):
        with pytest.raises(TypeError):
            couponlib.compile(bad)
    with pytest.raises(TypeError):
        couponlib.compile([TEN, 12])
    with pytest.raises(ValueError):
        couponlib.compile([])
    with pytest.raises(ValueError):
        couponlib.compile(TEN, name="a\0b")


def test_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        couponlib.compile(tmp_path / "missing.yaml")
    with pytest.raises(FileNotFoundError):
        couponlib.compile("missing.yaml")       # a str without a newline is a path
    with pytest.raises(IsADirectoryError):
        couponlib.compile(tmp_path)


def test_compile_error_attributes():
    src = "version: 1\ncurrency: USD\ncoupons:\n  - code: A\n    discont: { amount: \"1.00\" }\n"
    with pytest.raises(couponlib.CompileError) as info:
        couponlib.compile(src, name="shop.yaml")
    e = info.value
    assert isinstance(e, couponlib.Error) and isinstance(e, ValueError)
    assert (e.code, e.line, e.column, e.source) == ("unknown-key", 5, 5, "shop.yaml")
    assert e.path == "coupons[0].discont"
    assert e.status == couponlib._cl.CL_EKEY
    assert 'did you mean "discount"' in e.message
    assert str(e) == f"shop.yaml:5:5: error[unknown-key]: {e.message}"
    assert e.offset == src.index("discont")
    assert e.render().splitlines() == [
        str(e), '    5 |     discont: { amount: "1.00" }', "      |     ^"]


def test_compile_error_of_a_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("code: A\ndiscount: { percent: 101 }\n")
    with pytest.raises(couponlib.CompileError) as e:
        couponlib.compile(path)
    assert e.value.source == str(path) and e.value.line == 2
    assert e.value.code == "value"
    assert "discount: { percent: 101 }" in e.value.render()


def test_syntax_error_and_defaults():
    with pytest.raises(couponlib.CompileError) as e:
        couponlib.compile("coupons: [ { code: A\n")
    assert e.value.code == "syntax" and e.value.source == "<input>"
    assert e.value.line is not None


def test_errors_pickle():
    with pytest.raises(couponlib.CompileError) as info:
        couponlib.compile("code: A\ndiscount: {amout: 1}\n", name="x.yaml")
    e = pickle.loads(pickle.dumps(info.value))
    assert type(e) is couponlib.CompileError
    assert (e.code, e.line, e.column, e.source, e.path, e.message) == \
        (info.value.code, info.value.line, info.value.column, info.value.source,
         info.value.path, info.value.message)
    assert e.render() == info.value.render()


def test_input_limit(tmp_path):
    env = couponlib.Env(input_bytes=64)
    big = TEN + "# " + "x" * 100 + "\n"
    with pytest.raises(couponlib.CompileError) as e:
        couponlib.compile(big, env=env)
    assert e.value.code == "limit"
    (tmp_path / "big.yaml").write_text(big)
    with pytest.raises(couponlib.CompileError) as e:
        couponlib.compile(tmp_path / "big.yaml", env=env)
    assert e.value.code == "limit"
    assert couponlib.compile(TEN, env=env).codes == ("TEN",)


def test_catalog_facts():
    cat = couponlib.compile([TEN, FIVE])
    five = cat["five"]
    assert five == couponlib.Coupon(1, "FIVE", "", "g", "USD", True, False, 3)
    assert cat[0].code == "TEN" and cat[-1].code == "FIVE"
    assert "ten" in cat and "TEN" in cat and "NOPE" not in cat and 12 not in cat
    assert "a\0b" not in cat
    assert [c.code for c in cat] == ["TEN", "FIVE"]
    with pytest.raises(KeyError):
        cat["NOPE"]
    with pytest.raises(IndexError):
        cat[5]
    with pytest.raises(TypeError):
        cat[1.5]
    assert repr(cat) == "<couponlib.Catalog of 2 coupons>"
    with pytest.raises(TypeError):
        couponlib.Catalog()


def test_shop_catalog(shop):
    assert len(shop) == 11
    assert shop["STAFF"].exclusive and shop["WELCOME10"].automatic
    assert shop["VIP20"].name == "20% for VIP customers on fashion"


def test_disasm(shop):
    text = shop.disasm()
    assert isinstance(text, str) and "WELCOME10" in text and len(text.splitlines()) > 20


def test_env():
    env = couponlib.Env(steps=5000, items=3, tzdir="/usr/share/zoneinfo")
    assert env.limits["steps"] == 5000 and env.limits["items"] == 3
    assert set(env.limits) == set(couponlib.LIMITS)
    assert env.tzdir == "/usr/share/zoneinfo"
    assert couponlib.default_env().limits["steps"] == 1000000
    assert couponlib.default_env() is couponlib.default_env()
    assert "zoneinfo" in repr(env)
    with pytest.raises(TypeError, match="unknown limit"):
        couponlib.Env(stepz=1)
    with pytest.raises(TypeError):
        couponlib.Env(steps="10")
    with pytest.raises(TypeError):
        couponlib.Env(steps=True)
    for bad in (0, -1, 1 << 64):
        with pytest.raises(ValueError):
            couponlib.Env(steps=bad)
    with pytest.raises(ValueError):
        couponlib.Env(tzdir="")
    with pytest.raises(ValueError):
        couponlib.Env(tzdir="a\0b")


def test_tzdir_is_used(tmp_path):
    env = couponlib.Env(tzdir=tmp_path)
    assert env.tzdir == str(tmp_path)
    ctx = couponlib.Context(env=env)
    with pytest.raises(couponlib.ContextError) as e:
        ctx.set_timezone("Europe/Berlin")
    assert e.value.code == "zone"
    with pytest.raises(couponlib.ContextError) as e:
        couponlib.Context({"now": "2026-01-01T00:00:00Z", "currency": "USD", "items": [],
                           "timezone": "Europe/Berlin"}, env=env)
    assert e.value.code == "zone" and e.value.path == "timezone"


def test_currency_exponent():
    assert couponlib.currency_exponent("USD") == 2
    assert couponlib.currency_exponent("JPY") == 0
    assert couponlib.currency_exponent("KWD") == 3
    assert couponlib.currency_exponent("XXX") is None
    assert couponlib.currency_exponent("usd") is None
    assert couponlib.currency_exponent("US\0D") is None
    with pytest.raises(TypeError):
        couponlib.currency_exponent(840)


def test_version_and_reasons():
    import tomllib
    with open(ROOT / "bindings" / "python" / "pyproject.toml", "rb") as f:
        assert tomllib.load(f)["project"]["version"] == couponlib.__version__
    assert couponlib.REASONS[0] == "NOT_STARTED" and "CODE_REQUIRED" in couponlib.REASONS
    assert len(couponlib.REASONS) == 23


def test_the_example_file_exists():
    assert SHOP.is_file() and Path(ROOT / "examples" / "carts").is_dir()
