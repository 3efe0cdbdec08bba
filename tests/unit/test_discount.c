/*
 * test_discount.c - unit tests of discount.c: every kind of SPEC 4.6 and the
 * fine points of SPEC 2 and 9 (rounding modes, allocation by largest
 * remainder, per-unit kinds on the remaining unit value, max_units cheapest
 * first and later lines first, caps spread in proportion, budgets, shipping,
 * overflow), computed with clD_compute() on chosen remainders. A property
 * test over random carts and random remainders checks that line shares
 * always add up to the coupon's discount, never exceed what a line has left
 * and are never negative.
 */
#include "context.h"
#include "money.h"
#include "vm.h"
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>

static cl_env *env;
static cl_vm *vm;
static cl_context *ctx;
static cl_program *prog;
static cl_error err;

static void setup(void)
{
    env = cl_env_new(NULL, NULL);
    vm = cl_vm_new(env);
    ctx = cl_context_new(env);
    prog = NULL;
}

static void teardown(void)
{
    cl_program_free(prog);
    cl_context_free(ctx);
    cl_vm_free(vm);
    cl_env_free(env);
}

static void use(const char *src)
{
    cl_program_free(prog);
    prog = cl_compile(env, src, strlen(src), "d.yaml", &err);
    ck_assert_msg(prog != NULL, "%u:%u: %s", err.line, err.column, err.message);
}

/* A cart of lines "SKU QTY PRICE [sale] [cat]" separated by ';' (prices in
 * minor units), with shipping (-1 = none). */
static void cart(const char *lines, int64_t shipping)
{
    cl_context_clear(ctx);
    cl_context_set_now(ctx, 1700000000);
    cl_context_set_currency(ctx, "USD");
    if (shipping >= 0)
        cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, shipping);
    const char *p = lines;
    while (*p) {
        char sku[32], w1[32] = "", w2[32] = "";
        long long q, price;
        int used = 0;
        int k = sscanf(p, "%31s %lld %lld%n", sku, &q, &price, &used);
        ck_assert_int_ge(k, 3);
        p += used;
        const char *end = strchr(p, ';');
        size_t rest = end ? (size_t)(end - p) : strlen(p);
        char tail[64];
        snprintf(tail, sizeof tail, "%.*s", (int)rest, p);
        sscanf(tail, "%31s %31s", w1, w2);
        size_t index;
        ck_assert_int_eq(cl_context_add_item(ctx, sku, q, price, &index), CL_OK);
        const char *words[2] = {w1, w2};
        for (int w = 0; w < 2; w++) {
            if (strcmp(words[w], "sale") == 0)
                cl_context_item_set_on_sale(ctx, index, true);
            else if (words[w][0])
                cl_context_item_add_category(ctx, index, words[w]);
        }
        p += rest;
        if (*p == ';')
            p++;
        while (*p == ' ')
            p++;
    }
}

/* Coupon code's discount on remainders rem (NULL: the original cart) and
 * shipping left ship_rem; lines[] gets the shares. Returns the total. */
static int64_t compute(const char *code, const int64_t *rem, int64_t ship_rem, int64_t *lines,
                       int64_t *ship)
{
    long i = cl_program_find(prog, code);
    ck_assert_msg(i >= 0, "no coupon %s", code);
    const clP_unit *u;
    const clP_coupon *c = clP_coupon_of(prog, (size_t)i, &u);
    int64_t orig[64];
    if (rem == NULL) {
        for (size_t k = 0; k < ctx->items.n; k++)
            orig[k] = ctx->items.v[k].amount;
        rem = orig;
    }
    clE_clear(&err);
    vm->err = &err;
    vm->steps = 0;
    int64_t total = -1, s = -1;
    int rc = clD_compute(vm, u, c, ctx, rem, ship_rem, lines, &total, &s);
    ck_assert_msg(rc == CL_OK, "%s: %s", code, err.message);
    if (ship != NULL)
        *ship = s;
    /* whatever the kind: shares add up, never negative, never above what is left */
    int64_t sum = 0;
    for (size_t k = 0; k < ctx->items.n; k++) {
        ck_assert_msg(lines[k] >= 0 && lines[k] <= rem[k], "%s: line %zu gets %" PRId64
                      " of %" PRId64, code, k, lines[k], rem[k]);
        sum += lines[k];
    }
    ck_assert_int_eq(sum, total);
    ck_assert(s >= 0 && s <= (ship_rem > 0 ? ship_rem : 0));
    return total;
}

