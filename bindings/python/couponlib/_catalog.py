"""Catalogs: compiled coupons, shared by any number of threads, evaluated
against contexts."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

from . import _cl
from ._context import Context, ContextLike, parse_into
from ._env import Env, _EnvHandle, default_env
from ._errors import CompileError, Error, EvaluationError, LoadError, from_c, from_status
from ._results import Choice, Coupon, Result, choice, evaluation

if TYPE_CHECKING:
    from ._simulation import SimulationReport

__all__ = ["Catalog", "compile", "load", "link", "Source"]

Source = Union[str, bytes, "os.PathLike[str]"]


class _ProgramHandle:
    __slots__ = ("ptr", "env")

    def __init__(self, ptr, env: _EnvHandle) -> None:
        self.ptr = ptr
        self.env = env
        env.adopt(self)

    @classmethod
    def _of(cls, ptr, env: _EnvHandle) -> _ProgramHandle:
        """The handle of a program the C library made; NULL with no error
        reported can only mean that memory ran out."""
        if ptr is None:
            raise MemoryError("couponlib: out of memory")
        return cls(ptr, env)

    def __del__(self, _free=_cl.cl_program_free) -> None:
        _free(self.ptr)
        self.env.disown(self)


def _read(path: str | os.PathLike, env: Env) -> tuple[bytes, str]:
    """A file's bytes, at most one more than the input limit (the compiler
    then reports the limit), and its name for diagnostics."""
    name = os.fsdecode(path)
    limit = _cl.cl_env_limit(env._h.ptr, _cl.CL_LIMIT_INPUT_BYTES)
    with open(path, "rb") as f:
        return f.read(limit + 1), name


def _source(source: Source, name: str | None, env: Env) -> tuple[bytes, str]:
    """The text and name of one source: a str holding a newline, or bytes, is
    YAML text; any other str, or an os.PathLike, names a file."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), name or "<input>"
    if isinstance(source, str) and "\n" in source:
        return source.encode("utf-8", "surrogateescape"), name or "<input>"
    if isinstance(source, (str, os.PathLike)):
        text, path = _read(source, env)
        return text, name or path
    raise TypeError("a coupon source is YAML text (str or bytes) or a path, "
                    f"not {type(source).__name__}")


def _compile_one(source: Source, name: str | None, env: Env) -> _ProgramHandle:
    text, name = _source(source, name, env)
    if "\0" in name:
        raise ValueError("a source name may not contain NUL")
    if _cl.cl_program_is_saved(text):     # a saved program, as couponc accepts
        return _load(text, env, name)
    try:
        ptr = _cl.cl_compile(env._h.ptr, text, name)
    except _cl.Error as e:
        raise from_c(CompileError, e.args, text) from None
    return _ProgramHandle._of(ptr, env._h)


def _link(handles: Sequence[_ProgramHandle], env: Env) -> _ProgramHandle:
    try:
        ptr = _cl.cl_program_link(env._h.ptr, [h.ptr for h in handles])
    except _cl.Error as e:
        raise from_c(CompileError, e.args) from None
    return _ProgramHandle._of(ptr, env._h)


def compile(source: Source | Iterable[Source], *, name: str | None = None,
            env: Env | None = None) -> Catalog:
    """Compiles coupons into a Catalog.

    source is YAML text (a str with a newline in it, or bytes), a path (any
    other str, or a pathlib.Path), or a list of them, which are compiled one
    by one and linked into one catalog. name is the file name shown in
    diagnostics for text (default "<input>"). Raises CompileError with the
    file, line, column and code of the first mistake, or OSError when a file
    cannot be read.
    """
    env = env or default_env()
    if isinstance(source, (str, bytes, bytearray, memoryview, os.PathLike)):
        return Catalog._of(_compile_one(source, name, env), env)
    if not isinstance(source, Iterable):
        raise TypeError("a coupon source is YAML text (str or bytes) or a path, "
                        f"not {type(source).__name__}")
    handles = [_compile_one(s, name, env) for s in source]
    if not handles:
        raise ValueError("compile() needs at least one source")
    if len(handles) == 1:
        return Catalog._of(handles[0], env)
    return Catalog._of(_link(handles, env), env)


def link(*catalogs: Catalog, env: Env | None = None) -> Catalog:
    """One catalog holding the coupons of all the given ones (which are left
    as they are). A code defined twice raises CompileError (duplicate)."""
    if not catalogs:
        raise ValueError("link() needs at least one catalog")
    for c in catalogs:
        if not isinstance(c, Catalog):
            raise TypeError(f"link() takes catalogs, not {type(c).__name__}")
    env = env or catalogs[0]._env
    return Catalog._of(_link([c._h for c in catalogs], env), env)


