/*
 * test_select.c - unit tests of select.c: cl_vm_best() against a brute-force
 * reference written here from SPEC 6 and 9 over random small catalogs
 * (exclusive and stackable coupons, groups, stop, max_coupons, priorities,
 * codes that differ in case, coupons that do not apply), and the
 * particular rules one by one: ties, the empty choice, rejected candidates
 * and their reasons, unknown codes.
 *
 * The reference enumerates every subset of the applicable candidates,
 * applies each in SPEC order on what the ones before left (the discounts
 * themselves come from clD_compute, tested in test_discount.c), and keeps
 * the best by the SPEC's order of comparison.
 */
#include "context.h"
#include "vm.h"
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

static cl_env *env;
static cl_vm *vm, *ref_vm;
static cl_context *ctx;
static cl_program *prog;
static const cl_result *res;
static cl_error err;

static void setup(void)
{
    env = cl_env_new(NULL, NULL);
    vm = cl_vm_new(env);
    ref_vm = cl_vm_new(env);
    ctx = cl_context_new(env);
    prog = NULL;
}

static void teardown(void)
{
    cl_program_free(prog);
    cl_context_free(ctx);
    cl_vm_free(ref_vm);
    cl_vm_free(vm);
    cl_env_free(env);
}

static void use(const char *src)
{
    cl_program_free(prog);
    prog = cl_compile(env, src, strlen(src), "s.yaml", &err);
    ck_assert_msg(prog != NULL, "%u:%u: %s\n%s", err.line, err.column, err.message, src);
}

static void context(const char *json)
{
    int rc = cl_context_parse(ctx, json, strlen(json), &err);
    ck_assert_msg(rc == CL_OK, "%u:%u: %s", err.line, err.column, err.message);
}

static void best(void)
{
    int rc = cl_vm_best(vm, prog, ctx, &res, &err);
    ck_assert_msg(rc == CL_OK, "%s", err.message);
}

/* The applied codes, space-separated. */
static void chosen(char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < cl_result_count(res); i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", i ? " " : "", cl_result_code(res, i));
    }
}

static void expect_choice(const char *want, int64_t discount, int64_t shipping)
{
    char got[256];
    chosen(got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "chose [%s], want [%s]", got, want);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_DISCOUNT), discount);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT), shipping);
}

/* The reasons of rejected candidate `code`, comma-separated, or "-" when
 * it is not among the rejected. */
static void rejected(const char *code, char *buf, size_t size)
{
    size_t first = cl_result_count(res);
    for (size_t i = first; i < first + cl_result_rejected_count(res); i++) {
        if (strcasecmp(cl_result_code(res, i), code) != 0)
            continue;
        buf[0] = '\0';
        for (size_t j = 0; j < cl_result_reason_count(res, i); j++) {
            size_t len = strlen(buf);
            snprintf(buf + len, size - len, "%s%s", j ? "," : "",
                     cl_reason_name(cl_result_reason(res, i, j)));
        }
        return;
    }
    snprintf(buf, size, "-");
}

static void expect_rejected(const char *code, const char *want)
{
    char got[256];
    rejected(code, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "%s rejected with [%s], want [%s]", code, got, want);
}

#define CTX(fields) "{\"now\": \"2026-05-05T10:00:00Z\", \"currency\": \"USD\", " fields "}"

/* ------------------------------------------------------------------------
 * The rules one by one
 * ------------------------------------------------------------------------ */

