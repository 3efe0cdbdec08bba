"""What a shop writes around a rules engine that only says which coupons
apply: the money (SPEC 2: percent rounded half to even, caps, largest
remainder allocation), the local weekday in New York, and for W2 a
combination of the applicable coupons. Every Python peer of
bench/python/run.py uses it, the same code for each, so that they decide
what couponlib decides. The twin of bench/node/host.js."""


def _weekday0(days):
    """0 = Sunday ... 6 = Saturday of a day count since 1970-01-01."""
    return (days % 7 + 11) % 7


def _days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _year_of(days):
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return yoe + era * 400 + (mp >= 10)


def ny_weekday(t):
    """ISO weekday (1 = Monday ... 7 = Sunday) of instant t in
    America/New_York (US rules since 2007), hand-written as a shop would."""
    y = _year_of((t - 5 * 3600) // 86400)
    mar, nov = _days_from_civil(y, 3, 1), _days_from_civil(y, 11, 1)
    start = (mar + (7 - _weekday0(mar)) % 7 + 7) * 86400 + 7 * 3600
    end = (nov + (7 - _weekday0(nov)) % 7) * 86400 + 6 * 3600
    off = -4 * 3600 if start <= t < end else -5 * 3600
    wd = _weekday0((t + off) // 86400)
    return 7 if wd == 0 else wd


def percent(amount, bp):
    """amount * bp / 10000 rounded half to even."""
    q, r = divmod(amount * bp, 10000)
    if r > 5000 or (r == 5000 and q % 2 == 1):
        q += 1
    return q


def allocate(total, weights):
    """Spreads total over weights by largest remainder (ties: the larger
    weight, then the lower index)."""
    s = sum(weights)
    if s == 0:
        return [0] * len(weights)
    shares, rem = [], []
    for w in weights:
        q, r = divmod(w * total, s)
        shares.append(q)
        rem.append(r)
    left = total - sum(shares)
    if left:
        order = sorted(range(len(weights)), key=lambda i: (-rem[i], -weights[i], i))
        for i in order[:left]:
            shares[i] += 1
    return shares


def w1_discount(amounts):
    """W1's money: 15% of the subtotal, at most 75.00, over the lines."""
    d = min(percent(sum(amounts), 1500), 7500)
    return d, allocate(d, amounts)


def w1_check(r):
    if r is None:
        return "not applicable"
    d, shares = r
    return "%d;%s" % (d, ",".join("%d:%d" % (i, s) for i, s in enumerate(shares) if s))


def in_category(path, cat):
    return path == cat or path.startswith(cat + "/")


def w1_facts(c):
    """The facts the peers decide W1 (and W3) on, from a cart (cart.py)."""
    amounts = [l["quantity"] * l["unit_price"] for l in c["lines"]]
    return {
        "weekday": ny_weekday(c["now"]), "method": c["method"], "tags": c["tags"],
        "sequence": c["orders_completed"] + 1, "subtotal": sum(amounts),
        "items": [{"quantity": l["quantity"], "category": l["category"], "amount": a}
                  for l, a in zip(c["lines"], amounts)],
        "uses_total": c["uses_total"], "uses_user": c["uses_user"], "amounts": amounts,
    }


def w2_facts(c, codes):
    amounts = [l["quantity"] * l["unit_price"] for l in c["lines"]]
    cats = set()
    for l in c["lines"]:
        parts = l["category"].split("/")
        for i in range(1, len(parts) + 1):
            cats.add("/".join(parts[:i]))
    return {
        "codes": list(codes), "weekday": ny_weekday(c["now"]), "method": c["method"],
        "user_id": c["user_id"], "subtotal": sum(amounts), "skus": [l["sku"] for l in c["lines"]],
        "categories": sorted(cats),
        "lines": [{"sku": l["sku"], "category": l["category"], "amount": a}
                  for l, a in zip(c["lines"], amounts)],
    }


def _eligible(rec, lines):
    t = rec["discount"]["target"]
    if t is None:
        return [True] * len(lines)
    if "skus" in t:
        return [l["sku"] in t["skus"] for l in lines]
    return [in_category(l["category"], t["category"]) for l in lines]


def _takes(rec, elig, rem):
    s = sum(r for r, e in zip(rem, elig) if e)
    d = rec["discount"]
    v = percent(s, d["value"]) if d["kind"] == "percent" else min(d["value"], s)
    if d["max"] is not None and v > d["max"]:
        v = d["max"]
    return min(v, s)


def w2_choose(recs, facts):
    """W2's choice from the coupons an engine found applicable: per group
    the member that takes the most alone (ties: the smaller code), every
    ungrouped one, applied in code order each on what the ones before left.
    The same as bench/node/host.js w2Choose."""
    lines = facts["lines"]
    orig = [l["amount"] for l in lines]
    best, chosen = {}, []
    for r in recs:
        elig = _eligible(r, lines)
        if not any(elig):
            continue
        alone = _takes(r, elig, orig)
        if alone == 0:
            continue
        e = (r, elig, alone)
        if r["group"] is None:
            chosen.append(e)
        else:
            b = best.get(r["group"])
            if b is None or alone > b[2] or (alone == b[2] and r["code"] < b[0]["code"]):
                best[r["group"]] = e
    chosen.extend(best.values())
    chosen.sort(key=lambda e: e[0]["code"])
    rem = orig[:]
    total = count = 0
    for r, elig, _ in chosen:
        d = _takes(r, elig, rem)
        if d == 0:
            continue
        shares = allocate(d, [x if e else 0 for x, e in zip(rem, elig)])
        rem = [x - s for x, s in zip(rem, shares)]
        total += d
        count += 1
    return "%d coupons, discount %d" % (count, total)
