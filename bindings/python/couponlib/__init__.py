"""couponlib: compile coupon definitions (YAML) into verified bytecode and
evaluate them against a checkout exactly (money in integer minor units,
shown as decimal.Decimal; time in IANA zones with DST).

    import couponlib
    catalog = couponlib.compile("coupons.yaml")
    for r in catalog.evaluate(context):          # context: a dict (SPEC section 3)
        print(r.code, r.applicable, r.discount, [x.code for x in r.reasons])
    choice = catalog.best(context)               # the best combination
    data = catalog.save(); catalog = couponlib.load(data)
    report = catalog.simulate(open("orders.jsonl", "rb"))   # what it would have cost

The C library does the work, with the GIL released, so threads evaluate in
parallel; each thread has its own evaluation state.
"""

from . import _cl
from ._catalog import Catalog, Source, compile, link, load
from ._context import FIELDS, Context, ContextLike
from ._env import LIMITS, Env, default_env, memory_in_use
from ._errors import CompileError, ContextError, Error, EvaluationError, LoadError
from ._results import Choice, Coupon, Line, Reason, Result
from ._simulation import (BestFigures, CouponSimulation, EvalFigures, Order, Percentiles,
                          ReasonCount, Simulation, SimulationFlags, SimulationReport,
                          WinFigures)

__version__ = _cl.cl_version()

#: The stable reason codes of SPEC section 5, in the C library's order.
REASONS = tuple(_cl.cl_reason_name(i) for i in range(_cl.CL_R_COUNT))

__all__ = [
    "BestFigures", "Catalog", "Choice", "CompileError", "Context", "ContextError",
    "ContextLike", "Coupon", "CouponSimulation", "Env", "Error", "EvalFigures",
    "EvaluationError", "FIELDS", "LIMITS", "Line", "LoadError", "Order", "Percentiles", "REASONS",
    "Reason", "ReasonCount", "Result", "Simulation", "SimulationFlags", "SimulationReport",
    "Source", "WinFigures", "compile", "currency_exponent", "default_env", "link", "load",
    "memory_in_use", "__version__",
]


def currency_exponent(currency: str) -> int | None:
    """The ISO 4217 minor-unit exponent of a currency ("USD" 2, "JPY" 0,
    "KWD" 3), or None when the code is unknown."""
    if not isinstance(currency, str):
        raise TypeError(f"a currency is a str, not {type(currency).__name__}")
    e = _cl.cl_currency_exponent(currency) if "\0" not in currency else -1
    return e if e >= 0 else None
