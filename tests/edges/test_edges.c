/*
 * test_edges.c - the public API misused: every function given NULL, an
 * index out of range, a field of the wrong type, a writer that fails, or
 * values at the edge of what it takes. Each gets the documented status, a
 * NULL, a zero or false, never a crash; and the objects stay usable.
 */
#include "couponlib/couponlib.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        t->p = realloc(t->p, cap);
        t->cap = cap;
    }
    memcpy(t->p + t->n, p, n);
    t->n += n;
    t->p[t->n] = '\0';
    return 0;
}

/* A writer that refuses after `left` calls. */
static int failing_write(void *ud, const char *p, size_t n)
{
    (void)p;
    (void)n;
    int *left = ud;
    return (*left)-- > 0 ? 0 : -1;
}

static const char src[] =
    "currency: USD\n"
    "coupons:\n"
    "  - { code: A, name: First, group: g, automatic: true, priority: 3,\n"
    "      when: { payment.method: { matches: \"^c\" } }, discount: { percent: 10 } }\n"
    "  - { code: B, combine: exclusive, discount: { amount: \"1.00\" } }\n";

static const char cart[] =
    "{ \"now\": \"2026-06-01T12:00:00Z\", \"currency\": \"USD\", \"payment\": { \"method\": \"card\" },"
    "  \"codes\": [\"B\", \"say \\\"hi\\\"\\\\\\n\\u0001\"],"
    "  \"items\": [ { \"sku\": \"A\", \"quantity\": 2, \"unit_price\": \"10.00\" } ] }";

