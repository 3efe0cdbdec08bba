/*
 * test_tz.c - unit tests of tz.c: the civil calendar, Easter, nth weekdays,
 * the date and time text forms, TZif parsing (real files from the system's
 * tz database, and hand-built, truncated, corrupted and hostile byte
 * strings), POSIX TZ rules of the footer, DST gaps and overlaps (SPEC 9),
 * zone loading from another tz directory and the compile-time zone errors.
 *
 * The civil calendar is checked against a naive day-by-day count written
 * here from the Gregorian rules, not from tz.c. Easter is cross-checked
 * against python-dateutil over 1583..4099 by tests/time/crosscheck.py; here
 * it is checked against published dates and its defining properties.
 */
#include "program.h"
#include "testutil.h"
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REQUIRE(cond, ...)              \
    do {                                \
        if (!(cond))                    \
            ck_abort_msg(__VA_ARGS__);  \
    } while (0)

/* Days since the epoch of a date, by the function under test. */
#define DAYS(y, m, d) clT_days_from_civil((y), (m), (d))

/* ------------------------------------------------------------------------
 * Civil calendar
 * ------------------------------------------------------------------------ */

static bool naive_leap(int y)
{
    if (y % 400 == 0)
        return true;
    if (y % 100 == 0)
        return false;
    return y % 4 == 0;
}

static int naive_dim(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && naive_leap(y) ? 29 : d[m - 1];
}

/* Every day from 0001-01-01 (day -719162, a Monday) to 9999-12-31, counted
 * one at a time. */
