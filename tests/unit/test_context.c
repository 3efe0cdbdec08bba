/*
 * test_context.c - unit tests of context.c and context_parse.c: the C
 * setters (every field, every refusal, the limits) and the JSON of SPEC 3
 * (every field, every error with its line, column and path, null, limits),
 * and parsing while allocations fail. Time zones are tested with tz.
 */
#include "context.h"
#include "oomalloc.h"
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>

static test_alloc A;
static cl_env *env;
static cl_context *ctx;
static cl_error err;

static void setup(void)
{
    memset(&A, 0, sizeof A);
    env = cl_env_new(test_alloc_fn, &A);
    ctx = cl_context_new(env);
    ck_assert_ptr_nonnull(ctx);
}

static void teardown(void)
{
    cl_context_free(ctx);
    cl_env_free(env);
    ck_assert_uint_eq(A.live_blocks, 0);
    ck_assert_int_eq(A.bad, 0);
}

static const char *str_of(int field)
{
    return ctx->str[field].p;
}

/* ------------------------------------------------------------------------
 * Setters
 * ------------------------------------------------------------------------ */

START_TEST(test_new_and_clear)
{
    ck_assert_ptr_null(cl_context_new(NULL));
    cl_context_free(NULL);
    cl_context_clear(NULL);
    ck_assert(!ctx->has_now);
    ck_assert_int_eq(ctx->exponent, -1);
    ck_assert_uint_eq(cl_context_item_count(ctx), 0);
    ck_assert_uint_eq(cl_context_item_count(NULL), 0);
    cl_context_set_now(ctx, 5);
    cl_context_set_currency(ctx, "JPY");
    cl_context_set_string(ctx, CL_FIELD_USER_ID, "u");
    cl_context_add_item(ctx, "A", 2, 100, NULL);
    cl_context_add_code(ctx, "X");
    cl_context_set_usage(ctx, "X", 1, 1, 1);
    cl_context_clear(ctx);
    ck_assert(!ctx->has_now);
    ck_assert_int_eq(ctx->exponent, -1);
    ck_assert_str_eq(ctx->currency, "");
    ck_assert_ptr_null(str_of(FLD_USER_ID));
    ck_assert_ptr_null(str_of(FLD_CURRENCY));
    ck_assert_uint_eq(cl_context_item_count(ctx), 0);
    ck_assert_uint_eq(ctx->codes.n + ctx->usage.n, 0);
    ck_assert_int_eq(ctx->subtotal + ctx->quantity, 0);
    /* cleared memory is reused: filling it again asks for no new blocks */
    cl_context_add_item(ctx, "A", 2, 100, NULL);
    cl_context_clear(ctx);
    long asked = A.total;
    cl_context_add_item(ctx, "B", 1, 1, NULL);
    cl_context_set_string(ctx, CL_FIELD_USER_ID, "v");
    ck_assert_int_eq(A.total, asked);
}
END_TEST

START_TEST(test_scalar_setters)
{
    static const struct {
        cl_field field;
        int internal;
    } strings[] = {
        {CL_FIELD_USER_ID, FLD_USER_ID},                 {CL_FIELD_USER_EMAIL, FLD_USER_EMAIL},
        {CL_FIELD_ORDER_NUMBER, FLD_ORDER_NUMBER},       {CL_FIELD_PAYMENT_METHOD, FLD_PAYMENT_METHOD},
        {CL_FIELD_PAYMENT_NETWORK, FLD_PAYMENT_NETWORK}, {CL_FIELD_PAYMENT_BIN, FLD_PAYMENT_BIN},
        {CL_FIELD_PAYMENT_WALLET, FLD_PAYMENT_WALLET},   {CL_FIELD_SHIPPING_METHOD, FLD_SHIPPING_METHOD},
        {CL_FIELD_SHIPPING_COUNTRY, FLD_SHIPPING_COUNTRY},
    };
    for (size_t i = 0; i < CL_COUNTOF(strings); i++) {
        char value[32];
        snprintf(value, sizeof value, "value-%zu", i);
        ck_assert_int_eq(cl_context_set_string(ctx, strings[i].field, value), CL_OK);
        value[0] = 'X'; /* copied */
        ck_assert_msg(strncmp(str_of(strings[i].internal), "value-", 6) == 0, "field %zu", i);
        ck_assert_int_eq(cl_context_set_int(ctx, strings[i].field, 1), CL_EINVAL);
        ck_assert_int_eq(cl_context_set_amount(ctx, strings[i].field, 1), CL_EINVAL);
        ck_assert_int_eq(cl_context_set_date(ctx, strings[i].field, 2000, 1, 1), CL_EINVAL);
        ck_assert_int_eq(cl_context_set_string(ctx, strings[i].field, NULL), CL_OK);
        ck_assert_ptr_null(str_of(strings[i].internal));
        cl_context_set_string(ctx, strings[i].field, "again");
        ck_assert_int_eq(cl_context_unset(ctx, strings[i].field), CL_OK);
        ck_assert_ptr_null(str_of(strings[i].internal));
    }
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_USER_ID, ""), CL_OK);
    ck_assert_str_eq(str_of(FLD_USER_ID), ""); /* empty is present, not absent */
    /* integers */
    int64_t v;
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_ORDER_SERIAL, 0), CL_OK);
    ck_assert(clX_int(ctx, FLD_ORDER_SERIAL, &v) && v == 0);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_ORDER_SERIAL, -1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_ORDER_SEQUENCE, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_ORDER_SEQUENCE, 1), CL_OK);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, INT64_MAX), CL_OK);
    ck_assert_int_eq(cl_context_set_int(ctx, CL_FIELD_USER_ID, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_ORDER_SERIAL, "1"), CL_EINVAL);
    ck_assert(clX_int(ctx, FLD_ORDER_SEQUENCE, &v) && v == 1);
    cl_context_unset(ctx, CL_FIELD_ORDER_SEQUENCE);
    ck_assert(!clX_int(ctx, FLD_ORDER_SEQUENCE, &v)); /* orders_completed is INT64_MAX */
    cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, 4);
    ck_assert(clX_int(ctx, FLD_ORDER_SEQUENCE, &v) && v == 5);
    cl_context_unset(ctx, CL_FIELD_USER_ORDERS_COMPLETED);
    ck_assert(!clX_int(ctx, FLD_ORDER_SEQUENCE, &v));
    /* the shipping amount */
    ck_assert_int_eq(cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, 499), CL_OK);
    ck_assert(ctx->has_shipping && ctx->shipping == 499);
    ck_assert_int_eq(cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, -1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_amount(ctx, CL_FIELD_ORDER_SERIAL, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_unset(ctx, CL_FIELD_SHIPPING_AMOUNT), CL_OK);
    ck_assert(!ctx->has_shipping);
    /* dates */
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1992, 2, 29), CL_OK);
    ck_assert(ctx->has_birthday);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1993, 2, 29), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 2000, 13, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 2000, 4, 31), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 2000, 1, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_USER_SIGNUP_DATE, 2024, 3, 1), CL_OK);
    ck_assert(ctx->has_signup);
    ck_assert_int_eq(cl_context_set_date(ctx, CL_FIELD_ORDER_NUMBER, 2024, 3, 1), CL_EINVAL);
    cl_context_unset(ctx, CL_FIELD_USER_BIRTHDAY);
    cl_context_unset(ctx, CL_FIELD_USER_SIGNUP_DATE);
    ck_assert(!ctx->has_birthday && !ctx->has_signup);
    ck_assert_int_eq(cl_context_unset(ctx, CL_FIELD_COUNT), CL_EINVAL);
    ck_assert_int_eq(cl_context_unset(NULL, CL_FIELD_USER_ID), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_string(NULL, CL_FIELD_USER_ID, "x"), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_COUNT, "x"), CL_EINVAL);
}
END_TEST

