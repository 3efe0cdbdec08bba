#!/usr/bin/env python3
"""Turns the runners' JSON lines (bench/c/cbench.c, bench/node/run.js,
bench/python/run.py) into the table of bench/run.sh, its Markdown twin for
docs/PERFORMANCE.md and the data of the plot.

    bench/report.py RESULTS.jsonl MACHINE.json OUT_DIR

Writes OUT_DIR/table.txt (printed too), table.md, speedups.dat (for
bench/plot.gp) and checks that every runner decided what couponlib's C API
decided (the "check" of each line): a mismatch is reported and makes the
exit status 1. Timings are only reported, never judged.
"""

import json
import os
import sys

WORKLOADS = {
    "W1": "one coupon, 7 conditions, 10-line cart",
    "W1-text": "W1, the context as JSON text",
    "W1-prepared": "W1, a context prepared once",
    "W1-native": "W1, the Node binding's native layer, a context parsed once",
    "W2": "best of 10,000 coupons, 10-line cart",
    "W2-full": "W2, every automatic coupon evaluated",
    "W3": "one coupon, 1,000,000 distinct carts",
    "W4": "compiling 10,000 coupons",
    "W5": "1,000,000 unique codes",
}
ORDER = ["W1", "W1-text", "W1-prepared", "W1-native", "W2", "W2-full", "W3", "W4", "W5"]
LANGS = ["C", "Node", "Python"]


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return "%.3g %s" % (ns / scale, unit)
    return "%.3g ns" % ns


def ratio_text(r, versus=""):
    """couponlib's time over the runner's; versus names the peer when a
    variant of couponlib's is set against the fastest peer."""
    if r is None:
        return ""
    if r < 1:
        return "%.3g%s (%.3gx faster)" % (r, versus, 1 / r)
    return "%.3g%s (%.3gx slower)" % (r, versus, r)


