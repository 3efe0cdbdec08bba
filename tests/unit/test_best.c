/*
 * test_best.c - the best combination (SPEC section 6) against a brute-force
 * reference, over random catalogs and carts; and the catalog index, whose
 * choice must equal the full one while it skips what cannot apply.
 *
 * The reference enumerates every option (each applicable exclusive coupon
 * alone; every set of applicable stackables with at most one per group, at
 * most max_coupons, none after a `stop` one), applies each set in priority
 * order on what the coupons before left (with the library's own discount
 * arithmetic, which other tests check), and picks the largest total with
 * the tie rules of SPEC sections 6 and 9. What is under test is the search
 * and its pruning, and the index.
 */
#include "testutil.h"

#include "index.h"
#include "vm.h"

#include <stdarg.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAXC 12

/* ------------------------------------------------------------------------
 * Random catalogs
 * ------------------------------------------------------------------------ */

typedef struct gen {
    test_rng rng;
    char *p;
    size_t n, cap;
} gen;

static void out(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(gen *g, const char *fmt, ...)
{
    va_list ap;
    if (g->p == NULL) {
        g->cap = 4096;
        g->p = malloc(g->cap);
        ck_assert(g->p != NULL);
    }
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(g->p ? g->p + g->n : NULL, g->cap - g->n, fmt, ap);
        va_end(ap);
        if ((size_t)k < g->cap - g->n) {
            g->n += (size_t)k;
            return;
        }
        g->cap = g->cap * 2 + (size_t)k + 64;
        g->p = realloc(g->p, g->cap);
        ck_assert(g->p != NULL);
    }
}

static int64_t rnd(gen *g, int64_t lo, int64_t hi)
{
    return test_range(&g->rng, lo, hi);
}

static const char *const skus[] = {"A", "B", "C", "D", "E", "F"};

/* A random discount of any kind and target. */
static void gen_discount(gen *g)
{
    out(g, "    discount: { ");
    int kind = (int)rnd(g, 0, 8);
    switch (kind) {
    case 0: case 1:
        out(g, "percent: %d", (int)rnd(g, 1, 60));
        break;
    case 2: case 3:
        out(g, "amount: \"%d.%02d\"", (int)rnd(g, 1, 30), (int)rnd(g, 0, 99) / 25 * 25);
        break;
    case 4:
        out(g, "amount_per_item: \"%d.50\"", (int)rnd(g, 0, 4));
        break;
    case 5:
        out(g, "fixed_price: \"%d.99\"", (int)rnd(g, 1, 40));
        break;
    case 6:
        out(g, "buy_get: { buy: %d, get: 1, percent: %d }", (int)rnd(g, 1, 3),
            rnd(g, 0, 1) ? 100 : 50);
        break;
    case 7:
        out(g, "tiers: [ { min: \"%d.00\", amount: \"%d.00\" }, { min: \"%d.00\", percent: %d } ]",
            (int)rnd(g, 10, 40), (int)rnd(g, 5, 25), (int)rnd(g, 50, 120), (int)rnd(g, 5, 20));
        break;
    default:
        out(g, "free_shipping: true");
        break;
    }
    int t = kind == 8 ? 5 : (int)rnd(g, 0, 5);  /* free_shipping has its own target */
    if (t == 0)
        out(g, ", target: { items: { sku: [%s, %s] } }", skus[rnd(g, 0, 5)], skus[rnd(g, 0, 5)]);
    else if (t == 1)
        out(g, ", target: { items: { category: [cat%d] } }", (int)rnd(g, 0, 2));
    if (rnd(g, 0, 3) == 0)
        out(g, ", max_amount: \"%d.00\"", (int)rnd(g, 1, 30));
    out(g, " }\n");
}

/* A catalog of n coupons: automatic or code, groups, stops, exclusives,
 * conditions the index can read and ones it cannot. */
