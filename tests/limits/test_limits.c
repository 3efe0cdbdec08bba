/*
 * test_limits.c - the limits of SPEC section 8 through the C API: their
 * defaults and setters, and what the couponc test files of this directory
 * cannot reach: reading a file, loading and linking programs, the context
 * setters, campaign codes, the regex depth limit and subjects at the string
 * limit. Each limit exceeded gives its own status (CL_ELIMIT, CL_ESTEPS),
 * never CL_ENOMEM or a crash, and leaves the objects as they were.
 */
#include "couponlib/couponlib.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TEST_SRCDIR
#error "TEST_SRCDIR must be defined"
#endif

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static int text_write(void *ud, const char *p, size_t n)
{
    text *t = ud;
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        while (cap < t->n + n + 1)
            cap *= 2;
        char *q = realloc(t->p, cap);
        if (q == NULL)
            return -1;
        t->p = q;
        t->cap = cap;
    }
    memcpy(t->p + t->n, p, n);
    t->n += n;
    t->p[t->n] = '\0';
    return 0;
}

static cl_program *compile_ok(const cl_env *env, const char *src)
{
    cl_error err;
    cl_program *p = cl_compile(env, src, strlen(src), "limits.yaml", &err);
    ck_assert_msg(p != NULL, "%u:%u: %s", err.line, err.column, err.message);
    return p;
}

static const char three_coupons[] =
    "currency: USD\n"
    "coupons:\n"
    "  - { code: A, discount: { percent: 5 } }\n"
    "  - { code: B, when: { order.number: { matches: \"^ORD-[0-9]+$\" } }, discount: { percent: 6 } }\n"
    "  - { code: C, automatic: true, discount: { amount: \"1.00\" } }\n";

static const char cart[] =
    "{ \"now\": \"2026-06-01T12:00:00Z\", \"currency\": \"USD\", \"order\": { \"number\": \"ORD-1\" },"
    "  \"items\": [ { \"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"10.00\" } ] }";

/* ------------------------------------------------------------------------
 * Defaults and setters
 * ------------------------------------------------------------------------ */

START_TEST(test_defaults_and_setters)
{
    static const uint64_t defaults[CL_LIMIT_COUNT] = {
        [CL_LIMIT_INPUT_BYTES] = 16u << 20, [CL_LIMIT_DEPTH] = 64,
        [CL_LIMIT_COUPONS] = 100000, [CL_LIMIT_LIST] = 2000000, [CL_LIMIT_STRING] = 65536,
        [CL_LIMIT_REGEX_LENGTH] = 1024, [CL_LIMIT_ALIASES] = 10000,
        [CL_LIMIT_NODES] = 4000000, [CL_LIMIT_MATCH] = 100000, [CL_LIMIT_MATCH_DEPTH] = 1000,
        [CL_LIMIT_STEPS] = 1000000, [CL_LIMIT_ITEMS] = 10000,
    };
    cl_env *env = cl_env_new(NULL, NULL);
    ck_assert(env != NULL);
    for (int i = 0; i < CL_LIMIT_COUNT; i++) {
        ck_assert_uint_eq(cl_env_limit(env, (cl_limit)i), defaults[i]);
        ck_assert_int_eq(cl_env_set_limit(env, (cl_limit)i, 0), CL_EINVAL);
        ck_assert_uint_eq(cl_env_limit(env, (cl_limit)i), defaults[i]);
        ck_assert_int_eq(cl_env_set_limit(env, (cl_limit)i, 7 + (uint64_t)i), CL_OK);
        ck_assert_uint_eq(cl_env_limit(env, (cl_limit)i), 7 + (uint64_t)i);
    }
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_COUNT, 5), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_limit(env, (cl_limit)-1, 5), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_limit(NULL, CL_LIMIT_DEPTH, 5), CL_EINVAL);
    ck_assert_uint_eq(cl_env_limit(env, CL_LIMIT_COUNT), 0);
    ck_assert_uint_eq(cl_env_limit(NULL, CL_LIMIT_DEPTH), 0);
    cl_env_free(env);
    env = cl_env_new(NULL, NULL);
    /* A limit as large as it gets is accepted and means "no practical limit". */
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_MATCH, UINT64_MAX), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_MATCH_DEPTH, UINT64_MAX), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_REGEX_LENGTH, 1024), CL_OK);
    cl_program *p = compile_ok(env, three_coupons);
    cl_vm *vm = cl_vm_new(env);
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STRING, 100), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_ITEMS, 100), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_LIST, 100), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_DEPTH, 10), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_NODES, 1000), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STEPS, 1000), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 10000), CL_OK);
    ck_assert_int_eq(cl_context_parse(ctx, cart, sizeof cart - 1, NULL), CL_OK);
    const cl_result *r;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, NULL), CL_OK);
    ck_assert_int_eq(cl_result_count(r), 3);
    cl_context_free(ctx);
    cl_vm_free(vm);
    cl_program_free(p);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Input bytes: files, contexts, saved programs
 * ------------------------------------------------------------------------ */