static void expect_lines(const char *code, const int64_t *rem, const int64_t *want, size_t n,
                         int64_t want_total)
{
    int64_t lines[64];
    int64_t total = compute(code, rem, 0, lines, NULL);
    char got[256] = "", exp[256] = "";
    for (size_t k = 0; k < n; k++) {
        size_t a = strlen(got), b = strlen(exp);
        snprintf(got + a, sizeof got - a, "%s%" PRId64, k ? " " : "", lines[k]);
        snprintf(exp + b, sizeof exp - b, "%s%" PRId64, k ? " " : "", want[k]);
    }
    ck_assert_msg(total == want_total && strcmp(got, exp) == 0, "%s: %" PRId64 " [%s], want %"
                  PRId64 " [%s]", code, total, got, want_total, exp);
}

#define LINES(...) ((const int64_t[]){__VA_ARGS__})
#define N(...) (sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define EXPECT(code, rem, total, ...) \
    expect_lines(code, rem, LINES(__VA_ARGS__), N(__VA_ARGS__), total)

/* ------------------------------------------------------------------------
 * Order-level kinds
 * ------------------------------------------------------------------------ */

START_TEST(test_rounding_modes)
{
    static const struct {
        const char *mode;
        int64_t p125_1005, p10_25, p10_35, p10_15;
    } modes[] = {
        {"half_even", 126, 2, 4, 2},
        {"half_up", 126, 3, 4, 2},
        {"down", 125, 2, 3, 1},
        {"up", 126, 3, 4, 2},
    };
    for (size_t m = 0; m < CL_COUNTOF(modes); m++) {
        char src[512];
        snprintf(src, sizeof src, "currency: USD\nrounding: %s\ncoupons:\n"
                 "  - { code: P125, discount: { percent: 12.5 } }\n"
                 "  - { code: P10, discount: { percent: 10 } }\n", modes[m].mode);
        use(src);
        int64_t lines[8];
        cart("A 1 1005", -1);
        ck_assert_int_eq(compute("P125", NULL, 0, lines, NULL), modes[m].p125_1005);
        cart("A 1 25", -1);
        ck_assert_int_eq(compute("P10", NULL, 0, lines, NULL), modes[m].p10_25);
        cart("A 1 35", -1);
        ck_assert_int_eq(compute("P10", NULL, 0, lines, NULL), modes[m].p10_35);
        /* percent is computed once, on the sum: 10% of 3 x 0.05 is 1.5 cents */
        cart("A 1 5; B 1 5; C 1 5", -1);
        ck_assert_int_eq(compute("P10", NULL, 0, lines, NULL), modes[m].p10_15);
    }
}
END_TEST

