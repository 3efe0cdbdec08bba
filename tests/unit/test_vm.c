/*
 * test_vm.c - unit tests of vm.c: each opcode's behaviour (time opcodes are
 * tested with tz), absent fields as SPEC 9 says, reasons in SPEC order, the
 * step budget, regex match limits, and the evaluation API.
 *
 * Most tests compile a coupon and evaluate it against a context written in
 * JSON; opcodes the compiler never emits (JUMP) run from a unit built by
 * hand and verified like any other.
 */
#include "build.h"
#include "context.h"
#include "vm.h"
#include "testutil.h"

#include <stdio.h>

static cl_env *env;
static cl_vm *vm;
static cl_context *ctx;
static cl_program *prog;
static const cl_result *res;
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
    prog = cl_compile(env, src, strlen(src), "t.yaml", &err);
    ck_assert_msg(prog != NULL, "%u:%u: %s", err.line, err.column, err.message);
}

static void context(const char *json)
{
    int rc = cl_context_parse(ctx, json, strlen(json), &err);
    ck_assert_msg(rc == CL_OK, "%u:%u: %s (%s)", err.line, err.column, err.message, err.path);
}

static void run(unsigned flags)
{
    int rc = cl_vm_eval(vm, prog, ctx, flags, &res, &err);
    ck_assert_msg(rc == CL_OK, "%s", err.message);
}

/* Coupon `code` is applicable (want_reasons NULL) or not with exactly these
 * reason names, comma-separated, in order. */
static void outcome(const char *code, const char *want_reasons)
{
    long i = cl_program_find(prog, code);
    ck_assert_msg(i >= 0, "no coupon %s", code);
    char got[512] = "";
    for (size_t j = 0; j < cl_result_reason_count(res, (size_t)i); j++) {
        size_t len = strlen(got);
        snprintf(got + len, sizeof got - len, "%s%s", j ? "," : "",
                 cl_reason_name(cl_result_reason(res, (size_t)i, j)));
    }
    if (want_reasons == NULL)
        ck_assert_msg(cl_result_applicable(res, (size_t)i) && got[0] == '\0',
                      "%s: not applicable (%s)", code, got);
    else
        ck_assert_msg(!cl_result_applicable(res, (size_t)i) && strcmp(got, want_reasons) == 0,
                      "%s: applicable %d, reasons [%s], want [%s]", code,
                      cl_result_applicable(res, (size_t)i), got, want_reasons);
}

#define CTX(fields) \
    "{\"now\": \"2026-05-05T10:00:00Z\", \"currency\": \"USD\", " fields "}"
#define ITEMS1 "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"10.00\"}]"

/* ------------------------------------------------------------------------
 * Loading and comparing values
 * ------------------------------------------------------------------------ */

START_TEST(test_int_predicates)
{
    use("coupons:\n"
        "  - { code: EQ, automatic: true, when: { order.serial: 10 }, discount: { percent: 1 } }\n"
        "  - { code: NE, automatic: true, when: { order.serial: { ne: 10 } }, discount: { percent: 1 } }\n"
        "  - { code: LT, automatic: true, when: { order.serial: { lt: 10 } }, discount: { percent: 1 } }\n"
        "  - { code: LE, automatic: true, when: { order.serial: { lte: 10 } }, discount: { percent: 1 } }\n"
        "  - { code: GT, automatic: true, when: { order.serial: { gt: 10 } }, discount: { percent: 1 } }\n"
        "  - { code: GE, automatic: true, when: { order.serial: { gte: 10 } }, discount: { percent: 1 } }\n"
        "  - { code: BT, automatic: true, when: { order.serial: { between: [9, 11] } }, discount: { percent: 1 } }\n"
        "  - { code: IN, automatic: true, when: { order.serial: [1, 10, 100] }, discount: { percent: 1 } }\n"
        "  - { code: NI, automatic: true, when: { order.serial: { not_in: [10] } }, discount: { percent: 1 } }\n"
        "  - { code: EV, automatic: true, when: { order.serial: { every: 5 } }, discount: { percent: 1 } }\n"
        "  - { code: EO, automatic: true, when: { order.serial: { every: 4, offset: 6 } }, discount: { percent: 1 } }\n"
        "  - { code: NEG, automatic: true, when: { order.serial: { every: 4, offset: -6 } }, discount: { percent: 1 } }\n");
    static const struct {
        int64_t serial;
        const char *applicable; /* codes that apply, in program order */
    } cases[] = {
        {10, "EQ LE GE BT IN EV EO NEG"},
        {9, "NE LT LE BT NI"},
        {11, "NE GT GE BT NI"},
        {0, "NE LT LE NI EV"},
        {1, "NE LT LE IN NI"},
        {2, "NE LT LE NI NEG"},        /* below EO's offset; -6 + 2 x 4 for NEG */
        {6, "NE LT LE NI EO NEG"},
        {100, "NE GT GE IN NI EV"},
        {INT64_MAX, "NE GT GE NI"},
    };
    for (size_t k = 0; k < CL_COUNTOF(cases); k++) {
        char json[256];
        snprintf(json, sizeof json, CTX("\"order\": {\"serial\": %lld}, " ITEMS1),
                 (long long)cases[k].serial);
        context(json);
        run(0);
        char got[256] = "";
        for (size_t i = 0; i < cl_result_count(res); i++)
            if (cl_result_applicable(res, i)) {
                size_t len = strlen(got);
                snprintf(got + len, sizeof got - len, "%s%s", len ? " " : "", cl_result_code(res, i));
            }
        const char *want = cases[k].applicable;
        ck_assert_msg(strcmp(got, want) == 0, "serial %lld: [%s], want [%s]",
                      (long long)cases[k].serial, got, want);
    }
}
END_TEST

