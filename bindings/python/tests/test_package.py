"""The package as installed: where it is, its stubs, its sdist, and the
README example in a fresh virtual environment."""

from __future__ import annotations

import ast
import ctypes
import inspect
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path


import couponlib
from conftest import ROOT

PKG = Path(couponlib.__file__).resolve().parent
SRC = ROOT / "bindings" / "python"


def test_the_installed_package_is_tested():
    site = os.environ.get("COUPONLIB_INSTALLED_IN")
    assert site, "run through run-tests.sh, which installs the package"
    assert PKG == Path(site).resolve() / "couponlib"
    assert list(PKG.glob("_cl*.so")), "the extension module is installed"
    assert not (PKG / "cl.py").exists()


def test_the_sanitizers_are_in_force():
    """In the ASan build, the extension runs under ASan and UBSan (the
    runtime is preloaded); elsewhere it does not."""
    sanitized = bool(os.environ.get("COUPONLIB_SANITIZED"))
    try:
        ctypes.CDLL(None)["__asan_init"]
        has_asan = True
    except AttributeError:
        has_asan = False
    assert has_asan == sanitized


def test_the_core_symbols_are_hidden():
    """Only PyInit__cl is exported, so the extension cannot clash with a
    libcouponlib loaded beside it."""
    so = next(PKG.glob("_cl*.so"))
    out = subprocess.run(["nm", "-D", "--defined-only", str(so)], capture_output=True,
                         text=True, check=True).stdout
    names = {line.split()[-1] for line in out.splitlines() if " T " in line}
    assert "PyInit__cl" in names
    assert not {n for n in names if n.startswith("cl")}


def _stub():
    return ast.parse((PKG / "__init__.pyi").read_text())


def test_stubs_are_shipped():
    assert (PKG / "py.typed").is_file() and (PKG / "__init__.pyi").is_file()


def test_stubs_name_the_public_api():
    names = set()
    for node in _stub().body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    assert names - {"Amount"} == set(couponlib.__all__)


def _params(fn: ast.FunctionDef) -> list[str]:
    a = fn.args
    return [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs] + \
        ([f"*{a.vararg.arg}"] if a.vararg else []) + ([f"**{a.kwarg.arg}"] if a.kwarg else [])


def _runtime_params(obj) -> list[str]:
    sig = inspect.signature(obj)
    out, star = [], []
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            star.append(f"*{p.name}")
        elif p.kind is p.VAR_KEYWORD:
            star.append(f"**{p.name}")
        else:
            out.append(p.name)
    return out + star


def test_stub_signatures_match_the_code():
    checked = 0
    for node in _stub().body:
        if isinstance(node, ast.FunctionDef):
            assert _params(node) == _runtime_params(getattr(couponlib, node.name)), node.name
            checked += 1
        elif isinstance(node, ast.ClassDef):
            cls = getattr(couponlib, node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    member = inspect.getattr_static(cls, item.name)
                    if isinstance(member, property):
                        continue
                    assert _params(item) == _runtime_params(getattr(cls, item.name)), \
                        f"{node.name}.{item.name}"
                    checked += 1
                elif isinstance(item, ast.AnnAssign) and issubclass(cls, tuple):
                    assert item.target.id in cls._fields, f"{node.name}.{item.target.id}"
    assert checked > 25


def test_the_sdist_is_self_contained(tmp_path):
    sys.path.insert(0, str(SRC))
    try:
        import build_couponlib
        name = build_couponlib.build_sdist(str(tmp_path))
    finally:
        sys.path.remove(str(SRC))
    with tarfile.open(tmp_path / name) as tar:
        files = {m.name.split("/", 1)[1] for m in tar.getmembers()}
    assert {"pyproject.toml", "build_couponlib.py", "couponlib.i", "native.c", "native.h",
            "README.md", "LICENSE", "PKG-INFO", "couponlib/__init__.py",
            "couponlib/__init__.pyi", "couponlib/py.typed", "core/src/meson.build",
            "core/include/couponlib/couponlib.h", "core/src/vm.c",
            "core/scripts/embed_calendars.py", "core/data/calendars/us-retail.yaml"} <= files
    assert not any(f.startswith("core/src/cli") or f.endswith(".so") for f in files)


def readme_example() -> str:
    """The README section's example, from docs/python.md."""
    text = (ROOT / "docs" / "python.md").read_text()
    m = re.search(r"<!-- README example -->\s*```python\n(.*?)```", text, re.S)
    assert m, "docs/python.md has no README example"
    return m.group(1)


EXPECTED = re.compile(r"best: \('BLACKFRIDAY',\) saves 200\.00, pays 1941\.00")


def test_the_readme_example_runs():
    p = subprocess.run([sys.executable, "-c", readme_example()], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert EXPECTED.search(p.stdout), p.stdout


if not os.environ.get("COUPONLIB_SANITIZED"):
    def test_a_fresh_venv_installs_the_sdist_and_runs_the_readme_example(tmp_path):
        """Offline, from the sdist (the core inside it), in a new virtualenv."""
        sys.path.insert(0, str(SRC))
        try:
            import build_couponlib
            sdist = tmp_path / build_couponlib.build_sdist(str(tmp_path))
        finally:
            sys.path.remove(str(SRC))
        venv = tmp_path / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                       timeout=300)
        py = str(venv / "bin" / "python")
        env = dict(os.environ)    # COUPONLIB_BUILD_DIR: objects of the same sources are reused
        p = subprocess.run([sys.executable, "-m", "pip", "--python", py, "install",
                            "--no-index", "--quiet", "--disable-pip-version-check", str(sdist)],
                           capture_output=True, text=True, timeout=900, env=env)
        assert p.returncode == 0, p.stdout + p.stderr
        p = subprocess.run([py, "-c", readme_example()], cwd=ROOT, capture_output=True,
                           text=True, timeout=120, env=dict(env, PYTHONSAFEPATH="1"))
        assert p.returncode == 0, p.stderr
        assert EXPECTED.search(p.stdout), p.stdout
        p = subprocess.run([py, "-c", "import couponlib; print(couponlib.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert str(venv) in p.stdout
