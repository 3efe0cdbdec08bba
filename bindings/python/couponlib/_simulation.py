"""Campaign simulation: replaying past orders against a catalog to tell what
its coupons would have cost (docs/simulation.md).

    report = catalog.simulate(gzip.open("orders.jsonl.gz"))    # lines of JSON
    for c in report.coupons:
        print(c.code, c.eval.qualifying, c.eval.cost, c.eval.reasons[:3])
    print(report.best.cost, report.best.percentiles.p90)

Orders are counted one at a time and forgotten, so memory does not depend on
their number. A Simulation is the streaming handle under simulate(): feed it
orders with add(), merge the simulations of several threads, read its
report() whenever you like.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from itertools import islice
from typing import Any, NamedTuple, Union

from . import _cl
from ._context import Context, _default, encode
from ._env import _ContextHandle, _EnvHandle
from ._errors import ContextError, Error, EvaluationError, from_c, from_status

__all__ = ["Order", "Simulation", "SimulationReport", "SimulationFlags", "CouponSimulation",
           "EvalFigures", "WinFigures", "BestFigures", "ReasonCount", "Percentiles"]


Order = Union[Context, Mapping[str, Any], str, bytes, bytearray, memoryview]
"""An order: a checkout context (SPEC section 3) as a dict, its JSON text, or
a prepared Context."""

# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

class ReasonCount(NamedTuple):
    """How often one reason kept a coupon out."""

    code: str        #: the reason code (SPEC section 5)
    orders: int      #: orders that listed it (once per order)
    share: float     #: orders / the orders not qualifying (or rejected), 4 decimals
    only: int        #: orders where it was the only reason


class Percentiles(NamedTuple):
    """Nearest-rank percentiles of the cost of one qualifying order: exact
    below 256 minor units, else within 1/256 (docs/simulation.md)."""

    p25: Decimal
    p50: Decimal
    p75: Decimal
    p90: Decimal
    p95: Decimal
    p99: Decimal


class EvalFigures(NamedTuple):
    """A coupon evaluated alone on every order."""

    orders: int                  #: orders counted
    qualifying: int              #: orders it applied to
    share: float                 #: qualifying / orders
    not_qualifying: int
    discount: Decimal            #: sums over the qualifying orders
    shipping_discount: Decimal
    cost: Decimal                #: discount + shipping discount
    average: Decimal             #: cost / qualifying, rounded half up
    min: Decimal                 #: of the cost of one qualifying order
    max: Decimal
    percentiles: Percentiles
    reasons: tuple[ReasonCount, ...]   #: most frequent first


class WinFigures(NamedTuple):
    """A coupon within the best combination of every order."""

    won: int                     #: orders whose choice applied it
    share: float                 #: won / orders
    rejected: int                #: orders where it was a candidate, not chosen
    discount: Decimal            #: its share of those choices
    shipping_discount: Decimal
    cost: Decimal
    average: Decimal             #: cost / won
    reasons: tuple[ReasonCount, ...]   #: why it was rejected (NOT_COMBINABLE...)


class BestFigures(NamedTuple):
    """The best combination of every order as a whole."""

    orders: int
    discounted: int              #: orders whose choice is not empty
    share: float                 #: discounted / orders
    unknown_codes: int           #: entered codes that match no coupon
    discount: Decimal
    shipping_discount: Decimal
    cost: Decimal
    average: Decimal             #: cost / discounted
    min: Decimal
    max: Decimal
    percentiles: Percentiles


class CouponSimulation(NamedTuple):
    """One coupon's figures: eval when each coupon alone was simulated,
    best when the best combination was (else None)."""

    index: int
    code: str
    name: str
    eval: EvalFigures | None
    best: WinFigures | None


class SimulationFlags(NamedTuple):
    eval: bool
    entered: bool
    best: bool
    indexed: bool


class SimulationReport(NamedTuple):
    """The report of a simulation (the JSON of docs/simulation.md, typed)."""

    currency: str | None         #: None when no order was counted
    flags: SimulationFlags
    orders: int                  #: orders counted
    errors: int                  #: orders refused (in no other figure)
    subtotal: Decimal            #: sums over the orders counted
    shipping: Decimal
    coupons: tuple[CouponSimulation, ...]   #: every coupon, in catalog order
    best: BestFigures | None     #: the best combination, when simulated

    def coupon(self, code: str) -> CouponSimulation:
        """The figures of a coupon by its code (case-insensitive)."""
        if not isinstance(code, str):
            raise TypeError(f"a coupon code is a str, not {type(code).__name__}")
        for c in self.coupons:
            if c.code.casefold() == code.casefold():
                return c
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of docs/simulation.md (amounts as strings)."""
        return _plain(self)


