#!/usr/bin/env python3
"""The Python side of bench/run.sh: couponlib through its Python binding,
and the engines a Python shop would pick instead (zen-engine, rule-engine),
on the workloads of issue 8 (see bench/node/run.js for the list).

    python bench/python/run.py DATA_DIR W1_YAML [--quick] [--only NAME,...]

Each figure is one JSON line on stdout for bench/report.py: "ns" is the
median over the runs of the process's CPU time per operation
(time.process_time: every thread of the process), "wall" the median wall
time. The peers decide which coupons apply on facts made from the same
carts (cart.py); the money around it is the same code for each (host.py).
"""

import datetime
import json
import os
import secrets
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cart  # noqa: E402
import host  # noqa: E402

args = sys.argv[1:]
DATA, W1_YAML = args[0], args[1]
QUICK = "--quick" in args
ONLY = set(args[args.index("--only") + 1].split(",")) if "--only" in args else None
RUNS = 3 if QUICK else 9
SECONDS = 0.05 if QUICK else 0.4
CARTS = 1_000_000
CHUNK = 10_000


def emit(w, runner, r, check, note):
    print(json.dumps({"w": w, "runner": runner, "lang": "Python", **r, "check": check,
                      "note": note}), flush=True)


def summary(cpu, wall):
    return {"ns": statistics.median(cpu), "wall": statistics.median(wall), "min": min(cpu),
            "max": max(cpu), "runs": len(cpu)}


def timed(fn, least=1):
    """RUNS timed runs of as many calls of fn as fill about SECONDS each
    (at least `least`), after a warm-up; ns per call."""
    n = least
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        if dt >= SECONDS / 4 or n >= 10**7:
            n = max(least, int(n * SECONDS / max(dt, 1e-6)) + 1)
            break
        n *= 4
    cpu, wall = [], []
    for _ in range(RUNS):
        c0, w0 = time.process_time_ns(), time.perf_counter_ns()
        for _ in range(n):
            fn()
        cpu.append((time.process_time_ns() - c0) / n)
        wall.append((time.perf_counter_ns() - w0) / n)
    return summary(cpu, wall)


def bulk(make, decide, count):
    applicable = total = 0
    cpu = wall = 0
    for base in range(0, count, CHUNK):
        m = min(CHUNK, count - base)
        chunk = [cart.make(base + i + 1, cart.lines_of(base + i + 1)) for i in range(m)]
        c0, w0 = time.process_time_ns(), time.perf_counter_ns()
        for c in chunk:
            d = decide(make(c))
            if d >= 0:
                applicable += 1
                total += d
        cpu += time.process_time_ns() - c0
        wall += time.perf_counter_ns() - w0
    return cpu, wall, "%d carts: %d apply, discount %d" % (count, applicable, total)


def w3(runner, make, decide, count=CARTS, runs=None):
    """W3 over `count` carts (all, or a sample scaled to a million)."""
    if QUICK:
        count = min(count, 5000)
    runs = runs or (1 if QUICK else 3)
    cpu, wall, check = [], [], ""
    for _ in range(runs):
        c, w, check = bulk(make, decide, count)
        cpu.append(c * CARTS / count)
        wall.append(w * CARTS / count)
    note = "every cart" if count == CARTS else \
        "the first %d carts, timed and scaled to a million" % count
    emit("W3", runner, summary(cpu, wall), check, note)


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(cents):
    return "%d.%02d" % divmod(cents, 100)


def context_of(c):
    """A cart as the dict couponlib reads (SPEC 3), as workloads.py writes it."""
    return {
        "now": rfc3339(c["now"]), "currency": "USD",
        "user": {"id": c["user_id"], "tags": c["tags"], "orders_completed": c["orders_completed"]},
        "payment": {"method": c["method"]}, "shipping": {"amount": money(c["shipping"])},
        "items": [{"sku": l["sku"], "quantity": l["quantity"], "unit_price": money(l["unit_price"]),
                   "categories": [l["category"]]} for l in c["lines"]],
        "usage": {"SEVEN": {"total": c["uses_total"], "user": c["uses_user"]}},
    }


def cents(d):
    return int(d * 100)