static void gen_catalog(gen *g, int n)
{
    g->n = 0;
    out(g, "currency: USD\n");
    if (rnd(g, 0, 2) == 0)
        out(g, "selection: { max_coupons: %d }\n", (int)rnd(g, 1, 4));
    out(g, "coupons:\n");
    for (int i = 0; i < n; i++) {
        out(g, "  - code: C%c%d\n", "ab"[rnd(g, 0, 1)], i);
        out(g, "    automatic: %s\n", rnd(g, 0, 4) ? "true" : "false");
        out(g, "    priority: %d\n", (int)rnd(g, 0, 3));
        if (rnd(g, 0, 5) == 0)
            out(g, "    combine: exclusive\n");
        if (rnd(g, 0, 3) == 0)
            out(g, "    group: g%d\n", (int)rnd(g, 0, 1));
        if (rnd(g, 0, 6) == 0)
            out(g, "    stop: true\n");
        switch (rnd(g, 0, 9)) {
        case 0:
            out(g, "    when: { items: { sku: [%s, %s] } }\n", skus[rnd(g, 0, 5)], skus[rnd(g, 0, 5)]);
            break;
        case 1:
            out(g, "    when: { category: [cat%d] }\n", (int)rnd(g, 0, 2));
            break;
        case 2:
            out(g, "    when: { payment.method: [%s] }\n", rnd(g, 0, 1) ? "card" : "paypal");
            break;
        case 3:
            out(g, "    when: { user.id: [u%d, u%d] }\n", (int)rnd(g, 0, 3), (int)rnd(g, 0, 3));
            break;
        case 4:
            out(g, "    when: { weekday: [%s] }\n", rnd(g, 0, 1) ? "mon, tue" : "sat, sun");
            break;
        case 5:
            out(g, "    valid: { %s: 2026-06-%02d }\n", rnd(g, 0, 1) ? "from" : "until",
                (int)rnd(g, 1, 28));
            break;
        case 6:
            out(g, "    when: { cart.subtotal: { gte: \"%d.00\" } }\n", (int)rnd(g, 10, 150));
            break;
        case 7:
            out(g, "    when: { any: [ { payment.method: card }, { items: { sku: [%s] } } ] }\n",
                skus[rnd(g, 0, 5)]);
            break;
        default:
            break;
        }
        gen_discount(g);
    }
}

/* A catalog of twins: members of a few groups cloned from a handful of
 * discounts, most of them percents on one SKU's lines or on the whole
 * order. Twins with nothing between them that touches their lines (which
 * the search drops) and percents stacking on a line (the stacking bound)
 * are common; stops, exclusives, priorities and max_coupons are mixed in. */
static void gen_twins(gen *g, int n)
{
    static const char *const kinds[] = {
        "percent: 10, target: { items: { sku: [A] } }",
        "percent: 10, target: { items: { sku: [B] } }",
        "percent: 25, target: { items: { sku: [A] } }",
        "percent: 5",
        "percent: 30, target: { items: { sku: [B, C] } }",
        "amount: \"3.00\", target: { items: { sku: [C] } }",
        "amount: \"2.50\"",
        "percent: 15, max_amount: \"4.00\"",
        "free_shipping: true",
        "fixed_price: \"9.99\", target: { items: { sku: [D] } }",
        "percent: 20, target: { items: { category: [cat1] } }",
    };
    g->n = 0;
    out(g, "currency: USD\n");
    if (rnd(g, 0, 4) == 0)
        out(g, "selection: { max_coupons: %d }\n", (int)rnd(g, 1, 5));
    out(g, "coupons:\n");
    int nk = (int)rnd(g, 2, (int)CL_COUNTOF(kinds));
    for (int i = 0; i < n; i++) {
        out(g, "  - code: C%c%d\n", "ab"[rnd(g, 0, 1)], i);
        out(g, "    automatic: %s\n", rnd(g, 0, 6) ? "true" : "false");
        if (rnd(g, 0, 5) == 0)
            out(g, "    priority: 1\n");
        if (rnd(g, 0, 2) != 0)
            out(g, "    group: g%d\n", (int)rnd(g, 0, 2));
        if (rnd(g, 0, 10) == 0)
            out(g, "    stop: true\n");
        if (rnd(g, 0, 12) == 0)
            out(g, "    combine: exclusive\n");
        out(g, "    discount: { %s }\n", kinds[rnd(g, 0, nk - 1)]);
    }
}

