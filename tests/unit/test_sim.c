/*
 * test_sim.c - campaign simulation (sim.c) against references computed here
 * from individual evaluations:
 *
 *   - every figure of every view (each coupon alone, with and without the
 *     codes honoured; the best combination, full and indexed) equals what
 *     cl_vm_eval() and cl_vm_best() give order by order, summed in the test;
 *   - percentiles are within their stated error of the exact ones (sorted
 *     here), exact below 256 minor units and for one-valued buckets;
 *   - merging any split of the orders, in threads or not, gives the report
 *     of one simulation byte for byte;
 *   - refused orders (malformed, another currency, no currency, the step
 *     budget) count as refused and change nothing else;
 *   - sums beyond int64_t are exact in the JSON and CL_EOVERFLOW through
 *     cl_sim_get();
 *   - memory does not grow with the number of orders (the test allocator
 *     counts every byte), and out-of-memory at every allocation leaves a
 *     simulation unchanged;
 *   - the JSON report's shape, byte for byte (docs/simulation.md).
 */
#include "oomalloc.h"
#include "testutil.h"

#include "couponlib/couponlib.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

static test_alloc A;
static cl_env *env;

static void setup(void)
{
    memset(&A, 0, sizeof A);
    env = cl_env_new(test_alloc_fn, &A);
    ck_assert_ptr_nonnull(env);
}

static void teardown(void)
{
    cl_env_free(env);
    ck_assert_uint_eq(A.live_blocks, 0);
    ck_assert_int_eq(A.bad, 0);
}

/* Most kinds of coupon and every way a best choice can go: automatic and
 * code coupons, exclusive, groups, stop, max_coupons, shipping, caps, tiers,
 * per-unit kinds, time conditions. */
static const char catalog[] =
    "version: 1\n"
    "currency: USD\n"
    "timezone: America/New_York\n"
    "selection: { max_coupons: 3 }\n"
    "coupons:\n"
    "  - code: AUTO10\n"
    "    name: 10% over 30.00\n"
    "    automatic: true\n"
    "    when: { cart.subtotal: { gte: \"30.00\" } }\n"
    "    discount: { percent: 10, max_amount: \"25.00\" }\n"
    "  - code: SHIPFREE\n"
    "    automatic: true\n"
    "    group: shipping\n"
    "    when: { weekday: weekend }\n"
    "    discount: { free_shipping: true }\n"
    "  - code: SAVE5\n"
    "    when: { payment.method: card }\n"
    "    discount: { amount: \"5.00\" }\n"
    "  - code: VIP\n"
    "    when: { user.tags: [vip], category: [fashion] }\n"
    "    discount: { percent: 20, target: { items: { category: [fashion] } } }\n"
    "  - code: FIRST\n"
    "    automatic: true\n"
    "    combine: exclusive\n"
    "    when: { order.sequence: 1, cart.subtotal: { gte: \"100.00\" } }\n"
    "    discount: { amount: \"30.00\" }\n"
    "  - code: TVDEAL\n"
    "    automatic: true\n"
    "    group: electronics\n"
    "    priority: 5\n"
    "    stop: true\n"
    "    when: { items: { category: [electronics] } }\n"
    "    discount: { percent: 15, target: { items: { category: [electronics] } } }\n"
    "  - code: BULK\n"
    "    when: { cart.quantity: { gte: 4 }, time: { from: \"09:00\", until: \"17:00\" } }\n"
    "    discount: { amount_per_item: \"1.00\", max_units: 5 }\n"
    "  - code: BIG\n"
    "    automatic: true\n"
    "    group: electronics\n"
    "    when: { cart.subtotal: { gte: \"1000.00\" } }\n"
    "    discount: { tiers: [ { min: \"1000.00\", amount: \"50.00\" }, { min: \"3000.00\", "
    "percent: 5 } ] }\n";

#define NC 8 /* coupons in catalog */

static cl_program *compile(const char *src)
{
    cl_error err;
    cl_program *p = cl_compile(env, src, strlen(src), "sim.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    return p;
}

/* ------------------------------------------------------------------------
 * Random orders
 * ------------------------------------------------------------------------ */

typedef struct text {
    char p[32768];
    size_t n;
} text;

static void out(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->p + t->n, sizeof t->p - t->n, fmt, ap);
    va_end(ap);
    ck_assert(k >= 0 && (size_t)k < sizeof t->p - t->n);
    t->n += (size_t)k;
}

/* The JSON of a random order in 2026: any weekday and hour, codes entered
 * (some that match nothing, some in lower case), users with tags and
 * histories, payments, shipping, 1 to 5 lines. */
static const char *random_order(test_rng *r, text *t)
{
    static const char *const codes[] = {"SAVE5", "VIP", "BULK", "NOPE", "save5", "AUTO10"};
    static const char *const cats[] = {"fashion/women", "electronics/tv", "home", "fashion"};
    t->n = 0;
    int64_t day = test_range(r, 1, 28), month = test_range(r, 1, 12);
    out(t, "{\"now\": \"2026-%02d-%02dT%02d:%02d:00Z\", \"currency\": \"USD\"", (int)month,
        (int)day, (int)test_range(r, 0, 23), (int)test_range(r, 0, 59));
    int nc = (int)test_range(r, -3, 2);
    if (nc > 0) {
        out(t, ", \"codes\": [");
        for (int i = 0; i < nc; i++)
            out(t, "%s\"%s\"", i ? ", " : "", codes[test_range(r, 0, 5)]);
        out(t, "]");
    }
    if (test_range(r, 0, 9) > 0)
        out(t, ", \"user\": { \"id\": \"u-%d\", \"tags\": [%s], \"orders_completed\": %d }",
            (int)test_range(r, 1, 50), test_range(r, 0, 2) == 0 ? "\"vip\"" : "",
            (int)test_range(r, 0, 3));
    out(t, ", \"payment\": { \"method\": \"%s\" }", test_range(r, 0, 2) ? "card" : "paypal");
    if (test_range(r, 0, 3) > 0)
        out(t, ", \"shipping\": { \"amount\": \"%d.%02d\" }", (int)test_range(r, 0, 9),
            (int)test_range(r, 0, 99));
    out(t, ", \"items\": [");
    int n = (int)test_range(r, 1, 5);
    for (int i = 0; i < n; i++) {
        int64_t cents = test_range(r, 0, 3) == 0 ? test_range(r, 50000, 400000)
                                                  : test_range(r, 100, 20000);
        out(t, "%s{ \"sku\": \"S%d\", \"quantity\": %d, \"unit_price\": \"%d.%02d\", "
            "\"categories\": [\"%s\"] }", i ? ", " : "", i, (int)test_range(r, 1, 3),
            (int)(cents / 100), (int)(cents % 100), cats[test_range(r, 0, 3)]);
    }
    out(t, "] }");
    return t->p;
}

/* ------------------------------------------------------------------------
 * The reference: individual evaluations, summed here
 * ------------------------------------------------------------------------ */

typedef struct costs {
    int64_t *v;
    size_t n, cap;
} costs;

typedef struct fig {
    int64_t q, d, s, rej;
    int64_t reasons[CL_R_COUNT], only[CL_R_COUNT];
    int64_t min, max;
    costs c;
} fig;