START_TEST(test_now_and_currency)
{
    ck_assert_int_eq(cl_context_set_now(ctx, -5), CL_OK);
    ck_assert(ctx->has_now && ctx->now == -5);
    ck_assert_int_eq(cl_context_set_now(NULL, 1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_currency(ctx, "KWD"), CL_OK);
    ck_assert_str_eq(ctx->currency, "KWD");
    ck_assert_int_eq(ctx->exponent, 3);
    ck_assert_str_eq(str_of(FLD_CURRENCY), "KWD"); /* the `currency` condition reads it */
    ck_assert_int_eq(cl_context_set_currency(ctx, "kwd"), CL_ECURRENCY);
    ck_assert_int_eq(cl_context_set_currency(ctx, "XYZ"), CL_ECURRENCY);
    ck_assert_int_eq(cl_context_set_currency(ctx, "USDX"), CL_ECURRENCY);
    ck_assert_int_eq(cl_context_set_currency(ctx, ""), CL_ECURRENCY);
    ck_assert_int_eq(cl_context_set_currency(ctx, NULL), CL_EINVAL);
    ck_assert_str_eq(ctx->currency, "KWD");
}
END_TEST

START_TEST(test_lists_and_items)
{
    ck_assert_int_eq(cl_context_add_code(ctx, "SAVE"), CL_OK);
    ck_assert_int_eq(cl_context_add_code(ctx, NULL), CL_EINVAL);
    ck_assert(clX_entered(ctx, "save", 4));
    ck_assert(!clX_entered(ctx, "sav", 3));
    for (int i = 0; i < 20; i++)
        ck_assert_int_eq(cl_context_add_user_tag(ctx, "t"), CL_OK); /* lists grow */
    ck_assert_uint_eq(ctx->user_tags.n, 20);
    ck_assert_int_eq(cl_context_add_user_tag(NULL, "t"), CL_EINVAL);
    size_t i0, i1;
    ck_assert_int_eq(cl_context_add_item(ctx, "A", 3, 250, &i0), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "B", 1, 0, &i1), CL_OK); /* free items are fine */
    ck_assert_uint_eq(i0, 0);
    ck_assert_uint_eq(i1, 1);
    ck_assert_int_eq(ctx->items.v[0].amount, 750);
    ck_assert_int_eq(ctx->subtotal, 750);
    ck_assert_int_eq(ctx->quantity, 4);
    ck_assert_int_eq(cl_context_add_item(ctx, "C", 0, 1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(ctx, "C", -1, 1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(ctx, "C", 1, -1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(ctx, NULL, 1, 1, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_context_add_item(NULL, "C", 1, 1, NULL), CL_EINVAL);
    /* overflow of quantity x price, of the subtotal, of the quantity */
    ck_assert_int_eq(cl_context_add_item(ctx, "C", 2, INT64_MAX / 2 + 1, NULL), CL_EOVERFLOW);
    ck_assert_int_eq(cl_context_add_item(ctx, "C", 1, INT64_MAX - 100, NULL), CL_EOVERFLOW);
    ck_assert_int_eq(cl_context_add_item(ctx, "C", INT64_MAX - 1, 0, NULL), CL_EOVERFLOW);
    ck_assert_uint_eq(cl_context_item_count(ctx), 2);
    ck_assert_int_eq(ctx->subtotal, 750); /* untouched by the refusals */
    ck_assert_int_eq(cl_context_item_add_category(ctx, 0, "a/b"), CL_OK);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, 1, "x"), CL_OK);
    ck_assert_int_eq(cl_context_item_set_on_sale(ctx, 1, true), CL_OK);
    ck_assert_int_eq(cl_context_item_add_category(ctx, 2, "a"), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, 2, "a"), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_set_on_sale(ctx, 2, true), CL_EINVAL);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, 0, NULL), CL_EINVAL);
    ck_assert_str_eq(ctx->items.v[0].categories.v[0].p, "a/b");
    ck_assert(ctx->items.v[1].on_sale);
    /* usage: one record per code, ignoring case */
    ck_assert_int_eq(cl_context_set_usage(ctx, "Save", 1, 2, 3), CL_OK);
    ck_assert_int_eq(cl_context_set_usage(ctx, "SAVE", 4, 5, 6), CL_OK);
    ck_assert_uint_eq(ctx->usage.n, 1);
    const clX_usage *u = clX_usage_of(ctx, "save", 4);
    ck_assert(u != NULL && u->total == 4 && u->user == 5 && u->spent == 6);
    ck_assert_ptr_null(clX_usage_of(ctx, "other", 5));
    ck_assert_int_eq(cl_context_set_usage(ctx, "X", -1, 0, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(ctx, "X", 0, -1, 0), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(ctx, "X", 0, 0, -1), CL_EINVAL);
    ck_assert_int_eq(cl_context_set_usage(ctx, NULL, 0, 0, 0), CL_EINVAL);
}
END_TEST

