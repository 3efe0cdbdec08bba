/*
 * discount.c - what a coupon takes off, to the cent (SPEC 2, 4.6 and 9).
 *
 * Conditions and line filters judge the original cart; the amounts a
 * discount works on are what is left of each line after the coupons before
 * it (rem[]). Order-level kinds (percent, amount, tiers) compute one amount
 * on the eligible lines' sum, round, cap and allocate it by largest
 * remainder. Per-unit kinds (amount_per_item, fixed_price, buy_get) work on
 * each unit's remaining value, rounded per unit, and are spread over lines
 * in proportion only when a cap cuts them.
 */
#include "vm.h"

#include "money.h"

/* ------------------------------------------------------------------------
 * Exact comparisons of unit values
 * ------------------------------------------------------------------------ */

/* a * b as a 128-bit pair, for a, b >= 0. */
static void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
    uint64_t al = a & 0xFFFFFFFFu, ah = a >> 32, bl = b & 0xFFFFFFFFu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    *lo = (ll & 0xFFFFFFFFu) | (mid << 32);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}

/* Compares the unit values a/b and c/d (b, d > 0; a, c >= 0). */
static int cmp_ratio(int64_t a, int64_t b, int64_t c, int64_t d)
{
    uint64_t h1, l1, h2, l2;
    mul128((uint64_t)a, (uint64_t)d, &h1, &l1);
    mul128((uint64_t)c, (uint64_t)b, &h2, &l2);
    if (h1 != h2)
        return h1 < h2 ? -1 : 1;
    return l1 < l2 ? -1 : l1 > l2;
}

/* ------------------------------------------------------------------------
 * Sorting lines (a stable merge sort with context)
 * ------------------------------------------------------------------------ */

typedef struct order_ctx {
    const int64_t *rem;
    const cl_context *ctx;
    int desc;            /* 1: highest unit value first */
} order_ctx;

/* Cheapest first with later lines first among equals (max_units), or the
 * highest first with earlier lines first among equals (buy_get): either way
 * the cheapest units, later lines first, are at the discounted end. */
static int before(const order_ctx *o, size_t i, size_t j)
{
    int c = cmp_ratio(o->rem[i], o->ctx->items.v[i].quantity, o->rem[j],
                      o->ctx->items.v[j].quantity);
    if (c != 0)
        return o->desc ? c > 0 : c < 0;
    return o->desc ? i < j : i > j;
}

static void sort_lines(size_t *v, size_t *tmp, size_t n, const order_ctx *o)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = before(o, v[b], v[a]) ? v[b++] : v[a++];
            while (a < mid)
                tmp[k++] = v[a++];
            while (b < hi)
                tmp[k++] = v[b++];
        }
        memcpy(v, tmp, n * sizeof *v);
    }
}

/* ------------------------------------------------------------------------
 * Eligibility
 * ------------------------------------------------------------------------ */

long clD_eligible(cl_vm *vm, const clP_unit *u, const clP_discount *d, const cl_context *ctx,
                  uint8_t *elig)
{
    int64_t units, amount;
    return clD_eligible_sums(vm, u, d, ctx, elig, &units, &amount);
}