typedef struct ref {
    int64_t orders, errors, subtotal, shipping, unknown;
    fig ev[NC], be[NC], all;
} ref;

static void cost_push(fig *f, int64_t v)
{
    costs *c = &f->c;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
        ck_assert_ptr_nonnull(c->v);
    }
    c->v[c->n++] = v;
    if (f->q == 0 || v < f->min)
        f->min = v;
    if (f->q == 0 || v > f->max)
        f->max = v;
}

static void ref_free(ref *R)
{
    for (int i = 0; i < NC; i++) {
        free(R->ev[i].c.v);
        free(R->be[i].c.v);
    }
    free(R->all.c.v);
}

static void ref_reasons(fig *f, const cl_result *res, size_t i)
{
    unsigned mask = 0;
    for (size_t j = 0; j < cl_result_reason_count(res, i); j++)
        mask |= 1u << cl_result_reason(res, i, j);
    int distinct = 0;
    for (int c = 0; c < CL_R_COUNT; c++)
        distinct += (mask >> c) & 1;
    for (int c = 0; c < CL_R_COUNT; c++) {
        if (mask & (1u << c)) {
            f->reasons[c]++;
            f->only[c] += distinct == 1;
        }
    }
}

/* Counts one parsed order the way the simulation should. */
static void ref_add(ref *R, cl_vm *vm, const cl_program *p, const cl_context *ctx,
                    unsigned flags)
{
    const cl_result *res;
    cl_error err;
    R->orders++;
    if (flags & CL_SIM_EVAL) {
        ck_assert_int_eq(cl_vm_eval(vm, p, ctx, flags & CL_EVAL_ENTERED, &res, &err), CL_OK);
        R->subtotal += cl_result_total(res, CL_TOTAL_SUBTOTAL);
        R->shipping += cl_result_total(res, CL_TOTAL_SHIPPING);
        for (size_t i = 0; i < cl_result_count(res); i++) {
            fig *f = &R->ev[i];
            if (cl_result_applicable(res, i)) {
                int64_t d = cl_result_discount(res, i), s = cl_result_shipping_discount(res, i);
                cost_push(f, d + s);
                f->q++;
                f->d += d;
                f->s += s;
            } else {
                f->rej++;
                ref_reasons(f, res, i);
            }
        }
    }
    if (flags & CL_SIM_BEST) {
        ck_assert_int_eq(cl_vm_best_flags(vm, p, ctx, flags & CL_BEST_INDEXED, &res, &err),
                         CL_OK);
        if (!(flags & CL_SIM_EVAL)) {
            R->subtotal += cl_result_total(res, CL_TOTAL_SUBTOTAL);
            R->shipping += cl_result_total(res, CL_TOTAL_SHIPPING);
        }
        size_t n = cl_result_count(res), m = cl_result_rejected_count(res);
        for (size_t i = 0; i < n + m; i++) {
            long c = cl_result_coupon(res, i);
            if (c < 0) {
                R->unknown++;
                continue;
            }
            fig *f = &R->be[c];
            if (i < n) {
                f->q++;
                f->d += cl_result_discount(res, i);
                f->s += cl_result_shipping_discount(res, i);
            } else {
                f->rej++;
                ref_reasons(f, res, i);
            }
        }
        if (n > 0) {
            int64_t d = cl_result_total(res, CL_TOTAL_DISCOUNT);
            int64_t s = cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT);
            cost_push(&R->all, d + s);
            R->all.q++;
            R->all.d += d;
            R->all.s += s;
        }
    }
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The exact nearest-rank percentile p (hundredths of a percent) of sorted[0..n). */
static int64_t exact_percentile(const int64_t *sorted, size_t n, unsigned p)
{
    if (n == 0)
        return 0;
    uint64_t rank = ((uint64_t)n * p + 9999) / 10000;
    return sorted[rank ? rank - 1 : 0];
}

/* Whether got is within the stated error of exact: equal below 256, else
 * within exact / 256. */
static bool close_enough(int64_t exact, int64_t got)
{
    if (exact < 256)
        return got == exact;
    int64_t diff = got > exact ? got - exact : exact - got;
    return diff <= exact / 256;
}

static const unsigned some_p[] = {0, 1, 10, 100, 1000, 2500, 5000, 7500, 9000,
                                  9500, 9900, 9990, 9999, 10000};

static void check_percentiles(const cl_sim *s, unsigned view, long c, fig *f)
{
    qsort(f->c.v, f->c.n, sizeof *f->c.v, cmp64);
    for (size_t i = 0; i < COUNTOF(some_p); i++) {
        int64_t got = -1, want = exact_percentile(f->c.v, f->c.n, some_p[i]);
        ck_assert_int_eq(cl_sim_percentile(s, view, c, some_p[i], &got), CL_OK);
        REQUIRE(close_enough(want, got), "view %u coupon %ld p%u: %lld, exact %lld", view, c,
                some_p[i], (long long)got, (long long)want);
    }
}

static int64_t get(const cl_sim *s, unsigned view, long c, cl_sim_stat which)
{
    int64_t v = -1;
    ck_assert_int_eq(cl_sim_get(s, view, c, which, &v), CL_OK);
    return v;
}

static void check_fig(const cl_sim *s, unsigned view, long c, fig *f, bool dist)
{
    ck_assert_int_eq(get(s, view, c, CL_SIM_QUALIFYING), f->q);
    ck_assert_int_eq(get(s, view, c, CL_SIM_DISCOUNT), f->d);
    ck_assert_int_eq(get(s, view, c, CL_SIM_SHIPPING_DISCOUNT), f->s);
    int64_t avg = f->q ? ((f->d + f->s) * 2 + f->q) / (2 * f->q) : 0;
    ck_assert_int_eq(get(s, view, c, CL_SIM_AVERAGE), avg);
    if (c != CL_SIM_ALL) {
        ck_assert_int_eq(get(s, view, c, CL_SIM_REJECTED), f->rej);
        for (int r = 0; r < CL_R_COUNT; r++) {
            int64_t n = -1, only = -1;
            ck_assert_int_eq(cl_sim_reason(s, view, c, r, &n, &only), CL_OK);
            ck_assert_int_eq(n, f->reasons[r]);
            ck_assert_int_eq(only, f->only[r]);
        }
    }
    if (dist) {
        ck_assert_int_eq(get(s, view, c, CL_SIM_MIN), f->q ? f->min : 0);
        ck_assert_int_eq(get(s, view, c, CL_SIM_MAX), f->q ? f->max : 0);
        check_percentiles(s, view, c, f);
    }
}

static void ref_check(ref *R, const cl_sim *s, unsigned flags)
{
    unsigned view = flags & CL_SIM_EVAL ? CL_SIM_EVAL : CL_SIM_BEST;
    ck_assert_int_eq(get(s, view, CL_SIM_ALL, CL_SIM_ORDERS), R->orders);
    ck_assert_int_eq(get(s, view, CL_SIM_ALL, CL_SIM_ERRORS), R->errors);
    ck_assert_int_eq(get(s, view, CL_SIM_ALL, CL_SIM_SUBTOTAL), R->subtotal);
    ck_assert_int_eq(get(s, view, CL_SIM_ALL, CL_SIM_SHIPPING), R->shipping);
    for (long c = 0; c < NC; c++) {
        if (flags & CL_SIM_EVAL)
            check_fig(s, CL_SIM_EVAL, c, &R->ev[c], true);
        if (flags & CL_SIM_BEST)
            check_fig(s, CL_SIM_BEST, c, &R->be[c], false);
    }
    if (flags & CL_SIM_BEST) {
        check_fig(s, CL_SIM_BEST, CL_SIM_ALL, &R->all, true);
        ck_assert_int_eq(get(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_REJECTED), R->unknown);
    }
}