START_TEST(test_input_bytes)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/oom/catalog.yaml", TEST_SRCDIR);
    cl_program *p = cl_compile_file(env, path, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    text saved = {NULL, 0, 0};
    ck_assert_int_eq(cl_program_save(p, text_write, &saved), CL_OK);
    cl_program_free(p);
    /* A file larger than the limit, small and (past the first read) large. */
    for (uint64_t limit = 100; limit <= 2000; limit += 1900) {
        ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, limit), CL_OK);
        p = cl_compile_file(env, path, &err);
        ck_assert(p == NULL);
        ck_assert_int_eq(err.code, CL_ELIMIT);
        ck_assert_msg(strstr(err.message, "exceeds the limit") != NULL ||
                          strstr(err.message, "larger than the limit") != NULL, "%s", err.message);
        ck_assert_uint_eq(err.line, 0);
        ck_assert_str_eq(err.source, path);
    }
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 100), CL_OK);
    /* A context larger than the limit. */
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_parse(ctx, cart, sizeof cart - 1, &err), CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "exceeds the limit of 100") != NULL, "%s", err.message);
    ck_assert_uint_eq(cl_context_item_count(ctx), 0);
    /* A saved program larger than the limit; then the limit just fits. */
    ck_assert(cl_program_load(env, saved.p, saved.n, &err) == NULL);
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "saved program") != NULL, "%s", err.message);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, saved.n), CL_OK);
    p = cl_program_load(env, saved.p, saved.n, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    cl_program_free(p);
    free(saved.p);
    cl_context_free(ctx);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Coupons and regexes of loaded and linked programs
 * ------------------------------------------------------------------------ */

START_TEST(test_load_and_link)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    cl_program *p = compile_ok(env, three_coupons);
    text saved = {NULL, 0, 0};
    ck_assert_int_eq(cl_program_save(p, text_write, &saved), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_COUPONS, 2), CL_OK);
    /* Compiling: the third coupon is one too many. */
    ck_assert(cl_compile(env, three_coupons, sizeof three_coupons - 1, "three.yaml", &err) == NULL);
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_uint_eq(err.line, 5);
    ck_assert_uint_eq(err.column, 5);
    ck_assert_str_eq(err.message, "more than 2 coupons");
    /* Loading. */
    ck_assert(cl_program_load(env, saved.p, saved.n, &err) == NULL);
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "3 coupons exceed the limit of 2") != NULL, "%s",
                  err.message);
    /* Linking two programs of one coupon each is fine, three are not. */
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_COUPONS, 100), CL_OK);
    const cl_program *one[3] = {compile_ok(env, "{ code: X, discount: { percent: 1 } }"),
                                compile_ok(env, "{ code: Y, discount: { percent: 1 } }"),
                                compile_ok(env, "{ code: Z, discount: { percent: 1 } }")};
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_COUPONS, 2), CL_OK);
    cl_program *two = cl_program_link(env, one, 2, &err);
    ck_assert_msg(two != NULL, "%s", err.message);
    ck_assert_int_eq(cl_program_count(two), 2);
    ck_assert(cl_program_link(env, one, 3, &err) == NULL);
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_str_eq(err.message, "more than 2 coupons");
    /* A saved regex longer than the loading environment allows. */
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_COUPONS, 100), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_REGEX_LENGTH, 5), CL_OK);
    ck_assert(cl_program_load(env, saved.p, saved.n, &err) == NULL);
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "regex 0 is longer than the limit") != NULL, "%s",
                  err.message);
    ck_assert_uint_gt(err.offset, 32);
    for (int i = 0; i < 3; i++)
        cl_program_free((cl_program *)one[i]);
    cl_program_free(two);
    cl_program_free(p);
    free(saved.p);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * The context setters
 * ------------------------------------------------------------------------ */

