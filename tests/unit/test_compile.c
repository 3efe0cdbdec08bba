/*
 * test_compile.c - unit tests of compile.c: the instruction sequences the
 * compiler lays out for representative conditions (SPEC order of the
 * requirements, short-circuits, absent-field jumps, flattening of a
 * top-level all), and the public entry points cl_compile() and
 * cl_compile_file().
 *
 * A coupon's code is rendered as "OP OP(@k) ..." where @k is a jump target
 * counted from the coupon's first instruction, and REQUIRE/GUARD show their
 * reason: "LOAD_STR(@2) STR_EQ REQUIRE:PAYMENT TARGET HALT".
 */
#include "program.h"
#include "testutil.h"

#include <stdio.h>
#include <unistd.h>

static cl_env *env;
static cl_error err;

static void setup(void)
{
    env = cl_env_new(NULL, NULL);
}

static void teardown(void)
{
    cl_env_free(env);
}

static cl_program *compile_ok(const char *src)
{
    cl_program *p = cl_compile(env, src, strlen(src), "t.yaml", &err);
    ck_assert_msg(p != NULL, "%u:%u: %s", err.line, err.column, err.message);
    return p;
}

/* The listing of coupon i of p (see the top of the file). */
static void listing(const cl_program *p, size_t i, char *buf, size_t size)
{
    const clP_unit *u;
    const clP_coupon *c = clP_coupon_of(p, i, &u);
    uint32_t end = p->coupons[i].index + 1 < u->n_coupons ? u->coupons[p->coupons[i].index + 1].entry
                                                           : u->n_code;
    size_t k = 0;
    buf[0] = '\0';
    for (uint32_t pc = c->entry; pc < end && k < size; pc++) {
        const clP_insn *in = &u->code[pc];
        const clP_opinfo *op = &clP_ops[in->op];
        k += (size_t)snprintf(buf + k, size - k, "%s%s", pc > c->entry ? " " : "", op->name);
        if (op->c == OPND_JABSENT || op->c == OPND_JALWAYS || op->c == OPND_JKEEP)
            k += (size_t)snprintf(buf + k, size - k, "(@%u)", in->c - c->entry);
        if (in->op == OP_REQUIRE || in->op == OP_GUARD)
            k += (size_t)snprintf(buf + k, size - k, ":%s", cl_reason_name(in->a));
    }
}

/* Compiles an automatic coupon (of a file in currency, or in none) with
 * `when: { cond }` and compares its listing. */
static void expect_code_in(const char *currency, const char *cond, const char *want)
{
    char src[1024], got[2048];
    snprintf(src, sizeof src, "%s%s\ncode: A\nautomatic: true\nwhen: { %s }\n"
             "discount: { percent: 5 }\n", currency ? "currency: " : "", currency ? currency : "",
             cond);
    cl_program *p = compile_ok(src);
    listing(p, 0, got, sizeof got);
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n  got  %s\n  want %s", cond, got, want);
    cl_program_free(p);
}

static void expect_code(const char *cond, const char *want)
{
    expect_code_in(NULL, cond, want);
}

static void expect_code_usd(const char *cond, const char *want)
{
    expect_code_in("USD", cond, want);
}

/* ------------------------------------------------------------------------
 * Conditions
 * ------------------------------------------------------------------------ */