START_TEST(civil_day_by_day)
{
    int y = 1, m = 1, d = 1, wd = 0;
    for (int64_t days = -719162; days <= 2932896; days++) {
        REQUIRE(clT_days_from_civil(y, m, d) == days, "days_from_civil(%d-%d-%d) = %" PRId64
                " not %" PRId64, y, m, d, clT_days_from_civil(y, m, d), days);
        clT_date c = clT_civil_from_days(days);
        REQUIRE(c.year == y && c.month == m && c.day == d, "civil_from_days(%" PRId64
                ") = %d-%d-%d not %d-%d-%d", days, c.year, c.month, c.day, y, m, d);
        REQUIRE(clT_weekday(days) == wd, "weekday of %d-%d-%d", y, m, d);
        if (++d > naive_dim(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
        wd = (wd + 1) % 7;
    }
    ck_assert_int_eq(y, 10000);
}
END_TEST

/* Round trips far outside the day-by-day range, proleptic both ways. */
START_TEST(civil_round_trip)
{
    test_rng r = {0x9e3779b97f4a7c15ull};
    for (int i = 0; i < 200000; i++) {
        int64_t days = test_range(&r, -400000000, 400000000);
        clT_date c = clT_civil_from_days(days);
        REQUIRE(c.month >= 1 && c.month <= 12 && c.day >= 1 &&
                c.day <= clT_days_in_month(c.year, c.month), "bad date for %" PRId64, days);
        REQUIRE(clT_days_from_civil(c.year, c.month, c.day) == days, "round trip %" PRId64,
                days);
        REQUIRE(clT_weekday(days + 7) == clT_weekday(days) &&
                clT_weekday(days + 1) == (clT_weekday(days) + 1) % 7, "weekday %" PRId64, days);
    }
    /* 400 years are exactly 146097 days, whatever the era. */
    for (int y = -2000; y <= 2000; y += 7)
        ck_assert_int_eq(DAYS(y + 400, 3, 1) - DAYS(y, 3, 1), 146097);
}
END_TEST

START_TEST(civil_leap_years)
{
    static const struct { int y; bool leap; } t[] = {
        {1600, true}, {1700, false}, {1800, false}, {1900, false}, {2000, true},
        {2004, true}, {2023, false}, {2024, true}, {2100, false}, {2400, true},
        {0, true}, {-4, true}, {-100, false}, {-400, true}, {1, false},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        ck_assert_msg(clT_is_leap(t[i].y) == t[i].leap, "year %d", t[i].y);
    for (int y = -1000; y <= 3000; y++)
        REQUIRE(clT_is_leap(y) == naive_leap(y < 0 ? y + 4000 : y), "year %d", y);
    ck_assert_int_eq(clT_days_in_month(2024, 2), 29);
    ck_assert_int_eq(clT_days_in_month(2026, 2), 28);
    ck_assert_int_eq(clT_days_in_month(1900, 2), 28);
    ck_assert_int_eq(clT_days_in_month(2000, 2), 29);
    ck_assert_int_eq(clT_days_in_month(2026, 4), 30);
    ck_assert_int_eq(clT_days_in_month(2026, 12), 31);
    ck_assert_int_eq(clT_days_in_month(2026, 0), 0);
    ck_assert_int_eq(clT_days_in_month(2026, 13), 0);
    ck_assert_int_eq(clT_days_in_month(2026, -1), 0);
}
END_TEST

START_TEST(civil_weekdays)
{
    ck_assert_int_eq(DAYS(1970, 1, 1), 0);
    ck_assert_int_eq(clT_weekday(0), 3);                     /* Thursday */
    ck_assert_int_eq(clT_weekday(-1), 2);                    /* 1969-12-31, Wednesday */
    ck_assert_int_eq(clT_weekday(DAYS(2000, 1, 1)), 5);      /* Saturday */
    ck_assert_int_eq(clT_weekday(DAYS(2026, 11, 27)), 4);    /* Black Friday 2026 */
    ck_assert_int_eq(clT_weekday(DAYS(2026, 11, 29)), 6);    /* Sunday */
    ck_assert_int_eq(clT_weekday(DAYS(1582, 10, 15)), 4);    /* first Gregorian day, a Friday */
    ck_assert_int_eq(clT_weekday(DAYS(2038, 1, 19)), 1);     /* Tuesday */
    ck_assert_int_eq(DAYS(2038, 1, 19), 24855);
    ck_assert_int_eq(DAYS(1900, 1, 1), -25567);
}
END_TEST

/* ------------------------------------------------------------------------
 * Easter and nth weekdays
 * ------------------------------------------------------------------------ */

START_TEST(easter_known)
{
    static const int western[][3] = {
        {1818, 3, 22}, {1886, 4, 25}, {1943, 4, 25}, {1954, 4, 18}, {1961, 4, 2},
        {2000, 4, 23}, {2008, 3, 23}, {2011, 4, 24}, {2019, 4, 21}, {2024, 3, 31},
        {2025, 4, 20}, {2026, 4, 5},  {2027, 3, 28}, {2038, 4, 25}, {2285, 3, 22},
    };
    static const int orthodox[][3] = {
        {2000, 4, 30}, {2010, 4, 4},  {2016, 5, 1},  {2021, 5, 2},  {2023, 4, 16},
        {2024, 5, 5},  {2025, 4, 20}, {2026, 4, 12}, {2027, 5, 2},  {2030, 4, 28},
    };
    for (size_t i = 0; i < sizeof western / sizeof *western; i++)
        ck_assert_msg(clT_easter(western[i][0]) ==
                          DAYS(western[i][0], western[i][1], western[i][2]),
                      "Easter %d", western[i][0]);
    for (size_t i = 0; i < sizeof orthodox / sizeof *orthodox; i++)
        ck_assert_msg(clT_orthodox_easter(orthodox[i][0]) ==
                          DAYS(orthodox[i][0], orthodox[i][1], orthodox[i][2]),
                      "Orthodox Easter %d", orthodox[i][0]);
}
END_TEST

/* Easter is a Sunday from 22 March to 25 April; Orthodox Easter (Julian
 * 22 March - 25 April) is a Sunday from 4 April to 8 May in 1900..2099, and
 * never before Western Easter. */
START_TEST(easter_properties)
{
    for (int y = 1583; y <= 9999; y++) {
        int64_t e = clT_easter(y);
        REQUIRE(clT_weekday(e) == 6, "Easter %d not a Sunday", y);
        REQUIRE(e >= DAYS(y, 3, 22) && e <= DAYS(y, 4, 25), "Easter %d out of range", y);
        int64_t o = clT_orthodox_easter(y);
        REQUIRE(clT_weekday(o) == 6, "Orthodox Easter %d not a Sunday", y);
        REQUIRE(o >= e, "Orthodox Easter %d before Western", y);
        if (y >= 1900 && y <= 2099)
            REQUIRE(o >= DAYS(y, 4, 4) && o <= DAYS(y, 5, 8), "Orthodox Easter %d", y);
    }
}
END_TEST

START_TEST(nth_weekday_known)
{
    ck_assert_int_eq(clT_nth_weekday(2026, 11, 3, 4), DAYS(2026, 11, 26)); /* Thanksgiving */
    ck_assert_int_eq(clT_nth_weekday(2026, 5, 0, -1), DAYS(2026, 5, 25));  /* Memorial Day */
    ck_assert_int_eq(clT_nth_weekday(2026, 9, 0, 1), DAYS(2026, 9, 7));    /* Labor Day */
    ck_assert_int_eq(clT_nth_weekday(2027, 5, 0, -1), DAYS(2027, 5, 31));
    ck_assert_int_eq(clT_nth_weekday(2026, 3, 6, 5), DAYS(2026, 3, 29));   /* 5th Sunday */
    ck_assert_int_eq(clT_nth_weekday(2026, 3, 6, -5), DAYS(2026, 3, 1));
    ck_assert_int_eq(clT_nth_weekday(2024, 2, 3, 5), DAYS(2024, 2, 29));   /* 5th Thu, leap */
    /* February 2026 has four Mondays. */
    ck_assert(clT_nth_weekday(2026, 2, 0, 5) == INT64_MIN);
    ck_assert(clT_nth_weekday(2026, 2, 0, -5) == INT64_MIN);
    ck_assert_int_eq(clT_nth_weekday(2026, 2, 0, 4), DAYS(2026, 2, 23));
    /* Nonsense arguments. */
    ck_assert(clT_nth_weekday(2026, 2, 0, 0) == INT64_MIN);
    ck_assert(clT_nth_weekday(2026, 2, 0, 6) == INT64_MIN);
    ck_assert(clT_nth_weekday(2026, 2, 0, -6) == INT64_MIN);
    ck_assert(clT_nth_weekday(2026, 2, 7, 1) == INT64_MIN);
    ck_assert(clT_nth_weekday(2026, 2, -1, 1) == INT64_MIN);
    ck_assert(clT_nth_weekday(2026, 0, 0, 1) == INT64_MIN);
    ck_assert(clT_nth_weekday(2026, 13, 0, 1) == INT64_MIN);
}
END_TEST

/* Against listing the month's days of that weekday. */
START_TEST(nth_weekday_brute)
{
    for (int y = 1996; y <= 2036; y++)
        for (int m = 1; m <= 12; m++)
            for (int wd = 0; wd < 7; wd++) {
                int64_t list[6];
                int k = 0;
                for (int d = 1; d <= naive_dim(y, m); d++)
                    if (clT_weekday(DAYS(y, m, d)) == wd)
                        list[k++] = DAYS(y, m, d);
                REQUIRE(k == 4 || k == 5, "count");
                for (int n = 1; n <= 5; n++) {
                    int64_t want = n <= k ? list[n - 1] : INT64_MIN;
                    REQUIRE(clT_nth_weekday(y, m, wd, n) == want, "%d-%d wd %d n %d", y, m,
                            wd, n);
                    int64_t back = n <= k ? list[k - n] : INT64_MIN;
                    REQUIRE(clT_nth_weekday(y, m, wd, -n) == back, "%d-%d wd %d n -%d", y, m,
                            wd, n);
                }
            }
}
END_TEST

/* ------------------------------------------------------------------------
 * Text forms
 * ------------------------------------------------------------------------ */

static bool date_ok(const char *s, int y, int m, int d)
{
    clT_date out;
    return clT_parse_date(s, strlen(s), &out) && out.year == y && out.month == m && out.day == d;
}

START_TEST(text_dates)
{
    ck_assert(date_ok("2026-12-25", 2026, 12, 25));
    ck_assert(date_ok("2024-02-29", 2024, 2, 29));
    ck_assert(date_ok("2000-02-29", 2000, 2, 29));
    ck_assert(date_ok("0001-01-01", 1, 1, 1));
    ck_assert(date_ok("9999-12-31", 9999, 12, 31));
    static const char *const bad[] = {
        "2026-02-29", "1900-02-29", "2026-02-30", "2026-13-01", "2026-00-10", "2026-01-00",
        "2026-01-32", "2026-04-31", "0000-01-01", "2026-1-01", "2026/01/01", "26-01-01",
        "2026-01-011", "2026-01-0", "", "2026-0a-01", "+2026-01-01", "2026-01-01 ", " 2026-01-01",
        "2026-01-01T00:00", "-001-01-01",
    };
    clT_date d;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!clT_parse_date(bad[i], strlen(bad[i]), &d), "accepted \"%s\"", bad[i]);
    /* The length bounds the text: the rest of a buffer is not read. */
    ck_assert(clT_parse_date("2026-12-25XYZ", 10, &d) && d.day == 25);
}
END_TEST

START_TEST(text_month_days)
{
    int m, d;
    ck_assert(clT_parse_month_day("12-25", 5, &m, &d) && m == 12 && d == 25);
    ck_assert(clT_parse_month_day("02-29", 5, &m, &d) && m == 2 && d == 29);
    ck_assert(clT_parse_month_day("01-01", 5, &m, &d) && m == 1 && d == 1);
    ck_assert(clT_parse_month_day("04-30", 5, &m, &d) && m == 4 && d == 30);
    static const char *const bad[] = {
        "02-30", "13-01", "00-10", "01-00", "01-32", "04-31", "06-31", "11-31", "1-01", "12-5",
        "12/25", "1225", "12-25-", "", "ab-cd", "-1-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!clT_parse_month_day(bad[i], strlen(bad[i]), &m, &d), "accepted \"%s\"",
                      bad[i]);
}
END_TEST

START_TEST(text_times)
{
    int32_t s;
    ck_assert(clT_parse_time("17:00", 5, false, &s) && s == 61200);
    ck_assert(clT_parse_time("00:00", 5, false, &s) && s == 0);
    ck_assert(clT_parse_time("23:59", 5, false, &s) && s == 86340);
    ck_assert(clT_parse_time("23:59:59", 8, false, &s) && s == 86399);
    ck_assert(clT_parse_time("08:05:09", 8, false, &s) && s == 29109);
    ck_assert(clT_parse_time("24:00", 5, true, &s) && s == 86400);
    ck_assert(clT_parse_time("24:00:00", 8, true, &s) && s == 86400);
    ck_assert(!clT_parse_time("24:00", 5, false, &s));
    static const char *const bad[] = {
        "24:01", "24:00:01", "25:00", "12:60", "12:00:60", "7:00", "07:0", "0700", "07-00",
        "07:00:0", "07:00:000", "", "ab:cd", "-1:00", "07:00 ", "07:00Z", "99:99",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!clT_parse_time(bad[i], strlen(bad[i]), true, &s), "accepted \"%s\"",
                      bad[i]);
}
END_TEST

static bool dt(const char *s, int64_t *local, bool *has, int32_t *off)
{
    return clT_parse_datetime(s, strlen(s), local, has, off);
}

START_TEST(text_datetimes)
{
    int64_t l;
    bool has;
    int32_t off;
    int64_t base = DAYS(2026, 6, 30) * 86400;
    ck_assert(dt("2026-06-30T18:00:00", &l, &has, &off) && l == base + 64800 && !has);
    ck_assert(dt("2026-06-30T18:00", &l, &has, &off) && l == base + 64800 && !has);
    ck_assert(dt("2026-06-30 18:00:00", &l, &has, &off) && l == base + 64800);
    ck_assert(dt("2026-06-30t18:00:00z", &l, &has, &off) && has && off == 0);
    ck_assert(dt("2026-06-30T18:00:00Z", &l, &has, &off) && has && off == 0);
    ck_assert(dt("2026-06-30T18:00:00+02:00", &l, &has, &off) && has && off == 7200);
    ck_assert(dt("2026-06-30T18:00:00-0800", &l, &has, &off) && has && off == -28800);
    ck_assert(dt("2026-06-30T18:00:00+05", &l, &has, &off) && has && off == 18000);
    ck_assert(dt("2026-06-30T18:00:00+05:45", &l, &has, &off) && off == 20700);
    ck_assert(dt("2026-06-30T18:00:00-00:00", &l, &has, &off) && has && off == 0);
    ck_assert(dt("2026-06-30T18:00:00.999Z", &l, &has, &off) && l == base + 64800);
    ck_assert(dt("2026-06-30T18:00:00.5+01:00", &l, &has, &off) && off == 3600);
    ck_assert(dt("1969-12-31T23:59:59.75Z", &l, &has, &off) && l == -1);
    static const char *const bad[] = {
        "2026-06-30", "2026-06-30T", "2026-06-30T18", "2026-06-30T18:0", "2026-06-30X18:00",
        "2026-06-31T18:00", "2026-06-30T24:00", "2026-06-30T18:60", "2026-06-30T18:00:00.",
        "2026-06-30T18:00.5Z", "2026-06-30T18:00:00+2:00", "2026-06-30T18:00:00+02:0",
        "2026-06-30T18:00:00+24:00", "2026-06-30T18:00:00+02:60", "2026-06-30T18:00:00Q",
        "2026-06-30T18:00:00+0200x", "2026-06-30T18:00:00 Z", "2026-06-30T18:00:00ZZ",
        "2026-06-30T18:00:00+", "2026-06-30T18:00:00+02:00:00", "2026-06-30T18:00:00.5.5Z",
        "2026-06-30T18:00:00:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!dt(bad[i], &l, &has, &off), "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(text_instants)
{
    int64_t t;
    ck_assert(clT_parse_instant("1970-01-01T00:00:00Z", 20, &t) && t == 0);
    ck_assert(clT_parse_instant("2026-11-28T15:30:00Z", 20, &t) &&
              t == DAYS(2026, 11, 28) * 86400 + 55800);
    ck_assert(clT_parse_instant("2026-11-28T10:30:00-05:00", 25, &t) &&
              t == DAYS(2026, 11, 28) * 86400 + 55800);
    ck_assert(clT_parse_instant("0001-01-01T00:00:00Z", 20, &t) && t == -719162LL * 86400);
    ck_assert(clT_parse_instant("9999-12-31T23:59:59Z", 20, &t) &&
              t == 2932896LL * 86400 + 86399);
    ck_assert(!clT_parse_instant("2026-11-28T15:30:00", 19, &t)); /* no offset */
    ck_assert(!clT_parse_instant("2026-11-28", 10, &t));
    ck_assert(!clT_parse_instant("", 0, &t));
}
END_TEST

/* ------------------------------------------------------------------------
 * TZif building
 * ------------------------------------------------------------------------ */

typedef struct tzb {
    unsigned char p[8192];
    size_t n;
} tzb;

static void put(tzb *b, const void *s, size_t n)
{
    ck_assert(b->n + n <= sizeof b->p);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void put32(tzb *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 4);
}

static void put64(tzb *b, int64_t v)
{
    put32(b, (uint32_t)((uint64_t)v >> 32));
    put32(b, (uint32_t)(uint64_t)v);
}

/* What a zone to build holds. */
typedef struct tzspec {
    int version;            /* 1..4 */
    size_t ntrans;
    const int64_t *trans;
    const uint8_t *idx;
    size_t ntypes;
    const int32_t *offs;
    const uint8_t *dst;
    const char *footer;     /* v2+: the TZ string */
} tzspec;

static void header(tzb *b, int version, uint32_t nt, uint32_t ntypes)
{
    put(b, "TZif", 4);
    unsigned char v = version == 1 ? 0 : (unsigned char)('0' + version);
    put(b, &v, 1);
    static const unsigned char zero[15];
    put(b, zero, 15);
    put32(b, ntypes);  /* isutcnt */
    put32(b, ntypes);  /* isstdcnt */
    put32(b, 0);       /* leapcnt */
    put32(b, nt);      /* timecnt */
    put32(b, ntypes);  /* typecnt */
    put32(b, 4);       /* charcnt: "ABC\0" */
}

static void block(tzb *b, const tzspec *s, bool wide)
{
    header(b, s->version, (uint32_t)s->ntrans, (uint32_t)s->ntypes);
    for (size_t i = 0; i < s->ntrans; i++)
        wide ? put64(b, s->trans[i]) : put32(b, (uint32_t)(int32_t)s->trans[i]);
    put(b, s->idx, s->ntrans);
    for (size_t i = 0; i < s->ntypes; i++) {
        put32(b, (uint32_t)s->offs[i]);
        unsigned char x[2] = {s->dst ? s->dst[i] : 0, 0};
        put(b, x, 2);
    }
    put(b, "ABC", 4);
    for (size_t i = 0; i < 2 * s->ntypes; i++)
        put(b, "", 1); /* isstd, isut indicators: 0 */
}

static void build(tzb *b, const tzspec *s)
{
    b->n = 0;
    block(b, s, false);
    if (s->version >= 2) {
        block(b, s, true);
        put(b, "\n", 1);
        put(b, s->footer, strlen(s->footer));
        put(b, "\n", 1);
    }
}

/* A zone of no transitions whose footer rule governs all time. */
static void build_rule(tzb *b, const char *rule, int32_t off0)
{
    static const uint8_t none[1];
    tzspec s = {3, 0, NULL, none, 1, &off0, NULL, rule};
    build(b, &s);
}

static cl_env *env;

static void setup_env(void)
{
    env = cl_env_new(NULL, NULL);
    ck_assert_ptr_nonnull(env);
}

static void teardown_env(void)
{
    cl_env_free(env);
    env = NULL;
}

static clT_zone *parse_ok(const tzb *b)
{
    clT_zone *z = NULL;
    cl_error err;
    clE_clear(&err);
    int rc = clT_zone_parse(env, "Test/Zone", b->p, b->n, &z, &err);
    ck_assert_msg(rc == CL_OK, "parse failed: %s", err.message);
    ck_assert_ptr_nonnull(z);
    return z;
}

static int parse_rc(const unsigned char *p, size_t n, cl_error *err)
{
    clT_zone *z = NULL;
    clE_clear(err);
    int rc = clT_zone_parse(env, "Test/Zone", p, n, &z, err);
    if (rc == CL_OK)
        ck_assert_ptr_nonnull(z);
    else
        ck_assert_ptr_null(z);
    clT_zone_free(env, z);
    return rc;
}

/* Seconds since the epoch of a UTC date-time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return DAYS(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* ------------------------------------------------------------------------
 * Hand-built TZif
 * ------------------------------------------------------------------------ */

static const int64_t demo_trans[] = {-2000000000LL, 100000000LL, 3000000000LL};
static const uint8_t demo_idx[] = {1, 2, 1};
static const int32_t demo_offs[] = {-17762, -18000, -14400};
static const uint8_t demo_dst[] = {0, 0, 1};

START_TEST(tzif_versions)
{
    for (int v = 1; v <= 4; v++) {
        tzb b;
        /* v1 keeps only 32-bit times: drop the transition beyond 2038. */
        tzspec s = {v, v == 1 ? 2 : 3, demo_trans, demo_idx, 3, demo_offs, demo_dst, ""};
        build(&b, &s);
        clT_zone *z = parse_ok(&b);
        ck_assert_str_eq(z->name, "Test/Zone");
        ck_assert_uint_eq(z->ntrans, v == 1 ? 2 : 3);
        ck_assert_int_eq(clT_offset_at(z, -3000000000LL), -17762); /* type 0 before */
        ck_assert_int_eq(clT_offset_at(z, -2000000001LL), -17762);
        ck_assert_int_eq(clT_offset_at(z, -2000000000LL), -18000);
        ck_assert_int_eq(clT_offset_at(z, 99999999LL), -18000);
        ck_assert_int_eq(clT_offset_at(z, 100000000LL), -14400);
        ck_assert_int_eq(clT_offset_at(z, 2999999999LL), -14400);
        ck_assert_int_eq(clT_offset_at(z, 3000000000LL), v == 1 ? -14400 : -18000);
        ck_assert_int_eq(clT_offset_at(z, INT64_MAX), v == 1 ? -14400 : -18000);
        ck_assert_int_eq(clT_offset_at(z, INT64_MIN), -17762);
        ck_assert(!z->has_rule);
        clT_zone_free(env, z);
    }
}
END_TEST

/* The footer rule takes over after the last transition. */
START_TEST(tzif_footer_after_last)
{
    tzb b;
    tzspec s = {2, 3, demo_trans, demo_idx, 3, demo_offs, demo_dst, "EST5EDT,M3.2.0,M11.1.0"};
    build(&b, &s);
    clT_zone *z = parse_ok(&b);
    ck_assert(z->has_rule);
    /* 3000000000 is 2065-01-24: standard time; DST from 8 March 2065. */
    ck_assert_int_eq(clT_offset_at(z, 3000000000LL), -18000);
    ck_assert_int_eq(clT_offset_at(z, utc(2065, 7, 1, 0, 0, 0)), -14400);
    ck_assert_int_eq(clT_offset_at(z, utc(2100, 7, 1, 0, 0, 0)), -14400);
    ck_assert_int_eq(clT_offset_at(z, utc(2100, 12, 1, 0, 0, 0)), -18000);
    /* Before the last transition the table rules. */
    ck_assert_int_eq(clT_offset_at(z, utc(2026, 1, 1, 0, 0, 0)), -14400);
    clT_zone_free(env, z);
}
END_TEST

/* Every strict prefix of a well-formed file is an error, never a crash. */
START_TEST(tzif_truncated)
{
    tzb b;
    tzspec s = {2, 3, demo_trans, demo_idx, 3, demo_offs, demo_dst, "EST5EDT,M3.2.0,M11.1.0"};
    build(&b, &s);
    cl_error err;
    for (size_t n = 0; n < b.n; n++) {
        int rc = parse_rc(b.p, n, &err);
        REQUIRE(rc == CL_EZONE, "prefix of %zu bytes gave %d", n, rc);
        REQUIRE(strstr(err.message, "Test/Zone") != NULL, "message \"%s\"", err.message);
    }
    ck_assert_int_eq(parse_rc(b.p, b.n, &err), CL_OK);
    /* And a v1 file. */
    tzspec s1 = {1, 2, demo_trans, demo_idx, 3, demo_offs, demo_dst, ""};
    build(&b, &s1);
    for (size_t n = 0; n < b.n; n++)
        REQUIRE(parse_rc(b.p, n, &err) == CL_EZONE, "v1 prefix of %zu bytes", n);
    ck_assert_int_eq(parse_rc(b.p, b.n, &err), CL_OK);
}
END_TEST

/* Patches a big-endian 32-bit count in a built file. */
static void poke32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

START_TEST(tzif_hostile)
{
    tzb good;
    tzspec s = {2, 3, demo_trans, demo_idx, 3, demo_offs, demo_dst, "EST5EDT,M3.2.0,M11.1.0"};
    build(&good, &s);
    size_t v1 = 44 + 3 * 4 + 3 + 3 * 6 + 4 + 6; /* bytes of the 32-bit part */
    size_t h2 = v1;                             /* the second header */
    size_t d2 = h2 + 44;                        /* its data */
    cl_error err;
    struct {
        const char *what;
        size_t at;          /* offset of the 32-bit word to set, or of the byte */
        uint32_t value;
        bool byte;
    } cases[] = {
        {"bad magic", 0, 'X', true},
        {"version 5", 4, '5', true},
        {"huge timecnt", 32, 0xFFFFFFFFu, false},
        {"huge timecnt, second header", h2 + 32, 0xFFFFFFFFu, false},
        {"huge typecnt", h2 + 36, 0x7FFFFFFFu, false},
        {"zero typecnt", h2 + 36, 0, false},
        {"huge charcnt", h2 + 40, 0xFFFFFFF0u, false},
        {"leap seconds", h2 + 28, 1, false},
        {"isutcnt mismatch", h2 + 20, 2, false},
        {"isstdcnt mismatch", h2 + 24, 7, false},
        {"second magic", h2, 'Y', true},
        {"type index out of range", d2 + 3 * 8, 3, true},
        {"unordered transitions", d2 + 8, 0x80, true},   /* second time becomes negative */
        {"utoff too large", d2 + 3 * 9 + 0, 0x7F, true},
        {"isdst 2", d2 + 3 * 9 + 4, 2, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tzb b = good;
        if (cases[i].byte)
            b.p[cases[i].at] = (unsigned char)cases[i].value;
        else
            poke32(b.p + cases[i].at, cases[i].value);
        int rc = parse_rc(b.p, b.n, &err);
        ck_assert_msg(rc == CL_EZONE, "%s: rc %d", cases[i].what, rc);
        ck_assert_msg(strstr(err.message, "Test/Zone") != NULL, "%s: \"%s\"", cases[i].what,
                      err.message);
    }
    /* Leap seconds name the cause. */
    tzb b = good;
    poke32(b.p + h2 + 28, 1);
    parse_rc(b.p, b.n, &err);
    ck_assert_ptr_nonnull(strstr(err.message, "leap seconds"));
    /* The footer must start and end with a newline. */
    b = good;
    b.p[b.n - 1] = 'x';
    ck_assert_int_eq(parse_rc(b.p, b.n, &err), CL_EZONE);
    b = good;
    b.p[b.n - strlen("EST5EDT,M3.2.0,M11.1.0") - 2] = ' ';
    ck_assert_int_eq(parse_rc(b.p, b.n, &err), CL_EZONE);
    /* Bytes after the footer are ignored, as RFC 8536 allows. */
    b = good;
    put(&b, "extra", 5);
    ck_assert_int_eq(parse_rc(b.p, b.n, &err), CL_OK);
}
END_TEST

/* Random corruption of a real file: OK or CL_EZONE, never a crash or a
 * read out of bounds (ASan and valgrind watch). */
START_TEST(tzif_fuzz)
{
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
    ck_assert_msg(f != NULL, "tzdata is not installed: %s", strerror(errno));
    static unsigned char orig[1 << 16];
    size_t n = fread(orig, 1, sizeof orig, f);
    fclose(f);
    ck_assert_uint_gt(n, 100);
    static unsigned char buf[1 << 16];
    test_rng r = {12345};
    cl_error err;
    int ok = 0, bad = 0;
    for (int i = 0; i < 3000; i++) {
        memcpy(buf, orig, n);
        int flips = (int)test_range(&r, 1, 4);
        for (int k = 0; k < flips; k++)
            buf[test_range(&r, 0, (int64_t)n - 1)] = (unsigned char)test_rand(&r);
        size_t len = i % 5 == 0 ? (size_t)test_range(&r, 0, (int64_t)n) : n;
        clT_zone *z = NULL;
        clE_clear(&err);
        int rc = clT_zone_parse(env, "Fuzz", buf, len, &z, &err);
        REQUIRE(rc == CL_OK || rc == CL_EZONE, "rc %d", rc);
        if (rc == CL_OK) {
            ok++;
            /* Whatever it parsed answers every question. */
            for (int64_t t = -4000000000LL; t < 8000000000LL; t += 7777777)
                REQUIRE(clT_offset_at(z, t) > -90000 && clT_offset_at(z, t) < 93600, "off");
            (void)clT_local_to_instant(z, 1700000000);
            (void)clT_localize(z, 1700000000);
        } else {
            bad++;
        }
        clT_zone_free(env, z);
    }
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(bad, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * POSIX TZ rules (footer)
 * ------------------------------------------------------------------------ */

/* Offset of rule at a UTC date-time. */
static int32_t rule_at(const char *rule, int y, int mo, int d, int h, int mi, int s)
{
    tzb b;
    build_rule(&b, rule, 0);
    clT_zone *z = parse_ok(&b);
    int32_t off = clT_offset_at(z, utc(y, mo, d, h, mi, s));
    clT_zone_free(env, z);
    return off;
}

START_TEST(rule_northern)
{
    const char *ny = "EST5EDT,M3.2.0,M11.1.0";
    /* 2026: DST from 8 March 07:00Z to 1 November 06:00Z. */
    ck_assert_int_eq(rule_at(ny, 2026, 3, 8, 6, 59, 59), -18000);
    ck_assert_int_eq(rule_at(ny, 2026, 3, 8, 7, 0, 0), -14400);
    ck_assert_int_eq(rule_at(ny, 2026, 11, 1, 5, 59, 59), -14400);
    ck_assert_int_eq(rule_at(ny, 2026, 11, 1, 6, 0, 0), -18000);
    ck_assert_int_eq(rule_at(ny, 2026, 1, 1, 0, 0, 0), -18000);
    ck_assert_int_eq(rule_at(ny, 2026, 12, 31, 23, 0, 0), -18000);
    const char *eu = "CET-1CEST,M3.5.0,M10.5.0/3";
    /* 2026: 29 March 01:00Z to 25 October 01:00Z. */
    ck_assert_int_eq(rule_at(eu, 2026, 3, 29, 0, 59, 59), 3600);
    ck_assert_int_eq(rule_at(eu, 2026, 3, 29, 1, 0, 0), 7200);
    ck_assert_int_eq(rule_at(eu, 2026, 10, 25, 0, 59, 59), 7200);
    ck_assert_int_eq(rule_at(eu, 2026, 10, 25, 1, 0, 0), 3600);
    /* No DST at all, and an offset with minutes. */
    ck_assert_int_eq(rule_at("IST-5:30", 2026, 7, 1, 0, 0, 0), 19800);
    ck_assert_int_eq(rule_at("<+0545>-5:45", 2026, 7, 1, 0, 0, 0), 20700);
    ck_assert_int_eq(rule_at("<-0330>3:30", 2026, 7, 1, 0, 0, 0), -12600);
    ck_assert_int_eq(rule_at("<+0330>-3:30", 2026, 7, 1, 0, 0, 0), 12600);
    ck_assert_int_eq(rule_at("UTC0", 2026, 7, 1, 0, 0, 0), 0);
    ck_assert_int_eq(rule_at("<+14>-14", 2026, 7, 1, 0, 0, 0), 50400);
    ck_assert_int_eq(rule_at("<-12>12", 2026, 7, 1, 0, 0, 0), -43200);
    /* A DST offset given explicitly (Lord Howe: half an hour). */
    const char *lh = "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0";
    ck_assert_int_eq(rule_at(lh, 2026, 1, 1, 0, 0, 0), 39600);
    ck_assert_int_eq(rule_at(lh, 2026, 7, 1, 0, 0, 0), 37800);
    /* DST with no rule dates: the US rules. */
    ck_assert_int_eq(rule_at("EST5EDT", 2026, 3, 8, 7, 0, 0), -14400);
    ck_assert_int_eq(rule_at("EST5EDT", 2026, 3, 8, 6, 59, 59), -18000);
}
END_TEST

START_TEST(rule_southern)
{
    const char *syd = "AEST-10AEDT,M10.1.0,M4.1.0/3";
    /* 2026: DST ends 5 April 03:00 AEDT (4 April 16:00Z), starts 4 October
     * 02:00 AEST (3 October 16:00Z). */
    ck_assert_int_eq(rule_at(syd, 2026, 1, 15, 0, 0, 0), 39600);
    ck_assert_int_eq(rule_at(syd, 2026, 4, 4, 15, 59, 59), 39600);
    ck_assert_int_eq(rule_at(syd, 2026, 4, 4, 16, 0, 0), 36000);
    ck_assert_int_eq(rule_at(syd, 2026, 10, 3, 15, 59, 59), 36000);
    ck_assert_int_eq(rule_at(syd, 2026, 10, 3, 16, 0, 0), 39600);
    ck_assert_int_eq(rule_at(syd, 2026, 12, 31, 13, 30, 0), 39600); /* new year's eve, local */
    ck_assert_int_eq(rule_at(syd, 2026, 12, 31, 12, 59, 59), 39600);
    /* Chile: the changes at 24:00, negative offsets. */
    const char *cl = "<-04>4<-03>,M9.1.6/24,M4.1.6/24";
    ck_assert_int_eq(rule_at(cl, 2026, 1, 1, 0, 0, 0), -10800);
    ck_assert_int_eq(rule_at(cl, 2026, 7, 1, 0, 0, 0), -14400);
    /* 2026: DST ends Saturday 4 April 24:00 -03 = 5 April 03:00Z. */
    ck_assert_int_eq(rule_at(cl, 2026, 4, 5, 2, 59, 59), -10800);
    ck_assert_int_eq(rule_at(cl, 2026, 4, 5, 3, 0, 0), -14400);
}
END_TEST

START_TEST(rule_julian_and_zero_based)
{
    /* J60 is 1 March in every year; 59 (zero-based) is 29 February in leap
     * years and 1 March in common ones. */
    const char *j = "XST3XDT,J60/2,J300/2";
    ck_assert_int_eq(rule_at(j, 2024, 3, 1, 4, 59, 59), -10800);
    ck_assert_int_eq(rule_at(j, 2024, 3, 1, 5, 0, 0), -7200);
    ck_assert_int_eq(rule_at(j, 2026, 3, 1, 5, 0, 0), -7200);
    ck_assert_int_eq(rule_at(j, 2026, 2, 28, 5, 0, 0), -10800);
    /* J300 is 27 October in every year: DST ends 02:00 XDT = 04:00Z. */
    ck_assert_int_eq(rule_at(j, 2024, 10, 27, 3, 59, 59), -7200);
    ck_assert_int_eq(rule_at(j, 2024, 10, 27, 4, 0, 0), -10800);
    const char *d = "XST3XDT,59/2,299/2";
    ck_assert_int_eq(rule_at(d, 2024, 2, 29, 4, 59, 59), -10800);
    ck_assert_int_eq(rule_at(d, 2024, 2, 29, 5, 0, 0), -7200);
    ck_assert_int_eq(rule_at(d, 2026, 3, 1, 4, 59, 59), -10800);
    ck_assert_int_eq(rule_at(d, 2026, 3, 1, 5, 0, 0), -7200);
    /* 299 zero-based: 26 October 2024 (leap), 27 October 2026. */
    ck_assert_int_eq(rule_at(d, 2024, 10, 26, 4, 0, 0), -10800);
    ck_assert_int_eq(rule_at(d, 2026, 10, 26, 4, 0, 0), -7200);
    ck_assert_int_eq(rule_at(d, 2026, 10, 27, 4, 0, 0), -10800);
    /* Day 365 exists only in leap years: 31 December, or 1 January after. */
    ck_assert_int_eq(rule_at("XST3XDT,0/0,365/0", 2024, 12, 31, 1, 59, 59), -7200);
    ck_assert_int_eq(rule_at("XST3XDT,0/0,365/0", 2024, 12, 31, 2, 0, 0), -10800);
    ck_assert_int_eq(rule_at("XST3XDT,0/0,365/0", 2025, 12, 31, 12, 0, 0), -7200);
    ck_assert_int_eq(rule_at("XST3XDT,0/0,365/0", 2026, 1, 1, 2, 59, 59), -10800);
    ck_assert_int_eq(rule_at("XST3XDT,0/0,365/0", 2026, 1, 1, 3, 0, 0), -7200);
}
END_TEST

START_TEST(rule_extended_times)
{
    /* Israel: DST starts the Friday before the last Sunday of March, at
     * 02:00, written as Thursday 26:00. 2026: Friday 27 March 00:00Z. */
    const char *il = "IST-2IDT,M3.4.4/26,M10.5.0";
    ck_assert_int_eq(rule_at(il, 2026, 3, 26, 23, 59, 59), 7200);
    ck_assert_int_eq(rule_at(il, 2026, 3, 27, 0, 0, 0), 10800);
    ck_assert_int_eq(rule_at(il, 2026, 10, 24, 22, 59, 59), 10800);
    ck_assert_int_eq(rule_at(il, 2026, 10, 24, 23, 0, 0), 7200);
    /* Greenland: negative times. 2026: DST from 28 March 22:00 -02 (the
     * Sunday's -1:00) = 29 March 01:00Z, to 24 October 23:00 -01 = 25 October
     * 01:00Z. */
    const char *gl = "<-02>2<-01>,M3.5.0/-1,M10.5.0/0";
    ck_assert_int_eq(rule_at(gl, 2026, 3, 29, 0, 59, 59), -7200);
    ck_assert_int_eq(rule_at(gl, 2026, 3, 29, 1, 0, 0), -3600);
    ck_assert_int_eq(rule_at(gl, 2026, 10, 25, 0, 59, 59), -3600);
    ck_assert_int_eq(rule_at(gl, 2026, 10, 25, 1, 0, 0), -7200);
    /* Times up to 167 hours: a week after the first Sunday of April. */
    const char *wk = "XST3XDT,M4.1.0/167,M10.1.0/-167";
    ck_assert_int_eq(rule_at(wk, 2026, 4, 12, 1, 59, 59), -10800); /* 5 Apr + 167h = 11 Apr 23:00 */
    ck_assert_int_eq(rule_at(wk, 2026, 4, 12, 2, 0, 0), -7200);
    /* 4 October - 167h = 27 September 01:00 XDT = 03:00Z. */
    ck_assert_int_eq(rule_at(wk, 2026, 9, 27, 2, 59, 59), -7200);
    ck_assert_int_eq(rule_at(wk, 2026, 9, 27, 3, 0, 0), -10800);
    /* A change that lands in the previous year: 1 January - 48h. */
    const char *py = "XST3XDT,J1/-48,J182";
    ck_assert_int_eq(rule_at(py, 2026, 12, 30, 2, 59, 59), -10800);
    ck_assert_int_eq(rule_at(py, 2026, 12, 30, 3, 0, 0), -7200);
    ck_assert_int_eq(rule_at(py, 2027, 1, 15, 0, 0, 0), -7200);
}
END_TEST

/* RFC 8536 section 3.3.1: DST all year, written as starting on 1 January
 * at 00:00 and ending on 31 December at 25:00 (after the next year's
 * start). Morocco's footer is such a rule, with negative DST. */
START_TEST(rule_permanent_dst)
{
    const char *p = "EST5EDT,0/0,J365/25";
    for (int y = 2020; y <= 2040; y++) {
        ck_assert_int_eq(rule_at(p, y, 1, 1, 0, 0, 0), -14400);
        ck_assert_int_eq(rule_at(p, y, 1, 1, 4, 0, 0), -14400);
        ck_assert_int_eq(rule_at(p, y, 1, 1, 5, 0, 0), -14400);
        ck_assert_int_eq(rule_at(p, y, 6, 30, 12, 0, 0), -14400);
        ck_assert_int_eq(rule_at(p, y, 12, 31, 23, 59, 59), -14400);
    }
    const char *m = "<+01>-1<+00>0,0/0,J365/25";
    ck_assert_int_eq(rule_at(m, 2026, 1, 1, 0, 0, 0), 0);
    ck_assert_int_eq(rule_at(m, 2026, 7, 1, 0, 0, 0), 0);
}
END_TEST

START_TEST(rule_malformed)
{
    static const char *const bad[] = {
        "E", "ES5", "EST", "EST5EDT,", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,", "EST5EDT,M13.2.0,M11.1.0",
        "EST5EDT,M3.6.0,M11.1.0", "EST5EDT,M3.0.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0",
        "EST5EDT,M3.2,M11.1.0", "EST5EDT,J0,J100", "EST5EDT,J366,J100", "EST5EDT,366,100",
        "EST5EDT,M3.2.0/168,M11.1.0", "EST5EDT,M3.2.0/-168,M11.1.0", "EST25", "EST5:60",
        "EST5:00:60", "<+05", "<>5", "<+5>5", "<+0@>5", "EST5EDT,M3.2.0,M11.1.0,x", "EST5EDT25",
        "EST5EDT,M3.2.0/2:3,M11.1.0", "EST 5", "5EST", "EST5EDT,M3.2.0/,M11.1.0",
        "EST5EDT,M3.2.0,M11.1.0x",
    };
    cl_error err;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tzb b;
        build_rule(&b, bad[i], 0);
        int rc = parse_rc(b.p, b.n, &err);
        ck_assert_msg(rc == CL_EZONE, "accepted footer \"%s\"", bad[i]);
        ck_assert_msg(strstr(err.message, "footer") != NULL, "\"%s\": %s", bad[i], err.message);
    }
    /* An empty footer means no rule: the last type holds. */
    tzb b;
    build_rule(&b, "", -12345);
    clT_zone *z = parse_ok(&b);
    ck_assert(!z->has_rule);
    ck_assert_int_eq(clT_offset_at(z, 0), -12345);
    clT_zone_free(env, z);
}
END_TEST

/* ------------------------------------------------------------------------
 * Real zones, gaps and overlaps
 * ------------------------------------------------------------------------ */

static clT_zone *load(const char *name)
{
    clT_zone *z = NULL;
    cl_error err;
    clE_clear(&err);
    int rc = clT_zone_load(env, name, strlen(name), &z, &err);
    ck_assert_msg(rc == CL_OK, "%s: %s", name, err.message);
    return z;
}

START_TEST(real_zones)
{
    static const struct {
        const char *zone;
        int y, mo, d, h, mi;   /* UTC */
        int32_t off;
    } t[] = {
        {"America/New_York", 2026, 1, 15, 12, 0, -18000},
        {"America/New_York", 2026, 7, 15, 12, 0, -14400},
        {"America/New_York", 1950, 7, 15, 12, 0, -14400},
        {"America/New_York", 2060, 7, 15, 12, 0, -14400},  /* footer */
        {"America/New_York", 2060, 12, 15, 12, 0, -18000},
        {"Europe/London", 2026, 1, 15, 12, 0, 0},
        {"Europe/London", 2026, 7, 15, 12, 0, 3600},
        {"Europe/London", 1970, 1, 15, 12, 0, 3600},       /* British Standard Time */
        {"Europe/Berlin", 2026, 3, 29, 0, 59, 3600},
        {"Europe/Berlin", 2026, 3, 29, 1, 0, 7200},
        {"Australia/Sydney", 2026, 1, 15, 12, 0, 39600},
        {"Australia/Sydney", 2026, 7, 15, 12, 0, 36000},
        {"Australia/Adelaide", 2026, 7, 15, 12, 0, 34200},
        {"Australia/Lord_Howe", 2026, 1, 15, 12, 0, 39600},
        {"Australia/Lord_Howe", 2026, 7, 15, 12, 0, 37800},
        {"Asia/Kolkata", 2026, 7, 15, 12, 0, 19800},
        {"Asia/Kathmandu", 2026, 7, 15, 12, 0, 20700},
        {"America/St_Johns", 2026, 1, 15, 12, 0, -12600},
        {"America/St_Johns", 2026, 7, 15, 12, 0, -9000},
        {"America/Sao_Paulo", 2018, 1, 15, 12, 0, -7200},  /* DST until 2019 */
        {"America/Sao_Paulo", 2026, 1, 15, 12, 0, -10800},
        {"Pacific/Auckland", 2026, 1, 15, 12, 0, 46800},
        {"Pacific/Auckland", 2026, 7, 15, 12, 0, 43200},
        {"Pacific/Kiritimati", 2026, 7, 15, 12, 0, 50400},
        {"Etc/UTC", 2026, 7, 15, 12, 0, 0},
        {"UTC", 2026, 7, 15, 12, 0, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        clT_zone *z = load(t[i].zone);
        ck_assert_msg(clT_offset_at(z, utc(t[i].y, t[i].mo, t[i].d, t[i].h, t[i].mi, 0)) ==
                          t[i].off, "%s at %d-%d-%d %d:%d: %d", t[i].zone, t[i].y, t[i].mo,
                      t[i].d, t[i].h, t[i].mi,
                      clT_offset_at(z, utc(t[i].y, t[i].mo, t[i].d, t[i].h, t[i].mi, 0)));
        clT_zone_free(env, z);
    }
    ck_assert_int_eq(clT_offset_at(NULL, 12345), 0);
}
END_TEST

/* Local seconds of a wall-clock date-time. */
static int64_t wall(int y, int mo, int d, int h, int mi, int s)
{
    return utc(y, mo, d, h, mi, s);
}

START_TEST(gaps_and_overlaps)
{
    clT_zone *ny = load("America/New_York");
    /* 8 March 2026: 02:00 EST jumps to 03:00 EDT at 07:00Z. */
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 3, 8, 1, 59, 59)),
                     utc(2026, 3, 8, 6, 59, 59));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 3, 8, 2, 0, 0)), utc(2026, 3, 8, 7, 0, 0));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 3, 8, 2, 30, 0)), utc(2026, 3, 8, 7, 0, 0));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 3, 8, 2, 59, 59)),
                     utc(2026, 3, 8, 7, 0, 0));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 3, 8, 3, 0, 0)), utc(2026, 3, 8, 7, 0, 0));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 3, 8, 3, 0, 1)), utc(2026, 3, 8, 7, 0, 1));
    /* 1 November 2026: 01:00-02:00 happens twice; the earlier is EDT. */
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 11, 1, 0, 59, 59)),
                     utc(2026, 11, 1, 4, 59, 59));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 11, 1, 1, 0, 0)), utc(2026, 11, 1, 5, 0, 0));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 11, 1, 1, 30, 0)),
                     utc(2026, 11, 1, 5, 30, 0));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 11, 1, 1, 59, 59)),
                     utc(2026, 11, 1, 5, 59, 59));
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2026, 11, 1, 2, 0, 0)), utc(2026, 11, 1, 7, 0, 0));
    /* Far past the table: the footer's gap. */
    ck_assert_int_eq(clT_local_to_instant(ny, wall(2080, 3, 10, 2, 30, 0)),
                     utc(2080, 3, 10, 7, 0, 0));
    clT_zone_free(env, ny);

    /* Lord Howe moves by half an hour. 2026-10-04 02:00 -> 02:30 (15:30Z
     * on the 3rd); 2026-04-05 02:00 -> 01:30 (15:00Z on the 4th). */
    clT_zone *lh = load("Australia/Lord_Howe");
    ck_assert_int_eq(clT_local_to_instant(lh, wall(2026, 10, 4, 2, 15, 0)),
                     utc(2026, 10, 3, 15, 30, 0));
    ck_assert_int_eq(clT_local_to_instant(lh, wall(2026, 4, 5, 1, 45, 0)),
                     utc(2026, 4, 4, 14, 45, 0));
    clT_zone_free(env, lh);

    /* Samoa skipped 30 December 2011 entirely. */
    clT_zone *ws = load("Pacific/Apia");
    ck_assert_int_eq(clT_local_to_instant(ws, wall(2011, 12, 30, 12, 0, 0)),
                     utc(2011, 12, 30, 10, 0, 0));
    clT_localize(ws, utc(2011, 12, 30, 10, 0, 0));
    ck_assert_int_eq(clT_localize(ws, utc(2011, 12, 30, 10, 0, 0)).date.day, 31);
    ck_assert_int_eq(clT_localize(ws, utc(2011, 12, 30, 9, 59, 59)).date.day, 29);
    clT_zone_free(env, ws);

    /* UTC and a NULL zone: the identity. */
    ck_assert_int_eq(clT_local_to_instant(NULL, 1234567), 1234567);
    clT_zone *u = load("UTC");
    ck_assert_int_eq(clT_local_to_instant(u, 1234567), 1234567);
    clT_zone_free(env, u);
}
END_TEST

