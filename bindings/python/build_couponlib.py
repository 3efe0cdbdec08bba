"""The PEP 517 build backend of couponlib's Python binding.

`pip install ./bindings/python` works offline: the backend needs nothing from
PyPI (pyproject.toml's build-system requires nothing), only what a machine
that builds couponlib has anyway: a C compiler, pkg-config, the -dev packages
of libyaml, PCRE2 and libbsd, and SWIG (scripts/deps/python.apt).

It compiles the core library's own sources (the `core_sources` of
src/meson.build) together with the SWIG wrapper into one extension module,
couponlib/_cl, with every core symbol hidden, and packs a wheel by hand.
The core is found at ../../ (this directory inside the couponlib tree) or at
./core (inside an sdist, which build_sdist makes self-contained).

Environment:
    CC, CFLAGS, LDFLAGS      compiler and extra flags (as with setuptools)
    SWIG                     the swig program (default: swig)
    COUPONLIB_BUILD_DIR      keep objects here and reuse them while their
                             sources and flags are unchanged (default: a
                             temporary directory, removed afterwards)
    COUPONLIB_BUILD_JOBS     parallel compiler jobs (default: up to 2)
    COUPONLIB_WERROR         when set, compile with -Wall -Wextra -Werror (the
                             project's tests do)
"""

import base64
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "couponlib"
PKG_DEPS = ("yaml-0.1", "libpcre2-8", "libbsd")   # the core's dependencies (meson.build)
CORE_DEFINES = ("-D_POSIX_C_SOURCE=200809L", "-D_DEFAULT_SOURCE")


class BuildError(Exception):
    pass


# ---------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------

def _project():
    try:
        import tomllib
    except ImportError:      # Python 3.10: get_requires_* asked for tomli
        import tomli as tomllib
    with open(HERE / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _dist_name(project):
    return f"{project['name']}-{project['version']}"


def _metadata(project):
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
        f"Summary: {project['description']}",
        f"Requires-Python: {project['requires-python']}",
        f"License: {project['license']['text']}",
        "License-File: LICENSE",
    ]
    for c in project.get("classifiers", []):
        lines.append(f"Classifier: {c}")
    readme = HERE / project["readme"]
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + readme.read_text(encoding="utf-8")


def _license():
    for p in (HERE / "LICENSE", HERE.parent.parent / "LICENSE"):
        if p.is_file():
            return p.read_bytes()
    raise BuildError("LICENSE not found")


def _wheel_tag():
    if sys.implementation.name != "cpython":
        raise BuildError("couponlib's extension is built for CPython only")
    py = f"cp{sys.version_info.major}{sys.version_info.minor}"
    abi = py + getattr(sys, "abiflags", "")
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{py}-{abi}-{plat}"


# ---------------------------------------------------------------------------
# Compiling
# ---------------------------------------------------------------------------

def _core():
    for root in (HERE / "core", HERE.parent.parent):
        if (root / "include" / "couponlib" / "couponlib.h").is_file() and \
                (root / "src" / "meson.build").is_file():
            return root
    raise BuildError("the couponlib core (src/ and include/) was not found beside "
                     f"{HERE}; build from the couponlib tree or from its sdist")


def _files(text, var):
    """The names in `var = files(...)` of a meson.build."""
    m = re.search(var + r"\s*=\s*files\((.*?)\)", text, re.S)
    return re.findall(r"'([^']+)'", m.group(1)) if m else []


#: The sources src/meson.build generates into core_sources, and how: the
#: target's name -> (output, script under scripts/, the files() variable
#: holding its inputs). The script is run as `python3 SCRIPT OUTPUT INPUT...`.
GENERATED = {
    "calendars_data": ("calendars_data.c", "embed_calendars.py", "calendar_files"),
}


