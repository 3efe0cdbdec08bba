/*
 * test_money.c - unit tests of money.c: the ISO 4217 table, decimal text in
 * and out, checked arithmetic, the 128-bit muldiv (both its paths), rounding,
 * percentages and allocation, and the public Money functions.
 *
 * The property tests compare against references written here from the
 * definitions, not from money.c: 128-bit products in 32-bit limbs, division
 * by bisection on those products, rounding by comparing 2r with d, and
 * allocation by handing leftover units out one at a time.
 */
#include "money.h"
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The portable path of clM_muldiv(), which money.c leaves non-static for
 * these tests. */
extern bool clM_muldiv_portable(int64_t a, int64_t b, int64_t c, int64_t *quot, int64_t *rem);

static const int modes[] = {CLM_HALF_EVEN, CLM_HALF_UP, CLM_DOWN, CLM_UP};

/* ------------------------------------------------------------------------
 * References
 * ------------------------------------------------------------------------ */

/* A 128-bit unsigned number as four 32-bit limbs, least significant first. */
typedef struct wide {
    uint32_t w[4];
} wide;

static wide wide_mul(uint64_t a, uint64_t b)
{
    uint32_t x[2] = {(uint32_t)a, (uint32_t)(a >> 32)};
    uint32_t y[2] = {(uint32_t)b, (uint32_t)(b >> 32)};
    wide p = {{0, 0, 0, 0}};
    for (int i = 0; i < 2; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < 2; j++) {
            uint64_t t = (uint64_t)x[i] * y[j] + p.w[i + j] + carry;
            p.w[i + j] = (uint32_t)t;
            carry = t >> 32;
        }
        p.w[i + 2] = (uint32_t)carry;
    }
    return p;
}

static int wide_cmp(wide a, wide b)
{
    for (int i = 3; i >= 0; i--)
        if (a.w[i] != b.w[i])
            return a.w[i] < b.w[i] ? -1 : 1;
    return 0;
}

/* floor(a * b / c) and the remainder for c > 0, found by bisection on
 * q * c <= a * b. False when the quotient is 2^63 or more. */