/* SPEC 9: "every: n, offset: k" is met when value >= k and (value - k) is
 * divisible by n, without overflow at the extremes. */
START_TEST(test_every_extremes)
{
    use("coupons:\n"
        "  - { code: BIG, automatic: true, when: { order.serial: { every: 9223372036854775807,"
        " offset: -4611686018427387903 } }, discount: { percent: 1 } }\n"
        "  - { code: ODD, automatic: true, when: { order.serial: { every: 2, offset: 1 } },"
        " discount: { percent: 1 } }\n");
    context(CTX("\"order\": {\"serial\": 4611686018427387904}, " ITEMS1));
    run(0);
    outcome("BIG", NULL); /* 4611686018427387904 + 4611686018427387903 = INT64_MAX */
    outcome("ODD", "ORDER_SERIAL");
    context(CTX("\"order\": {\"serial\": 9223372036854775807}, " ITEMS1));
    run(0);
    outcome("BIG", "ORDER_SERIAL");
    outcome("ODD", NULL);
}
END_TEST

START_TEST(test_string_predicates)
{
    use("coupons:\n"
        "  - { code: EQ, automatic: true, when: { payment.method: card }, discount: { percent: 1 } }\n"
        "  - { code: NE, automatic: true, when: { payment.method: { ne: card } }, discount: { percent: 1 } }\n"
        "  - { code: IN, automatic: true, when: { payment.method: [upi, card] }, discount: { percent: 1 } }\n"
        "  - { code: NI, automatic: true, when: { payment.method: { not_in: [card] } }, discount: { percent: 1 } }\n"
        "  - { code: PRE, automatic: true, when: { payment.bin: { prefix: ['4', '55'] } }, discount: { percent: 1 } }\n"
        "  - { code: PRE-MANY, automatic: true, when: { payment.bin: { prefix: [a, b, c, d, e, f, g, h, i, '411'] } }, discount: { percent: 1 } }\n"
        "  - { code: RE, automatic: true, when: { payment.wallet: { matches: 'pay' } }, discount: { percent: 1 } }\n"
        "  - { code: RE-ANCHOR, automatic: true, when: { payment.wallet: { matches: '^pay$' } }, discount: { percent: 1 } }\n"
        "  - { code: RE-UTF8, automatic: true, when: { payment.network: { matches: '^.{3}$' } }, discount: { percent: 1 } }\n");
    context(CTX("\"payment\": {\"method\": \"card\", \"bin\": \"411111\", \"wallet\": \"apple_pay\","
                " \"network\": \"\xc3\xa9\xc3\xa9\xc3\xa9\"}, " ITEMS1));
    run(0);
    outcome("EQ", NULL);
    outcome("NE", "PAYMENT");
    outcome("IN", NULL);
    outcome("NI", "PAYMENT");
    outcome("PRE", NULL);
    outcome("PRE-MANY", NULL);
    outcome("RE", NULL);              /* search semantics: a match anywhere */
    outcome("RE-ANCHOR", "PAYMENT");
    outcome("RE-UTF8", NULL);         /* three characters, six bytes */
    /* case matters for every string but emails */
    context(CTX("\"payment\": {\"method\": \"Card\", \"bin\": \"5\", \"wallet\": \"PAY\"}, "
                ITEMS1));
    /* JSON is UTF-8; the C setters take any bytes */
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_PAYMENT_NETWORK, "\xff\xfe\xc3"), CL_OK);
    run(0);
    outcome("EQ", "PAYMENT");
    outcome("NE", NULL);
    outcome("IN", "PAYMENT");
    outcome("NI", NULL);
    outcome("PRE", "PAYMENT");        /* "5" is shorter than "55" */
    outcome("PRE-MANY", "PAYMENT");
    outcome("RE", "PAYMENT");
    outcome("RE-UTF8", "PAYMENT");    /* not UTF-8: no match, no error */
    /* the empty string */
    context(CTX("\"payment\": {\"method\": \"\", \"bin\": \"\", \"wallet\": \"\"}, " ITEMS1));
    run(0);
    outcome("EQ", "PAYMENT");
    outcome("NE", NULL);
    outcome("PRE", "PAYMENT");
    outcome("RE", "PAYMENT");
}
END_TEST

/* SPEC 9: emails and domains compare ignoring case; a domain is the exact
 * part after the '@'. */