START_TEST(test_setter_limits)
{
    cl_env_set_limit(env, CL_LIMIT_ITEMS, 2);
    cl_env_set_limit(env, CL_LIMIT_LIST, 3);
    cl_env_set_limit(env, CL_LIMIT_STRING, 5);
    ck_assert_int_eq(cl_context_add_item(ctx, "A", 1, 1, NULL), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "B", 1, 1, NULL), CL_OK);
    ck_assert_int_eq(cl_context_add_item(ctx, "C", 1, 1, NULL), CL_ELIMIT);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cl_context_add_code(ctx, "X"), CL_OK);
    ck_assert_int_eq(cl_context_add_code(ctx, "X"), CL_ELIMIT);
    ck_assert_int_eq(cl_context_item_add_tag(ctx, 0, "abcde"), CL_OK);
    /* a string over the limit is refused as such, not as out of memory */
    ck_assert_int_eq(cl_context_item_add_tag(ctx, 0, "abcdef"), CL_ELIMIT);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_USER_ID, "abcdef"), CL_ELIMIT);
    ck_assert_int_eq(cl_context_set_usage(ctx, "abcdef", 0, 0, 0), CL_ELIMIT);
    cl_context_clear(ctx);
    ck_assert_int_eq(cl_context_add_item(ctx, "abcdef", 1, 1, NULL), CL_ELIMIT);
    ck_assert_uint_eq(cl_context_item_count(ctx), 0);
    ck_assert_int_eq(ctx->subtotal, 0);
    /* out of memory */
    test_alloc_fail_at(&A, 1);
    cl_context *c = cl_context_new(env);
    test_alloc_fail_at(&A, 0);
    ck_assert_ptr_null(c);
}
END_TEST

/* ------------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------------ */

static const char full[] =
    "{\n"
    "  \"now\": \"2026-11-28T15:30:00Z\",\n"
    "  \"currency\": \"USD\",\n"
    "  \"codes\": [\"WEEKEND10\", \"x\"],\n"
    "  \"user\": {\n"
    "    \"id\": \"u-42\", \"email\": \"ann@example.com\", \"tags\": [\"vip\"],\n"
    "    \"birthday\": \"1990-11-28\", \"signup_date\": \"2024-03-01\",\n"
    "    \"orders_completed\": 9\n"
    "  },\n"
    "  \"order\":   { \"number\": \"ORD-000123\", \"serial\": 123, \"sequence\": 10 },\n"
    "  \"payment\": { \"method\": \"card\", \"network\": \"visa\", \"bin\": \"411111\", \"wallet\": \"apple_pay\" },\n"
    "  \"shipping\":{ \"method\": \"standard\", \"country\": \"US\", \"amount\": \"4.99\" },\n"
    "  \"items\": [\n"
    "    { \"sku\": \"TV-55\", \"quantity\": 1, \"unit_price\": \"499.99\",\n"
    "      \"categories\": [\"electronics/tv\"], \"tags\": [\"4k\"], \"on_sale\": false, \"name\": \"A TV\" },\n"
    "    { \"sku\": \"HDMI\", \"quantity\": \"3\", \"unit_price\": 5, \"categories\": \"cables\","
    " \"tags\": \"x\", \"on_sale\": true }\n"
    "  ],\n"
    "  \"usage\": { \"WELCOME10\": { \"total\": 152, \"user\": 0, \"spent\": \"1520.00\" }, \"B\": {} }\n"
    "}\n";