START_TEST(test_setters)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_program *p = compile_ok(env, "{ code: a, currency: USD, when: { user.tags: [c], user.id: "
                                    "\"12345678\", items: { tags: { all: [a, b, c] } } }, "
                                    "limits: { uses: 2 }, discount: { amount: \"1.00\" } }");
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STRING, 8), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_LIST, 3), CL_OK);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_ITEMS, 2), CL_OK);
    cl_context *ctx = cl_context_new(env);
    const char *longer = "123456789";   /* 9 bytes: one too many */
    const char *fits = "12345678";
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_USER_ID, longer), CL_ELIMIT);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_USER_ID, fits), CL_OK);
    ck_assert_int_eq(cl_context_add_code(ctx, longer), CL_ELIMIT);
    ck_assert_int_eq(cl_context_add_user_tag(ctx, longer), CL_ELIMIT);
    ck_assert_int_eq(cl_context_set_usage(ctx, longer, 1, 0, 0), CL_ELIMIT);
    ck_assert_int_eq(cl_context_add_item(ctx, longer, 1, 100, NULL), CL_ELIMIT);
    ck_assert_uint_eq(cl_context_item_count(ctx), 0);
    size_t i0, i1;
    ck_assert_int_eq(cl_context_add_item(ctx, "A", 1, 100, &i0), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "B", 2, 100, &i1), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "C", 3, 100, NULL), CL_ELIMIT);
    ck_assert_uint_eq(cl_context_item_count(ctx), 2);
    ck_assert_int_eq(cl_context_item_add_category(ctx, i0, longer), CL_ELIMIT);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, i0, longer), CL_ELIMIT);
    static const char *const three[] = {"a", "b", "c"};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(cl_context_add_code(ctx, three[k]), CL_OK);
        ck_assert_int_eq(cl_context_add_user_tag(ctx, three[k]), CL_OK);
        ck_assert_int_eq(cl_context_item_add_category(ctx, i1, three[k]), CL_OK);
        ck_assert_int_eq(cl_context_item_add_tag(ctx, i1, three[k]), CL_OK);
        ck_assert_int_eq(cl_context_set_usage(ctx, three[k], 1, 0, 0), CL_OK);
    }
    ck_assert_int_eq(cl_context_add_code(ctx, "d"), CL_ELIMIT);
    ck_assert_int_eq(cl_context_add_user_tag(ctx, "d"), CL_ELIMIT);
    ck_assert_int_eq(cl_context_item_add_category(ctx, i1, "d"), CL_ELIMIT);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, i1, "d"), CL_ELIMIT);
    ck_assert_int_eq(cl_context_set_usage(ctx, "d", 1, 0, 0), CL_ELIMIT);
    /* Updating a code already there needs no new entry. */
    ck_assert_int_eq(cl_context_set_usage(ctx, "B", 2, 1, 0), CL_OK);
    /* What was refused left no trace: the context evaluates as built. */
    ck_assert_int_eq(cl_context_set_now(ctx, 1780315200), CL_OK);
    ck_assert_int_eq(cl_context_set_currency(ctx, "USD"), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, &r, NULL), CL_OK);
    ck_assert(cl_result_applicable(r, 0));
    ck_assert_int_eq(cl_result_discount(r, 0), 100);
    cl_vm_free(vm);
    cl_program_free(p);
    cl_context_free(ctx);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Campaign codes
 * ------------------------------------------------------------------------ */

