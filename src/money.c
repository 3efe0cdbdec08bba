/*
 * money.c - exact money: the ISO 4217 table, decimal text in and out,
 * checked and 128-bit arithmetic, rounding, percentages and the allocation of
 * a discount over lines (SPEC section 2). Every amount is an int64_t of minor
 * units; there is no floating point in this file.
 */
#include "money.h"

#include <limits.h>

/* The portable 64x64/64 division behind clM_muldiv(). Not static so that the
 * unit tests can check it on machines that have __int128 too; not in
 * money.h because nothing else should call it. */
bool clM_muldiv_portable(int64_t a, int64_t b, int64_t c, int64_t *quot, int64_t *rem);

/* ------------------------------------------------------------------------
 * Rounding modes
 * ------------------------------------------------------------------------ */

static const char *const rounding_names[] = {
    [CLM_HALF_EVEN] = "half_even",
    [CLM_HALF_UP] = "half_up",
    [CLM_DOWN] = "down",
    [CLM_UP] = "up",
};

int clM_rounding_parse(const char *name, size_t n)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < CL_COUNTOF(rounding_names); i++)
        if (clB_eq(name, n, rounding_names[i], strlen(rounding_names[i])))
            return (int)i;
    return -1;
}

/* The name of a mode; "?" when mode is not one. */
const char *clM_rounding_name(int mode)
{
    if (mode < 0 || (size_t)mode >= CL_COUNTOF(rounding_names))
        return "?";
    return rounding_names[mode];
}

/*
 * Rounds the non-negative fraction q + r/d (0 <= r < d) to an integer by
 * mode into *out; false when that integer would pass INT64_MAX. The value is
 * never negative, so "away from zero" is upwards. r is compared with d - r
 * rather than 2r with d, so nothing can overflow. An unknown mode rounds as
 * half_even, the default.
 */
static bool round_fraction(int64_t q, int64_t r, int64_t d, int mode, int64_t *out)
{
    bool up;
    switch (mode) {
    case CLM_DOWN:
        up = false;
        break;
    case CLM_UP:
        up = r > 0;
        break;
    case CLM_HALF_UP:
        up = r > 0 && r >= d - r;
        break;
    default: /* CLM_HALF_EVEN */
        up = r > d - r || (r == d - r && (q & 1) != 0);
        break;
    }
    if (up && q == INT64_MAX)
        return false;
    *out = up ? q + 1 : q;
    return true;
}

/* ------------------------------------------------------------------------
 * Currencies
 * ------------------------------------------------------------------------ */

/* ISO 4217 List One (as published 2026-01-01): every code with a numeric
 * minor unit, fund codes included (CLF, UYW...). Codes whose minor unit is
 * "N.A." (precious metals, SDR, bond units, XTS, XXX) are left out, as are
 * withdrawn codes (ANG, BGN, HRK, SLL, ZWL...). Sorted for binary search. */
