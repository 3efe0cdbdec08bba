"""Coupon test files (SPEC section 7), run through the Python binding.

The semantics are couponc test's, implemented here in Python on top of the
binding's public API (nothing of couponc is used):

    coupons: weekend.yaml          # or a list; paths relative to the test file
    cases:
      - name: ...
        context: { ... }           # SPEC section 3
        expect:                    # per code; only the keys given are compared
          CODE: { applicable, discount, shipping_discount, reasons, lines }
        best: { coupons, discount, shipping_discount, subtotal, shipping, total,
                rejected }
        context_error: { code, line, column, message, path }
    compile_errors:
      - { name, source, error: { code, line, column, message, path } }

`reasons` passes when every listed code is among the result's reason codes;
a listed reason may be a mapping { code, line, message } (message: a
substring). `rejected` lists codes that must be among best's rejected ones.

YAML is read with SPEC section 9's rules: only plain true and false are
booleans, plain whole numbers are ints, plain ~ and null are None; every
other scalar is text (so `country: NO` and `bin: 0411` stay text).

Every case is evaluated twice: with its context as a dict (the binding's
native path) and as YAML text (the C parser's path), and both must agree.
A context is given to the text path at its own line and column, so that
context_error positions are those in the test file, as couponc gives them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

import couponlib


class SpecLoader(yaml.SafeLoader):
    """SafeLoader with SPEC section 9's scalars."""


SpecLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in (
        ("tag:yaml.org,2002:bool", r"^(?:true|false)$", "tf"),
        ("tag:yaml.org,2002:int", r"^-?(?:0|[1-9][0-9]*)$", "-0123456789"),
        ("tag:yaml.org,2002:null", r"^(?:~|null)$", "~n"),
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")):
    SpecLoader.add_implicit_resolver(tag, re.compile(pattern), list(first))
SpecLoader.add_constructor("tag:yaml.org,2002:bool",
                           lambda loader, node: loader.construct_scalar(node) == "true")


class BadTestFile(Exception):
    """The test file itself is malformed."""


@dataclass
class Case:
    file: Path
    name: str
    kind: str                      # "case" or "compile_error"
    data: dict
    node: yaml.Node | None = None  # the context's node, for its position
    source: str = ""               # the test file's text
    coupons: list[Path] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.file.name}::{self.name}"


def _keys(m: Any, allowed: tuple[str, ...], what: str) -> dict:
    if not isinstance(m, dict):
        raise BadTestFile(f"{what}: expected a mapping")
    for k in m:
        if k not in allowed:
            raise BadTestFile(f"{what}: unknown key {k!r}")
    return m


def _node_of(root: yaml.MappingNode, *path: Any) -> yaml.Node:
    node = root
    for p in path:
        if isinstance(p, int):
            node = node.value[p]
        else:
            node = next(v for k, v in node.value if k.value == p)
    return node


def load(path: Path) -> list[Case]:
    """The cases of one test file."""
    text = path.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=SpecLoader)
    root = yaml.compose(text, Loader=SpecLoader)
    _keys(data, ("coupons", "cases", "compile_errors"), str(path))
    out = []
    for i, c in enumerate(data.get("compile_errors") or []):
        c = _keys(c, ("name", "source", "error"), f"compile_errors[{i}]")
        if not isinstance(c.get("source"), str) or not isinstance(c.get("error"), dict):
            raise BadTestFile(f"compile_errors[{i}]: needs source (text) and error")
        out.append(Case(path, str(c.get("name", f"compile error {i + 1}")),
                        "compile_error", c))
    cases = data.get("cases") or []
    coupons = data.get("coupons")
    if cases and coupons is None:
        raise BadTestFile("cases need coupons")
    files = [coupons] if isinstance(coupons, str) else list(coupons or [])
    files = [path.parent / f for f in files]
    for i, c in enumerate(cases):
        c = _keys(c, ("name", "context", "expect", "best", "context_error"), f"cases[{i}]")
        if "context" not in c:
            raise BadTestFile(f"cases[{i}]: a case needs a context")
        out.append(Case(path, str(c.get("name", f"case {i + 1}")), "case", c,
                        _node_of(root, "cases", i, "context"), text, files))
    return out


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

class Notes(list):
    def add(self, msg: str) -> None:
        self.append(msg)


def _amount(notes: Notes, what: str, want: Any, got: Decimal) -> None:
    """want (test text) against got, which has exactly its currency's
    decimals; more decimals in want than the currency has is a bad test."""
    try:
        w = Decimal(str(want))
    except InvalidOperation:
        notes.add(f"{what}: expected amount {want!r} is not an amount")
        return
    if not w.is_finite() or w.as_tuple().exponent < got.as_tuple().exponent:
        notes.add(f"{what}: expected amount {want!r} has too many decimals")
    elif w != got:
        notes.add(f"{what}: expected {want}, got {got}")


def _bool(notes: Notes, what: str, want: Any, got: bool) -> None:
    if not isinstance(want, bool):
        notes.add(f"{what}: expected true or false in the test")
    elif want != got:
        notes.add(f"{what}: expected {want}, got {got}")


def _reasons(notes: Notes, code: str, want: Any, r: couponlib.Result) -> None:
    if not isinstance(want, list):
        notes.add(f"{code}.reasons: expected a list in the test")
        return
    for w in want:
        wc = w.get("code") if isinstance(w, dict) else w
        wm = w.get("message") if isinstance(w, dict) else None
        wl = w.get("line") if isinstance(w, dict) else None
        if not any(x.code == wc and (wm is None or str(wm) in x.message) and
                   (wl is None or wl == x.line) for x in r.reasons):
            notes.add(f"{code}.reasons: expected {wc}"
                      f"{' with message containing ' + str(wm) if wm else ''}, got "
                      f"{[(x.code, x.message, x.line) for x in r.reasons]}")


