/*
 * test_result.c - unit tests of result.c: every accessor (in range, out of
 * range, NULL), the totals, and the JSON writer: the exact shape of SPEC 5
 * (eval) and 6 (best), escaping, currencies of other exponents, a failing
 * writer. The JSON is also read back with the library's own YAML reader
 * (JSON is YAML) to check that it is well formed.
 */
#include "context.h"
#include "vm.h"
#include "yamldoc.h"
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

static void use(const char *src, const char *json)
{
    cl_program_free(prog);
    prog = cl_compile(env, src, strlen(src), "r.yaml", &err);
    ck_assert_msg(prog != NULL, "%s", err.message);
    ck_assert_msg(cl_context_parse(ctx, json, strlen(json), &err) == CL_OK, "%s", err.message);
}

/* The JSON of res, checked to read back as one mapping or list. */
static void json_of(test_text *t)
{
    memset(t, 0, sizeof *t);
    ck_assert_int_eq(cl_result_write_json(res, test_text_write, t), CL_OK);
    clY_doc doc;
    cl_error e;
    ck_assert_msg(clY_load(env, t->p, t->n, &doc, &e) == CL_OK, "not JSON (%u:%u %s):\n%s",
                  e.line, e.column, e.message, t->p);
    ck_assert_uint_eq(doc.nroots, 1);
    clY_free(&doc);
}

static const char src[] =
    "currency: USD\n"
    "coupons:\n"
    "  - { code: A, automatic: true, discount: { amount: \"5.00\" } }\n"
    "  - { code: B, when: { order.number: \"x\\ty\\\"z\\\\\" }, discount: { percent: 10 } }\n"
    "  - { code: S, automatic: true, combine: exclusive, discount: { free_shipping: true } }\n";
static const char cart[] =
    "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"USD\", \"codes\": [\"q\\\"z\"],"
    " \"shipping\": {\"amount\": \"1.00\"},"
    " \"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"10.00\"},"
    " {\"sku\": \"B\\n2\", \"quantity\": 2, \"unit_price\": \"0.50\"}]}";

START_TEST(test_accessors_eval)
{
    use(src, cart);
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, CL_EVAL_ENTERED, &res, &err), CL_OK);
    ck_assert_uint_eq(cl_result_count(res), 3);
    ck_assert_uint_eq(cl_result_rejected_count(res), 0);
    ck_assert_str_eq(cl_result_currency(res), "USD");
    ck_assert_str_eq(cl_result_code(res, 0), "A");
    ck_assert_int_eq(cl_result_coupon(res, 0), 0);
    ck_assert(cl_result_applicable(res, 0));
    ck_assert_int_eq(cl_result_discount(res, 0), 500);
    ck_assert_int_eq(cl_result_shipping_discount(res, 0), 0);
    ck_assert_uint_eq(cl_result_line_count(res, 0), 2);
    size_t index;
    int64_t amount;
    ck_assert_int_eq(cl_result_line(res, 0, 1, &index, &amount), CL_OK);
    ck_assert_uint_eq(index, 1);
    ck_assert_int_eq(amount, 45);
    ck_assert_int_eq(cl_result_line(res, 0, 0, NULL, NULL), CL_OK);
    ck_assert_int_eq(cl_result_line(res, 0, 2, &index, &amount), CL_ERANGE);
    ck_assert_int_eq(cl_result_line(res, 3, 0, &index, &amount), CL_ERANGE);
    ck_assert_uint_eq(cl_result_reason_count(res, 0), 0);
    ck_assert_uint_eq(cl_result_reason_count(res, 1), 2);
    ck_assert_int_eq(cl_result_reason(res, 1, 0), CL_R_CODE_REQUIRED);
    ck_assert_int_eq(cl_result_reason(res, 1, 1), CL_R_ORDER_NUMBER);
    ck_assert_uint_eq(cl_result_reason_line(res, 1, 1), 4);
    ck_assert_int_eq(cl_result_reason(res, 1, 2), -1);
    ck_assert_ptr_null(cl_result_reason_message(res, 1, 2));
    ck_assert_uint_eq(cl_result_reason_line(res, 1, 2), 0);
    ck_assert_int_eq(cl_result_shipping_discount(res, 2), 100);
    /* out of range */
    ck_assert_ptr_null(cl_result_code(res, 3));
    ck_assert_int_eq(cl_result_coupon(res, 3), -1);
    ck_assert(!cl_result_applicable(res, 3));
    ck_assert_int_eq(cl_result_discount(res, 3), 0);
    ck_assert_int_eq(cl_result_shipping_discount(res, 99), 0);
    ck_assert_uint_eq(cl_result_line_count(res, 3), 0);
    ck_assert_uint_eq(cl_result_reason_count(res, 3), 0);
    ck_assert_int_eq(cl_result_reason(res, 3, 0), -1);
    /* totals after eval: the cart's, no discount */
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SUBTOTAL), 1100);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SHIPPING), 100);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_DISCOUNT), 0);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT), 0);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_TOTAL), 1200);
    ck_assert_int_eq(cl_result_total(res, (cl_total)5), 0);
    ck_assert_int_eq(cl_result_total(res, (cl_total)-1), 0);
    /* NULL */
    ck_assert_uint_eq(cl_result_count(NULL), 0);
    ck_assert_uint_eq(cl_result_rejected_count(NULL), 0);
    ck_assert_ptr_null(cl_result_currency(NULL));
    ck_assert_ptr_null(cl_result_code(NULL, 0));
    ck_assert_int_eq(cl_result_line(NULL, 0, 0, &index, &amount), CL_ERANGE);
    ck_assert_int_eq(cl_result_total(NULL, CL_TOTAL_TOTAL), 0);
    ck_assert_int_eq(cl_result_reason(NULL, 0, 0), -1);
}
END_TEST

