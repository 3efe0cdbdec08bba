"""Environments, and the per-thread evaluation state made from them.

The C library's rules: an environment is configured once and then shared
read-only; it outlives everything made from it. A program is shared by any
number of threads. A vm (evaluation state and result storage) is used by one
thread at a time. Here every Env keeps one vm per thread (threading.local),
plus a scratch context per thread for contexts given as dicts or text.

Ownership: each C object is freed by the __del__ of the small handle that
holds it. Everything made from an environment holds the environment's handle
and is registered with it (adopt/disown), and the environment is freed only
once it is unreferenced and has no registered child left. Reference counting
alone would order the frees correctly, but the garbage collector finalizes
cyclic garbage (at interpreter exit, everything) in no particular order.
"""

from __future__ import annotations

import os
import threading

from . import _cl
from ._errors import Error, from_status

__all__ = ["Env", "LIMITS", "default_env", "memory_in_use"]

#: The limits an Env takes as keyword arguments (SPEC section 8).
LIMITS = {
    "input_bytes": _cl.CL_LIMIT_INPUT_BYTES,
    "depth": _cl.CL_LIMIT_DEPTH,
    "coupons": _cl.CL_LIMIT_COUPONS,
    "list": _cl.CL_LIMIT_LIST,
    "string": _cl.CL_LIMIT_STRING,
    "regex_length": _cl.CL_LIMIT_REGEX_LENGTH,
    "aliases": _cl.CL_LIMIT_ALIASES,
    "nodes": _cl.CL_LIMIT_NODES,
    "match": _cl.CL_LIMIT_MATCH,
    "match_depth": _cl.CL_LIMIT_MATCH_DEPTH,
    "steps": _cl.CL_LIMIT_STEPS,
    "items": _cl.CL_LIMIT_ITEMS,
}


class _EnvHandle:
    __slots__ = ("ptr", "_box", "_kids", "_dead")

    def __init__(self) -> None:
        self._box: list = []
        self._kids: set[int] = set()
        self._dead = False
        self.ptr = _cl.cl_env_new()
        if self.ptr is None:
            raise MemoryError("couponlib: out of memory")
        self._box.append(self.ptr)

    def adopt(self, kid: object) -> None:
        self._kids.add(id(kid))

    def disown(self, kid: object) -> None:
        self._kids.discard(id(kid))
        if self._dead and not self._kids:
            self._free()

    def _free(self, _free=_cl.cl_env_free) -> None:
        # list.pop is atomic: whichever thread gets the pointer frees it.
        try:
            ptr = self._box.pop()
        except IndexError:
            return
        _free(ptr)

    def __del__(self) -> None:
        self._dead = True
        if not self._kids:
            self._free()


class _State:
    """One thread's evaluation state: a vm, and a scratch context for
    contexts given as dicts or text. busy is set while its results are being
    read, so that an evaluation re-entered on the same thread (from a
    finalizer, say) takes fresh state instead of overwriting them."""

    __slots__ = ("vm", "ctx", "env", "busy")

    def __init__(self, env: _EnvHandle) -> None:
        self.busy = False
        self.ctx = self.vm = None
        self.env = env
        env.adopt(self)
        self.vm = _cl.cl_vm_new(env.ptr)
        if self.vm is None:
            raise MemoryError("couponlib: out of memory")

    def scratch(self):
        """The scratch context (made on first use)."""
        if self.ctx is None:
            self.ctx = _cl.cl_context_new(self.env.ptr)
            if self.ctx is None:
                raise MemoryError("couponlib: out of memory")
        return self.ctx

    def __del__(self, _free_vm=_cl.cl_vm_free, _free_ctx=_cl.cl_context_free) -> None:
        _free_vm(self.vm)
        _free_ctx(self.ctx)
        self.env.disown(self)


class _ContextHandle:
    __slots__ = ("ptr", "env")

    def __init__(self, env: _EnvHandle) -> None:
        self.ptr = None
        self.env = env
        env.adopt(self)
        self.ptr = _cl.cl_context_new(env.ptr)
        if self.ptr is None:
            raise MemoryError("couponlib: out of memory")

    def __del__(self, _free=_cl.cl_context_free) -> None:
        _free(self.ptr)
        self.env.disown(self)


class Env:
    """An environment: limits and the tz database directory.

    Env(tzdir=None, **limits), with limits named as in LIMITS
    (input_bytes, depth, coupons, list, string, regex_length, aliases,
    nodes, match, match_depth, steps, items). An Env cannot change once
    made, so any number of threads may share it. Most programs never make
    one: compile(), load() and Context() use a default environment.
    """

    __slots__ = ("_h", "_local", "_tzdir", "__weakref__")

    def __init__(self, *, tzdir: str | os.PathLike | None = None, **limits: int) -> None:
        self._h = _EnvHandle()
        self._local = threading.local()
        self._tzdir = None
        for name, value in limits.items():
            which = LIMITS.get(name)
            if which is None:
                raise TypeError(f"Env() got an unknown limit {name!r}; "
                                f"the limits are {', '.join(LIMITS)}")
            if type(value) is not int:
                raise TypeError(f"limit {name} must be an int, not {type(value).__name__}")
            if value <= 0 or value >= 1 << 64:
                raise ValueError(f"limit {name} must be positive, not {value}")
            _cl.cl_env_set_limit(self._h.ptr, which, value)
        if tzdir is not None:
            tzdir = os.fsdecode(tzdir)
            if not tzdir or "\0" in tzdir:
                raise ValueError("tzdir must be a directory name")
            rc = _cl.cl_env_set_tzdir(self._h.ptr, tzdir)
            if rc:
                raise from_status(Error, rc, "tzdir")
            self._tzdir = tzdir

    @property
    def limits(self) -> dict[str, int]:
        """Every limit's current value."""
        return {name: _cl.cl_env_limit(self._h.ptr, which) for name, which in LIMITS.items()}

    @property
    def tzdir(self) -> str:
        """The tz database directory."""
        return self._tzdir or "/usr/share/zoneinfo"

    def __repr__(self) -> str:
        return f"<couponlib.Env tzdir={self.tzdir!r}>"

    # -- per-thread state --------------------------------------------------

    def _state(self) -> _State:
        try:
            st = self._local.st
        except AttributeError:
            st = self._local.st = _State(self._h)
        return _State(self._h) if st.busy else st


_default: Env | None = None
_default_lock = threading.Lock()


def default_env() -> Env:
    """The environment used when none is given (default limits, the
    system's tz database)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Env()
    return _default


def memory_in_use() -> int:
    """Bytes held right now by every couponlib object of this process
    (programs, contexts, per-thread evaluation state, environments)."""
    return _cl.cl_py_memory()