/* Every local second that exists maps back to itself. */
START_TEST(local_round_trip)
{
    static const char *const zones[] = {"America/New_York", "Australia/Lord_Howe",
                                        "Europe/London", "Asia/Kathmandu"};
    test_rng r = {777};
    for (size_t k = 0; k < sizeof zones / sizeof *zones; k++) {
        clT_zone *z = load(zones[k]);
        for (int i = 0; i < 20000; i++) {
            int64_t t = test_range(&r, -2000000000LL, 4200000000LL);
            int64_t local = t + clT_offset_at(z, t);
            int64_t back = clT_local_to_instant(z, local);
            REQUIRE(back + clT_offset_at(z, back) == local, "%s: %" PRId64, zones[k], t);
            REQUIRE(back <= t, "%s: not the earlier instant at %" PRId64, zones[k], t);
        }
        clT_zone_free(env, z);
    }
}
END_TEST

START_TEST(localize_views)
{
    clT_zone *z = load("America/New_York");
    /* 2026-11-28T03:00Z is Friday 22:00 in New York. */
    clT_local l = clT_localize(z, utc(2026, 11, 28, 3, 0, 0));
    ck_assert_int_eq(l.date.year, 2026);
    ck_assert_int_eq(l.date.month, 11);
    ck_assert_int_eq(l.date.day, 27);
    ck_assert_int_eq(l.weekday, 4);
    ck_assert_int_eq(l.seconds, 22 * 3600);
    ck_assert_int_eq(l.days, DAYS(2026, 11, 27));
    /* Before 1970, the floor of the day. */
    l = clT_localize(NULL, -1);
    ck_assert_int_eq(l.days, -1);
    ck_assert_int_eq(l.seconds, 86399);
    ck_assert_int_eq(l.weekday, 2);
    /* Extremes are clamped, not overflowed (UBSan watches). */
    l = clT_localize(z, INT64_MAX);
    ck_assert_int_eq(l.days, (CLT_TIME_LIMIT + clT_offset_at(z, CLT_TIME_LIMIT)) / 86400);
    l = clT_localize(z, INT64_MIN);
    ck_assert(l.days < 0);
    (void)clT_local_to_instant(z, INT64_MAX);
    (void)clT_local_to_instant(z, INT64_MIN);
    clT_zone_free(env, z);
}
END_TEST