def _core_sources(core, build_dir):
    """The core's C sources: core_sources of src/meson.build, with the
    sources it generates made in build_dir."""
    text = (core / "src" / "meson.build").read_text(encoding="utf-8")
    names = [n for n in _files(text, "core_sources") if n.endswith(".c")]
    if not names:
        raise BuildError("no core_sources in src/meson.build")
    sources = [core / "src" / n for n in names]
    for target in re.findall(r"core_sources\s*\+=\s*custom_target\(\s*'([^']+)'", text):
        if target not in GENERATED:
            raise BuildError(f"src/meson.build generates {target!r}, which this build "
                             "backend does not know how to make (see GENERATED)")
        output, script, var = GENERATED[target]
        inputs = [(core / "src" / n).resolve() for n in _files(text, var)]
        out = Path(build_dir) / output
        _run([sys.executable, str(core / "scripts" / script), str(out), *map(str, inputs)])
        sources.append(out)
    return sources


def _run(cmd, **kw):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           **kw)
    except FileNotFoundError:
        raise BuildError(f"{cmd[0]} not found (scripts/deps.sh python installs what the "
                         "build needs)") from None
    if p.returncode != 0:
        raise BuildError(f"command failed: {shlex.join(map(str, cmd))}\n{p.stdout}")
    return p.stdout


def _pkg_config(flag):
    return shlex.split(_run(["pkg-config", flag, *PKG_DEPS]))


def _digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:20]


class _Builder:
    def __init__(self, build_dir):
        self.dir = Path(build_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.core = _core()
        self.cc = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
        self.cflags = shlex.split(os.environ.get("CFLAGS", ""))
        if os.environ.get("COUPONLIB_WERROR"):
            self.cflags = ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror",
                           *self.cflags]
        self.ldflags = shlex.split(os.environ.get("LDFLAGS", ""))
        headers = sorted((self.core / "src").glob("*.h")) + \
            sorted((self.core / "include").rglob("*.h")) + \
            sorted((self.core / "src").glob("*.def"))
        self.headers = _digest(*(h.read_bytes() for h in headers))
        self.jobs = int(os.environ.get("COUPONLIB_BUILD_JOBS") or min(2, os.cpu_count() or 1))

    def _object(self, source, flags):
        """Compiles source unless an object of the same inputs is there."""
        cmd = [*self.cc, *flags, *self.cflags, "-c", str(source)]
        # The key names no directory, so that a build from an sdist unpacked
        # elsewhere reuses the objects of the same sources and flags.
        where = sorted({str(self.core): "<core>", str(HERE): "<here>",
                        str(self.dir): "<build>"}.items(), key=lambda kv: -len(kv[0]))
        portable = cmd
        for d, name in where:
            portable = [a.replace(d, name) for a in portable]
        key = _digest(*portable, Path(source).read_bytes(), self.headers,
                      (HERE / "native.h").read_bytes())
        out = self.dir / f"{Path(source).stem}-{key}.o"
        if not out.exists():
            tmp = out.with_suffix(".tmp.o")
            _run([*cmd, "-o", str(tmp)])
            tmp.replace(out)
        return out

    def _wrapper(self):
        swig = shlex.split(os.environ.get("SWIG", "swig"))
        iface = HERE / "couponlib.i"
        version = _run([*swig, "-version"])
        key = _digest(iface.read_bytes(), (HERE / "native.h").read_bytes(), self.headers,
                      version)
        out = self.dir / f"couponlib_wrap-{key}.c"
        if not out.exists():
            tmp = self.dir / "swig.tmp"
            tmp.mkdir(exist_ok=True)
            _run([*swig, "-python", "-I" + str(self.core / "include"), "-I" + str(HERE),
                  "-o", str(tmp / "wrap.c"), "-outdir", str(tmp), str(iface)])
            (tmp / "wrap.c").replace(out)
        return out

    def extension(self):
        """Builds couponlib/_cl and returns its path."""
        common = ["-std=c11", "-O2", "-fPIC", "-fvisibility=hidden", "-fno-strict-aliasing"]
        include = "-I" + str(self.core / "include")
        core_flags = [*common, *CORE_DEFINES, include, "-I" + str(self.core / "src"),
                      *_pkg_config("--cflags")]
        py_include = "-I" + sysconfig.get_paths()["include"]
        native_flags = [*common, include, "-I" + str(self.core / "src"), "-I" + str(HERE),
                        py_include, *_pkg_config("--cflags")]
        wrapper = self._wrapper()
        jobs = [(s, core_flags) for s in _core_sources(self.core, self.dir)] + \
            [(HERE / "native.c", native_flags), (wrapper, native_flags)]
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            objects = list(pool.map(lambda j: self._object(*j), jobs))
        out = self.dir / ("_cl" + sysconfig.get_config_var("EXT_SUFFIX"))
        _run([*self.cc, "-shared", "-o", str(out), *map(str, objects),
              *_pkg_config("--libs"), "-pthread", *self.ldflags])
        return out


