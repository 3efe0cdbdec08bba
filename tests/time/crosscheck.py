#!/usr/bin/env python3
"""Cross-checks couponlib's time handling against independent implementations.

    crosscheck.py TZDRIVER [DATA_DIR]

TZDRIVER is the tests/time/tzdriver program (couponlib's answers); DATA_DIR
holds the shipped calendars (default: data/calendars beside this file's
project). Every expectation is computed here, at test time, by another
implementation: Python's zoneinfo (its own TZif and POSIX TZ rule code, over
the system's tz database), the `holidays` package and python-dateutil's
easter. Nothing is written down by hand.

  dst        weekday, time-of-day and day-of-month decisions of compiled
             coupons (the VM's evaluation) and the local view of each instant,
             at and around every transition from 2020 to 2035, in zones of both
             hemispheres with half-hour and 45-minute offsets
  footer     the same local view from 2038 to 2100, where Debian's "fat"
             files have no transitions left and the footer's POSIX rule rules
  rules      POSIX TZ rules alone (zero-transition TZif files built here, read
             from a temporary tz directory): southern hemisphere, J and zero-
             based day forms, negative and beyond-24h times, <+0330> names,
             negative and permanent DST, 2020 to 2100, against zoneinfo and
             against glibc's POSIX TZ code (run under TZ in this script)
  local      local date-times at every transition (gaps and overlaps) to
             instants, against zoneinfo's fold semantics with SPEC 9's choice
             (a gap means the instant of the jump, an overlap the earlier)
  holidays   every day of every entry of the shipped calendars, 2000 to 2035,
             against the holidays package (US, England, India) and dateutil
  easter     Western and Orthodox Easter, 1583 to 4099, against dateutil

Prints one line per check and ends with "N passed, M failed"; exits 1 when
a check failed.
"""
import calendar
import datetime as dt
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zoneinfo

import holidays
from dateutil import easter as du_easter

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1)

ZONES = [
    "America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney",
    "Australia/Adelaide", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Auckland",
    "America/St_Johns", "Australia/Lord_Howe", "Asia/Kathmandu", "America/Santiago",
    "Europe/Dublin", "Asia/Tehran",
]

# Seconds around each transition at which decisions are compared.
DELTAS = [-86400, -7200, -3601, -3600, -1801, -1800, -901, -61, -1, 0, 1, 59, 899, 1799,
          1800, 3599, 3600, 3601, 7199, 7200, 86400]

passed = 0
failed = 0


def check(name, mismatches, count):
    """Records one check: mismatches is a list of texts (empty when it passed)."""
    global passed, failed
    if mismatches:
        failed += 1
        print(f"FAIL {name}: {len(mismatches)} of {count} differ")
        for m in mismatches[:10]:
            print(f"     {m}")
    else:
        passed += 1
        print(f"ok   {name} ({count} compared)")


def run(driver, args, lines):
    """Runs the driver with one input value per line; returns its output lines."""
    text = "".join(f"{x}\n" for x in lines)
    p = subprocess.run([driver] + args, input=text, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"tzdriver {' '.join(args)} failed ({p.returncode}): {p.stderr}")
    out = p.stdout.splitlines()
    if len(out) != len(lines):
        raise SystemExit(f"tzdriver {' '.join(args)}: {len(out)} lines for {len(lines)}")
    return out


def ts(y, m=1, d=1):
    return int(dt.datetime(y, m, d, tzinfo=UTC).timestamp())


def wall(zone, t):
    """zoneinfo's wall clock at instant t, as seconds since 1970-01-01 local."""
    local = dt.datetime.fromtimestamp(t, zone).replace(tzinfo=None)
    return int((local - EPOCH).total_seconds())


def zone_offset(zone):
    """zoneinfo's offset at an instant, as a function."""
    return lambda t: wall(zone, t) - t


def transitions(offset, first, last, step=6 * 3600):
    """Every instant in [first year, last year] at which offset(t) changes:
    (instant, offset before, offset after)."""
    if not callable(offset):
        offset = zone_offset(offset)
    out = []
    t, end = ts(first) - 2 * 86400, ts(last + 1)
    off = offset(t)
    while t < end:
        n = t + step
        noff = offset(n)
        if noff != off:
            lo, hi = t, n  # offset(lo) == off, offset(hi) == noff
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == off:
                    lo = mid
                else:
                    hi = mid
            if ts(first) <= hi < end:
                out.append((hi, off, noff))
            off = noff
        t = n
    return out