def load(data: bytes, *, env: Env | None = None) -> Catalog:
    """The catalog saved by Catalog.save(). The bytes are never trusted: a
    blob that is truncated, corrupted or hostile raises LoadError (with the
    byte offset of the problem where there is one), never crashes."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load() takes bytes, not {type(data).__name__}")
    env = env or default_env()
    return Catalog._of(_load(bytes(data), env, "<saved program>"), env)


def _load(data: bytes, env: Env, name: str) -> _ProgramHandle:
    try:
        ptr = _cl.cl_program_load(env._h.ptr, data)
    except _cl.Error as e:
        err = from_c(LoadError, e.args, positions=False)
        if isinstance(err, LoadError) and not err.source:
            err.source = name
        raise err from None
    return _ProgramHandle._of(ptr, env._h)


class Catalog:
    """Compiled coupons: immutable, shared freely between threads.

    evaluate(context) gives every coupon's Result; best(context) the best
    combination (a Choice). context is a dict in the JSON shape of SPEC
    section 3, JSON text, or a prepared couponlib.Context. Each thread
    evaluates with its own evaluation state, and the GIL is released while
    the C library works, so threads evaluate in parallel.
    """

    __slots__ = ("_h", "_env", "_coupons", "__weakref__")

    def __init__(self) -> None:
        raise TypeError("catalogs are made by couponlib.compile(), load() or link()")

    @classmethod
    def _of(cls, handle: _ProgramHandle, env: Env) -> Catalog:
        self = object.__new__(cls)
        self._h = handle
        self._env = env
        self._coupons = None
        return self

    # -- evaluation --------------------------------------------------------------

    def _run(self, context: ContextLike, call, convert):
        """Runs call(vm, program, ctx) on the thread's state and converts the
        C result while it is still the vm's latest."""
        st = self._env._state()
        st.busy = True
        reading = None
        try:
            if isinstance(context, Context):
                ctx = context._read()
                reading = context
            else:
                ctx = st.scratch()
                parse_into(ctx, context)
            try:
                rc, res = call(st.vm, self._h.ptr, ctx)
            except _cl.Error as e:
                raise from_c(EvaluationError, e.args, positions=False) from None
            if rc:
                raise from_status(EvaluationError, rc, "evaluation")
            return convert(res, ctx)
        finally:
            if reading is not None:
                reading._done()
            st.busy = False

    def evaluate(self, context: ContextLike, *, entered: bool = False,
                 coupons: Iterable[str] | None = None) -> list[Result]:
        """Every coupon's Result, in catalog order (SPEC section 5).

        Without entered every coupon is evaluated as if its code had been
        entered; with entered=True a code coupon whose code is not in the
        context's codes is not applicable (CODE_REQUIRED). coupons limits the
        evaluation to the given codes, in that order (KeyError for a code
        the catalog does not have).
        """
        flags = _cl.CL_EVAL_ENTERED if entered else 0
        if coupons is None:
            def call(vm, prog, ctx):
                return _cl.cl_vm_eval(vm, prog, ctx, flags)
        else:
            indexes = [self._index(c) for c in _codes(coupons)]

            def call(vm, prog, ctx):
                return _cl.cl_vm_eval_some(vm, prog, ctx, indexes, flags)
        return self._run(context, call, evaluation)

    def best(self, context: ContextLike, *, indexed: bool = False) -> Choice:
        """The best combination of the candidates (SPEC section 6): the
        automatic coupons plus those whose code the context's codes hold.

        indexed=True consults the catalog's index and skips, unevaluated, the
        automatic coupons that cannot apply to this cart: the choice and the
        totals are the same, and much cheaper for a catalog of thousands of
        automatic coupons, but the skipped coupons are not in rejected."""
        flags = _cl.CL_BEST_INDEXED if indexed else 0
        return self._run(context, lambda vm, prog, ctx: _cl.cl_vm_best_flags(vm, prog, ctx,
                                                                             flags), choice)

    def evaluate_json(self, context: ContextLike, *, entered: bool = False) -> str:
        """evaluate() as the JSON text of SPEC section 5, written by the C
        library (for services that pass JSON through)."""
        flags = _cl.CL_EVAL_ENTERED if entered else 0
        return self._run(context, lambda vm, prog, ctx: _cl.cl_vm_eval(vm, prog, ctx, flags),
                         _json)

    def best_json(self, context: ContextLike, *, indexed: bool = False) -> str:
        """best() as the JSON text of SPEC section 6."""
        flags = _cl.CL_BEST_INDEXED if indexed else 0
        return self._run(context, lambda vm, prog, ctx: _cl.cl_vm_best_flags(vm, prog, ctx,
                                                                             flags), _json)

    # -- simulation ----------------------------------------------------------------

    def simulate(self, orders: Iterable[Any], *, eval: bool = True, best: bool = True,
                 entered: bool = False, indexed: bool = False, currency: str | None = None,
                 strict: bool = False, on_error: Callable[[int, Error], object] | None = None,
                 threads: int = 1) -> SimulationReport:
        """Replays past orders and tells what the coupons would have cost
        (docs/simulation.md): for each coupon alone (eval) and for the best
        combination of every order (best), the orders touched, the
        discounts (total, average, min, max, percentiles) and why the other
        orders did not qualify.

        orders is any iterable of orders, read as it goes, so memory does
        not grow with their number: a file of JSON lines (open(path, "rb"),
        gzip.open(path)), a generator of dicts, prepared Contexts. Blank
        lines are skipped. A refused order (malformed, in another currency,
        or whose evaluation fails) is counted in the report's errors and
        given to on_error(index, error); strict=True raises the first one
        instead (error.order is its index). entered=True honours the codes
        the customers entered in the eval view; indexed=True chooses the
        best combination through the catalog index. currency fixes the
        simulation's currency (else the first order's). threads > 1 counts
        in that many threads (each with its own Simulation, merged at the
        end: the same report); it pays for JSON text, which is parsed
        without the GIL.
        """
        return _simulate(self, orders, eval=eval, best=best, entered=entered,
                         indexed=indexed, currency=currency, strict=strict,
                         on_error=on_error, threads=threads)

    # -- the coupons ---------------------------------------------------------------

    def __len__(self) -> int:
        return _cl.cl_program_count(self._h.ptr)

    @property
    def coupons(self) -> tuple[Coupon, ...]:
        """What the catalog knows of each coupon, in catalog order."""
        if self._coupons is None:
            p, r = self._h.ptr, _cl
            self._coupons = tuple(
                Coupon(i, r.cl_program_code(p, i), r.cl_program_name(p, i),
                       r.cl_program_group(p, i), r.cl_program_currency(p, i),
                       r.cl_program_automatic(p, i), r.cl_program_exclusive(p, i),
                       r.cl_program_priority(p, i))
                for i in range(len(self)))
        return self._coupons

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.coupons)

    def __iter__(self) -> Iterator[Coupon]:
        return iter(self.coupons)

    def _index(self, code: str) -> int:
        if not isinstance(code, str):
            raise TypeError(f"a coupon code is a str, not {type(code).__name__}")
        i = _cl.cl_program_find(self._h.ptr, code) if "\0" not in code else -1
        if i < 0:
            raise KeyError(code)
        return i

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and "\0" not in code and \
            _cl.cl_program_find(self._h.ptr, code) >= 0

    def __getitem__(self, key: str | int) -> Coupon:
        """The coupon of a code (case-insensitive) or of an index."""
        if isinstance(key, int) and not isinstance(key, bool):
            return self.coupons[key]
        return self.coupons[self._index(key)]

    # -- bytes ---------------------------------------------------------------------

    def save(self) -> bytes:
        """The compiled catalog as bytes (portable and checksummed, time zones
        included), for couponlib.load() or couponc."""
        rc, data = _cl.cl_program_save(self._h.ptr)
        if rc:
            raise from_status(Error, rc, "save")
        return data

    def disasm(self) -> str:
        """A human-readable listing of the bytecode and constants."""
        rc, data = _cl.cl_program_disasm(self._h.ptr)
        if rc:
            raise from_status(Error, rc, "disasm")
        return data.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<couponlib.Catalog of {len(self)} coupons>"

    def __reduce__(self):
        """Catalogs pickle as their saved bytes (to reach the workers of a
        process pool, say); they are loaded into the default environment."""
        return (load, (self.save(),))


def _simulate(*args, **kw):
    from ._simulation import simulate
    return simulate(*args, **kw)


def _json(res, ctx) -> str:
    rc, data = _cl.cl_result_write_json(res)
    if rc:
        raise from_status(Error, rc, "write_json")
    return data.decode("utf-8", "replace")


def _codes(codes: Iterable[str]) -> Iterable[str]:
    return (codes,) if isinstance(codes, str) else codes
