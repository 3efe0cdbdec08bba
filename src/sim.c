/*
 * sim.c - campaign simulation: what a program's coupons would have cost over
 * a stream of past orders, in memory that does not grow with the orders.
 *
 * Every order is evaluated (cl_vm_eval for the eval view, cl_vm_best for
 * the best view, each on a VM of its own so that one view's results are
 * still there when the other's are counted), and its results are folded
 * into fixed-size figures per coupon:
 *
 *   - counts in uint64_t, sums of money in 128 bits (two words, portable:
 *     no __int128), so that no order count or amount can overflow them;
 *   - the exact minimum and maximum cost;
 *   - a log-linear histogram of costs in minor units for the percentiles:
 *     values below 256 each have a counter of their own; above, every power
 *     of two [2^e, 2^(e+1)) is cut into 128 buckets of width 2^(e-7), so a
 *     bucket's middle is within 1/256 of every value in it; each bucket also
 *     keeps the smallest and largest value it saw, and a percentile is the
 *     middle kept within them (exact when the bucket holds one value, as a
 *     capped or fixed discount does). A group of buckets (2 KiB) is
 *     allocated when a value first falls in it: most coupons touch a
 *     handful of the 57 groups;
 *   - per reason code, the non-qualifying orders listing it, and those
 *     where it was the only one (a bit mask per order, not a count of
 *     listings).
 *
 * Counting an order is all or nothing: both evaluations run first, then
 * every histogram group the order needs is allocated, and only then are the
 * counters touched, so an error or an allocation failure changes nothing
 * (an evaluation error counts the order as refused, and that is all).
 *
 * Merging adds counters, so a merged report equals the report of one
 * simulation fed every order, whatever the split: threads give the same
 * figures as one thread, byte for byte.
 */
#include "context.h"
#include "money.h"
#include "result.h"

#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * 128-bit unsigned sums
 * ------------------------------------------------------------------------ */

typedef struct u128 {
    uint64_t hi, lo;
} u128;

static void u128_add64(u128 *a, uint64_t v)
{
    a->lo += v;
    a->hi += a->lo < v;
}

static void u128_add(u128 *a, u128 b)
{
    u128_add64(a, b.lo);
    a->hi += b.hi;
}

/* a / d (d > 0) and the remainder: the high word by the machine's
 * division, the low word bit by bit (only reports divide). */
static u128 u128_div(u128 a, uint64_t d, uint64_t *rem)
{
    u128 q = {a.hi / d, 0};
    uint64_t r = a.hi % d;
    for (int i = 63; i >= 0; i--) {
        uint64_t carry = r >> 63;
        r = (r << 1) | ((a.lo >> i) & 1);
        q.lo <<= 1;
        if (carry || r >= d) {
            r -= d;
            q.lo |= 1;
        }
    }
    if (rem != NULL)
        *rem = r;
    return q;
}

/* a x m, for m < 2^32 and a product below 2^128. */
static u128 u128_mul32(u128 a, uint32_t m)
{
    uint64_t l0 = (a.lo & 0xffffffffu) * m, l1 = (a.lo >> 32) * m;
    u128 r = {a.hi * m + (l1 >> 32), l0};
    u128_add64(&r, l1 << 32);
    return r;
}

static bool u128_to_i64(u128 a, int64_t *out)
{
    if (a.hi != 0 || a.lo > (uint64_t)INT64_MAX)
        return false;
    *out = (int64_t)a.lo;
    return true;
}

/* The decimal digits of a into buf (at least 40 bytes); returns their
 * number. */