def view_at(off, t):
    """(offset, date, weekday, seconds of the day) of instant t at offset off."""
    days, secs = divmod(t + off, 86400)
    d = dt.date(1970, 1, 1) + dt.timedelta(days=days)
    return (off, d.isoformat(), d.weekday(), secs)


def view(zone, t):
    """(offset, date, weekday, seconds of the day) by zoneinfo."""
    return view_at(wall(zone, t) - t, t)


def compare_views(driver, zone, instants, tzdir=None, key=None, offset=None, source="zoneinfo"):
    """Compares couponlib's local view of each instant with zoneinfo's (or with
    that of offset(t), another implementation's)."""
    args = (["--tzdir", tzdir] if tzdir else []) + ["offset", key or zone.key]
    got = run(driver, args, instants)
    bad = []
    for t, line in zip(instants, got):
        off, date, wd, secs = line.split()
        mine = (int(off), date, int(wd), int(secs))
        want = view_at(offset(t), t) if offset else view(zone, t)
        if mine != want:
            bad.append(f"{key or zone.key} at {t}: couponlib {mine}, {source} {want}")
    return bad


# ------------------------------------------------------------------------
# Decisions of compiled coupons around transitions
# ------------------------------------------------------------------------

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WRAP = (22 * 3600 + 1800, 3600 + 2700)   # 22:30 until 01:45


def hhmm(s):
    return f"{s // 3600:02d}:{s // 60 % 60:02d}"


