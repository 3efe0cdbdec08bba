#!/usr/bin/env python3
"""Totals of a test run, from meson's JSON test logs.

Counts individual checks where a test reports them (Check's
"Checks: N, Failures: F, Errors: E", couponc test's "N passed, M failed",
pytest and node's own summaries), else one per meson test. A test that
failed without reporting a failed check (a crash, a valgrind error) counts
as one failure. Prints "N passed, M failed" last; exits 1 when M > 0.
"""
import json
import re
import sys

CHECK = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")
PASSED = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def counts(entry):
    out = entry.get("stdout", "") or ""
    ok = entry.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
    m = CHECK.findall(out)
    if m:
        n, f, e = map(int, m[-1])
        p, fl = n - f - e, f + e
    else:
        m = PASSED.findall(out)
        if m:
            p, fl = map(int, m[-1])
        else:
            p, fl = (1, 0) if ok else (0, 1)
    if not ok and fl == 0:
        fl = 1
    return p, fl


def main(paths):
    passed = failed = 0
    for path in paths:
        if path.startswith("build-failed:"):
            print(f"{path[13:]} build failed")
            failed += 1
            continue
        try:
            with open(path) as f:
                lines = [json.loads(l) for l in f if l.strip()]
        except OSError as e:
            print(f"cannot read {path}: {e}")
            failed += 1
            continue
        p_sum = f_sum = 0
        for entry in lines:
            p, fl = counts(entry)
            p_sum += p
            f_sum += fl
            if fl:
                print(f"  failed: {entry.get('name')} ({entry.get('result')})")
        print(f"{path}: {p_sum} passed, {f_sum} failed")
        passed += p_sum
        failed += f_sum
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