long clD_eligible_sums(cl_vm *vm, const clP_unit *u, const clP_discount *d,
                       const cl_context *ctx, uint8_t *elig, int64_t *units, int64_t *amount)
{
    size_t n = ctx->items.n;
    *units = *amount = 0;
    if (!clV_step(vm, n))
        return -1;
    if (d->target == TG_SHIPPING) {
        memset(elig, 0, n);
        return 0;
    }
    /* The whole order: every line, or every line not on sale. */
    if (d->target != TG_ITEMS && (!d->exclude_sale || ctx->on_sale == 0)) {
        memset(elig, 1, n);
        *units = ctx->quantity;
        *amount = ctx->subtotal;
        return (long)n;
    }
    const clP_filter *f = d->target == TG_ITEMS ? &u->filters[d->filter] : NULL;
    long count = 0;
    int64_t qty = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        const clX_item *it = &ctx->items.v[i];
        int e = 1;
        if (f != NULL && (e = clV_line_matches(vm, u, f, it)) < 0)
            return -1;
        if (e && d->exclude_sale && it->on_sale)
            e = 0;
        elig[i] = (uint8_t)e;
        count += e;
        if (e) {
            qty += it->quantity;
            sum += it->amount;
        }
    }
    /* A target's own minimum: too few matching units means nothing is eligible. */
    if (f != NULL && (qty < f->min_quantity || sum < f->min_amount)) {
        memset(elig, 0, n);
        return 0;
    }
    *units = qty;
    *amount = sum;
    return count;
}

static bool record(cl_vm *vm, const clP_unit *u, uint32_t msg)
{
    const clP_msg *m = &u->msgs[msg];
    return clR_reason_add(&vm->res, m->reason, m->line, clP_text(u, m->text));
}

int clD_check_target(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const cl_context *ctx)
{
    const clP_discount *d = &u->discounts[c->discount];
    if (d->target == TG_SHIPPING) {
        if (ctx->has_shipping && ctx->shipping > 0)
            return 1;
        return record(vm, u, d->msg) ? 0 : -1;
    }
    if (!clV_scratch_reserve(vm, ctx->items.n))
        return -1;
    int64_t units, amount;
    long n = clD_eligible_sums(vm, u, d, ctx, vm->s.elig, &units, &amount);
    if (n < 0)
        return -1;
    if (n == 0)
        return record(vm, u, d->msg) ? 0 : -1;
    if ((d->kind == DK_BUY_GET && units < d->buy + d->get) ||
        (d->kind == DK_TIERS && amount < u->tiers[d->tier_first].min))
        return record(vm, u, d->msg2) ? 0 : -1;
    return 1;
}

/* ------------------------------------------------------------------------
 * Caps
 * ------------------------------------------------------------------------ */

/* The tightest of max_amount and the budget left (-1 = no cap). */
static int64_t cap_of(const clP_unit *u, const clP_coupon *c, const clP_discount *d,
                      const cl_context *ctx)
{
    int64_t cap = d->max_amount;
    if (c->budget >= 0) {
        const clX_usage *us = clX_usage_of(ctx, clP_text(u, c->code), u->strs[c->code].len);
        int64_t left = c->budget - (us ? us->spent : 0);
        if (left < 0)
            left = 0;
        if (cap < 0 || left < cap)
            cap = left;
    }
    return cap;
}

static int64_t capped(int64_t v, int64_t cap)
{
    return cap >= 0 && v > cap ? cap : v;
}

static int alloc_error(cl_vm *vm)
{
    return clE_set(vm->err, CL_EOVERFLOW, (cl_pos){0, 0, 0}, "a discount could not be "
                   "allocated exactly");
}

/* ------------------------------------------------------------------------
 * Order-level kinds
 * ------------------------------------------------------------------------ */

/* percent, amount or tiers: one amount on the eligible remainder, rounded,
 * capped, then allocated over the eligible lines by what is left of them. */