START_TEST(test_stacking_order)
{
    /* each coupon works on what the ones before it left, highest priority first */
    use("currency: USD\ncoupons:\n"
        "  - { code: P50, automatic: true, priority: 1, discount: { percent: 50 } }\n"
        "  - { code: A10, automatic: true, priority: 2, discount: { amount: \"10.00\" } }\n");
    context(CTX("\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"30.00\"}]"));
    best();
    expect_choice("A10 P50", 2000, 0); /* 10.00, then half of 20.00 */
    ck_assert_int_eq(cl_result_discount(res, 0), 1000);
    ck_assert_int_eq(cl_result_discount(res, 1), 1000);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SUBTOTAL), 3000);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_TOTAL), 1000);
    ck_assert_uint_eq(cl_result_rejected_count(res), 0);
    /* equal priorities: by code, ignoring case */
    use("currency: USD\ncoupons:\n"
        "  - { code: b-percent, automatic: true, discount: { percent: 50 } }\n"
        "  - { code: A-amount, automatic: true, discount: { amount: \"10.00\" } }\n");
    best();
    expect_choice("A-amount b-percent", 2000, 0);
}
END_TEST

START_TEST(test_exclusive_and_groups)
{
    use("currency: USD\n"
        "coupons:\n"
        "  - { code: EX, automatic: true, combine: exclusive, discount: { percent: 30 } }\n"
        "  - { code: S1, automatic: true, group: g, discount: { percent: 20 } }\n"
        "  - { code: S2, automatic: true, group: g, discount: { percent: 25 } }\n"
        "  - { code: S3, automatic: true, discount: { amount: \"5.00\" } }\n");
    context(CTX("\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"100.00\"}]"));
    best();
    /* S2 then S3 (equal priorities: by code): 25.00 + 5.00 ties EX's 30.00,
     * and fewer coupons win the tie */
    expect_choice("EX", 3000, 0);
    expect_rejected("S1", "NOT_COMBINABLE");
    expect_rejected("S2", "NOT_COMBINABLE");
    expect_rejected("S3", "NOT_COMBINABLE");
    ck_assert_msg(strstr(cl_result_reason_message(res, 1, 0), "coupon EX is exclusive and gives "
                         "more on its own") != NULL, "%s", cl_result_reason_message(res, 1, 0));
    /* a cart where the stack wins: the exclusive one is rejected, and one of the group */
    context(CTX("\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"10.00\"}]"));
    best();
    expect_choice("S2 S3", 750, 0); /* 25% of 10.00, then 5.00 of the 7.50 left */
    expect_rejected("EX", "NOT_COMBINABLE");
    expect_rejected("S1", "NOT_COMBINABLE");
    size_t n = cl_result_count(res);
    for (size_t i = n; i < n + cl_result_rejected_count(res); i++) {
        const char *m = cl_result_reason_message(res, i, 0);
        if (strcmp(cl_result_code(res, i), "EX") == 0)
            ck_assert_str_eq(m, "EX is exclusive, and the chosen combination gives more");
        else
            ck_assert_str_eq(m, "only one coupon of group g applies per order, and S2 gives more");
    }
}
END_TEST

START_TEST(test_stop_and_max)
{
    use("currency: USD\n"
        "selection: { max_coupons: 2 }\n"
        "coupons:\n"
        "  - { code: FIRST, automatic: true, priority: 9, stop: true, discount: { amount: \"1.00\" } }\n"
        "  - { code: BIG, automatic: true, priority: 5, discount: { amount: \"4.00\" } }\n"
        "  - { code: MID, automatic: true, priority: 4, discount: { amount: \"3.00\" } }\n"
        "  - { code: SMALL, automatic: true, priority: 3, discount: { amount: \"2.00\" } }\n");
    context(CTX("\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"100.00\"}]"));
    best();
    /* FIRST stops everything after it, so it is left out; two coupons at most */
    expect_choice("BIG MID", 700, 0);
    expect_rejected("FIRST", "NOT_COMBINABLE");
    expect_rejected("SMALL", "NOT_COMBINABLE");
    size_t n = cl_result_count(res);
    for (size_t i = n; i < n + cl_result_rejected_count(res); i++)
        if (strcmp(cl_result_code(res, i), "SMALL") == 0)
            ck_assert_str_eq(cl_result_reason_message(res, i, 0), "at most 2 coupons apply per order");
    /* when the stop coupon is worth it, nothing after it applies */
    use("currency: USD\n"
        "coupons:\n"
        "  - { code: FIRST, automatic: true, priority: 9, stop: true, discount: { amount: \"50.00\" } }\n"
        "  - { code: BIG, automatic: true, priority: 5, discount: { amount: \"4.00\" } }\n");
    best();
    expect_choice("FIRST", 5000, 0);
    expect_rejected("BIG", "NOT_COMBINABLE");
    ck_assert_str_eq(cl_result_reason_message(res, 1, 0), "no coupon applies after FIRST");
    /* a stop coupon applied last stops nothing */
    use("currency: USD\n"
        "coupons:\n"
        "  - { code: LAST, automatic: true, priority: 1, stop: true, discount: { amount: \"1.00\" } }\n"
        "  - { code: BIG, automatic: true, priority: 5, discount: { amount: \"4.00\" } }\n");
    best();
    expect_choice("BIG LAST", 500, 0);
}
END_TEST

