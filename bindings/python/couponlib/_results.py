"""What evaluations return: small immutable typed objects (named tuples)
with decimal.Decimal amounts, read from the C results at once (the C results
belong to the thread's vm and are overwritten by its next evaluation)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from . import _cl

__all__ = ["Reason", "Line", "Result", "Choice", "Coupon"]


class Reason(NamedTuple):
    """A failed requirement (SPEC section 5)."""

    code: str            #: stable reason code: "WEEKDAY", "MIN_SUBTOTAL", ...
    message: str         #: "valid only on Sat, Sun"
    line: int | None     #: coupon source line of the failed condition

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.line is not None:
            d["line"] = self.line
        return d


class Line(NamedTuple):
    """The discount on one line of the cart."""

    index: int           #: the line's index in the context's items
    sku: str
    discount: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "sku": self.sku, "discount": str(self.discount)}


class Result(NamedTuple):
    """One coupon's outcome (SPEC section 5)."""

    code: str
    applicable: bool
    discount: Decimal
    shipping_discount: Decimal
    lines: tuple[Line, ...]
    reasons: tuple[Reason, ...]
    currency: str
    coupon: int | None   #: index in the catalog; None for an unknown entered code

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of SPEC section 5 (amounts as strings)."""
        return {"code": self.code, "applicable": self.applicable,
                "discount": str(self.discount),
                "shipping_discount": str(self.shipping_discount),
                "lines": [x.to_dict() for x in self.lines],
                "reasons": [r.to_dict() for r in self.reasons]}


class Choice(NamedTuple):
    """The best combination (SPEC section 6)."""

    coupons: tuple[str, ...]      #: applied codes, in application order
    discount: Decimal
    shipping_discount: Decimal
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    applied: tuple[Result, ...]   #: one per applied coupon, in order
    rejected: tuple[Result, ...]  #: candidates not applied, with their reasons
    currency: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of SPEC section 6 (amounts as strings)."""
        return {"coupons": list(self.coupons), "discount": str(self.discount),
                "shipping_discount": str(self.shipping_discount),
                "subtotal": str(self.subtotal), "shipping": str(self.shipping),
                "total": str(self.total),
                "applied": [r.to_dict() for r in self.applied],
                "rejected": [{"code": r.code, "reasons": [x.to_dict() for x in r.reasons]}
                             for r in self.rejected]}


class Coupon(NamedTuple):
    """What a catalog knows of one of its coupons."""

    index: int
    code: str
    name: str
    group: str
    currency: str
    automatic: bool
    exclusive: bool
    priority: int


# ---------------------------------------------------------------------------
# Reading C results (native.c builds the objects)
# ---------------------------------------------------------------------------

_cl.cl_py_setup((Result, Line, Reason, Decimal))
_new = tuple.__new__

#: Decimals already made, per currency: minor units -> Decimal. Decimals are
#: immutable, so results share them; native.c bounds each dict.
_caches: dict[str, dict[int, Decimal]] = {}


def _cache(currency: str) -> dict[int, Decimal]:
    c = _caches.get(currency)
    if c is None:
        c = _caches[currency] = {}
    return c


def evaluation(res, ctx) -> list[Result]:
    r = _cl
    return list(r.cl_py_outcomes(res, ctx, 0, r.cl_result_count(res),
                                 _cache(r.cl_result_currency(res))))


def choice(res, ctx) -> Choice:
    r = _cl
    currency = r.cl_result_currency(res)
    cache = _cache(currency)
    n = r.cl_result_count(res)
    applied = r.cl_py_outcomes(res, ctx, 0, n, cache)
    rejected = r.cl_py_outcomes(res, ctx, n, r.cl_result_rejected_count(res), cache)
    t, a = r.cl_result_total, r.cl_py_amount
    return _new(Choice, (
        tuple(x.code for x in applied),
        a(t(res, r.CL_TOTAL_DISCOUNT), currency, cache),
        a(t(res, r.CL_TOTAL_SHIPPING_DISCOUNT), currency, cache),
        a(t(res, r.CL_TOTAL_SUBTOTAL), currency, cache),
        a(t(res, r.CL_TOTAL_SHIPPING), currency, cache),
        a(t(res, r.CL_TOTAL_TOTAL), currency, cache), applied, rejected, currency))