/* ------------------------------------------------------------------------
 * Loading zones
 * ------------------------------------------------------------------------ */

static int load_rc(const cl_env *e, const char *name, cl_error *err)
{
    clT_zone *z = NULL;
    clE_clear(err);
    int rc = clT_zone_load(e, name, strlen(name), &z, err);
    if (rc == CL_OK)
        ck_assert_ptr_nonnull(z);
    clT_zone_free(e, z);
    return rc;
}

START_TEST(zone_names)
{
    cl_error err;
    static const char *const bad[] = {
        "", "/etc/passwd", "../etc/passwd", "America/../../etc/passwd", "America/", "America//New_York",
        "Europe/Berlin ", "zone.tab", "Europe\\Berlin", "Europe/Berlin\n",
        "a123456789012345678901234567890123456789012345678901234567890123",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_assert_msg(load_rc(env, bad[i], &err) == CL_EZONE, "accepted \"%s\"", bad[i]);
        ck_assert_msg(strstr(err.message, "not a time zone name") != NULL, "\"%s\": %s", bad[i],
                      err.message);
    }
    ck_assert_int_eq(load_rc(env, "Mars/Olympus_Mons", &err), CL_EZONE);
    ck_assert_ptr_nonnull(strstr(err.message, "unknown time zone \"Mars/Olympus_Mons\""));
    ck_assert_int_eq(load_rc(env, "America", &err), CL_EZONE);   /* a directory */
    ck_assert_int_eq(load_rc(env, "Europe/Berlin", &err), CL_OK);
    /* A name with length: the rest of the buffer is not part of it. */
    clT_zone *z = NULL;
    ck_assert_int_eq(clT_zone_load(env, "Europe/BerlinXYZ", 13, &z, &err), CL_OK);
    ck_assert_str_eq(z->name, "Europe/Berlin");
    clT_zone_free(env, z);
    /* A NULL error struct is allowed. */
    ck_assert_int_eq(clT_zone_load(env, "Nowhere/Else", 12, &z, NULL), CL_EZONE);
    ck_assert_ptr_null(z);
}
END_TEST