/* A report as text. The caller frees it. */
static char *report(const cl_sim *s)
{
    test_text t = {0};
    ck_assert_int_eq(cl_sim_write_json(s, test_text_write, &t), CL_OK);
    return t.p;
}

/* Two reports must be equal (too long for ck_assert_str_eq's message). */
static void same_report(const char *a, const char *b, const char *what)
{
    if (strcmp(a, b) != 0)
        fprintf(stderr, "%s: one report:\n%s\nthe other:\n%s\n", what, a, b);
    ck_assert_msg(strcmp(a, b) == 0, "%s: the reports differ (both on stderr)", what);
}

/* ------------------------------------------------------------------------
 * Results equal the sum of individual evaluations
 * ------------------------------------------------------------------------ */

static const unsigned all_flags[] = {
    CL_SIM_EVAL,
    CL_SIM_EVAL | CL_EVAL_ENTERED,
    CL_SIM_BEST,
    CL_SIM_BEST | CL_BEST_INDEXED,
    CL_SIM_EVAL | CL_SIM_BEST | CL_EVAL_ENTERED | CL_BEST_INDEXED,
};

START_TEST(test_reference)
{
    unsigned flags = all_flags[_i];
    cl_program *p = compile(catalog);
    ck_assert_uint_eq(cl_program_count(p), NC);
    cl_error err;
    cl_sim *s = cl_sim_new(env, p, flags, &err);
    ck_assert_ptr_nonnull(s);
    cl_vm *vm = cl_vm_new(env);
    cl_context *ctx = cl_context_new(env);
    ref R;
    memset(&R, 0, sizeof R);
    test_rng r = {0x5151u + _i};
    text t;
    long n = test_rounds(4000);
    for (long k = 0; k < n; k++) {
        const char *json = random_order(&r, &t);
        ck_assert_int_eq(cl_context_parse(ctx, json, t.n, &err), CL_OK);
        ref_add(&R, vm, p, ctx, flags);
        /* Half through the JSON, half through a parsed context. */
        cl_status rc = k % 2 ? cl_sim_add_json(s, json, t.n, &err) : cl_sim_add(s, ctx, &err);
        REQUIRE(rc == CL_OK, "order %ld: %s", k, err.message);
        if (k % 97 == 0) {
            /* A malformed order now and then: refused, counted, nothing else. */
            R.errors++;
            ck_assert_int_eq(cl_sim_add_json(s, "{\"now\": 5", 9, &err), CL_ESYNTAX);
        }
    }
    ref_check(&R, s, flags);
    /* Every coupon got some of everything, or the test would prove little. */
    if (flags & CL_SIM_EVAL)
        for (int c = 0; c < NC; c++)
            ck_assert_msg(R.ev[c].q > 0 && R.ev[c].rej > 0, "coupon %d", c);
    if (flags & CL_SIM_BEST)
        ck_assert(R.all.q > 0 && R.unknown > 0);
    ref_free(&R);
    cl_context_free(ctx);
    cl_vm_free(vm);
    cl_sim_free(s);
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * Percentiles
 * ------------------------------------------------------------------------ */

/* A coupon whose discount is the whole cart: an order of one line of v
 * minor units costs exactly v. */
static const char whole[] =
    "version: 1\n"
    "currency: USD\n"
    "coupons:\n"
    "  - { code: ALL, automatic: true, discount: { percent: 100 } }\n";

/* The same in any currency. */
static const char anywhere[] =
    "version: 1\n"
    "coupons:\n"
    "  - { code: ALL, automatic: true, discount: { percent: 100 } }\n";

static void feed_value(cl_sim *s, cl_context *ctx, int64_t v)
{
    cl_context_clear(ctx);
    ck_assert_int_eq(cl_context_set_now(ctx, 1780000000), CL_OK);
    ck_assert_int_eq(cl_context_set_currency(ctx, "USD"), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "X", 1, v, NULL), CL_OK);
    cl_error err;
    ck_assert_int_eq(cl_sim_add(s, ctx, &err), CL_OK);
}

/* Values of five shapes: small (exact), log-uniform up to 10^12, log-uniform
 * up to 10^17 (buckets too wide to keep their range), few distinct values,
 * and a cap that most orders reach. */
static int64_t value(test_rng *r, int shape)
{
    switch (shape) {
    case 0:
        return test_range(r, 0, 300);
    case 1: {
        int64_t e = test_range(r, 0, 40);
        return ((int64_t)1 << e) + test_range(r, 0, ((int64_t)1 << e) - 1) / 2;
    }
    case 2: {
        int64_t e = test_range(r, 0, 56);
        return ((int64_t)1 << e) + test_range(r, 0, ((int64_t)1 << e) - 1);
    }
    case 3: {
        static const int64_t few[] = {99, 500, 1000, 2500, 9999, 123456};
        return few[test_range(r, 0, 5)];
    }
    default:
        /* A capped discount: most orders reach the cap. */
        return test_range(r, 0, 9) < 7 ? 2500 : test_range(r, 100, 2400);
    }
}

START_TEST(test_percentiles)
{
    cl_program *p = compile(whole);
    cl_context *ctx = cl_context_new(env);
    for (int shape = 0; shape < 5; shape++) {
        cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL | CL_SIM_BEST, NULL);
        ck_assert_ptr_nonnull(s);
        fig f, b; /* each coupon alone; the best choice, never one of nothing */
        memset(&f, 0, sizeof f);
        memset(&b, 0, sizeof b);
        test_rng r = {977u + (unsigned)shape};
        long n = test_rounds(20000);
        for (long k = 0; k < n; k++) {
            int64_t v = value(&r, shape);
            feed_value(s, ctx, v);
            cost_push(&f, v);
            f.q++;
            if (v > 0) {
                cost_push(&b, v);
                b.q++;
            }
        }
        check_percentiles(s, CL_SIM_EVAL, 0, &f);
        check_percentiles(s, CL_SIM_BEST, CL_SIM_ALL, &b);
        free(b.c.v);
        /* Every p: within the error, and exact wherever the bucket holds one
         * value (every value of the few-valued shape, the cap of the capped
         * one). */
        for (unsigned q = 0; q <= 10000; q += 7) {
            int64_t got, want = exact_percentile(f.c.v, f.c.n, q);
            ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, q, &got), CL_OK);
            REQUIRE(close_enough(want, got), "shape %d p%u: %lld, exact %lld", shape, q,
                    (long long)got, (long long)want);
            REQUIRE(!(shape == 3 || (shape == 4 && want == 2500)) || got == want,
                    "shape %d p%u: %lld, exact %lld", shape, q, (long long)got,
                    (long long)want);
        }
        free(f.c.v);
        cl_sim_free(s);
    }
    cl_context_free(ctx);
    cl_program_free(p);
}
END_TEST