static const struct currency {
    char code[4];       /* three upper-case letters */
    uint8_t exponent;   /* decimals of the minor unit */
} currencies[] = {
    {"AED", 2}, {"AFN", 2}, {"ALL", 2}, {"AMD", 2}, {"AOA", 2}, {"ARS", 2}, {"AUD", 2}, {"AWG", 2},
    {"AZN", 2}, {"BAM", 2}, {"BBD", 2}, {"BDT", 2}, {"BHD", 3}, {"BIF", 0}, {"BMD", 2}, {"BND", 2},
    {"BOB", 2}, {"BOV", 2}, {"BRL", 2}, {"BSD", 2}, {"BTN", 2}, {"BWP", 2}, {"BYN", 2}, {"BZD", 2},
    {"CAD", 2}, {"CDF", 2}, {"CHE", 2}, {"CHF", 2}, {"CHW", 2}, {"CLF", 4}, {"CLP", 0}, {"CNY", 2},
    {"COP", 2}, {"COU", 2}, {"CRC", 2}, {"CUP", 2}, {"CVE", 2}, {"CZK", 2}, {"DJF", 0}, {"DKK", 2},
    {"DOP", 2}, {"DZD", 2}, {"EGP", 2}, {"ERN", 2}, {"ETB", 2}, {"EUR", 2}, {"FJD", 2}, {"FKP", 2},
    {"GBP", 2}, {"GEL", 2}, {"GHS", 2}, {"GIP", 2}, {"GMD", 2}, {"GNF", 0}, {"GTQ", 2}, {"GYD", 2},
    {"HKD", 2}, {"HNL", 2}, {"HTG", 2}, {"HUF", 2}, {"IDR", 2}, {"ILS", 2}, {"INR", 2}, {"IQD", 3},
    {"IRR", 2}, {"ISK", 0}, {"JMD", 2}, {"JOD", 3}, {"JPY", 0}, {"KES", 2}, {"KGS", 2}, {"KHR", 2},
    {"KMF", 0}, {"KPW", 2}, {"KRW", 0}, {"KWD", 3}, {"KYD", 2}, {"KZT", 2}, {"LAK", 2}, {"LBP", 2},
    {"LKR", 2}, {"LRD", 2}, {"LSL", 2}, {"LYD", 3}, {"MAD", 2}, {"MDL", 2}, {"MGA", 2}, {"MKD", 2},
    {"MMK", 2}, {"MNT", 2}, {"MOP", 2}, {"MRU", 2}, {"MUR", 2}, {"MVR", 2}, {"MWK", 2}, {"MXN", 2},
    {"MXV", 2}, {"MYR", 2}, {"MZN", 2}, {"NAD", 2}, {"NGN", 2}, {"NIO", 2}, {"NOK", 2}, {"NPR", 2},
    {"NZD", 2}, {"OMR", 3}, {"PAB", 2}, {"PEN", 2}, {"PGK", 2}, {"PHP", 2}, {"PKR", 2}, {"PLN", 2},
    {"PYG", 0}, {"QAR", 2}, {"RON", 2}, {"RSD", 2}, {"RUB", 2}, {"RWF", 0}, {"SAR", 2}, {"SBD", 2},
    {"SCR", 2}, {"SDG", 2}, {"SEK", 2}, {"SGD", 2}, {"SHP", 2}, {"SLE", 2}, {"SOS", 2}, {"SRD", 2},
    {"SSP", 2}, {"STN", 2}, {"SVC", 2}, {"SYP", 2}, {"SZL", 2}, {"THB", 2}, {"TJS", 2}, {"TMT", 2},
    {"TND", 3}, {"TOP", 2}, {"TRY", 2}, {"TTD", 2}, {"TWD", 2}, {"TZS", 2}, {"UAH", 2}, {"UGX", 0},
    {"USD", 2}, {"USN", 2}, {"UYI", 0}, {"UYU", 2}, {"UYW", 4}, {"UZS", 2}, {"VED", 2}, {"VES", 2},
    {"VND", 0}, {"VUV", 0}, {"WST", 2}, {"XAD", 2}, {"XAF", 0}, {"XCD", 2}, {"XCG", 2}, {"XOF", 0},
    {"XPF", 0}, {"YER", 2}, {"ZAR", 2}, {"ZMW", 2}, {"ZWG", 2},
};