def load(path):
    rows, samples, errors = [], {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            if r["w"] == "W3-samples":
                samples = r["samples"]
            elif r["w"] == "error":
                errors.append(r)
            else:
                rows.append(r)
    return rows, samples, errors


def reference(rows, samples):
    """What couponlib's C API decided, per workload (W3: per sample size)."""
    ref = {}
    for r in rows:
        if r["lang"] == "C" and r["runner"] == "couponlib":
            ref[r["w"].split("-")[0]] = r["check"]
    return ref


def expected(r, ref, samples):
    base = r["w"].split("-")[0]
    if base == "W3" and not r["check"].startswith("1000000 "):
        n = r["check"].split(" ")[0]
        return samples.get(n)
    return ref.get(base)


def main():
    results, machine_path, out = sys.argv[1:4]
    rows, samples, errors = load(results)
    with open(machine_path, encoding="utf-8") as f:
        machine = json.load(f)
    ref = reference(rows, samples)
    mismatches = []
    for r in rows:
        want = expected(r, ref, samples)
        r["ok"] = want is None or r["check"] == want
        if not r["ok"]:
            mismatches.append((r, want))

    # couponlib's figure for each (workload, language): the ratios' numerator.
    mine_base = {}
    for r in rows:
        if r["runner"] == "couponlib":
            mine_base.setdefault((r["w"].split("-")[0], r["lang"]), r["ns"])

    def key(r):
        w = r["w"]
        return (ORDER.index(w) if w in ORDER else 99, LANGS.index(r["lang"]),
                0 if r["runner"] == "couponlib" else 1, r["ns"])

    # The fastest peer of each (workload, language), which couponlib's
    # variants of a workload (W1-text, W1-prepared, ...) are set against.
    fastest = {}
    for r in rows:
        k = (r["w"].split("-")[0], r["lang"])
        if r["runner"] != "couponlib" and not r["runner"].startswith("hand-written") and (
                k not in fastest or r["ns"] < fastest[k]["ns"]):
            fastest[k] = r

    rows.sort(key=key)
    table = []
    for r in rows:
        base = r["w"].split("-")[0]
        ratio, versus = None, ""
        if r["runner"] != "couponlib":
            m = mine_base.get((base, r["lang"]))
            ratio = m / r["ns"] if m else None
        elif r["w"] != base and (base, r["lang"]) in fastest:
            peer = fastest[(base, r["lang"])]
            ratio, versus = r["ns"] / peer["ns"], " of " + peer["runner"]
        spread = r["max"] / r["min"] if r["min"] > 0 else 1
        table.append({
            "w": r["w"], "what": WORKLOADS.get(r["w"], ""), "lang": r["lang"], "runner": r["runner"],
            "median": human(r["ns"]), "wall": human(r["wall"]), "spread": "%.2f" % spread,
            "runs": r["runs"], "ratio": ratio_text(ratio, versus),
            "ratio_value": None if versus else ratio, "versus": versus[len(" of "):],
            "variant_ratio": ratio if versus else None,
            "check": "yes" if r["ok"] else "NO", "note": r.get("note", ""),
        })

    head = ["workload", "", "runner", "median CPU", "median wall", "max/min", "runs",
            "couponlib / runner", "same result"]
    lines_txt = []
    widths = [len(h) for h in head]
    cells = []
    for t in table:
        c = [t["w"], t["lang"], t["runner"], t["median"], t["wall"], t["spread"], str(t["runs"]),
             t["ratio"], t["check"]]
        cells.append(c)
        widths = [max(a, len(b)) for a, b in zip(widths, c)]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    m = machine
    lines_txt.append("couponlib %s against its peers, %s" % (m.get("version", "?"), m.get("date", "")))
    lines_txt.append("machine: %s, %s cores; load average %s before, %s after; %s" % (
        m.get("cpu", "?"), m.get("cores", "?"), m.get("load_before", "?"), m.get("load_after", "?"),
        m.get("system", "")))
    lines_txt.append("")
    lines_txt.append(fmt % tuple(head))
    last = None
    for c, t in zip(cells, table):
        if last is not None and t["w"].split("-")[0] != last:
            lines_txt.append("")
        last = t["w"].split("-")[0]
        lines_txt.append(fmt % tuple(c))
    lines_txt.append("")
    for w in ORDER:
        if any(t["w"] == w for t in table):
            lines_txt.append("%-12s %s" % (w, WORKLOADS[w]))
    if mismatches:
        lines_txt.append("")
        for r, want in mismatches:
            lines_txt.append("MISMATCH %s %s %s: %s, couponlib's C API: %s" % (
                r["w"], r["lang"], r["runner"], r["check"], want))
    for e in errors:
        lines_txt.append("ERROR %s %s: %s" % (e["lang"], e["runner"], e["error"]))
    text = "\n".join(lines_txt) + "\n"

    md = ["| workload | | runner | median CPU | median wall | max/min | runs | couponlib / runner | same result |",
          "|---|---|---|---:|---:|---:|---:|---|---|"]
    for t in table:
        md.append("| %s | %s | %s | %s | %s | %s | %d | %s | %s |" % (
            t["w"], t["lang"], t["runner"] if t["runner"] != "couponlib" else "**couponlib**",
            t["median"], t["wall"], t["spread"], t["runs"], t["ratio"], t["check"]))
    md.append("")
    md.append("Machine: %s, %s cores; load average %s before the run and %s after; %s. %s." % (
        m.get("cpu", "?"), m.get("cores", "?"), m.get("load_before", "?"), m.get("load_after", "?"),
        m.get("system", ""), m.get("date", "")))

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "table.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out, "table.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    # The plot: how many times faster couponlib is than each peer, per
    # workload and language (peer / couponlib, the inverse of the ratio).
    with open(os.path.join(out, "speedups.dat"), "w", encoding="utf-8") as f:
        f.write("# label speedup (peer time / couponlib time, same language)\n")
        for t in table:
            if t["ratio_value"] and t["w"] in ("W1", "W2", "W3", "W4", "W5"):
                f.write('"%s %s\\n%s" %.6g\n' % (t["w"], t["lang"], t["runner"],
                                               1 / t["ratio_value"]))
            elif t["variant_ratio"] and t["w"] in ("W1-native", "W1-prepared"):
                f.write('"%s %s\\nvs %s" %.6g\n' % (t["w"], t["lang"], t["versus"],
                                                 1 / t["variant_ratio"]))
    sys.stdout.write(text)
    if os.environ.get("BENCH_COUNTS"):
        # the smoke test's summary: results that agree with the C API's
        print("%d passed, %d failed" % (len(rows) - len(mismatches), len(mismatches) + len(errors)))
    return 1 if mismatches or errors else 0


if __name__ == "__main__":
    sys.exit(main())