START_TEST(test_percentile_edges)
{
    cl_program *p = compile(whole);
    cl_context *ctx = cl_context_new(env);
    cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL, NULL);
    int64_t v = -1;
    /* No qualifying order: 0. */
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, 5000, &v), CL_OK);
    ck_assert_int_eq(v, 0);
    /* One order: every percentile is it. */
    feed_value(s, ctx, 777777);
    for (unsigned q = 0; q <= 10000; q += 2500) {
        ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, q, &v), CL_OK);
        ck_assert_int_eq(v, 777777);
    }
    /* The average rounds half up: (777777 + 2) / 2. */
    feed_value(s, ctx, 2);
    ck_assert_int_eq(get(s, CL_SIM_EVAL, 0, CL_SIM_AVERAGE), 388890);
    /* The largest amounts there are. */
    feed_value(s, ctx, INT64_MAX);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, 10000, &v), CL_OK);
    ck_assert_int_eq(v, INT64_MAX);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, 5000, &v), CL_OK);
    ck_assert_int_eq(v, 777777);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, 0, &v), CL_OK);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, 10001, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 1, 5000, &v), CL_ERANGE);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_BEST, CL_SIM_ALL, 5000, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, CL_SIM_ALL, 5000, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, 5000, NULL), CL_EINVAL);
    cl_sim_free(s);
    s = cl_sim_new(env, p, CL_SIM_BEST, NULL);
    feed_value(s, ctx, 1234);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_BEST, 0, 5000, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_BEST, CL_SIM_ALL, 5000, &v), CL_OK);
    ck_assert_int_eq(v, 1234);
    cl_sim_free(s);
    cl_context_free(ctx);
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * Merging, and threads
 * ------------------------------------------------------------------------ */

START_TEST(test_merge)
{
    unsigned flags = all_flags[_i];
    cl_program *p = compile(catalog);
    cl_sim *one = cl_sim_new(env, p, flags, NULL), *part[3];
    for (int k = 0; k < 3; k++)
        part[k] = cl_sim_new(env, p, flags, NULL);
    test_rng r = {4242u + _i};
    text t;
    cl_error err;
    long n = test_rounds(1500);
    for (long k = 0; k < n; k++) {
        random_order(&r, &t);
        ck_assert_int_eq(cl_sim_add_json(one, t.p, t.n, &err), CL_OK);
        /* Uneven parts: the third gets an order only now and then. */
        int which = test_range(&r, 0, 9) == 0 ? 2 : (int)test_range(&r, 0, 1);
        ck_assert_int_eq(cl_sim_add_json(part[which], t.p, t.n, &err), CL_OK);
        if (k % 101 == 0) {
            cl_sim_add_json(one, "[]", 2, NULL);
            cl_sim_add_json(part[which], "[]", 2, NULL);
        }
    }
    /* Merging an empty simulation changes nothing; into an empty one copies. */
    cl_sim *empty = cl_sim_new(env, p, flags, NULL), *copy = cl_sim_new(env, p, flags, NULL);
    ck_assert_int_eq(cl_sim_merge(part[0], empty), CL_OK);
    ck_assert_int_eq(cl_sim_merge(copy, part[0]), CL_OK);
    char *a = report(part[0]), *b = report(copy);
    same_report(a, b, "an empty simulation merged into");
    free(a);
    free(b);
    ck_assert_int_eq(cl_sim_merge(part[0], part[1]), CL_OK);
    ck_assert_int_eq(cl_sim_merge(part[0], part[2]), CL_OK);
    a = report(one);
    b = report(part[0]);
    same_report(a, b, "the merged parts against one simulation");
    free(a);
    free(b);
    for (int k = 0; k < 3; k++)
        cl_sim_free(part[k]);
    cl_sim_free(empty);
    cl_sim_free(copy);
    cl_sim_free(one);
    cl_program_free(p);
}
END_TEST