int clM_exponent(const char *code, size_t n)
{
    if (code == NULL || n != 3)
        return -1;
    for (size_t i = 0; i < 3; i++)
        if (code[i] < 'A' || code[i] > 'Z')
            return -1;
    /* The three letters as one number, in the table's order. */
    uint32_t key = (uint32_t)code[0] << 16 | (uint32_t)code[1] << 8 | (uint32_t)code[2];
    size_t lo = 0, hi = CL_COUNTOF(currencies);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *m = currencies[mid].code;
        uint32_t k = (uint32_t)m[0] << 16 | (uint32_t)m[1] << 8 | (uint32_t)m[2];
        if (key == k)
            return currencies[mid].exponent;
        if (key < k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * Decimal text
 * ------------------------------------------------------------------------ */

#define MAX_FORMAT_EXPONENT 18 /* 10^18 is the largest power of ten in int64 */

/* *v = *v * 10 + digit, unless that passes limit. */
static bool push_digit(uint64_t *v, unsigned digit, uint64_t limit)
{
    if (*v > (limit - digit) / 10)
        return false;
    *v = *v * 10 + digit;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The index just past the run of digits starting at text[i]. */
static size_t skip_digits(const char *text, size_t n, size_t i)
{
    while (i < n && is_digit(text[i]))
        i++;
    return i;
}

/*
 * Grammar: '-'? DIGIT+ ('.' DIGIT+)?  Leading zeros are harmless ("007",
 * "0.50"); the text is decimal, never octal. The checks run in this order:
 * shape (including a '-' that is not allowed), then the number of decimals
 * (*decimals is set from here on, 0 before), then the range: the magnitude
 * is built digit by digit, padded with zeros up to `exponent` decimals, and
 * may reach 2^63 only for a negative amount, which is how INT64_MIN parses.
 */
int clM_parse(const char *text, size_t n, int exponent, bool allow_negative,
              int64_t *out, int *decimals)
{
    if (decimals != NULL)
        *decimals = 0;
    if (text == NULL)
        return CL_EAMOUNT;
    bool negative = n > 0 && text[0] == '-';
    size_t int_start = negative ? 1 : 0;
    size_t int_end = skip_digits(text, n, int_start);
    size_t frac_start = int_end, frac_end = int_end;
    if (int_end < n && text[int_end] == '.') {
        frac_start = int_end + 1;
        frac_end = skip_digits(text, n, frac_start);
        if (frac_end == frac_start)
            return CL_EAMOUNT;
    }
    if (int_end == int_start || frac_end != n || (negative && !allow_negative))
        return CL_EAMOUNT;
    size_t ndec = frac_end - frac_start;
    if (decimals != NULL)
        *decimals = ndec > INT_MAX ? INT_MAX : (int)ndec;
    if (exponent < 0 || ndec > (size_t)exponent)
        return CL_EAMOUNT;

    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t i = int_start; i < frac_end; i++)
        if (i != int_end && !push_digit(&v, (unsigned)(text[i] - '0'), limit))
            return CL_EOVERFLOW;
    for (size_t k = ndec; k < (size_t)exponent; k++)
        if (!push_digit(&v, 0, limit))
            return CL_EOVERFLOW;
    if (!negative)
        *out = (int64_t)v;
    else
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    return CL_OK;
}

/*
 * Writes the digits backwards into a scratch buffer, then copies them out as
 * snprintf would: at most size - 1 bytes and a NUL when size > 0. The
 * magnitude is taken in uint64_t, so INT64_MIN needs no special case. An
 * exponent outside 0..18 is clamped into it.
 */
size_t clM_format(int64_t minor, int exponent, char *buf, size_t size)
{
    char tmp[32];
    size_t len = 0;
    if (exponent < 0)
        exponent = 0;
    if (exponent > MAX_FORMAT_EXPONENT)
        exponent = MAX_FORMAT_EXPONENT;
    uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    for (int k = 0; k <= exponent || mag != 0; k++) {
        if (k == exponent && exponent > 0)
            tmp[len++] = '.';
        tmp[len++] = (char)('0' + mag % 10);
        mag /= 10;
    }
    if (minor < 0)
        tmp[len++] = '-';
    if (size > 0) {
        size_t m = len < size - 1 ? len : size - 1;
        for (size_t i = 0; i < m; i++)
            buf[i] = tmp[len - 1 - i];
        buf[m] = '\0';
    }
    return len;
}

/* ------------------------------------------------------------------------
 * Checked arithmetic
 * ------------------------------------------------------------------------ */

#if !defined(__GNUC__) /* money.h has them inline, on the compiler's checked builtins */
bool clM_add(int64_t a, int64_t b, int64_t *out)
{
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
        return false;
    *out = a + b;
    return true;
}

/* Each test divides the bound by one factor; C's division truncates toward
 * zero, which is exactly the rounding each comparison needs. */
bool clM_mul(int64_t a, int64_t b, int64_t *out)
{
    bool overflow;
    if (a == 0 || b == 0)
        overflow = false;
    else if (a > 0)
        overflow = b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a;
    else
        overflow = b > 0 ? a < INT64_MIN / b : b < INT64_MAX / a;
    if (overflow)
        return false;
    *out = a * b;
    return true;
}
#endif

/* ------------------------------------------------------------------------
 * 128-bit intermediates
 * ------------------------------------------------------------------------ */

/* The full 128-bit product of a and b as hi:lo, from four 32x32 products. */
static void mul_64x64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
    uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/*
 * hi:lo / d by restoring long division, one quotient bit a step. Requires
 * hi < d, so that the quotient fits in 64 bits, and d < 2^63: the running
 * remainder r stays below d, so 2r + 1 never needs a 65th bit.
 */
static uint64_t div_128by64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
    uint64_t r = hi, q = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((lo >> i) & 1u);
        q <<= 1;
        if (r >= d) {
            r -= d;
            q |= 1u;
        }
    }
    *rem = r;
    return q;
}