static int order_level(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const clP_discount *d,
                       const cl_context *ctx, const uint8_t *elig, const int64_t *rem,
                       int64_t *out, int64_t *total)
{
    size_t n = ctx->items.n, count = 0, last = 0;
    const int64_t *w = rem;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (elig[i]) {
            sum += rem[i];    /* remainders never exceed the lines, whose sum fits */
            count++;
            last = i;
        }
    int64_t D = 0;
    if (d->kind == DK_PERCENT) {
        D = clM_percent(sum, d->value, c->rounding);
    } else if (d->kind == DK_AMOUNT) {
        D = d->value < sum ? d->value : sum;
    } else {
        const clP_tier *t = NULL;
        for (uint32_t k = 0; k < d->tier_count; k++)
            if (sum >= u->tiers[d->tier_first + k].min)
                t = &u->tiers[d->tier_first + k];
        if (t != NULL)
            D = t->percent ? clM_percent(sum, t->value, c->rounding)
                           : (t->value < sum ? t->value : sum);
    }
    if (d->max_amount >= 0 || c->budget >= 0)
        D = capped(D, cap_of(u, c, d, ctx));
    if (D > sum)
        D = sum;
    *total = D;
    if (count == 1) {
        /* One line takes it all: its exact share is D. */
        memset(out, 0, n * sizeof *out);
        out[last] = D;
        return CL_OK;
    }
    if (count != n) {
        /* Lines that are not eligible weigh nothing. */
        int64_t *v = vm->s.a;
        for (size_t i = 0; i < n; i++)
            v[i] = elig[i] ? rem[i] : 0;
        w = v;
    }
    if (!clM_allocate_sum(D, w, n, sum, out, vm->s.perm))
        return alloc_error(vm);
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Per-unit kinds
 * ------------------------------------------------------------------------ */

/* The rounded discount on one unit of line i whose remainder is r. */
static int64_t unit_discount(const clP_discount *d, int mode, int64_t r, int64_t qty)
{
    int64_t x, v;
    switch (d->kind) {
    case DK_PER_ITEM:
        if (clM_mul(d->value, qty, &x) && x <= r)
            return d->value;
        if (!clM_scale(r, 1, qty, mode, &v))
            return d->value;
        return v < d->value ? v : d->value;
    case DK_FIXED_PRICE:
        if (!clM_mul(d->value, qty, &x) || x >= r)
            return 0;
        return clM_scale(r - x, 1, qty, mode, &v) ? v : 0;
    default: /* buy_get */
        if (clM_mul(qty, 10000, &x) && clM_scale(r, d->value, x, mode, &v))
            return v;
        return clM_scale(r, 1, qty, mode, &v) ? clM_percent(v, d->value, mode) : 0;
    }
}

/* How many units of each eligible line get the discount, into units[]. */
static void choose_units(cl_vm *vm, const clP_discount *d, const cl_context *ctx,
                         const uint8_t *elig, const int64_t *rem, int64_t *units)
{
    size_t n = ctx->items.n, m = 0;
    size_t *perm = vm->s.perm;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        units[i] = 0;
        if (elig[i]) {
            perm[m++] = i;
            total += ctx->items.v[i].quantity;
        }
    }
    int64_t want = total;
    if (d->kind == DK_BUY_GET) {
        int64_t groups = total / (d->buy + d->get);
        if (d->max_groups >= 0 && groups > d->max_groups)
            groups = d->max_groups;
        want = groups <= INT64_MAX / d->get ? groups * d->get : INT64_MAX;
    }
    if (d->max_units >= 0 && want > d->max_units)
        want = d->max_units;
    if (want >= total) {
        for (size_t k = 0; k < m; k++)
            units[perm[k]] = ctx->items.v[perm[k]].quantity;
        return;
    }
    /* Take `want` units from the discounted end: cheapest, later lines first. */
    order_ctx o = {rem, ctx, 0};
    sort_lines(perm, vm->s.perm2, m, &o);
    for (size_t k = 0; k < m && want > 0; k++) {
        int64_t q = ctx->items.v[perm[k]].quantity;
        units[perm[k]] = q < want ? q : want;
        want -= units[perm[k]];
    }
}