START_TEST(test_email)
{
    use("coupons:\n"
        "  - { code: EQ, automatic: true, when: { user.email: Ann@Example.com }, discount: { percent: 1 } }\n"
        "  - { code: IN, automatic: true, when: { user.email: [x@y.z, ann@example.com] }, discount: { percent: 1 } }\n"
        "  - { code: DOM, automatic: true, when: { user.email: { domain: [Example.COM] } }, discount: { percent: 1 } }\n"
        "  - { code: PRE, automatic: true, when: { user.email: { prefix: [ANN] } }, discount: { percent: 1 } }\n");
    static const struct {
        const char *email, *applicable;
    } cases[] = {
        {"ann@example.com", "EQ IN DOM PRE"},
        {"ANN@EXAMPLE.COM", "EQ IN DOM PRE"},
        {"bob@example.com", "DOM"},
        {"ann@mail.example.com", "PRE"},      /* no subdomains */
        {"ann@example.com.evil", "PRE"},
        {"a@b@example.com", "DOM"},           /* the part after the last '@' */
        {"example.com", ""},                  /* no '@' */
        {"ann@", "PRE"},
    };
    for (size_t k = 0; k < CL_COUNTOF(cases); k++) {
        char json[256];
        snprintf(json, sizeof json, CTX("\"user\": {\"email\": \"%s\"}, " ITEMS1), cases[k].email);
        context(json);
        run(0);
        char got[128] = "";
        for (size_t i = 0; i < cl_result_count(res); i++)
            if (cl_result_applicable(res, i)) {
                size_t len = strlen(got);
                snprintf(got + len, sizeof got - len, "%s%s", len ? " " : "", cl_result_code(res, i));
            }
        ck_assert_msg(strcmp(got, cases[k].applicable) == 0, "%s: [%s], want [%s]",
                      cases[k].email, got, cases[k].applicable);
    }
}
END_TEST

START_TEST(test_tags)
{
    use("coupons:\n"
        "  - { code: ANY, automatic: true, when: { user.tags: [vip, gold] }, discount: { percent: 1 } }\n"
        "  - { code: ALL, automatic: true, when: { user.tags: { all: [vip, gold] } }, discount: { percent: 1 } }\n"
        "  - { code: NONE, automatic: true, when: { user.tags: { none: [blocked] } }, discount: { percent: 1 } }\n"
        "  - { code: MIX, automatic: true, when: { user.tags: { any: [vip], none: [blocked] } }, discount: { percent: 1 } }\n");
    context(CTX("\"user\": {\"tags\": [\"gold\", \"vip\"]}, " ITEMS1));
    run(0);
    outcome("ANY", NULL);
    outcome("ALL", NULL);
    outcome("NONE", NULL);
    outcome("MIX", NULL);
    context(CTX("\"user\": {\"tags\": [\"vip\", \"blocked\", \"VIP\"]}, " ITEMS1));
    run(0);
    outcome("ANY", NULL);
    outcome("ALL", "USER");
    outcome("NONE", "USER");
    outcome("MIX", "USER");
    /* SPEC 9: missing tags are an empty list */
    context(CTX(ITEMS1));
    run(0);
    outcome("ANY", "USER");
    outcome("ALL", "USER");
    outcome("NONE", NULL);
    outcome("MIX", "USER");
    /* tags compare with their case */
    context(CTX("\"user\": {\"tags\": [\"Gold\"]}, " ITEMS1));
    run(0);
    outcome("ANY", "USER");
}
END_TEST

/* SPEC 9: an absent scalar fails every predicate on it, negative ones too. */
START_TEST(test_absent_fields)
{
    use("coupons:\n"
        "  - { code: S-NE, automatic: true, when: { order.number: { ne: X } }, discount: { percent: 1 } }\n"
        "  - { code: S-NI, automatic: true, when: { payment.method: { not_in: [cash] } }, discount: { percent: 1 } }\n"
        "  - { code: I-NE, automatic: true, when: { order.serial: { ne: 1 } }, discount: { percent: 1 } }\n"
        "  - { code: I-NI, automatic: true, when: { user.orders_completed: { not_in: [1] } }, discount: { percent: 1 } }\n"
        "  - { code: SEQ, automatic: true, when: { order.sequence: { gte: 1 } }, discount: { percent: 1 } }\n"
        "  - { code: A-LT, automatic: true, when: { shipping.amount: { lt: 100 } }, discount: { percent: 1 } }\n"
        "  - { code: MULTI, automatic: true, when: { order.serial: { gte: 0, ne: 5 } }, discount: { percent: 1 } }\n"
        "  - { code: NOT, automatic: true, when: { not: { user.id: u-1 } }, discount: { percent: 1 } }\n"
        "  - { code: NOTNOT, automatic: true, when: { not: { not: { user.id: u-1 } } }, discount: { percent: 1 } }\n"
        "  - { code: QTY, automatic: true, when: { cart.quantity: { gte: 1 } }, discount: { percent: 1 } }\n"
        "  - { code: SUB, automatic: true, when: { cart.subtotal: { gte: 0 } }, discount: { percent: 1 } }\n"
        "  - { code: CUR, automatic: true, when: { currency: USD }, discount: { percent: 1 } }\n"
        "currency: USD\n");
    context(CTX(ITEMS1));
    run(0);
    outcome("S-NE", "ORDER_NUMBER");
    outcome("S-NI", "PAYMENT");
    outcome("I-NE", "ORDER_SERIAL");
    outcome("I-NI", "USER");
    outcome("SEQ", "ORDER_SEQUENCE");
    outcome("A-LT", "SHIPPING");
    outcome("MULTI", "ORDER_SERIAL");
    outcome("NOT", NULL);            /* not: c is met whenever c is not */
    outcome("NOTNOT", "CONDITION");
    outcome("QTY", NULL);            /* derived from the lines: never absent */
    outcome("SUB", NULL);
    outcome("CUR", NULL);
    /* order.sequence comes from orders_completed + 1 when absent */
    context(CTX("\"user\": {\"orders_completed\": 0}, " ITEMS1));
    run(0);
    outcome("SEQ", NULL);
    outcome("I-NI", NULL);
    /* ... but not past the largest integer */
    context(CTX("\"user\": {\"orders_completed\": 9223372036854775807}, " ITEMS1));
    run(0);
    outcome("SEQ", "ORDER_SEQUENCE");
    /* present fields */
    context(CTX("\"order\": {\"number\": \"Y\", \"serial\": 2}, \"payment\": {\"method\": \"card\"},"
                " \"shipping\": {\"amount\": \"1.00\"}, " ITEMS1));
    run(0);
    outcome("S-NE", NULL);
    outcome("S-NI", NULL);
    outcome("I-NE", NULL);
    outcome("A-LT", NULL);
    outcome("MULTI", NULL);
}
END_TEST

