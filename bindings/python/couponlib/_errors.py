"""couponlib's exceptions, made from the C library's cl_error."""

from __future__ import annotations

from . import _cl

__all__ = ["Error", "CompileError", "ContextError", "EvaluationError", "LoadError"]


class Error(ValueError):
    """A couponlib error.

    Attributes:
        code     the stable short name of the failure ("unknown-key", "amount",
                 "syntax"...), as couponc prints it in error[...]
        status   the C library's cl_status number
        message  the message, without position
        source   the file name given to compile(), "<context>", or None
        line     1-based line in the source, or None when unknown
        column   1-based column, or None when unknown
        offset   byte offset into the source, or None when unknown
        path     where in the document: "coupons[2].when.items.sku",
                 "items[1].unit_price"; "" when it is the whole document
        order    for an order a simulation refused, its index among the
                 orders given (Catalog.simulate, Simulation.extend); else None
    """

    def __init__(self, message: str, *, code: str = "invalid-argument",
                 status: int = _cl.CL_EINVAL, source: str | None = None,
                 line: int | None = None, column: int | None = None,
                 offset: int | None = None, path: str = "",
                 text: bytes | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.source = source
        self.line = line
        self.column = column
        self.offset = offset
        self.path = path
        self.order: int | None = None
        self._text = text

    def __str__(self) -> str:
        head = _cl.cl_py_render(self.status, self.line or 0, self.column or 0,
                                self.source or "<input>", self.message, b"")
        if self.path and not self.line:
            head += f" (at {self.path})"
        return head

    def render(self) -> str:
        """The error as couponc prints it: file:line:col: error[code]: message,
        then the source line and a caret under the column when the source
        text is known."""
        text = self._text or b""
        return _cl.cl_py_render(self.status, self.line or 0, self.column or 0,
                                self.source or "<input>", self.message, text)

    def __reduce__(self):
        state = dict(self.__dict__)
        return (_rebuild, (type(self), self.message, state))


def _rebuild(cls, message, state):
    e = cls.__new__(cls)
    Error.__init__(e, message)
    e.__dict__.update(state)
    return e


class CompileError(Error):
    """A coupon source does not compile (or several do not link)."""


class ContextError(Error):
    """A checkout context is malformed, or a setter got a bad value."""


class EvaluationError(Error):
    """An evaluation failed: the step budget ran out, or the context lacks
    now or currency."""


class LoadError(Error):
    """Saved program bytes are malformed, corrupted or fail verification."""


def from_c(kind: type[Error], args: tuple, text: bytes | None = None,
           positions: bool = True) -> Exception:
    """The exception for a couponlib._cl.Error's args. positions=False drops
    line and column (they would point into JSON that the binding made)."""
    status, line, column, offset, source, path, message = args
    if status == _cl.CL_ENOMEM:
        return MemoryError(message)
    if not positions:
        line = column = 0
    if kind is LoadError:                # no lines: the offset is into the bytes
        offset = offset if status == _cl.CL_EFORMAT else None
    elif not line:
        offset = None
    return kind(message, code=_cl.cl_status_name(status), status=status,
                source=source or None, line=line or None, column=column or None,
                offset=offset, path=path, text=text)


def from_status(kind: type[Error], status: int, what: str) -> Exception:
    """The exception for a bare status code returned by a setter."""
    if status == _cl.CL_ENOMEM:
        return MemoryError(f"{what}: {_cl.cl_strerror(status)}")
    return kind(f"{what}: {_cl.cl_strerror(status)}", code=_cl.cl_status_name(status),
                status=status)
