/*
 * test_opcodes.c - unit tests of opcodes.c and opcodes.def: the opcode
 * table's consistency (the verifier relies on its operand kinds and stack
 * effects), and the disassembler's listing, byte for byte.
 */
#include "program.h"
#include "testutil.h"

#include <ctype.h>
#include <stdio.h>

static cl_env *env;

static void setup(void)
{
    env = cl_env_new(NULL, NULL);
}

static void teardown(void)
{
    cl_env_free(env);
}

static cl_program *compile_ok(const char *src, const char *name)
{
    cl_error err;
    cl_program *p = cl_compile(env, src, strlen(src), name, &err);
    ck_assert_msg(p != NULL, "%u:%u: %s", err.line, err.column, err.message);
    return p;
}

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

static bool is_jump(int kind)
{
    return kind == OPND_JABSENT || kind == OPND_JALWAYS || kind == OPND_JKEEP;
}

START_TEST(test_table)
{
    ck_assert_int_eq(OP__COUNT, 35);
    for (int i = 0; i < OP__COUNT; i++) {
        const clP_opinfo *op = &clP_ops[i];
        ck_assert_ptr_nonnull(op->name);
        ck_assert_uint_le(strlen(op->name), 12); /* the listing pads names to 12 */
        for (const char *c = op->name; *c; c++)
            ck_assert_msg(isupper((unsigned char)*c) || *c == '_', "%s", op->name);
        for (int k = 0; k < i; k++)
            ck_assert_str_ne(op->name, clP_ops[k].name);
        ck_assert_msg(op->synopsis != NULL && strlen(op->synopsis) > 8, "%s", op->name);
        ck_assert_uint_le(strlen(op->pops), 2);
        ck_assert_uint_le(strlen(op->pushes), 1);
        for (const char *c = op->pops; *c; c++)
            ck_assert_msg(strchr("isb", *c) != NULL, "%s pops %c", op->name, *c);
        for (const char *c = op->pushes; *c; c++)
            ck_assert_msg(strchr("isb", *c) != NULL, "%s pushes %c", op->name, *c);
        /* jumps sit in operand C only, where the verifier looks for them */
        ck_assert(!is_jump(op->a) && !is_jump(op->b));
        ck_assert_uint_le(op->a, OPND_JKEEP);
        ck_assert_uint_le(op->b, OPND_JKEEP);
        ck_assert_uint_le(op->c, OPND_JKEEP);
    }
    /* the ones the compiler and the VM rely on */
    ck_assert_str_eq(clP_ops[OP_LOAD_STR].pushes, "s");
    ck_assert_int_eq(clP_ops[OP_LOAD_STR].c, OPND_JABSENT);
    ck_assert_str_eq(clP_ops[OP_REQUIRE].pops, "b");
    ck_assert_str_eq(clP_ops[OP_REQUIRE].pushes, "");
    ck_assert_int_eq(clP_ops[OP_REQUIRE].a, OPND_REASON);
    ck_assert_int_eq(clP_ops[OP_REQUIRE].c, OPND_MSG);
    ck_assert_int_eq(clP_ops[OP_JF_KEEP].c, OPND_JKEEP);
    ck_assert_int_eq(clP_ops[OP_JUMP].c, OPND_JALWAYS);
    ck_assert_str_eq(clP_ops[OP_HALT].pops, "");
    ck_assert_str_eq(clP_ops[OP_HALT].name, "HALT");
    ck_assert_str_eq(clP_ops[OP_INT_EVERY].pops, "i");
    ck_assert_int_eq(clP_ops[OP_INT_EVERY].c, OPND_INT2);
    /* field names */
    for (int f = 0; f < FLD__COUNT; f++)
        ck_assert_ptr_nonnull(clP_field_names[f]);
    ck_assert_str_eq(clP_field_names[FLD_CART_SUBTOTAL], "cart.subtotal");
    ck_assert_str_eq(clP_field_names[FLD_USER_ORDERS], "user.orders_completed");
}
END_TEST

/* ------------------------------------------------------------------------
 * The listing
 * ------------------------------------------------------------------------ */

static const char small[] =
    "currency: USD\n"
    "coupons:\n"
    "  - code: A\n"
    "    priority: 3\n"
    "    when: { payment.method: [\"card\", \"up\\\"i\"], order.serial: { gte: 2 } }\n"
    "    discount: { percent: 5, target: { items: { sku: { matches: \"^X\" }, category: [a, b],"
    " on_sale: false, min_amount: \"3.00\" } } }\n"
    "  - code: B\n"
    "    automatic: true\n"
    "    combine: exclusive\n"
    "    stop: true\n"
    "    discount: { tiers: [ { min: \"1.00\", amount: \"0.50\" }, { min: \"2.00\", percent: 10 } ],"
    " max_amount: \"9.00\" }\n";