START_TEST(test_merge_refused)
{
    cl_program *p = compile(catalog), *q = compile(catalog), *w = compile(whole);
    cl_sim *a = cl_sim_new(env, p, CL_SIM_EVAL, NULL);
    cl_sim *same = cl_sim_new(env, q, CL_SIM_EVAL, NULL);    /* the same codes */
    cl_sim *other = cl_sim_new(env, w, CL_SIM_EVAL, NULL);   /* other codes */
    cl_sim *flags = cl_sim_new(env, p, CL_SIM_EVAL | CL_EVAL_ENTERED, NULL);
    cl_sim *eur = cl_sim_new(env, p, CL_SIM_EVAL, NULL);
    ck_assert_int_eq(cl_sim_merge(a, same), CL_OK);
    ck_assert_int_eq(cl_sim_merge(a, other), CL_EINVAL);
    ck_assert_int_eq(cl_sim_merge(a, flags), CL_EINVAL);
    ck_assert_int_eq(cl_sim_merge(a, a), CL_EINVAL);
    ck_assert_int_eq(cl_sim_merge(a, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_sim_merge(NULL, a), CL_EINVAL);
    /* Currencies: an empty side takes the other's; two counted ones must agree. */
    static const char usd[] = "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"USD\", "
                              "\"items\": []}";
    static const char eur_order[] = "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"EUR\", "
                                    "\"items\": []}";
    ck_assert_int_eq(cl_sim_add_json(eur, eur_order, strlen(eur_order), NULL), CL_OK);
    ck_assert_str_eq(cl_sim_currency(eur), "EUR");
    ck_assert_str_eq(cl_sim_currency(a), "");
    ck_assert_int_eq(cl_sim_merge(a, eur), CL_OK);
    ck_assert_str_eq(cl_sim_currency(a), "EUR");
    ck_assert_int_eq(cl_sim_add_json(same, usd, strlen(usd), NULL), CL_OK);
    ck_assert_int_eq(cl_sim_merge(a, same), CL_ECURRENCY);
    ck_assert_int_eq(cl_sim_merge(same, a), CL_ECURRENCY);
    ck_assert_int_eq(get(a, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ORDERS), 1);
    cl_sim_free(a);
    cl_sim_free(same);
    cl_sim_free(other);
    cl_sim_free(flags);
    cl_sim_free(eur);
    cl_program_free(p);
    cl_program_free(q);
    cl_program_free(w);
}
END_TEST

typedef struct feeder {
    cl_sim *sim;
    char **lines;
    size_t n, start, step;
    int failures;
} feeder;

static void *feed(void *ud)
{
    feeder *f = ud;
    for (size_t i = f->start; i < f->n; i += f->step)
        f->failures += cl_sim_add_json(f->sim, f->lines[i], strlen(f->lines[i]), NULL) != CL_OK;
    return NULL;
}

START_TEST(test_threads)
{
    /* The counting allocator is not thread-safe: malloc's environment. */
    cl_env *menv = cl_env_new(NULL, NULL);
    cl_error err;
    cl_program *p = cl_compile(menv, catalog, strlen(catalog), "sim.yaml", &err);
    ck_assert_ptr_nonnull(p);
    unsigned flags = CL_SIM_EVAL | CL_SIM_BEST | CL_BEST_INDEXED;
    size_t n = (size_t)test_rounds(2000);
    char **lines = calloc(n, sizeof *lines);
    test_rng r = {777};
    text t;
    for (size_t i = 0; i < n; i++)
        lines[i] = strdup(random_order(&r, &t));
    cl_sim *one = cl_sim_new(menv, p, flags, NULL);
    feeder solo = {one, lines, n, 0, 1, 0};
    feed(&solo);
    /* Three threads, one program, a simulation each. */
    feeder f[3];
    pthread_t tid[3];
    for (int k = 0; k < 3; k++) {
        f[k] = (feeder){cl_sim_new(menv, p, flags, NULL), lines, n, (size_t)k, 3, 0};
        ck_assert_int_eq(pthread_create(&tid[k], NULL, feed, &f[k]), 0);
    }
    for (int k = 0; k < 3; k++)
        pthread_join(tid[k], NULL);
    for (int k = 1; k < 3; k++)
        ck_assert_int_eq(cl_sim_merge(f[0].sim, f[k].sim), CL_OK);
    char *a = report(one), *b = report(f[0].sim);
    same_report(a, b, "threads against one simulation");
    ck_assert_int_eq(solo.failures + f[0].failures + f[1].failures + f[2].failures, 0);
    free(a);
    free(b);
    for (int k = 0; k < 3; k++)
        cl_sim_free(f[k].sim);
    cl_sim_free(one);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    cl_program_free(p);
    cl_env_free(menv);
}
END_TEST

/* ------------------------------------------------------------------------
 * Refused orders
 * ------------------------------------------------------------------------ */

/* The report with its "errors" figure set to 0. */
static char *report_sans_errors(const cl_sim *s)
{
    char *j = report(s), *e = strstr(j, "\"errors\": ");
    ck_assert_ptr_nonnull(e);
    char *end = e + 10;
    while (*end >= '0' && *end <= '9')
        end++;
    memmove(e + 11, end, strlen(end) + 1);
    e[10] = '0';
    return j;
}

START_TEST(test_refused)
{
    cl_program *p = compile(catalog);
    unsigned flags = CL_SIM_EVAL | CL_SIM_BEST;
    cl_sim *clean = cl_sim_new(env, p, flags, NULL), *s = cl_sim_new(env, p, flags, NULL);
    cl_context *ctx = cl_context_new(env);
    test_rng r = {99};
    text t;
    cl_error err;
    int refused = 0;
    for (int k = 0; k < 200; k++) {
        random_order(&r, &t);
        ck_assert_int_eq(cl_sim_add_json(clean, t.p, t.n, NULL), CL_OK);
        ck_assert_int_eq(cl_sim_add_json(s, t.p, t.n, NULL), CL_OK);
        switch (k % 40) {
        case 0: /* malformed, with its position */
            ck_assert_int_eq(cl_sim_add_json(s, "{\"now\": [}", 10, &err), CL_ESYNTAX);
            ck_assert_uint_eq(err.line, 1);
            ck_assert_uint_gt(err.column, 0);
            refused++;
            break;
        case 1: { /* a context the parser refuses */
            static const char bad[] = "{\"now\": \"x\", \"currency\": \"USD\", \"items\": []}";
            ck_assert_int_eq(cl_sim_add_json(s, bad, strlen(bad), &err), CL_EDATE);
            refused++;
            break;
        }
        case 2: { /* another currency */
            static const char eur[] = "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"EUR\", "
                                      "\"items\": [{\"sku\": \"A\", \"quantity\": 1, "
                                      "\"unit_price\": \"50.00\"}]}";
            ck_assert_int_eq(cl_sim_add_json(s, eur, strlen(eur), &err), CL_ECURRENCY);
            ck_assert_ptr_nonnull(strstr(err.message, "EUR"));
            refused++;
            break;
        }
        case 3: /* no currency at all (a context built with setters) */
            cl_context_clear(ctx);
            cl_context_set_now(ctx, 1780000000);
            ck_assert_int_eq(cl_sim_add(s, ctx, &err), CL_EMISSING);
            refused++;
            break;
        case 4: /* empty text */
            ck_assert_int_ne(cl_sim_add_json(s, "", 0, &err), CL_OK);
            refused++;
            break;
        }
    }
    ck_assert_int_eq(get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ERRORS), refused);
    ck_assert_int_eq(get(s, CL_SIM_BEST, 3, CL_SIM_ERRORS), refused);
    char *a = report_sans_errors(s), *b = report(clean);
    same_report(a, b, "with refused orders against without");
    free(a);
    free(b);
    /* NULLs are refused without being counted. */
    ck_assert_int_eq(cl_sim_add(s, NULL, &err), CL_EINVAL);
    ck_assert_int_eq(cl_sim_add(NULL, ctx, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_sim_add_json(s, NULL, 3, &err), CL_EINVAL);
    ck_assert_int_eq(get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ERRORS), refused);
    cl_context_free(ctx);
    cl_sim_free(clean);
    cl_sim_free(s);
    cl_program_free(p);
}
END_TEST

/* The step budget runs out on a large cart: that order alone is refused. */
START_TEST(test_refused_steps)
{
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STEPS, 400), CL_OK);
    cl_program *p = compile(catalog);
    cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL, NULL);
    static const char small[] = "{\"now\": \"2026-01-03T12:00:00Z\", \"currency\": \"USD\", "
                                "\"items\": [{\"sku\": \"A\", \"quantity\": 1, "
                                "\"unit_price\": \"50.00\", \"categories\": [\"fashion\"]}]}";
    ck_assert_int_eq(cl_sim_add_json(s, small, strlen(small), NULL), CL_OK);
    text t = {.n = 0};
    out(&t, "{\"now\": \"2026-01-03T12:00:00Z\", \"currency\": \"USD\", \"items\": [");
    for (int i = 0; i < 300; i++)
        out(&t, "%s{\"sku\": \"S%d\", \"quantity\": 1, \"unit_price\": \"1.00\", "
            "\"categories\": [\"home\"]}", i ? "," : "", i);
    out(&t, "]}");
    char *before = report(s);
    cl_error err;
    ck_assert_int_eq(cl_sim_add_json(s, t.p, t.n, &err), CL_ESTEPS);
    ck_assert_int_eq(get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ERRORS), 1);
    char *after = report_sans_errors(s);
    same_report(before, after, "before and after the step budget ran out");
    free(before);
    free(after);
    cl_sim_free(s);
    cl_program_free(p);
}
END_TEST