def _plain(v: Any) -> Any:
    if isinstance(v, SimulationReport):
        d = {"currency": v.currency or "", "flags": v.flags._asdict(), "orders": v.orders,
             "errors": v.errors, "subtotal": str(v.subtotal), "shipping": str(v.shipping),
             "coupons": [_plain(c) for c in v.coupons]}
        if v.best is not None:
            d["best"] = _plain(v.best)
        return d
    if isinstance(v, CouponSimulation):
        d = {"code": v.code, "name": v.name}
        if v.eval is not None:
            d["eval"] = _plain(v.eval)
        if v.best is not None:
            d["best"] = _plain(v.best)
        return d
    if isinstance(v, tuple) and hasattr(v, "_asdict"):
        return {k: _plain(x) for k, x in v._asdict().items()}
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, Decimal):
        return str(v)
    return v


def _reasons(items: list) -> tuple[ReasonCount, ...]:
    return tuple(ReasonCount(r["code"], r["orders"], r["share"], r["only"]) for r in items)


def _percentiles(d: dict) -> Percentiles:
    return Percentiles(*(Decimal(d[k]) for k in Percentiles._fields))


def _report(text: bytes, prog) -> SimulationReport:
    j = json.loads(text)
    D = Decimal
    coupons = []
    for i, c in enumerate(j["coupons"]):
        e = b = None
        if "eval" in c:
            x = c["eval"]
            e = EvalFigures(x["orders"], x["qualifying"], x["share"], x["not_qualifying"],
                            D(x["discount"]), D(x["shipping_discount"]), D(x["cost"]),
                            D(x["average"]), D(x["min"]), D(x["max"]),
                            _percentiles(x["percentiles"]), _reasons(x["reasons"]))
        if "best" in c:
            x = c["best"]
            b = WinFigures(x["won"], x["share"], x["rejected"], D(x["discount"]),
                           D(x["shipping_discount"]), D(x["cost"]), D(x["average"]),
                           _reasons(x["reasons"]))
        coupons.append(CouponSimulation(i, c["code"], c["name"], e, b))
    best = None
    if "best" in j:
        x = j["best"]
        best = BestFigures(x["orders"], x["discounted"], x["share"], x["unknown_codes"],
                           D(x["discount"]), D(x["shipping_discount"]), D(x["cost"]),
                           D(x["average"]), D(x["min"]), D(x["max"]),
                           _percentiles(x["percentiles"]))
    return SimulationReport(j["currency"] or None, SimulationFlags(**j["flags"]), j["orders"],
                            j["errors"], D(j["subtotal"]), D(j["shipping"]), tuple(coupons),
                            best)


# ---------------------------------------------------------------------------
# The streaming handle
# ---------------------------------------------------------------------------

