"""Checkout contexts: plain dicts in the JSON shape of SPEC section 3, JSON
text, or a prepared Context kept for reuse.

A dict is encoded to JSON and parsed by the C library, so a dict and the
same JSON text are read by exactly the same rules and give the same errors
(with the path of the mistake, "items[2].unit_price"). Amounts are str, int
or decimal.Decimal, never float; dates and `now` may be datetime.date and
timezone-aware datetime.datetime objects.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Union

from . import _cl
from ._env import Env, _ContextHandle, default_env
from ._errors import ContextError, from_c, from_status

__all__ = ["Context", "ContextLike", "FIELDS"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: The scalar fields a Context sets with set(), and their kinds.
FIELDS = {
    "user.id": (_cl.CL_FIELD_USER_ID, "string"),
    "user.email": (_cl.CL_FIELD_USER_EMAIL, "string"),
    "user.birthday": (_cl.CL_FIELD_USER_BIRTHDAY, "date"),
    "user.signup_date": (_cl.CL_FIELD_USER_SIGNUP_DATE, "date"),
    "user.orders_completed": (_cl.CL_FIELD_USER_ORDERS_COMPLETED, "int"),
    "order.number": (_cl.CL_FIELD_ORDER_NUMBER, "string"),
    "order.serial": (_cl.CL_FIELD_ORDER_SERIAL, "int"),
    "order.sequence": (_cl.CL_FIELD_ORDER_SEQUENCE, "int"),
    "payment.method": (_cl.CL_FIELD_PAYMENT_METHOD, "string"),
    "payment.network": (_cl.CL_FIELD_PAYMENT_NETWORK, "string"),
    "payment.bin": (_cl.CL_FIELD_PAYMENT_BIN, "string"),
    "payment.wallet": (_cl.CL_FIELD_PAYMENT_WALLET, "string"),
    "shipping.method": (_cl.CL_FIELD_SHIPPING_METHOD, "string"),
    "shipping.country": (_cl.CL_FIELD_SHIPPING_COUNTRY, "string"),
    "shipping.amount": (_cl.CL_FIELD_SHIPPING_AMOUNT, "amount"),
}


# ---------------------------------------------------------------------------
# Dicts as JSON
# ---------------------------------------------------------------------------

def _instant(dt: datetime) -> str:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"a naive datetime ({dt.isoformat()}) is not an instant; "
                         "give it a tzinfo")
    return dt.isoformat()


def _default(o: Any) -> Any:
    """What json cannot encode by itself."""
    if isinstance(o, Decimal):
        if not o.is_finite():
            raise ValueError(f"{o} is not an amount")
        return format(o, "f")
    if isinstance(o, datetime):
        return _instant(o)
    if isinstance(o, date):
        return o.isoformat()
    if isinstance(o, Mapping):
        return dict(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    raise TypeError(f"a context cannot hold a {type(o).__name__} ({o!r})")


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                           default=_default).encode


def _no_float(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise TypeError(f"{where}: a float is not an exact amount; "
                        "use a str, an int or a decimal.Decimal")


def _check_amounts(d: Mapping) -> None:
    """Amounts must not be floats (the only floats json would write)."""
    items = d.get("items")
    if isinstance(items, (list, tuple)):
        for i, it in enumerate(items):
            if isinstance(it, Mapping) and isinstance(it.get("unit_price"), float):
                _no_float(it["unit_price"], f"items[{i}].unit_price")
    shipping = d.get("shipping")
    if isinstance(shipping, Mapping):
        _no_float(shipping.get("amount"), "shipping.amount")
    usage = d.get("usage")
    if isinstance(usage, Mapping):
        for code, u in usage.items():
            if isinstance(u, Mapping):
                _no_float(u.get("spent"), f"usage.{code}.spent")


def encode(data: Any) -> tuple[bytes, bool]:
    """The bytes to parse for a context given as a dict, str or bytes, and
    whether error positions in them mean anything to the caller."""
    if isinstance(data, Mapping):
        _check_amounts(data)
        try:
            return _encode(data).encode("utf-8"), False
        except UnicodeEncodeError as e:
            raise ContextError(f"the context holds text that is not valid Unicode: {e}",
                               code="value", status=_cl.CL_EVALUE) from None
    if isinstance(data, str):
        return data.encode("utf-8", "surrogateescape"), True
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), True
    raise TypeError("a context is a dict, JSON text or a couponlib.Context, "
                    f"not {type(data).__name__}")


def parse_into(ptr, data: Any) -> None:
    """Clears the C context ptr and fills it from data: a dict straight from
    its objects (native.c), unless it holds something only the JSON way
    handles exactly; text (and those dicts) through cl_context_parse."""
    try:
        if type(data) is dict and _cl.cl_py_context_fill(ptr, data, _default) == 0:
            return
        text, positions = encode(data)
        _cl.cl_context_parse(ptr, text)
    except _cl.Error as e:
        if type(data) is dict:
            raise from_c(ContextError, e.args, None, False) from None
        raise from_c(ContextError, e.args, text if positions else None, positions) from None


# ---------------------------------------------------------------------------
# Prepared contexts
# ---------------------------------------------------------------------------

class Context:
    """A checkout context kept in C form, to evaluate it many times (against
    several catalogs, or again after a few changes) without parsing it again.

        ctx = couponlib.Context({"now": ..., "currency": "USD", "items": [...]})
        ctx = couponlib.Context()            # empty: then the setters
        ctx.set_now(datetime.now(timezone.utc)); ctx.set_currency("USD")
        ctx.add_item("TV-55", 1, Decimal("499.99"), categories=["electronics/tv"])

    Any number of threads may evaluate one Context at once; changing it while
    an evaluation is running raises RuntimeError.
    """

    __slots__ = ("_h", "_env", "_lock", "_readers", "_writing", "__weakref__")

    def __init__(self, data: Mapping | str | bytes | None = None, *,
                 env: Env | None = None) -> None:
        self._env = env = env or default_env()
        self._h = _ContextHandle(env._h)
        self._lock = threading.Lock()
        self._readers = 0
        self._writing = False
        if data is not None:
            self.fill(data)

    # -- the readers/writer guard -------------------------------------------

    def _read(self):
        with self._lock:
            if self._writing:
                raise RuntimeError("the Context is being changed by another thread")
            self._readers += 1
        return self._h.ptr

    def _done(self) -> None:
        with self._lock:
            self._readers -= 1

    def _write(self):
        with self._lock:
            if self._readers or self._writing:
                raise RuntimeError("the Context is being evaluated or changed by another "
                                   "thread; it cannot change until that ends")
            self._writing = True
        return self._h.ptr

    # -- filling ---------------------------------------------------------------

    def fill(self, data: Mapping | str | bytes) -> None:
        """Clears the context and fills it from a dict or JSON/YAML text in
        the shape of SPEC section 3. On error the context is left empty."""
        if not isinstance(data, (Mapping, str, bytes, bytearray, memoryview)):
            encode(data)                      # the TypeError
        ptr = self._write()
        try:
            parse_into(ptr, data)
        finally:
            self._writing = False

    def clear(self) -> None:
        """Empties the context (no now, no currency, no items)."""
        ptr = self._write()
        try:
            _cl.cl_context_clear(ptr)
        finally:
            self._writing = False

    def _status(self, rc: int, what: str) -> None:
        if rc:
            raise from_status(ContextError, rc, what)

    def _minor(self, value: Decimal | int | str, what: str) -> int:
        """An amount in minor units of the context's currency."""
        currency = _cl.cl_context_currency(self._h.ptr)
        if not currency:
            raise ContextError(f"{what}: set the currency before any amount",
                               code="currency", status=_cl.CL_ECURRENCY)
        if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
            raise TypeError(f"{what}: an amount is a str, an int or a decimal.Decimal, "
                            f"not {type(value).__name__}")
        text = format(value, "f") if isinstance(value, Decimal) else str(value)
        rc, minor = _cl.cl_amount_parse(text.encode(), currency)
        if rc:
            raise ContextError(f"{what}: {text!r} is not an amount of {currency} "
                               f"({_cl.cl_strerror(rc)})", code=_cl.cl_status_name(rc),
                               status=rc)
        if minor < 0:
            raise ContextError(f"{what}: an amount may not be negative ({text})",
                               code="amount", status=_cl.CL_EAMOUNT)
        return minor

    def set_now(self, when: datetime | int) -> None:
        """The instant of the checkout: an aware datetime, or Unix seconds."""
        if isinstance(when, datetime):
            _instant(when)
            seconds = (when - _EPOCH) // timedelta(seconds=1)
        elif isinstance(when, int) and not isinstance(when, bool):
            seconds = when
        else:
            raise TypeError(f"now is a timezone-aware datetime or Unix seconds, "
                            f"not {type(when).__name__}")
        if not -(1 << 63) <= seconds < 1 << 63:
            raise ContextError(f"now: {seconds} is out of range", code="value",
                               status=_cl.CL_EVALUE)
        ptr = self._write()
        try:
            self._status(_cl.cl_context_set_now(ptr, seconds), "now")
        finally:
            self._writing = False

    def set_timezone(self, zone: str | None) -> None:
        """The store's IANA time zone; None removes it."""
        if zone is not None and not isinstance(zone, str):
            raise TypeError(f"timezone is a str or None, not {type(zone).__name__}")
        ptr = self._write()
        try:
            rc = _cl.cl_context_set_timezone(ptr, zone)
            if rc == _cl.CL_EZONE:
                raise ContextError(f"timezone: unknown time zone {zone!r}", code="zone",
                                   status=rc)
            self._status(rc, "timezone")
        finally:
            self._writing = False

    def set_currency(self, currency: str) -> None:
        """The ISO 4217 currency of every amount; set it before any amount."""
        if not isinstance(currency, str):
            raise TypeError(f"currency is a str, not {type(currency).__name__}")
        ptr = self._write()
        try:
            rc = _cl.cl_context_set_currency(ptr, currency)
            if rc:
                raise ContextError(f"currency: unknown currency {currency!r}",
                                   code=_cl.cl_status_name(rc), status=rc)
        finally:
            self._writing = False

    def set(self, field: str, value: Any) -> None:
        """Sets a scalar field by its SPEC name ("user.id", "order.sequence",
        "shipping.amount", "user.birthday", ...; see FIELDS). None removes
        it, as unset() does."""
        if value is None:
            return self.unset(field)
        f = FIELDS.get(field)
        if f is None:
            raise KeyError(f"unknown context field {field!r}; the fields are "
                           f"{', '.join(FIELDS)}")
        which, kind = f
        if kind == "string":
            if not isinstance(value, str):
                raise TypeError(f"{field} is a str, not {type(value).__name__}")
            if "\0" in value:
                raise ContextError(f"{field}: text may not contain NUL", code="value",
                                   status=_cl.CL_EVALUE)
        elif kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{field} is an int, not {type(value).__name__}")
            low = 1 if field == "order.sequence" else 0
            if not low <= value < 1 << 63:
                raise ContextError(f"{field}: {value} is out of range (at least {low})",
                                   code="value", status=_cl.CL_EVALUE)
        elif kind == "date":
            if isinstance(value, str):
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    raise ContextError(f"{field}: expected a date such as 1990-11-28, "
                                       f"found {value!r}", code="date",
                                       status=_cl.CL_EDATE) from None
            if isinstance(value, datetime) or not isinstance(value, date):
                raise TypeError(f"{field} is a datetime.date or an ISO date str, "
                                f"not {type(value).__name__}")
        else:
            value = self._minor(value, field)
        ptr = self._write()
        try:
            if kind == "string":
                rc = _cl.cl_context_set_string(ptr, which, value)
            elif kind == "int":
                rc = _cl.cl_context_set_int(ptr, which, value)
            elif kind == "date":
                rc = _cl.cl_context_set_date(ptr, which, value.year, value.month, value.day)
            else:
                rc = _cl.cl_context_set_amount(ptr, which, value)
            self._status(rc, field)
        finally:
            self._writing = False

    def unset(self, field: str) -> None:
        """Removes a scalar field: every predicate on it then fails."""
        f = FIELDS.get(field)
        if f is None:
            raise KeyError(f"unknown context field {field!r}")
        ptr = self._write()
        try:
            self._status(_cl.cl_context_unset(ptr, f[0]), field)
        finally:
            self._writing = False

    def _text(self, value: Any, what: str) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{what} is a str, not {type(value).__name__}")
        if "\0" in value:
            raise ContextError(f"{what}: text may not contain NUL", code="value",
                               status=_cl.CL_EVALUE)
        return value

    def add_code(self, code: str) -> None:
        """Adds a code the customer entered."""
        code = self._text(code, "codes")
        ptr = self._write()
        try:
            self._status(_cl.cl_context_add_code(ptr, code), "codes")
        finally:
            self._writing = False

    def add_user_tag(self, tag: str) -> None:
        """Adds a tag of the user."""
        tag = self._text(tag, "user.tags")
        ptr = self._write()
        try:
            self._status(_cl.cl_context_add_user_tag(ptr, tag), "user.tags")
        finally:
            self._writing = False

    def add_item(self, sku: str, quantity: int, unit_price: Decimal | int | str, *,
                 categories: Iterable[str] = (), tags: Iterable[str] = (),
                 on_sale: bool = False) -> int:
        """Appends a line and returns its index. quantity > 0; unit_price is
        an amount of the context's currency."""
        where = f"items[{len(self)}]"
        sku = self._text(sku, f"{where}.sku")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise TypeError(f"{where}.quantity is an int, not {type(quantity).__name__}")
        if not 1 <= quantity < 1 << 63:
            raise ContextError(f"{where}.quantity: {quantity} is not a positive quantity",
                               code="value", status=_cl.CL_EVALUE)
        price = self._minor(unit_price, f"{where}.unit_price")
        categories = [self._text(c, f"{where}.categories") for c in _strings(categories)]
        tags = [self._text(t, f"{where}.tags") for t in _strings(tags)]
        if not isinstance(on_sale, bool):
            raise TypeError(f"{where}.on_sale is a bool, not {type(on_sale).__name__}")
        ptr = self._write()
        try:
            rc, index = _cl.cl_context_add_item(ptr, sku, quantity, price)
            self._status(rc, where)
            for c in categories:
                self._status(_cl.cl_context_item_add_category(ptr, index, c),
                             f"{where}.categories")
            for t in tags:
                self._status(_cl.cl_context_item_add_tag(ptr, index, t), f"{where}.tags")
            if on_sale:
                self._status(_cl.cl_context_item_set_on_sale(ptr, index, True),
                             f"{where}.on_sale")
        finally:
            self._writing = False
        return index

    def set_usage(self, code: str, *, total: int = 0, user: int = 0,
                  spent: Decimal | int | str = 0) -> None:
        """What the store knows of a coupon's use: uses so far, this user's
        uses, money given away so far."""
        code = self._text(code, "usage")
        for name, v in (("total", total), ("user", user)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(f"usage.{code}.{name} is an int, not {type(v).__name__}")
            if not 0 <= v < 1 << 63:
                raise ContextError(f"usage.{code}.{name}: {v} is out of range",
                                   code="value", status=_cl.CL_EVALUE)
        minor = self._minor(spent, f"usage.{code}.spent")
        ptr = self._write()
        try:
            self._status(_cl.cl_context_set_usage(ptr, code, total, user, minor),
                         f"usage.{code}")
        finally:
            self._writing = False

    # -- reading ---------------------------------------------------------------

    def __len__(self) -> int:
        """The number of lines."""
        return _cl.cl_context_item_count(self._h.ptr)

    @property
    def currency(self) -> str | None:
        """The context's currency, or None until one is set."""
        return _cl.cl_context_currency(self._h.ptr) or None

    def __repr__(self) -> str:
        return f"<couponlib.Context currency={self.currency!r} lines={len(self)}>"


def _strings(v: Iterable[str]) -> Iterable[str]:
    return (v,) if isinstance(v, str) else v


ContextLike = Union[Context, Mapping[str, Any], str, bytes]