/* A random cart, as JSON. */
static void gen_cart(gen *g, char *buf, size_t size)
{
    int n = (int)rnd(g, 1, 6), k = 0;
    k += snprintf(buf + k, size - (size_t)k,
                  "{\"now\":\"2026-06-%02dT12:00:00Z\",\"currency\":\"USD\",\"codes\":[",
                  (int)rnd(g, 1, 28));
    for (int i = 0, m = (int)rnd(g, 0, 4); i < m; i++)
        k += snprintf(buf + k, size - (size_t)k, "%s\"c%c%d\"", i ? "," : "", "ab"[rnd(g, 0, 1)],
                      (int)rnd(g, 0, MAXC - 1));
    k += snprintf(buf + k, size - (size_t)k, "],\"user\":{\"id\":\"u%d\"},"
                  "\"payment\":{\"method\":\"%s\"},\"shipping\":{\"amount\":\"%d.99\"},"
                  "\"items\":[", (int)rnd(g, 0, 3), rnd(g, 0, 1) ? "card" : "cash",
                  (int)rnd(g, 0, 9));
    for (int i = 0; i < n; i++)
        k += snprintf(buf + k, size - (size_t)k,
                      "%s{\"sku\":\"%s\",\"quantity\":%d,\"unit_price\":\"%d.%02d\","
                      "\"categories\":[\"cat%d/x\"],\"on_sale\":%s}",
                      i ? "," : "", skus[rnd(g, 0, 5)], (int)rnd(g, 1, 4), (int)rnd(g, 1, 60),
                      (int)rnd(g, 0, 99), (int)rnd(g, 0, 2), rnd(g, 0, 4) ? "false" : "true");
    snprintf(buf + k, size - (size_t)k, "]}");
}

/* ------------------------------------------------------------------------
 * The reference
 * ------------------------------------------------------------------------ */

#define REF_LINES 64
#define REF_CHECK(cond, what) ck_assert_msg(cond, "%s", what)
#include "../reference_best.h"

/* ------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------ */

/* Every applied coupon's line shares add up to its discount exactly; no
 * line gets more than its amount in all; no total is negative, and the
 * totals add up. */
static void check_amounts(const cl_result *res, const cl_context *ctx)
{
    int64_t given[64] = {0}, sum = 0, ship = 0;
    for (size_t i = 0; i < cl_result_count(res); i++) {
        int64_t lines = 0;
        ck_assert_int_ge(cl_result_discount(res, i), 0);
        ck_assert_int_ge(cl_result_shipping_discount(res, i), 0);
        for (size_t j = 0; j < cl_result_line_count(res, i); j++) {
            size_t index;
            int64_t d;
            ck_assert_int_eq(cl_result_line(res, i, j, &index, &d), CL_OK);
            ck_assert_uint_lt(index, ctx->items.n);
            ck_assert_int_gt(d, 0);
            given[index] += d;
            lines += d;
        }
        ck_assert_int_eq(lines, cl_result_discount(res, i));
        sum += cl_result_discount(res, i);
        ship += cl_result_shipping_discount(res, i);
    }
    for (size_t i = 0; i < ctx->items.n; i++)
        ck_assert_int_le(given[i], ctx->items.v[i].amount);
    int64_t shipping = ctx->has_shipping ? ctx->shipping : 0;
    ck_assert_int_le(ship, shipping);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_DISCOUNT), sum);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT), ship);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_TOTAL), ctx->subtotal + shipping - sum - ship);
    ck_assert_int_ge(cl_result_total(res, CL_TOTAL_TOTAL), 0);
}