START_TEST(test_reason_names)
{
    static const char *const names[CL_R_COUNT] = {
        "NOT_STARTED", "EXPIRED", "WEEKDAY", "TIME_OF_DAY", "SPECIAL_DAY", "PAYMENT", "USER",
        "ORDER_SEQUENCE", "ORDER_SERIAL", "ORDER_NUMBER", "ITEMS", "CATEGORY", "MIN_SUBTOTAL",
        "MIN_QUANTITY", "SHIPPING", "CURRENCY", "USAGE_LIMIT", "PER_USER_LIMIT", "BUDGET",
        "CODE_REQUIRED", "NOT_COMBINABLE", "UNKNOWN_CODE", "CONDITION",
    };
    ck_assert_int_eq(CL_R_COUNT, 23);
    for (int i = 0; i < CL_R_COUNT; i++)
        ck_assert_str_eq(cl_reason_name(i), names[i]);
    ck_assert_str_eq(cl_reason_name(-1), "?");
    ck_assert_str_eq(cl_reason_name(CL_R_COUNT), "?");
}
END_TEST

START_TEST(test_json_eval)
{
    use(src, cart);
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, CL_EVAL_ENTERED, &res, &err), CL_OK);
    test_text t;
    json_of(&t);
    ck_assert_str_eq(t.p,
        "[\n"
        "  { \"code\": \"A\", \"applicable\": true, \"discount\": \"5.00\", \"shipping_discount\": \"0.00\",\n"
        "    \"lines\": [ { \"index\": 0, \"sku\": \"A\", \"discount\": \"4.55\" }, { \"index\": 1,"
        " \"sku\": \"B\\n2\", \"discount\": \"0.45\" } ],\n"
        "    \"reasons\": [] },\n"
        "  { \"code\": \"B\", \"applicable\": false, \"discount\": \"0.00\", \"shipping_discount\": \"0.00\",\n"
        "    \"lines\": [],\n"
        "    \"reasons\": [\n"
        "      { \"code\": \"CODE_REQUIRED\", \"message\": \"enter the code B to use this coupon\", \"line\": 4 },\n"
        "      { \"code\": \"ORDER_NUMBER\", \"message\": \"the order number must be x\\u0009y\\\"z\\\\\", \"line\": 4 }\n"
        "    ] },\n"
        "  { \"code\": \"S\", \"applicable\": true, \"discount\": \"0.00\", \"shipping_discount\": \"1.00\",\n"
        "    \"lines\": [],\n"
        "    \"reasons\": [] }\n"
        "]\n");
    test_text_free(&t);
    /* no outcomes */
    ck_assert_int_eq(cl_vm_eval_some(vm, prog, ctx, NULL, 0, 0, &res, &err), CL_OK);
    json_of(&t);
    ck_assert_str_eq(t.p, "[]\n");
    test_text_free(&t);
}
END_TEST