START_TEST(test_codes)
{
    cl_env *env = cl_env_new(NULL, NULL);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_LIST, 5), CL_OK);
    text out = {NULL, 0, 0};
    cl_error err;
    ck_assert_int_eq(cl_codes_generate(env, NULL, 6, text_write, &out, &err), CL_ELIMIT);
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_uint_eq(out.n, 0);
    ck_assert_int_eq(cl_codes_generate(env, NULL, 5, text_write, &out, &err), CL_OK);
    ck_assert_uint_eq(out.n, 5 * 11);
    free(out.p);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Regex limits and subjects at the string limit
 * ------------------------------------------------------------------------ */

/* Evaluates a one-coupon program whose order.number must match pattern
 * against a number of n copies of fill and then end; returns the status. */
static int match_order_number(cl_env *env, const char *pattern, char fill, size_t n,
                              const char *end, cl_error *err)
{
    char src[512];
    snprintf(src, sizeof src, "code: RE\nwhen:\n  order.number: { matches: \"%s\" }\n"
             "discount: { percent: 5 }\n", pattern);
    cl_program *p = compile_ok(env, src);
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_set_now(ctx, 1780315200), CL_OK);
    ck_assert_int_eq(cl_context_set_currency(ctx, "USD"), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "A", 1, 1000, NULL), CL_OK);
    size_t m = strlen(end);
    char *number = malloc(n + m + 1);
    memset(number, fill, n);
    memcpy(number + n, end, m + 1);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_ORDER_NUMBER, number), CL_OK);
    free(number);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    int rc = cl_vm_eval(vm, p, ctx, 0, &r, err);
    if (rc == CL_OK)
        rc = cl_result_applicable(r, 0) ? 1000 : 1001; /* matched / did not */
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    return rc;
}

START_TEST(test_regex_limits)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    /* Catastrophic backtracking on a subject of the longest allowed text. */
    ck_assert_int_eq(match_order_number(env, "^(a+)+$", 'a', 65535, "b", &err), CL_ELIMIT);
    ck_assert_uint_eq(err.line, 3);
    ck_assert_uint_eq(err.column, 29);
    ck_assert_str_eq(err.source, "limits.yaml");
    ck_assert_msg(strstr(err.message, "exceeded its match limit (coupon RE)") != NULL, "%s",
                  err.message);
    /* Deep recursion: the depth limit (interpreter) or the JIT's stack ends it. */
    ck_assert_int_eq(match_order_number(env, "^(?:(a)|b)*$", 'a', 65535, "c", &err), CL_ELIMIT);
    ck_assert_uint_eq(err.line, 3);
    /* The same patterns on short subjects: a match and a miss, as usual. */
    ck_assert_int_eq(match_order_number(env, "^(a+)+$", 'a', 20, "", &err), 1000);
    ck_assert_int_eq(match_order_number(env, "^(?:(a)|b)*$", 'a', 20, "c", &err), 1001);
    /* The setter is honoured (by vms made after it): a moderately bad case
     * ends at the default match limit, and runs to its end under a larger. */
    ck_assert_int_eq(match_order_number(env, "^(a+)+$", 'a', 22, "b", &err), CL_ELIMIT);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_MATCH, 100000000), CL_OK);
    ck_assert_int_eq(match_order_number(env, "^(a+)+$", 'a', 22, "b", &err), 1001);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_MATCH, 100000), CL_OK);
    /* A subject longer than the string limit is refused by the setter. */
    cl_context *ctx = cl_context_new(env);
    char *big = malloc(65538);
    memset(big, 'a', 65537);
    big[65537] = '\0';
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_ORDER_NUMBER, big), CL_ELIMIT);
    free(big);
    cl_context_free(ctx);
    cl_env_free(env);
}
END_TEST