class _SimHandle:
    __slots__ = ("ptr", "env", "prog")

    def __init__(self, env: _EnvHandle, prog, flags: int) -> None:
        self.ptr = None
        self.env = env
        self.prog = prog              # the _ProgramHandle: it must outlive the simulation
        env.adopt(self)
        try:
            self.ptr = _cl.cl_sim_new(env.ptr, prog.ptr, flags)
        except _cl.Error as e:
            raise from_c(Error, e.args, positions=False) from None
        if self.ptr is None:
            raise MemoryError("couponlib: out of memory")

    def close(self, _free=_cl.cl_sim_free) -> None:
        ptr, self.ptr = self.ptr, None
        if ptr is not None:
            _free(ptr)

    def __del__(self) -> None:
        self.close()
        self.env.disown(self)


def _blank(order: Any) -> bool:
    """A blank line (skipped, as couponc simulate skips them)."""
    if isinstance(order, str):
        return not order.strip(" \t\r\n")
    return isinstance(order, (bytes, bytearray)) and not order.strip(b" \t\r\n")


class Simulation:
    """A simulation of a catalog's coupons, fed one order at a time.

        sim = couponlib.Simulation(catalog, best=True)
        for order in orders:                 # dicts, JSON text, or Contexts
            try:
                sim.add(order)
            except couponlib.Error as e:     # refused: counted in errors
                log(e)
        report = sim.report()

    eval: each coupon evaluated alone on every order (as if its code had
    been entered; with entered=True honouring the codes entered); best: the
    best combination of every order (with indexed=True through the catalog's
    index). currency fixes the simulation's currency, else the first order
    counted does; orders in another currency are refused.

    A Simulation is used by one thread at a time (calls from several
    threads wait for each other); to use several threads, give each its own
    Simulation of the same catalog and merge() them: the merged report is
    exactly the one a single simulation fed every order gives. The GIL is
    released while an order is counted. close() frees it at once (else the
    garbage collector does); a Simulation is also a context manager.
    """

    __slots__ = ("_h", "_catalog", "_lock", "_ctx", "_view", "__weakref__")

    def __init__(self, catalog, *, eval: bool = True, best: bool = True,
                 entered: bool = False, indexed: bool = False,
                 currency: str | None = None) -> None:
        from ._catalog import Catalog
        if not isinstance(catalog, Catalog):
            raise TypeError(f"a Simulation is of a couponlib.Catalog, not "
                            f"{type(catalog).__name__}")
        for name, v in (("eval", eval), ("best", best), ("entered", entered),
                        ("indexed", indexed)):
            if not isinstance(v, bool):
                raise TypeError(f"{name} is a bool, not {type(v).__name__}")
        if not eval and not best:
            raise ValueError("simulate each coupon alone (eval=True), the best "
                             "combination (best=True), or both")
        if entered and not eval:
            raise ValueError("entered=True is about each coupon alone: it needs eval=True")
        if indexed and not best:
            raise ValueError("indexed=True is about the best combination: it needs best=True")
        if currency is not None:
            if not isinstance(currency, str):
                raise TypeError(f"currency is a str, not {type(currency).__name__}")
            if "\0" in currency or _cl.cl_currency_exponent(currency) < 0:
                raise ContextError(f"currency: unknown currency {currency!r}",
                                   code="currency", status=_cl.CL_ECURRENCY)
        flags = (_cl.CL_SIM_EVAL if eval else 0) | (_cl.CL_SIM_BEST if best else 0) | \
            (_cl.CL_EVAL_ENTERED if entered else 0) | (_cl.CL_BEST_INDEXED if indexed else 0)
        env = catalog._env
        self._catalog = catalog
        self._lock = threading.Lock()
        self._ctx = None
        self._h = _SimHandle(env._h, catalog._h, flags)
        self._view = _cl.CL_SIM_EVAL if eval else _cl.CL_SIM_BEST
        if currency is not None:
            rc = _cl.cl_sim_set_currency(self._h.ptr, currency)
            if rc:
                raise from_status(ContextError, rc, "currency")

    # -- the handle --------------------------------------------------------------

    def _ptr(self):
        ptr = self._h.ptr
        if ptr is None:
            raise ValueError("couponlib: this Simulation is closed")
        return ptr

    def close(self) -> None:
        """Frees the simulation now; using it afterwards raises ValueError."""
        with self._lock:
            self._h.close()
            self._ctx = None

    @property
    def closed(self) -> bool:
        return self._h.ptr is None

    def __enter__(self) -> Simulation:
        self._ptr()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def catalog(self):
        """The catalog simulated."""
        return self._catalog

    # -- counting ----------------------------------------------------------------

    def _scratch(self):
        if self._ctx is None:
            self._ctx = _ContextHandle(self._catalog._env._h)
        return self._ctx.ptr

    def _add(self, ptr, order: Any) -> None:
        """Counts one order (the lock held). Raises the reason of a refused
        order (counted among the errors), TypeError for what is no order."""
        if isinstance(order, (bytearray, memoryview)):
            order = bytes(order)
        if isinstance(order, (bytes, str)):
            text = order.encode("utf-8", "surrogateescape") if isinstance(order, str) else order
            try:
                _cl.cl_sim_add_json(ptr, text)
            except _cl.Error as e:
                raise _refused(e, text) from None
            return
        if isinstance(order, Context):
            if order._env is not self._catalog._env:
                raise ValueError("the Context was made with another Env than the catalog's")
            cptr = order._read()
            try:
                _cl.cl_sim_add(ptr, cptr)
            except _cl.Error as e:
                raise _refused(e, None) from None
            finally:
                order._done()
            return
        if type(order) is dict:
            ctx = self._scratch()
            try:
                native = _cl.cl_py_context_fill(ctx, order, _default) == 0
            except _cl.Error:
                native = False      # malformed: the JSON way refuses and counts it
            if native:
                try:
                    _cl.cl_sim_add(ptr, ctx)
                except _cl.Error as e:
                    raise _refused(e, None) from None
                return
        if isinstance(order, Mapping):
            text, _ = encode(order)
            try:
                _cl.cl_sim_add_json(ptr, text)
            except _cl.Error as e:
                raise _refused(e, None) from None
            return
        raise TypeError("an order is a dict, JSON text (str or bytes) or a couponlib.Context, "
                        f"not {type(order).__name__}")

    def add(self, order: Any) -> None:
        """Counts one order: a dict in the shape of SPEC section 3, its JSON
        text (str or bytes), or a prepared couponlib.Context. A refused
        order (malformed, in another currency, or whose evaluation fails)
        is counted among the errors and raises its ContextError or
        EvaluationError; nothing else changes."""
        with self._lock:
            self._add(self._ptr(), order)

    def add_json(self, text: str | bytes) -> None:
        """Counts one order given as JSON text (as add() does)."""
        if not isinstance(text, (str, bytes, bytearray, memoryview)):
            raise TypeError(f"add_json() takes str or bytes, not {type(text).__name__}")
        if not isinstance(text, (str, bytes)):
            text = bytes(text)
        self.add(text)

    def extend(self, orders: Iterable[Any], *, strict: bool = False,
               on_error: Callable[[int, Error], object] | None = None,
               start: int = 0) -> int:
        """Counts every order of an iterable (read as it goes: a file of
        JSON lines, a generator...), skipping blank lines. A refused order
        is counted among the errors and given to on_error(index, error)
        (index: its position in orders, plus start); with strict=True it is
        raised instead (with the index as error.order). Returns the number
        of orders taken (blank lines included)."""
        if not isinstance(strict, bool):
            raise TypeError(f"strict is a bool, not {type(strict).__name__}")
        if on_error is not None and not callable(on_error):
            raise TypeError("on_error must be callable")
        it = iter(orders)
        n = 0
        while True:
            pending = None
            took = 0
            with self._lock:
                ptr = self._ptr()
                # Batches: the lock is taken once per batch, and on_error
                # runs without it (it may use this simulation).
                for order in islice(it, 256):
                    took += 1
                    index = start + n
                    n += 1
                    if _blank(order):
                        continue
                    try:
                        self._add(ptr, order)
                    except Error as e:
                        e.order = index
                        if strict:
                            raise
                        if on_error is not None:
                            pending = (index, e)
                            break
            if pending is not None:
                on_error(*pending)
            elif took < 256:
                return n

    def merge(self, other: Simulation) -> None:
        """Adds other's counts into this simulation (other is unchanged).
        Both must simulate the same coupons with the same views; orders in
        two different currencies cannot be merged."""
        if not isinstance(other, Simulation):
            raise TypeError(f"merge() takes a Simulation, not {type(other).__name__}")
        if other is self:
            raise ValueError("a Simulation cannot be merged into itself")
        first, second = sorted((self, other), key=id)
        with first._lock, second._lock:
            into, src = self._ptr(), other._ptr()
            rc = _cl.cl_sim_merge(into, src)
        if rc == _cl.CL_EINVAL:
            raise Error("merge: the simulations differ in their coupons or in what they "
                        "simulate (eval, best, entered, indexed)", code="invalid-argument",
                        status=rc)
        if rc == _cl.CL_ECURRENCY:
            raise Error(f"merge: the simulations are in different currencies "
                        f"({_cl.cl_sim_currency(into)}, {_cl.cl_sim_currency(src)})",
                        code="currency", status=rc)
        if rc:
            raise from_status(Error, rc, "merge")

    # -- reading -----------------------------------------------------------------

    @property
    def orders(self) -> int:
        """Orders counted so far."""
        return self._get(_cl.CL_SIM_ORDERS)

    @property
    def errors(self) -> int:
        """Orders refused so far."""
        return self._get(_cl.CL_SIM_ERRORS)

    @property
    def currency(self) -> str | None:
        """The simulation's currency, None until it is fixed."""
        return _cl.cl_sim_currency(self._ptr()) or None

    def _get(self, stat: int) -> int:
        with self._lock:
            rc, v = _cl.cl_sim_get(self._ptr(), self._view, _cl.CL_SIM_ALL, stat)
        if rc:
            raise from_status(Error, rc, "simulation")
        return v

    def percentile(self, p: int | float | Decimal | str, coupon: str | int | None = None
                   ) -> Decimal:
        """The p-th percentile (0 to 100, in steps of 0.01: 99.9 is allowed)
        of the cost of one qualifying order: of a coupon alone (by code or
        index; needs eval), or of the best combination (coupon None; needs
        best). Exact below 256 minor units, else within 1/256."""
        if isinstance(p, bool) or not isinstance(p, (int, float, Decimal, str)):
            raise TypeError(f"a percentile is a number, not {type(p).__name__}")
        try:
            hundredths = Decimal(str(p)) * 100
        except ArithmeticError:
            raise ValueError(f"{p!r} is not a percentile") from None
        if not hundredths.is_finite() or hundredths != hundredths.to_integral_value() or \
                not 0 <= hundredths <= 10000:
            raise ValueError(f"a percentile is from 0 to 100 in steps of 0.01, not {p!r}")
        if coupon is None:
            view, index = _cl.CL_SIM_BEST, _cl.CL_SIM_ALL
        else:
            view = _cl.CL_SIM_EVAL
            index = coupon if isinstance(coupon, int) and not isinstance(coupon, bool) \
                else self._catalog._index(coupon)
        with self._lock:
            ptr = self._ptr()
            rc, minor = _cl.cl_sim_percentile(ptr, view, index, int(hundredths))
            currency = _cl.cl_sim_currency(ptr)
        if rc == _cl.CL_ERANGE:
            raise IndexError(f"no coupon {coupon!r} in the catalog")
        if rc == _cl.CL_EINVAL:
            raise ValueError("percentile: " + ("the best combination was not simulated"
                                               if coupon is None else
                                               "each coupon alone was not simulated"))
        if rc:
            raise from_status(Error, rc, "percentile")
        e = _cl.cl_currency_exponent(currency) if currency else 2
        return Decimal(minor).scaleb(-e)

    def report_json(self) -> str:
        """The report as the JSON text of docs/simulation.md (written by the
        C library; amounts exact however large)."""
        with self._lock:
            rc, data = _cl.cl_sim_write_json(self._ptr())
        if rc:
            raise from_status(Error, rc, "report")
        return data.decode("utf-8", "replace")

    def report(self) -> SimulationReport:
        """The report so far, typed: Decimal amounts (exact), counts, shares,
        percentiles and reasons."""
        return _report(self.report_json(), self._catalog)

    def __repr__(self) -> str:
        if self.closed:
            return "<couponlib.Simulation (closed)>"
        return (f"<couponlib.Simulation of {len(self._catalog)} coupons: {self.orders} orders, "
                f"{self.errors} refused>")