bool clM_muldiv_portable(int64_t a, int64_t b, int64_t c, int64_t *quot, int64_t *rem)
{
    if (a < 0 || b < 0 || c <= 0)
        return false;
    uint64_t hi, lo, r;
    mul_64x64((uint64_t)a, (uint64_t)b, &hi, &lo);
    if (hi >= (uint64_t)c)
        return false; /* the quotient needs more than 64 bits */
    uint64_t q = div_128by64(hi, lo, (uint64_t)c, &r);
    if (q > (uint64_t)INT64_MAX)
        return false;
    *quot = (int64_t)q;
    *rem = (int64_t)r;
    return true;
}

#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;

bool clM_muldiv(int64_t a, int64_t b, int64_t c, int64_t *quot, int64_t *rem)
{
    if (a < 0 || b < 0 || c <= 0)
        return false;
    u128 p = (u128)(uint64_t)a * (uint64_t)b;
    if ((uint64_t)(p >> 64) == 0) {
        /* The usual case: one 64-bit division, not a 128-bit one. */
        uint64_t p64 = (uint64_t)p, q64 = p64 / (uint64_t)c;
        if (q64 > (uint64_t)INT64_MAX)
            return false;
        *quot = (int64_t)q64;
        *rem = (int64_t)(p64 - q64 * (uint64_t)c);
        return true;
    }
    u128 q = p / (uint64_t)c;
    if (q > (u128)INT64_MAX)
        return false;
    *quot = (int64_t)q;
    *rem = (int64_t)(p % (uint64_t)c);
    return true;
}
#else
bool clM_muldiv(int64_t a, int64_t b, int64_t c, int64_t *quot, int64_t *rem)
{
    return clM_muldiv_portable(a, b, c, quot, rem);
}
#endif

/* ------------------------------------------------------------------------
 * Scaling and percentages
 * ------------------------------------------------------------------------ */

bool clM_scale(int64_t a, int64_t num, int64_t den, int mode, int64_t *out)
{
    int64_t q, r;
    if (!clM_muldiv(a, num, den, &q, &r))
        return false;
    return round_fraction(q, r, den, mode, out);
}

/*
 * With amount = q * 10000 + r, amount * bp / 10000 = q * bp + r * bp / 10000
 * exactly, and every intermediate is small: q * bp <= amount because
 * bp <= 10000, and r * bp < 10^8. Only the second term has a fraction to
 * round (half_even looks at the parity of the whole quotient), and the
 * rounded result never exceeds amount. Arguments outside the
 * contract (a negative amount, basis points outside 0..10000) give 0: for a
 * discount, the harmless answer.
 */
int64_t clM_percent(int64_t amount, int64_t basis_points, int mode)
{
    if (amount < 0 || basis_points < 0 || basis_points > 10000)
        return 0;
    int64_t small = (amount % 10000) * basis_points, rounded;
    int64_t whole = (amount / 10000) * basis_points + small / 10000;
    if (!round_fraction(whole, small % 10000, 10000, mode, &rounded))
        return 0; /* unreachable: the exact result is at most amount */
    return rounded;
}

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------ */