START_TEST(test_parse_everything)
{
    ck_assert_int_eq(cl_context_parse(ctx, full, sizeof full - 1, &err), CL_OK);
    ck_assert_int_eq(err.code, CL_OK);
    ck_assert(ctx->has_now);
    ck_assert_int_eq(ctx->now, 1795879800);
    ck_assert_str_eq(ctx->currency, "USD");
    ck_assert_uint_eq(ctx->codes.n, 2);
    ck_assert_str_eq(ctx->codes.v[0].p, "WEEKEND10");
    ck_assert_str_eq(str_of(FLD_USER_ID), "u-42");
    ck_assert_str_eq(str_of(FLD_USER_EMAIL), "ann@example.com");
    ck_assert_uint_eq(ctx->user_tags.n, 1);
    ck_assert(ctx->has_birthday && ctx->has_signup);
    int64_t v;
    ck_assert(clX_int(ctx, FLD_USER_ORDERS, &v) && v == 9);
    ck_assert(clX_int(ctx, FLD_ORDER_SEQUENCE, &v) && v == 10);
    ck_assert(clX_int(ctx, FLD_ORDER_SERIAL, &v) && v == 123);
    ck_assert(clX_int(ctx, FLD_CART_QUANTITY, &v) && v == 4);
    ck_assert_str_eq(str_of(FLD_ORDER_NUMBER), "ORD-000123");
    ck_assert_str_eq(str_of(FLD_PAYMENT_METHOD), "card");
    ck_assert_str_eq(str_of(FLD_PAYMENT_NETWORK), "visa");
    ck_assert_str_eq(str_of(FLD_PAYMENT_BIN), "411111");
    ck_assert_str_eq(str_of(FLD_PAYMENT_WALLET), "apple_pay");
    ck_assert_str_eq(str_of(FLD_SHIPPING_METHOD), "standard");
    ck_assert_str_eq(str_of(FLD_SHIPPING_COUNTRY), "US");
    ck_assert(ctx->has_shipping && ctx->shipping == 499);
    ck_assert_uint_eq(ctx->items.n, 2);
    const clX_item *it = &ctx->items.v[1];
    ck_assert_str_eq(it->sku.p, "HDMI");
    ck_assert_int_eq(it->quantity, 3);
    ck_assert_int_eq(it->unit_price, 500);
    ck_assert_int_eq(it->amount, 1500);
    ck_assert_str_eq(it->categories.v[0].p, "cables"); /* a single string is a list of one */
    ck_assert_str_eq(it->tags.v[0].p, "x");
    ck_assert(it->on_sale);
    ck_assert(!ctx->items.v[0].on_sale);
    ck_assert_int_eq(ctx->subtotal, 49999 + 1500);
    const clX_usage *u = clX_usage_of(ctx, "welcome10", 9);
    ck_assert(u != NULL && u->total == 152 && u->user == 0 && u->spent == 152000);
    u = clX_usage_of(ctx, "b", 1);
    ck_assert(u != NULL && u->total == 0 && u->spent == 0);
    /* YAML reads too */
    static const char yaml[] = "now: 2026-01-01T00:00:00+01:00\ncurrency: JPY\n"
                               "items:\n  - { sku: A, quantity: 2, unit_price: 300 }\n";
    ck_assert_int_eq(cl_context_parse(ctx, yaml, sizeof yaml - 1, &err), CL_OK);
    ck_assert_int_eq(ctx->now, 1767222000);
    ck_assert_int_eq(ctx->subtotal, 600);
    ck_assert(!ctx->has_shipping); /* the previous context was cleared */
    ck_assert_uint_eq(ctx->codes.n, 0);
}
END_TEST

START_TEST(test_parse_null_and_minimal)
{
    static const char minimal[] = "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"EUR\", \"items\": []}";
    ck_assert_int_eq(cl_context_parse(ctx, minimal, sizeof minimal - 1, &err), CL_OK);
    ck_assert_uint_eq(ctx->items.n, 0);
    ck_assert_ptr_null(str_of(FLD_USER_ID));
    /* null means absent, everywhere it may appear */
    static const char nulls[] =
        "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"EUR\", \"items\": [{\"sku\": \"A\","
        " \"quantity\": 1, \"unit_price\": \"1\", \"categories\": null, \"tags\": ~, \"on_sale\": null,"
        " \"name\": null}], \"user\": null, \"order\": {\"number\": null, \"serial\": null},"
        " \"payment\": {\"method\": null}, \"shipping\": {\"amount\": null}, \"codes\": null,"
        " \"usage\": {\"X\": {\"total\": null}}, \"timezone\": null}";
    ck_assert_int_eq(cl_context_parse(ctx, nulls, sizeof nulls - 1, &err), CL_OK);
    ck_assert(!ctx->has_shipping);
    ck_assert_ptr_null(str_of(FLD_ORDER_NUMBER));
    ck_assert_uint_eq(ctx->items.v[0].categories.n, 0);
    ck_assert_int_eq(cl_context_parse(ctx, NULL, 0, &err), CL_ESYNTAX);
    ck_assert_int_eq(cl_context_parse(ctx, NULL, 5, &err), CL_EINVAL);
    ck_assert_int_eq(cl_context_parse(NULL, minimal, sizeof minimal - 1, &err), CL_EINVAL);
    ck_assert_int_eq(cl_context_parse(ctx, minimal, sizeof minimal - 1, NULL), CL_OK);
}
END_TEST

typedef struct ctxcase {
    const char *json;
    int code;
    unsigned line, col;
    const char *path, *message;
} ctxcase;

#define H "{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"USD\", "
#define I1 "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1.00\"}]"