def load(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        return json.load(f) if name.endswith(".json") else f.read()


W1_CART = cart.make(cart.W1_SEED, 10)
W2_CART = cart.make(cart.W2_SEED, 10)
W1_CONTEXT = load("w1.json")
W2_CONTEXT = load("w2.json")
W2_TEXT = load("w2.yaml")
W2_RECORDS = load("w2-coupons.json")
W2_CODES = W2_CONTEXT["codes"]
BY_CODE = {r["code"]: r for r in W2_RECORDS}


# ---------------------------------------------------------------------------
# couponlib, through its Python binding
# ---------------------------------------------------------------------------

def run_couponlib():
    import couponlib
    runner = "couponlib"
    w1 = couponlib.compile(W1_YAML)

    def check_of(r):
        if not r.applicable:
            return "not applicable"
        return "%d;%s" % (cents(r.discount), ",".join("%d:%d" % (l.index, cents(l.discount))
                                                       for l in r.lines))

    emit("W1", runner, timed(lambda: w1.evaluate(W1_CONTEXT)), check_of(w1.evaluate(W1_CONTEXT)[0]),
         "Catalog.evaluate(dict)")
    prepared = couponlib.Context(W1_CONTEXT)
    emit("W1-prepared", runner, timed(lambda: w1.evaluate(prepared)),
         check_of(w1.evaluate(prepared)[0]), "Catalog.evaluate(a Context made once)")

    w2 = couponlib.compile(W2_TEXT)
    ch = w2.best(W2_CONTEXT, indexed=True)
    emit("W2", runner, timed(lambda: w2.best(W2_CONTEXT, indexed=True)),
         "%d coupons, discount %d" % (len(ch.coupons), cents(ch.discount)),
         "Catalog.best(dict, indexed=True)")

    def decide(ctx):
        r = w1.evaluate(ctx)[0]
        return cents(r.discount) if r.applicable else -1

    w3(runner, context_of, decide, runs=1)
    emit("W4", runner, timed(lambda: couponlib.compile(W2_TEXT)), "10000 coupons",
         "couponlib.compile(YAML text)")


# ---------------------------------------------------------------------------
# zen-engine (GoRules ZEN, Python)
# ---------------------------------------------------------------------------

W1_ZEN = ("weekday in [5, 6, 7] and method in ['card', 'wallet'] and some(tags, # in ['vip', 'gold']) "
          "and sequence >= 2 and sum(map(filter(items, #.category == 'electronics' or "
          "startsWith(#.category, 'electronics/')), #.quantity)) >= 2 "
          "and subtotal >= 10000 and uses_total < 100000 and uses_user < 5")


def _graph(node):
    return {"nodes": [{"id": "in", "type": "inputNode", "name": "in", "position": {"x": 0, "y": 0}},
                      node,
                      {"id": "out", "type": "outputNode", "name": "out", "position": {"x": 0, "y": 0}}],
            "edges": [{"id": "e1", "sourceId": "in", "targetId": node["id"], "type": "edge"},
                      {"id": "e2", "sourceId": node["id"], "targetId": "out", "type": "edge"}]}


def zen_w1():
    return _graph({"id": "rule", "type": "expressionNode", "name": "rule", "position": {"x": 0, "y": 0},
                   "content": {"expressions": [{"id": "ok", "key": "ok", "value": W1_ZEN}]}})


def _q(s):
    return "'%s'" % s


def zen_w2(records):
    """W2 as a decision table: a row per coupon, hit policy collect (the
    same table as bench/node/run.js builds)."""
    inputs = [{"id": k, "name": k, "field": f} for k, f in
              [("codes", "codes"), ("weekday", "weekday"), ("method", "method"), ("user", "user_id"),
               ("cats", "categories"), ("sub", "subtotal"), ("skus", "skus")]]
    rules = []
    for i, r in enumerate(records):
        t = r["discount"]["target"]
        rules.append({
            "_id": "r%d" % i,
            "codes": "" if r["automatic"] else "contains($, %s)" % _q(r["code"]),
            "weekday": "$ in [%s]" % ", ".join(map(str, r["weekday"])) if r["weekday"] else "",
            "method": "$ in [%s]" % ", ".join(map(_q, r["methods"])) if r["methods"] else "",
            "user": "$ == %s" % _q(r["owner"]) if r["owner"] else "",
            "cats": "contains($, %s)" % _q(r["category"]) if r["category"] else "",
            "sub": "$ >= %d" % r["min_subtotal"] if r["min_subtotal"] is not None else "",
            "skus": "some($, # in [%s])" % ", ".join(map(_q, t["skus"])) if t and "skus" in t else "",
            "code": _q(r["code"]),
        })
    return _graph({"id": "table", "type": "decisionTableNode", "name": "coupons",
                   "position": {"x": 0, "y": 0},
                   "content": {"hitPolicy": "collect", "inputs": inputs,
                               "outputs": [{"id": "code", "name": "code", "field": "code"}],
                               "rules": rules}})


def run_zen():
    import zen
    runner = "zen-engine"
    engine = zen.ZenEngine()
    d1 = engine.create_decision(json.dumps(zen_w1()))

    def one(f):
        return host.w1_discount(f["amounts"]) if d1.evaluate(f)["result"]["ok"] is True else None

    f = host.w1_facts(W1_CART)
    emit("W1", runner, timed(lambda: one(f)), host.w1_check(one(f)),
         "ZenDecision.evaluate(dict); the money in host code")

    content = json.dumps(zen_w2(W2_RECORDS))
    d2 = engine.create_decision(content)
    w2f = host.w2_facts(W2_CART, W2_CODES)

    def choose():
        res = d2.evaluate(w2f)["result"]
        rows = res if isinstance(res, list) else []
        return host.w2_choose([BY_CODE[row["code"]] for row in rows], w2f)

    emit("W2", runner, timed(choose), choose(),
         "a decision table of 10,000 rows (collect); the choice in host code")

    def decide(fx):
        r = one(fx)
        return -1 if r is None else r[0]

    w3(runner, host.w1_facts, decide, count=10_000)
    emit("W4", runner, timed(lambda: engine.create_decision(content)), "10000 coupons",
         "ZenEngine.create_decision of the 10,000-row table")


# ---------------------------------------------------------------------------
# rule-engine
# ---------------------------------------------------------------------------

W1_RULE = ("weekday in [5, 6, 7] and method in ['card', 'wallet'] and "
           "[t for t in tags if t in ['vip', 'gold']].length > 0 and sequence >= 2 and "
           "$sum([i.quantity for i in items if i.category == 'electronics' or "
           "i.category =~ 'electronics/.*']) >= 2 and "
           "subtotal >= 10000 and uses_total < 100000 and uses_user < 5")


def rule_of(r):
    c = []
    if not r["automatic"]:
        c.append("%s in codes" % _q(r["code"]))
    if r["weekday"]:
        c.append("weekday in [%s]" % ", ".join(map(str, r["weekday"])))
    if r["methods"]:
        c.append("method in [%s]" % ", ".join(map(_q, r["methods"])))
    if r["owner"]:
        c.append("user_id == %s" % _q(r["owner"]))
    if r["category"]:
        c.append("%s in categories" % _q(r["category"]))
    if r["min_subtotal"] is not None:
        c.append("subtotal >= %d" % r["min_subtotal"])
    t = r["discount"]["target"]
    if t and "skus" in t:
        c.append("[s for s in skus if s in [%s]].length > 0" % ", ".join(map(_q, t["skus"])))
    return " and ".join(c) if c else "true"


def run_rule_engine():
    import rule_engine
    runner = "rule-engine"
    rule = rule_engine.Rule(W1_RULE)

    def one(f):
        return host.w1_discount(f["amounts"]) if rule.matches(f) else None

    f = host.w1_facts(W1_CART)
    emit("W1", runner, timed(lambda: one(f)), host.w1_check(one(f)),
         "Rule.matches(dict); the money in host code")

    rules = [(r, rule_engine.Rule(rule_of(r))) for r in W2_RECORDS]
    w2f = host.w2_facts(W2_CART, W2_CODES)

    def choose():
        return host.w2_choose([r for r, x in rules if x.matches(w2f)], w2f)

    emit("W2", runner, timed(choose), choose(), "10,000 Rules matched; the choice in host code")

    def decide(fx):
        r = one(fx)
        return -1 if r is None else r[0]

    w3(runner, host.w1_facts, decide, count=1000)
    emit("W4", runner, timed(lambda: [rule_engine.Rule(rule_of(r)) for r in W2_RECORDS]),
         "10000 coupons", "rule_engine.Rule of 10,000 expressions")


# ---------------------------------------------------------------------------
# W5: a million unique codes as a Python shop would write it
# ---------------------------------------------------------------------------

def run_codes():
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

    def make():
        seen = set()
        choice = secrets.choice
        while len(seen) < 1_000_000:
            seen.add("BF-" + "".join(choice(alphabet) for _ in range(10)))
        return len(seen)

    cpu, wall, n = [], [], 0
    for _ in range(1 if QUICK else 3):
        c0, w0 = time.process_time_ns(), time.perf_counter_ns()
        n = make()
        cpu.append(time.process_time_ns() - c0)
        wall.append(time.perf_counter_ns() - w0)
    emit("W5", "hand-written Python", summary(cpu, wall), "%d unique codes" % n,
         "secrets.choice and a set; no check character")


def main():
    for name, fn in [("couponlib", run_couponlib), ("zen-engine", run_zen),
                     ("rule-engine", run_rule_engine), ("codes", run_codes)]:
        if ONLY is not None and name not in ONLY:
            continue
        try:
            fn()
        except Exception as e:  # a peer that fails is reported, the others still run
            print("bench/python: %s: %r" % (name, e), file=sys.stderr)
            print(json.dumps({"w": "error", "runner": name, "lang": "Python", "error": str(e)}),
                  flush=True)


if __name__ == "__main__":
    main()