START_TEST(test_value_conditions)
{
    expect_code("payment.method: card", "LOAD_STR(@2) STR_EQ REQUIRE:PAYMENT TARGET HALT");
    expect_code("order.number: { ne: X }",
                "LOAD_STR(@3) STR_EQ NOT REQUIRE:ORDER_NUMBER TARGET HALT");
    expect_code("payment.network: [visa, amex]",
                "LOAD_STR(@2) STR_IN REQUIRE:PAYMENT TARGET HALT");
    expect_code("payment.wallet: { not_in: [a] }",
                "LOAD_STR(@3) STR_IN NOT REQUIRE:PAYMENT TARGET HALT");
    expect_code("payment.bin: { prefix: ['4111'] }",
                "LOAD_STR(@2) STR_PREFIX REQUIRE:PAYMENT TARGET HALT");
    expect_code("order.number: { matches: '^V' }",
                "LOAD_STR(@2) STR_MATCH REQUIRE:ORDER_NUMBER TARGET HALT");
    expect_code("user.email: ann@example.com", "LOAD_STR(@2) STR_IEQ REQUIRE:USER TARGET HALT");
    expect_code("user.email: { domain: [example.com] }",
                "LOAD_STR(@2) STR_DOMAIN REQUIRE:USER TARGET HALT");
    expect_code("order.sequence: 1", "LOAD_INT(@2) INT_CMP REQUIRE:ORDER_SEQUENCE TARGET HALT");
    expect_code("order.serial: { between: [1, 9] }",
                "LOAD_INT(@2) INT_BETWEEN REQUIRE:ORDER_SERIAL TARGET HALT");
    expect_code("order.sequence: { every: 10 }",
                "LOAD_INT(@2) INT_EVERY REQUIRE:ORDER_SEQUENCE TARGET HALT");
    expect_code("order.serial: [1, 2]", "LOAD_INT(@2) INT_IN REQUIRE:ORDER_SERIAL TARGET HALT");
    expect_code("order.serial: { not_in: [1, 2] }",
                "LOAD_INT(@3) INT_IN NOT REQUIRE:ORDER_SERIAL TARGET HALT");
    expect_code("cart.quantity: { gt: 2 }",
                "LOAD_INT(@2) INT_CMP REQUIRE:MIN_QUANTITY TARGET HALT");
    expect_code("user.orders_completed: { lt: 2 }",
                "LOAD_INT(@2) INT_CMP REQUIRE:USER TARGET HALT");
    /* amounts need the file's currency, which adds its guard first */
    expect_code_usd("cart.subtotal: { gte: 0 }",
                    "LOAD_STR(@2) STR_EQ GUARD:CURRENCY LOAD_AMT(@5) INT_CMP "
                    "REQUIRE:MIN_SUBTOTAL TARGET HALT");
    expect_code_usd("shipping.amount: { lte: 0 }",
                    "LOAD_STR(@2) STR_EQ GUARD:CURRENCY LOAD_AMT(@5) INT_CMP REQUIRE:SHIPPING "
                    "TARGET HALT");
    expect_code("shipping.country: US", "LOAD_STR(@2) STR_EQ REQUIRE:SHIPPING TARGET HALT");
    expect_code("currency: EUR", "LOAD_STR(@2) STR_EQ REQUIRE:CURRENCY TARGET HALT");
    /* several tests on one value: each reloads it; a false one jumps to the
     * REQUIRE keeping its false, as does an absent field */
    expect_code("order.serial: { gte: 1, lt: 10 }",
                "LOAD_INT(@5) INT_CMP JF_KEEP(@5) LOAD_INT(@5) INT_CMP REQUIRE:ORDER_SERIAL "
                "TARGET HALT");
    expect_code("order.number: { prefix: [A], ne: AB, matches: B }",
                "LOAD_STR(@9) STR_PREFIX JF_KEEP(@9) LOAD_STR(@9) STR_EQ NOT JF_KEEP(@9) "
                "LOAD_STR(@9) STR_MATCH REQUIRE:ORDER_NUMBER TARGET HALT");
}
END_TEST

START_TEST(test_context_conditions)
{
    expect_code("user.tags: [vip]", "TAGS REQUIRE:USER TARGET HALT");
    expect_code("user.tags: { any: [a], none: [b] }",
                "TAGS JF_KEEP(@3) TAGS REQUIRE:USER TARGET HALT");
    expect_code("items: { sku: [A] }", "ITEMS REQUIRE:ITEMS TARGET HALT");
    expect_code("category: [a]", "ITEMS REQUIRE:CATEGORY TARGET HALT");
}
END_TEST

START_TEST(test_composites)
{
    /* every key of `when` is reported alone, in definition order */
    expect_code("user.id: u, payment.method: card",
                "LOAD_STR(@2) STR_EQ REQUIRE:USER LOAD_STR(@5) STR_EQ REQUIRE:PAYMENT "
                "TARGET HALT");
    /* a top-level all is flattened */
    expect_code("all: [ { user.id: u }, { all: [ { payment.method: card } ] } ]",
                "LOAD_STR(@2) STR_EQ REQUIRE:USER LOAD_STR(@5) STR_EQ REQUIRE:PAYMENT "
                "TARGET HALT");
    /* any short-circuits on true; its failure is one CONDITION */
    expect_code("any: [ { user.id: u }, { payment.method: card } ]",
                "LOAD_STR(@2) STR_EQ JT_KEEP(@5) LOAD_STR(@5) STR_EQ REQUIRE:CONDITION "
                "TARGET HALT");
    /* an all inside any short-circuits on false */
    expect_code("any: [ { all: [ { user.id: u }, { order.serial: 1 } ] }, { user.tags: [x] } ]",
                "LOAD_STR(@2) STR_EQ JF_KEEP(@5) LOAD_INT(@5) INT_CMP JT_KEEP(@7) TAGS "
                "REQUIRE:CONDITION TARGET HALT");
    /* a mapping of several keys inside any is their conjunction */
    expect_code("any: [ { user.id: u, order.serial: 1 } ]",
                "LOAD_STR(@2) STR_EQ JF_KEEP(@5) LOAD_INT(@5) INT_CMP REQUIRE:CONDITION "
                "TARGET HALT");
    expect_code("not: { payment.method: cash }",
                "LOAD_STR(@2) STR_EQ NOT REQUIRE:CONDITION TARGET HALT");
    expect_code("not: { not: { user.tags: [a] } }", "TAGS NOT NOT REQUIRE:CONDITION TARGET HALT");
    /* empty junctions: all is met, any is not */
    expect_code("all: []", "TARGET HALT");
    expect_code("any: []", "TRUE NOT REQUIRE:CONDITION TARGET HALT");
    expect_code("not: { all: [] }", "TRUE NOT REQUIRE:CONDITION TARGET HALT");
}
END_TEST