/* A temporary tz directory holding a copied zone, a hand-built one, a
 * broken one, a FIFO and a file too big to be TZif. */
static char tzdir[64];

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

static void make_tzdir(void)
{
    snprintf(tzdir, sizeof tzdir, "/tmp/couponlib-tz-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tzdir));
    char path[128];
    snprintf(path, sizeof path, "%s/Test", tzdir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    /* Test/Berlin: a copy of the system's Europe/Berlin. */
    FILE *f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
    ck_assert_ptr_nonnull(f);
    static unsigned char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/Test/Berlin", tzdir);
    write_file(path, buf, n);
    /* Test/Plus3: built here, +03:00 all year. */
    tzb b;
    build_rule(&b, "<+03>-3", 10800);
    snprintf(path, sizeof path, "%s/Test/Plus3", tzdir);
    write_file(path, b.p, b.n);
    /* Test/Broken: a truncated copy. */
    snprintf(path, sizeof path, "%s/Test/Broken", tzdir);
    write_file(path, buf, n / 2);
    snprintf(path, sizeof path, "%s/Test/Fifo", tzdir);
    ck_assert_int_eq(mkfifo(path, 0644), 0);
    static unsigned char big[(1 << 20) + 1];
    memcpy(big, buf, n);
    snprintf(path, sizeof path, "%s/Test/Big", tzdir);
    write_file(path, big, sizeof big);
}

static void remove_tzdir(void)
{
    static const char *const names[] = {"Test/Berlin", "Test/Plus3", "Test/Broken", "Test/Fifo",
                                        "Test/Big", "Test"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", tzdir, names[i]);
        remove(path);
    }
    rmdir(tzdir);
}

START_TEST(other_tzdir)
{
    make_tzdir();
    cl_env *e = cl_env_new(NULL, NULL);
    ck_assert_int_eq(cl_env_set_tzdir(e, tzdir), CL_OK);
    cl_error err;
    clT_zone *z = NULL;
    ck_assert_int_eq(clT_zone_load(e, "Test/Berlin", 11, &z, &err), CL_OK);
    ck_assert_int_eq(clT_offset_at(z, utc(2026, 7, 1, 0, 0, 0)), 7200);
    clT_zone_free(e, z);
    ck_assert_int_eq(clT_zone_load(e, "Test/Plus3", 10, &z, &err), CL_OK);
    ck_assert_int_eq(clT_offset_at(z, utc(2026, 7, 1, 0, 0, 0)), 10800);
    clT_zone_free(e, z);
    ck_assert_int_eq(load_rc(e, "Test/Broken", &err), CL_EZONE);
    ck_assert_ptr_nonnull(strstr(err.message, "malformed"));
    ck_assert_int_eq(load_rc(e, "Test/Fifo", &err), CL_EZONE);    /* and does not hang */
    ck_assert_int_eq(load_rc(e, "Test/Big", &err), CL_EZONE);
    ck_assert_int_eq(load_rc(e, "Test", &err), CL_EZONE);
    /* The system's zones are not there; UTC always is. */
    ck_assert_int_eq(load_rc(e, "Europe/Berlin", &err), CL_EZONE);
    ck_assert_ptr_nonnull(strstr(err.message, tzdir));
    ck_assert_int_eq(load_rc(e, "UTC", &err), CL_OK);
    /* And the default directory does not know the test zones. */
    ck_assert_int_eq(load_rc(env, "Test/Plus3", &err), CL_EZONE);

    /* Coupons compile against the env's directory; the zone is resolved
     * then, with the position of the `timezone` value on failure. */
    static const char src[] = "currency: USD\n"
                              "timezone: Test/Plus3\n"
                              "code: A\n"
                              "when: { time: { from: \"09:00\", until: \"10:00\" } }\n"
                              "discount: { amount: \"1.00\" }\n";
    cl_program *p = cl_compile(e, src, sizeof src - 1, "plus3.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    cl_context *ctx = cl_context_new(e);
    cl_vm *vm = cl_vm_new(e);
    ck_assert_int_eq(cl_context_set_currency(ctx, "USD"), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "X", 1, 1000, NULL), CL_OK);
    const cl_result *res;
    /* 06:30Z is 09:30 at +03. */
    ck_assert_int_eq(cl_context_set_now(ctx, utc(2026, 7, 1, 6, 30, 0)), CL_OK);
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &res, &err), CL_OK);
    ck_assert(cl_result_applicable(res, 0));
    ck_assert_int_eq(cl_context_set_now(ctx, utc(2026, 7, 1, 9, 30, 0)), CL_OK);
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &res, &err), CL_OK);
    ck_assert(!cl_result_applicable(res, 0));
    ck_assert_int_eq(cl_result_reason(res, 0, 0), CL_R_TIME_OF_DAY);
    cl_program_free(p);
    /* The context's zone comes from the same directory. */
    ck_assert_int_eq(cl_context_set_timezone(ctx, "Test/Berlin"), CL_OK);
    ck_assert_int_eq(cl_context_set_timezone(ctx, "Europe/Berlin"), CL_EZONE);
    cl_vm_free(vm);
    cl_context_free(ctx);

    p = cl_compile(env, src, sizeof src - 1, "plus3.yaml", &err);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.code, CL_EZONE);
    ck_assert_uint_eq(err.line, 2);
    ck_assert_uint_eq(err.column, 11);
    ck_assert_str_eq(err.path, "timezone");
    ck_assert_ptr_nonnull(strstr(err.message, "unknown time zone \"Test/Plus3\""));
    cl_env_free(e);
    remove_tzdir();
}
END_TEST