static void check_case(cl_env *env, cl_vm *vm, gen *g, int n, int round,
                       void (*make)(gen *, int))
{
    make(g, n);
    cl_error err;
    cl_program *p = cl_compile(env, g->p, g->n, "random.yaml", &err);
    ck_assert_msg(p != NULL, "%s:%u: %s\n%s", "random.yaml", err.line, err.message, g->p);
    cl_context *ctx = cl_context_new(env);
    char cart[4096];
    gen_cart(g, cart, sizeof cart);
    ck_assert_msg(cl_context_parse(ctx, cart, strlen(cart), &err) == CL_OK, "%s", err.message);
    /* Who is a candidate and applicable alone. */
    const cl_result *res;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, &res, &err), CL_OK);
    bool ok[MAXC];
    for (size_t i = 0; i < cl_program_count(p); i++)
        ok[i] = cl_result_applicable(res, i);
    ref want = reference(vm, p, ctx, ok, p->max_coupons);
    const unsigned modes[] = {0, CL_BEST_INDEXED};
    for (int m = 0; m < 2; m++) {
        ck_assert_int_eq(cl_vm_best_flags(vm, p, ctx, modes[m], &res, &err), CL_OK);
        bool same = cl_result_count(res) == want.n &&
                    cl_result_total(res, CL_TOTAL_DISCOUNT) +
                            cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT) == want.total;
        for (size_t i = 0; same && i < want.n; i++)
            same = strcmp(cl_result_code(res, i), cl_program_code(p, want.idx[i])) == 0;
        if (!same) {
            fprintf(stderr, "round %d mode %d: want", round, m);
            for (size_t i = 0; i < want.n; i++)
                fprintf(stderr, " %s", cl_program_code(p, want.idx[i]));
            fprintf(stderr, " (%lld), got", (long long)want.total);
            for (size_t i = 0; i < cl_result_count(res); i++)
                fprintf(stderr, " %s", cl_result_code(res, i));
            fprintf(stderr, " (%lld)\n%s\n%s\n",
                    (long long)(cl_result_total(res, CL_TOTAL_DISCOUNT) +
                                cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT)),
                    g->p, cart);
        }
        ck_assert(same);
        check_amounts(res, ctx);
    }
    cl_context_free(ctx);
    cl_program_free(p);
}

START_TEST(test_best_matches_reference)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_vm *vm = cl_vm_new(env);
    gen g = {{0x9e3779b97f4a7c15ull + (uint64_t)_i}, NULL, 0, 0};
    for (int round = 0; round < 150; round++)
        check_case(env, vm, &g, (int)test_range(&g.rng, 1, MAXC), round, gen_catalog);
    free(g.p);
    cl_vm_free(vm);
    cl_env_free(env);
}
END_TEST

/* The same against catalogs of twins (gen_twins): what the search drops
 * and what the stacking bound cuts never changes the choice. */
START_TEST(test_best_twins_match_reference)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_vm *vm = cl_vm_new(env);
    gen g = {{0x7a1175ull + (uint64_t)_i}, NULL, 0, 0};
    for (long round = 0; round < test_rounds(150); round++)
        check_case(env, vm, &g, (int)test_range(&g.rng, 2, MAXC), (int)round, gen_twins);
    free(g.p);
    cl_vm_free(vm);
    cl_env_free(env);
}
END_TEST

/* Many free percent and amount coupons: the pruned search stays small
 * (the steps it counts), where enumerating would take 2^n. */
