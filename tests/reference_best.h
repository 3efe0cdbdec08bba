/*
 * reference_best.h - the simple, exhaustive reference of SPEC sections 6
 * and 9 that the property test (tests/unit/test_best.c) and the fuzzer
 * (tests/fuzz/fuzz_best.c) compare cl_vm_best with: every option (each
 * exclusive alone, every valid subset of the stackables in application
 * order) applied on the original cart, the best kept by the SPEC's order.
 *
 * The includer defines MAXC (the most candidates), REF_LINES (the longest
 * cart) and REF_CHECK(cond, what), its way of failing.
 */
#ifndef COUPONLIB_TESTS_REFERENCE_BEST_H
#define COUPONLIB_TESTS_REFERENCE_BEST_H

#include "program.h"
#include "vm.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

typedef struct ref {
    size_t idx[MAXC];       /* program indexes, application order */
    size_t n;
    int64_t total;
} ref;

static int app_cmp(const cl_program *p, size_t a, size_t b)
{
    if (cl_program_priority(p, a) != cl_program_priority(p, b))
        return cl_program_priority(p, a) > cl_program_priority(p, b) ? -1 : 1;
    return strcasecmp(cl_program_code(p, a), cl_program_code(p, b));
}

/* Total of applying set[0..n) (application order) on the original cart. */
static int64_t apply(cl_vm *vm, const cl_program *p, const cl_context *ctx, const size_t *set,
                     size_t n)
{
    size_t L = ctx->items.n;
    REF_CHECK(L <= REF_LINES, "cart too long");
    int64_t rem[REF_LINES], lines[REF_LINES], ship = ctx->has_shipping ? ctx->shipping : 0, sum = 0;
    for (size_t i = 0; i < L; i++)
        rem[i] = ctx->items.v[i].amount;
    REF_CHECK(clV_scratch_reserve(vm, L + 1), "scratch");
    for (size_t k = 0; k < n; k++) {
        const clP_unit *u;
        const clP_coupon *c = clP_coupon_of(p, set[k], &u);
        int64_t total, sh;
        REF_CHECK(clD_compute(vm, u, c, ctx, rem, ship, lines, &total, &sh) == CL_OK,
                  "compute");
        for (size_t i = 0; i < L; i++)
            rem[i] -= lines[i];
        ship -= sh;
        sum += total + sh;
    }
    return sum;
}

/* Whether option x beats y, by SPEC 6 and 9. */
static bool ref_better(const cl_program *p, const ref *x, const ref *y)
{
    if (x->total != y->total)
        return x->total > y->total;
    if (x->n != y->n)
        return x->n < y->n;
    if (x->n == 0)
        return false;
    if (cl_program_priority(p, x->idx[0]) != cl_program_priority(p, y->idx[0]))
        return cl_program_priority(p, x->idx[0]) > cl_program_priority(p, y->idx[0]);
    for (size_t i = 0; i < x->n; i++) {
        int c = strcasecmp(cl_program_code(p, x->idx[i]), cl_program_code(p, y->idx[i]));
        if (c != 0)
            return c < 0;
    }
    return false;
}

static ref reference(cl_vm *vm, const cl_program *p, const cl_context *ctx, const bool *ok,
                     uint64_t max)
{
    size_t st[MAXC], ns = 0;
    ref best = {{0}, 0, 0};
    for (size_t i = 0; i < cl_program_count(p); i++) {
        if (!ok[i])
            continue;
        if (cl_program_exclusive(p, i)) {
            ref r = {{i}, 1, apply(vm, p, ctx, &i, 1)};
            if (ref_better(p, &r, &best))
                best = r;
        } else {
            st[ns++] = i;
        }
    }
    /* Stackables in application order. */
    for (size_t i = 1; i < ns; i++)
        for (size_t j = i; j > 0 && app_cmp(p, st[j - 1], st[j]) > 0; j--) {
            size_t t = st[j];
            st[j] = st[j - 1];
            st[j - 1] = t;
        }
    for (uint32_t mask = 1; mask < (1u << ns); mask++) {
        ref r = {{0}, 0, 0};
        bool valid = true, stopped = false;
        for (size_t k = 0; k < ns && valid; k++) {
            if (!(mask >> k & 1))
                continue;
            valid = !stopped;
            const char *g = cl_program_group(p, st[k]);
            for (size_t j = 0; j < r.n && valid && g[0]; j++)
                valid = strcmp(cl_program_group(p, r.idx[j]), g) != 0;
            r.idx[r.n++] = st[k];
            const clP_unit *u;
            stopped = clP_coupon_of(p, st[k], &u)->stop;
        }
        if (!valid || (max != 0 && r.n > max))
            continue;
        r.total = apply(vm, p, ctx, r.idx, r.n);
        if (ref_better(p, &r, &best))
            best = r;
    }
    return best;
}

#endif