START_TEST(test_allocation)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: P10, discount: { percent: 10 } }\n"
        "  - { code: ONE, discount: { amount: \"1.00\" } }\n"
        "  - { code: CENT, discount: { amount: \"0.01\" } }\n"
        "  - { code: BIG, discount: { amount: \"25.00\" } }\n"
        "  - { code: CAP, discount: { percent: 50, max_amount: \"1.00\" } }\n");
    /* equal remainders: the lower index first */
    cart("A 1 5; B 1 5; C 1 5", -1);
    EXPECT("P10", NULL, 2, 1, 1, 0);
    /* in proportion, leftover to the largest fractional part */
    cart("A 1 100; B 1 200; C 1 300", -1);
    EXPECT("ONE", NULL, 100, 17, 33, 50);
    /* a tie of remainders goes to the larger line */
    cart("A 1 500; B 1 501", -1);
    EXPECT("CENT", NULL, 1, 0, 1);
    cart("A 1 1; B 1 3", -1);
    EXPECT("CENT", NULL, 1, 0, 1);
    /* an amount is capped by what it applies to */
    cart("A 2 300; B 1 400", -1);
    EXPECT("BIG", NULL, 1000, 600, 400);
    /* max_amount caps, then the capped amount is allocated */
    EXPECT("CAP", NULL, 100, 60, 40);
    /* weights are the remaining amounts, not the original ones */
    EXPECT("ONE", LINES(100, 300), 100, 25, 75);
    EXPECT("ONE", LINES(0, 300), 100, 0, 100);
    EXPECT("BIG", LINES(10, 20), 30, 10, 20);
    /* nothing left: zero, on no line */
    EXPECT("P10", LINES(0, 0), 0, 0, 0);
}
END_TEST

START_TEST(test_tiers)
{
    use("currency: USD\ncoupons:\n"
        "  - code: T\n"
        "    discount: { tiers: [ { min: \"50.00\", amount: \"5.00\" }, { min: \"100.00\", percent: 10 },"
        " { min: \"200.00\", amount: \"500.00\" } ] }\n");
    cart("A 1 12000", -1);
    EXPECT("T", NULL, 1200, 1200);           /* 10% of 120.00 */
    EXPECT("T", LINES(8000), 500, 500);      /* the tier of what is left */
    EXPECT("T", LINES(4000), 0, 0);          /* no tier reached any more */
    EXPECT("T", LINES(5000), 500, 500);      /* min is inclusive */
    cart("A 1 20000; B 1 5000", -1);
    EXPECT("T", NULL, 25000, 20000, 5000);   /* an amount tier is capped by the lines */
}
END_TEST

/* ------------------------------------------------------------------------
 * Per-unit kinds
 * ------------------------------------------------------------------------ */

START_TEST(test_amount_per_item)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: MUG, discount: { amount_per_item: \"1.50\", target: { items: { sku: [MUG] } }, max_units: 3 } }\n"
        "  - { code: EACH, discount: { amount_per_item: \"1.00\", max_units: 3 } }\n"
        "  - { code: CAPPED, discount: { amount_per_item: \"2.00\", max_amount: \"5.00\" } }\n"
        "  - { code: HUGE, discount: { amount_per_item: \"90000000000000000.00\" } }\n"
        "---\n"
        "currency: USD\nrounding: half_up\n"
        "coupons: [ { code: UP, discount: { amount_per_item: \"1.50\" } } ]\n");
    cart("MUG 4 800; PEN 2 100", -1);
    EXPECT("MUG", NULL, 450, 450, 0);
    /* the remaining unit value caps each unit: 4.00 over 4 units */
    EXPECT("MUG", LINES(400, 200), 300, 300, 0);
    /* rounded per unit with the file's rounding: 1.01 over 2 units is 0.505 */
    cart("A 2 800", -1);
    EXPECT("EACH", LINES(101), 100, 100);    /* half_even: 0.50 a unit */
    EXPECT("UP", LINES(101), 101, 101);      /* half_up: 0.51 a unit, but never more than left */
    /* max_units: the cheapest units, later lines first among equals */
    cart("A 2 500; B 2 500; C 1 300", -1);
    EXPECT("EACH", NULL, 300, 0, 200, 100);
    /* ... by remaining unit value: C's unit is now the dearest */
    EXPECT("EACH", LINES(1000, 1000, 900), 300, 100, 200, 0);
    EXPECT("EACH", LINES(200, 1000, 900), 300, 200, 100, 0);
    /* a cap spreads the capped total in proportion to the uncapped shares */
    cart("A 4 500; B 2 500; C 1 500", -1);
    EXPECT("CAPPED", NULL, 500, 286, 143, 71);
    /* an amount per unit that overflows with the quantity takes the line */
    cart("A 3 1000; B 1000000 9000000000", -1);
    EXPECT("HUGE", NULL, 3000 + 9000000000000000, 3000, 9000000000000000);
}
END_TEST