/* ------------------------------------------------------------------------
 * Lines
 * ------------------------------------------------------------------------ */

START_TEST(test_line_filters)
{
    use("currency: USD\n"
        "coupons:\n"
        "  - { code: CAT, automatic: true, when: { category: electronics }, discount: { percent: 1 } }\n"
        "  - { code: DEEP, automatic: true, when: { category: electronics/tv }, discount: { percent: 1 } }\n"
        "  - { code: XCAT, automatic: true, when: { items: { category: [electronics], exclude_category: [electronics/tv] } }, discount: { percent: 1 } }\n"
        "  - { code: SKU, automatic: true, when: { items: { sku: { matches: '^TV-' } } }, discount: { percent: 1 } }\n"
        "  - { code: XSKU, automatic: true, when: { items: { sku: { prefix: [TV-] }, exclude_sku: [TV-55] } }, discount: { percent: 1 } }\n"
        "  - { code: XSKU2, automatic: true, when: { items: { exclude_sku: { prefix: [TV], ne: TV-65 } } }, discount: { percent: 1 } }\n"
        "  - { code: TAG, automatic: true, when: { items: { tags: [4k] } }, discount: { percent: 1 } }\n"
        "  - { code: TAGALL, automatic: true, when: { items: { tags: { all: [4k, hdr] } } }, discount: { percent: 1 } }\n"
        "  - { code: TAGNONE, automatic: true, when: { items: { tags: { none: [refurb] }, min_quantity: 3 } }, discount: { percent: 1 } }\n"
        "  - { code: SALE, automatic: true, when: { items: { on_sale: true } }, discount: { percent: 1 } }\n"
        "  - { code: NOSALE, automatic: true, when: { items: { on_sale: false, min_quantity: 4 } }, discount: { percent: 1 } }\n"
        "  - { code: PRICE, automatic: true, when: { items: { unit_price: { gte: \"400.00\" } } }, discount: { percent: 1 } }\n"
        "  - { code: PRICEIN, automatic: true, when: { items: { unit_price: [\"5.00\"] } }, discount: { percent: 1 } }\n"
        "  - { code: QTY, automatic: true, when: { items: { category: [electronics], min_quantity: 3 } }, discount: { percent: 1 } }\n"
        "  - { code: QTY4, automatic: true, when: { items: { category: [electronics], min_quantity: 4 } }, discount: { percent: 1 } }\n"
        "  - { code: AMT, automatic: true, when: { items: { category: [electronics], min_amount: \"1000.00\" } }, discount: { percent: 1 } }\n"
        "  - { code: AMT2, automatic: true, when: { items: { category: [electronics], min_amount: \"1100.00\" } }, discount: { percent: 1 } }\n");
    context(CTX("\"items\": ["
                "{\"sku\": \"TV-55\", \"quantity\": 1, \"unit_price\": \"499.99\","
                " \"categories\": [\"electronics/tv/oled\"], \"tags\": [\"4k\", \"hdr\"]},"
                "{\"sku\": \"TV-65\", \"quantity\": 2, \"unit_price\": \"300.00\","
                " \"categories\": [\"electronics/tv\"], \"tags\": [\"4k\"], \"on_sale\": true},"
                "{\"sku\": \"CABLE\", \"quantity\": 2, \"unit_price\": \"5.00\","
                " \"categories\": [\"electronics-outlet\"], \"tags\": [\"refurb\"]},"
                "{\"sku\": \"BOOK\", \"quantity\": 1, \"unit_price\": \"20.00\"}]"));
    run(0);
    static const char *const met[] = {"CAT", "DEEP", "SKU", "XSKU", "XSKU2", "TAG", "TAGALL",
                                      "TAGNONE", "SALE", "NOSALE", "PRICE", "PRICEIN", "QTY",
                                      "AMT"};
    for (size_t i = 0; i < CL_COUNTOF(met); i++)
        outcome(met[i], NULL);
    outcome("XCAT", "ITEMS");   /* electronics-outlet is not under electronics */
    outcome("QTY4", "ITEMS");
    outcome("AMT2", "ITEMS");
    /* an empty cart meets no filter, not even the negative ones */
    context(CTX("\"items\": []"));
    run(0);
    outcome("CAT", "CATEGORY,ITEMS");
    outcome("TAGNONE", "ITEMS,ITEMS");
    outcome("XSKU2", "ITEMS,ITEMS");
    /* only the paths of the filter count: "electronics" is not "electronic" */
    context(CTX("\"items\": [{\"sku\": \"X\", \"quantity\": 5, \"unit_price\": \"1.00\","
                " \"categories\": [\"electronic\", \"tv/electronics\", \"Electronics\"]}]"));
    run(0);
    outcome("CAT", "CATEGORY");
    outcome("TAGNONE", NULL);
    outcome("NOSALE", NULL);
}
END_TEST