START_TEST(test_ties)
{
    /* equal totals: fewer coupons */
    use("currency: USD\ncoupons:\n"
        "  - { code: ONE, automatic: true, discount: { amount: \"6.00\" } }\n"
        "  - { code: TWO, automatic: true, combine: exclusive, discount: { amount: \"3.00\" } }\n"
        "  - { code: X, automatic: true, group: g, discount: { amount: \"3.00\" } }\n"
        "  - { code: Y, automatic: true, group: g, discount: { amount: \"3.00\" } }\n");
    context(CTX("\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"6.00\"}]"));
    best();
    expect_choice("ONE", 600, 0);
    /* equal totals and counts: the higher first priority */
    use("currency: USD\ncoupons:\n"
        "  - { code: LOW, automatic: true, combine: exclusive, priority: 1, discount: { amount: \"5.00\" } }\n"
        "  - { code: HIGH, automatic: true, combine: exclusive, priority: 2, discount: { amount: \"5.00\" } }\n");
    best();
    expect_choice("HIGH", 500, 0);
    /* then the smaller codes, ignoring case ('_' sorts before letters folded low) */
    use("currency: USD\ncoupons:\n"
        "  - { code: b, automatic: true, combine: exclusive, discount: { amount: \"5.00\" } }\n"
        "  - { code: A, automatic: true, combine: exclusive, discount: { amount: \"5.00\" } }\n"
        "  - { code: C, automatic: true, combine: exclusive, discount: { amount: \"5.00\" } }\n");
    best();
    expect_choice("A", 500, 0);
    use("currency: USD\ncoupons:\n"
        "  - { code: a, automatic: true, combine: exclusive, discount: { amount: \"5.00\" } }\n"
        "  - { code: _, automatic: true, combine: exclusive, discount: { amount: \"5.00\" } }\n");
    best();
    expect_choice("_", 500, 0);
    /* sequences compare in application order, code by code */
    use("currency: USD\ncoupons:\n"
        "  - { code: A1, automatic: true, priority: 5, group: g, discount: { amount: \"1.00\" } }\n"
        "  - { code: A2, automatic: true, priority: 5, group: g, discount: { amount: \"1.00\" } }\n"
        "  - { code: b1, automatic: true, priority: 1, group: h, discount: { amount: \"2.00\" } }\n"
        "  - { code: B0, automatic: true, priority: 1, group: h, discount: { amount: \"2.00\" } }\n");
    best();
    expect_choice("A1 B0", 300, 0);
    /* an exclusive and a stack of equal count and total: priority, then code */
    use("currency: USD\ncoupons:\n"
        "  - { code: Z, automatic: true, combine: exclusive, priority: 3, discount: { amount: \"2.00\" } }\n"
        "  - { code: M, automatic: true, priority: 3, discount: { amount: \"2.00\" } }\n");
    best();
    expect_choice("M", 200, 0);
}
END_TEST