START_TEST(test_fixed_price)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: FIX, discount: { fixed_price: \"9.99\", target: { items: { sku: [SHIRT] } } } }\n"
        "  - { code: FREE, discount: { fixed_price: \"0\" } }\n"
        "  - { code: FIX2, discount: { fixed_price: \"9.99\", max_units: 1 } }\n"
        "---\ncurrency: USD\nrounding: down\n"
        "coupons: [ { code: DOWN, discount: { fixed_price: \"9.99\" } } ]\n");
    cart("SHIRT 2 2500; HAT 1 1500", -1);
    EXPECT("FIX", NULL, 3002, 3002, 0);
    EXPECT("FIX", LINES(3000, 1500), 1002, 1002, 0);   /* 15.00 a unit left, down to 9.99 */
    EXPECT("FIX", LINES(1000, 1500), 0, 0, 0);         /* already below the price */
    EXPECT("FREE", NULL, 6500, 5000, 1500);
    EXPECT("FIX2", NULL, 501, 0, 501);                  /* the cheaper unit */
    /* per unit, rounded: 20.01 over 2 units is 10.005 a unit, 0.015 over the price */
    cart("A 2 1000", -1);
    EXPECT("FIX2", LINES(2001), 2, 2);                  /* half_even: 0.02 */
    EXPECT("DOWN", LINES(2001), 2, 2);                  /* down: 0.01 a unit, 2 units */
    /* a price above the unit price: zero, still applicable (SPEC 9) */
    cart("A 1 500", -1);
    EXPECT("FIX2", NULL, 0, 0);
}
END_TEST

START_TEST(test_buy_get)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: B2G1, discount: { buy_get: { buy: 2, get: 1 } } }\n"
        "  - { code: ONEGROUP, discount: { buy_get: { buy: 2, get: 1, max_groups: 1 } } }\n"
        "  - { code: HALF, discount: { buy_get: { buy: 1, get: 1, percent: 50 } } }\n"
        "  - { code: UNITS, discount: { buy_get: { buy: 1, get: 1 }, max_units: 1 } }\n"
        "  - { code: B1G2, discount: { buy_get: { buy: 1, get: 2 } } }\n"
        "---\ncurrency: USD\nrounding: half_up\n"
        "coupons: [ { code: HALFUP, discount: { buy_get: { buy: 1, get: 1, percent: 50 } } } ]\n");
    /* six units, two groups: the two cheapest units, the later line first */
    cart("A 3 1000; B 1 400; C 2 400", -1);
    EXPECT("B2G1", NULL, 800, 0, 0, 800);
    EXPECT("ONEGROUP", NULL, 400, 0, 0, 400);
    /* by remaining unit value: A's units are now the cheapest */
    EXPECT("B2G1", LINES(300, 400, 800), 200, 200, 0, 0);
    /* half off, per unit with the file's rounding: 3.33 a unit */
    cart("A 2 333", -1);
    EXPECT("HALF", NULL, 166, 166);
    EXPECT("HALFUP", NULL, 167, 167);
    /* max_units caps the discounted units too */
    cart("A 4 100", -1);
    EXPECT("UNITS", NULL, 100, 100);
    EXPECT("HALF", NULL, 100, 100);
    /* buy 1 get 2: four units make one group, which gives the two cheapest */
    cart("A 1 900; B 1 500; C 1 100; D 1 50", -1);
    EXPECT("B1G2", NULL, 150, 0, 0, 100, 50);
    cart("A 1 900; B 1 500; C 1 100; D 1 50; E 2 10", -1);
    EXPECT("B1G2", NULL, 170, 0, 0, 100, 50, 20); /* six units: two groups */
}
END_TEST