static cl_program *compile_ok(const cl_env *env)
{
    cl_error err;
    cl_program *p = cl_compile(env, src, sizeof src - 1, "edges.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    return p;
}

static cl_context *context_ok(const cl_env *env)
{
    cl_context *ctx = cl_context_new(env);
    cl_error err;
    ck_assert_msg(cl_context_parse(ctx, cart, sizeof cart - 1, &err) == CL_OK, "%s",
                  err.message);
    return ctx;
}

/* ------------------------------------------------------------------------
 * Environment, statuses, errors, calendars
 * ------------------------------------------------------------------------ */

START_TEST(test_env_and_statuses)
{
    ck_assert_str_eq(cl_version(), CL_VERSION_STRING);
    cl_env_free(NULL);
    cl_env *env = cl_env_new(NULL, NULL);
    ck_assert_int_eq(cl_env_set_tzdir(NULL, "/usr/share/zoneinfo"), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_tzdir(env, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_tzdir(env, ""), CL_EINVAL);
    /* A directory without zones: every zone is unknown, as an error. */
    ck_assert_int_eq(cl_env_set_tzdir(env, TEST_SRCDIR), CL_OK);
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_set_timezone(ctx, "Europe/Paris"), CL_EZONE);
    cl_context_free(ctx);
    cl_env_free(env);
    for (int i = 0; i < CL_STATUS_COUNT; i++) {
        ck_assert(cl_strerror(i)[0] != '\0');
        ck_assert(cl_status_name(i)[0] != '\0');
    }
    ck_assert_str_eq(cl_strerror(-1), "unknown status");
    ck_assert_str_eq(cl_strerror(CL_STATUS_COUNT), "unknown status");
    ck_assert_str_eq(cl_status_name(CL_STATUS_COUNT), "unknown");
    ck_assert_str_eq(cl_reason_name(-1), "?");
    ck_assert_str_eq(cl_reason_name(CL_R_COUNT), "?");
    ck_assert_str_eq(cl_reason_name(CL_R_WEEKDAY), "WEEKDAY");
    /* Calendars: every name has a source; an unknown one has none. */
    size_t n = 0;
    for (; cl_calendar_name(n) != NULL; n++)
        ck_assert(cl_calendar_source(cl_calendar_name(n)) != NULL);
    ck_assert_uint_ge(n, 5);
    ck_assert(cl_calendar_source("no-such-calendar") == NULL);
}
END_TEST

START_TEST(test_error_format)
{
    cl_error err;
    memset(&err, 0, sizeof err);
    char buf[2048];
    /* No position, no source name. */
    err.code = CL_EIO;
    snprintf(err.message, sizeof err.message, "cannot open x");
    size_t need = cl_error_format(&err, NULL, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "<input>: error[io]: cannot open x");
    ck_assert_uint_eq(need, strlen(buf));
    /* A line but no column: no caret. */
    snprintf(err.source, sizeof err.source, "f.yaml");
    err.line = 2;
    const char text_[] = "a: 1\n\tb: 2\r\nc: 3";
    cl_error_format(&err, text_, sizeof text_ - 1, buf, sizeof buf);
    ck_assert_msg(strstr(buf, "f.yaml:2: error[io]") != NULL && strstr(buf, "    2 | \tb: 2\n") != NULL,
                  "%s", buf);
    /* Line and column: the caret keeps the tab. */
    err.column = 2;
    cl_error_format(&err, text_, sizeof text_ - 1, buf, sizeof buf);
    ck_assert_msg(strstr(buf, "      | \t^") != NULL, "%s", buf);
    /* A line past the end of the source: no source line. */
    err.line = 9;
    cl_error_format(&err, text_, sizeof text_ - 1, buf, sizeof buf);
    ck_assert_msg(strchr(buf, '|') == NULL, "%s", buf);
    /* Lines end at every YAML line break. */
    const char breaks[] = "a\rb\xc2\x85" "c\xe2\x80\xa8" "d\xe2\x80\xa9" "e";
    for (unsigned l = 1; l <= 5; l++) {
        err.line = l;
        err.column = 1;
        cl_error_format(&err, breaks, sizeof breaks - 1, buf, sizeof buf);
        char want[32];
        snprintf(want, sizeof want, "%5u | %c\n", l, "abcde"[l - 1]);
        ck_assert_msg(strstr(buf, want) != NULL, "line %u: %s", l, buf);
    }
    /* A long line is cut; a small buffer still gets the length needed. */
    char longline[400];
    memset(longline, 'x', sizeof longline);
    err.line = 1;
    err.column = 300;
    need = cl_error_format(&err, longline, sizeof longline, buf, sizeof buf);
    char run[202];
    memset(run, 'x', 201);
    run[201] = '\0';
    ck_assert(strstr(buf, run) == NULL && strstr(buf, run + 1) != NULL); /* 200 shown */
    char small[16];
    ck_assert_uint_eq(cl_error_format(&err, longline, sizeof longline, small, sizeof small), need);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_uint_eq(cl_error_format(&err, longline, sizeof longline, NULL, 0), need);
}
END_TEST

/* ------------------------------------------------------------------------
 * Programs
 * ------------------------------------------------------------------------ */

START_TEST(test_programs)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    ck_assert(cl_compile(NULL, src, sizeof src - 1, NULL, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert(cl_compile(env, NULL, 5, NULL, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert_str_eq(err.source, "<input>");
    cl_program *empty = cl_compile(env, NULL, 0, NULL, &err);
    ck_assert(empty != NULL);
    ck_assert_uint_eq(cl_program_count(empty), 0);
    ck_assert_int_eq(cl_program_find(empty, "A"), -1);
    ck_assert(cl_compile_file(NULL, "x", &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert(cl_compile_file(env, NULL, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    /* A directory opens but cannot be read. */
    ck_assert(cl_compile_file(env, TEST_SRCDIR "/tests", &err) == NULL);
    ck_assert_int_eq(err.code, CL_EIO);
    /* err may be NULL, on success and on failure. */
    cl_program *noerr = cl_compile(env, src, sizeof src - 1, NULL, NULL);
    ck_assert(noerr != NULL);
    cl_program_free(noerr);
    ck_assert(cl_compile(env, "code: [", 7, NULL, NULL) == NULL);

    cl_program *p = compile_ok(env);
    ck_assert_uint_eq(cl_program_count(NULL), 0);
    ck_assert_int_eq(cl_program_find(NULL, "A"), -1);
    ck_assert_int_eq(cl_program_find(p, NULL), -1);
    ck_assert_int_eq(cl_program_find(p, "a"), 0);
    ck_assert_int_eq(cl_program_find(p, "C"), -1);
    ck_assert_str_eq(cl_program_name(p, 0), "First");
    ck_assert_str_eq(cl_program_name(p, 1), "");
    ck_assert_str_eq(cl_program_group(p, 0), "g");
    ck_assert_str_eq(cl_program_group(p, 1), "");
    ck_assert_str_eq(cl_program_currency(p, 0), "USD");
    ck_assert(cl_program_exclusive(p, 1) && !cl_program_exclusive(p, 0));
    ck_assert(cl_program_automatic(p, 0) && !cl_program_automatic(p, 1));
    ck_assert_int_eq(cl_program_priority(p, 0), 3);
    ck_assert(cl_program_code(p, 2) == NULL && cl_program_name(p, 2) == NULL &&
              cl_program_group(p, 2) == NULL && cl_program_currency(p, 2) == NULL);
    ck_assert(!cl_program_automatic(p, 2) && !cl_program_exclusive(p, 2));
    ck_assert_int_eq(cl_program_priority(p, 2), 0);
    ck_assert(cl_program_code(NULL, 0) == NULL);
    /* Writers: NULL, and one that fails at once or later. */
    ck_assert_int_eq(cl_program_disasm(NULL, failing_write, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_program_disasm(p, NULL, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_program_save(NULL, failing_write, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_program_save(p, NULL, NULL), CL_EINVAL);
    for (int k = 0; k < 3; k++) {
        int left = k;
        ck_assert_int_eq(cl_program_disasm(p, failing_write, &left), CL_EIO);
        left = 0;
        ck_assert_int_eq(cl_program_save(p, failing_write, &left), CL_EIO);
    }
    /* Loading: NULL, too short, not saved. */
    ck_assert(cl_program_load(NULL, "x", 1, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert(cl_program_load(env, NULL, 1, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert(cl_program_load(env, NULL, 0, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EFORMAT);
    ck_assert(!cl_program_is_saved(NULL, 0));
    ck_assert(!cl_program_is_saved("\x89" "CL", 3));
    ck_assert(cl_program_load(env, src, sizeof src - 1, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EFORMAT);
    /* Linking: NULL env, a NULL program, nothing, and an empty program. */
    const cl_program *two[2] = {p, NULL};
    ck_assert(cl_program_link(NULL, two, 1, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert(cl_program_link(env, NULL, 1, &err) == NULL);
    ck_assert(cl_program_link(env, two, 2, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    cl_program *none = cl_program_link(env, NULL, 0, &err);
    ck_assert(none != NULL);
    ck_assert_uint_eq(cl_program_count(none), 0);
    two[1] = empty;
    cl_program *l = cl_program_link(env, two, 2, &err);
    ck_assert(l != NULL);
    ck_assert_uint_eq(cl_program_count(l), 2);
    cl_program_free(l);
    cl_program_free(none);
    cl_program_free(empty);
    cl_program_free(p);
    cl_program_free(NULL);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Contexts
 * ------------------------------------------------------------------------ */

START_TEST(test_contexts)
{
    cl_env *env = cl_env_new(NULL, NULL);
    ck_assert(cl_context_new(NULL) == NULL);
    cl_context_free(NULL);
    cl_context_clear(NULL);
    ck_assert_int_eq(cl_context_parse(NULL, "{}", 2, NULL), CL_EINVAL);
    cl_context *ctx = cl_context_new(env);
    cl_error err;
    ck_assert_int_eq(cl_context_parse(ctx, NULL, 3, &err), CL_EINVAL);
    ck_assert_int_eq(cl_context_parse(ctx, NULL, 0, &err), CL_ESYNTAX);
    ck_assert_int_eq(cl_context_set_now(NULL, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_timezone(NULL, "UTC"), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_timezone(ctx, "No/Such_Zone"), CL_EZONE);
    ck_assert_int_eq(cl_context_set_timezone(ctx, "UTC"), CL_OK);
    ck_assert_int_eq(cl_context_set_timezone(ctx, NULL), CL_OK);
    ck_assert_int_eq(cl_context_set_currency(NULL, "USD"), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_currency(ctx, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_currency(ctx, "usd"), CL_ECURRENCY);
    ck_assert_int_eq(cl_context_set_currency(ctx, "USDX"), CL_ECURRENCY);
    /* Fields of the wrong type, and values out of range. */
    ck_assert_int_eq(cl_context_set_string(NULL, CL_FIELD_USER_ID, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_ORDER_SERIAL, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_COUNT, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_USER_ID, NULL), CL_OK);
    ck_assert_int_eq(cl_context_set_int(NULL, CL_FIELD_ORDER_SERIAL, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_USER_ID, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_ORDER_SERIAL, -1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_ORDER_SEQUENCE, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_amount(NULL, CL_FIELD_SHIPPING_AMOUNT, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_amount(ctx, CL_FIELD_USER_ID, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, -1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(NULL, CL_FIELD_USER_BIRTHDAY, 1990, 1, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_ID, 1990, 1, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1990, 2, 29), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1990, 13, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1990, 0, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1990, 1, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 200000, 1, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_SIGNUP_DATE, 2024, 2, 29), CL_OK);
    /* Unset, every kind of field. */
    static const cl_field all[] = {
        CL_FIELD_USER_ID, CL_FIELD_USER_EMAIL, CL_FIELD_USER_BIRTHDAY, CL_FIELD_USER_SIGNUP_DATE,
        CL_FIELD_USER_ORDERS_COMPLETED, CL_FIELD_ORDER_NUMBER, CL_FIELD_ORDER_SERIAL,
        CL_FIELD_ORDER_SEQUENCE, CL_FIELD_PAYMENT_METHOD, CL_FIELD_SHIPPING_AMOUNT,
    };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        ck_assert_int_eq(cl_context_unset(ctx, all[i]), CL_OK);
    ck_assert_int_eq(cl_context_unset(ctx, CL_FIELD_COUNT), CL_EINVAL);
    ck_assert_int_eq(cl_context_unset(NULL, CL_FIELD_USER_ID), CL_EINVAL);
    /* Lists and lines. */
    ck_assert_int_eq(cl_context_add_code(NULL, "A"), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_code(ctx, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_user_tag(NULL, "A"), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_user_tag(ctx, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(NULL, "A", 1, 1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(ctx, NULL, 1, 1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(ctx, "A", 0, 1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(ctx, "A", 1, -1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(ctx, "A", INT64_MAX, 2, NULL), CL_EOVERFLOW);
    ck_assert_int_eq(cl_context_add_item(ctx, "A", 1, INT64_MAX, NULL), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "B", 1, 1, NULL), CL_EOVERFLOW); /* the subtotal */
    ck_assert_uint_eq(cl_context_item_count(ctx), 1);
    ck_assert_uint_eq(cl_context_item_count(NULL), 0);
    ck_assert_int_eq(cl_context_item_add_category(NULL, 0, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_add_category(ctx, 1, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_add_category(ctx, 0, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_add_tag(NULL, 0, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, 1, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, 0, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_set_on_sale(NULL, 0, true), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_set_on_sale(ctx, 1, true), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(NULL, "A", 0, 0, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(ctx, NULL, 0, 0, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(ctx, "A", -1, 0, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(ctx, "A", 0, -1, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(ctx, "A", 0, 0, -1), CL_EINVAL);
    cl_context_clear(ctx);
    ck_assert_uint_eq(cl_context_item_count(ctx), 0);
    /* A context larger than one arena block, parsed twice into the same
     * object: the second parse reuses the memory of the first. */
    text big = {NULL, 0, 0};
    const char head[] = "{ \"now\": \"2026-06-01T12:00:00Z\", \"currency\": \"USD\", \"items\": [";
    text_write(&big, head, sizeof head - 1);
    for (int i = 0; i < 600; i++) {
        char line[200];
        int k = snprintf(line, sizeof line, "%s{ \"sku\": \"SKU-%04d\", \"quantity\": 1, "
                         "\"unit_price\": \"1.00\", \"categories\": [\"c/%d\"] }",
                         i ? ", " : "", i, i % 7);
        text_write(&big, line, (size_t)k);
    }
    text_write(&big, "] }", 3);
    for (int round = 0; round < 2; round++) {
        ck_assert_int_eq(cl_context_parse(ctx, big.p, big.n, &err), CL_OK);
        ck_assert_uint_eq(cl_context_item_count(ctx), 600);
    }
    free(big.p);
    cl_context_free(ctx);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Evaluation and results
 * ------------------------------------------------------------------------ */

START_TEST(test_evaluation)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_program *p = compile_ok(env);
    cl_context *ctx = context_ok(env);
    ck_assert(cl_vm_new(NULL) == NULL);
    cl_vm_free(NULL);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    cl_error err;
    ck_assert_int_eq(cl_vm_eval(NULL, p, ctx, 0, &r, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_eval(vm, NULL, ctx, 0, &r, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_eval(vm, p, NULL, 0, &r, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_best(NULL, p, ctx, &r, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_best_flags(NULL, p, ctx, 0, &r, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_best(vm, p, NULL, &r, &err), CL_EINVAL);
    ck_assert_int_eq(cl_vm_eval_some(NULL, p, ctx, NULL, 0, 0, &r, &err), CL_EINVAL);
    size_t bad = 2;
    ck_assert_int_eq(cl_vm_eval_some(vm, p, ctx, &bad, 1, 0, &r, &err), CL_ERANGE);
    ck_assert_msg(strstr(err.message, "no coupon 2") != NULL, "%s", err.message);
    /* A context without now or currency cannot be evaluated. */
    cl_context *blank = cl_context_new(env);
    ck_assert_int_eq(cl_vm_eval(vm, p, blank, 0, &r, &err), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_now(blank, 0), CL_OK);
    ck_assert_int_eq(cl_vm_best(vm, p, blank, &r, &err), CL_EINVAL);
    cl_context_free(blank);
    /* NULL indexes: the first n coupons; out may be NULL. */
    ck_assert_int_eq(cl_vm_eval_some(vm, p, ctx, NULL, 2, 0, NULL, &err), CL_OK);
    ck_assert_int_eq(cl_vm_eval_some(vm, p, ctx, NULL, 2, 0, &r, NULL), CL_OK);
    ck_assert_uint_eq(cl_result_count(r), 2);
    ck_assert_int_eq(cl_result_coupon(r, 1), 1);
    ck_assert_int_eq(cl_result_coupon(r, 2), -1);
    /* The best choice, with an unknown code whose text needs escaping. */
    ck_assert_int_eq(cl_vm_best(vm, p, ctx, &r, &err), CL_OK);
    ck_assert_str_eq(cl_result_currency(r), "USD");
    ck_assert_uint_eq(cl_result_count(r), 1);
    ck_assert_uint_eq(cl_result_rejected_count(r), 2);
    size_t unknown = cl_result_count(r) + 1;
    ck_assert_int_eq(cl_result_coupon(r, unknown), -1);
    ck_assert_int_eq(cl_result_reason(r, unknown, 0), CL_R_UNKNOWN_CODE);
    ck_assert_uint_eq(cl_result_reason_line(r, unknown, 0), 0);
    text json = {NULL, 0, 0};
    ck_assert_int_eq(cl_result_write_json(r, text_write, &json), CL_OK);
    ck_assert_msg(strstr(json.p, "\"code\": \"say \\\"hi\\\"\\\\\\n\\u0001\"") != NULL, "%s",
                  json.p);
    free(json.p);
    for (int k = 0; k < 4; k++) {
        int left = k;
        ck_assert_int_eq(cl_result_write_json(r, failing_write, &left), CL_EIO);
    }
    ck_assert_int_eq(cl_result_write_json(NULL, text_write, &json), CL_EINVAL);
    ck_assert_int_eq(cl_result_write_json(r, NULL, NULL), CL_EINVAL);
    /* Accessors out of range. */
    size_t index;
    int64_t d;
    ck_assert(cl_result_currency(NULL) == NULL || cl_result_currency(NULL)[0] == '\0');
    ck_assert_uint_eq(cl_result_count(NULL), 0);
    ck_assert_uint_eq(cl_result_rejected_count(NULL), 0);
    ck_assert(cl_result_code(r, 99) == NULL);
    ck_assert(!cl_result_applicable(r, 99));
    ck_assert_int_eq(cl_result_discount(r, 99), 0);
    ck_assert_int_eq(cl_result_shipping_discount(r, 99), 0);
    ck_assert_uint_eq(cl_result_line_count(r, 99), 0);
    ck_assert_int_eq(cl_result_line(r, 0, 99, &index, &d), CL_ERANGE);
    ck_assert_int_eq(cl_result_line(r, 99, 0, &index, &d), CL_ERANGE);
    ck_assert_uint_eq(cl_result_reason_count(r, 99), 0);
    ck_assert_int_eq(cl_result_reason(r, 0, 99), -1);
    ck_assert(cl_result_reason_message(r, 0, 99) == NULL);
    ck_assert_uint_eq(cl_result_reason_line(r, 0, 99), 0);
    ck_assert_int_eq(cl_result_total(r, (cl_total)99), 0);
    ck_assert_int_eq(cl_result_total(NULL, CL_TOTAL_TOTAL), 0);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_env_free(env);
}
END_TEST

/* A subject that is not valid UTF-8 (only the setters can give one) does
 * not match a regex, and is no error. */
START_TEST(test_regex_bad_utf8)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_program *p = compile_ok(env);
    cl_context *ctx = context_ok(env);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_PAYMENT_METHOD, "c\xff\xfe"), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, NULL), CL_OK);
    ck_assert(!cl_result_applicable(r, 0));
    ck_assert_int_eq(cl_result_reason(r, 0, 0), CL_R_PAYMENT);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Campaign codes
 * ------------------------------------------------------------------------ */

START_TEST(test_codes)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    text out = {NULL, 0, 0};
    ck_assert_int_eq(cl_codes_generate(NULL, NULL, 1, text_write, &out, &err), CL_EINVAL);
    ck_assert_int_eq(cl_codes_generate(env, NULL, 1, NULL, NULL, &err), CL_EINVAL);
    cl_code_spec one = {4, NULL, "A", false};
    ck_assert_int_eq(cl_codes_generate(env, &one, 1, text_write, &out, &err), CL_EINVAL);
    cl_code_spec twice = {4, NULL, "ABA", false};
    ck_assert_int_eq(cl_codes_generate(env, &twice, 1, text_write, &out, &err), CL_EINVAL);
    cl_code_spec blank = {4, NULL, "A B", false};
    ck_assert_int_eq(cl_codes_generate(env, &blank, 1, text_write, &out, &err), CL_EINVAL);
    cl_code_spec longer = {65, NULL, NULL, false};
    ck_assert_int_eq(cl_codes_generate(env, &longer, 1, text_write, &out, &err), CL_EINVAL);
    char prefix[200];
    memset(prefix, 'P', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    cl_code_spec pre = {4, prefix, NULL, false};
    ck_assert_int_eq(cl_codes_generate(env, &pre, 1, text_write, &out, &err), CL_EINVAL);
    cl_code_spec tiny = {1, NULL, "AB", false};
    ck_assert_int_eq(cl_codes_generate(env, &tiny, 2, text_write, &out, &err), CL_EINVAL);
    ck_assert_uint_eq(out.n, 0);
    /* The smallest space, many times: both codes come up. */
    bool seen[2] = {false, false};
    for (int i = 0; i < 64; i++) {
        out.n = 0;
        ck_assert_int_eq(cl_codes_generate(env, &tiny, 1, text_write, &out, &err), CL_OK);
        ck_assert_uint_eq(out.n, 2);
        seen[out.p[0] == 'B'] = true;
    }
    ck_assert(seen[0] && seen[1]);
    /* A writer that fails, at once and after the first buffer. */
    int left = 0;
    ck_assert_int_eq(cl_codes_generate(env, NULL, 10, failing_write, &left, &err), CL_EIO);
    left = 1;
    ck_assert_int_eq(cl_codes_generate(env, NULL, 20000, failing_write, &left, &err), CL_EIO);
    /* Validity. */
    cl_code_spec spec = {6, "SUMMER-", NULL, true};
    out.n = 0;
    ck_assert_int_eq(cl_codes_generate(env, &spec, 1, text_write, &out, &err), CL_OK);
    out.p[out.n - 1] = '\0';
    ck_assert(cl_code_valid(&spec, out.p));
    ck_assert(cl_code_valid(NULL, "23456789AB"));
    ck_assert(!cl_code_valid(&spec, NULL));
    ck_assert(!cl_code_valid(&spec, out.p + 1));                 /* no prefix */
    char wrong[64];
    snprintf(wrong, sizeof wrong, "%sX", out.p);                 /* too long */
    ck_assert(!cl_code_valid(&spec, wrong));
    snprintf(wrong, sizeof wrong, "%s", out.p);
    wrong[7] = '0';                                              /* not in the alphabet */
    ck_assert(!cl_code_valid(&spec, wrong));
    snprintf(wrong, sizeof wrong, "%s", out.p);
    size_t last = strlen(wrong) - 1;
    wrong[last] = wrong[last] == '2' ? '3' : '2';                /* a wrong check character */
    ck_assert(!cl_code_valid(&spec, wrong));
    ck_assert(!cl_code_valid(&one, "A"));                        /* a bad spec */
    free(out.p);
    cl_env_free(env);
}
END_TEST

/* An order-level discount spread over more lines than the small-cart path
 * takes (SPEC section 2: floors, then one unit each to the largest
 * remainders; ties to the larger line amount, then the lower index),
 * against a reference written from the rule. */
START_TEST(test_allocation_many_lines)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    static const char one[] = "{ code: A, currency: USD, discount: { amount: \"9.99\" } }";
    cl_program *p = cl_compile(env, one, sizeof one - 1, "alloc.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    for (int round = 0; round < 6; round++) {
        cl_context *ctx = cl_context_new(env);
        ck_assert_int_eq(cl_context_set_now(ctx, 1780315200), CL_OK);
        ck_assert_int_eq(cl_context_set_currency(ctx, "USD"), CL_OK);
        enum { N = 150 };
        int64_t amount[N], sum = 0;
        uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(round + 1);
        int lines = 65 + round * 17;
        for (int i = 0; i < lines; i++) {
            x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
            /* prices that repeat, so that remainders tie */
            int64_t price = 100 + (int64_t)((x * 2685821657736338717ull) % (round % 2 ? 7 : 400)) * 13;
            char sku[16];
            snprintf(sku, sizeof sku, "S%d", i);
            ck_assert_int_eq(cl_context_add_item(ctx, sku, 1, price, NULL), CL_OK);
            amount[i] = price;
            sum += price;
        }
        /* The reference. */
        int64_t D = 999, share[N], rem[N], left = D;
        for (int i = 0; i < lines; i++) {
            share[i] = D * amount[i] / sum;
            rem[i] = D * amount[i] % sum;
            left -= share[i];
        }
        bool given[N] = {false};
        for (; left > 0; left--) {
            int best = -1;
            for (int i = 0; i < lines; i++)
                if (!given[i] && (best < 0 || rem[i] > rem[best] ||
                                  (rem[i] == rem[best] && amount[i] > amount[best])))
                    best = i;
            given[best] = true;
            share[best]++;
        }
        cl_vm *vm = cl_vm_new(env);
        const cl_result *r;
        ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, &err), CL_OK);
        ck_assert_int_eq(cl_result_discount(r, 0), D);
        int64_t got[N] = {0}, total = 0;
        for (size_t j = 0; j < cl_result_line_count(r, 0); j++) {
            size_t index;
            int64_t d;
            ck_assert_int_eq(cl_result_line(r, 0, j, &index, &d), CL_OK);
            got[index] = d;
            total += d;
        }
        ck_assert_int_eq(total, D);
        for (int i = 0; i < lines; i++)
            ck_assert_msg(got[i] == share[i], "round %d line %d: %lld, expected %lld", round, i,
                          (long long)got[i], (long long)share[i]);
        cl_vm_free(vm);
        cl_context_free(ctx);
    }
    cl_program_free(p);
    cl_env_free(env);
}
END_TEST

static Suite *edges_suite(void)
{
    Suite *s = suite_create("edges");
    TCase *tc = tcase_create("edges");
    tcase_add_test(tc, test_env_and_statuses);
    tcase_add_test(tc, test_error_format);
    tcase_add_test(tc, test_programs);
    tcase_add_test(tc, test_contexts);
    tcase_add_test(tc, test_evaluation);
    tcase_add_test(tc, test_regex_bad_utf8);
    tcase_add_test(tc, test_codes);
    tcase_add_test(tc, test_allocation_many_lines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(edges_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
