#!/usr/bin/env bash
# The Python binding's test run (meson test suite `python`):
#
#   run-tests.sh SOURCE_ROOT BUILD_DIR SANITIZE CC...
#
# 1. makes a private virtualenv in BUILD_DIR (once) that also sees the
#    project's virtualenv, where scripts/deps/python.sh put pytest and PyYAML;
# 2. installs the binding into it exactly as a user would, offline:
#    pip install --no-index ./bindings/python (objects are kept in BUILD_DIR
#    so that a rebuild only compiles what changed);
# 3. runs pytest on bindings/python/tests against the installed package, and
#    the shared conformance files when ../shared is present;
# 4. prints "N passed, M failed" last (skipped tests count as failed).
#
# With SANITIZE containing "address" (the ASan build) the extension is built
# with -fsanitize=address,undefined and Python runs with the ASan runtime
# preloaded (leak detection off: the interpreter itself does not free
# everything at exit).
set -uo pipefail
root=$1 build=$2 sanitize=$3
shift 3
cc=("$@")

fail() { echo "run-tests: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

. "$root/scripts/deps/lib.sh"
shared="$COUPONLIB_VENV/bin/python"
[ -x "$shared" ] || fail "no project virtualenv; run scripts/deps.sh python"
"$shared" -c "import pytest, yaml" 2>/dev/null || fail "pytest or PyYAML missing; run scripts/deps.sh python"

venv="$build/venv"
py="$venv/bin/python"
if [ ! -x "$py" ]; then
    "$shared" -m venv "$venv" || fail "cannot make $venv"
fi
site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$shared" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' >"$site/couponlib-test-tools.pth"

export CC="${cc[*]}"
export COUPONLIB_BUILD_DIR="$build/objects"
export COUPONLIB_WERROR=1
preload=()
if [[ "$sanitize" == *address* ]]; then
    export CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g -O1"
    if [[ "$CC" == *clang* ]]; then
        export LDFLAGS="-fsanitize=address,undefined -shared-libasan"
        preload=("$(${cc[0]} -print-file-name=libclang_rt.asan-x86_64.so)")
    else
        export LDFLAGS="-fsanitize=address,undefined"
        preload=("$(${cc[0]} -print-file-name=libasan.so)" "$(${cc[0]} -print-file-name=libubsan.so)")
    fi
fi

echo "== pip install $root/bindings/python (offline)"
if ! "$py" -m pip install --no-index --no-deps --force-reinstall --quiet \
        --disable-pip-version-check "$root/bindings/python"; then
    fail "pip install failed"
fi

report="$build/pytest.xml"
rm -f "$report"
env=(PYTHONSAFEPATH=1 PYTHONDONTWRITEBYTECODE=1 COUPONLIB_INSTALLED_IN="$site"
     COUPONLIB_SOURCE_ROOT="$root")
if [ ${#preload[@]} -gt 0 ]; then
    env+=(LD_PRELOAD="${preload[*]}"
          ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:strict_string_checks=1"
          UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
          COUPONLIB_SANITIZED=1)
fi
cd "$build" || fail "no $build"
env "${env[@]}" "$py" -m pytest -q -p no:cacheprovider --junitxml="$report" \
    "$root/bindings/python/tests"
status=$?

"$py" - "$report" "$status" <<'EOF'
import sys
import xml.etree.ElementTree as ET
path, status = sys.argv[1], int(sys.argv[2])
try:
    root = ET.parse(path).getroot()
except (OSError, ET.ParseError) as e:
    print(f"no pytest report ({e})")
    print("0 passed, 1 failed")
    sys.exit(1)
suites = [root] if root.tag == "testsuite" else list(root)
n = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get(k, 0)) for s in suites for k in ("failures", "errors", "skipped"))
if n == 0 or status != 0 and bad == 0:
    bad = max(bad, 1)     # nothing ran, or pytest failed without a test failing
print(f"{n - min(bad, n)} passed, {bad} failed")
sys.exit(1 if bad else 0)
EOF