START_TEST(test_currency)
{
    cl_program *p = compile(anywhere);
    cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL, NULL);
    cl_context *ctx = cl_context_new(env);
    ck_assert_str_eq(cl_sim_currency(s), "");
    ck_assert_int_eq(cl_sim_set_currency(s, "XXQ"), CL_ECURRENCY);
    ck_assert_int_eq(cl_sim_set_currency(s, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_sim_set_currency(s, "JPY"), CL_OK);
    ck_assert_int_eq(cl_sim_set_currency(s, "EUR"), CL_OK); /* nothing counted yet */
    ck_assert_str_eq(cl_sim_currency(s), "EUR");
    cl_error err;
    cl_context_set_now(ctx, 1780000000);
    cl_context_set_currency(ctx, "USD");
    ck_assert_int_eq(cl_sim_add(s, ctx, &err), CL_ECURRENCY);
    cl_context_clear(ctx);
    cl_context_set_now(ctx, 1780000000);
    cl_context_set_currency(ctx, "EUR");
    cl_context_add_item(ctx, "A", 1, 1234, NULL);
    ck_assert_int_eq(cl_sim_add(s, ctx, &err), CL_OK);
    ck_assert_int_eq(cl_sim_set_currency(s, "USD"), CL_EINVAL);
    ck_assert_int_eq(cl_sim_set_currency(s, "EUR"), CL_OK);
    ck_assert_int_eq(get(s, CL_SIM_EVAL, 0, CL_SIM_DISCOUNT), 1234);
    ck_assert_int_eq(get(s, CL_SIM_EVAL, 0, CL_SIM_ERRORS), 1);
    cl_sim_free(s);
    /* Amounts in the JSON have the currency's decimals. */
    s = cl_sim_new(env, p, CL_SIM_EVAL, NULL);
    cl_context_clear(ctx);
    cl_context_set_now(ctx, 1780000000);
    cl_context_set_currency(ctx, "KWD");
    cl_context_add_item(ctx, "A", 1, 1234, NULL);
    ck_assert_int_eq(cl_sim_add(s, ctx, &err), CL_OK);
    char *j = report(s);
    ck_assert_ptr_nonnull(strstr(j, "\"discount\": \"1.234\""));
    ck_assert_ptr_nonnull(strstr(j, "\"currency\": \"KWD\""));
    free(j);
    cl_sim_free(s);
    cl_context_free(ctx);
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * Sums beyond int64_t
 * ------------------------------------------------------------------------ */

START_TEST(test_overflow)
{
    cl_program *p = compile(whole);
    cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL | CL_SIM_BEST, NULL);
    cl_context *ctx = cl_context_new(env);
    const int64_t big = 4000000000000000000; /* 40,000,000,000,000,000.00 */
    for (int k = 0; k < 3; k++)
        feed_value(s, ctx, big);
    int64_t v;
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, 0, CL_SIM_DISCOUNT, &v), CL_EOVERFLOW);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_DISCOUNT, &v), CL_EOVERFLOW);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_SUBTOTAL, &v), CL_EOVERFLOW);
    ck_assert_int_eq(get(s, CL_SIM_EVAL, 0, CL_SIM_AVERAGE), big);
    ck_assert_int_eq(get(s, CL_SIM_EVAL, 0, CL_SIM_MAX), big);
    ck_assert_int_eq(cl_sim_percentile(s, CL_SIM_EVAL, 0, 5000, &v), CL_OK);
    ck_assert_int_eq(v, big);
    char *j = report(s);
    ck_assert_ptr_nonnull(strstr(j, "\"subtotal\": \"120000000000000000.00\""));
    ck_assert_ptr_nonnull(strstr(j, "\"discount\": \"120000000000000000.00\""));
    ck_assert_ptr_nonnull(strstr(j, "\"average\": \"40000000000000000.00\""));
    free(j);
    /* Merging keeps summing exactly: 6 x big. */
    cl_sim *t = cl_sim_new(env, p, CL_SIM_EVAL | CL_SIM_BEST, NULL);
    for (int k = 0; k < 3; k++)
        feed_value(t, ctx, big);
    ck_assert_int_eq(cl_sim_merge(s, t), CL_OK);
    j = report(s);
    ck_assert_ptr_nonnull(strstr(j, "\"discount\": \"240000000000000000.00\""));
    free(j);
    cl_sim_free(t);
    cl_sim_free(s);
    cl_context_free(ctx);
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * The API's refusals
 * ------------------------------------------------------------------------ */

START_TEST(test_api)
{
    cl_program *p = compile(catalog);
    cl_error err;
    ck_assert_ptr_null(cl_sim_new(env, p, 0, &err));
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert_ptr_null(cl_sim_new(env, p, CL_EVAL_ENTERED, &err));
    ck_assert_ptr_null(cl_sim_new(env, p, CL_SIM_EVAL | (1u << 20), &err));
    ck_assert_ptr_null(cl_sim_new(NULL, p, CL_SIM_EVAL, &err));
    ck_assert_ptr_null(cl_sim_new(env, NULL, CL_SIM_EVAL, NULL));
    cl_sim_free(NULL);
    cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL, &err);
    ck_assert_ptr_eq(cl_sim_program(s), p);
    ck_assert_ptr_null(cl_sim_program(NULL));
    ck_assert_str_eq(cl_sim_currency(NULL), "");
    int64_t v = 0;
    /* A view not simulated, a figure marked "-", out of range. */
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_ORDERS, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_BEST, 0, CL_SIM_QUALIFYING, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_QUALIFYING, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_MIN, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, NC, CL_SIM_QUALIFYING, &v), CL_ERANGE);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, -2, CL_SIM_ORDERS, &v), CL_ERANGE);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, 0, CL_SIM_STAT_COUNT, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, 0, (cl_sim_stat)-1, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, 7, 0, CL_SIM_ORDERS, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, 0, CL_SIM_ORDERS, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(NULL, CL_SIM_EVAL, 0, CL_SIM_ORDERS, &v), CL_EINVAL);
    /* Every figure of a coupon, and the totals, per coupon too. */
    for (int w = 0; w < CL_SIM_STAT_COUNT; w++)
        ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, 3, (cl_sim_stat)w, &v), CL_OK);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_SHIPPING, &v), CL_OK);
    /* Reasons. */
    int64_t a, b;
    ck_assert_int_eq(cl_sim_reason(s, CL_SIM_EVAL, 0, CL_R_WEEKDAY, &a, &b), CL_OK);
    ck_assert_int_eq(cl_sim_reason(s, CL_SIM_EVAL, 0, CL_R_WEEKDAY, NULL, NULL), CL_OK);
    ck_assert_int_eq(cl_sim_reason(s, CL_SIM_EVAL, 0, CL_R_COUNT, &a, &b), CL_EINVAL);
    ck_assert_int_eq(cl_sim_reason(s, CL_SIM_EVAL, 0, -1, &a, &b), CL_EINVAL);
    ck_assert_int_eq(cl_sim_reason(s, CL_SIM_EVAL, CL_SIM_ALL, CL_R_WEEKDAY, &a, &b),
                     CL_EINVAL);
    ck_assert_int_eq(cl_sim_reason(s, CL_SIM_EVAL, NC, CL_R_WEEKDAY, &a, &b), CL_ERANGE);
    ck_assert_int_eq(cl_sim_reason(s, CL_SIM_BEST, 0, CL_R_WEEKDAY, &a, &b), CL_EINVAL);
    ck_assert_int_eq(cl_sim_write_json(NULL, test_text_write, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_sim_write_json(s, NULL, NULL), CL_EINVAL);
    cl_sim_free(s);
    /* Best only: per coupon no min, max or percentiles; as a whole, all. */
    s = cl_sim_new(env, p, CL_SIM_BEST, &err);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_BEST, 0, CL_SIM_MIN, &v), CL_EINVAL);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_BEST, 0, CL_SIM_AVERAGE, &v), CL_OK);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_BEST, CL_SIM_ALL, CL_SIM_MAX, &v), CL_OK);
    ck_assert_int_eq(cl_sim_get(s, CL_SIM_EVAL, 0, CL_SIM_QUALIFYING, &v), CL_EINVAL);
    cl_sim_free(s);
    /* A program without coupons simulates too. */
    cl_program *none = cl_program_link(env, NULL, 0, &err);
    if (none != NULL) {
        s = cl_sim_new(env, none, CL_SIM_EVAL | CL_SIM_BEST, &err);
        ck_assert_ptr_nonnull(s);
        static const char o[] = "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"USD\", "
                                "\"items\": []}";
        ck_assert_int_eq(cl_sim_add_json(s, o, strlen(o), &err), CL_OK);
        char *j = report(s);
        ck_assert_ptr_nonnull(strstr(j, "\"coupons\": []"));
        free(j);
        cl_sim_free(s);
        cl_program_free(none);
    }
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * The JSON report, byte for byte
 * ------------------------------------------------------------------------ */