static int per_unit(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const clP_discount *d,
                    const cl_context *ctx, const uint8_t *elig, const int64_t *rem,
                    int64_t *out, int64_t *total)
{
    size_t n = ctx->items.n;
    int64_t *units = vm->s.b, *raw = vm->s.a, sum = 0;
    choose_units(vm, d, ctx, elig, rem, units);
    for (size_t i = 0; i < n; i++) {
        raw[i] = 0;
        if (units[i] == 0)
            continue;
        int64_t du = unit_discount(d, c->rounding, rem[i], ctx->items.v[i].quantity), x;
        raw[i] = clM_mul(du, units[i], &x) && x < rem[i] ? x : rem[i];
        sum += raw[i];
    }
    int64_t cap = cap_of(u, c, d, ctx);
    if (cap >= 0 && sum > cap) {
        if (!clM_allocate(cap, raw, n, out, vm->s.perm))
            return alloc_error(vm);
        sum = cap;
    } else {
        memcpy(out, raw, n * sizeof *out);
    }
    *total = sum;
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Shipping
 * ------------------------------------------------------------------------ */

static int64_t shipping(const clP_unit *u, const clP_coupon *c, const clP_discount *d,
                        const cl_context *ctx, int64_t ship_rem)
{
    int64_t D;
    if (d->kind == DK_PERCENT || d->kind == DK_FREE_SHIPPING)
        D = clM_percent(ship_rem, d->value, c->rounding);
    else
        D = d->value < ship_rem ? d->value : ship_rem;
    return capped(D, cap_of(u, c, d, ctx));
}

int clD_compute_with(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const cl_context *ctx,
                     const uint8_t *elig, const int64_t *rem, int64_t ship_rem,
                     int64_t *lines_out, int64_t *total, int64_t *ship)
{
    const clP_discount *d = &u->discounts[c->discount];
    size_t n = ctx->items.n;
    *total = *ship = 0;
    if (d->target == TG_SHIPPING) {
        memset(lines_out, 0, n * sizeof *lines_out);
        *ship = shipping(u, c, d, ctx, ship_rem);
        return CL_OK;
    }
    /* A step per line, as for eligibility: spreading a discount over many
     * lines is most of what a best-combination search does per choice, so
     * the step budget bounds the search's time, not only its nodes. */
    if (!clV_step(vm, n))
        return CL_ESTEPS;
    if (!clV_scratch_reserve(vm, n))
        return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    if (d->kind == DK_PERCENT || d->kind == DK_AMOUNT || d->kind == DK_TIERS)
        return order_level(vm, u, c, d, ctx, elig, rem, lines_out, total);
    return per_unit(vm, u, c, d, ctx, elig, rem, lines_out, total);
}

int clD_compute(cl_vm *vm, const clP_unit *u, const clP_coupon *c, const cl_context *ctx,
                const int64_t *rem, int64_t ship_rem, int64_t *lines_out, int64_t *total,
                int64_t *ship)
{
    const clP_discount *d = &u->discounts[c->discount];
    if (d->target != TG_SHIPPING) {
        if (!clV_scratch_reserve(vm, ctx->items.n))
            return clE_set(vm->err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
        if (clD_eligible(vm, u, d, ctx, vm->s.elig) < 0)
            return vm->err && vm->err->code ? vm->err->code : CL_ELIMIT;
    }
    return clD_compute_with(vm, u, c, ctx, vm->s.elig, rem, ship_rem, lines_out, total, ship);
}

int64_t clD_upper_bound(const clP_unit *u, const clP_coupon *c, const cl_context *ctx,
                        const uint8_t *elig, int64_t alone)
{
    const clP_discount *d = &u->discounts[c->discount];
    if (d->kind != DK_TIERS || d->target == TG_SHIPPING)
        return alone;
    int64_t sum = 0, best = 0;
    for (size_t i = 0; i < ctx->items.n; i++)
        sum += elig[i] ? ctx->items.v[i].amount : 0;
    for (uint32_t k = 0; k < d->tier_count; k++) {
        const clP_tier *t = &u->tiers[d->tier_first + k];
        if (t->min > sum)
            break;
        int64_t v = t->percent ? clM_percent(sum, t->value, CLM_UP) : t->value;
        if (v > best)
            best = v;
    }
    best = capped(best, cap_of(u, c, d, ctx));
    return best < sum ? best : sum;
}