static bool ref_divmod(uint64_t a, uint64_t b, uint64_t c, uint64_t *q, uint64_t *r)
{
    wide p = wide_mul(a, b);
    if (wide_cmp(wide_mul(UINT64_C(1) << 63, c), p) <= 0)
        return false;
    uint64_t lo = 0, hi = INT64_MAX;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (wide_cmp(wide_mul(mid, c), p) <= 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    *q = lo;
    *r = a * b - lo * c; /* exact modulo 2^64, and the remainder is below c */
    return true;
}

/* q + r/d (r < d < 2^63) rounded by mode, comparing 2r with d. */
static uint64_t ref_round(uint64_t q, uint64_t r, uint64_t d, int mode)
{
    uint64_t twice = 2 * r;
    switch (mode) {
    case CLM_DOWN:
        return q;
    case CLM_UP:
        return r != 0 ? q + 1 : q;
    case CLM_HALF_UP:
        return r != 0 && twice >= d ? q + 1 : q;
    default:
        if (twice > d || (twice == d && q % 2 == 1))
            return q + 1;
        return q;
    }
}

static int64_t rand_i64(test_rng *r)
{
    uint64_t u = test_rand(r);
    int64_t v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* A non-negative int64 of random bit length, so small and huge both occur. */
static int64_t rand_mag(test_rng *r)
{
    return (int64_t)(test_rand(r) >> (1 + test_rand(r) % 63));
}

/* ------------------------------------------------------------------------
 * Rounding modes and currencies
 * ------------------------------------------------------------------------ */

START_TEST(test_rounding_names)
{
    static const char *const names[] = {"half_even", "half_up", "down", "up"};
    for (int m = 0; m < 4; m++) {
        ck_assert_int_eq(clM_rounding_parse(names[m], strlen(names[m])), m);
        ck_assert_str_eq(clM_rounding_name(m), names[m]);
    }
    ck_assert_int_eq(CLM_HALF_EVEN, 0);
    ck_assert_int_eq(clM_rounding_parse("half_even", 4), -1); /* "half" */
    ck_assert_int_eq(clM_rounding_parse("HALF_EVEN", 9), -1);
    ck_assert_int_eq(clM_rounding_parse("half-even", 9), -1);
    ck_assert_int_eq(clM_rounding_parse("upx", 3), -1); /* counted strings */
    ck_assert_int_eq(clM_rounding_parse("upx", 2), CLM_UP);
    ck_assert_int_eq(clM_rounding_parse("", 0), -1);
    ck_assert_int_eq(clM_rounding_parse(NULL, 0), -1);
    ck_assert_str_eq(clM_rounding_name(-1), "?");
    ck_assert_str_eq(clM_rounding_name(4), "?");
}
END_TEST

START_TEST(test_exponent_spot)
{
    static const struct {
        const char *code;
        int exponent;
    } cases[] = {
        {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CHF", 2}, {"INR", 2}, {"ILS", 2}, {"CNY", 2},
        {"JPY", 0}, {"KRW", 0}, {"VND", 0}, {"CLP", 0}, {"ISK", 0}, {"XOF", 0}, {"XPF", 0},
        {"UGX", 0}, {"KWD", 3}, {"BHD", 3}, {"OMR", 3}, {"JOD", 3}, {"TND", 3}, {"LYD", 3},
        {"IQD", 3}, {"CLF", 4}, {"UYW", 4}, {"AED", 2}, {"ZWG", 2}, {"XCG", 2},
        /* unknown: never assigned, metals and units without minor units, withdrawn */
        {"ABC", -1}, {"ZZZ", -1}, {"AAA", -1}, {"XAU", -1}, {"XAG", -1}, {"XDR", -1},
        {"XTS", -1}, {"XXX", -1}, {"ANG", -1}, {"HRK", -1}, {"SLL", -1},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++)
        ck_assert_msg(clM_exponent(cases[i].code, 3) == cases[i].exponent, "%s: %d, want %d",
                      cases[i].code, clM_exponent(cases[i].code, 3), cases[i].exponent);
    ck_assert_int_eq(clM_exponent("usd", 3), -1);
    ck_assert_int_eq(clM_exponent("Usd", 3), -1);
    ck_assert_int_eq(clM_exponent("US", 2), -1);
    ck_assert_int_eq(clM_exponent("USDX", 4), -1);
    ck_assert_int_eq(clM_exponent("USDX", 3), 2); /* a counted string */
    ck_assert_int_eq(clM_exponent("", 0), -1);
    ck_assert_int_eq(clM_exponent(NULL, 3), -1);
    ck_assert_int_eq(clM_exponent("US1", 3), -1);
    ck_assert_int_eq(clM_exponent("U\0D", 3), -1);
    ck_assert_int_eq(clM_exponent("@AA", 3), -1);
    ck_assert_int_eq(clM_exponent("[AA", 3), -1);
}
END_TEST

/* Every code of ISO 4217 List One (2026-01-01) that has a numeric minor
 * unit, with it. */
static const char iso_list[] =
    "AED2 AFN2 ALL2 AMD2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BHD3 BIF0 BMD2 BND2 BOB2 "
    "BOV2 BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 CHE2 CHF2 CHW2 CLF4 CLP0 CNY2 COP2 COU2 "
    "CRC2 CUP2 CVE2 CZK2 DJF0 DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 GEL2 GHS2 "
    "GIP2 GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2 HUF2 IDR2 ILS2 INR2 IQD3 IRR2 ISK0 JMD2 JOD3 "
    "JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 KYD2 KZT2 LAK2 LBP2 LKR2 LRD2 LSL2 LYD3 MAD2 "
    "MDL2 MGA2 MKD2 MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2 MXV2 MYR2 MZN2 NAD2 NGN2 NIO2 "
    "NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 PHP2 PKR2 PLN2 PYG0 QAR2 RON2 RSD2 RUB2 RWF0 SAR2 "
    "SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 SOS2 SRD2 SSP2 STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 "
    "TND3 TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0 USD2 USN2 UYI0 UYU2 UYW4 UZS2 VED2 VES2 VND0 "
    "VUV0 WST2 XAD2 XAF0 XCD2 XCG2 XOF0 XPF0 YER2 ZAR2 ZMW2 ZWG2 ";

/* The exponent iso_list gives code, or -1. */
static int listed_exponent(const char *code)
{
    for (size_t i = 0; i + 5 <= sizeof iso_list - 1; i += 5)
        if (memcmp(iso_list + i, code, 3) == 0)
            return iso_list[i + 3] - '0';
    return -1;
}

/* All 26^3 codes: the table holds exactly iso_list. A code out of order in
 * the table would be missed by the binary search and fail here too. */
START_TEST(test_exponent_table)
{
    char code[4] = {0};
    int found = 0;
    for (char a = 'A'; a <= 'Z'; a++)
        for (char b = 'A'; b <= 'Z'; b++)
            for (char c = 'A'; c <= 'Z'; c++) {
                code[0] = a, code[1] = b, code[2] = c;
                int got = clM_exponent(code, 3), want = listed_exponent(code);
                REQUIRE(got == want, "%s: %d, want %d", code, got, want);
                found += got >= 0;
            }
    ck_assert_int_eq(found, (int)(sizeof iso_list - 1) / 5);
    ck_assert_int_eq(found, 165);
}
END_TEST

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

START_TEST(test_parse_ok)
{
    static const struct {
        const char *text;
        int exponent;
        bool neg;
        int64_t want;
        int decimals;
    } cases[] = {
        {"0", 2, false, 0, 0},
        {"12", 2, false, 1200, 0},
        {"12.5", 2, false, 1250, 1},
        {"12.50", 2, false, 1250, 2},
        {"0.01", 2, false, 1, 2},
        {"007", 2, false, 700, 0},
        {"0.50", 2, false, 50, 2},
        {"01.5", 2, false, 150, 1},
        {"000000000000000000000000000000001", 0, false, 1, 0},
        {"12", 0, false, 12, 0},
        {"1.234", 3, false, 1234, 3},
        {"1.000", 3, false, 1000, 3},
        {"0.0001", 4, false, 1, 4},
        {"-3.5", 2, true, -350, 1},
        {"-0", 2, true, 0, 0},
        {"-0.00", 2, true, 0, 2},
        {"-12", 0, true, -12, 0},
        {"12.5", 2, true, 1250, 1},
        {"9223372036854775807", 0, false, INT64_MAX, 0},
        {"92233720368547758.07", 2, false, INT64_MAX, 2},
        {"922337203685477.5807", 4, false, INT64_MAX, 4},
        {"-9223372036854775808", 0, true, INT64_MIN, 0},
        {"-92233720368547758.08", 2, true, INT64_MIN, 2},
        {"0", 30, false, 0, 0},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        int64_t out = -77;
        int dec = -1;
        int rc = clM_parse(cases[i].text, strlen(cases[i].text), cases[i].exponent,
                           cases[i].neg, &out, &dec);
        ck_assert_msg(rc == CL_OK, "%s: rc %d", cases[i].text, rc);
        ck_assert_msg(out == cases[i].want, "%s: %" PRId64, cases[i].text, out);
        ck_assert_msg(dec == cases[i].decimals, "%s: %d decimals", cases[i].text, dec);
        /* decimals may be NULL */
        rc = clM_parse(cases[i].text, strlen(cases[i].text), cases[i].exponent, cases[i].neg,
                       &out, NULL);
        ck_assert_int_eq(rc, CL_OK);
    }
    /* only n bytes are read */
    int64_t out = 0;
    ck_assert_int_eq(clM_parse("12.505", 5, 2, false, &out, NULL), CL_OK);
    ck_assert_int_eq(out, 1250);
    ck_assert_int_eq(clM_parse("7x", 1, 0, false, &out, NULL), CL_OK);
    ck_assert_int_eq(out, 7);
}
END_TEST

START_TEST(test_parse_malformed)
{
    static const char *const bad[] = {
        "", "-", ".", "1.", ".5", "-.5", "+1", "1e3", "1E3", " 1", "1 ", "1,000", "1,5",
        "1.2.3", "--1", "-+1", "0x10", "1_000", "12a", "a12", "1.5 ", "1. 5", "\xd9\xa1",
        "\xef\xbc\x91", "1.-5", "Infinity", "NaN", "\t1",
    };
    for (size_t i = 0; i < CL_COUNTOF(bad); i++) {
        for (int neg = 0; neg <= 1; neg++) {
            int64_t out = -77;
            int dec = -1;
            int rc = clM_parse(bad[i], strlen(bad[i]), 2, neg, &out, &dec);
            ck_assert_msg(rc == CL_EAMOUNT, "\"%s\": rc %d", bad[i], rc);
            ck_assert_msg(out == -77, "\"%s\": *out written", bad[i]);
            ck_assert_msg(dec == 0, "\"%s\": %d decimals", bad[i], dec);
        }
    }
    int64_t out = -77;
    ck_assert_int_eq(clM_parse("1\0", 2, 2, false, &out, NULL), CL_EAMOUNT); /* embedded NUL */
    ck_assert_int_eq(clM_parse(NULL, 0, 2, false, &out, NULL), CL_EAMOUNT);
    ck_assert_int_eq(clM_parse("1", 1, -1, false, &out, NULL), CL_EAMOUNT);
    ck_assert_int_eq(out, -77);
}
END_TEST

START_TEST(test_parse_decimals)
{
    static const struct {
        const char *text;
        const char *currency;
        int rc;
        int decimals;
    } cases[] = {
        {"1.234", "USD", CL_EAMOUNT, 3}, {"1.23", "USD", CL_OK, 2},
        {"1.500", "USD", CL_EAMOUNT, 3}, /* trailing zeros count: text is exact */
        {"0.001", "USD", CL_EAMOUNT, 3}, {"1.5", "JPY", CL_EAMOUNT, 1},
        {"1.0", "JPY", CL_EAMOUNT, 1},   {"100", "JPY", CL_OK, 0},
        {"1.0001", "KWD", CL_EAMOUNT, 4}, {"1.001", "KWD", CL_OK, 3},
        {"1.12345", "CLF", CL_EAMOUNT, 5}, {"1.1234", "CLF", CL_OK, 4},
        {"1.0000000000000000000000000", "USD", CL_EAMOUNT, 25},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        int e = clM_exponent(cases[i].currency, 3);
        int64_t out = -77;
        int dec = -1;
        int rc = clM_parse(cases[i].text, strlen(cases[i].text), e, false, &out, &dec);
        ck_assert_msg(rc == cases[i].rc, "%s %s: rc %d", cases[i].text, cases[i].currency, rc);
        ck_assert_msg(dec == cases[i].decimals, "%s: %d decimals", cases[i].text, dec);
        if (rc != CL_OK)
            ck_assert_msg(out == -77, "%s: *out written", cases[i].text);
    }
}
END_TEST

START_TEST(test_parse_overflow)
{
    static const struct {
        const char *text;
        int exponent;
        bool neg;
        int rc;
    } cases[] = {
        {"9223372036854775807", 0, false, CL_OK},
        {"9223372036854775808", 0, false, CL_EOVERFLOW},
        {"9223372036854775808", 0, true, CL_EOVERFLOW}, /* positive, even if negatives are ok */
        {"-9223372036854775808", 0, true, CL_OK},
        {"-9223372036854775809", 0, true, CL_EOVERFLOW},
        {"92233720368547758.07", 2, false, CL_OK},
        {"92233720368547758.08", 2, false, CL_EOVERFLOW},
        {"92233720368547758.1", 2, false, CL_EOVERFLOW},  /* overflows in the padding */
        {"92233720368547758", 2, false, CL_OK},
        {"92233720368547759", 2, false, CL_EOVERFLOW},
        {"-92233720368547758.08", 2, true, CL_OK},
        {"-92233720368547758.09", 2, true, CL_EOVERFLOW},
        {"-92233720368547759", 2, true, CL_EOVERFLOW},
        {"18446744073709551616", 0, false, CL_EOVERFLOW}, /* 2^64 must not wrap to 0 */
        {"18446744073709551617", 0, false, CL_EOVERFLOW},
        {"99999999999999999999999999999999", 0, false, CL_EOVERFLOW},
        {"922337203685477.5808", 4, false, CL_EOVERFLOW},
        {"1", 19, false, CL_EOVERFLOW},
        {"0.0000000000000000001", 19, false, CL_OK},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        int64_t out = -77;
        int dec = -1;
        int rc = clM_parse(cases[i].text, strlen(cases[i].text), cases[i].exponent,
                           cases[i].neg, &out, &dec);
        ck_assert_msg(rc == cases[i].rc, "%s: rc %d, want %d", cases[i].text, rc, cases[i].rc);
        if (rc == CL_EOVERFLOW)
            ck_assert_msg(out == -77, "%s: *out written", cases[i].text);
        const char *dot = strchr(cases[i].text, '.');
        ck_assert_int_eq(dec, dot ? (int)strlen(dot + 1) : 0);
    }
}
END_TEST

START_TEST(test_parse_negative)
{
    int64_t out = -77;
    int dec = -1;
    ck_assert_int_eq(clM_parse("-1", 2, 2, false, &out, &dec), CL_EAMOUNT);
    ck_assert_int_eq(dec, 0);
    ck_assert_int_eq(clM_parse("-0", 2, 2, false, &out, &dec), CL_EAMOUNT);
    ck_assert_int_eq(clM_parse("-1.234", 6, 2, false, &out, &dec), CL_EAMOUNT);
    ck_assert_int_eq(dec, 0); /* the sign is the first complaint */
    ck_assert_int_eq(out, -77);
    ck_assert_int_eq(clM_parse("-1", 2, 2, true, &out, &dec), CL_OK);
    ck_assert_int_eq(out, -100);
    ck_assert_int_eq(clM_parse("-1.234", 6, 2, true, &out, &dec), CL_EAMOUNT);
    ck_assert_int_eq(dec, 3);
    ck_assert_int_eq(clM_parse("-0.05", 5, 2, true, &out, &dec), CL_OK);
    ck_assert_int_eq(out, -5);
    ck_assert_int_eq(clM_parse("-007", 4, 0, true, &out, &dec), CL_OK);
    ck_assert_int_eq(out, -7);
}
END_TEST

/* ------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

START_TEST(test_format_table)
{
    static const struct {
        int64_t minor;
        int exponent;
        const char *want;
    } cases[] = {
        {0, 2, "0.00"}, {5, 2, "0.05"}, {-5, 2, "-0.05"}, {50, 2, "0.50"}, {100, 2, "1.00"},
        {1250, 2, "12.50"}, {-1250, 2, "-12.50"}, {0, 0, "0"}, {12, 0, "12"}, {-12, 0, "-12"},
        {1234, 3, "1.234"}, {-1, 3, "-0.001"}, {1, 4, "0.0001"}, {123456, 4, "12.3456"},
        {INT64_MAX, 2, "92233720368547758.07"}, {INT64_MIN, 2, "-92233720368547758.08"},
        {INT64_MAX, 0, "9223372036854775807"}, {INT64_MIN, 0, "-9223372036854775808"},
        {INT64_MIN + 1, 0, "-9223372036854775807"},
        {INT64_MAX, 18, "9.223372036854775807"}, {INT64_MIN, 18, "-9.223372036854775808"},
        {1, 18, "0.000000000000000001"}, {-1, 18, "-0.000000000000000001"},
        {12, -1, "12"},                          /* clamped to 0 */
        {1, 40, "0.000000000000000001"},         /* clamped to 18 */
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        char buf[32];
        size_t n = clM_format(cases[i].minor, cases[i].exponent, buf, sizeof buf);
        ck_assert_str_eq(buf, cases[i].want);
        ck_assert_uint_eq(n, strlen(cases[i].want));
    }
}
END_TEST

START_TEST(test_format_truncation)
{
    char buf[8];
    memset(buf, 'z', sizeof buf);
    ck_assert_uint_eq(clM_format(-1250, 2, buf, 4), 6);
    ck_assert_str_eq(buf, "-12");
    ck_assert_int_eq(buf[4], 'z');
    ck_assert_uint_eq(clM_format(-1250, 2, buf, 1), 6);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(buf[1], '1'); /* left from before: nothing past size */
    ck_assert_uint_eq(clM_format(-1250, 2, NULL, 0), 6);
    ck_assert_uint_eq(clM_format(-1250, 2, buf, 7), 6);
    ck_assert_str_eq(buf, "-12.50");
    ck_assert_uint_eq(clM_format(-1250, 2, buf, 6), 6);
    ck_assert_str_eq(buf, "-12.5");
}
END_TEST

/* parse(format(x)) == x for random x of every size and sign, with every
 * exponent a format can carry; 32 bytes always suffice. */
START_TEST(test_format_roundtrip)
{
    test_rng rng = {0x6d6f6e6579ull};
    static const int64_t extremes[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN,
                                       INT64_MAX - 1, INT64_MIN + 1};
    for (int i = 0; i < 50000; i++) {
        int64_t x;
        if (i < (int)CL_COUNTOF(extremes) * 19)
            x = extremes[i / 19];
        else if (i % 2)
            x = rand_i64(&rng);
        else
            x = test_rand(&rng) % 2 ? rand_mag(&rng) : -rand_mag(&rng);
        int e = i < (int)CL_COUNTOF(extremes) * 19 ? i % 19 : (int)(test_rand(&rng) % 19);
        char buf[32];
        size_t n = clM_format(x, e, buf, sizeof buf);
        REQUIRE(n < sizeof buf && n == strlen(buf), "%" PRId64 " e%d: length %zu", x, e, n);
        int64_t back = 0;
        int dec = -1;
        int rc = clM_parse(buf, n, e, true, &back, &dec);
        REQUIRE(rc == CL_OK && back == x && dec == e, "%" PRId64 " e%d: \"%s\" -> rc %d %" PRId64
                " (%d decimals)", x, e, buf, rc, back, dec);
        if (x >= 0)
            REQUIRE(clM_parse(buf, n, e, false, &back, NULL) == CL_OK && back == x,
                    "\"%s\" without negatives", buf);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Checked arithmetic
 * ------------------------------------------------------------------------ */

START_TEST(test_add)
{
    static const struct {
        int64_t a, b;
        bool ok;
        int64_t sum;
    } cases[] = {
        {1, 2, true, 3}, {-5, 3, true, -2}, {INT64_MAX, 0, true, INT64_MAX},
        {INT64_MAX, 1, false, 0}, {INT64_MIN, -1, false, 0}, {INT64_MIN, 0, true, INT64_MIN},
        {INT64_MAX, INT64_MIN, true, -1}, {INT64_MIN, INT64_MIN, false, 0},
        {INT64_MAX - 5, 5, true, INT64_MAX}, {INT64_MAX - 5, 6, false, 0},
        {INT64_MIN + 5, -5, true, INT64_MIN}, {INT64_MIN + 5, -6, false, 0},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        for (int swap = 0; swap <= 1; swap++) {
            int64_t a = swap ? cases[i].b : cases[i].a, b = swap ? cases[i].a : cases[i].b;
            int64_t out = 77;
            bool ok = clM_add(a, b, &out);
            ck_assert_msg(ok == cases[i].ok, "%" PRId64 " + %" PRId64, a, b);
            ck_assert_int_eq(out, ok ? cases[i].sum : 77);
        }
    }
    /* against wrap-around arithmetic: overflow iff the signs agree and the
     * wrapped sum's sign differs */
    test_rng rng = {0xadd};
    for (int i = 0; i < 100000; i++) {
        int64_t a = i % 2 ? rand_i64(&rng) : rand_mag(&rng), b = rand_i64(&rng), out;
        uint64_t s = (uint64_t)a + (uint64_t)b;
        bool sa = a < 0, sb = b < 0, ss = (s >> 63) != 0;
        bool want = !(sa == sb && ss != sa);
        bool ok = clM_add(a, b, &out);
        REQUIRE(ok == want && (!ok || (uint64_t)out == s), "%" PRId64 " + %" PRId64, a, b);
    }
}
END_TEST

START_TEST(test_mul)
{
    const int64_t p62 = INT64_C(1) << 62;
    static const struct {
        int64_t a, b;
        bool ok;
        int64_t product;
    } cases[] = {
        {0, INT64_MIN, true, 0}, {INT64_MAX, 1, true, INT64_MAX}, {INT64_MIN, 1, true, INT64_MIN},
        {INT64_MIN, -1, false, 0}, {INT64_MAX, -1, true, -INT64_MAX}, {INT64_MAX, 2, false, 0},
        {3037000499, 3037000499, true, INT64_C(9223372030926249001)},
        {3037000500, 3037000500, false, 0}, {-3037000500, 3037000500, false, 0},
        {-3037000499, -3037000499, true, INT64_C(9223372030926249001)},
        {-7, 6, true, -42}, {-7, -6, true, 42},
        {-1, -INT64_MAX, true, INT64_MAX}, {-2, -(INT64_MAX / 2), true, INT64_MAX - 1},
        {-2, -(INT64_MAX / 2) - 1, false, 0}, {2, INT64_MIN / 2, true, INT64_MIN},
        {2, INT64_MIN / 2 - 1, false, 0},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        for (int swap = 0; swap <= 1; swap++) {
            int64_t a = swap ? cases[i].b : cases[i].a, b = swap ? cases[i].a : cases[i].b;
            int64_t out = 77;
            bool ok = clM_mul(a, b, &out);
            ck_assert_msg(ok == cases[i].ok, "%" PRId64 " * %" PRId64, a, b);
            ck_assert_int_eq(out, ok ? cases[i].product : 77);
        }
    }
    int64_t out;
    ck_assert(!clM_mul(p62, 2, &out));
    ck_assert(clM_mul(p62, -2, &out) && out == INT64_MIN);
    ck_assert(clM_mul(-p62, 2, &out) && out == INT64_MIN);
    ck_assert(!clM_mul(-p62, -2, &out));
    /* against the magnitudes' 128-bit product */
    test_rng rng = {0x3317};
    for (int i = 0; i < 100000; i++) {
        int64_t a = i % 3 ? rand_mag(&rng) : rand_i64(&rng);
        int64_t b = i % 5 ? rand_mag(&rng) : rand_i64(&rng);
        if (test_rand(&rng) % 2)
            a = -a;
        uint64_t ma = a < 0 ? 0 - (uint64_t)a : (uint64_t)a;
        uint64_t mb = b < 0 ? 0 - (uint64_t)b : (uint64_t)b;
        uint64_t bound = (a < 0) != (b < 0) ? UINT64_C(1) << 63 : (uint64_t)INT64_MAX;
        wide p = wide_mul(ma, mb), lim = wide_mul(bound, 1);
        bool want = wide_cmp(p, lim) <= 0;
        bool ok = clM_mul(a, b, &out);
        REQUIRE(ok == want && (!ok || (uint64_t)out == (uint64_t)a * (uint64_t)b),
                "%" PRId64 " * %" PRId64, a, b);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * muldiv, both paths
 * ------------------------------------------------------------------------ */

typedef bool (*muldiv_fn)(int64_t, int64_t, int64_t, int64_t *, int64_t *);

static const struct {
    const char *name;
    muldiv_fn fn;
} muldivs[] = {{"clM_muldiv", clM_muldiv}, {"clM_muldiv_portable", clM_muldiv_portable}};

START_TEST(test_muldiv_table)
{
    static const struct {
        int64_t a, b, c;
        bool ok;
        int64_t q, r;
    } cases[] = {
        {0, 5, 3, true, 0, 0}, {7, 3, 2, true, 10, 1}, {5, 0, 7, true, 0, 0},
        {1, 1, INT64_MAX, true, 0, 1},
        {INT64_MAX, INT64_MAX, INT64_MAX, true, INT64_MAX, 0},
        {INT64_MAX, 2, 2, true, INT64_MAX, 0},
        {INT64_MAX, 2, 1, false, 0, 0},
        {INT64_C(1) << 62, 2, 1, false, 0, 0},
        {INT64_MAX, INT64_MAX, 1, false, 0, 0},
        {INT64_MAX, INT64_MAX - 1, INT64_MAX, true, INT64_MAX - 1, 0},
        {INT64_MAX, INT64_MAX, INT64_MAX - 1, false, 0, 0},
        {INT64_MAX, 3, 2, false, 0, 0},
        {INT64_C(4294967297), INT64_C(4294967295), 2, true, INT64_MAX, 1}, /* (2^64-1)/2 */
        {INT64_C(4294967296), INT64_C(4294967296), 2, false, 0, 0},          /* 2^63 */
        {INT64_C(998) , 1000, 2996, true, 333, 332},
        {-1, 1, 1, false, 0, 0}, {1, -1, 1, false, 0, 0}, {1, 1, 0, false, 0, 0},
        {1, 1, -1, false, 0, 0},
    };
    for (size_t f = 0; f < CL_COUNTOF(muldivs); f++) {
        for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
            int64_t q = -77, r = -77;
            bool ok = muldivs[f].fn(cases[i].a, cases[i].b, cases[i].c, &q, &r);
            ck_assert_msg(ok == cases[i].ok, "%s case %zu", muldivs[f].name, i);
            if (ok)
                ck_assert_msg(q == cases[i].q && r == cases[i].r, "%s case %zu: %" PRId64
                              " r %" PRId64, muldivs[f].name, i, q, r);
        }
    }
}
END_TEST

/* A random triple whose product and quotient sizes vary widely, so that
 * both the overflowing and the fitting side are well covered. */
static void random_triple(test_rng *rng, int64_t *a, int64_t *b, int64_t *c)
{
    *a = rand_mag(rng);
    *b = rand_mag(rng);
    *c = rand_mag(rng);
    switch (test_rand(rng) % 8) {
    case 0:
        *c = *a; /* quotient b */
        break;
    case 1:
        *a = INT64_MAX;
        break;
    case 2:
        *c = INT64_MAX - (int64_t)(test_rand(rng) % 3);
        break;
    default:
        break;
    }
    if (*c == 0)
        *c = 1;
}

START_TEST(test_muldiv_random)
{
    test_rng rng = {0x128};
    int fits = 0;
    for (int i = 0; i < 100000; i++) {
        int64_t a, b, c;
        random_triple(&rng, &a, &b, &c);
        uint64_t wq, wr;
        bool want = ref_divmod((uint64_t)a, (uint64_t)b, (uint64_t)c, &wq, &wr);
#ifdef __SIZEOF_INT128__
        __extension__ typedef unsigned __int128 u128;
        u128 p = (u128)(uint64_t)a * (uint64_t)b;
        REQUIRE(want == (p / (uint64_t)c <= (u128)INT64_MAX), "reference disagrees");
        REQUIRE(!want || (wq == (uint64_t)(p / (uint64_t)c) && wr == (uint64_t)(p % (uint64_t)c)),
                "reference disagrees with __int128");
#endif
        fits += want;
        for (size_t f = 0; f < CL_COUNTOF(muldivs); f++) {
            int64_t q = -1, r = -1;
            bool ok = muldivs[f].fn(a, b, c, &q, &r);
            REQUIRE(ok == want && (!ok || ((uint64_t)q == wq && (uint64_t)r == wr)),
                    "%s(%" PRId64 ", %" PRId64 ", %" PRId64 "): %d %" PRId64 " r %" PRId64,
                    muldivs[f].name, a, b, c, ok, q, r);
        }
    }
    ck_assert_int_gt(fits, 10000);          /* both sides well covered */
    ck_assert_int_lt(fits, 100000 - 10000);
}
END_TEST

/* ------------------------------------------------------------------------
 * Rounding: scale and percent
 * ------------------------------------------------------------------------ */

START_TEST(test_scale_table)
{
    /* a / den under half_even, half_up, down, up */
    static const struct {
        int64_t a, num, den;
        int64_t want[4];
    } cases[] = {
        {14, 1, 10, {1, 1, 1, 2}},  /* 1.4 */
        {15, 1, 10, {2, 2, 1, 2}},  /* 1.5 */
        {16, 1, 10, {2, 2, 1, 2}},  /* 1.6 */
        {24, 1, 10, {2, 2, 2, 3}},  /* 2.4 */
        {25, 1, 10, {2, 3, 2, 3}},  /* 2.5 */
        {26, 1, 10, {3, 3, 2, 3}},  /* 2.6 */
        {20, 1, 10, {2, 2, 2, 2}},  /* 2.0 */
        {5, 1, 10, {0, 1, 0, 1}},   /* 0.5 */
        {1, 1, 10, {0, 0, 0, 1}},   /* 0.1 */
        {9, 1, 10, {1, 1, 0, 1}},   /* 0.9 */
        {0, 1, 10, {0, 0, 0, 0}},
        {1, 1, 3, {0, 0, 0, 1}},    /* 0.33 */
        {2, 1, 3, {1, 1, 0, 1}},    /* 0.67 */
        {7, 5, 2, {18, 18, 17, 18}},  /* 17.5 */
        {7, 3, 2, {10, 11, 10, 11}},  /* 10.5 */
        {INT64_MAX, 1, 1, {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}},
        {INT64_MAX, INT64_MAX - 1, INT64_MAX,
         {INT64_MAX - 1, INT64_MAX - 1, INT64_MAX - 1, INT64_MAX - 1}},
        {1, 1, INT64_MAX, {0, 0, 0, 1}},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++)
        for (int m = 0; m < 4; m++) {
            int64_t out = -77;
            ck_assert_msg(clM_scale(cases[i].a, cases[i].num, cases[i].den, modes[m], &out),
                          "case %zu %s failed", i, clM_rounding_name(m));
            ck_assert_msg(out == cases[i].want[m], "case %zu %s: %" PRId64, i,
                          clM_rounding_name(m), out);
        }
    /* (2^64 - 1) / 2 = INT64_MAX + 1/2: rounding up passes INT64_MAX */
    int64_t out = -77;
    const int64_t a = INT64_C(4294967297), b = INT64_C(4294967295);
    ck_assert(!clM_scale(a, b, 2, CLM_HALF_EVEN, &out)); /* INT64_MAX is odd */
    ck_assert(!clM_scale(a, b, 2, CLM_HALF_UP, &out));
    ck_assert(!clM_scale(a, b, 2, CLM_UP, &out));
    ck_assert(clM_scale(a, b, 2, CLM_DOWN, &out) && out == INT64_MAX);
    ck_assert(!clM_scale(INT64_MAX, 3, 2, CLM_DOWN, &out));
    ck_assert(!clM_scale(-1, 1, 1, CLM_DOWN, &out));
    ck_assert(!clM_scale(1, 1, 0, CLM_DOWN, &out));
    /* an unknown mode rounds as the default, half_even */
    ck_assert(clM_scale(25, 1, 10, 99, &out) && out == 2);
    ck_assert(clM_scale(15, 1, 10, -1, &out) && out == 2);
}
END_TEST

START_TEST(test_scale_random)
{
    test_rng rng = {0x5ca1e};
    for (int i = 0; i < 100000; i++) {
        int64_t a, num, den;
        random_triple(&rng, &a, &num, &den);
        if (i % 4 == 0)
            den = 1 + (int64_t)(test_rand(&rng) % 20); /* frequent exact halves */
        int mode = modes[i % 4];
        uint64_t q, r;
        bool fits = ref_divmod((uint64_t)a, (uint64_t)num, (uint64_t)den, &q, &r);
        uint64_t want = fits ? ref_round(q, r, (uint64_t)den, mode) : 0;
        fits = fits && want <= (uint64_t)INT64_MAX;
        int64_t out = -1;
        bool ok = clM_scale(a, num, den, mode, &out);
        REQUIRE(ok == fits && (!ok || (uint64_t)out == want), "scale(%" PRId64 ", %" PRId64
                ", %" PRId64 ", %s): %d %" PRId64, a, num, den, clM_rounding_name(mode), ok, out);
    }
}
END_TEST

START_TEST(test_percent_table)
{
    static const struct {
        int64_t amount, bp;
        int64_t want[4]; /* half_even, half_up, down, up */
    } cases[] = {
        {2996, 1250, {374, 375, 374, 375}},  /* 12.5% of 29.96 = 3.745 */
        {1996, 1250, {250, 250, 249, 250}},  /* 12.5% of 19.96 = 2.495 */
        {1000, 1000, {100, 100, 100, 100}},
        {1, 5000, {0, 1, 0, 1}},
        {3, 5000, {2, 2, 1, 2}},
        {1, 1, {0, 0, 0, 1}},
        {9999, 1, {1, 1, 0, 1}},
        {15000, 1, {2, 2, 1, 2}},   /* 1.5: the whole quotient's parity decides */
        {25000, 1, {2, 3, 2, 3}},   /* 2.5 */
        {0, 1250, {0, 0, 0, 0}},
        {12345, 0, {0, 0, 0, 0}},
        {12345, 10000, {12345, 12345, 12345, 12345}},
        {INT64_MAX, 10000, {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX}},
        {INT64_MAX, 5000, /* 4611686018427387903.5 */
         {INT64_C(4611686018427387904), INT64_C(4611686018427387904),
          INT64_C(4611686018427387903), INT64_C(4611686018427387904)}},
        {INT64_MAX, 9999, /* 9222449699651090329.4193 */
         {INT64_C(9222449699651090329), INT64_C(9222449699651090329),
          INT64_C(9222449699651090329), INT64_C(9222449699651090330)}},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++)
        for (int m = 0; m < 4; m++) {
            int64_t got = clM_percent(cases[i].amount, cases[i].bp, modes[m]);
            ck_assert_msg(got == cases[i].want[m], "%" PRId64 " x %" PRId64 " bp %s: %" PRId64,
                          cases[i].amount, cases[i].bp, clM_rounding_name(m), got);
        }
    /* outside the contract: 0 */
    ck_assert_int_eq(clM_percent(-1, 100, CLM_HALF_EVEN), 0);
    ck_assert_int_eq(clM_percent(100, -1, CLM_HALF_EVEN), 0);
    ck_assert_int_eq(clM_percent(100, 10001, CLM_HALF_EVEN), 0);
    /* an unknown mode rounds as half_even */
    ck_assert_int_eq(clM_percent(2996, 1250, 42), 374);
}
END_TEST

START_TEST(test_percent_random)
{
    test_rng rng = {0x9e3779b97f4a7c15ull};
    for (int i = 0; i < 100000; i++) {
        int64_t amount = i % 3 == 0 ? (int64_t)(test_rand(&rng) >> 1) : rand_mag(&rng);
        int64_t bp = i % 7 == 0 ? (int64_t)(test_rand(&rng) % 3) * 5000
                                : (int64_t)(test_rand(&rng) % 10001);
        int mode = modes[test_rand(&rng) % 4];
        uint64_t q, r;
        bool fits = ref_divmod((uint64_t)amount, (uint64_t)bp, 10000, &q, &r);
        REQUIRE(fits, "reference overflow");
        uint64_t want = ref_round(q, r, 10000, mode);
        int64_t got = clM_percent(amount, bp, mode);
        REQUIRE((uint64_t)got == want && got <= amount, "%" PRId64 " x %" PRId64 " bp %s: %"
                PRId64 ", want %" PRIu64, amount, bp, clM_rounding_name(mode), got, want);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------ */

#define MAX_LINES 40

/* Allocates and compares with want[0..n). */
static void check_allocation(int64_t total, const int64_t *w, size_t n, const int64_t *want)
{
    int64_t shares[MAX_LINES];
    size_t scratch[MAX_LINES];
    ck_assert(clM_allocate(total, w, n, shares, scratch));
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(shares[i] == want[i], "total %" PRId64 ", line %zu: %" PRId64 ", want %"
                      PRId64, total, i, shares[i], want[i]);
}

START_TEST(test_allocate_examples)
{
    /* SPEC and the conformance cases: 9.98, 9.99, 9.99 */
    const int64_t lines[] = {998, 999, 999};
    check_allocation(1000, lines, 3, (const int64_t[]){333, 334, 333});
    check_allocation(374, lines, 3, (const int64_t[]){124, 125, 125});
    check_allocation(2996, lines, 3, lines);
    check_allocation(0, lines, 3, (const int64_t[]){0, 0, 0});
    check_allocation(1, lines, 3, (const int64_t[]){0, 1, 0});
    check_allocation(2, lines, 3, (const int64_t[]){0, 1, 1});
    /* ties: the larger weight, then the lower index */
    check_allocation(2, (const int64_t[]){1, 3}, 2, (const int64_t[]){0, 2});
    check_allocation(2, (const int64_t[]){3, 1}, 2, (const int64_t[]){2, 0});
    check_allocation(1, (const int64_t[]){2, 2}, 2, (const int64_t[]){1, 0});
    check_allocation(1, (const int64_t[]){5, 5, 5}, 3, (const int64_t[]){1, 0, 0});
    check_allocation(2, (const int64_t[]){5, 5, 5}, 3, (const int64_t[]){1, 1, 0});
    check_allocation(1, (const int64_t[]){1, 1, 2}, 3, (const int64_t[]){0, 0, 1}); /* 1/4 1/4 2/4 */
    check_allocation(1, (const int64_t[]){2, 1, 1}, 3, (const int64_t[]){1, 0, 0});
    /* the largest remainder beats the larger weight: 7 * 3 / 10 = 2.1, 3 * 3 / 10 = 0.9 */
    check_allocation(3, (const int64_t[]){7, 3}, 2, (const int64_t[]){2, 1});
    /* zero weights never get a unit */
    check_allocation(3, (const int64_t[]){0, 5, 0}, 3, (const int64_t[]){0, 3, 0});
    check_allocation(1, (const int64_t[]){0, 1, 1, 0}, 4, (const int64_t[]){0, 1, 0, 0});
    check_allocation(0, (const int64_t[]){0, 0}, 2, (const int64_t[]){0, 0});
    /* products far beyond int64 */
    const int64_t half = INT64_MAX / 2;
    check_allocation(INT64_MAX - 1, (const int64_t[]){half, half}, 2,
                     (const int64_t[]){half, half});
    check_allocation(3, (const int64_t[]){half, half}, 2, (const int64_t[]){2, 1});
    check_allocation(12345, (const int64_t[]){INT64_MAX}, 1, (const int64_t[]){12345});
    check_allocation(INT64_MAX, (const int64_t[]){INT64_MAX - 3, 1, 1, 1}, 4,
                     (const int64_t[]){INT64_MAX - 3, 1, 1, 1});
}
END_TEST

START_TEST(test_allocate_invalid)
{
    int64_t shares[4] = {-9, -9, -9, -9};
    size_t scratch[4];
    ck_assert(clM_allocate(0, NULL, 0, NULL, NULL)); /* n = 0 */
    ck_assert(!clM_allocate(1, NULL, 0, NULL, NULL));
    ck_assert(!clM_allocate(-1, (const int64_t[]){5}, 1, shares, scratch));
    ck_assert(!clM_allocate(1, (const int64_t[]){5, -1}, 2, shares, scratch));
    ck_assert(!clM_allocate(6, (const int64_t[]){5}, 1, shares, scratch));
    ck_assert(!clM_allocate(1, (const int64_t[]){0, 0}, 2, shares, scratch));
    ck_assert(!clM_allocate(1, (const int64_t[]){INT64_MAX, 1}, 2, shares, scratch));
    ck_assert(clM_allocate(0, (const int64_t[]){0, 0, 0}, 3, shares, scratch));
    ck_assert(shares[0] == 0 && shares[1] == 0 && shares[2] == 0 && shares[3] == -9);
}
END_TEST

/* The exact shares of one cart, from the reference division: floor[i] and
 * rem[i] with weights[i] * total = floor[i] * sum + rem[i]. */
typedef struct exact {
    uint64_t floor[MAX_LINES];
    uint64_t rem[MAX_LINES];
} exact;

static void exact_shares(int64_t total, const int64_t *w, size_t n, int64_t sum, exact *x)
{
    for (size_t i = 0; i < n; i++) {
        x->floor[i] = x->rem[i] = 0;
        if (sum > 0)
            REQUIRE(ref_divmod((uint64_t)w[i], (uint64_t)total, (uint64_t)sum, &x->floor[i],
                               &x->rem[i]), "reference overflow");
    }
}

/* The reference: the floors, then the leftover units handed out one at a
 * time to the best line not served yet. */
static void ref_allocate(int64_t total, const int64_t *w, size_t n, const exact *x, int64_t *out)
{
    int64_t left = total;
    bool served[MAX_LINES] = {false};
    for (size_t i = 0; i < n; i++) {
        out[i] = (int64_t)x->floor[i];
        left -= out[i];
    }
    for (; left > 0; left--) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!served[i] && (best == n || x->rem[i] > x->rem[best] ||
                               (x->rem[i] == x->rem[best] && w[i] > w[best])))
                best = i;
        served[best] = true;
        out[best]++;
    }
}

static int64_t random_weight(test_rng *rng, int kind)
{
    static const int64_t few[] = {0, 1, 999, 1000, 1000000000};
    switch (kind) {
    case 0:
        return test_range(rng, 0, 1000000000);
    case 1:
        return test_range(rng, 0, 10);
    case 2:
        return few[test_rand(rng) % CL_COUNTOF(few)];
    default:
        return test_range(rng, 0, INT64_MAX / MAX_LINES);
    }
}

static int64_t random_total(test_rng *rng, int64_t sum, size_t n)
{
    switch (test_rand(rng) % 5) {
    case 0:
        return sum;
    case 1:
        return test_range(rng, 0, sum < (int64_t)(2 * n) ? sum : (int64_t)(2 * n));
    default:
        return test_range(rng, 0, sum);
    }
}

/* Checks the allocation rules of one cart directly: the sum, the bounds,
 * floor or floor + 1 of the exact share, and that no line that got its
 * floor ranks before a line that got floor + 1. */
static void check_rules(int64_t total, const int64_t *w, size_t n, const exact *x,
                        const int64_t *shares)
{
    int64_t added = 0;
    bool extra[MAX_LINES];
    for (size_t i = 0; i < n; i++) {
        uint64_t q = x->floor[i];
        REQUIRE(shares[i] >= 0 && shares[i] <= w[i], "line %zu out of bounds", i);
        REQUIRE((uint64_t)shares[i] == q || (uint64_t)shares[i] == q + 1,
                "line %zu: %" PRId64 " is not floor or floor + 1 of %" PRIu64, i, shares[i], q);
        extra[i] = (uint64_t)shares[i] == q + 1;
        added += shares[i];
    }
    REQUIRE(added == total, "shares add up to %" PRId64 ", not %" PRId64, added, total);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (extra[i] && !extra[j]) {
                const uint64_t *rem = x->rem;
                bool i_first = rem[i] > rem[j] ||
                               (rem[i] == rem[j] && (w[i] > w[j] || (w[i] == w[j] && i < j)));
                REQUIRE(i_first, "line %zu got a leftover unit before line %zu", i, j);
            }
}

START_TEST(test_allocate_random)
{
    test_rng rng = {0xa110c};
    int64_t w[MAX_LINES], shares[MAX_LINES], want[MAX_LINES];
    size_t scratch[MAX_LINES];
    for (int cart = 0; cart < 12000; cart++) {
        size_t n = (size_t)test_range(&rng, 1, MAX_LINES);
        int kind = (int)(test_rand(&rng) % 4);
        int64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            w[i] = random_weight(&rng, kind);
            sum += w[i];
        }
        int64_t total = random_total(&rng, sum, n);
        REQUIRE(clM_allocate(total, w, n, shares, scratch), "cart %d refused", cart);
        exact x;
        exact_shares(total, w, n, sum, &x);
        check_rules(total, w, n, &x, shares);
        ref_allocate(total, w, n, &x, want);
        for (size_t i = 0; i < n; i++)
            REQUIRE(shares[i] == want[i], "cart %d line %zu: %" PRId64 ", reference %" PRId64,
                    cart, i, shares[i], want[i]);
    }
}
END_TEST

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

START_TEST(test_api_exponent)
{
    ck_assert_int_eq(cl_currency_exponent("USD"), 2);
    ck_assert_int_eq(cl_currency_exponent("JPY"), 0);
    ck_assert_int_eq(cl_currency_exponent("KWD"), 3);
    ck_assert_int_eq(cl_currency_exponent("CLF"), 4);
    ck_assert_int_eq(cl_currency_exponent("usd"), -1);
    ck_assert_int_eq(cl_currency_exponent("USDX"), -1);
    ck_assert_int_eq(cl_currency_exponent("US"), -1);
    ck_assert_int_eq(cl_currency_exponent(""), -1);
    ck_assert_int_eq(cl_currency_exponent("XAU"), -1);
    ck_assert_int_eq(cl_currency_exponent(NULL), -1);
}
END_TEST

START_TEST(test_api_parse)
{
    int64_t out = -77;
    ck_assert_int_eq(cl_amount_parse("12.50", 5, "USD", &out), CL_OK);
    ck_assert_int_eq(out, 1250);
    ck_assert_int_eq(cl_amount_parse("12", 2, "USD", &out), CL_OK);
    ck_assert_int_eq(out, 1200);
    ck_assert_int_eq(cl_amount_parse("-3.5", 4, "USD", &out), CL_OK);
    ck_assert_int_eq(out, -350);
    ck_assert_int_eq(cl_amount_parse("12.505", 5, "USD", &out), CL_OK); /* len counts */
    ck_assert_int_eq(out, 1250);
    ck_assert_int_eq(cl_amount_parse("1000", 4, "JPY", &out), CL_OK);
    ck_assert_int_eq(out, 1000);
    ck_assert_int_eq(cl_amount_parse("1.5", 3, "KWD", &out), CL_OK);
    ck_assert_int_eq(out, 1500);
    out = -77;
    ck_assert_int_eq(cl_amount_parse("12.345", 6, "USD", &out), CL_EAMOUNT);
    ck_assert_int_eq(cl_amount_parse("1.5", 3, "JPY", &out), CL_EAMOUNT);
    ck_assert_int_eq(cl_amount_parse("abc", 3, "USD", &out), CL_EAMOUNT);
    ck_assert_int_eq(cl_amount_parse("", 0, "USD", &out), CL_EAMOUNT);
    ck_assert_int_eq(cl_amount_parse("92233720368547758.08", 20, "USD", &out), CL_EOVERFLOW);
    ck_assert_int_eq(cl_amount_parse("1", 1, "XYZ", &out), CL_ECURRENCY);
    ck_assert_int_eq(cl_amount_parse("1", 1, "usd", &out), CL_ECURRENCY);
    ck_assert_int_eq(cl_amount_parse("1", 1, NULL, &out), CL_ECURRENCY);
    ck_assert_int_eq(out, -77);
    ck_assert_int_eq(cl_amount_parse(NULL, 0, "USD", &out), CL_EINVAL);
    ck_assert_int_eq(cl_amount_parse("1", 1, "USD", NULL), CL_EINVAL);
    ck_assert_int_eq(cl_amount_parse("-92233720368547758.08", 21, "USD", &out), CL_OK);
    ck_assert_int_eq(out, INT64_MIN);
}
END_TEST

START_TEST(test_api_format)
{
    char buf[32];
    ck_assert_uint_eq(cl_amount_format(1250, "USD", buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "12.50");
    cl_amount_format(1250, "JPY", buf, sizeof buf);
    ck_assert_str_eq(buf, "1250");
    cl_amount_format(1250, "KWD", buf, sizeof buf);
    ck_assert_str_eq(buf, "1.250");
    cl_amount_format(-5, "CLF", buf, sizeof buf);
    ck_assert_str_eq(buf, "-0.0005");
    cl_amount_format(1250, "XYZ", buf, sizeof buf); /* unknown: 2 decimals */
    ck_assert_str_eq(buf, "12.50");
    cl_amount_format(1250, NULL, buf, sizeof buf);
    ck_assert_str_eq(buf, "12.50");
    ck_assert_uint_eq(cl_amount_format(INT64_MIN, "USD", buf, sizeof buf), 21);
    ck_assert_str_eq(buf, "-92233720368547758.08");
    ck_assert_uint_eq(cl_amount_format(1250, "USD", buf, 3), 5);
    ck_assert_str_eq(buf, "12");
    ck_assert_uint_eq(cl_amount_format(1250, "USD", NULL, 0), 5);
    /* round trip through the public pair */
    int64_t back = 0;
    size_t n = cl_amount_format(-123456, "KWD", buf, sizeof buf);
    ck_assert_int_eq(cl_amount_parse(buf, n, "KWD", &back), CL_OK);
    ck_assert_int_eq(back, -123456);
}
END_TEST

/* ------------------------------------------------------------------------
 * Suite
 * ------------------------------------------------------------------------ */

static Suite *money_suite(void)
{
    const struct {
        const char *tcase;
        const TTest *test;
    } tests[] = {
        {"currency", test_rounding_names},   {"currency", test_exponent_spot},
        {"currency", test_exponent_table},   {"parse", test_parse_ok},
        {"parse", test_parse_malformed},     {"parse", test_parse_decimals},
        {"parse", test_parse_overflow},      {"parse", test_parse_negative},
        {"format", test_format_table},       {"format", test_format_truncation},
        {"format", test_format_roundtrip},   {"arith", test_add},
        {"arith", test_mul},                 {"arith", test_muldiv_table},
        {"arith", test_muldiv_random},       {"rounding", test_scale_table},
        {"rounding", test_scale_random},     {"rounding", test_percent_table},
        {"rounding", test_percent_random},   {"allocate", test_allocate_examples},
        {"allocate", test_allocate_invalid}, {"allocate", test_allocate_random},
        {"api", test_api_exponent},          {"api", test_api_parse},
        {"api", test_api_format},
    };
    Suite *s = suite_create("money");
    TCase *tc = NULL;
    const char *current = "";
    for (size_t i = 0; i < CL_COUNTOF(tests); i++) {
        if (strcmp(current, tests[i].tcase) != 0) {
            current = tests[i].tcase;
            tc = tcase_create(current);
            tcase_set_timeout(tc, 120); /* the property tests, under sanitizers */
            suite_add_tcase(s, tc);
        }
        tcase_add_test(tc, tests[i].test);
    }
    return s;
}

TEST_MAIN(money_suite)
