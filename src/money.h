/*
 * money.h - exact money: ISO 4217 currencies, decimal text, rounding, and
 * allocation of a discount over lines. Every amount is an int64_t of minor
 * units. No floating point anywhere.
 */
#ifndef CL_MONEY_H
#define CL_MONEY_H

#include "core.h"

/* Rounding modes (SPEC section 2); the file's `rounding` key. */
typedef enum clM_rounding {
    CLM_HALF_EVEN = 0,
    CLM_HALF_UP,      /* halves away from zero */
    CLM_DOWN,         /* toward zero */
    CLM_UP            /* away from zero */
} clM_rounding;

/* The rounding mode named by name[0..n) ("half_even", "half_up", "down",
 * "up"), or -1. */
int clM_rounding_parse(const char *name, size_t n);
const char *clM_rounding_name(int mode);

/* The ISO 4217 exponent of code[0..n) (exactly three upper-case letters), or
 * -1 when unknown. */
int clM_exponent(const char *code, size_t n);

/* Parses text[0..n) as an exact decimal with at most `exponent` decimals into
 * minor units. Accepts an optional leading '-' (only when allow_negative),
 * digits, an optional '.' followed by at least one digit. No spaces, no '+',
 * no exponent notation, no thousands separators.
 * Returns CL_OK, CL_EAMOUNT (malformed; *why gets a static explanation, e.g.
 * "has 3 decimals but USD has 2" is built by the caller from *decimals),
 * or CL_EOVERFLOW. *decimals (may be NULL) receives the number of decimals
 * written, so the caller can say how many were too many. */
int clM_parse(const char *text, size_t n, int exponent, bool allow_negative,
              int64_t *out, int *decimals);

/* Formats minor with exactly `exponent` decimals ("-12.50"); returns the
 * length, like snprintf. 32 bytes always suffice. */
size_t clM_format(int64_t minor, int exponent, char *buf, size_t size);

/* Checked arithmetic: false on overflow (*out untouched). */
#if defined(__GNUC__)
static inline bool clM_add(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}
static inline bool clM_mul(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}
#else
bool clM_add(int64_t a, int64_t b, int64_t *out);
bool clM_mul(int64_t a, int64_t b, int64_t *out);
#endif

/* floor(a * b / c) and the remainder, exactly, for a, b >= 0 and c > 0, with a
 * 128-bit intermediate. Returns false when the quotient exceeds INT64_MAX. */
bool clM_muldiv(int64_t a, int64_t b, int64_t c, int64_t *quot, int64_t *rem);

/* a * num / den rounded by mode, for a >= 0, num >= 0, den > 0. Returns
 * false on overflow of the result. */
bool clM_scale(int64_t a, int64_t num, int64_t den, int mode, int64_t *out);

/* Percent of an amount: amount * basis_points / 10000, rounded by mode.
 * basis_points is percent x 100 (12.5% = 1250). amount >= 0. Never
 * overflows for amount >= 0 and 0 <= basis_points <= 10000. */
int64_t clM_percent(int64_t amount, int64_t basis_points, int mode);

/* Allocation (SPEC section 2): spreads total over n weights (weights[i] >= 0,
 * their sum > 0 unless total == 0, total <= sum of weights) in proportion:
 * each share is the floor of its exact share, and the leftover minor units go
 * one each to the entries with the largest fractional remainders; ties go to
 * the larger weight, then the lower index. shares[0..n) receives the result;
 * the shares always add up to total exactly and no share exceeds its weight.
 * scratch must hold n entries of size_t (an index permutation).
 * Returns false only if the arguments break the rules above. */
bool clM_allocate(int64_t total, const int64_t *weights, size_t n, int64_t *shares,
                  size_t *scratch);

/* clM_allocate() with the sum of the weights known: sum must be the sum of
 * weights[0..n), every one of them >= 0 (the caller has it from adding
 * them up; it is not checked again). */
bool clM_allocate_sum(int64_t total, const int64_t *weights, size_t n, int64_t sum,
                      int64_t *shares, size_t *scratch);

#endif /* CL_MONEY_H */
