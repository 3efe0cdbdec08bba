# Type stubs of couponlib's public API (the package ships py.typed).
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, Union

__version__: str
REASONS: tuple[str, ...]
LIMITS: dict[str, int]
FIELDS: dict[str, tuple[int, str]]

Source = Union[str, bytes, os.PathLike[str]]
ContextLike = Union[Context, Mapping[str, Any], str, bytes]
Amount = Union[Decimal, int, str]
Order = Union[Context, Mapping[str, Any], str, bytes, bytearray, memoryview]

class Error(ValueError):
    message: str
    code: str
    status: int
    source: str | None
    line: int | None
    column: int | None
    offset: int | None
    path: str
    order: int | None
    def __init__(self, message: str, *, code: str = ..., status: int = ...,
                 source: str | None = ..., line: int | None = ..., column: int | None = ...,
                 offset: int | None = ..., path: str = ..., text: bytes | None = ...) -> None: ...
    def render(self) -> str: ...

class CompileError(Error): ...
class ContextError(Error): ...
class EvaluationError(Error): ...
class LoadError(Error): ...

class Env:
    def __init__(self, *, tzdir: str | os.PathLike[str] | None = ..., **limits: int) -> None: ...
    @property
    def limits(self) -> dict[str, int]: ...
    @property
    def tzdir(self) -> str: ...

def default_env() -> Env: ...
def memory_in_use() -> int: ...
def currency_exponent(currency: str) -> int | None: ...

class Reason(NamedTuple):
    code: str
    message: str
    line: int | None
    def to_dict(self) -> dict[str, Any]: ...

class Line(NamedTuple):
    index: int
    sku: str
    discount: Decimal
    def to_dict(self) -> dict[str, Any]: ...

class Result(NamedTuple):
    code: str
    applicable: bool
    discount: Decimal
    shipping_discount: Decimal
    lines: tuple[Line, ...]
    reasons: tuple[Reason, ...]
    currency: str
    coupon: int | None
    @property
    def reason_codes(self) -> tuple[str, ...]: ...
    def to_dict(self) -> dict[str, Any]: ...

class Choice(NamedTuple):
    coupons: tuple[str, ...]
    discount: Decimal
    shipping_discount: Decimal
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    applied: tuple[Result, ...]
    rejected: tuple[Result, ...]
    currency: str
    def to_dict(self) -> dict[str, Any]: ...

class Coupon(NamedTuple):
    index: int
    code: str
    name: str
    group: str
    currency: str
    automatic: bool
    exclusive: bool
    priority: int

class Context:
    def __init__(self, data: Mapping[str, Any] | str | bytes | None = ..., *,
                 env: Env | None = ...) -> None: ...
    def fill(self, data: Mapping[str, Any] | str | bytes) -> None: ...
    def clear(self) -> None: ...
    def set_now(self, when: datetime | int) -> None: ...
    def set_timezone(self, zone: str | None) -> None: ...
    def set_currency(self, currency: str) -> None: ...
    def set(self, field: str, value: Any) -> None: ...
    def unset(self, field: str) -> None: ...
    def add_code(self, code: str) -> None: ...
    def add_user_tag(self, tag: str) -> None: ...
    def add_item(self, sku: str, quantity: int, unit_price: Amount, *,
                 categories: Iterable[str] = ..., tags: Iterable[str] = ...,
                 on_sale: bool = ...) -> int: ...
    def set_usage(self, code: str, *, total: int = ..., user: int = ...,
                  spent: Amount = ...) -> None: ...
    def __len__(self) -> int: ...
    @property
    def currency(self) -> str | None: ...

class Catalog:
    def evaluate(self, context: ContextLike, *, entered: bool = ...,
                 coupons: Iterable[str] | None = ...) -> list[Result]: ...
    def best(self, context: ContextLike, *, indexed: bool = ...) -> Choice: ...
    def evaluate_json(self, context: ContextLike, *, entered: bool = ...) -> str: ...
    def best_json(self, context: ContextLike, *, indexed: bool = ...) -> str: ...
    def simulate(self, orders: Iterable[Order], *, eval: bool = ..., best: bool = ...,
                 entered: bool = ..., indexed: bool = ..., currency: str | None = ...,
                 strict: bool = ..., on_error: Callable[[int, Error], object] | None = ...,
                 threads: int = ...) -> SimulationReport: ...
    def save(self) -> bytes: ...
    def disasm(self) -> str: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Coupon]: ...
    def __contains__(self, code: object) -> bool: ...
    def __getitem__(self, key: str | int) -> Coupon: ...
    @property
    def coupons(self) -> tuple[Coupon, ...]: ...
    @property
    def codes(self) -> tuple[str, ...]: ...

def compile(source: Source | Iterable[Source], *, name: str | None = ...,
            env: Env | None = ...) -> Catalog: ...
def link(*catalogs: Catalog, env: Env | None = ...) -> Catalog: ...
def load(data: bytes, *, env: Env | None = ...) -> Catalog: ...

class ReasonCount(NamedTuple):
    code: str
    orders: int
    share: float
    only: int

class Percentiles(NamedTuple):
    p25: Decimal
    p50: Decimal
    p75: Decimal
    p90: Decimal
    p95: Decimal
    p99: Decimal

class EvalFigures(NamedTuple):
    orders: int
    qualifying: int
    share: float
    not_qualifying: int
    discount: Decimal
    shipping_discount: Decimal
    cost: Decimal
    average: Decimal
    min: Decimal
    max: Decimal
    percentiles: Percentiles
    reasons: tuple[ReasonCount, ...]

class WinFigures(NamedTuple):
    won: int
    share: float
    rejected: int
    discount: Decimal
    shipping_discount: Decimal
    cost: Decimal
    average: Decimal
    reasons: tuple[ReasonCount, ...]

class BestFigures(NamedTuple):
    orders: int
    discounted: int
    share: float
    unknown_codes: int
    discount: Decimal
    shipping_discount: Decimal
    cost: Decimal
    average: Decimal
    min: Decimal
    max: Decimal
    percentiles: Percentiles

class CouponSimulation(NamedTuple):
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
    currency: str | None
    flags: SimulationFlags
    orders: int
    errors: int
    subtotal: Decimal
    shipping: Decimal
    coupons: tuple[CouponSimulation, ...]
    best: BestFigures | None
    def coupon(self, code: str) -> CouponSimulation: ...
    def to_dict(self) -> dict[str, Any]: ...

class Simulation:
    def __init__(self, catalog: Catalog, *, eval: bool = ..., best: bool = ...,
                 entered: bool = ..., indexed: bool = ..., currency: str | None = ...) -> None: ...
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> Simulation: ...
    def __exit__(self, *exc: object) -> None: ...
    @property
    def catalog(self) -> Catalog: ...
    def add(self, order: Order) -> None: ...
    def add_json(self, text: str | bytes | bytearray | memoryview) -> None: ...
    def extend(self, orders: Iterable[Order], *, strict: bool = ...,
               on_error: Callable[[int, Error], object] | None = ...,
               start: int = ...) -> int: ...
    def merge(self, other: Simulation) -> None: ...
    @property
    def orders(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def currency(self) -> str | None: ...
    def percentile(self, p: int | float | Decimal | str,
                   coupon: str | int | None = ...) -> Decimal: ...
    def report_json(self) -> str: ...
    def report(self) -> SimulationReport: ...