START_TEST(test_parse_errors)
{
    static const ctxcase cases[] = {
        {"[1, 2]", CL_ETYPE, 1, 1, "", "expected an object, found a list"},
        {"\"text\"", CL_ETYPE, 1, 1, "", "expected an object, found text"},
        {"{\"now\": \"2026-01-01T00:00:00Z\", \"items\": []}", CL_EMISSING, 1, 1, "",
         "a context needs now, currency and items"},
        {"{\"currency\": \"USD\", \"items\": []}", CL_EMISSING, 1, 1, "", "needs now"},
        {"{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"USD\"}", CL_EMISSING, 1, 1, "",
         "needs now, currency and items"},
        {H "\"itms\": [], " I1 "}", CL_EKEY, 1, 52, "", "unknown key \"itms\"; did you mean \"items\"?"},
        {H "\"whatever\": 1, " I1 "}", CL_EKEY, 1, 52, "", "unknown key \"whatever\""},
        {"{\"now\": \"yesterday\", \"currency\": \"USD\", " I1 "}", CL_EDATE, 1, 9, "now",
         "expected an RFC 3339 instant such as \"2026-11-28T15:30:00Z\", found \"yesterday\""},
        {"{\"now\": \"2026-01-01\", \"currency\": \"USD\", " I1 "}", CL_EDATE, 1, 9, "now", "RFC 3339"},
        {"{\"now\": 5, \"currency\": \"USD\", " I1 "}", CL_EDATE, 1, 9, "now", "found \"5\""},
        {"{\"now\": [1], \"currency\": \"USD\", " I1 "}", CL_ETYPE, 1, 9, "now", "expected a string, found a list"},
        {"{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"usd\", " I1 "}", CL_ECURRENCY, 1, 45,
         "currency", "unknown currency \"usd\""},
        {"{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": true, " I1 "}", CL_ETYPE, 1, 45,
         "currency", "expected a string, found a boolean"},
        {H "\"items\": {}}", CL_ETYPE, 1, 61, "items", "expected a list of lines, found a mapping"},
        {H "\"items\": [5]}", CL_ETYPE, 1, 62, "items[0]", "expected an object, found text"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1}]}", CL_EMISSING, 1, 62, "items[0]",
         "a line needs sku, quantity and unit_price"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1\", \"colour\": 1}]}",
         CL_EKEY, 1, 109, "items[0]", "unknown key \"colour\""},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1\", \"categorys\": []}]}",
         CL_EKEY, 1, 109, "items[0]", "did you mean \"categories\"?"},
        {H "\"items\": [{\"sku\": [\"A\"], \"quantity\": 1, \"unit_price\": \"1\"}]}", CL_ETYPE, 1, 70,
         "items[0].sku", "expected a string, found a list"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 0, \"unit_price\": \"1\"}]}", CL_EVALUE, 1, 87,
         "items[0].quantity", "expected a number of at least 1, found 0"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1.5, \"unit_price\": \"1\"}]}", CL_EVALUE, 1, 87,
         "items[0].quantity", "expected a whole number, found \"1.5\""},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": -2, \"unit_price\": \"1\"}]}", CL_EVALUE, 1, 87,
         "items[0].quantity", "at least 1"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": {}, \"unit_price\": \"1\"}]}", CL_ETYPE, 1, 87,
         "items[0].quantity", "expected a whole number, found a mapping"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1.001\"}]}", CL_EAMOUNT, 1,
         104, "items[0].unit_price", "amount 1.001 has 3 decimals but USD has 2"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"-1\"}]}", CL_EAMOUNT, 1,
         104, "items[0].unit_price", "expected an amount such as \"12.50\" (not negative), found \"-1\""},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": [1]}]}", CL_ETYPE, 1, 104,
         "items[0].unit_price", "expected an amount such as \"12.50\", found a list"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"92233720368547758.08\"}]}",
         CL_EOVERFLOW, 1, 104, "items[0].unit_price", "amount 92233720368547758.08 is too large"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 3, \"unit_price\": \"92233720368547758.07\"}]}",
         CL_EOVERFLOW, 1, 62, "items[0]", "quantity x unit_price overflows"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1\", \"on_sale\": \"yes\"}]}",
         CL_ETYPE, 1, 120, "items[0].on_sale", "expected true or false"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1\", \"tags\": [1, [2]]}]}",
         CL_ETYPE, 1, 121, "items[0].tags[1]", "expected a string, found a list"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1\", \"categories\": {}}]}",
         CL_ETYPE, 1, 123, "items[0].categories", "expected a string, found a mapping"},
        {H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1\", \"name\": false}]}",
         CL_ETYPE, 1, 117, "items[0].name", "expected a string, found a boolean"},
        {H I1 ", \"user\": [1]}", CL_ETYPE, 1, 122, "user", "expected an object, found a list"},
        {H I1 ", \"user\": {\"idd\": 1}}", CL_EKEY, 1, 123, "user", "unknown key \"idd\"; did you mean \"id\"?"},
        {H I1 ", \"user\": {\"email\": {}}}", CL_ETYPE, 1, 132, "user.email", "expected a string, found a mapping"},
        {H I1 ", \"user\": {\"tags\": [\"a\", true]}}", CL_ETYPE, 1, 137, "user.tags[1]", "found a boolean"},
        {H I1 ", \"user\": {\"birthday\": \"1990-13-01\"}}", CL_EDATE, 1, 135, "user.birthday",
         "expected a date such as 1990-11-28, found \"1990-13-01\""},
        {H I1 ", \"user\": {\"signup_date\": \"2023-02-29\"}}", CL_EDATE, 1, 138, "user.signup_date",
         "expected a date"},
        {H I1 ", \"user\": {\"orders_completed\": -1}}", CL_EVALUE, 1, 143, "user.orders_completed",
         "expected a number of at least 0, found -1"},
        {H I1 ", \"user\": {\"orders_completed\": \"many\"}}", CL_EVALUE, 1, 143,
         "user.orders_completed", "expected a whole number, found \"many\""},
        {H I1 ", \"order\": {\"sequence\": 0}}", CL_EVALUE, 1, 136, "order.sequence",
         "expected a number of at least 1, found 0"},
        {H I1 ", \"order\": {\"serial\": \"x\"}}", CL_EVALUE, 1, 134, "order.serial", "whole number"},
        {H I1 ", \"order\": {\"number\": 5, \"nr\": 1}}", CL_EKEY, 1, 137, "order", "unknown key \"nr\""},
        {H I1 ", \"payment\": {\"method\": [\"card\"]}}", CL_ETYPE, 1, 136, "payment.method", "found a list"},
        {H I1 ", \"payment\": {\"bank\": 1}}", CL_EKEY, 1, 126, "payment", "unknown key \"bank\""},
        {H I1 ", \"shipping\": {\"amount\": \"4.999\"}}", CL_EAMOUNT, 1, 137, "shipping.amount",
         "amount 4.999 has 3 decimals but USD has 2"},
        {H I1 ", \"shipping\": {\"amount\": \"-1.00\"}}", CL_EAMOUNT, 1, 137, "shipping.amount", "not negative"},
        {H I1 ", \"shipping\": {\"county\": \"US\"}}", CL_EKEY, 1, 127, "shipping",
         "did you mean \"country\"?"},
        {H I1 ", \"codes\": [\"A\", {\"b\": 1}]}", CL_ETYPE, 1, 129, "codes[1]", "found a mapping"},
        {H I1 ", \"codes\": {}}", CL_ETYPE, 1, 123, "codes", "found a mapping"},
        {H I1 ", \"usage\": []}", CL_ETYPE, 1, 123, "usage", "expected an object of codes, found a list"},
        {H I1 ", \"usage\": {\"A\": 5}}", CL_ETYPE, 1, 129, "usage.A", "expected an object, found text"},
        {H I1 ", \"usage\": {\"A\": {\"totl\": 1}}}", CL_EKEY, 1, 130, "usage.A",
         "unknown key \"totl\"; did you mean \"total\"?"},
        {H I1 ", \"usage\": {\"A\": {\"total\": -1}}}", CL_EVALUE, 1, 139, "usage.A.total", "at least 0"},
        {H I1 ", \"usage\": {\"A\": {\"user\": 1.5}}}", CL_EVALUE, 1, 138, "usage.A.user", "whole number"},
        {H I1 ", \"usage\": {\"A\": {\"spent\": \"1.234\"}}}", CL_EAMOUNT, 1, 139, "usage.A.spent",
         "has 3 decimals"},
        {H I1 ", \"usage\": {\"A\": {}, \"a\": {}}}", CL_EDUPLICATE, 1, 133, "usage.a",
         "usage of a is given twice"},
        {H I1 ", \"user\": {}, \"user\": {}}", CL_EDUPLICATE, 1, 126, "", "duplicate key \"user\""},
        {"{\"now\": ", CL_ESYNTAX, 1, 9, "", "unexpected end of the input (an unclosed object)"},
        {"{} {}", CL_ESYNTAX, 1, 4, "", "more after the JSON value"},
        {"---\n{}\n---\n{}\n", CL_ESYNTAX, 1, 1, "", "expected one JSON object"},
        {"", CL_ESYNTAX, 1, 1, "", "expected one JSON object"},
        {"{\"now\": \"2026-01-01T00:00:00Z\", \"currency\": \"USD\", " I1 ", \"timezone\": [1]}",
         CL_ETYPE, 1, 126, "timezone", "expected a string, found a list"},

    };
    /* every mismatch is reported, not only the first */
    char report[8192] = "";
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        const ctxcase *c = &cases[i];
        int rc = cl_context_parse(ctx, c->json, strlen(c->json), &err);
        bool ok = rc == c->code && err.code == c->code && err.line == c->line &&
                  (c->col == 0 || err.column == c->col) && strcmp(err.path, c->path) == 0 &&
                  strstr(err.message, c->message) != NULL &&
                  strcmp(err.source, "<context>") == 0;
        if (!ok) {
            size_t len = strlen(report);
            snprintf(report + len, sizeof report - len, "\n  case %zu: %s at %u:%u path \"%s\": %s",
                     i, cl_status_name(rc), err.line, err.column, err.path, err.message);
        }
        /* on error the context is left cleared */
        ck_assert(!ctx->has_now);
        ck_assert_uint_eq(ctx->items.n, 0);
        ck_assert_int_eq(ctx->exponent, -1);
    }
    ck_assert_msg(report[0] == '\0', "mismatches:%s", report);
}
END_TEST