START_TEST(test_best_prunes)
{
    cl_env *env = cl_env_new(NULL, NULL);
    gen g = {{42}, NULL, 0, 0};
    out(&g, "currency: USD\ncoupons:\n");
    for (int i = 0; i < 40; i++)
        out(&g, "  - { code: P%02d, automatic: true, priority: %d, discount: { %s } }\n", i,
            i % 5, i % 2 ? "percent: 1" : "amount: \"0.10\"");
    cl_error err;
    cl_program *p = cl_compile(env, g.p, g.n, "many.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    cl_context *ctx = cl_context_new(env);
    static const char cart[] = "{\"now\":\"2026-06-01T12:00:00Z\",\"currency\":\"USD\","
                               "\"items\":[{\"sku\":\"A\",\"quantity\":1,\"unit_price\":"
                               "\"500.00\"}]}";
    ck_assert_int_eq(cl_context_parse(ctx, cart, sizeof cart - 1, &err), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *res;
    ck_assert_int_eq(cl_vm_best(vm, p, ctx, &res, &err), CL_OK);
    ck_assert_uint_eq(cl_result_count(res), 40);
    ck_assert_uint_lt(vm->steps, 100000);   /* 2^40 leaves without pruning */
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    free(g.p);
    cl_env_free(env);
}
END_TEST

/* The index skips automatic coupons whose SKU, category, user, payment,
 * weekday or window rule them out, and only those. */
START_TEST(test_index_skips)
{
    static const char src[] =
        "currency: USD\n"
        "coupons:\n"
        "  - { code: TV, automatic: true, when: { items: { sku: [TV-55] } }, discount: { percent: 5 } }\n"
        "  - { code: SHOES, automatic: true, discount: { percent: 5, target: { items: { category: [shoes] } } } }\n"
        "  - { code: ANN, automatic: true, owner: ann, discount: { amount: \"1.00\" } }\n"
        "  - { code: PAYPAL, automatic: true, when: { payment.method: paypal }, discount: { amount: \"1.00\" } }\n"
        "  - { code: WEEKEND, automatic: true, when: { weekday: weekend }, discount: { amount: \"1.00\" } }\n"
        "  - { code: LATER, automatic: true, valid: { from: 2027-01-01 }, discount: { amount: \"1.00\" } }\n"
        "  - { code: ALWAYS, automatic: true, discount: { amount: \"1.00\" } }\n"
        "  - { code: ENTERED, when: { items: { sku: [NOPE] } }, discount: { amount: \"1.00\" } }\n";
    static const char cart[] =
        "{\"now\":\"2026-06-03T12:00:00Z\",\"currency\":\"USD\",\"codes\":[\"entered\"],"
        "\"user\":{\"id\":\"bob\"},\"payment\":{\"method\":\"card\"},"
        "\"items\":[{\"sku\":\"TV-55\",\"quantity\":1,\"unit_price\":\"100.00\","
        "\"categories\":[\"electronics/tv\"]}]}";
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    cl_program *p = cl_compile(env, src, sizeof src - 1, "index.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_parse(ctx, cart, sizeof cart - 1, &err), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const uint32_t *cand;
    size_t n;
    ck_assert_int_eq(clI_candidates(vm, p, ctx, &cand, &n), CL_OK);
    /* TV (its SKU), ALWAYS, and the entered code; 2026-06-03 is a Wednesday. */
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(cl_program_code(p, cand[0]), "TV");
    ck_assert_str_eq(cl_program_code(p, cand[1]), "ALWAYS");
    ck_assert_str_eq(cl_program_code(p, cand[2]), "ENTERED");
    /* A shoe, ann, paypal on a Saturday in 2027: everything is a candidate. */
    static const char cart2[] =
        "{\"now\":\"2027-06-05T12:00:00Z\",\"currency\":\"USD\",\"user\":{\"id\":\"ann\"},"
        "\"payment\":{\"method\":\"paypal\"},\"items\":[{\"sku\":\"X\",\"quantity\":1,"
        "\"unit_price\":\"100.00\",\"categories\":[\"shoes/running\"]},{\"sku\":\"TV-55\","
        "\"quantity\":1,\"unit_price\":\"10.00\"}]}";
    ck_assert_int_eq(cl_context_parse(ctx, cart2, sizeof cart2 - 1, &err), CL_OK);
    ck_assert_int_eq(clI_candidates(vm, p, ctx, &cand, &n), CL_OK);
    ck_assert_uint_eq(n, 7);
    /* Another currency rules every coupon of the file out. */
    ck_assert_int_eq(cl_context_set_currency(ctx, "EUR"), CL_OK);
    ck_assert_int_eq(clI_candidates(vm, p, ctx, &cand, &n), CL_OK);
    ck_assert_uint_eq(n, 0);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_env_free(env);
}
END_TEST

static Suite *best_suite(void)
{
    Suite *s = suite_create("best");
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, 1200);
    tcase_add_loop_test(tc, test_best_matches_reference, 0, 4);
    tcase_add_loop_test(tc, test_best_twins_match_reference, 0, 4);
    tcase_add_test(tc, test_best_prunes);
    suite_add_tcase(s, tc);
    tc = tcase_create("index");
    tcase_add_test(tc, test_index_skips);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(best_suite)