/* Unknown and malformed zone names in a coupon file: compile errors with
 * the position of the value, for the file's zone and a coupon's. */
START_TEST(compile_zone_errors)
{
    static const struct {
        const char *src;
        unsigned line, col;
        const char *path, *msg;
    } t[] = {
        {"timezone: Europe/Berln\ncode: A\ndiscount: { percent: 5 }\n", 1, 11, "timezone",
         "unknown time zone \"Europe/Berln\""},
        {"coupons:\n  - code: A\n    timezone: ../../etc/passwd\n    discount: { percent: 5 }\n",
         3, 15, "coupons[0].timezone", "not a time zone name"},
        {"coupons:\n  - code: A\n    discount: { percent: 5 }\n  - code: B\n"
         "    timezone: \"America/New York\"\n    discount: { percent: 5 }\n",
         5, 15, "coupons[1].timezone", "not a time zone name"},
        {"timezone: [Europe/Berlin]\ncode: A\ndiscount: { percent: 5 }\n", 1, 11, "timezone",
         ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        cl_error err;
        cl_program *p = cl_compile(env, t[i].src, strlen(t[i].src), "z.yaml", &err);
        ck_assert_msg(p == NULL, "case %zu compiled", i);
        ck_assert_msg(err.line == t[i].line && err.column == t[i].col, "case %zu at %u:%u", i,
                      err.line, err.column);
        ck_assert_str_eq(err.path, t[i].path);
        ck_assert_msg(strstr(err.message, t[i].msg) != NULL, "case %zu: %s", i, err.message);
    }
}
END_TEST

/* Out of memory at every allocation of a zone load: CL_ENOMEM and no leak
 * (the counting allocator checks the balance), then success. */
typedef struct counting {
    long left;      /* allocations allowed; -1 = unlimited */
    long live;
} counting;

static void *count_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    counting *c = ud;
    (void)osize;
    if (nsize == 0) {
        if (ptr != NULL)
            c->live--;
        free(ptr);
        return NULL;
    }
    if (c->left == 0)
        return NULL;
    if (c->left > 0)
        c->left--;
    void *p = realloc(ptr, nsize);
    if (p != NULL && ptr == NULL)
        c->live++;
    return p;
}