# ---------------------------------------------------------------------------
# Wheels and sdists
# ---------------------------------------------------------------------------

def _package_files():
    """The package's own files: (path in the archive, path on disk)."""
    files = []
    for p in sorted((HERE / PACKAGE).iterdir()):
        if p.suffix in (".py", ".pyi") or p.name == "py.typed":
            files.append((f"{PACKAGE}/{p.name}", p))
    return files


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _dist_info_files(project, tag):
    info = f"{_dist_name(project)}.dist-info"
    return info, {
        f"{info}/METADATA": _metadata(project).encode(),
        f"{info}/WHEEL": (f"Wheel-Version: 1.0\nGenerator: build_couponlib\n"
                          f"Root-Is-Purelib: false\nTag: {tag}\n").encode(),
        f"{info}/top_level.txt": f"{PACKAGE}\n".encode(),
        f"{info}/LICENSE": _license(),
    }


def _build_dir():
    keep = os.environ.get("COUPONLIB_BUILD_DIR")
    if keep:
        return Path(keep), None
    tmp = tempfile.mkdtemp(prefix="couponlib-build-")
    return Path(tmp), tmp


def get_requires_for_build_wheel(config_settings=None):
    return [] if sys.version_info >= (3, 11) else ["tomli>=1.1"]


def get_requires_for_build_sdist(config_settings=None):
    return get_requires_for_build_wheel(config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    info, files = _dist_info_files(project, _wheel_tag())
    for name, data in files.items():
        path = Path(metadata_directory) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    tag = _wheel_tag()
    build_dir, tmp = _build_dir()
    try:
        ext = _Builder(build_dir).extension()
        entries = [(name, path.read_bytes()) for name, path in _package_files()]
        entries.append((f"{PACKAGE}/{ext.name}", ext.read_bytes()))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    info, meta = _dist_info_files(project, tag)
    entries += sorted(meta.items())
    wheel_name = f"{_dist_name(project)}-{tag}.whl"
    record = [_record_line(n, d) for n, d in entries] + [f"{info}/RECORD,,"]
    with zipfile.ZipFile(Path(wheel_directory) / wheel_name, "w",
                         zipfile.ZIP_DEFLATED) as whl:
        for name, data in entries:
            zi = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            zi.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(zi, data)
        whl.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    """A self-contained source archive: this directory plus the core as core/."""
    project = _project()
    name = _dist_name(project)
    core = _core()
    members = [(p.name, p) for p in (HERE / "pyproject.toml", HERE / "build_couponlib.py",
                                     HERE / "couponlib.i", HERE / "native.h",
                                     HERE / "native.c", HERE / project["readme"])]
    members += _package_files()
    for sub in ("src", "include", "data"):
        for p in sorted((core / sub).rglob("*")) if (core / sub).is_dir() else ():
            rel = p.relative_to(core)
            if p.is_file() and rel.parts[:2] != ("src", "cli"):
                members.append((f"core/{rel.as_posix()}", p))
    for _, script, _ in GENERATED.values():
        members.append((f"core/scripts/{script}", core / "scripts" / script))
    extra = {"LICENSE": _license(), "PKG-INFO": _metadata(project).encode()}
    sdist = f"{name}.tar.gz"
    with tarfile.open(Path(sdist_directory) / sdist, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        def add(arcname, data):
            ti = tarfile.TarInfo(f"{name}/{arcname}")
            ti.size = len(data)
            ti.mode = 0o644
            ti.mtime = 1767225600
            tar.addfile(ti, io.BytesIO(data))
        for arcname, path in members:
            add(arcname, path.read_bytes())
        for arcname, data in extra.items():
            add(arcname, data)
    return sdist