/* ------------------------------------------------------------------------
 * Targets, shipping, budgets
 * ------------------------------------------------------------------------ */

START_TEST(test_targets)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: CAT, discount: { percent: 10, target: { items: { category: [home] } } } }\n"
        "  - { code: NOSALE, discount: { amount: \"3.00\", exclude_sale_items: true } }\n"
        "  - { code: MINQ, discount: { percent: 10, target: { items: { category: [home], min_quantity: 3 } } } }\n");
    cart("A 1 1000 home; B 2 2000 sale home; C 1 500", -1);
    EXPECT("CAT", NULL, 500, 100, 400, 0);
    EXPECT("NOSALE", NULL, 300, 200, 0, 100);
    EXPECT("MINQ", NULL, 500, 100, 400, 0);
    /* a target's minimum judges the original cart, its amounts what is left */
    EXPECT("MINQ", LINES(0, 1000, 500), 100, 0, 100, 0);
    cart("A 1 1000 home; B 1 2000 home", -1);
    EXPECT("MINQ", NULL, 0, 0, 0);
}
END_TEST

START_TEST(test_shipping)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: FREE, discount: { free_shipping: true } }\n"
        "  - { code: FREE3, discount: { free_shipping: { max_amount: \"3.00\" } } }\n"
        "  - { code: HALF, discount: { percent: 50, target: shipping } }\n"
        "  - { code: FIVE, discount: { amount: \"5.00\", target: shipping } }\n"
        "  - { code: FIVECAP, discount: { amount: \"5.00\", target: shipping, max_amount: \"4.00\" } }\n");
    cart("A 1 1000", 799);
    int64_t lines[4], ship;
    static const struct {
        const char *code;
        int64_t ship_rem, want;
    } cases[] = {
        {"FREE", 799, 799}, {"FREE3", 799, 300}, {"HALF", 799, 400}, {"FIVE", 799, 500},
        {"FIVECAP", 799, 400}, {"FIVE", 200, 200}, {"FREE", 0, 0}, {"HALF", 1, 0},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        ck_assert_int_eq(compute(cases[i].code, NULL, cases[i].ship_rem, lines, &ship), 0);
        ck_assert_msg(ship == cases[i].want, "%s of %" PRId64 ": %" PRId64 ", want %" PRId64,
                      cases[i].code, cases[i].ship_rem, ship, cases[i].want);
        ck_assert_int_eq(lines[0], 0);
    }
}
END_TEST

START_TEST(test_budget)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: B, discount: { percent: 50 }, limits: { budget: \"10.00\" } }\n"
        "  - { code: BU, discount: { amount_per_item: \"3.00\" }, limits: { budget: \"10.00\" } }\n"
        "  - { code: BS, discount: { free_shipping: true }, limits: { budget: \"10.00\" } }\n"
        "  - { code: BM, discount: { percent: 50, max_amount: \"2.00\" }, limits: { budget: \"10.00\" } }\n");
    cart("A 1 2000; B 2 1000", 1500);
    EXPECT("B", NULL, 1000, 500, 500);     /* 20.00 capped at the budget */
    EXPECT("BU", NULL, 900, 300, 600);     /* under the budget */
    cl_context_set_usage(ctx, "b", 0, 0, 750);
    EXPECT("B", NULL, 250, 125, 125);      /* 2.50 of the budget left */
    cl_context_set_usage(ctx, "BU", 0, 0, 500);
    EXPECT("BU", NULL, 500, 167, 333);     /* 9.00 cut to 5.00, in proportion */
    cl_context_set_usage(ctx, "BS", 0, 0, 1000);
    int64_t lines[4], ship;
    compute("BS", NULL, 1500, lines, &ship);
    ck_assert_int_eq(ship, 0);             /* spent: nothing left to give */
    cl_context_set_usage(ctx, "BS", 0, 0, 200000);
    compute("BS", NULL, 1500, lines, &ship);
    ck_assert_int_eq(ship, 0);             /* overspent: still never negative */
    cl_context_set_usage(ctx, "BM", 0, 0, 900);
    EXPECT("BM", NULL, 100, 50, 50);       /* the tighter of max_amount and the budget */
    cl_context_set_usage(ctx, "BM", 0, 0, 0);
    EXPECT("BM", NULL, 200, 100, 100);
}
END_TEST