START_TEST(test_parse_limits)
{
    cl_env_set_limit(env, CL_LIMIT_ITEMS, 1);
    static const char two[] = H "\"items\": [{\"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1\"},"
                              " {\"sku\": \"B\", \"quantity\": 1, \"unit_price\": \"1\"}]}";
    ck_assert_int_eq(cl_context_parse(ctx, two, sizeof two - 1, &err), CL_ELIMIT);
    ck_assert_str_eq(err.path, "items[1]");
    ck_assert_uint_eq(err.column, 110);
    ck_assert_msg(strstr(err.message, "more than 1 lines in one context") != NULL, "%s",
                  err.message);
    cl_env_set_limit(env, CL_LIMIT_ITEMS, 10);
    cl_env_set_limit(env, CL_LIMIT_STRING, 3);
    static const char longsku[] = H "\"items\": [{\"sku\": \"ABCD\", \"quantity\": 1, \"unit_price\": \"1\"}]}";
    ck_assert_int_eq(cl_context_parse(ctx, longsku, sizeof longsku - 1, &err), CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "text of 20 bytes exceeds the limit of 3") != NULL, "%s",
                  err.message);
    cl_env_set_limit(env, CL_LIMIT_STRING, 1000);
    cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 20);
    ck_assert_int_eq(cl_context_parse(ctx, two, sizeof two - 1, &err), CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "exceeds the limit of 20") != NULL, "%s", err.message);
    cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 1 << 20);
    cl_env_set_limit(env, CL_LIMIT_DEPTH, 3);
    static const char deep[] = H I1 ", \"user\": {\"tags\": [[\"x\"]]}}";
    ck_assert_int_eq(cl_context_parse(ctx, deep, sizeof deep - 1, &err), CL_ELIMIT);
    ck_assert_msg(strstr(err.message, "nesting deeper than 3 levels") != NULL, "%s", err.message);
}
END_TEST

static int oom_step(void *ud)
{
    CL_UNUSED(ud);
    cl_context *c = cl_context_new(env);
    if (c == NULL)
        return 1;
    cl_error e;
    int rc = cl_context_parse(c, full, sizeof full - 1, &e);
    if (rc != CL_OK)
        ck_assert_msg(rc == CL_ENOMEM && e.code == CL_ENOMEM, "%s: %s", cl_status_name(rc),
                      e.message);
    else
        ck_assert_uint_eq(c->items.n, 2);
    cl_context_free(c);
    return rc == CL_OK ? 0 : 1;
}

START_TEST(test_parse_oom)
{
    ck_assert_int_gt(test_oom_sweep(&A, oom_step, NULL, 2000), 10);
}
END_TEST

/* ------------------------------------------------------------------------
 * The fast way against the general one
 * ------------------------------------------------------------------------ */

typedef struct gen {
    test_rng rng;
    char buf[8192];
    size_t n;
    bool dirty;           /* this context may have mistakes, escapes, odd values */
} gen;