/* The step budget counts per coupon: many cheap coupons each within it. */
START_TEST(test_steps_per_coupon)
{
    cl_env *env = cl_env_new(NULL, NULL);
    text src = {NULL, 0, 0};
    text_write(&src, "currency: USD\ncoupons:\n", 23);
    for (int i = 0; i < 200; i++) {
        char line[160];
        int k = snprintf(line, sizeof line, "  - { code: C%d, when: { payment.method: card, "
                         "order.sequence: { gte: 1 } }, discount: { percent: 1 } }\n", i);
        text_write(&src, line, (size_t)k);
    }
    cl_program *p = compile_ok(env, src.p);
    free(src.p);
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_parse(ctx, cart, sizeof cart - 1, NULL), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    cl_error err;
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STEPS, 30), CL_OK);
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, &err), CL_OK);
    ck_assert_int_eq(cl_result_count(r), 200);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STEPS, 2), CL_OK);
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, &err), CL_ESTEPS);
    ck_assert_uint_eq(err.line, 3);
    ck_assert_uint_eq(err.column, 5);
    ck_assert_str_eq(err.source, "limits.yaml");
    ck_assert_str_eq(err.message, "evaluation exceeded its budget of 2 steps (coupon C0)");
    /* The vm works on after the error. */
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STEPS, 30), CL_OK);
    ck_assert_int_eq(cl_vm_best(vm, p, ctx, &r, &err), CL_OK);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_env_free(env);
}
END_TEST

/* The step budget bounds a best-combination search by its work, not only
 * by its nodes: 80 automatic percent coupons on a 300-line cart, where each
 * choice spreads a discount over up to 300 lines, end with the budget's
 * error (it took minutes when only the nodes were counted). */
START_TEST(test_steps_bound_a_long_search)
{
    cl_env *env = cl_env_new(NULL, NULL);
    text src = {NULL, 0, 0}, ctxt = {NULL, 0, 0};
    char line[200];
    text_write(&src, "currency: USD\ncoupons:\n", 23);
    for (int i = 0; i < 80; i++) {
        int k = snprintf(line, sizeof line, "  - { code: C%d, automatic: true, when: { items: "
                         "{ sku: { matches: \"^S-%d\" }, min_quantity: 2 } }, "
                         "discount: { percent: %d } }\n", i, i % 7, 1 + i % 40);
        text_write(&src, line, (size_t)k);
    }
    static const char head[] = "{\"now\": \"2026-05-01T10:00:00Z\", \"currency\": \"USD\", \"items\": [";
    text_write(&ctxt, head, sizeof head - 1);
    for (int i = 0; i < 300; i++) {
        int k = snprintf(line, sizeof line, "%s{\"sku\": \"S-%d-%d\", \"quantity\": %d, "
                         "\"unit_price\": \"%d.00\"}", i ? ", " : "", i % 11, i, 1 + i % 3, 1 + i);
        text_write(&ctxt, line, (size_t)k);
    }
    text_write(&ctxt, "]}", 2);
    cl_program *p = compile_ok(env, src.p);
    cl_context *ctx = cl_context_new(env);
    cl_error err;
    ck_assert_int_eq(cl_context_parse(ctx, ctxt.p, ctxt.n, &err), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    ck_assert_int_eq(cl_vm_best(vm, p, ctx, &r, &err), CL_ESTEPS);
    ck_assert_str_eq(err.message, "evaluation exceeded its budget of 1000000 steps");
    ck_assert_int_eq(cl_vm_best_flags(vm, p, ctx, CL_BEST_INDEXED, &r, &err), CL_ESTEPS);
    /* Each coupon alone is well within it. */
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, &err), CL_OK);
    ck_assert_int_eq(cl_result_count(r), 80);
    free(src.p);
    free(ctxt.p);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_env_free(env);
}
END_TEST

static Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_defaults_and_setters);
    tcase_add_test(tc, test_input_bytes);
    tcase_add_test(tc, test_load_and_link);
    tcase_add_test(tc, test_setters);
    tcase_add_test(tc, test_codes);
    tcase_add_test(tc, test_regex_limits);
    tcase_add_test(tc, test_steps_per_coupon);
    tcase_add_test(tc, test_steps_bound_a_long_search);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(limits_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