/* The requirements of a coupon come in SPEC order: currency (a guard),
 * the code, the owner, the conditions, the limits, the target. */
START_TEST(test_requirement_order)
{
    cl_program *p = compile_ok("currency: USD\ncode: FULL\nowner: u-1\n"
                               "when: { user.tags: [vip] }\n"
                               "limits: { uses: 10, per_user: 1, budget: \"100.00\" }\n"
                               "discount: { amount: \"5.00\" }\n");
    char got[1024];
    listing(p, 0, got, sizeof got);
    ck_assert_str_eq(got, "LOAD_STR(@2) STR_EQ GUARD:CURRENCY ENTERED REQUIRE:CODE_REQUIRED "
                          "LOAD_STR(@7) STR_EQ REQUIRE:USER TAGS REQUIRE:USER USES "
                          "REQUIRE:USAGE_LIMIT PER_USER REQUIRE:PER_USER_LIMIT BUDGET "
                          "REQUIRE:BUDGET TARGET HALT");
    const clP_unit *u = p->units[0];
    /* the currency check compares with the file's currency */
    ck_assert_int_eq(u->code[0].a, FLD_CURRENCY);
    ck_assert_str_eq(clP_text(u, u->code[1].c), "USD");
    /* each REQUIRE's message carries the line of what it checks */
    ck_assert_uint_eq(u->msgs[u->code[2].c].line, 1);   /* the coupon */
    ck_assert_uint_eq(u->msgs[u->code[4].c].line, 1);
    ck_assert_uint_eq(u->msgs[u->code[7].c].line, 3);   /* owner */
    ck_assert_uint_eq(u->msgs[u->code[9].c].line, 4);   /* when */
    ck_assert_uint_eq(u->msgs[u->code[11].c].line, 5);  /* limits */
    ck_assert_str_eq(clP_text(u, u->msgs[u->code[4].c].text),
                     "enter the code FULL to use this coupon");
    ck_assert_str_eq(clP_text(u, u->msgs[u->code[2].c].text), "only for payments in USD");
    ck_assert_str_eq(clP_text(u, u->msgs[u->code[7].c].text),
                     "this coupon is personal to another customer");
    ck_assert_str_eq(clP_text(u, u->msgs[u->code[11].c].text), "this coupon has been used up");
    ck_assert_str_eq(clP_text(u, u->msgs[u->code[13].c].text),
                     "already used the most times allowed per customer (1)");
    ck_assert_str_eq(clP_text(u, u->msgs[u->code[15].c].text), "this coupon's budget is spent");
    ck_assert_int_eq(u->ints[u->code[10].c], 10);
    ck_assert_int_eq(u->ints[u->code[12].c], 1);
    ck_assert_int_eq(u->ints[u->code[14].c], 10000);
    ck_assert_uint_eq(u->code[16].c, u->coupons[0].discount);
    cl_program_free(p);
}
END_TEST

/* Several coupons lie one after the other, each ending in HALT. */
START_TEST(test_layout)
{
    cl_program *p = compile_ok("coupons:\n"
                               "  - { code: A, automatic: true, discount: { percent: 5 } }\n"
                               "  - { code: B, discount: { percent: 5 } }\n"
                               "  - { code: C, automatic: true, when: { user.id: x },"
                               " discount: { percent: 5 } }\n");
    const clP_unit *u = p->units[0];
    ck_assert_uint_eq(u->n_coupons, 3);
    ck_assert_uint_eq(u->coupons[0].entry, 0);
    ck_assert_uint_eq(u->coupons[1].entry, 2);
    ck_assert_uint_eq(u->coupons[2].entry, 6);
    ck_assert_uint_eq(u->n_code, 11);
    char got[512];
    listing(p, 1, got, sizeof got);
    ck_assert_str_eq(got, "ENTERED REQUIRE:CODE_REQUIRED TARGET HALT");
    listing(p, 2, got, sizeof got);
    ck_assert_str_eq(got, "LOAD_STR(@2) STR_EQ REQUIRE:USER TARGET HALT");
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t end = i + 1 < 3 ? u->coupons[i + 1].entry : u->n_code;
        ck_assert_int_eq(u->code[end - 1].op, OP_HALT);
    }
    /* equal strings are interned once across coupons */
    ck_assert_uint_eq(u->msgs[u->code[1].c].text, u->msgs[u->code[5].c].text) ;
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------ */