/* Line i's claim on a leftover unit: its remainder, weight and index. */
typedef struct claims {
    const int64_t *rem;       /* fractional remainders, over the common sum */
    const int64_t *weights;   /* the weights */
} claims;

/* Whether line i comes before line j for a leftover unit: the larger
 * remainder first, then the larger weight, then the lower index. */
static bool claims_before(const claims *c, size_t i, size_t j)
{
    if (c->rem[i] != c->rem[j])
        return c->rem[i] > c->rem[j];
    if (c->weights[i] != c->weights[j])
        return c->weights[i] > c->weights[j];
    return i < j;
}

/* Restores the heap below v[root] (n entries) in which every parent comes
 * after its children in claims order. */
static void sift_down(size_t *v, size_t root, size_t n, const claims *c)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && claims_before(c, v[child], v[child + 1]))
            child++;
        if (!claims_before(c, v[root], v[child]))
            return;
        size_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

/* Heap sort of the permutation v[0..n) into claims order: in place, no
 * allocation, O(n log n). The order is total, so stability does not matter. */
static void sort_claims(size_t *v, size_t n, const claims *c)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(v, i, n, c);
    for (size_t end = n; end-- > 1;) {
        size_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        sift_down(v, 0, end, c);
    }
}

/* The sum of the weights into *sum; false when one is negative or the sum
 * passes INT64_MAX. */
static bool weight_sum(const int64_t *weights, size_t n, int64_t *sum)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++)
        if (weights[i] < 0 || !clM_add(s, weights[i], &s))
            return false;
    *sum = s;
    return true;
}

/* Whether line i comes before line j for a leftover unit (claims order,
 * with the remainders in rem[]). */
static inline bool few_before(const size_t *rem, const int64_t *weights, size_t i, size_t j)
{
    if (rem[i] != rem[j])
        return rem[i] > rem[j];
    if (weights[i] != weights[j])
        return weights[i] > weights[j];
    return i < j;
}

/* Keeps in pick[0..want) the lines that rank first, in rank order: claims
 * order, or its reverse when invert (a constant where it is inlined).
 * Lines come in index order, so among equals the earlier one is kept. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline size_t pick_lines(const size_t *rem, const int64_t *weights, size_t n,
                                size_t want, bool invert, uint8_t *pick)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = m;
        if (m == want) {
            size_t t = pick[m - 1];
            if (invert ? !few_before(rem, weights, t, i) : !few_before(rem, weights, i, t))
                continue;
            j = m - 1;
        } else {
            m++;
        }
        while (j > 0 && (invert ? few_before(rem, weights, pick[j - 1], i)
                                : few_before(rem, weights, i, pick[j - 1]))) {
            pick[j] = pick[j - 1];
            j--;
        }
        pick[j] = (uint8_t)i;
    }
    return m;
}

/*
 * Hands the `left` leftover units out in claims order for a few lines
 * (n <= 64), rem[] holding the remainders (in scratch). Only the lines that
 * get a unit are looked for, kept in order by insertion on the stack: the
 * first `left` in claims order, or, when more than half of the lines get
 * one, the last n - left, which are the ones that do not (left is below
 * the number of non-zero remainders, so those include every zero one).
 */
static void hand_out_few(int64_t left, const int64_t *weights, size_t n, int64_t *shares,
                         const size_t *rem)
{
    uint8_t pick[64];
    if ((size_t)left <= n / 2) {
        size_t m = pick_lines(rem, weights, n, (size_t)left, false, pick);
        for (size_t k = 0; k < m; k++)
            shares[pick[k]]++;
        return;
    }
    size_t m = n - (size_t)left == 0 ? 0 : pick_lines(rem, weights, n, n - (size_t)left, true, pick);
    for (size_t i = 0; i < n; i++)
        shares[i]++;
    for (size_t k = 0; k < m; k++)
        shares[pick[k]]--;
}