static void put(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(g->buf + g->n, sizeof g->buf - g->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        g->n += (size_t)k < sizeof g->buf - g->n ? (size_t)k : sizeof g->buf - g->n - 1;
}

static int pick(gen *g, int n)
{
    return (int)test_range(&g->rng, 0, n - 1);
}

/* One chance in n, in a dirty context only. */
static bool odd(gen *g, int n)
{
    return g->dirty && pick(g, n) == 0;
}

/* A JSON string, now and then with an escape or a non-ASCII character. */
static void put_str(gen *g, const char *s)
{
    switch (g->dirty ? pick(g, 12) : 3) {
    case 0: put(g, "\"%s\\u00e9\"", s); break;
    case 1: put(g, "\"%s\\n\"", s); break;
    case 2: put(g, "\"%s\xc3\xa9\"", s); break;
    default: put(g, "\"%s\"", s); break;
    }
}

/* A value for a field of type t: mostly right, sometimes wrong. */
static void put_value(gen *g, char type)
{
    static const char *const words[] = {"vip", "card", "u-7", "SKU-1", "electronics/tv", "x"};
    char t = (char)(type & 0x7f);
    if (!(type & 0x80) && pick(g, 12) == 0) {
        put(g, "null");
        return;
    }
    if (odd(g, 6)) {
        static const char *const odd[] = {"true", "12", "1.5", "-1", "0", "\"\"", "[]", "{}",
                                          "1e3", "01", "\"3\"", "[\"a\", 1]", "[null]"};
        put(g, "%s", odd[pick(g, CL_COUNTOF(odd))]);
        return;
    }
    switch (t) {
    case 's': put_str(g, words[pick(g, CL_COUNTOF(words))]); break;
    case 'i': put(g, "%d", pick(g, 30)); break;
    case 'q': put(g, "%d", 1 + pick(g, 9)); break;
    case 'd': put(g, "\"%s\"", odd(g, 4) ? "1990-02-30" : "1990-11-28"); break;
    case 'a': {
        static const char *const amounts[] = {"\"12.50\"", "12.5", "7", "\"0.99\"", "3.10",
                                              "\"1.234\"", "\"-1.00\"", "\"abc\""};
        put(g, "%s", amounts[pick(g, g->dirty ? CL_COUNTOF(amounts) : 5)]);
        break;
    }
    case 'l': /* a string or a list of strings */
        if (pick(g, 3) == 0) {
            put_str(g, words[pick(g, CL_COUNTOF(words))]);
        } else {
            put(g, "[");
            for (int i = 0, n = pick(g, 4); i < n; i++) {
                put(g, i ? ", " : "");
                put_str(g, words[pick(g, CL_COUNTOF(words))]);
            }
            put(g, "]");
        }
        break;
    case 'b': put(g, "%s", pick(g, 2) ? "true" : "false"); break;
    }
}

typedef struct member {
    const char *key;
    char type;
} member;

/* An object of some of members[0..n) (the first `need` always, but in a
 * dirty context), now and then with a key twice or one unknown. */
static void put_object(gen *g, const member *m, int n, int need)
{
    put(g, "{");
    bool first = true;
    for (int i = 0; i < n; i++) {
        if ((i >= need || g->dirty) && pick(g, 3) == 0)
            continue;
        int k = odd(g, 15) ? pick(g, n) : i;
        put(g, "%s\"%s\": ", first ? "" : pick(g, 2) ? ", " : ",\n  ", odd(g, 20) ? "nope" : m[k].key);
        if (k < need && !g->dirty)
            put_value(g, (char)(m[k].type | 0x80));   /* needed: never null */
        else
            put_value(g, m[k].type);
        first = false;
    }
    put(g, "}");
}

static void put_context(gen *g)
{
    static const member user[] = {{"id", 's'}, {"email", 's'}, {"birthday", 'd'},
                                  {"signup_date", 'd'}, {"orders_completed", 'i'}, {"tags", 'l'}};
    static const member order[] = {{"number", 's'}, {"serial", 'i'}, {"sequence", 'q'}};
    static const member payment[] = {{"method", 's'}, {"network", 's'}, {"bin", 's'},
                                     {"wallet", 's'}};
    static const member shipping[] = {{"method", 's'}, {"country", 's'}, {"amount", 'a'}};
    static const member item[] = {{"sku", 's'}, {"quantity", 'q'}, {"unit_price", 'a'},
                                  {"categories", 'l'}, {"tags", 'l'}, {"on_sale", 'b'},
                                  {"name", 's'}};
    static const member usage[] = {{"total", 'i'}, {"user", 'i'}, {"spent", 'a'}};
    static const char *const zones[] = {"\"UTC\"", "\"America/New_York\"", "\"No/Such\"", "null"};
    static const char *const currencies[] = {"\"USD\"", "\"JPY\"", "\"KWD\"", "\"XXX\"", "7"};
    g->n = 0;
    g->dirty = pick(g, 3) == 0;
    if (pick(g, 20) == 0)
        put(g, "\xEF\xBB\xBF");
    put(g, pick(g, 4) ? "{" : "  {\n");
    int order_of[10];
    for (int i = 0; i < 10; i++)
        order_of[i] = i;
    for (int i = 9; i > 0; i--) { /* mostly the usual order, now and then shuffled */
        if (pick(g, 4) != 0)
            continue;
        int j = pick(g, i + 1), t = order_of[i];
        order_of[i] = order_of[j];
        order_of[j] = t;
    }
    bool first = true;
    for (int k = 0; k < 10; k++) {
        int which = order_of[k];
        if (which > 2 && pick(g, 4) == 0)
            continue;
        if (which <= 2 && odd(g, 10))
            continue;
        put(g, first ? "" : ", ");
        first = false;
        switch (which) {
        case 0:
            put(g, "\"now\": %s", odd(g, 8) ? "\"2026-13-01T00:00:00Z\"" : "\"2026-11-27T15:30:00Z\"");
            break;
        case 1: put(g, "\"currency\": %s", odd(g, 3) ? currencies[pick(g, 5)] : "\"USD\""); break;
        case 2:
            put(g, "\"items\": [");
            for (int i = 0, n = pick(g, 4); i < n; i++) {
                put(g, i ? ", " : "");
                put_object(g, item, CL_COUNTOF(item), 3);
            }
            put(g, "]");
            break;
        case 3: put(g, "\"timezone\": %s", zones[g->dirty ? pick(g, 4) : pick(g, 2)]); break;
        case 4: put(g, "\"codes\": "); put_value(g, 'l'); break;
        case 5: put(g, "\"user\": "); put_object(g, user, CL_COUNTOF(user), 0); break;
        case 6: put(g, "\"order\": "); put_object(g, order, CL_COUNTOF(order), 0); break;
        case 7: put(g, "\"payment\": "); put_object(g, payment, CL_COUNTOF(payment), 0); break;
        case 8: put(g, "\"shipping\": "); put_object(g, shipping, CL_COUNTOF(shipping), 0); break;
        default:
            put(g, "\"usage\": {");
            for (int i = 0, n = pick(g, 3); i < n; i++) {
                put(g, "%s\"%s\": ", i ? ", " : "", pick(g, 3) ? (i ? "B" : "a") : "A");
                put_object(g, usage, CL_COUNTOF(usage), 0);
            }
            put(g, "}");
            break;
        }
    }
    put(g, "}%s", odd(g, 10) ? " x" : pick(g, 2) ? "" : "\n");
}

static void tprintf(test_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(test_text *t, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (k > 0)
        test_text_write(t, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
}

/* Everything a context holds, as text, to compare two of them. */
static void dump_list(test_text *t, const char *what, const clX_list *l)
{
    tprintf(t, "%s[%u]", what, l->n);
    for (uint32_t i = 0; i < l->n; i++)
        tprintf(t, " '%s'", l->v[i].p);
    tprintf(t, "\n");
}

static void dump(test_text *t, const cl_context *c)
{
    t->n = 0;
    tprintf(t, "now %d %lld cur '%s' %d zone %s\n", c->has_now, (long long)c->now,
                     c->currency, c->exponent, c->zone ? c->zone->name : "-");
    for (int f = 0; f < FLD_FIRST_INT; f++)
        tprintf(t, "str %d %s\n", f, c->str[f].p ? c->str[f].p : "(absent)");
    for (int f = 0; f < FLD_FIRST_AMT - FLD_FIRST_INT; f++)
        tprintf(t, "int %d %d %lld\n", f, c->has_int[f], (long long)c->ints[f]);
    tprintf(t, "ship %d %lld bday %d %lld signup %d %lld\n", c->has_shipping,
                     (long long)c->shipping, c->has_birthday, (long long)c->birthday,
                     c->has_signup, (long long)c->signup);
    dump_list(t, "codes", &c->codes);
    dump_list(t, "tags", &c->user_tags);
    for (size_t i = 0; i < c->items.n; i++) {
        const clX_item *it = &c->items.v[i];
        tprintf(t, "item '%s' %lld x %lld = %lld (%lld) sale %d bloom %llx\n", it->sku.p,
                         (long long)it->quantity, (long long)it->unit_price,
                         (long long)it->amount, (long long)c->amounts.v[i], it->on_sale,
                         (unsigned long long)it->cat_bloom);
        dump_list(t, " categories", &it->categories);
        dump_list(t, " tags", &it->tags);
        for (uint32_t k = 0; k < it->nprefixes; k++)
            tprintf(t, " prefix %.*s %x\n", (int)it->prefixes[k].len, it->prefixes[k].p,
                             it->prefixes[k].hash);
    }
    for (size_t i = 0; i < c->usage.n; i++)
        tprintf(t, "usage '%s' %lld %lld %lld\n", c->usage.v[i].code.p,
                         (long long)c->usage.v[i].total, (long long)c->usage.v[i].user,
                         (long long)c->usage.v[i].spent);
    tprintf(t, "subtotal %lld quantity %lld on sale %u\n", (long long)c->subtotal,
                     (long long)c->quantity, c->on_sale);
}

START_TEST(test_parse_fast_way)
{
    gen g = {{0xfa57ull}, {0}, 0, false};
    cl_context *other = cl_context_new(env);
    test_text a = {0}, b = {0};
    long fast = 0, ok = 0, rounds = test_rounds(20000);
    for (long round = 0; round < rounds; round++) {
        put_context(&g);
        cl_error e1, e2;
        long before = A.total;
        int r1 = clX_parse(ctx, g.buf, g.n, &e1, true);
        long fast_allocs = A.total - before;
        before = A.total;
        int r2 = clX_parse(other, g.buf, g.n, &e2, false);
        long general_allocs = A.total - before;
        REQUIRE(r1 == r2, "round %ld: %s (fast way) but %s (general)\n%s", round,
                cl_status_name(r1), cl_status_name(r2), g.buf);
        if (r1 != CL_OK) {
            REQUIRE(e1.code == e2.code && e1.line == e2.line && e1.column == e2.column &&
                        strcmp(e1.message, e2.message) == 0 && strcmp(e1.path, e2.path) == 0,
                    "round %ld: %u:%u %s %s, against %u:%u %s %s\n%s", round, e1.line, e1.column,
                    e1.path, e1.message, e2.line, e2.column, e2.path, e2.message, g.buf);
            continue;
        }
        ok++;
        fast += fast_allocs < general_allocs;   /* the tree costs allocations */
        dump(&a, ctx);
        dump(&b, other);
        REQUIRE(strcmp(a.p, b.p) == 0, "round %ld:\n%s\n--- fast way\n%s--- general\n%s", round,
                g.buf, a.p, b.p);
    }
    /* Both ways must have been taken often. */
    ck_assert_msg(fast > ok / 3 && ok > rounds / 4, "%ld of %ld parsed, %ld the fast way", ok,
                  rounds, fast);
    free(a.p);
    free(b.p);
    cl_context_free(other);
}
END_TEST

static Suite *context_suite(void)
{
    const test_entry tests[] = {
        {"setters", test_new_and_clear},    {"setters", test_scalar_setters},
        {"setters", test_now_and_currency}, {"setters", test_lists_and_items},
        {"setters", test_setter_limits},    {"json", test_parse_everything},
        {"json", test_parse_null_and_minimal}, {"json", test_parse_errors},
        {"json", test_parse_limits},        {"json", test_parse_oom},
        {"json", test_parse_fast_way},
    };
    return test_suite_fx("context", tests, CL_COUNTOF(tests), 120, setup, teardown);
}

TEST_MAIN(context_suite)