static size_t u128_digits(u128 a, char *buf)
{
    char tmp[48];
    size_t n = 0;
    do {
        uint64_t r;
        a = u128_div(a, 10, &r);
        tmp[n++] = (char)('0' + r);
    } while (a.hi != 0 || a.lo != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

/* a / d rounded half up; 0 when d == 0. */
static u128 u128_average(u128 a, uint64_t d)
{
    if (d == 0)
        return (u128){0, 0};
    uint64_t r;
    u128 q = u128_div(a, d, &r);
    if (r >= d - r)
        u128_add64(&q, 1);
    return q;
}

/* ------------------------------------------------------------------------
 * Histograms
 * ------------------------------------------------------------------------ */

#define H_SUB_BITS 7
#define H_SUB (1u << H_SUB_BITS)          /* buckets per power of two: 128 */
#define H_EXACT (2u * H_SUB)              /* values below it are exact: 256 */
#define H_GROUPS (64 - H_SUB_BITS)        /* group 0 and groups 1..56 */
#define H_SPREAD 32                       /* groups up to it keep each bucket's range */

/* A group of buckets is one block: nb counters (uint64_t), then for each
 * bucket the smallest and the largest value seen in it, as offsets from the
 * bucket's low end (uint32_t each; kept in groups up to H_SPREAD, whose
 * buckets are at most 2^32 wide). The range lets a percentile that falls in
 * a bucket holding a single value (a capped discount, a fixed amount) be
 * that value exactly. */
typedef struct hist {
    uint64_t *g[H_GROUPS];  /* g[0]: H_EXACT buckets of width 1; g[k]: H_SUB of width 2^k */
} hist;

static unsigned group_buckets(unsigned k)
{
    return k == 0 ? H_EXACT : H_SUB;
}

static size_t group_size(unsigned k)
{
    return group_buckets(k) * (sizeof(uint64_t) + 2 * sizeof(uint32_t));
}

static uint32_t *group_lo(uint64_t *g, unsigned k)
{
    return (uint32_t *)(g + group_buckets(k));
}

static uint32_t *group_hi(uint64_t *g, unsigned k)
{
    return group_lo(g, k) + group_buckets(k);
}

/* The group and bucket of v: below 256, group 0 and v itself; above, with
 * e = floor(log2 v) >= 8, group e - 7 and the 7 bits below the leading one. */
static unsigned bucket_of(uint64_t v, unsigned *bucket)
{
    if (v < H_EXACT) {
        *bucket = (unsigned)v;
        return 0;
    }
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    unsigned k = e - H_SUB_BITS;
    *bucket = (unsigned)(v >> k) - H_SUB;
    return k;
}

/* The smallest value of bucket b of group k. */
static uint64_t bucket_low(unsigned k, unsigned b)
{
    return k == 0 ? b : (uint64_t)(H_SUB + b) << k;
}

static bool hist_reserve(const cl_env *env, hist *h, unsigned k)
{
    if (h->g[k] == NULL)
        h->g[k] = clB_calloc(env, 1, group_size(k));
    return h->g[k] != NULL;
}

static void hist_free(const cl_env *env, hist *h)
{
    for (unsigned k = 0; k < H_GROUPS; k++)
        clB_free(env, h->g[k], group_size(k));
}

/* Counts v, whose group is allocated. */
static void hist_add(hist *h, uint64_t v)
{
    unsigned b, k = bucket_of(v, &b);
    uint64_t *g = h->g[k];
    if (k > 0 && k <= H_SPREAD) {
        uint32_t off = (uint32_t)(v - bucket_low(k, b));
        uint32_t *lo = group_lo(g, k), *hi = group_hi(g, k);
        if (g[b] == 0 || off < lo[b])
            lo[b] = off;
        if (g[b] == 0 || off > hi[b])
            hi[b] = off;
    }
    g[b]++;
}

/* Adds the counts of group k of from into into's (allocated). */
static void group_merge(uint64_t *into, const uint64_t *from, unsigned k)
{
    uint32_t *ilo = group_lo(into, k), *ihi = group_hi(into, k);
    const uint32_t *flo = group_lo((uint64_t *)from, k), *fhi = group_hi((uint64_t *)from, k);
    for (unsigned b = 0; b < group_buckets(k); b++) {
        if (from[b] == 0)
            continue;
        if (into[b] == 0 || flo[b] < ilo[b])
            ilo[b] = flo[b];
        if (into[b] == 0 || fhi[b] > ihi[b])
            ihi[b] = fhi[b];
        into[b] += from[b];
    }
}

/* The rank-th smallest value (1-based) as the histogram knows it: the
 * middle of its bucket, kept within the values seen in that bucket. */
static uint64_t hist_rank(const hist *h, uint64_t rank)
{
    uint64_t seen = 0;
    for (unsigned k = 0; k < H_GROUPS; k++) {
        uint64_t *g = h->g[k];
        for (unsigned b = 0; g != NULL && b < group_buckets(k); b++) {
            seen += g[b];
            if (seen < rank)
                continue;
            if (k == 0)
                return b;
            uint64_t low = bucket_low(k, b), v = low + ((uint64_t)1 << (k - 1));
            if (k <= H_SPREAD) {
                uint64_t lo = low + group_lo(g, k)[b], hi = low + group_hi(g, k)[b];
                v = v < lo ? lo : v > hi ? hi : v;
            }
            return v;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Figures
 * ------------------------------------------------------------------------ */

/* One coupon in one view, or the best view as a whole. */
typedef struct figures {
    uint64_t qualifying;           /* orders it applied to / won / got a discount */
    u128 discount, shipping;       /* their sums */
    uint64_t min, max;             /* cost of one qualifying order (eval, best whole) */
    uint64_t rejected;             /* eval: orders not qualifying; best: rejections
                                      (whole: unknown codes entered) */
    uint64_t reasons[CL_R_COUNT];  /* rejected orders listing each reason */
    uint64_t only[CL_R_COUNT];     /* ... as their only reason */
    hist h;                        /* costs (eval, best whole) */
} figures;

struct cl_sim {
    const cl_env *env;
    const cl_program *prog;
    unsigned flags;
    cl_vm *vm_eval;                /* NULL without CL_SIM_EVAL */
    cl_vm *vm_best;                /* NULL without CL_SIM_BEST */
    cl_context *ctx;               /* for cl_sim_add_json, made when first needed */
    char currency[4];              /* "" until fixed */
    int exponent;                  /* of currency; 2 until fixed */
    uint64_t orders, errors;
    u128 subtotal, shipping;
    size_t n;                      /* coupons */
    size_t nfig;                   /* entries of eval and best: n, at least 1 */
    figures *eval;                 /* n of them, or NULL */
    figures *best;                 /* n of them, or NULL */
    figures all;                   /* the best view as a whole */
};

static void cost_add(figures *f, uint64_t cost)
{
    if (f->qualifying == 0 || cost < f->min)
        f->min = cost;
    if (f->qualifying == 0 || cost > f->max)
        f->max = cost;
    hist_add(&f->h, cost);
}

/* The reasons of outcome o, as a bit mask of reason codes. */
static uint32_t reason_mask(const cl_result *r, const clR_outcome *o)
{
    uint32_t m = 0;
    for (uint32_t j = 0; j < o->reason_count; j++) {
        unsigned c = r->reasons.v[o->reason_first + j].code;
        if (c < CL_R_COUNT)
            m |= (uint32_t)1 << c;
    }
    return m;
}

static void reasons_add(figures *f, uint32_t mask)
{
    bool single = mask != 0 && (mask & (mask - 1)) == 0;
    for (unsigned c = 0; mask != 0; c++, mask >>= 1) {
        if (mask & 1) {
            f->reasons[c]++;
            f->only[c] += single;
        }
    }
}

static uint64_t cost_of(const clR_outcome *o)
{
    return (uint64_t)o->discount + (uint64_t)o->shipping;
}

/* Allocates the histogram groups the results of an order will touch. */
static bool reserve_order(cl_sim *s, const cl_result *re, const cl_result *rb)
{
    unsigned b;
    for (size_t i = 0; re != NULL && i < re->out.n; i++) {
        const clR_outcome *o = &re->out.v[i];
        if (o->applicable && !hist_reserve(s->env, &s->eval[i].h, bucket_of(cost_of(o), &b)))
            return false;
    }
    if (rb != NULL && rb->napplied > 0) {
        uint64_t cost = (uint64_t)rb->totals[CL_TOTAL_DISCOUNT] +
                        (uint64_t)rb->totals[CL_TOTAL_SHIPPING_DISCOUNT];
        if (!hist_reserve(s->env, &s->all.h, bucket_of(cost, &b)))
            return false;
    }
    return true;
}

static void count_eval(cl_sim *s, const cl_result *r)
{
    for (size_t i = 0; i < r->out.n; i++) {
        const clR_outcome *o = &r->out.v[i];
        figures *f = &s->eval[i];
        if (o->applicable) {
            cost_add(f, cost_of(o));
            f->qualifying++;
            u128_add64(&f->discount, (uint64_t)o->discount);
            u128_add64(&f->shipping, (uint64_t)o->shipping);
        } else {
            f->rejected++;
            reasons_add(f, reason_mask(r, o));
        }
    }
}

static void count_best(cl_sim *s, const cl_result *r)
{
    for (size_t i = 0; i < r->out.n; i++) {
        const clR_outcome *o = &r->out.v[i];
        if (o->coupon < 0 || (size_t)o->coupon >= s->n) {
            s->all.rejected++; /* an entered code that matches no coupon */
            continue;
        }
        figures *f = &s->best[o->coupon];
        if (i < r->napplied) {
            f->qualifying++;
            u128_add64(&f->discount, (uint64_t)o->discount);
            u128_add64(&f->shipping, (uint64_t)o->shipping);
        } else {
            f->rejected++;
            reasons_add(f, reason_mask(r, o));
        }
    }
    if (r->napplied > 0) {
        figures *f = &s->all;
        uint64_t d = (uint64_t)r->totals[CL_TOTAL_DISCOUNT];
        uint64_t sh = (uint64_t)r->totals[CL_TOTAL_SHIPPING_DISCOUNT];
        cost_add(f, d + sh);
        f->qualifying++;
        u128_add64(&f->discount, d);
        u128_add64(&f->shipping, sh);
    }
}

/* ------------------------------------------------------------------------
 * The handle
 * ------------------------------------------------------------------------ */

static void figures_free(const cl_env *env, figures *f, size_t n)
{
    for (size_t i = 0; f != NULL && i < n; i++)
        hist_free(env, &f[i].h);
    clB_free(env, f, n * sizeof *f);
}

CL_API void cl_sim_free(cl_sim *s)
{
    if (s == NULL)
        return;
    const cl_env *env = s->env;
    cl_vm_free(s->vm_eval);
    cl_vm_free(s->vm_best);
    cl_context_free(s->ctx);
    figures_free(env, s->eval, s->nfig);
    figures_free(env, s->best, s->nfig);
    hist_free(env, &s->all.h);
    clB_free(env, s, sizeof *s);
}

CL_API cl_sim *cl_sim_new(const cl_env *env, const cl_program *prog, unsigned flags,
                          cl_error *err)
{
    clE_clear(err);
    const unsigned known = CL_SIM_EVAL | CL_SIM_BEST | CL_EVAL_ENTERED | CL_BEST_INDEXED;
    if (env == NULL || prog == NULL || (flags & ~known) != 0 ||
        (flags & (CL_SIM_EVAL | CL_SIM_BEST)) == 0) {
        clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "cl_sim_new needs an environment, a "
                "program and CL_SIM_EVAL or CL_SIM_BEST (or both)");
        return NULL;
    }
    cl_sim *s = clB_calloc(env, 1, sizeof *s);
    if (s == NULL) {
        clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
        return NULL;
    }
    s->env = env;
    s->prog = prog;
    s->flags = flags;
    s->exponent = 2;
    s->n = cl_program_count(prog);
    s->nfig = s->n ? s->n : 1;
    bool ok = true;
    if (flags & CL_SIM_EVAL)
        ok = (s->vm_eval = cl_vm_new(env)) != NULL &&
             (s->eval = clB_calloc(env, s->nfig, sizeof *s->eval)) != NULL;
    if (ok && (flags & CL_SIM_BEST))
        ok = (s->vm_best = cl_vm_new(env)) != NULL &&
             (s->best = clB_calloc(env, s->nfig, sizeof *s->best)) != NULL;
    if (!ok) {
        cl_sim_free(s);
        clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
        return NULL;
    }
    return s;
}

CL_API cl_status cl_sim_set_currency(cl_sim *s, const char *currency)
{
    if (s == NULL || currency == NULL)
        return CL_EINVAL;
    size_t len = strlen(currency);
    int e = clM_exponent(currency, len);
    if (e < 0)
        return CL_ECURRENCY;
    if (s->currency[0] != '\0' && strcmp(s->currency, currency) != 0 && s->orders > 0)
        return CL_EINVAL;
    memcpy(s->currency, currency, 4);
    s->exponent = e;
    return CL_OK;
}

/* An order refused: counted, and nothing else. */
static cl_status refuse(cl_sim *s, cl_status rc)
{
    if (rc != CL_ENOMEM && rc != CL_EINVAL)
        s->errors++;
    return rc;
}

CL_API cl_status cl_sim_add(cl_sim *s, const cl_context *ctx, cl_error *err)
{
    if (s == NULL || ctx == NULL)
        return (cl_status)clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "no simulation or context");
    clE_clear(err);
    if (ctx->currency[0] == '\0')
        return refuse(s, (cl_status)clE_set(err, CL_EMISSING, (cl_pos){0, 0, 0},
                                            "the order has no currency"));
    if (s->currency[0] != '\0' && strcmp(s->currency, ctx->currency) != 0)
        return refuse(s, (cl_status)clE_set(err, CL_ECURRENCY, (cl_pos){0, 0, 0},
                                            "the order is in %s, the simulation in %s",
                                            ctx->currency, s->currency));
    const cl_result *re = NULL, *rb = NULL;
    cl_status rc = CL_OK;
    if (s->vm_eval != NULL)
        rc = cl_vm_eval(s->vm_eval, s->prog, ctx, s->flags & CL_EVAL_ENTERED, &re, err);
    if (rc == CL_OK && s->vm_best != NULL)
        rc = cl_vm_best_flags(s->vm_best, s->prog, ctx, s->flags & CL_BEST_INDEXED, &rb, err);
    if (rc != CL_OK)
        return refuse(s, rc);
    if (!reserve_order(s, re, rb))
        return (cl_status)clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    if (s->currency[0] == '\0') {
        memcpy(s->currency, ctx->currency, 4);
        s->exponent = ctx->exponent;
    }
    s->orders++;
    u128_add64(&s->subtotal, (uint64_t)ctx->subtotal);
    u128_add64(&s->shipping, ctx->has_shipping ? (uint64_t)ctx->shipping : 0);
    if (re != NULL)
        count_eval(s, re);
    if (rb != NULL)
        count_best(s, rb);
    return CL_OK;
}

CL_API cl_status cl_sim_add_json(cl_sim *s, const char *text, size_t len, cl_error *err)
{
    if (s == NULL || (text == NULL && len > 0))
        return (cl_status)clE_set(err, CL_EINVAL, (cl_pos){0, 0, 0}, "no simulation or text");
    if (s->ctx == NULL && (s->ctx = cl_context_new(s->env)) == NULL)
        return (cl_status)clE_set(err, CL_ENOMEM, (cl_pos){0, 0, 0}, "out of memory");
    cl_status rc = cl_context_parse(s->ctx, text ? text : "", len, err);
    if (rc != CL_OK)
        return refuse(s, rc);
    return cl_sim_add(s, s->ctx, err);
}

/* ------------------------------------------------------------------------
 * Merging
 * ------------------------------------------------------------------------ */

static bool reserve_like(const cl_env *env, hist *into, const hist *from)
{
    for (unsigned k = 0; k < H_GROUPS; k++)
        if (from->g[k] != NULL && !hist_reserve(env, into, k))
            return false;
    return true;
}

static void figures_merge(figures *a, const figures *b)
{
    if (b->qualifying > 0) {
        if (a->qualifying == 0 || b->min < a->min)
            a->min = b->min;
        if (a->qualifying == 0 || b->max > a->max)
            a->max = b->max;
    }
    a->qualifying += b->qualifying;
    u128_add(&a->discount, b->discount);
    u128_add(&a->shipping, b->shipping);
    a->rejected += b->rejected;
    for (unsigned c = 0; c < CL_R_COUNT; c++) {
        a->reasons[c] += b->reasons[c];
        a->only[c] += b->only[c];
    }
    for (unsigned k = 0; k < H_GROUPS; k++)
        if (b->h.g[k] != NULL)
            group_merge(a->h.g[k], b->h.g[k], k);
}

static bool same_coupons(const cl_program *a, const cl_program *b)
{
    if (a == b)
        return true;
    size_t n = cl_program_count(a);
    if (n != cl_program_count(b))
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(cl_program_code(a, i), cl_program_code(b, i)) != 0)
            return false;
    return true;
}

CL_API cl_status cl_sim_merge(cl_sim *into, const cl_sim *from)
{
    if (into == NULL || from == NULL || into == from || into->flags != from->flags ||
        !same_coupons(into->prog, from->prog))
        return CL_EINVAL;
    /* Two sides that counted orders must agree on the currency; otherwise
     * the merged simulation is in the currency of the side that counted
     * some (into's when neither did, unless it has none). */
    bool a = into->orders > 0, b = from->orders > 0;
    if (a && b && strcmp(into->currency, from->currency) != 0)
        return CL_ECURRENCY;
    const cl_env *env = into->env;
    for (size_t i = 0; i < into->n; i++) {
        if ((into->eval && !reserve_like(env, &into->eval[i].h, &from->eval[i].h)) ||
            (into->best && !reserve_like(env, &into->best[i].h, &from->best[i].h)))
            return CL_ENOMEM;
    }
    if (!reserve_like(env, &into->all.h, &from->all.h))
        return CL_ENOMEM;
    if (!a && from->currency[0] != '\0' && (b || into->currency[0] == '\0')) {
        memcpy(into->currency, from->currency, 4);
        into->exponent = from->exponent;
    }
    into->orders += from->orders;
    into->errors += from->errors;
    u128_add(&into->subtotal, from->subtotal);
    u128_add(&into->shipping, from->shipping);
    for (size_t i = 0; i < into->n; i++) {
        if (into->eval)
            figures_merge(&into->eval[i], &from->eval[i]);
        if (into->best)
            figures_merge(&into->best[i], &from->best[i]);
    }
    figures_merge(&into->all, &from->all);
    return CL_OK;
}

/* ------------------------------------------------------------------------
 * Reading the report
 * ------------------------------------------------------------------------ */

/* The figures of (view, coupon), or NULL with *rc set. */
static const figures *figures_of(const cl_sim *s, unsigned view, long coupon, cl_status *rc)
{
    *rc = CL_EINVAL;
    if (s == NULL || (view != CL_SIM_EVAL && view != CL_SIM_BEST))
        return NULL;
    const figures *f = view == CL_SIM_EVAL ? s->eval : s->best;
    if (f == NULL)
        return NULL;
    if (coupon == CL_SIM_ALL)
        return view == CL_SIM_BEST ? (*rc = CL_OK, &s->all) : NULL;
    if (coupon < 0 || (size_t)coupon >= s->n) {
        *rc = CL_ERANGE;
        return NULL;
    }
    *rc = CL_OK;
    return &f[coupon];
}

static cl_status put_u64(uint64_t v, int64_t *out)
{
    if (v > (uint64_t)INT64_MAX)
        return CL_EOVERFLOW;
    *out = (int64_t)v;
    return CL_OK;
}

static cl_status put_u128(u128 v, int64_t *out)
{
    return u128_to_i64(v, out) ? CL_OK : CL_EOVERFLOW;
}

static u128 cost_sum(const figures *f)
{
    u128 c = f->discount;
    u128_add(&c, f->shipping);
    return c;
}

CL_API cl_status cl_sim_get(const cl_sim *s, unsigned view, long coupon, cl_sim_stat which,
                            int64_t *out)
{
    if (s == NULL || out == NULL || (view != CL_SIM_EVAL && view != CL_SIM_BEST) ||
        (view == CL_SIM_EVAL ? s->eval : s->best) == NULL || (unsigned)which >= CL_SIM_STAT_COUNT)
        return CL_EINVAL;
    if (coupon != CL_SIM_ALL && (coupon < 0 || (size_t)coupon >= s->n))
        return CL_ERANGE;
    const figures *f = coupon != CL_SIM_ALL ? &(view == CL_SIM_EVAL ? s->eval : s->best)[coupon]
                     : view == CL_SIM_BEST  ? &s->all : NULL;
    if (f == NULL && which > CL_SIM_SHIPPING)
        return CL_EINVAL;
    bool whole = coupon == CL_SIM_ALL, best = view == CL_SIM_BEST;
    switch (which) {
    case CL_SIM_ORDERS:
        return put_u64(s->orders, out);
    case CL_SIM_ERRORS:
        return put_u64(s->errors, out);
    case CL_SIM_SUBTOTAL:
        return put_u128(s->subtotal, out);
    case CL_SIM_SHIPPING:
        return put_u128(s->shipping, out);
    case CL_SIM_QUALIFYING:
        return put_u64(f->qualifying, out);
    case CL_SIM_DISCOUNT:
        return put_u128(f->discount, out);
    case CL_SIM_SHIPPING_DISCOUNT:
        return put_u128(f->shipping, out);
    case CL_SIM_MIN:
    case CL_SIM_MAX:
        if (best && !whole)
            return CL_EINVAL;
        return put_u64(f->qualifying == 0 ? 0 : which == CL_SIM_MIN ? f->min : f->max, out);
    case CL_SIM_AVERAGE:
        return put_u128(u128_average(cost_sum(f), f->qualifying), out);
    case CL_SIM_REJECTED:
        return put_u64(f->rejected, out);
    default:
        return CL_EINVAL;
    }
}

/* The nearest-rank percentile p (in hundredths of a percent) of f's costs. */
static uint64_t percentile(const figures *f, unsigned p)
{
    if (f->qualifying == 0)
        return 0;
    if (p == 0)
        return f->min;
    if (p >= 10000)
        return f->max;
    uint64_t n = f->qualifying;
    /* ceil(p x n / 10000) without overflow: n = 10000 q + r. */
    uint64_t rank = n / 10000 * p + ((n % 10000) * p + 9999) / 10000;
    uint64_t v = hist_rank(&f->h, rank ? rank : 1);
    return v < f->min ? f->min : v > f->max ? f->max : v;
}

CL_API cl_status cl_sim_percentile(const cl_sim *s, unsigned view, long coupon, unsigned p,
                                   int64_t *out)
{
    cl_status rc;
    const figures *f = figures_of(s, view, coupon, &rc);
    if (f == NULL)
        return rc;
    if (out == NULL || p > 10000 || (view == CL_SIM_BEST && coupon != CL_SIM_ALL))
        return CL_EINVAL;
    return put_u64(percentile(f, p), out);
}

CL_API cl_status cl_sim_reason(const cl_sim *s, unsigned view, long coupon, int reason,
                               int64_t *orders, int64_t *only)
{
    cl_status rc;
    const figures *f = coupon == CL_SIM_ALL ? NULL : figures_of(s, view, coupon, &rc);
    if (coupon == CL_SIM_ALL || reason < 0 || reason >= CL_R_COUNT)
        return CL_EINVAL;
    if (f == NULL)
        return rc;
    int64_t a, b;
    if (put_u64(f->reasons[reason], &a) != CL_OK || put_u64(f->only[reason], &b) != CL_OK)
        return CL_EOVERFLOW;
    if (orders != NULL)
        *orders = a;
    if (only != NULL)
        *only = b;
    return CL_OK;
}

CL_API const char *cl_sim_currency(const cl_sim *s)
{
    return s ? s->currency : "";
}

CL_API const cl_program *cl_sim_program(const cl_sim *s)
{
    return s ? s->prog : NULL;
}

/* ------------------------------------------------------------------------
 * The JSON report (docs/simulation.md)
 * ------------------------------------------------------------------------ */

typedef struct jw {
    cl_write_fn write;
    void *ud;
    int failed;
    int exponent;
    size_t n;
    char buf[4096];
} jw;

static void flush(jw *w)
{
    if (!w->failed && w->n > 0 && w->write(w->ud, w->buf, w->n) != 0)
        w->failed = 1;
    w->n = 0;
}

static void put(jw *w, const char *s, size_t n)
{
    while (n > 0) {
        if (w->n == sizeof w->buf)
            flush(w);
        size_t k = sizeof w->buf - w->n < n ? sizeof w->buf - w->n : n;
        memcpy(w->buf + w->n, s, k);
        w->n += k;
        s += k;
        n -= k;
    }
}

/* A string literal. */
#define PUT(w, lit) put((w), "" lit, sizeof(lit) - 1)

static void putf(jw *w, const char *fmt, ...) CL_PRINTF(2, 3);
static void putf(jw *w, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(w, buf, k < 0 ? 0 : (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

/* A JSON string: quotes, escapes, control characters as \u00XX. */
static void jstr(jw *w, const char *s)
{
    PUT(w, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            putf(w, "\\%c", c);
        else if (c == '\n')
            PUT(w, "\\n");
        else if (c < 0x20)
            putf(w, "\\u%04x", c);
        else
            put(w, s, 1);
    }
    PUT(w, "\"");
}

/* An amount of minor units as a decimal string with the currency's
 * decimals. */
static void jamount(jw *w, u128 v)
{
    char d[48], out[64];
    size_t n = u128_digits(v, d), e = (size_t)w->exponent, k = 0;
    out[k++] = '"';
    if (n <= e) {
        out[k++] = '0';
        out[k++] = '.';
        for (size_t i = n; i < e; i++)
            out[k++] = '0';
        memcpy(out + k, d, n);
        k += n;
    } else {
        memcpy(out + k, d, n - e);
        k += n - e;
        if (e > 0) {
            out[k++] = '.';
            memcpy(out + k, d + n - e, e);
            k += e;
        }
    }
    out[k++] = '"';
    put(w, out, k);
}

static void jamount64(jw *w, uint64_t v)
{
    jamount(w, (u128){0, v});
}

/* part / whole with four decimals, rounded half up, as a JSON number. */
static void jshare(jw *w, uint64_t part, uint64_t whole)
{
    u128 q = u128_average(u128_mul32((u128){0, part}, 10000), whole);
    putf(w, "%" PRIu64 ".%04" PRIu64, q.lo / 10000, q.lo % 10000);
}

static const unsigned percentiles[] = {2500, 5000, 7500, 9000, 9500, 9900};

static void jcosts(jw *w, const figures *f, const char *in)
{
    u128 cost = cost_sum(f);
    PUT(w, "\"discount\": ");
    jamount(w, f->discount);
    PUT(w, ", \"shipping_discount\": ");
    jamount(w, f->shipping);
    putf(w, ",\n%s\"cost\": ", in);
    jamount(w, cost);
    PUT(w, ", \"average\": ");
    jamount(w, u128_average(cost, f->qualifying));
}

static void jdistribution(jw *w, const figures *f, const char *in)
{
    PUT(w, ", \"min\": ");
    jamount64(w, f->qualifying ? f->min : 0);
    PUT(w, ", \"max\": ");
    jamount64(w, f->qualifying ? f->max : 0);
    putf(w, ",\n%s\"percentiles\": {", in);
    for (size_t i = 0; i < CL_COUNTOF(percentiles); i++) {
        unsigned p = percentiles[i];
        putf(w, "%s\"p%u\": ", i ? ", " : " ", p / 100);
        jamount64(w, percentile(f, p));
    }
    PUT(w, " }");
}

/* The reasons of f, most frequent first (ties in reason-code order). */
static void jreasons(jw *w, const figures *f, const char *in)
{
    int order[CL_R_COUNT];
    int n = 0;
    for (int c = 0; c < CL_R_COUNT; c++) {
        if (f->reasons[c] == 0)
            continue;
        int j = n++;
        while (j > 0 && f->reasons[order[j - 1]] < f->reasons[c]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = c;
    }
    putf(w, ",\n%s\"reasons\": [", in);
    for (int i = 0; i < n; i++) {
        int c = order[i];
        putf(w, "%s\n%s  { \"code\": \"%s\", \"orders\": %" PRIu64 ", \"share\": ", i ? "," : "",
             in, cl_reason_name(c), f->reasons[c]);
        jshare(w, f->reasons[c], f->rejected);
        putf(w, ", \"only\": %" PRIu64 " }", f->only[c]);
    }
    putf(w, n ? "\n%s]" : "]", in);
}

static void jcoupon(jw *w, const cl_sim *s, size_t i)
{
    PUT(w, "    { \"code\": ");
    jstr(w, cl_program_code(s->prog, i));
    PUT(w, ", \"name\": ");
    jstr(w, cl_program_name(s->prog, i));
    if (s->eval != NULL) {
        const figures *f = &s->eval[i];
        putf(w, ",\n      \"eval\": { \"orders\": %" PRIu64 ", \"qualifying\": %" PRIu64
             ", \"share\": ", s->orders, f->qualifying);
        jshare(w, f->qualifying, s->orders);
        putf(w, ", \"not_qualifying\": %" PRIu64 ",\n        ", f->rejected);
        jcosts(w, f, "        ");
        jdistribution(w, f, "        ");
        jreasons(w, f, "        ");
        PUT(w, " }");
    }
    if (s->best != NULL) {
        const figures *f = &s->best[i];
        putf(w, ",\n      \"best\": { \"won\": %" PRIu64 ", \"share\": ", f->qualifying);
        jshare(w, f->qualifying, s->orders);
        putf(w, ", \"rejected\": %" PRIu64 ",\n        ", f->rejected);
        jcosts(w, f, "        ");
        jreasons(w, f, "        ");
        PUT(w, " }");
    }
    PUT(w, " }");
}

CL_API cl_status cl_sim_write_json(const cl_sim *s, cl_write_fn write, void *ud)
{
    if (s == NULL || write == NULL)
        return CL_EINVAL;
    jw *w = clB_alloc(s->env, sizeof *w);
    if (w == NULL)
        return CL_ENOMEM;
    w->write = write;
    w->ud = ud;
    w->failed = 0;
    w->exponent = s->exponent;
    w->n = 0;
    PUT(w, "{\n  \"currency\": ");
    jstr(w, s->currency);
    putf(w, ",\n  \"flags\": { \"eval\": %s, \"entered\": %s, \"best\": %s, \"indexed\": %s },\n",
         s->eval ? "true" : "false", s->flags & CL_EVAL_ENTERED ? "true" : "false",
         s->best ? "true" : "false", s->flags & CL_BEST_INDEXED ? "true" : "false");
    putf(w, "  \"orders\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"subtotal\": ", s->orders,
         s->errors);
    jamount(w, s->subtotal);
    PUT(w, ", \"shipping\": ");
    jamount(w, s->shipping);
    PUT(w, ",\n  \"percentile_error\": \"exact below 256 minor units, else within 1/256\"");
    PUT(w, ",\n  \"coupons\": [");
    for (size_t i = 0; i < s->n; i++) {
        put(w, i ? ",\n" : "\n", i ? 2 : 1);
        jcoupon(w, s, i);
    }
    put(w, s->n ? "\n  ]" : "]", s->n ? 4 : 1);
    if (s->best != NULL) {
        const figures *f = &s->all;
        putf(w, ",\n  \"best\": { \"orders\": %" PRIu64 ", \"discounted\": %" PRIu64
             ", \"share\": ", s->orders, f->qualifying);
        jshare(w, f->qualifying, s->orders);
        putf(w, ", \"unknown_codes\": %" PRIu64 ",\n    ", f->rejected);
        jcosts(w, f, "    ");
        jdistribution(w, f, "    ");
        PUT(w, " }");
    }
    PUT(w, "\n}\n");
    flush(w);
    cl_status rc = w->failed ? CL_EIO : CL_OK;
    clB_free(s->env, w, sizeof *w);
    return rc;
}