/* ------------------------------------------------------------------------
 * Codes, limits and the order of reasons
 * ------------------------------------------------------------------------ */

START_TEST(test_entered_and_limits)
{
    use("currency: USD\n"
        "coupons:\n"
        "  - { code: Code1, discount: { percent: 1 } }\n"
        "  - { code: AUTO, automatic: true, discount: { percent: 1 } }\n"
        "  - { code: USES, automatic: true, limits: { uses: 3 }, discount: { percent: 1 } }\n"
        "  - { code: PER, automatic: true, limits: { per_user: 2 }, discount: { percent: 1 } }\n"
        "  - { code: BUDGET, automatic: true, limits: { budget: \"10.00\" }, discount: { percent: 1 } }\n");
    context(CTX("\"codes\": [\"code1\"], " ITEMS1));
    run(CL_EVAL_ENTERED);
    outcome("CODE1", NULL); /* entered codes match ignoring case */
    outcome("AUTO", NULL);
    context(CTX(ITEMS1));
    run(CL_EVAL_ENTERED);
    outcome("CODE1", "CODE_REQUIRED");
    outcome("AUTO", NULL);
    run(0); /* without the flag every coupon counts as entered */
    outcome("CODE1", NULL);
    /* usage, matched by code ignoring case */
    context(CTX("\"usage\": {\"uses\": {\"total\": 2, \"user\": 0, \"spent\": \"0\"},"
                " \"per\": {\"total\": 100, \"user\": 1}, \"BUDGET\": {\"spent\": \"9.99\"}}, " ITEMS1));
    run(0);
    outcome("USES", NULL);
    outcome("PER", NULL);
    outcome("BUDGET", NULL);
    context(CTX("\"usage\": {\"USES\": {\"total\": 3}, \"Per\": {\"user\": 2},"
                " \"budget\": {\"spent\": \"10.00\"}}, " ITEMS1));
    run(0);
    outcome("USES", "USAGE_LIMIT");
    outcome("PER", "PER_USER_LIMIT");
    outcome("BUDGET", "BUDGET");
    context(CTX("\"usage\": {\"budget\": {\"spent\": \"99.00\"}, \"uses\": {\"total\": 999}}, " ITEMS1));
    run(0);
    outcome("BUDGET", "BUDGET");
    outcome("USES", "USAGE_LIMIT");
}
END_TEST

/* SPEC 9: validity, owner, the conditions in order, limits, then the target;
 * a currency mismatch alone. */
START_TEST(test_reason_order)
{
    use("currency: USD\n"
        "coupons:\n"
        "  - code: MANY\n"
        "    owner: u-1\n"
        "    when:\n"
        "      payment.method: card\n"
        "      all: [ { user.tags: [vip] }, { order.serial: 1 } ]\n"
        "      any: [ { user.id: z }, { user.id: y } ]\n"
        "    limits: { uses: 1, per_user: 1, budget: \"1.00\" }\n"
        "    discount: { percent: 5, target: { items: { sku: [NOPE] } } }\n");
    context(CTX("\"usage\": {\"many\": {\"total\": 5, \"user\": 5, \"spent\": \"5.00\"}}, " ITEMS1));
    run(CL_EVAL_ENTERED);
    outcome("MANY", "CODE_REQUIRED,USER,PAYMENT,USER,ORDER_SERIAL,CONDITION,USAGE_LIMIT,"
                    "PER_USER_LIMIT,BUDGET,ITEMS");
    static const unsigned lines[] = {3, 4, 6, 7, 7, 8, 9, 9, 9, 10};
    for (size_t j = 0; j < CL_COUNTOF(lines); j++)
        ck_assert_msg(cl_result_reason_line(res, 0, j) == lines[j], "reason %zu: line %u, want %u",
                      j, cl_result_reason_line(res, 0, j), lines[j]);
    ck_assert_str_eq(cl_result_reason_message(res, 0, 0), "enter the code MANY to use this coupon");
    ck_assert_str_eq(cl_result_reason_message(res, 0, 9), "requires an item (SKU one of NOPE)");
    ck_assert_int_eq(cl_result_discount(res, 0), 0);
    ck_assert_uint_eq(cl_result_line_count(res, 0), 0);
    /* another currency: CURRENCY alone */
    context("{\"now\": \"2026-05-05T10:00:00Z\", \"currency\": \"EUR\", " ITEMS1 "}");
    run(CL_EVAL_ENTERED);
    outcome("MANY", "CURRENCY");
    ck_assert_str_eq(cl_result_reason_message(res, 0, 0), "only for payments in USD");
}
END_TEST