def _refused(e: _cl.Error, text: bytes | None) -> Exception:
    """The exception of a refused order: ContextError for one that is not a
    valid context (with its position in text when the caller gave text),
    EvaluationError for one that could not be counted (another currency, no
    currency, the step budget)."""
    if e.args[4] != "<context>":           # not from parsing it
        return from_c(EvaluationError, e.args, positions=False)
    return from_c(ContextError, e.args, text, text is not None)


# ---------------------------------------------------------------------------
# Catalog.simulate()
# ---------------------------------------------------------------------------

def simulate(catalog, orders: Iterable[Any], *, eval: bool = True, best: bool = True,
             entered: bool = False, indexed: bool = False, currency: str | None = None,
             strict: bool = False, on_error: Callable[[int, Error], object] | None = None,
             threads: int = 1) -> SimulationReport:
    if isinstance(orders, (str, bytes, dict)) or not isinstance(orders, Iterable):
        raise TypeError("simulate() takes an iterable of orders (a file of JSON lines, a "
                        f"list of dicts...), not {type(orders).__name__}")
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise TypeError(f"threads is an int, not {type(threads).__name__}")
    if not 1 <= threads <= 256:
        raise ValueError(f"threads is from 1 to 256, not {threads}")
    opts = dict(eval=eval, best=best, entered=entered, indexed=indexed, currency=currency)
    sim = Simulation(catalog, **opts)
    try:
        if threads == 1:
            sim.extend(orders, strict=strict, on_error=on_error)
        else:
            _threaded(sim, [Simulation(catalog, **opts) for _ in range(threads - 1)],
                      iter(orders), strict, on_error)
        return sim.report()
    finally:
        sim.close()