/* Lines near the limits of int64: nothing overflows, nothing goes negative. */
START_TEST(test_extremes)
{
    use("currency: USD\ncoupons:\n"
        "  - { code: P, discount: { percent: 99.99 } }\n"
        "  - { code: A, discount: { amount: \"92233720368547758.07\" } }\n"
        "  - { code: U, discount: { amount_per_item: \"92233720368547758.07\" }, limits: { budget: \"0.03\" } }\n"
        "  - { code: F, discount: { fixed_price: \"0.01\" } }\n"
        "  - { code: G, discount: { buy_get: { buy: 1, get: 1, percent: 33.33 } } }\n");
    cart("A 1 4611686018427387903; B 1 4611686018427387903", -1);
    int64_t lines[4];
    int64_t p = compute("P", NULL, 0, lines, NULL);
    ck_assert_int_eq(p, clM_percent(INT64_MAX - 1, 9999, CLM_HALF_EVEN));
    ck_assert_int_eq(compute("A", NULL, 0, lines, NULL), INT64_MAX - 1);
    ck_assert_int_eq(compute("U", NULL, 0, lines, NULL), 3);
    ck_assert_int_eq(compute("F", NULL, 0, lines, NULL), INT64_MAX - 1 - 2);
    compute("G", NULL, 0, lines, NULL);
    /* huge quantities of tiny prices */
    cart("A 4611686018427387903 1; B 2 1", -1);
    compute("P", NULL, 0, lines, NULL);
    compute("U", NULL, 0, lines, NULL);
    compute("F", NULL, 0, lines, NULL);
    compute("G", NULL, 0, lines, NULL);
    /* a context refuses a line whose amount overflows */
    ck_assert_int_eq(cl_context_add_item(ctx, "X", 3, INT64_MAX / 2, NULL), CL_EOVERFLOW);
}
END_TEST

/* ------------------------------------------------------------------------
 * Property: random carts, random remainders, every kind
 * ------------------------------------------------------------------------ */

static const char property_src[] =
    "currency: USD\n"
    "coupons:\n"
    "  - { code: K1, discount: { percent: 12.5 } }\n"
    "  - { code: K2, discount: { percent: 33.33, max_amount: \"7.77\" } }\n"
    "  - { code: K3, discount: { amount: \"13.37\" } }\n"
    "  - { code: K4, discount: { amount: \"0.01\", exclude_sale_items: true } }\n"
    "  - { code: K5, discount: { amount_per_item: \"0.99\" } }\n"
    "  - { code: K6, discount: { amount_per_item: \"2.50\", max_units: 3, max_amount: \"4.00\" } }\n"
    "  - { code: K7, discount: { fixed_price: \"1.99\" } }\n"
    "  - { code: K8, discount: { fixed_price: \"0.50\", max_units: 2, target: { items: { category: [c1] } } } }\n"
    "  - { code: K9, discount: { buy_get: { buy: 2, get: 1 } } }\n"
    "  - { code: K10, discount: { buy_get: { buy: 1, get: 1, percent: 45.5, max_groups: 2 }, max_amount: \"3.00\" } }\n"
    "  - { code: K11, discount: { tiers: [ { min: \"10.00\", amount: \"1.00\" }, { min: \"30.00\", percent: 15 } ] } }\n"
    "  - { code: K12, discount: { percent: 7, target: { items: { category: [c2] } } }, limits: { budget: \"5.00\" } }\n"
    "  - { code: K13, discount: { amount: \"2.22\", target: { items: { unit_price: { gte: \"1.00\" } } } } }\n"
    "---\n"
    "currency: USD\nrounding: up\n"
    "coupons:\n"
    "  - { code: U1, discount: { percent: 0.01 } }\n"
    "  - { code: U2, discount: { amount_per_item: \"0.07\" } }\n"
    "  - { code: U3, discount: { buy_get: { buy: 3, get: 2, percent: 99.99 } } }\n"
    "---\n"
    "currency: USD\nrounding: half_up\n"
    "coupons:\n"
    "  - { code: H1, discount: { fixed_price: \"0.03\", max_amount: \"0.10\" } }\n"
    "  - { code: H2, discount: { percent: 50 } }\n";