START_TEST(test_target_reasons)
{
    use("currency: USD\n"
        "coupons:\n"
        "  - { code: SHIP, automatic: true, discount: { free_shipping: true } }\n"
        "  - { code: SHIPPCT, automatic: true, discount: { percent: 10, target: shipping } }\n"
        "  - { code: NOSALE, automatic: true, discount: { percent: 10, exclude_sale_items: true } }\n"
        "  - { code: BOGO, automatic: true, discount: { buy_get: { buy: 2, get: 1 } } }\n"
        "  - { code: TIER, automatic: true, discount: { tiers: [ { min: \"50\", amount: \"5\" } ] } }\n"
        "  - { code: MINQ, automatic: true, discount: { percent: 10, target: { items: { min_quantity: 2 } } } }\n");
    context(CTX("\"items\": [{\"sku\": \"A\", \"quantity\": 2, \"unit_price\": \"10.00\", \"on_sale\": true}]"));
    run(0);
    outcome("SHIP", "SHIPPING");       /* shipping absent */
    outcome("SHIPPCT", "SHIPPING");
    outcome("NOSALE", "ITEMS");
    outcome("BOGO", "ITEMS");          /* 2 units, a group needs 3 */
    outcome("TIER", "MIN_SUBTOTAL");
    outcome("MINQ", NULL);
    ck_assert_str_eq(cl_result_reason_message(res, (size_t)cl_program_find(prog, "BOGO"), 0),
                     "requires at least 3 eligible items (buy 2, get 1)");
    context(CTX("\"shipping\": {\"amount\": \"0.00\"}, \"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"60.00\"}]"));
    run(0);
    outcome("SHIP", "SHIPPING");       /* zero shipping */
    outcome("NOSALE", NULL);
    outcome("TIER", NULL);
    outcome("MINQ", "ITEMS");
}
END_TEST

/* ------------------------------------------------------------------------
 * A unit built by hand: JUMP, GUARD of another reason
 * ------------------------------------------------------------------------ */

/* 0 TRUE; 1 NOT; 2 REQUIRE CONDITION; 3 JUMP target; 4 TRUE; 5 REQUIRE; 6 TRUE;
 * 7 NOT; 8 GUARD USER; 9 TARGET; 10 HALT */
static int hand_unit(uint32_t target, clP_unit **u)
{
    clB_arena arena;
    clB_arena_init(&arena, env);
    clC_builder b;
    clE_clear(&err);
    clC_init(&b, env, &arena, "hand", &err);
    uint32_t code, m1, m2, dm;
    ck_assert_int_eq(clC_str(&b, "HAND", 4, &code), CL_OK);
    ck_assert_int_eq(clC_msg(&b, CL_R_CONDITION, "first", 1, &m1), CL_OK);
    ck_assert_int_eq(clC_msg(&b, CL_R_USER, "stop here", 2, &m2), CL_OK);
    ck_assert_int_eq(clC_msg(&b, CL_R_ITEMS, "requires an item", 3, &dm), CL_OK);
    clP_discount d = {DK_AMOUNT, TG_ORDER, 0, CL_NONE, 100, -1, -1, 0, 0, -1, 0, 0, dm, CL_NONE, 3};
    ck_assert(CL_PUSH(env, b.discounts, d));
    static const struct {
        uint8_t op, a;
    } ops[] = {{OP_TRUE, 0},  {OP_NOT, 0},  {OP_REQUIRE, CL_R_CONDITION}, {OP_JUMP, 0},
               {OP_TRUE, 0},  {OP_REQUIRE, CL_R_CONDITION}, {OP_TRUE, 0}, {OP_NOT, 0},
               {OP_GUARD, CL_R_USER}, {OP_TARGET, 0}, {OP_HALT, 0}};
    for (size_t i = 0; i < CL_COUNTOF(ops); i++) {
        uint32_t c = ops[i].op == OP_JUMP ? target : ops[i].op == OP_GUARD ? m2
                     : ops[i].op == OP_REQUIRE ? m1 : 0;
        ck_assert_int_eq(clC_op(&b, ops[i].op, ops[i].a, 0, c, NULL), CL_OK);
    }
    clP_coupon c = {code, CL_NONE, CL_NONE, 0, 0, CL_NONE, 0, -1, -1, -1, 0, 0, 1, 0, 0, 0, 0x60,
                    "", -1};
    ck_assert(CL_PUSH(env, b.coupons, c));
    int rc = clC_finish(&b, u);
    clC_free(&b);
    clB_arena_free(&arena);
    return rc;
}