def _threaded(sim: Simulation, others: list[Simulation], it, strict, on_error) -> None:
    """Feeds it to sim and others from as many threads, batch by batch,
    then merges the others into sim."""
    lock = threading.Lock()          # the iterator, the position, the first failure
    state = {"next": 0, "failure": None}
    sims = [sim, *others]

    def work(s: Simulation) -> None:
        while True:
            with lock:
                if state["failure"] is not None:
                    return
                try:
                    batch = list(islice(it, 256))
                except BaseException as e:       # the iterator failed: stop everyone
                    state["failure"] = e
                    return
                start = state["next"]
                state["next"] += len(batch)
            if not batch:
                return

            def report(index: int, error: Error) -> None:
                if on_error is not None:
                    with lock:
                        on_error(index, error)
            try:
                s.extend(batch, strict=strict, on_error=report, start=start)
            except BaseException as e:
                with lock:
                    if state["failure"] is None:
                        state["failure"] = e
                return

    workers = [threading.Thread(target=work, args=(s,), name=f"couponlib-simulate-{i}")
               for i, s in enumerate(sims)]
    try:
        for t in workers:
            t.start()
    finally:
        for t in workers:
            if t.ident is not None:
                t.join()
    try:
        if state["failure"] is not None:
            raise state["failure"]
        for s in others:
            sim.merge(s)
    finally:
        for s in others:
            s.close()