START_TEST(test_property_random_carts)
{
    use(property_src);
    test_rng r = {0x5EED0F00D};
    int64_t rem[16], lines[16];
    long checked = 0;
    long rounds = test_rounds(3000);
    for (long round = 0; round < rounds; round++) {
        cl_context_clear(ctx);
        cl_context_set_now(ctx, 0);
        cl_context_set_currency(ctx, "USD");
        size_t n = (size_t)test_range(&r, 1, 10);
        for (size_t i = 0; i < n; i++) {
            int64_t q = test_range(&r, 1, 6);
            int64_t price = test_rand(&r) % 4 == 0 ? test_range(&r, 0, 3) : test_range(&r, 0, 5000);
            size_t idx;
            ck_assert_int_eq(cl_context_add_item(ctx, "S", q, price, &idx), CL_OK);
            if (test_rand(&r) % 3 == 0)
                cl_context_item_set_on_sale(ctx, idx, true);
            cl_context_item_add_category(ctx, idx, test_rand(&r) % 2 ? "c1" : "c2");
        }
        if (test_rand(&r) % 2)
            cl_context_set_usage(ctx, "K12", 0, 0, test_range(&r, 0, 600));
        /* what is left: the whole cart, or a random part of each line */
        for (size_t i = 0; i < n; i++) {
            int64_t a = ctx->items.v[i].amount;
            rem[i] = test_rand(&r) % 2 ? a : test_range(&r, 0, a);
        }
        for (size_t c = 0; c < cl_program_count(prog); c++) {
            /* compute() checks the invariants */
            int64_t total = compute(cl_program_code(prog, c), rem, 0, lines, NULL);
            int64_t left = 0;
            for (size_t i = 0; i < n; i++)
                left += rem[i];
            REQUIRE(total <= left, "round %ld, %s: %" PRId64 " of %" PRId64, round,
                    cl_program_code(prog, c), total, left);
            checked++;
        }
        /* and applied one after the other, as a stack of coupons is */
        for (size_t c = 0; c < cl_program_count(prog); c++) {
            compute(cl_program_code(prog, c), rem, 0, lines, NULL);
            for (size_t i = 0; i < n; i++)
                rem[i] -= lines[i];
        }
        for (size_t i = 0; i < n; i++)
            REQUIRE(rem[i] >= 0, "round %ld: line %zu left negative", round, i);
    }
    ck_assert_int_gt(checked, rounds * 13);
}
END_TEST

static Suite *discount_suite(void)
{
    const test_entry tests[] = {
        {"order", test_rounding_modes},     {"order", test_allocation},
        {"order", test_tiers},              {"units", test_amount_per_item},
        {"units", test_fixed_price},        {"units", test_buy_get},
        {"targets", test_targets},          {"targets", test_shipping},
        {"targets", test_budget},           {"targets", test_extremes},
        {"property", test_property_random_carts},
    };
    return test_suite_fx("discount", tests, CL_COUNTOF(tests), 300, setup, teardown);
}

TEST_MAIN(discount_suite)