START_TEST(test_hand_built)
{
    clP_unit *u = NULL;
    /* JUMP 6 leaves 4 and 5 unreachable: refused */
    ck_assert_int_eq(hand_unit(6, &u), CL_EVERIFY);
    ck_assert_msg(strstr(err.message, "instruction 4 is unreachable") != NULL, "%s", err.message);
    ck_assert_int_eq(hand_unit(4, &u), CL_OK);
    cl_program *p = clP_program_of_unit(env, u, &err);
    ck_assert_ptr_nonnull(p);
    context(CTX(ITEMS1));
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &res, &err), CL_OK);
    /* the first REQUIRE fails, the GUARD fails and stops: no TARGET */
    ck_assert(!cl_result_applicable(res, 0));
    ck_assert_uint_eq(cl_result_reason_count(res, 0), 2);
    ck_assert_int_eq(cl_result_reason(res, 0, 0), CL_R_CONDITION);
    ck_assert_int_eq(cl_result_reason(res, 0, 1), CL_R_USER);
    ck_assert_str_eq(cl_result_reason_message(res, 0, 1), "stop here");
    ck_assert_uint_eq(cl_result_reason_line(res, 0, 1), 2);
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

START_TEST(test_step_budget)
{
    use("coupons:\n"
        "  - { code: A, automatic: true, when: { user.id: u, payment.method: card,"
        " items: { sku: [X] } }, discount: { percent: 1 } }\n");
    context(CTX(ITEMS1));
    run(0);
    outcome("A", "USER,PAYMENT,ITEMS");
    /* the budget counts the coupon's instructions (10) and the lines its
     * filter and target visit (1 each); just enough passes */
    cl_env_set_limit(env, CL_LIMIT_STEPS, 12);
    run(0);
    cl_env_set_limit(env, CL_LIMIT_STEPS, 11);
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, &err), CL_ESTEPS);
    ck_assert_int_eq(err.code, CL_ESTEPS);
    ck_assert_str_eq(err.message, "evaluation exceeded its budget of 11 steps (coupon A)");
    /* a long cart spends the budget in the line filter */
    cl_env_set_limit(env, CL_LIMIT_STEPS, 1000);
    cl_context_clear(ctx);
    cl_context_set_now(ctx, 0);
    cl_context_set_currency(ctx, "USD");
    for (int i = 0; i < 2000; i++)
        ck_assert_int_eq(cl_context_add_item(ctx, "Y", 1, 100, NULL), CL_OK);
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, &err), CL_ESTEPS);
    /* without an err struct the status still tells */
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, NULL), CL_ESTEPS);
    /* the budget is per coupon: two passes over 2000 lines fit in 5000 */
    cl_env_set_limit(env, CL_LIMIT_STEPS, 5000);
    run(0);
    /* and best() spends one budget on the whole search */
    ck_assert_int_eq(cl_vm_best(vm, prog, ctx, &res, &err), CL_OK);
}
END_TEST

START_TEST(test_regex_limits)
{
    cl_env_set_limit(env, CL_LIMIT_MATCH, 2000);
    cl_vm_free(vm);
    vm = cl_vm_new(env); /* a VM takes the match limits when it is made */
    use("coupons:\n"
        "  - code: SLOW\n"
        "    automatic: true\n"
        "    when: { order.number: { matches: '^(a|aa)+$' } }\n"
        "    discount: { percent: 1 }\n"
        "  - code: SLOWSKU\n"
        "    automatic: true\n"
        "    when:\n"
        "      items: { sku: { matches: '^(a|aa)+$' } }\n"
        "    discount: { percent: 1 }\n");
    char json[512];
    snprintf(json, sizeof json, CTX("\"order\": {\"number\": \"%s\"}, " ITEMS1),
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
    context(json);
    size_t first = 0;
    ck_assert_int_eq(cl_vm_eval_some(vm, prog, ctx, &first, 1, 0, &res, &err), CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "the regex at line 4 exceeded its match limit") != NULL,
                  "%s", err.message);
    ck_assert_uint_eq(err.line, 4);
    /* a short subject is fine under the same limit */
    context(CTX("\"order\": {\"number\": \"aaaa\"}, \"items\": [{\"sku\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\", \"quantity\": 1, \"unit_price\": \"1.00\"}]"));
    ck_assert_int_eq(cl_vm_eval_some(vm, prog, ctx, &first, 1, 0, &res, &err), CL_OK);
    outcome("SLOW", NULL);
    size_t second = 1;
    ck_assert_int_eq(cl_vm_eval_some(vm, prog, ctx, &second, 1, 0, &res, &err), CL_ELIMIT);
    ck_assert_uint_eq(err.line, 9);
    /* the default limits let an ordinary match through */
    cl_env_set_limit(env, CL_LIMIT_MATCH, 100000);
    cl_vm_free(vm);
    vm = cl_vm_new(env);
    context(CTX("\"order\": {\"number\": \"aaaaaaaa\"}, " ITEMS1));
    run(0);
    outcome("SLOW", NULL);
}
END_TEST

/* ------------------------------------------------------------------------
 * The API
 * ------------------------------------------------------------------------ */

