#!/usr/bin/env python3
"""Checks that a synthetic order history (couponc simulate --synthesize) is
what docs/simulation.md says it is. Prints one line per check and ends with
"N passed, M failed".

    orders.py ORDERS.jsonl YEAR ZONE
"""
import collections
import datetime
import json
import sys
import zoneinfo

passed = failed = 0


def check(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def main(path, year, zone):
    tz = zoneinfo.ZoneInfo(zone)
    orders = [json.loads(line) for line in open(path)]
    check(len(orders) > 0, f"{len(orders)} orders read")
    keys = ["now", "timezone", "currency", "user", "order", "payment", "shipping", "items"]
    check(all(set(keys) - {"user"} <= set(o) for o in orders), "every order has its keys")
    check(all(o["currency"] == "USD" and o["timezone"] == zone for o in orders),
          "one currency, the shop's zone")
    local = [datetime.datetime.fromisoformat(o["now"].replace("Z", "+00:00")).astimezone(tz)
             for o in orders]
    check(all(t.year == year for t in local), f"every order is in {year}, local time")
    check(local == sorted(local), "orders come in time order")
    serials = [o["order"]["serial"] for o in orders]
    check(serials == sorted(serials) and len(set(serials)) == len(serials),
          "order.serial increases")
    check(all(o["order"]["number"] == "ORD-%07d" % o["order"]["serial"] for o in orders),
          "order.number follows the serial")

    # Customers: sequence and orders_completed agree, per customer, in order.
    seqs = collections.defaultdict(list)
    first_day = {}
    signup = {}
    ok_pair = True
    for o, t in zip(orders, local):
        u = o.get("user", {})
        if "id" not in u:
            ok_pair = ok_pair and "sequence" not in o["order"]
            continue
        seqs[u["id"]].append(o["order"]["sequence"])
        ok_pair = ok_pair and o["order"]["sequence"] == u["orders_completed"] + 1
        first_day.setdefault(u["id"], t.date())
        signup.setdefault(u["id"], set()).add(u["signup_date"])
    check(ok_pair, "order.sequence is user.orders_completed + 1 (guests have neither)")
    check(all(s == list(range(s[0], s[0] + len(s))) for s in seqs.values()),
          "each customer's sequence numbers run on by one")
    check(all(len(v) == 1 for v in signup.values()), "a customer keeps their signup date")
    check(all(datetime.date.fromisoformat(min(signup[u])) <= first_day[u] for u in signup),
          "nobody orders before signing up")
    repeat = sum(1 for s in seqs.values() if len(s) > 1)
    check(repeat > len(seqs) / 5, f"{repeat} of {len(seqs)} customers order more than once")
    earlier = sum(1 for s in seqs.values() if s[0] > 1)
    check(earlier > 0 and earlier < len(seqs), f"{earlier} customers predate the year")
    guests = sum(1 for o in orders if "id" not in o.get("user", {}))
    check(0 < guests < len(orders) / 5, f"{guests} guest checkouts")
    tags = collections.Counter(t for o in orders for t in o.get("user", {}).get("tags", []))
    check({"vip", "newsletter", "gold", "student"} <= set(tags), f"user tags {dict(tags)}")
    check(sum(1 for o in orders if "birthday" in o.get("user", {})) > len(orders) / 2,
          "most customers have a birthday")

    # Days: weekends busier than workdays, Black Friday the busiest.
    per_day = collections.Counter(t.date() for t in local)
    weekday = collections.defaultdict(list)
    d = datetime.date(year, 1, 1)
    while d.year == year:
        weekday[d.weekday()].append(per_day.get(d, 0))
        d += datetime.timedelta(days=1)
    mean = {k: sum(v) / len(v) for k, v in weekday.items()}
    check(min(mean[5], mean[6]) > max(mean[0], mean[1], mean[2]),
          "Saturdays and Sundays are busier than Mondays to Wednesdays")
    nov = datetime.date(year, 11, 1)
    thanksgiving = nov + datetime.timedelta(days=(3 - nov.weekday()) % 7 + 21)
    bf = thanksgiving + datetime.timedelta(days=1)
    busiest = max(per_day, key=per_day.get)
    check(busiest == bf, f"the busiest day is Black Friday {bf} ({per_day[bf]} orders, "
          f"{len(orders) / 365:.0f} a day on average)")
    check(per_day[datetime.date(year, 12, 25)] < per_day[datetime.date(year, 12, 18)],
          "Christmas day is quieter than the week before")
    months = collections.Counter(t.month for t in local)
    check(months[12] > months[1] and months[11] > months[2], "a busy November and December")
    hours = collections.Counter(t.hour for t in local)
    check(hours[20] > 3 * hours[4], "evenings are busier than the small hours")

    # Carts, payments, shipping, codes.
    items = [i for o in orders for i in o["items"]]
    check(all(1 <= len(o["items"]) <= 8 for o in orders), "1 to 8 lines a cart")
    check(all(len({i["sku"] for i in o["items"]}) == len(o["items"]) for o in orders),
          "no SKU twice in a cart")
    prices = collections.defaultdict(set)
    for i in items:
        if not i["on_sale"]:
            prices[i["sku"]].add(i["unit_price"])
    check(all(len(p) == 1 for p in prices.values()), "a SKU has one regular price")
    tops = {i["categories"][0].split("/")[0] for i in items}
    check({"electronics", "home", "fashion", "toys", "grocery"} <= tops,
          f"categories from a tree: {sorted(tops)}")
    check(any("/" in i["categories"][0] and i["categories"][0].count("/") >= 2 for i in items),
          "categories three levels deep")
    check(0 < sum(i["on_sale"] for i in items) < len(items) / 2, "some items on sale")
    methods = collections.Counter(o["payment"]["method"] for o in orders)
    check({"card", "wallet", "paypal"} <= set(methods), f"payment methods {dict(methods)}")
    cards = [o["payment"] for o in orders if o["payment"]["method"] in ("card", "wallet")]
    check(all("network" in p and len(p["bin"]) == 6 for p in cards), "cards have a network and a BIN")
    check(all(("wallet" in p) == (p["method"] == "wallet") for p in cards), "wallets are named")
    ship = collections.Counter(o["shipping"]["method"] for o in orders)
    check({"standard", "express", "pickup"} <= set(ship), f"shipping methods {dict(ship)}")
    check(any(o["shipping"]["country"] != "US" for o in orders), "some orders ship abroad")
    codes = collections.Counter(c.upper() for o in orders for c in o.get("codes", []))
    check({"WELCOME10", "BLACKFRIDAY", "SAVE10"} <= set(codes), f"codes entered {dict(codes)}")
    check(all(o["order"].get("sequence") == 1 for o in orders
              if "WELCOME10" in [c.upper() for c in o.get("codes", [])]),
          "WELCOME10 only on first orders")
    bfw = [t.date() for o, t in zip(orders, local)
           if "BLACKFRIDAY" in [c.upper() for c in o.get("codes", [])]]
    check(all(bf <= d <= bf + datetime.timedelta(days=3) for d in bfw),
          "BLACKFRIDAY only over the Black Friday weekend")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