static const char small_listing[] =
    "; d.yaml: 2 coupons, 18 instructions, 15 strings, 2 sets, 1 regexes\n"
    "\n"
    "coupon A (line 3): priority 3, stackable, discount#0\n"
    "     0  LOAD_STR     currency -> 2\n"
    "     1  STR_EQ       \"USD\"\n"
    "     2  GUARD        CURRENCY \"only for payments in USD\" (line 3)\n"
    "     3  ENTERED\n"
    "     4  REQUIRE      CODE_REQUIRED \"enter the code A to use this coupon\" (line 3)\n"
    "     5  LOAD_STR     payment.method -> 7\n"
    "     6  STR_IN       {\"card\", \"up\\\"i\"}\n"
    "     7  REQUIRE      PAYMENT \"the payment method must be one of card, up\\\"i\" (line 5)\n"
    "     8  LOAD_INT     order.serial -> 10\n"
    "     9  INT_CMP      >= 2\n"
    "    10  REQUIRE      ORDER_SERIAL \"the shop's order serial must be at least 2\" (line 5)\n"
    "    11  TARGET       discount#0\n"
    "    12  HALT\n"
    "\n"
    "coupon B (line 7): priority 0, exclusive, automatic, stop, discount#1\n"
    "    13  LOAD_STR     currency -> 15\n"
    "    14  STR_EQ       \"USD\"\n"
    "    15  GUARD        CURRENCY \"only for payments in USD\" (line 7)\n"
    "    16  TARGET       discount#1\n"
    "    17  HALT\n"
    "\n"
    "discount#0: percent value 500 target items filter#0\n"
    "discount#1: tiers value 0 target order max_amount 900 tier[min 100 amount 50] "
    "tier[min 200 bp 1000]\n"
    "filter#0: sku matches /^X/; category {\"a\", \"b\"}; on_sale false; min_quantity 1; "
    "min_amount 300\n";

START_TEST(test_listing)
{
    cl_program *p = compile_ok(small, "d.yaml");
    test_text t = {0};
    ck_assert_int_eq(cl_program_disasm(p, test_text_write, &t), CL_OK);
    ck_assert_str_eq(t.p, small_listing);
    test_text_free(&t);
    cl_program_free(p);
}
END_TEST

START_TEST(test_listing_operands)
{
    cl_program *p = compile_ok(
        "currency: EUR\n"
        "code: X\n"
        "automatic: true\n"
        "when:\n"
        "  order.number: \"tab\\there and a very long text that goes on and on past the cut\"\n"
        "  payment.method: [a, b, c, d, e, f, g]\n"
        "  order.serial: [9, 8, 7, 6, 5, 4, 3, 2, 1]\n"
        "  order.sequence: { every: 10, offset: 3 }\n"
        "  user.tags: { none: [x] }\n"
        "  user.email: { domain: [Ex.Com] }\n"
        "  not: { cart.quantity: { between: [1, 2] } }\n"
        "discount: { buy_get: { buy: 2, get: 1 }, max_units: 4, exclude_sale_items: true }\n",
        "ops.yaml");
    test_text t = {0};
    ck_assert_int_eq(cl_program_disasm(p, test_text_write, &t), CL_OK);
    static const char *const want[] = {
        "STR_EQ       \"tab\\x09here and a very long text that goes on and o...\"",
        "STR_IN       {\"a\", \"b\", \"c\", \"d\", \"e\", ... 7 in all}",
        "INT_IN       {1, 2, 3, 4, 5, 6, 7, 8, ... 9 in all}",
        "INT_EVERY    [10, 3]",
        "TAGS         none {\"x\"}",
        "STR_DOMAIN   {\"ex.com\"} (any case)",
        "INT_BETWEEN  [1, 2]",
        "NOT\n",
        "REQUIRE      CONDITION \"not available when:",
        "discount#0: buy_get value 10000 target order max_units 4 buy 2 get 1 exclude_sale_items\n",
    };
    for (size_t i = 0; i < CL_COUNTOF(want); i++)
        ck_assert_msg(strstr(t.p, want[i]) != NULL, "no \"%s\" in:\n%s", want[i], t.p);
    test_text_free(&t);
    cl_program_free(p);
}
END_TEST

/* A writer that fails after `left` calls. */
typedef struct failing {
    int left, calls;
} failing;

static int fail_write(void *ud, const char *buf, size_t len)
{
    failing *f = ud;
    CL_UNUSED(buf);
    CL_UNUSED(len);
    f->calls++;
    return f->left-- > 0 ? 0 : -1;
}

START_TEST(test_listing_errors)
{
    cl_program *p = compile_ok(small, "d.yaml");
    for (int left = 0; left < 30; left++) {
        failing f = {left, 0};
        ck_assert_int_eq(cl_program_disasm(p, fail_write, &f), CL_EIO);
        /* once the writer fails, it is not called again for this unit */
        ck_assert_int_eq(f.calls, left + 1);
    }
    ck_assert_int_eq(cl_program_disasm(NULL, test_text_write, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_program_disasm(p, NULL, NULL), CL_EINVAL);
    cl_program_free(p);
    /* an empty program lists its header only */
    p = compile_ok("coupons: []\n", "e.yaml");
    test_text t = {0};
    ck_assert_int_eq(cl_program_disasm(p, test_text_write, &t), CL_OK);
    ck_assert_str_eq(t.p, "; e.yaml: 0 coupons, 0 instructions, 0 strings, 0 sets, 0 regexes\n");
    test_text_free(&t);
    cl_program_free(p);
}
END_TEST

static Suite *opcodes_suite(void)
{
    const test_entry tests[] = {
        {"table", test_table},
        {"listing", test_listing},
        {"listing", test_listing_operands},
        {"listing", test_listing_errors},
    };
    return test_suite_fx("opcodes", tests, CL_COUNTOF(tests), 60, setup, teardown);
}

TEST_MAIN(opcodes_suite)