static const char shape_src[] =
    "version: 1\n"
    "currency: USD\n"
    "coupons:\n"
    "  - code: TEN\n"
    "    name: \"10% \\\"off\\\"\"\n"
    "    automatic: true\n"
    "    when: { cart.subtotal: { gte: \"20.00\" }, payment.method: card }\n"
    "    discount: { percent: 10 }\n"
    "  - code: SHIP\n"
    "    discount: { free_shipping: true }\n";

static const char shape_json[] =
    "{\n"
    "  \"currency\": \"USD\",\n"
    "  \"flags\": { \"eval\": true, \"entered\": true, \"best\": true, \"indexed\": false },\n"
    "  \"orders\": 3, \"errors\": 1, \"subtotal\": \"75.00\", \"shipping\": \"10.00\",\n"
    "  \"percentile_error\": \"exact below 256 minor units, else within 1/256\",\n"
    "  \"coupons\": [\n"
    "    { \"code\": \"TEN\", \"name\": \"10% \\\"off\\\"\",\n"
    "      \"eval\": { \"orders\": 3, \"qualifying\": 1, \"share\": 0.3333, \"not_qualifying\": 2,\n"
    "        \"discount\": \"5.00\", \"shipping_discount\": \"0.00\",\n"
    "        \"cost\": \"5.00\", \"average\": \"5.00\", \"min\": \"5.00\", \"max\": \"5.00\",\n"
    "        \"percentiles\": { \"p25\": \"5.00\", \"p50\": \"5.00\", \"p75\": \"5.00\", "
    "\"p90\": \"5.00\", \"p95\": \"5.00\", \"p99\": \"5.00\" },\n"
    "        \"reasons\": [\n"
    "          { \"code\": \"PAYMENT\", \"orders\": 2, \"share\": 1.0000, \"only\": 1 },\n"
    "          { \"code\": \"MIN_SUBTOTAL\", \"orders\": 1, \"share\": 0.5000, \"only\": 0 }\n"
    "        ] },\n"
    "      \"best\": { \"won\": 1, \"share\": 0.3333, \"rejected\": 2,\n"
    "        \"discount\": \"5.00\", \"shipping_discount\": \"0.00\",\n"
    "        \"cost\": \"5.00\", \"average\": \"5.00\",\n"
    "        \"reasons\": [\n"
    "          { \"code\": \"PAYMENT\", \"orders\": 2, \"share\": 1.0000, \"only\": 1 },\n"
    "          { \"code\": \"MIN_SUBTOTAL\", \"orders\": 1, \"share\": 0.5000, \"only\": 0 }\n"
    "        ] } },\n"
    "    { \"code\": \"SHIP\", \"name\": \"\",\n"
    "      \"eval\": { \"orders\": 3, \"qualifying\": 1, \"share\": 0.3333, \"not_qualifying\": 2,\n"
    "        \"discount\": \"0.00\", \"shipping_discount\": \"4.00\",\n"
    "        \"cost\": \"4.00\", \"average\": \"4.00\", \"min\": \"4.00\", \"max\": \"4.00\",\n"
    "        \"percentiles\": { \"p25\": \"4.00\", \"p50\": \"4.00\", \"p75\": \"4.00\", "
    "\"p90\": \"4.00\", \"p95\": \"4.00\", \"p99\": \"4.00\" },\n"
    "        \"reasons\": [\n"
    "          { \"code\": \"CODE_REQUIRED\", \"orders\": 2, \"share\": 1.0000, \"only\": 1 },\n"
    "          { \"code\": \"SHIPPING\", \"orders\": 1, \"share\": 0.5000, \"only\": 0 }\n"
    "        ] },\n"
    "      \"best\": { \"won\": 1, \"share\": 0.3333, \"rejected\": 0,\n"
    "        \"discount\": \"0.00\", \"shipping_discount\": \"4.00\",\n"
    "        \"cost\": \"4.00\", \"average\": \"4.00\",\n"
    "        \"reasons\": [] } }\n"
    "  ],\n"
    "  \"best\": { \"orders\": 3, \"discounted\": 1, \"share\": 0.3333, \"unknown_codes\": 1,\n"
    "    \"discount\": \"5.00\", \"shipping_discount\": \"4.00\",\n"
    "    \"cost\": \"9.00\", \"average\": \"9.00\", \"min\": \"9.00\", \"max\": \"9.00\",\n"
    "    \"percentiles\": { \"p25\": \"9.00\", \"p50\": \"9.00\", \"p75\": \"9.00\", "
    "\"p90\": \"9.00\", \"p95\": \"9.00\", \"p99\": \"9.00\" } }\n"
    "}\n";

START_TEST(test_json_shape)
{
    cl_program *p = compile(shape_src);
    cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL | CL_SIM_BEST | CL_EVAL_ENTERED, NULL);
    static const char *const orders[] = {
        /* TEN and SHIP (entered) both apply, stacked; an unknown code */
        "{\"now\": \"2026-03-02T10:00:00Z\", \"currency\": \"USD\", \"codes\": [\"ship\", "
        "\"WHAT\"], \"payment\": {\"method\": \"card\"}, \"shipping\": {\"amount\": \"4.00\"}, "
        "\"items\": [{\"sku\": \"A\", \"quantity\": 2, \"unit_price\": \"25.00\"}]}",
        /* paid by paypal: TEN fails on PAYMENT alone, SHIP on CODE_REQUIRED alone */
        "{\"now\": \"2026-03-02T10:00:00Z\", \"currency\": \"USD\", "
        "\"payment\": {\"method\": \"paypal\"}, \"shipping\": {\"amount\": \"6.00\"}, "
        "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"20.00\"}]}",
        /* no payment, too small, no shipping: two reasons each */
        ("{\"now\": \"2026-03-02T10:00:00Z\", \"currency\": \"USD\", "
         "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"5.00\"}]}"),
        /* refused */
        "{\"now\": \"2026-03-02T10:00:00Z\", \"currency\": \"USD\", \"items\": [",
    };
    for (size_t i = 0; i < COUNTOF(orders); i++)
        cl_sim_add_json(s, orders[i], strlen(orders[i]), NULL);
    char *j = report(s);
    if (strcmp(j, shape_json) != 0)
        fprintf(stderr, "the report:\n%s", j);
    ck_assert_msg(strcmp(j, shape_json) == 0, "the report differs (written on stderr)");
    free(j);
    cl_sim_free(s);
    cl_program_free(p);
}
END_TEST

