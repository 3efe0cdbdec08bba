/*
 * vm.h - the evaluation state of one thread, and what the VM, the discount
 * computation and the selection share.
 */
#ifndef CL_VM_H
#define CL_VM_H

#include "context.h"
#include "regex.h"
#include "result.h"

/* Scratch arrays sized to the context's lines, reused between evaluations. */
typedef struct clV_scratch {
    size_t cap;            /* lines they hold */
    int64_t *a, *b, *c;    /* general per-line amounts */
    int64_t *shares;       /* one coupon's line shares, for cl_vm_eval_some */
    size_t *perm;          /* index permutation (allocation, sorting) */
    size_t *perm2;         /* a second one (merge sort's buffer) */
    uint8_t *elig;         /* per-line eligibility */
} clV_scratch;

/* The index's per-query state (index.c). */
typedef struct clI_scratch {
    uint32_t *stamp;            /* per coupon: the query that last saw it */
    size_t stamp_cap;
    uint32_t epoch;             /* the current query */
    CL_VEC(uint32_t) out;       /* its candidates */
} clI_scratch;

void clI_scratch_free(cl_vm *vm);

struct cl_vm {
    const cl_env *env;
    clR_matcher re;             /* PCRE2 match data and limits */
    cl_result res;              /* the results of the latest evaluation */
    clV_scratch s;
    /* The local time of `now` in the zone last asked for. */
    const clT_zone *lt_zone;
    int64_t lt_now;
    uint8_t lt_valid;
    uint8_t lt_date;            /* lt.date is filled in too */
    clT_local lt;
    uint64_t steps;             /* work done for the current coupon */
    cl_error *err;              /* where the current call reports errors (never NULL
                                   while it runs: `scratch_err` when the caller gave none) */
    cl_error scratch_err;       /* errors of a call made without an error struct */
    clI_scratch ix;             /* the catalog index's query state */
    /* Selection state (select.c). */
    void *sel;
    size_t sel_size;
};

/* Runs the conditions of coupon i of p against ctx, appending an outcome to
 * vm->res with every failed reason. Returns CL_OK (the outcome says whether
 * the coupon is applicable) or an error (step budget, regex limit). */
int clV_conditions(cl_vm *vm, const cl_program *p, size_t i, const cl_context *ctx,
                   unsigned flags);

/* Whether line `it` matches filter f of unit u. -1 on a regex error. */
int clV_line_matches(cl_vm *vm, const clP_unit *u, const clP_filter *f, const clX_item *it);

/* Makes sure the scratch arrays hold n lines. */
bool clV_scratch_reserve(cl_vm *vm, size_t n);

/* Counts work against the step budget; false (with vm->err set) when spent. */
bool clV_step(cl_vm *vm, uint64_t k);

/* ------------------------------------------------------------------------
 * Discounts (discount.c)
 * ------------------------------------------------------------------------ */

/* Marks the lines discount d may work on (the original cart) in elig[] and
 * returns how many; -1 on a regex error. */
long clD_eligible(cl_vm *vm, const clP_unit *u, const clP_discount *d, const cl_context *ctx,
                  uint8_t *elig);

/* clD_eligible() that also gives the eligible lines' units and amount (on
 * the original cart). */
long clD_eligible_sums(cl_vm *vm, const clP_unit *u, const clP_discount *d,
                       const cl_context *ctx, uint8_t *elig, int64_t *units, int64_t *amount);

/* Records TARGET's failures of coupon c (ITEMS, SHIPPING, MIN_SUBTOTAL) in
 * the newest outcome; returns false when the target has nothing to work on.
 * -1 on error. */
int clD_check_target(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const cl_context *ctx);

/* Computes coupon c's discount on what is left of each line (rem[], which
 * is not changed) and of shipping (*ship_rem). lines_out[i] receives each
 * line's discount; *total and *ship the sums. Honours caps, max_units, the
 * budget left and the rounding of the coupon's file. Returns CL_OK or an
 * error. */
int clD_compute(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const cl_context *ctx,
                const int64_t *rem, int64_t ship_rem, int64_t *lines_out, int64_t *total,
                int64_t *ship);

/* clD_compute() with the eligible lines already known (elig[], from
 * clD_eligible() on the original cart; unused for shipping targets). */
int clD_compute_with(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const cl_context *ctx,
                     const uint8_t *elig, const int64_t *rem, int64_t ship_rem,
                     int64_t *lines_out, int64_t *total, int64_t *ship);

/* An upper bound of what coupon c can take off any cart left by coupons
 * applied before it, given its discount `alone` on the original cart:
 * `alone` itself for every kind but tiers (a smaller remainder never gets
 * more), and for tiers the most any reachable tier could give (a smaller
 * remainder may reach a lower tier that gives more). */
int64_t clD_upper_bound(const clP_unit *u, const clP_coupon *c, const cl_context *ctx,
                        const uint8_t *elig, int64_t alone);

#endif /* CL_VM_H */
