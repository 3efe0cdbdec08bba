"""Every coupon test file through the binding: the shared conformance files
(../shared/conformance, when present) and the project's own tests/cases and
tests/time.
One test per case; the semantics are implemented in specfile.py."""

from __future__ import annotations

from pathlib import Path

import pytest

import specfile
from conftest import CASES, SHARED, TIME_CASES


def _files() -> list[Path]:
    files = sorted(CASES.glob("*.test.yaml")) + sorted(TIME_CASES.glob("*.test.yaml"))
    if SHARED.is_dir():
        files += sorted(SHARED.glob("*.test.yaml"))
    return files


def _cases():
    for f in _files():
        try:
            cases = specfile.load(f)
        except (specfile.BadTestFile, OSError) as e:
            yield pytest.param(f, e, id=f"{f.parent.name}/{f.name}::the file")
            continue
        for c in cases:
            yield pytest.param(f, c, id=f"{f.parent.name}/{c.id}")


@pytest.mark.parametrize("path,case", list(_cases()))
def test_case(path, case):
    assert not isinstance(case, Exception), f"{path}: {case}"
    problems = specfile.run(case)
    assert not problems, "\n".join(problems)


def test_every_shared_file_is_run():
    """The shared conformance files are all found when ../shared is there,
    and the project's own cases are never missing."""
    assert sorted(CASES.glob("*.test.yaml")), CASES
    if SHARED.is_dir():
        assert len([f for f in _files() if f.parent == SHARED]) == \
            len(list(SHARED.glob("*.test.yaml")))


def test_a_failing_expectation_is_reported(tmp_path):
    """The runner can fail: a wrong discount, a missing reason, a wrong best
    choice and an unknown coupon are each reported."""
    (tmp_path / "c.yaml").write_text(
        "currency: USD\ncode: TEN\ndiscount: { amount: \"10.00\" }\n")
    (tmp_path / "t.test.yaml").write_text(
        "coupons: c.yaml\n"
        "cases:\n"
        "  - name: wrong\n"
        "    context: { now: \"2026-01-01T00:00:00Z\", currency: USD, codes: [TEN],\n"
        "               items: [ { sku: A, quantity: 1, unit_price: \"50.00\" } ] }\n"
        "    expect:\n"
        "      TEN: { applicable: false, discount: \"9.99\", reasons: [WEEKDAY],\n"
        "             lines: [] }\n"
        "      NOPE: { applicable: true }\n"
        "    best: { coupons: [], total: \"1.00\", rejected: [TEN] }\n")
    (case,) = specfile.load(tmp_path / "t.test.yaml")
    problems = specfile.run(case)
    text = "\n".join(problems)
    for part in ("TEN.applicable", "TEN.discount", "TEN.reasons", "TEN.lines",
                 "NOPE: no such coupon", "best.coupons", "best.total",
                 "best.rejected: TEN"):
        assert part in text, text


def test_a_bad_test_file_is_reported(tmp_path):
    (tmp_path / "t.test.yaml").write_text("cases: []\nbogus: 1\n")
    with pytest.raises(specfile.BadTestFile, match="bogus"):
        specfile.load(tmp_path / "t.test.yaml")


def test_context_errors_and_their_positions(tmp_path):
    """context_error cases compare the error; positions are the test file's."""
    (tmp_path / "c.yaml").write_text("code: A\ndiscount: { percent: 10 }\n")
    (tmp_path / "t.test.yaml").write_text(
        "coupons: c.yaml\n"
        "cases:\n"
        "  - name: a bad amount\n"
        "    context:\n"
        "      now: \"2026-01-01T00:00:00Z\"\n"
        "      currency: USD\n"
        "      items:\n"
        "        - { sku: A, quantity: 1, unit_price: \"1.005\" }\n"
        "    context_error: { code: amount, line: 8, column: 46, path: \"items[0].unit_price\",\n"
        "                     message: \"has 3 decimals\" }\n")
    (case,) = specfile.load(tmp_path / "t.test.yaml")
    assert specfile.run(case) == []
    case.data["context_error"]["line"] = 7
    assert any("error line" in p for p in specfile.run(case))


def test_spec_scalars():
    """SPEC section 9: only plain true/false are booleans; NO, 0411 and
    quoted numbers stay text."""
    import yaml
    d = yaml.load("a: NO\nb: true\nc: 'true'\nd: 0411\ne: 12\nf: ~\ng: 2026-01-01\n"
                  "h: 1.50\n", Loader=specfile.SpecLoader)
    assert d == {"a": "NO", "b": True, "c": "true", "d": "0411", "e": 12, "f": None,
                 "g": "2026-01-01", "h": "1.50"}