def decision_file(path, zone):
    lines = [f"timezone: {zone}", "coupons:"]
    for k, name in enumerate(DAY_NAMES):
        lines.append(f"  - {{ code: WD{k}, when: {{ weekday: [{name}] }}, discount: {{ percent: 1 }} }}")
    lines.append("  - { code: WEEKEND, when: { weekday: weekend }, discount: { percent: 1 } }")
    for h in range(48):
        f, u = h * 1800, (h + 1) * 1800 % 86400
        lines.append(f"  - {{ code: T{h:02d}, when: {{ time: {{ from: \"{hhmm(f)}\", until: "
                     f"\"{hhmm(u)}\" }} }}, discount: {{ percent: 1 }} }}")
    lines.append(f"  - {{ code: WRAP, when: {{ time: {{ from: \"{hhmm(WRAP[0])}\", until: "
                 f"\"{hhmm(WRAP[1])}\" }} }}, discount: {{ percent: 1 }} }}")
    for d in range(1, 32):
        lines.append(f"  - {{ code: D{d:02d}, when: {{ date: {{ day: [{d}] }} }}, discount: {{ percent: 1 }} }}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def expected_codes(zone, t):
    _, date, wd, secs = view(zone, t)
    codes = {f"WD{wd}", f"T{secs // 1800:02d}", f"D{int(date[8:]):02d}"}
    if wd >= 5:
        codes.add("WEEKEND")
    if secs >= WRAP[0] or secs < WRAP[1]:
        codes.add("WRAP")
    return codes


def check_dst(driver, tmp):
    for key in ZONES:
        zone = zoneinfo.ZoneInfo(key)
        trans = transitions(zone, 2020, 2035)
        instants = sorted({t + d for t, _, _ in trans for d in DELTAS} |
                          {ts(y, m, 15) + 43200 for y in range(2020, 2036) for m in range(1, 13)})
        bad = compare_views(driver, zone, instants)
        path = os.path.join(tmp, "decisions.yaml")
        decision_file(path, key)
        got = run(driver, ["eval", path], instants)
        for t, line in zip(instants, got):
            mine = set(line.split()) - {"-"}
            want = expected_codes(zone, t)
            if mine != want:
                bad.append(f"{key} at {t}: couponlib {sorted(mine)}, zoneinfo {sorted(want)}")
        check(f"dst {key}: {len(trans)} transitions 2020-2035, decisions and local views",
              bad, 2 * len(instants))


def check_footer(driver):
    for key in ZONES:
        zone = zoneinfo.ZoneInfo(key)
        trans = transitions(zone, 2038, 2100, step=12 * 3600)
        instants = sorted({t + d for t, _, _ in trans for d in DELTAS} |
                          {ts(y, m, 1) for y in range(2038, 2101) for m in (1, 4, 7, 10)})
        check(f"footer {key}: {len(trans)} transitions 2038-2100", compare_views(driver, zone, instants),
              len(instants))


# ------------------------------------------------------------------------
# POSIX TZ rules alone
# ------------------------------------------------------------------------

# Each rule is compared with zoneinfo's POSIX TZ code and with glibc's (run
# under TZ in this script, never in the library), except where one of them
# is known to be wrong:
#   - CPython's zoneinfo counts the zero-based day form (n, 0..365) from 1,
#     a day late (POSIX: day 0 is 1 January; glibc agrees with couponlib);
#   - glibc picks the rule's year by UTC, so around each new year it loses
#     permanent DST (RFC 8536 3.3.1: 0/0,J365/25 is daylight time all year;
#     zoneinfo agrees with couponlib).
# A rule with no dates (the US rules, as the reference tzcode assumes) and
# one whose zero-based days reach the next year are not cross-checked: no
# reference reads them right; tests/unit/test_tz.c checks them by hand.
ZONEINFO_ONLY = "zoneinfo only"
GLIBC_ONLY = "glibc only"
RULES = [
    ("EST5EDT,M3.2.0,M11.1.0", ""),               # New York
    ("CET-1CEST,M3.5.0,M10.5.0/3", ""),           # Berlin
    ("GMT0BST,M3.5.0/1,M10.5.0", ""),             # London
    ("IST-1GMT0,M10.5.0,M3.5.0/1", ""),           # Dublin: negative DST
    ("AEST-10AEDT,M10.1.0,M4.1.0/3", ""),         # Sydney
    ("ACST-9:30ACDT,M10.1.0,M4.1.0/3", ""),       # Adelaide
    ("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", ""), # Lord Howe: half an hour of DST
    ("NZST-12NZDT,M9.5.0,M4.1.0/3", ""),          # Auckland
    ("NST3:30NDT,M3.2.0,M11.1.0", ""),            # St John's
    ("<-04>4<-03>,M9.1.6/24,M4.1.6/24", ""),      # Santiago: changes at 24:00
    ("<-02>2<-01>,M3.5.0/-1,M10.5.0/0", ""),      # Nuuk: negative times
    ("IST-2IDT,M3.4.4/26,M10.5.0", ""),           # Jerusalem: 26:00
    ("<+0330>-3:30", ""),                         # Tehran now: no DST
    ("<+0545>-5:45", ""),                         # Kathmandu
    ("<-0930>9:30", ""),
    ("XST3XDT,J60/2,J300/2", ""),                 # Julian days, 29 February never counted
    ("XST3XDT,59/2,299/2", GLIBC_ONLY),           # zero-based days, 29 February counted
    ("XST3XDT,1/2,300/2", GLIBC_ONLY),
    ("EST5EDT,0/0,J365/25", ZONEINFO_ONLY),       # permanent DST (RFC 8536 3.3.1)
    ("<-03>3<-02>,0/0,J365/25", ZONEINFO_ONLY),
    ("<+01>-1<+00>0,0/0,J365/25", ZONEINFO_ONLY), # permanent negative DST
    ("<+13>-13<+14>,M9.5.0/3,M4.1.0/4", ""),      # south of the equator, east of the line
]


def glibc_offset(rule):
    """glibc's offset under TZ=rule, as a function (of this test process)."""
    os.environ["TZ"] = rule
    time.tzset()
    return lambda t: time.localtime(t).tm_gmtoff


def tzif(footer):
    """A TZif version 3 file of no transitions whose footer rules all time."""
    def block():
        head = b"TZif3" + b"\0" * 15 + struct.pack(">6l", 0, 0, 0, 0, 1, 4)
        return head + struct.pack(">lBB", 0, 0, 0) + b"ABC\0"
    return block() + block() + b"\n" + footer.encode() + b"\n"


def check_rules(driver, tmp):
    tzdir = os.path.join(tmp, "tzdir")
    os.makedirs(os.path.join(tzdir, "Rule"), exist_ok=True)
    saved = os.environ.get("TZ")
    for i, (rule, only) in enumerate(RULES):
        key = f"Rule/{i}"
        path = os.path.join(tzdir, key)
        with open(path, "wb") as f:
            f.write(tzif(rule))
        refs = [] if only == ZONEINFO_ONLY else [("glibc", glibc_offset(rule))]
        if only != GLIBC_ONLY:
            with open(path, "rb") as f:
                refs.append(("zoneinfo", zone_offset(zoneinfo.ZoneInfo.from_file(f, key=key))))
        for source, offset in refs:
            trans = transitions(offset, 2020, 2100, step=12 * 3600)
            instants = sorted({t + d for t, _, _ in trans for d in DELTAS} |
                              {ts(y, m, 1) - 1 for y in range(2020, 2101) for m in range(1, 13)})
            check(f"rule {rule} vs {source}: {len(trans)} transitions 2020-2100",
                  compare_views(driver, None, instants, tzdir, key, offset, source), len(instants))
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


# ------------------------------------------------------------------------
# Local date-times to instants
# ------------------------------------------------------------------------

def spec_instant(zone, local, trans):
    """SPEC 9: the instant of wall-clock time `local`; in a gap the jump, in an
    overlap the earlier of the two. From zoneinfo's fold semantics."""
    naive = EPOCH + dt.timedelta(seconds=local)
    found = []
    for fold in (0, 1):
        t = int(naive.replace(tzinfo=zone, fold=fold).timestamp())
        if wall(zone, t) == local:
            found.append(t)
    if found:
        return min(found)
    for t, before, after in trans:
        if t + before <= local < t + after:
            return t
    raise AssertionError(f"{zone.key}: {local} is in no gap")


def check_local(driver):
    for key in ZONES:
        zone = zoneinfo.ZoneInfo(key)
        trans = transitions(zone, 2020, 2035)
        locals_ = sorted({t + off + d for t, b, a in trans for off in (b, a)
                          for d in (-3601, -3600, -1801, -1800, -1, 0, 1, 1799, 1800, 3599, 3600, 3601)})
        got = run(driver, ["local", key], locals_)
        bad = []
        for local, line in zip(locals_, got):
            want = spec_instant(zone, local, trans)
            if int(line) != want:
                bad.append(f"{key} wall {EPOCH + dt.timedelta(seconds=local)}: couponlib {line}, "
                           f"expected {want}")
        check(f"local {key}: gaps and overlaps of {len(trans)} transitions", bad, len(locals_))


# ------------------------------------------------------------------------
# Holidays
# ------------------------------------------------------------------------

FIRST, LAST = 2000, 2035


def calendar_names(data_dir, cal):
    """The names of the days of a shipped calendar, from its YAML (whose entries
    say `name: x` once each; comments left out)."""
    with open(os.path.join(data_dir, cal + ".yaml")) as f:
        text = "".join(line.split("#")[0] + "\n" for line in f)
    return re.findall(r"name:\s*([a-z0-9-]+)", text)


def couponlib_days(driver, tmp, cal, names, first=FIRST):
    """{name: set of dates} of every entry of shipped calendar cal, and the set of
    dates `holiday: cal` (the whole calendar) matches, by evaluating coupons."""
    path = os.path.join(tmp, f"{cal}.yaml")
    with open(path, "w") as f:
        f.write(f"calendars: [{cal}]\ncoupons:\n")
        f.write(f"  - {{ code: ALL, when: {{ holiday: [{cal}] }}, discount: {{ percent: 1 }} }}\n")
        for i, name in enumerate(names):
            f.write(f"  - {{ code: E{i}, when: {{ holiday: [{cal}/{name}] }}, discount: {{ percent: 1 }} }}\n")
    days = [dt.date(first, 1, 1) + dt.timedelta(days=k)
            for k in range((dt.date(LAST, 12, 31) - dt.date(first, 1, 1)).days + 1)]
    # Noon UTC: the file has no zone, so its days are UTC days.
    got = run(driver, ["eval", path], [ts(d.year, d.month, d.day) + 43200 for d in days])
    per = {n: set() for n in names}
    whole = set()
    for d, line in zip(days, got):
        for code in line.split():
            if code == "ALL":
                whole.add(d)
            elif code != "-":
                per[names[int(code[1:])]].add(d)
    return per, whole


def compare_days(cal, per, want, whole, source, first=FIRST):
    for name, dates in want.items():
        mine = per[name]
        bad = [f"{d}: couponlib {'yes' if d in mine else 'no'}, {source} "
               f"{'yes' if d in dates else 'no'}" for d in sorted(mine ^ dates)]
        check(f"holidays {cal}/{name} {first}-{LAST} vs {source}", bad, len(dates | mine))
    union = set().union(*per.values())
    bad = [f"{d}" for d in sorted(union ^ whole)]
    check(f"holidays {cal} as a whole = the union of its days", bad, len(union))


def named(hol, label, weekdays_only=False):
    """Dates of the holiday whose name (the package's; several on one day are
    joined by '; ') starts with label, such as "Christmas Day" or "Christmas
    Day (observed)"."""
    return {d for d, n in hol.items() if any(part.startswith(label) for part in n.split("; "))
            and (not weekdays_only or d.weekday() < 5)}


def years():
    return range(FIRST, LAST + 1)


def easter_days(offset, method=du_easter.EASTER_WESTERN):
    return {du_easter.easter(y, method) + dt.timedelta(days=offset) for y in years()}


def fixed(m, d, since=FIRST):
    return {dt.date(y, m, d) for y in years() if y >= since}


def nth(month, weekday, n, plus=0, since=FIRST):
    out = set()
    for y in years():
        if y < since:
            continue
        days = [d for d in calendar.Calendar().itermonthdates(y, month)
                if d.month == month and d.weekday() == weekday]
        out.add(days[n - 1 if n > 0 else n] + dt.timedelta(days=plus))
    return out


def check_holidays(driver, tmp, data_dir):
    # United States: the days themselves (observed=False), from the holidays package.
    us = holidays.US(years=years(), observed=False)
    thanks = named(us, "Thanksgiving")
    want = {
        "new-years-day": named(us, "New Year's Day"),
        "martin-luther-king-day": named(us, "Martin Luther King"),
        "presidents-day": named(us, "Washington's Birthday"),
        "memorial-day": named(us, "Memorial Day"),
        "juneteenth": named(us, "Juneteenth"),
        "independence-day": named(us, "Independence Day"),
        "labor-day": named(us, "Labor Day"),
        "columbus-day": named(us, "Columbus Day"),
        "veterans-day": named(us, "Veterans Day"),
        "thanksgiving": thanks,
        "black-friday": {d + dt.timedelta(days=1) for d in thanks},
        "small-business-saturday": {d + dt.timedelta(days=2) for d in thanks if d.year >= 2010},
        "cyber-monday": {d + dt.timedelta(days=4) for d in thanks if d.year >= 2005},
        "cyber-week": {d + dt.timedelta(days=k) for d in thanks if d.year >= 2005 for k in range(1, 8)},
        "christmas-day": named(us, "Christmas Day"),
        "valentines-day": fixed(2, 14),
        "easter-sunday": easter_days(0),
        "mothers-day": nth(5, 6, 2),
        "fathers-day": nth(6, 6, 3),
        "halloween": fixed(10, 31),
        "christmas-eve": fixed(12, 24),
        "new-years-eve": fixed(12, 31),
    }
    names = calendar_names(data_dir, "us-retail")
    per, whole = couponlib_days(driver, tmp, "us-retail", names)
    check("holidays us-retail: every day is cross-checked", sorted(set(names) ^ set(want)), len(names))
    compare_days("us-retail", per, want, whole, "holidays.US/dateutil")

    # England and Wales: bank holidays are weekdays; the package lists substitute
    # days as "(observed)" beside the weekend days they replace.
    # The package starts New Year's Day in 1975; it was first a bank holiday
    # on 1 January 1974 (Banking and Financial Dealings Act 1971).
    uk_first = 1975
    uk = holidays.UK(subdiv="ENG", years=range(uk_first, LAST + 1))
    labels = {
        "new-years-day": "New Year's Day", "good-friday": "Good Friday",
        "easter-monday": "Easter Monday", "early-may-bank-holiday": "May Day",
        "spring-bank-holiday": "Spring Bank Holiday",
        "summer-bank-holiday": "Late Summer Bank Holiday", "christmas-day": "Christmas Day",
        "boxing-day": "Boxing Day", "silver-jubilee": "Silver Jubilee",
        "royal-wedding-1981": "Wedding of Charles", "millennium": "Millennium",
        "golden-jubilee": "Golden Jubilee", "royal-wedding-2011": "Wedding of William",
        "diamond-jubilee": "Diamond Jubilee", "platinum-jubilee": "Platinum Jubilee",
        "state-funeral-2022": "State Funeral", "coronation-2023": "Coronation",
    }
    want = {name: named(uk, label, weekdays_only=True) for name, label in labels.items()}
    names = calendar_names(data_dir, "uk-bank-holidays")
    per, whole = couponlib_days(driver, tmp, "uk-bank-holidays", names, uk_first)
    check("holidays uk-bank-holidays: every day is cross-checked",
          sorted(set(per) ^ set(want)), len(per))
    compare_days("uk-bank-holidays", per, want, whole, "holidays.UK(ENG)", uk_first)
    bank = {d for d in uk if d.weekday() < 5}
    check(f"holidays uk-bank-holidays {uk_first}-{LAST}: exactly the weekday bank holidays of holidays.UK(ENG)",
          [f"{d}: couponlib {'yes' if d in whole else 'no'}" for d in sorted(bank ^ whole)], len(bank))

    # India's fixed-date national days (the package knows India from 2001).
    india = holidays.IN(years=range(2001, LAST + 1))
    want = {"republic-day": named(india, "Republic Day"),
            "independence-day": named(india, "Independence Day"),
            "gandhi-jayanti": named(india, "Mahatma Gandhi")}
    names = calendar_names(data_dir, "india-national")
    per, whole = couponlib_days(driver, tmp, "india-national", names, 2001)
    check("holidays india-national: every day is cross-checked", sorted(set(names) ^ set(want)), len(names))
    compare_days("india-national", per, want, whole, "holidays.IN", 2001)

    # Shopping festivals: fixed days.
    want = {"mid-year-618": fixed(6, 18), "singles-day": fixed(11, 11), "double-twelve": fixed(12, 12)}
    names = calendar_names(data_dir, "cn-shopping")
    per, whole = couponlib_days(driver, tmp, "cn-shopping", names)
    check("holidays cn-shopping: every day is cross-checked", sorted(set(names) ^ set(want)), len(names))
    compare_days("cn-shopping", per, want, whole, "fixed dates")

    # Christian feasts: dateutil's Western and Orthodox Easter.
    orth = du_easter.EASTER_ORTHODOX
    want = {
        "epiphany": fixed(1, 6), "shrove-tuesday": easter_days(-47), "ash-wednesday": easter_days(-46),
        "palm-sunday": easter_days(-7), "maundy-thursday": easter_days(-3),
        "good-friday": easter_days(-2), "holy-saturday": easter_days(-1),
        "easter-sunday": easter_days(0), "easter-monday": easter_days(1),
        "ascension-day": easter_days(39), "pentecost": easter_days(49),
        "whit-monday": easter_days(50), "corpus-christi": easter_days(60),
        "orthodox-good-friday": easter_days(-2, orth), "orthodox-easter": easter_days(0, orth),
        "orthodox-easter-monday": easter_days(1, orth), "all-saints-day": fixed(11, 1),
        "christmas-eve": fixed(12, 24), "christmas-day": fixed(12, 25),
    }
    names = calendar_names(data_dir, "christian")
    per, whole = couponlib_days(driver, tmp, "christian", names)
    check("holidays christian: every day is cross-checked", sorted(set(names) ^ set(want)), len(names))
    compare_days("christian", per, want, whole, "dateutil.easter")


def check_easter(driver):
    p = subprocess.run([driver, "easter", "1583", "4099"], capture_output=True, text=True, check=True)
    bad = []
    lines = p.stdout.splitlines()
    for line in lines:
        y, w, o = line.split()
        y = int(y)
        ww = du_easter.easter(y, du_easter.EASTER_WESTERN).isoformat()
        oo = du_easter.easter(y, du_easter.EASTER_ORTHODOX).isoformat()
        if (w, o) != (ww, oo):
            bad.append(f"{y}: couponlib {w} {o}, dateutil {ww} {oo}")
    check("easter 1583-4099, Western and Orthodox, vs dateutil", bad, 2 * len(lines))


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    driver = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    data_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.join(here, "..", "..", "data", "calendars")
    print(f"zoneinfo over {zoneinfo.TZPATH}, holidays {holidays.__version__}")
    with tempfile.TemporaryDirectory(prefix="couponlib-time-") as tmp:
        check_dst(driver, tmp)
        check_footer(driver)
        check_rules(driver, tmp)
        check_local(driver)
        check_holidays(driver, tmp, data_dir)
        check_easter(driver)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