START_TEST(test_compile_api)
{
    cl_program *p = cl_compile(NULL, "code: A", 7, "x", &err);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert_str_eq(err.source, "x");
    ck_assert_ptr_null(cl_compile(env, NULL, 5, "x", &err));
    ck_assert_int_eq(err.code, CL_EINVAL);
    /* NULL with length 0 is an empty source */
    p = cl_compile(env, NULL, 0, NULL, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(err.code, CL_OK);
    ck_assert_uint_eq(cl_program_count(p), 0);
    cl_program_free(p);
    /* no name: "<input>"; no err: still NULL on failure */
    ck_assert_ptr_null(cl_compile(env, "code: [", 7, NULL, &err));
    ck_assert_str_eq(err.source, "<input>");
    ck_assert_int_eq(err.code, CL_ESYNTAX);
    ck_assert_ptr_null(cl_compile(env, "code: [", 7, NULL, NULL));
    /* the length counts: text beyond it is not read */
    static const char two[] = "code: A\ndiscount: { percent: 5 }\n---\ncode: [";
    p = cl_compile(env, two, (size_t)(strstr(two, "---") - two), "t", &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(cl_program_count(p), 1);
    cl_program_free(p);
    /* the error struct is cleared by a successful compile */
    err.code = CL_EVALUE;
    static const char one[] = "code: A\ndiscount: { percent: 5 }\n";
    p = cl_compile(env, one, sizeof one - 1, "t", &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(err.code, CL_OK);
    cl_program_free(p);
    /* the unit keeps the source name */
    p = cl_compile(env, one, sizeof one - 1, "named.yaml", NULL);
    ck_assert_str_eq(p->units[0]->source, "named.yaml");
    cl_program_free(p);
}
END_TEST

START_TEST(test_compile_file)
{
    char path[] = "/tmp/couponlib-test-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    static const char text[] = "currency: USD\ncode: FILE1\ndiscount: { amount: \"2.00\" }\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    cl_program *p = cl_compile_file(env, path, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    ck_assert_str_eq(cl_program_code(p, 0), "FILE1");
    ck_assert_str_eq(p->units[0]->source, path);
    cl_program_free(p);
    /* errors name the file */
    FILE *f = fopen(path, "w");
    fputs("currency: USD\ncode: A\ndiscount: { amount: \"x\" }\n", f);
    fclose(f);
    ck_assert_ptr_null(cl_compile_file(env, path, &err));
    ck_assert_str_eq(err.source, path);
    ck_assert_int_eq(err.code, CL_EAMOUNT);
    ck_assert_uint_eq(err.line, 3);
    /* a file over the input limit is refused while it is read */
    f = fopen(path, "w");
    for (int i = 0; i < 3000; i++)
        fputs("# padding padding padding\n", f);
    fputs("code: A\ndiscount: { percent: 5 }\n", f);
    fclose(f);
    cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 10000);
    ck_assert_ptr_null(cl_compile_file(env, path, &err));
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "is larger than the limit of 10000 bytes") != NULL, "%s",
                  err.message);
    cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 1 << 20);
    p = cl_compile_file(env, path, &err);
    ck_assert_ptr_nonnull(p);
    cl_program_free(p);
    unlink(path);
    ck_assert_ptr_null(cl_compile_file(env, path, &err));
    ck_assert_int_eq(err.code, CL_EIO);
    ck_assert_msg(strstr(err.message, "cannot open") != NULL, "%s", err.message);
    ck_assert_ptr_null(cl_compile_file(env, "/", &err)); /* a directory */
    ck_assert_int_eq(err.code, CL_EIO);
    ck_assert_ptr_null(cl_compile_file(env, NULL, &err));
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert_ptr_null(cl_compile_file(NULL, path, &err));
    ck_assert_int_eq(err.code, CL_EINVAL);
}
END_TEST

static Suite *compile_suite(void)
{
    const test_entry tests[] = {
        {"conditions", test_value_conditions}, {"conditions", test_context_conditions},
        {"conditions", test_composites},       {"coupons", test_requirement_order},
        {"coupons", test_layout},              {"api", test_compile_api},
        {"api", test_compile_file},
    };
    return test_suite_fx("compile", tests, CL_COUNTOF(tests), 60, setup, teardown);
}

TEST_MAIN(compile_suite)