START_TEST(test_json_best)
{
    use(src, cart);
    ck_assert_int_eq(cl_vm_best(vm, prog, ctx, &res, &err), CL_OK);
    ck_assert_uint_eq(cl_result_count(res), 1);
    ck_assert_uint_eq(cl_result_rejected_count(res), 2);
    test_text t;
    json_of(&t);
    ck_assert_str_eq(t.p,
        "{\n"
        "  \"coupons\": [\"A\"],\n"
        "  \"discount\": \"5.00\",\n"
        "  \"shipping_discount\": \"0.00\",\n"
        "  \"subtotal\": \"11.00\",\n"
        "  \"shipping\": \"1.00\",\n"
        "  \"total\": \"7.00\",\n"
        "  \"applied\": [\n"
        "    { \"code\": \"A\", \"applicable\": true, \"discount\": \"5.00\", \"shipping_discount\": \"0.00\",\n"
        "      \"lines\": [ { \"index\": 0, \"sku\": \"A\", \"discount\": \"4.55\" }, { \"index\": 1,"
        " \"sku\": \"B\\n2\", \"discount\": \"0.45\" } ],\n"
        "      \"reasons\": [] }\n"
        "  ],\n"
        "  \"rejected\": [\n"
        "    { \"code\": \"S\", \"reasons\": [\n"
        "        { \"code\": \"NOT_COMBINABLE\", \"message\": \"S is exclusive, and the chosen combination"
        " gives more\", \"line\": 5 } ] },\n"
        "    { \"code\": \"q\\\"z\", \"reasons\": [\n"
        "        { \"code\": \"UNKNOWN_CODE\", \"message\": \"q\\\"z is not a valid code\" } ] }\n"
        "  ]\n"
        "}\n");
    test_text_free(&t);
    ck_assert_int_eq(cl_result_total(res, CL_TOTAL_TOTAL), 700);
    /* the empty choice */
    use("coupons: []\n", "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"JPY\", \"items\": []}");
    ck_assert_int_eq(cl_vm_best(vm, prog, ctx, &res, &err), CL_OK);
    json_of(&t);
    ck_assert_str_eq(t.p,
        "{\n"
        "  \"coupons\": [],\n"
        "  \"discount\": \"0\",\n"
        "  \"shipping_discount\": \"0\",\n"
        "  \"subtotal\": \"0\",\n"
        "  \"shipping\": \"0\",\n"
        "  \"total\": \"0\",\n"
        "  \"applied\": [],\n"
        "  \"rejected\": []\n"
        "}\n");
    test_text_free(&t);
}
END_TEST

/* Amounts have exactly the currency's decimals. */
START_TEST(test_json_currencies)
{
    use("coupons: [ { code: P, automatic: true, discount: { percent: 10 } } ]\n",
        "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"KWD\", \"items\": "
        "[{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1.235\"}]}");
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, &err), CL_OK);
    test_text t;
    json_of(&t);
    ck_assert_msg(strstr(t.p, "\"discount\": \"0.124\"") != NULL, "%s", t.p);
    test_text_free(&t);
    static const char jpy[] = "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"JPY\","
                              " \"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": 1235}]}";
    ck_assert_int_eq(cl_context_parse(ctx, jpy, sizeof jpy - 1, &err), CL_OK);
    ck_assert_int_eq(cl_vm_eval(vm, prog, ctx, 0, &res, &err), CL_OK);
    json_of(&t);
    ck_assert_msg(strstr(t.p, "\"discount\": \"124\"") != NULL, "%s", t.p);
    ck_assert_str_eq(cl_result_currency(res), "JPY");
    test_text_free(&t);
}
END_TEST

typedef struct failing {
    int left, calls;
} failing;

static int fail_write(void *ud, const char *buf, size_t len)
{
    failing *f = ud;
    CL_UNUSED(buf);
    CL_UNUSED(len);
    f->calls++;
    return f->left-- > 0 ? 0 : 1;
}

START_TEST(test_json_errors)
{
    use(src, cart);
    ck_assert_int_eq(cl_vm_best(vm, prog, ctx, &res, &err), CL_OK);
    for (int left = 0; left < 40; left += 3) {
        failing f = {left, 0};
        ck_assert_int_eq(cl_result_write_json(res, fail_write, &f), CL_EIO);
        ck_assert_int_eq(f.calls, left + 1);
    }
    ck_assert_int_eq(cl_result_write_json(NULL, test_text_write, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_result_write_json(res, NULL, NULL), CL_EINVAL);
}
END_TEST

static Suite *result_suite(void)
{
    const test_entry tests[] = {
        {"accessors", test_accessors_eval}, {"accessors", test_reason_names},
        {"json", test_json_eval},           {"json", test_json_best},
        {"json", test_json_currencies},     {"json", test_json_errors},
    };
    return test_suite_fx("result", tests, CL_COUNTOF(tests), 60, setup, teardown);
}

TEST_MAIN(result_suite)