START_TEST(test_eval_api)
{
    use("coupons:\n"
        "  - { code: A, automatic: true, discount: { percent: 10 } }\n"
        "  - { code: B, automatic: true, when: { user.id: x }, discount: { percent: 10 } }\n"
        "  - { code: C, automatic: true, discount: { percent: 20 } }\n");
    /* a context needs now and a currency */
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, &err), CL_EINVAL);
    ck_assert_str_eq(err.message, "the context needs now and currency");
    cl_context_set_now(ctx, 1);
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, &err), CL_EINVAL);
    cl_context_set_currency(ctx, "EUR");
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, &err), CL_OK);
    ck_assert_uint_eq(cl_result_count(res), 3);
    ck_assert_str_eq(cl_result_currency(res), "EUR");
    /* an empty cart: percent has nothing to work on */
    outcome("A", "ITEMS");
    ck_assert_int_eq(cl_vm_eval(NULL, prog, ctx, 0, &res, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_eval(vm, NULL, ctx, 0, &res, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_eval(vm, prog, NULL, 0, &res, &err), CL_EINVAL);
    /* some coupons, in the order given */
    context("{\"now\": \"2026-05-05T10:00:00Z\", \"currency\": \"EUR\", " ITEMS1 "}");
    size_t idx[] = {2, 0, 2};
    ck_assert_int_eq(cl_vm_eval_some(vm, prog, ctx, idx, 3, 0, &res, &err), CL_OK);
    ck_assert_uint_eq(cl_result_count(res), 3);
    ck_assert_str_eq(cl_result_code(res, 0), "C");
    ck_assert_int_eq(cl_result_coupon(res, 0), 2);
    ck_assert_str_eq(cl_result_code(res, 1), "A");
    ck_assert_int_eq(cl_result_discount(res, 0), 200);
    ck_assert_int_eq(cl_result_discount(res, 1), 100);
    size_t bad[] = {0, 3};
    ck_assert_int_eq(cl_vm_eval_some(vm, prog, ctx, bad, 2, 0, &res, &err), CL_ERANGE);
    ck_assert_str_eq(err.message, "no coupon 3");
    ck_assert_int_eq(cl_vm_eval_some(vm, prog, ctx, NULL, 0, 0, &res, &err), CL_OK);
    ck_assert_uint_eq(cl_result_count(res), 0);
    /* out may be NULL; the results are the VM's */
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, NULL, &err), CL_OK);
    ck_assert_uint_eq(cl_result_count(&vm->res), 3);
    /* the next evaluation replaces the results */
    run(0);
    const cl_result *first = res;
    ck_assert_uint_eq(cl_result_count(first), 3);
    use("coupons: [ { code: Z, automatic: true, discount: { percent: 50 } } ]\n");
    run(0);
    ck_assert_ptr_eq(res, first);
    ck_assert_uint_eq(cl_result_count(res), 1);
    ck_assert_str_eq(cl_result_code(res, 0), "Z");
    /* a VM without env, and freeing NULL */
    ck_assert_ptr_null(cl_vm_new(NULL));
    cl_vm_free(NULL);
}
END_TEST

/* One VM evaluates many programs and contexts in turn: results do not leak
 * from one to the next. */
START_TEST(test_reuse)
{
    for (int round = 0; round < 50; round++) {
        char src[256], json[512];
        snprintf(src, sizeof src, "currency: USD\ncoupons:\n  - { code: R%d, automatic: true,"
                 " when: { order.serial: { gte: %d } }, discount: { amount: \"%d.00\" } }\n",
                 round, round, round + 1);
        use(src);
        snprintf(json, sizeof json, CTX("\"order\": {\"serial\": %d}, \"items\": ["
                 "{\"sku\": \"A\", \"quantity\": %d, \"unit_price\": \"100.00\"}]"),
                 round % 3 == 0 ? round : round - 1, round + 1);
        context(json);
        run(0);
        ck_assert_uint_eq(cl_result_count(res), 1);
        if (round % 3 == 0 || round == 0) {
            ck_assert(cl_result_applicable(res, 0));
            ck_assert_int_eq(cl_result_discount(res, 0), (round + 1) * 100);
        } else {
            outcome(cl_program_code(prog, 0), "ORDER_SERIAL");
            ck_assert_int_eq(cl_result_discount(res, 0), 0);
        }
    }
}
END_TEST

static Suite *vm_suite(void);
static Suite *vm_suite(void)
{
    const test_entry tests[] = {
        {"values", test_int_predicates}, {"values", test_every_extremes},
        {"values", test_string_predicates}, {"values", test_email},
        {"values", test_tags},            {"values", test_absent_fields},
        {"lines", test_line_filters},     {"reasons", test_entered_and_limits},
        {"reasons", test_reason_order},   {"reasons", test_target_reasons},
        {"ops", test_hand_built},         {"limits", test_step_budget},
        {"limits", test_regex_limits},    {"api", test_eval_api},
        {"api", test_reuse},
    };
    return test_suite_fx("vm", tests, CL_COUNTOF(tests), 120, setup, teardown);
}

TEST_MAIN(vm_suite)
