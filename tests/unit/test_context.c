/*
 * test_context.c - unit tests of context.c and context_parse.c: the C
 * setters (every field, every refusal, the limits) and the JSON of SPEC 3
 * (every field, every error with its line, column and path, null, limits),
 * and parsing while allocations fail. Time zones are tested with tz.
 */
#include "context.h"
#include "oomalloc.h"
#include "testutil.h"

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

static Suite *context_suite(void)
{
    const test_entry tests[] = {
        {"setters", test_new_and_clear},    {"setters", test_scalar_setters},
        {"setters", test_now_and_currency}, {"setters", test_lists_and_items},
        {"setters", test_setter_limits},    {"json", test_parse_everything},
        {"json", test_parse_null_and_minimal}, {"json", test_parse_errors},
        {"json", test_parse_limits},        {"json", test_parse_oom},
    };
    return test_suite_fx("context", tests, CL_COUNTOF(tests), 120, setup, teardown);
}

TEST_MAIN(context_suite)