START_TEST(zone_load_oom)
{
    counting c = {-1, 0};
    cl_env *e = cl_env_new(count_alloc, &c);
    ck_assert_ptr_nonnull(e);
    long base = c.live;
    for (long n = 0;; n++) {
        c.left = n;
        clT_zone *z = NULL;
        cl_error err;
        int rc = clT_zone_load(e, "Europe/Berlin", 13, &z, &err);
        c.left = -1;
        if (rc == CL_OK) {
            ck_assert_int_gt(n, 0);
            clT_zone_free(e, z);
            ck_assert_int_eq(c.live, base);
            break;
        }
        ck_assert_int_eq(rc, CL_ENOMEM);
        ck_assert_ptr_null(z);
        ck_assert_int_eq(c.live, base);
        ck_assert_int_lt(n, 100);
    }
    c.left = 0;
    clT_zone *z = NULL;
    ck_assert_int_eq(clT_zone_load(e, "UTC", 3, &z, NULL), CL_ENOMEM);
    c.left = -1;
    cl_env_free(e);
    ck_assert_int_eq(c.live, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * Shipped calendars
 * ------------------------------------------------------------------------ */

START_TEST(shipped_calendars)
{
    static const char *const want[] = {"christian", "cn-shopping", "india-national",
                                       "uk-bank-holidays", "us-retail"};
    size_t n = 0;
    for (; cl_calendar_name(n) != NULL; n++) {
        ck_assert_uint_lt(n, sizeof want / sizeof *want);
        ck_assert_str_eq(cl_calendar_name(n), want[n]);
        const char *src = cl_calendar_source(want[n]);
        ck_assert_ptr_nonnull(src);
        char line[64];
        snprintf(line, sizeof line, "calendar: %s\n", want[n]);
        ck_assert_ptr_nonnull(strstr(src, line));
        /* Each one loads on its own, and as a whole calendar. */
        char doc[256];
        snprintf(doc, sizeof doc, "calendars: [%s]\ncode: A\nwhen: { holiday: %s }\n"
                 "discount: { percent: 5 }\n", want[n], want[n]);
        cl_error err;
        cl_program *p = cl_compile(env, doc, strlen(doc), "cal.yaml", &err);
        ck_assert_msg(p != NULL, "%s: %s", want[n], err.message);
        cl_program_free(p);
    }
    ck_assert_uint_eq(n, sizeof want / sizeof *want);
    ck_assert_ptr_null(cl_calendar_source("nowhere"));
    ck_assert_ptr_null(cl_calendar_source(NULL));
    ck_assert_ptr_null(cl_calendar_name((size_t)-1));
}
END_TEST

/* A calendar with a `following` day is bounded (the VM works on the stack). */
START_TEST(following_group_limit)
{
    for (int count = CLP_GROUP_MAX; count <= CLP_GROUP_MAX + 1; count++) {
        static char doc[1 << 14];
        size_t k = (size_t)snprintf(doc, sizeof doc, "calendars:\n"
                                    "  - { name: d0, date: \"12-25\", observed: following }\n");
        for (int i = 1; i < count; i++)
            k += (size_t)snprintf(doc + k, sizeof doc - k, "  - { name: d%d, date: \"2026-01-%02d\" }"
                                  "\n", i, i % 28 + 1);
        k += (size_t)snprintf(doc + k, sizeof doc - k, "code: A\nwhen: { holiday: d0 }\n"
                              "discount: { percent: 5 }\n");
        cl_error err;
        cl_program *p = cl_compile(env, doc, k, "big.yaml", &err);
        if (count <= CLP_GROUP_MAX) {
            ck_assert_msg(p != NULL, "%s", err.message);
        } else {
            ck_assert_ptr_null(p);
            ck_assert_int_eq(err.code, CL_ELIMIT);
            ck_assert_uint_eq(err.line, 2);
            ck_assert_ptr_nonnull(strstr(err.message, "at most 64 days"));
        }
        cl_program_free(p);
    }
}
END_TEST

/* Out of memory at every allocation of a compile that loads shipped
 * calendars: a clean CL_ENOMEM each time and no leak, then success. */
START_TEST(calendars_oom)
{
    static const char src[] = "timezone: Europe/London\n"
                              "calendars: [uk-bank-holidays, us-retail, { name: x, date: \"05-04\", "
                              "observed: following }]\n"
                              "code: A\nwhen: { holiday: [uk-bank-holidays, x, us-retail/black-friday] }\n"
                              "discount: { percent: 5 }\n";
    counting c = {-1, 0};
    cl_env *e = cl_env_new(count_alloc, &c);
    ck_assert_ptr_nonnull(e);
    long base = c.live;
    for (long n = 0;; n++) {
        c.left = n;
        cl_error err;
        cl_program *p = cl_compile(e, src, sizeof src - 1, "oom.yaml", &err);
        c.left = -1;
        if (p != NULL) {
            cl_program_free(p);
            ck_assert_int_eq(c.live, base);
            break;
        }
        ck_assert_msg(err.code == CL_ENOMEM, "allocation %ld: code %d at %u:%u %s: %s", n,
                      err.code, err.line, err.column, err.path, err.message);
        ck_assert_int_eq(c.live, base);
        ck_assert_int_lt(n, 100000);
    }
    cl_env_free(e);
    ck_assert_int_eq(c.live, 0);
}
END_TEST

static Suite *tz_suite(void)
{
    Suite *s = suite_create("tz");
    TCase *tc = tcase_create("civil");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, civil_day_by_day);
    tcase_add_test(tc, civil_round_trip);
    tcase_add_test(tc, civil_leap_years);
    tcase_add_test(tc, civil_weekdays);
    tcase_add_test(tc, easter_known);
    tcase_add_test(tc, easter_properties);
    tcase_add_test(tc, nth_weekday_known);
    tcase_add_test(tc, nth_weekday_brute);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_test(tc, text_dates);
    tcase_add_test(tc, text_month_days);
    tcase_add_test(tc, text_times);
    tcase_add_test(tc, text_datetimes);
    tcase_add_test(tc, text_instants);
    suite_add_tcase(s, tc);

    tc = tcase_create("tzif");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup_env, teardown_env);
    tcase_add_test(tc, tzif_versions);
    tcase_add_test(tc, tzif_footer_after_last);
    tcase_add_test(tc, tzif_truncated);
    tcase_add_test(tc, tzif_hostile);
    tcase_add_test(tc, tzif_fuzz);
    tcase_add_test(tc, rule_northern);
    tcase_add_test(tc, rule_southern);
    tcase_add_test(tc, rule_julian_and_zero_based);
    tcase_add_test(tc, rule_extended_times);
    tcase_add_test(tc, rule_permanent_dst);
    tcase_add_test(tc, rule_malformed);
    suite_add_tcase(s, tc);

    tc = tcase_create("zones");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup_env, teardown_env);
    tcase_add_test(tc, real_zones);
    tcase_add_test(tc, gaps_and_overlaps);
    tcase_add_test(tc, local_round_trip);
    tcase_add_test(tc, localize_views);
    tcase_add_test(tc, zone_names);
    tcase_add_test(tc, other_tzdir);
    tcase_add_test(tc, compile_zone_errors);
    tcase_add_test(tc, zone_load_oom);
    suite_add_tcase(s, tc);

    tc = tcase_create("calendars");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup_env, teardown_env);
    tcase_add_test(tc, shipped_calendars);
    tcase_add_test(tc, following_group_limit);
    tcase_add_test(tc, calendars_oom);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tz_suite)