START_TEST(test_candidates)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: AUTO, automatic: true, discount: { amount: \"1.00\" } }\n"
        "  - { code: CODED, discount: { amount: \"2.00\" } }\n"
        "  - { code: NOTENTERED, discount: { amount: \"50.00\" } }\n"
        "  - { code: FAILS, automatic: true, when: { user.id: nobody }, discount: { amount: \"9.00\" } }\n");
    context(CTX("\"codes\": [\"coded\", \"BOGUS\", \"bogus\", \"Coded\"], \"user\": {\"id\": \"u\"},"
                " \"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"10.00\"}]"));
    best();
    expect_choice("AUTO CODED", 300, 0);
    /* a code coupon that was not entered is not a candidate at all */
    expect_rejected("NOTENTERED", "-");
    /* a candidate that does not apply alone is rejected with its reasons */
    expect_rejected("FAILS", "USER");
    /* an entered code that matches nothing, once */
    expect_rejected("BOGUS", "UNKNOWN_CODE");
    ck_assert_uint_eq(cl_result_rejected_count(res), 2);
    size_t last = cl_result_count(res) + 1;
    ck_assert_str_eq(cl_result_code(res, last), "BOGUS");
    ck_assert_int_eq(cl_result_coupon(res, last), -1);
    ck_assert_str_eq(cl_result_reason_message(res, last, 0), "BOGUS is not a valid code");
    /* the rejected come in program order, unknown codes after them */
    ck_assert_str_eq(cl_result_code(res, cl_result_count(res)), "FAILS");
}
END_TEST

START_TEST(test_empty_choice)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: ZERO, automatic: true, discount: { fixed_price: \"50.00\" } }\n"
        "  - { code: NOPE, automatic: true, when: { user.id: x }, discount: { percent: 10 } }\n");
    context(CTX("\"shipping\": {\"amount\": \"4.99\"},"
                " \"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"10.00\"}]"));
    best();
    /* ZERO applies with 0.00: the empty choice beats it (fewer coupons) */
    expect_choice("", 0, 0);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SUBTOTAL), 1000);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SHIPPING), 499);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_TOTAL), 1499);
    expect_rejected("ZERO", "NOT_COMBINABLE");
    expect_rejected("NOPE", "USER");
    /* no coupons at all */
    use("coupons: []\n");
    best();
    expect_choice("", 0, 0);
    ck_assert_uint_eq(cl_result_rejected_count(res), 0);
}
END_TEST

START_TEST(test_shipping_counts)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: SHIP, automatic: true, combine: exclusive, discount: { free_shipping: true } }\n"
        "  - { code: AMT, automatic: true, combine: exclusive, discount: { amount: \"4.00\" } }\n");
    context(CTX("\"shipping\": {\"amount\": \"4.99\"},"
                " \"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"10.00\"}]"));
    best();
    expect_choice("SHIP", 0, 499);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_TOTAL), 1000);
    ck_assert_int_eq(cl_result_shipping_discount(res, 0), 499);
}
END_TEST