/* Largest remainder by sorting: the remainders in shares[] and the lines'
 * order in scratch, then the floors again and a unit for each of the first
 * `left` lines. */
static bool allocate_sorted(int64_t total, int64_t sum, int64_t left, const int64_t *weights,
                            size_t n, int64_t *shares, size_t *scratch)
{
    int64_t q, r;
    for (size_t i = 0; i < n; i++) {
        if (!clM_muldiv(weights[i], total, sum, &q, &r))
            return false;
        shares[i] = r;
        scratch[i] = i;
    }
    claims c = {shares, weights};
    sort_claims(scratch, n, &c);
    for (size_t i = 0; i < n; i++) {
        if (!clM_muldiv(weights[i], total, sum, &q, &r))
            return false;
        shares[i] = q;
    }
    for (size_t k = 0; k < (size_t)left; k++)
        shares[scratch[k]]++;
    return true;
}

/*
 * Largest remainder (SPEC section 2). Line i's exact share is
 * weights[i] * total / sum; every remainder shares the denominator sum, so
 * they compare exactly as integers. The floors go to shares[]; `left`
 * leftover units then go one each to the first lines in claims order: when
 * they are few, by repeated scans over the remainders (kept in scratch),
 * else by sorting. left is below the number of lines with a non-zero
 * remainder, so a zero weight never gets a unit, and a floor with a
 * remainder is below its weight, so no share exceeds it.
 */
bool clM_allocate(int64_t total, const int64_t *weights, size_t n, int64_t *shares,
                  size_t *scratch)
{
    int64_t sum;
    if (total < 0 || !weight_sum(weights, n, &sum) || total > sum)
        return false;
    return clM_allocate_sum(total, weights, n, sum, shares, scratch);
}

bool clM_allocate_sum(int64_t total, const int64_t *weights, size_t n, int64_t sum,
                      int64_t *shares, size_t *scratch)
{
    int64_t q, r, left = total;
    if (total < 0 || total > sum)
        return false;
    if (sum == 0) { /* then total == 0 */
        for (size_t i = 0; i < n; i++)
            shares[i] = 0;
        return true;
    }
    /* A remainder (below sum) fits in scratch's size_t on 64-bit systems. */
    bool keep = SIZE_MAX >= (uint64_t)INT64_MAX;
    if ((uint64_t)total <= UINT64_MAX / (uint64_t)sum) {
        /* No product passes 64 bits: plain division. */
        for (size_t i = 0; i < n; i++) {
            uint64_t p = (uint64_t)weights[i] * (uint64_t)total, f = p / (uint64_t)sum;
            shares[i] = (int64_t)f;
            if (keep)
                scratch[i] = (size_t)(p - f * (uint64_t)sum);
            left -= shares[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            if (!clM_muldiv(weights[i], total, sum, &q, &r))
                return false; /* unreachable: q <= weights[i] */
            shares[i] = q;
            if (keep)
                scratch[i] = (size_t)r;
            left -= q;
        }
    }
    if (left == 0)
        return true;
    if (keep && n <= 64) {
        hand_out_few(left, weights, n, shares, scratch);
        return true;
    }
    return allocate_sorted(total, sum, left, weights, n, shares, scratch);
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

CL_API int cl_currency_exponent(const char *currency)
{
    if (currency == NULL)
        return -1;
    return clM_exponent(currency, strlen(currency));
}

CL_API cl_status cl_amount_parse(const char *text, size_t len, const char *currency,
                                 int64_t *out)
{
    if (text == NULL || out == NULL)
        return CL_EINVAL;
    int e = cl_currency_exponent(currency);
    if (e < 0)
        return CL_ECURRENCY;
    return (cl_status)clM_parse(text, len, e, true, out, NULL);
}

CL_API size_t cl_amount_format(int64_t minor, const char *currency, char *buf, size_t size)
{
    int e = cl_currency_exponent(currency);
    return clM_format(minor, e < 0 ? 2 : e, buf, size);
}