def _lines(notes: Notes, code: str, want: Any, r: couponlib.Result) -> None:
    if not isinstance(want, list):
        notes.add(f"{code}.lines: expected a list in the test")
        return
    if len(want) != len(r.lines):
        notes.add(f"{code}.lines: expected {len(want)} lines, got {len(r.lines)}")
        return
    for k, (w, got) in enumerate(zip(want, r.lines)):
        what = f"{code}.lines[{k}]"
        if "index" in w and w["index"] != got.index:
            notes.add(f"{what}.index: expected {w['index']}, got {got.index}")
        if "discount" in w:
            _amount(notes, what, w["discount"], got.discount)
        if "sku" in w and str(w["sku"]) != got.sku:
            notes.add(f"{what}.sku: expected {w['sku']}, got {got.sku}")


def _expect(notes: Notes, expect: Any, results: list[couponlib.Result]) -> None:
    if not isinstance(expect, dict):
        raise BadTestFile("expect: expected a mapping of codes")
    for code, w in expect.items():
        _keys(w, ("applicable", "discount", "shipping_discount", "reasons", "lines"),
              f"expect.{code}")
        r = next((x for x in results if x.code.lower() == str(code).lower()), None)
        if r is None:
            notes.add(f"{code}: no such coupon")
            continue
        if "applicable" in w:
            _bool(notes, f"{code}.applicable", w["applicable"], r.applicable)
        for k in ("discount", "shipping_discount"):
            if k in w:
                _amount(notes, f"{code}.{k}", w[k], getattr(r, k))
        if "reasons" in w:
            _reasons(notes, str(code), w["reasons"], r)
        if "lines" in w:
            _lines(notes, str(code), w["lines"], r)


def _best(notes: Notes, best: Any, choice: couponlib.Choice) -> None:
    _keys(best, ("coupons", "discount", "shipping_discount", "subtotal", "shipping", "total",
                 "rejected"), "best")
    if "coupons" in best:
        want = best["coupons"]
        if not isinstance(want, list) or [str(c).lower() for c in want] != \
                [c.lower() for c in choice.coupons]:
            notes.add(f"best.coupons: expected {want}, got {list(choice.coupons)}")
    for k in ("discount", "shipping_discount", "subtotal", "shipping", "total"):
        if k in best:
            _amount(notes, f"best.{k}", best[k], getattr(choice, k))
    for code in best.get("rejected") or []:
        if not any(r.code.lower() == str(code).lower() for r in choice.rejected):
            notes.add(f"best.rejected: {code} is not rejected")


def _error(notes: Notes, want: dict, e: couponlib.Error) -> None:
    _keys(want, ("code", "line", "column", "message", "path"), "error")
    if "code" in want and want["code"] != e.code:
        notes.add(f"error code: expected {want['code']}, got {e.code} ({e.message})")
    for k in ("line", "column"):
        if k in want and want[k] != getattr(e, k):
            notes.add(f"error {k}: expected {want[k]}, got {getattr(e, k)} ({e.message})")
    if "message" in want and str(want["message"]) not in e.message:
        notes.add(f"error message: expected to contain {want['message']!r}, got {e.message!r}")
    if "path" in want and want["path"] != e.path:
        notes.add(f"error path: expected {want['path']}, got {e.path}")


def context_text(case: Case) -> str:
    """The case's context as YAML text at its own line and column; as JSON
    when its text does not stand alone (an alias or merge key refers to an
    anchor elsewhere in the file)."""
    node = case.node
    start, end = node.start_mark, node.end_mark
    text = "\n" * start.line + " " * start.column + case.source[start.index:end.index] + "\n"
    try:
        yaml.load(text, Loader=SpecLoader)
    except yaml.YAMLError:
        return json.dumps(case.data["context"])
    return text


_catalogs: dict[tuple, couponlib.Catalog] = {}


def catalog(case: Case) -> couponlib.Catalog:
    key = tuple(case.coupons)
    if key not in _catalogs:
        _catalogs[key] = couponlib.compile(list(case.coupons))
    return _catalogs[key]


def run(case: Case) -> list[str]:
    """What is wrong with the case (nothing when it passes)."""
    notes = Notes()
    d = case.data
    if case.kind == "compile_error":
        try:
            couponlib.compile(d["source"], name="<source>")
        except couponlib.CompileError as e:
            _error(notes, d["error"], e)
        else:
            notes.add("expected a compile error, but it compiled")
        return notes
    cat = catalog(case)
    text = context_text(case)
    if "context_error" in d:
        for how, ctx in (("text", text), ("dict", d["context"])):
            try:
                couponlib.Context(ctx)
            except couponlib.ContextError as e:
                want = dict(d["context_error"])
                if how == "dict":   # a dict has no lines and columns
                    want.pop("line", None)
                    want.pop("column", None)
                _error(notes, want, e)
            else:
                notes.add(f"context ({how}): expected an error, but it parsed")
        return notes
    try:
        ctx = couponlib.Context(d["context"])
    except couponlib.ContextError as e:
        return [f"context: {e}"]
    if "expect" in d:
        results = cat.evaluate(d["context"])
        if results != cat.evaluate(text) or results != cat.evaluate(ctx):
            notes.add("evaluate: the dict, the text and the Context disagree")
        _expect(notes, d["expect"], results)
    if "best" in d:
        choice = cat.best(d["context"])
        if choice != cat.best(text) or choice != cat.best(ctx):
            notes.add("best: the dict, the text and the Context disagree")
        _best(notes, d["best"], choice)
    return notes