START_TEST(test_best_api)
{
    use("coupons: []\n");
    ck_assert_int_eq(cl_vm_best(NULL, prog, ctx, &res, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_best(vm, NULL, ctx, &res, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_best(vm, prog, NULL, &res, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_best(vm, prog, ctx, &res, &err), CL_EINVAL); /* no now, no currency */
    context(CTX("\"items\": []"));
    ck_assert_int_eq(cl_vm_best(vm, prog, ctx, NULL, NULL), CL_OK);
    /* the step budget holds over the whole search */
    char src[4096] = "currency: USD\ncoupons:\n";
    for (int i = 0; i < 12; i++) {
        size_t len = strlen(src);
        snprintf(src + len, sizeof src - len, "  - { code: C%d, automatic: true, discount: "
                 "{ percent: %d } }\n", i, i + 1);
    }
    use(src);
    context(CTX("\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1000.00\"}]"));
    /* each coupon's own evaluation takes 5 steps; the search at least 13 */
    cl_env_set_limit(env, CL_LIMIT_STEPS, 8);
    ck_assert_int_eq(cl_vm_best(vm, prog, ctx, &res, &err), CL_ESTEPS);
    ck_assert_int_eq(err.code, CL_ESTEPS);
    cl_env_set_limit(env, CL_LIMIT_STEPS, 1000000);
    best();
    ck_assert_uint_eq(cl_result_count(res), 12);
}
END_TEST

/* ------------------------------------------------------------------------
 * The reference
 * ------------------------------------------------------------------------ */

#define MAXC 8

typedef struct refcand {
    size_t index;           /* in the program */
    const clP_unit *u;
    const clP_coupon *c;
} refcand;

static int ref_order(const void *pa, const void *pb)
{
    const refcand *a = pa, *b = pb;
    if (a->c->priority != b->c->priority)
        return a->c->priority > b->c->priority ? -1 : 1;
    return strcasecmp(clP_text(a->u, a->c->code), clP_text(b->u, b->c->code));
}

typedef struct refchoice {
    size_t n;
    const refcand *applied[MAXC];
    int64_t total;
} refchoice;

/* Whether x beats y by SPEC 6 and 9. */
static bool ref_better(const refchoice *x, const refchoice *y)
{
    if (x->total != y->total)
        return x->total > y->total;
    if (x->n != y->n)
        return x->n < y->n;
    if (x->n == 0)
        return false;
    if (x->applied[0]->c->priority != y->applied[0]->c->priority)
        return x->applied[0]->c->priority > y->applied[0]->c->priority;
    for (size_t i = 0; i < x->n; i++) {
        int c = strcasecmp(clP_text(x->applied[i]->u, x->applied[i]->c->code),
                           clP_text(y->applied[i]->u, y->applied[i]->c->code));
        if (c != 0)
            return c < 0;
    }
    return false;
}

/* Applies cands[k] for the set bits of mask, in order (cands are sorted),
 * stopping after a stop coupon. */
static refchoice ref_apply(const refcand *cands, size_t n, unsigned mask)
{
    refchoice ch = {0, {NULL}, 0};
    size_t L = ctx->items.n;
    int64_t rem[32], lines[32], ship_rem = ctx->has_shipping ? ctx->shipping : 0;
    for (size_t i = 0; i < L; i++)
        rem[i] = ctx->items.v[i].amount;
    for (size_t k = 0; k < n; k++) {
        if (!(mask & (1u << k)))
            continue;
        int64_t total, ship;
        ref_vm->err = &err;
        ref_vm->steps = 0;
        ck_assert_int_eq(clD_compute(ref_vm, cands[k].u, cands[k].c, ctx, rem, ship_rem, lines,
                                     &total, &ship), CL_OK);
        for (size_t i = 0; i < L; i++)
            rem[i] -= lines[i];
        ship_rem -= ship;
        ch.total += total + ship;
        ch.applied[ch.n++] = &cands[k];
        if (cands[k].c->stop)
            break;
    }
    return ch;
}

/* The best choice by brute force. */
static refchoice ref_best(refcand *cands, size_t *ncands)
{
    size_t n = 0;
    cl_result *r = &ref_vm->res;
    /* the applicable candidates: evaluate each alone */
    size_t all = cl_program_count(prog);
    for (size_t i = 0; i < all; i++) {
        const clP_unit *u;
        const clP_coupon *c = clP_coupon_of(prog, i, &u);
        if (!c->automatic && !clX_entered(ctx, clP_text(u, c->code), strlen(clP_text(u, c->code))))
            continue;
        ck_assert_int_eq(cl_vm_eval_some(ref_vm, prog, ctx, &i, 1, CL_EVAL_ENTERED, NULL, &err),
                         CL_OK);
        if (cl_result_applicable(r, 0))
            cands[n++] = (refcand){i, u, c};
    }
    qsort(cands, n, sizeof *cands, ref_order);
    *ncands = n;
    refchoice bestc = {0, {NULL}, 0};
    uint64_t max = prog->max_coupons;
    for (unsigned mask = 1; mask < (1u << n); mask++) {
        size_t count = 0;
        bool excl = false, ok = true;
        for (size_t k = 0; k < n && ok; k++) {
            if (!(mask & (1u << k)))
                continue;
            count++;
            excl |= cands[k].c->exclusive;
            for (size_t j = 0; j < k && ok; j++)
                if ((mask & (1u << j)) && cands[k].c->group != CL_NONE &&
                    cands[j].c->group != CL_NONE &&
                    strcmp(clP_text(cands[k].u, cands[k].c->group),
                           clP_text(cands[j].u, cands[j].c->group)) == 0)
                    ok = false;
        }
        if (!ok || (excl && count > 1) || (max != 0 && count > max))
            continue;
        refchoice ch = ref_apply(cands, n, mask);
        if (ref_better(&ch, &bestc))
            bestc = ch;
    }
    return bestc;
}

static const char *const code_pool[] = {"alpha", "Beta", "gamma", "DELTA", "eps", "Zeta",
                                        "eta", "THETA"};

/* A random catalog of n coupons (and sometimes max_coupons). */
static void random_catalog(test_rng *r, char *src, size_t size)
{
    size_t n = (size_t)test_range(r, 1, 8), k = 0;
    k += (size_t)snprintf(src + k, size - k, "currency: USD\n");
    if (test_rand(r) % 3 == 0)
        k += (size_t)snprintf(src + k, size - k, "selection: { max_coupons: %d }\n",
                              (int)test_range(r, 1, 3));
    k += (size_t)snprintf(src + k, size - k, "coupons:\n");
    for (size_t i = 0; i < n; i++) {
        k += (size_t)snprintf(src + k, size - k, "  - code: %s\n", code_pool[i]);
        if (test_rand(r) % 5 != 0)
            k += (size_t)snprintf(src + k, size - k, "    automatic: true\n");
        k += (size_t)snprintf(src + k, size - k, "    priority: %d\n", (int)test_range(r, 0, 2));
        if (test_rand(r) % 5 == 0)
            k += (size_t)snprintf(src + k, size - k, "    combine: exclusive\n");
        int g = (int)test_range(r, 0, 3);
        if (g > 0 && g < 3)
            k += (size_t)snprintf(src + k, size - k, "    group: g%d\n", g);
        if (test_rand(r) % 6 == 0)
            k += (size_t)snprintf(src + k, size - k, "    stop: true\n");
        if (test_rand(r) % 6 == 0)
            k += (size_t)snprintf(src + k, size - k, "    when: { user.tags: [vip] }\n");
        int v = (int)test_range(r, 1, 12) * 5;
        char disc[128];
        switch (test_range(r, 0, 7)) {
        case 0: snprintf(disc, sizeof disc, "{ percent: %d }", v); break;
        case 1: snprintf(disc, sizeof disc, "{ amount: \"%d.00\" }", v); break;
        case 2: snprintf(disc, sizeof disc, "{ amount_per_item: \"%d.00\", max_units: 2 }", v); break;
        case 3: snprintf(disc, sizeof disc, "{ free_shipping: true }"); break;
        case 4: snprintf(disc, sizeof disc, "{ percent: %d, max_amount: \"3.00\" }", v); break;
        case 5: snprintf(disc, sizeof disc, "{ amount: \"%d.00\", target: { items: { sku: [S1] } } }", v); break;
        case 6: snprintf(disc, sizeof disc, "{ fixed_price: \"%d.00\" }", v); break;
        default: snprintf(disc, sizeof disc, "{ buy_get: { buy: 1, get: 1, percent: %d } }", v); break;
        }
        k += (size_t)snprintf(src + k, size - k, "    discount: %s\n", disc);
    }
}

static void random_cart(test_rng *r)
{
    cl_context_clear(ctx);
    cl_context_set_now(ctx, 1700000000);
    cl_context_set_currency(ctx, "USD");
    if (test_rand(r) % 2)
        cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, test_range(r, 0, 900));
    if (test_rand(r) % 2)
        cl_context_add_user_tag(ctx, "vip");
    size_t lines = (size_t)test_range(r, 1, 4);
    for (size_t i = 0; i < lines; i++) {
        char sku[8];
        snprintf(sku, sizeof sku, "S%d", (int)test_range(r, 1, 2));
        cl_context_add_item(ctx, sku, test_range(r, 1, 3), test_range(r, 100, 6000), NULL);
    }
    for (size_t i = 0; i < CL_COUNTOF(code_pool); i++)
        if (test_rand(r) % 2)
            cl_context_add_code(ctx, code_pool[i]);
}

START_TEST(test_against_reference)
{
    test_rng r = {0xFEEDBEEF};
    char src[4096];
    int nonempty = 0, stacked = 0;
    long rounds = test_rounds(1500);
    for (long round = 0; round < rounds; round++) {
        random_catalog(&r, src, sizeof src);
        use(src);
        for (int c = 0; c < 4; c++) {
            random_cart(&r);
            refcand cands[MAXC];
            size_t ncands;
            refchoice want = ref_best(cands, &ncands);
            best();
            char got[256], exp[256] = "";
            chosen(got, sizeof got);
            for (size_t i = 0; i < want.n; i++) {
                size_t len = strlen(exp);
                snprintf(exp + len, sizeof exp - len, "%s%s", i ? " " : "",
                         clP_text(want.applied[i]->u, want.applied[i]->c->code));
            }
            int64_t total = cl_result_total(res, CL_TOTAL_DISCOUNT) +
                            cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT);
            REQUIRE(strcmp(got, exp) == 0 && total == want.total,
                    "round %ld.%d: chose [%s] for %" PRId64 ", the reference [%s] for %" PRId64
                    "\n%s", round, c, got, total, exp, want.total, src);
            /* every applicable candidate not chosen is rejected as not combinable */
            REQUIRE(cl_result_count(res) + cl_result_rejected_count(res) >= ncands,
                    "round %ld.%d: candidates lost", round, c);
            for (size_t k = 0; k < ncands; k++) {
                bool in = false;
                for (size_t i = 0; i < want.n; i++)
                    in |= want.applied[i] == &cands[k];
                if (in)
                    continue;
                char why[128];
                rejected(clP_text(cands[k].u, cands[k].c->code), why, sizeof why);
                REQUIRE(strcmp(why, "NOT_COMBINABLE") == 0, "round %ld.%d: %s rejected with %s",
                        round, c, clP_text(cands[k].u, cands[k].c->code), why);
            }
            /* totals add up */
            REQUIRE(cl_result_total(res, CL_TOTAL_TOTAL) ==
                        cl_result_total(res, CL_TOTAL_SUBTOTAL) +
                            cl_result_total(res, CL_TOTAL_SHIPPING) - total,
                    "round %ld.%d: totals", round, c);
            nonempty += want.n > 0;
            stacked += want.n > 1;
        }
    }
    ck_assert_int_gt(nonempty, rounds * 2);
    ck_assert_int_gt(stacked, rounds / 2);
}
END_TEST

static Suite *select_suite(void)
{
    const test_entry tests[] = {
        {"rules", test_stacking_order}, {"rules", test_exclusive_and_groups},
        {"rules", test_stop_and_max},   {"rules", test_ties},
        {"rules", test_candidates},     {"rules", test_empty_choice},
        {"rules", test_shipping_counts}, {"rules", test_best_api},
        {"reference", test_against_reference},
    };
    return test_suite_fx("select", tests, CL_COUNTOF(tests), 600, setup, teardown);
}

TEST_MAIN(select_suite)