typedef struct failing {
    int left, calls;
} failing;

static int fail_write(void *ud, const char *buf, size_t len)
{
    failing *f = ud;
    (void)buf;
    (void)len;
    f->calls++;
    return f->left-- > 0 ? 0 : -1;
}

START_TEST(test_json_write_fails)
{
    cl_program *p = compile(catalog);
    cl_sim *s = cl_sim_new(env, p, CL_SIM_EVAL | CL_SIM_BEST, NULL);
    test_rng r = {5};
    text t;
    for (int k = 0; k < 50; k++) {
        random_order(&r, &t);
        cl_sim_add_json(s, t.p, t.n, NULL);
    }
    failing all = {1 << 30, 0};
    ck_assert_int_eq(cl_sim_write_json(s, fail_write, &all), CL_OK);
    ck_assert_int_gt(all.calls, 1); /* written in pieces */
    for (int left = 0; left < all.calls; left++) {
        failing f = {left, 0};
        ck_assert_int_eq(cl_sim_write_json(s, fail_write, &f), CL_EIO);
        ck_assert_int_eq(f.calls, left + 1);
    }
    cl_sim_free(s);
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/* Memory does not grow with the orders: the same orders replayed 20 times
 * over leave the simulation's blocks and bytes as the first pass left them,
 * while every count went on growing. */
START_TEST(test_bounded_memory)
{
    cl_program *p = compile(catalog);
    unsigned flags = CL_SIM_EVAL | CL_SIM_BEST;
    cl_sim *s = cl_sim_new(env, p, flags, NULL);
    enum { K = 300 };
    char *lines[K];
    test_rng r = {31337};
    text t;
    for (int i = 0; i < K; i++)
        lines[i] = strdup(random_order(&r, &t));
    size_t blocks = 0, bytes = 0;
    long passes = test_rounds(20) < 4 ? 4 : test_rounds(20);
    for (long pass = 0; pass < passes; pass++) {
        for (int i = 0; i < K; i++)
            ck_assert_int_eq(cl_sim_add_json(s, lines[i], strlen(lines[i]), NULL), CL_OK);
        if (pass == 0) {
            blocks = A.live_blocks;
            bytes = A.live_bytes;
        }
        ck_assert_uint_eq(A.live_blocks, blocks);
        ck_assert_uint_eq(A.live_bytes, bytes);
    }
    ck_assert_int_eq(get(s, CL_SIM_EVAL, CL_SIM_ALL, CL_SIM_ORDERS), passes * K);
    for (int i = 0; i < K; i++)
        free(lines[i]);
    cl_sim_free(s);
    cl_program_free(p);
}
END_TEST

/* Out of memory at every allocation of cl_sim_new, of counting an order that
 * needs new histogram groups, of merging, of writing: a clean CL_ENOMEM,
 * the simulation unchanged, nothing leaked. */
static cl_program *oom_prog;

static int new_step(void *ud)
{
    (void)ud;
    cl_error err;
    cl_sim *s = cl_sim_new(env, oom_prog, CL_SIM_EVAL | CL_SIM_BEST, &err);
    if (s == NULL) {
        ck_assert_int_eq(err.code, CL_ENOMEM);
        return 1;
    }
    cl_sim_free(s);
    return 0;
}

/* A simulation that has counted some orders of the catalog. */
static cl_sim *warm(unsigned seed, int orders)
{
    cl_sim *s = cl_sim_new(env, oom_prog, CL_SIM_EVAL | CL_SIM_BEST, NULL);
    test_rng r = {seed};
    text t;
    for (int k = 0; k < orders; k++) {
        random_order(&r, &t);
        ck_assert_int_eq(cl_sim_add_json(s, t.p, t.n, NULL), CL_OK);
    }
    return s;
}

START_TEST(test_oom)
{
    oom_prog = compile(catalog);
    ck_assert_int_gt(test_oom_sweep(&A, new_step, NULL, 1000), 3);
    /* Counting an order. */
    text t;
    test_rng r = {8};
    random_order(&r, &t);
    long failures = 0;
    for (long n = 1; n < 1000; n++) {
        cl_sim *s = warm(3, 5);
        char *before = report(s);
        cl_error err;
        test_alloc_fail_at(&A, n);
        cl_status rc = cl_sim_add_json(s, t.p, t.n, &err);
        test_alloc_fail_at(&A, 0);
        char *after = report(s);
        if (rc == CL_OK) {
            ck_assert_str_ne(before, after);
        } else {
            ck_assert_int_eq(rc, CL_ENOMEM);
            ck_assert_int_eq(err.code, CL_ENOMEM);
            same_report(before, after, "out of memory counting an order");
            failures++;
        }
        free(before);
        free(after);
        cl_sim_free(s);
        if (rc == CL_OK)
            break;
    }
    ck_assert_int_gt(failures, 0);
    /* Merging, and writing. */
    failures = 0;
    for (long n = 1; n < 1000; n++) {
        cl_sim *a = warm(3, 3), *b = warm(4, 60);
        char *before = report(a);
        test_alloc_fail_at(&A, n);
        cl_status rc = cl_sim_merge(a, b);
        test_text out = {0};
        cl_status wr = cl_sim_write_json(a, test_text_write, &out);
        test_alloc_fail_at(&A, 0);
        if (rc == CL_ENOMEM) {
            char *after = report(a);
            same_report(before, after, "out of memory merging");
            free(after);
            failures++;
        } else {
            ck_assert_int_eq(rc, CL_OK);
        }
        ck_assert(wr == CL_OK || wr == CL_ENOMEM);
        free(out.p);
        free(before);
        cl_sim_free(a);
        cl_sim_free(b);
        if (rc == CL_OK && wr == CL_OK)
            break;
    }
    ck_assert_int_gt(failures, 0);
    cl_program_free(oom_prog);
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_reference, 0, (int)COUNTOF(all_flags));
    tcase_add_loop_test(tc, test_merge, 0, (int)COUNTOF(all_flags));
    suite_add_tcase(s, tc);
    const struct {
        const char *tcase;
        const TTest *test;
    } tests[] = {
        {"percentiles", test_percentiles}, {"percentiles", test_percentile_edges},
        {"merge", test_merge_refused},     {"merge", test_threads},
        {"refused", test_refused},         {"refused", test_refused_steps},
        {"refused", test_currency},        {"refused", test_overflow},
        {"api", test_api},                 {"json", test_json_shape},
        {"json", test_json_write_fails},   {"memory", test_bounded_memory},
        {"memory", test_oom},
    };
    const char *current = "";
    for (size_t i = 0; i < COUNTOF(tests); i++) {
        if (strcmp(current, tests[i].tcase) != 0) {
            current = tests[i].tcase;
            tc = tcase_create(current);
            tcase_set_timeout(tc, 600);
            tcase_add_checked_fixture(tc, setup, teardown);
            suite_add_tcase(s, tc);
        }
        tcase_add_test(tc, tests[i].test);
    }
    return s;
}

TEST_MAIN(sim_suite)
