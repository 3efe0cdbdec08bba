/*
 * test_json.c - the JSON reader (json.c): the tree it builds, every syntax
 * error with its position, escapes and UTF-8, the limits, and that a
 * context read through it equals the same context read through libyaml.
 */
#include "testutil.h"

#include "context.h"
#include "yamldoc.h"

#include <stdio.h>
#include <string.h>

static cl_env *env;

static void setup(void)
{
    env = cl_env_new(NULL, NULL);
}

static void teardown(void)
{
    cl_env_free(env);
}

/* Parses src; the caller frees doc. */
static int load(const char *src, clY_doc *doc, cl_error *err)
{
    clE_clear(err);
    return clJ_load(env, src, strlen(src), doc, err);
}

START_TEST(test_tree)
{
    clY_doc doc;
    cl_error err;
    static const char src[] =
        "{\"a\": 1, \"b\": [true, false, null, -2.5e+3], \"c\": {\"d\": \"x\"},\n"
        " \"e\": [], \"f\": {}, \"g\": \"\"}";
    ck_assert_int_eq(load(src, &doc, &err), CL_OK);
    ck_assert_uint_eq(doc.nroots, 1);
    const clY_node *r = doc.roots[0];
    ck_assert_int_eq(r->kind, CLY_MAP);
    ck_assert_uint_eq(r->n, 6);
    const clY_node *a = clY_get(r, "a");
    ck_assert(clY_plain_is(a, "1"));
    const clY_node *b = clY_get(r, "b");
    ck_assert_int_eq(b->kind, CLY_SEQ);
    ck_assert_uint_eq(b->n, 4);
    ck_assert(clY_plain_is(b->items[0], "true"));
    ck_assert(clY_plain_is(b->items[1], "false"));
    ck_assert(clY_plain_is(b->items[2], "null"));
    ck_assert(clY_plain_is(b->items[3], "-2.5e+3"));
    const clY_node *d = clY_get(clY_get(r, "c"), "d");
    ck_assert_str_eq(d->str, "x");
    ck_assert(d->quoted);
    ck_assert(!clY_plain_is(d, "x"));          /* a string is never a keyword */
    ck_assert_uint_eq(clY_get(r, "e")->n, 0);
    ck_assert_int_eq(clY_get(r, "f")->kind, CLY_MAP);
    ck_assert_str_eq(clY_get(r, "g")->str, "");
    /* positions: 1-based line and column of each value */
    ck_assert_uint_eq(a->line, 1);
    ck_assert_uint_eq(a->col, 7);
    ck_assert_uint_eq(clY_get(r, "e")->line, 2);
    ck_assert_uint_eq(clY_get(r, "e")->col, 7);
    clY_free(&doc);
}
END_TEST

START_TEST(test_strings)
{
    clY_doc doc;
    cl_error err;
    static const char src[] =
        "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20AC\", \"\\ud83d\\ude00\", \"caf\xc3\xa9\","
        " \"\xe2\x82\xac x\", \"\xf0\x9f\x98\x80\"]";
    ck_assert_int_eq(load(src, &doc, &err), CL_OK);
    const clY_node *r = doc.roots[0];
    ck_assert_str_eq(r->items[0]->str, "a\"b\\c/d\b\f\n\r\t");
    ck_assert_str_eq(r->items[1]->str, "\xc3\xa9\xe2\x82\xac");
    ck_assert_str_eq(r->items[2]->str, "\xf0\x9f\x98\x80");
    ck_assert_str_eq(r->items[3]->str, "caf\xc3\xa9");
    ck_assert_str_eq(r->items[4]->str, "\xe2\x82\xac x");
    ck_assert_str_eq(r->items[5]->str, "\xf0\x9f\x98\x80");
    ck_assert_uint_eq(r->items[1]->n, 5);
    /* columns count characters, not bytes */
    clY_free(&doc);
    ck_assert_int_eq(load("[\"\xc3\xa9\xc3\xa9\", 5]", &doc, &err), CL_OK);
    ck_assert_uint_eq(doc.roots[0]->items[1]->col, 8);
    clY_free(&doc);
}
END_TEST

/* Every syntax error, with its line, column and message. */
START_TEST(test_errors)
{
    static const struct {
        const char *src;
        int code;
        unsigned line, col;
        const char *message;
    } cases[] = {
        {"", CL_ESYNTAX, 1, 1, "expected a JSON value, found the end of the input"},
        {"   \n  ", CL_ESYNTAX, 2, 3, "expected a JSON value"},
        {"{", CL_ESYNTAX, 1, 2, "unexpected end of the input (an unclosed object)"},
        {"[1, 2", CL_ESYNTAX, 1, 6, "an unclosed array"},
        {"{\"a\" 1}", CL_ESYNTAX, 1, 6, "expected ':' after a key, found '1'"},
        {"{\"a\": 1 \"b\": 2}", CL_ESYNTAX, 1, 9, "expected ',' or '}', found '\"'"},
        {"[1 2]", CL_ESYNTAX, 1, 4, "expected ',' or ']', found '2'"},
        {"{a: 1}", CL_ESYNTAX, 1, 2, "expected a key in double quotes, found 'a'"},
        {"{\"a\": 1,}", CL_ESYNTAX, 1, 9, "expected a key in double quotes, found '}'"},
        {"[1,]", CL_ESYNTAX, 1, 4, "expected a value, found ']'"},
        {"[}", CL_ESYNTAX, 1, 2, "expected ']', found '}'"},
        {"{]", CL_ESYNTAX, 1, 2, "expected '}', found ']'"},
        {"{} {}", CL_ESYNTAX, 1, 4, "more after the JSON value: '{'"},
        {"[tru]", CL_ESYNTAX, 1, 2, "expected a value, found 't'"},
        {"[truex]", CL_ESYNTAX, 1, 2, "expected a value, found \"truex"},
        {"[nul]", CL_ESYNTAX, 1, 2, "expected a value"},
        {"[-]", CL_ESYNTAX, 1, 2, "a number needs digits after '-'"},
        {"[01]", CL_ESYNTAX, 1, 2, "a number may not start with 0"},
        {"[1.]", CL_ESYNTAX, 1, 2, "a number needs digits after '.'"},
        {"[1e]", CL_ESYNTAX, 1, 2, "a number needs digits in its exponent"},
        {"[1x]", CL_ESYNTAX, 1, 2, "expected a value, found \"1x"},
        {"[+1]", CL_ESYNTAX, 1, 2, "expected a value, found '+'"},
        {"[\"abc", CL_ESYNTAX, 1, 2, "unterminated string"},
        {"[\"a\\", CL_ESYNTAX, 1, 5, "unterminated string"},
        {"[\"\\x\"]", CL_ESYNTAX, 1, 4, "unknown escape \\x in a string"},
        {"[\"\\u12\"]", CL_ESYNTAX, 1, 4, "\\u needs four hex digits"},
        {"[\"\\ud800\"]", CL_ESYNTAX, 1, 9, "a high surrogate \\uD800 without its low half"},
        {"[\"\\ud800\\u0041\"]", CL_ESYNTAX, 1, 9, "without its low half"},
        {"[\"\\udc00\"]", CL_ESYNTAX, 1, 9, "a low surrogate \\uDC00 without its high half"},
        {"[\"\\u0000\"]", CL_EVALUE, 1, 9, "text contains a NUL character"},
        {"[\"a\tb\"]", CL_ESYNTAX, 1, 4, "a control character (0x09) in a string"},
        {"[\"a\nb\"]", CL_ESYNTAX, 1, 4, "a control character (0x0a)"},
        {"[\"\xc3\"]", CL_ESYNTAX, 1, 3, "invalid UTF-8 in a string"},
        {"[\"\xc0\xaf\"]", CL_ESYNTAX, 1, 3, "invalid UTF-8"},            /* overlong */
        {"[\"\xed\xa0\x80\"]", CL_ESYNTAX, 1, 3, "invalid UTF-8"},        /* a surrogate */
        {"[\"\xf4\x90\x80\x80\"]", CL_ESYNTAX, 1, 3, "invalid UTF-8"},    /* past U+10FFFF */
        {"[\"\xe2\x82\"]", CL_ESYNTAX, 1, 3, "invalid UTF-8"},            /* truncated */
        {"[\x01]", CL_ESYNTAX, 1, 2, "expected a value, found byte 0x01"},
        {"{\"a\": 1, \"a\": 2}", CL_EDUPLICATE, 1, 10, "duplicate key \"a\" (first at line 1)"},
        {"[1,\n  {\"k\": 1,\n   \"k\": 2}]", CL_EDUPLICATE, 3, 4, "duplicate key \"k\""},
    };
    for (size_t i = 0; i < CL_COUNTOF(cases); i++) {
        clY_doc doc;
        cl_error err;
        int rc = load(cases[i].src, &doc, &err);
        ck_assert_msg(rc == cases[i].code && err.code == cases[i].code,
                      "case %zu (%s): status %s, %s", i, cases[i].src, cl_status_name(rc),
                      err.message);
        ck_assert_msg(err.line == cases[i].line && err.column == cases[i].col,
                      "case %zu (%s): at %u:%u, want %u:%u (%s)", i, cases[i].src, err.line,
                      err.column, cases[i].line, cases[i].col, err.message);
        ck_assert_msg(strstr(err.message, cases[i].message) != NULL, "case %zu: \"%s\"", i,
                      err.message);
        ck_assert_uint_eq(doc.nroots, 0);
        clY_free(&doc);
    }
}
END_TEST

START_TEST(test_limits)
{
    clY_doc doc;
    cl_error err;
    cl_env_set_limit(env, CL_LIMIT_DEPTH, 3);
    ck_assert_int_eq(load("[[[1]]]", &doc, &err), CL_OK);
    clY_free(&doc);
    ck_assert_int_eq(load("[[[[1]]]]", &doc, &err), CL_ELIMIT);
    ck_assert_uint_eq(err.column, 4);
    ck_assert_ptr_nonnull(strstr(err.message, "nesting deeper than 3 levels"));
    clY_free(&doc);
    cl_env_set_limit(env, CL_LIMIT_DEPTH, 64);
    cl_env_set_limit(env, CL_LIMIT_LIST, 2);
    ck_assert_int_eq(load("[1, 2, 3]", &doc, &err), CL_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.message, "more than 2 entries in one list"));
    clY_free(&doc);
    ck_assert_int_eq(load("{\"a\": 1, \"b\": 2, \"c\": 3}", &doc, &err), CL_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.message, "in one mapping"));
    clY_free(&doc);
    cl_env_set_limit(env, CL_LIMIT_LIST, 100);
    cl_env_set_limit(env, CL_LIMIT_STRING, 3);
    ck_assert_int_eq(load("[\"abc\"]", &doc, &err), CL_OK);
    clY_free(&doc);
    ck_assert_int_eq(load("[\"abcd\"]", &doc, &err), CL_ELIMIT);
    ck_assert_str_eq(err.message, "text of 4 bytes exceeds the limit of 3");
    ck_assert_uint_eq(err.column, 2);
    clY_free(&doc);
    ck_assert_int_eq(load("[\"ab\\n\\n\"]", &doc, &err), CL_ELIMIT); /* counted unescaped */
    clY_free(&doc);
    cl_env_set_limit(env, CL_LIMIT_STRING, 1000);
    cl_env_set_limit(env, CL_LIMIT_NODES, 3);
    ck_assert_int_eq(load("[1, 2]", &doc, &err), CL_OK);
    clY_free(&doc);
    ck_assert_int_eq(load("[1, 2, 3]", &doc, &err), CL_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.message, "more than 3 nodes"));
    clY_free(&doc);
    cl_env_set_limit(env, CL_LIMIT_NODES, 1000);
    cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 4);
    ck_assert_int_eq(load("[1,2]", &doc, &err), CL_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.message, "input of 5 bytes exceeds the limit of 4"));
    clY_free(&doc);
}
END_TEST

/* Deep nesting is refused by the limit, or with the limit raised read
 * without recursion (no C stack overflow, here or under ASan). */
START_TEST(test_deep)
{
    size_t depth = 200000;
    char *src = malloc(2 * depth + 1);
    memset(src, '[', depth);
    memset(src + depth, ']', depth);
    src[2 * depth] = '\0';
    clY_doc doc;
    cl_error err;
    ck_assert_int_eq(clJ_load(env, src, 2 * depth, &doc, &err), CL_ELIMIT);
    clY_free(&doc);
    cl_env_set_limit(env, CL_LIMIT_DEPTH, depth);
    ck_assert_int_eq(clJ_load(env, src, 2 * depth, &doc, &err), CL_OK);
    clY_free(&doc);
    free(src);
}
END_TEST

START_TEST(test_bom_and_space)
{
    clY_doc doc;
    cl_error err;
    ck_assert_int_eq(load("\xEF\xBB\xBF \r\n\t{ }\n", &doc, &err), CL_OK);
    ck_assert_int_eq(doc.roots[0]->kind, CLY_MAP);
    clY_free(&doc);
    ck_assert_int_eq(load("\"just a string\"", &doc, &err), CL_OK);
    ck_assert_int_eq(doc.roots[0]->kind, CLY_SCALAR);
    clY_free(&doc);
}
END_TEST

/* Random contexts read through the JSON reader and through libyaml (a YAML
 * flow document of the same text: prefixing "---\n" keeps cl_context_parse
 * off the JSON path) evaluate the same. */
START_TEST(test_same_as_yaml)
{
    static const char src[] =
        "currency: USD\n"
        "coupons:\n"
        "  - { code: A, automatic: true, when: { category: [a] }, discount: { percent: 10 } }\n"
        "  - { code: B, when: { user.tags: [vip], payment.method: card }, discount: { amount: \"3\" } }\n"
        "  - { code: C, automatic: true, when: { items: { sku: [\"\xc3\xa9t\xc3\xa9\"] } }, "
        "discount: { amount_per_item: \"1.00\" } }\n";
    cl_error err;
    cl_program *p = cl_compile(env, src, sizeof src - 1, "t.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    cl_context *a = cl_context_new(env), *b = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    test_rng rng = {7};
    for (int round = 0; round < 300; round++) {
        char json[4096];
        int k = snprintf(json, sizeof json, "{\"now\": \"2026-03-0%dT10:00:00Z\", \"currency\": "
                         "\"USD\", \"codes\": [\"b\"], \"user\": {\"id\": \"u\\u0031\", \"tags\": "
                         "[\"%s\"]}, \"payment\": {\"method\": \"%s\"}, \"items\": [",
                         (int)test_range(&rng, 1, 9), test_range(&rng, 0, 1) ? "vip" : "x",
                         test_range(&rng, 0, 1) ? "card" : "cash");
        int n = (int)test_range(&rng, 1, 6);
        for (int i = 0; i < n; i++)
            k += snprintf(json + k, sizeof json - (size_t)k,
                          "%s{\"sku\": \"%s\", \"quantity\": %d, \"unit_price\": \"%d.%02d\", "
                          "\"categories\": [\"%s\"]}", i ? ", " : "",
                          test_range(&rng, 0, 1) ? "\\u00e9t\\u00e9" : "X",
                          (int)test_range(&rng, 1, 5), (int)test_range(&rng, 0, 99),
                          (int)test_range(&rng, 0, 99), test_range(&rng, 0, 1) ? "a/b" : "c");
        snprintf(json + k, sizeof json - (size_t)k, "]}");
        char yaml[4200];
        snprintf(yaml, sizeof yaml, "---\n%s\n", json);
        ck_assert_msg(cl_context_parse(a, json, strlen(json), &err) == CL_OK, "%s", err.message);
        ck_assert_msg(cl_context_parse(b, yaml, strlen(yaml), &err) == CL_OK, "%s", err.message);
        ck_assert_uint_eq(a->items.n, b->items.n);
        for (size_t i = 0; i < a->items.n; i++) {
            ck_assert_str_eq(a->items.v[i].sku.p, b->items.v[i].sku.p);
            ck_assert_int_eq(a->items.v[i].amount, b->items.v[i].amount);
        }
        const cl_result *ra, *rb;
        char out_a[8192] = "", out_b[8192] = "";
        ck_assert_int_eq(cl_vm_eval(vm, p, a, CL_EVAL_ENTERED, &ra, &err), CL_OK);
        for (size_t i = 0; i < cl_result_count(ra); i++)
            snprintf(out_a + strlen(out_a), sizeof out_a - strlen(out_a), "%d:%lld ",
                     cl_result_applicable(ra, i), (long long)cl_result_discount(ra, i));
        ck_assert_int_eq(cl_vm_eval(vm, p, b, CL_EVAL_ENTERED, &rb, &err), CL_OK);
        for (size_t i = 0; i < cl_result_count(rb); i++)
            snprintf(out_b + strlen(out_b), sizeof out_b - strlen(out_b), "%d:%lld ",
                     cl_result_applicable(rb, i), (long long)cl_result_discount(rb, i));
        ck_assert_str_eq(out_a, out_b);
    }
    cl_vm_free(vm);
    cl_context_free(a);
    cl_context_free(b);
    cl_program_free(p);
}
END_TEST

/* cl_context_parse: JSON that is not JSON but flow YAML still reads; when
 * neither reads, the JSON error is the one given. */
START_TEST(test_context_fallback)
{
    cl_context *ctx = cl_context_new(env);
    cl_error err;
    static const char flow[] = "{now: \"2026-01-01T00:00:00Z\", currency: USD, items: []}";
    ck_assert_int_eq(cl_context_parse(ctx, flow, sizeof flow - 1, &err), CL_OK);
    ck_assert(ctx->has_now);
    static const char bad[] = "{\"now\": \"2026-01-01T00:00:00Z\",, \"currency\": \"USD\"}";
    ck_assert_int_eq(cl_context_parse(ctx, bad, sizeof bad - 1, &err), CL_ESYNTAX);
    ck_assert_ptr_nonnull(strstr(err.message, "expected a key in double quotes, found ','"));
    ck_assert_uint_eq(err.column, 32);
    ck_assert_str_eq(err.source, "<context>");
    cl_context_free(ctx);
}
END_TEST

/* A context reused for the same shop keeps its zone: same answers, and
 * the zone survives a clear for the next parse. */
START_TEST(test_zone_reuse)
{
    cl_context *ctx = cl_context_new(env);
    cl_error err;
    static const char a[] = "{\"now\": \"2026-07-04T03:30:00Z\", \"currency\": \"USD\", "
                            "\"timezone\": \"America/New_York\", \"items\": []}";
    static const char b[] = "{\"now\": \"2026-07-04T03:30:00Z\", \"currency\": \"USD\", "
                            "\"timezone\": \"Europe/Berlin\", \"items\": []}";
    ck_assert_int_eq(cl_context_parse(ctx, a, sizeof a - 1, &err), CL_OK);
    const clT_zone *first = ctx->zone;
    ck_assert_str_eq(first->name, "America/New_York");
    ck_assert_int_eq(cl_context_parse(ctx, a, sizeof a - 1, &err), CL_OK);
    ck_assert_ptr_eq(ctx->zone, first);         /* not read again */
    ck_assert_int_eq(clT_localize(ctx->zone, ctx->now).date.day, 3);
    ck_assert_int_eq(cl_context_parse(ctx, b, sizeof b - 1, &err), CL_OK);
    ck_assert_str_eq(ctx->zone->name, "Europe/Berlin");
    ck_assert_int_eq(clT_localize(ctx->zone, ctx->now).date.day, 4);
    ck_assert_int_eq(cl_context_set_timezone(ctx, NULL), CL_OK);
    ck_assert_ptr_null(ctx->zone);
    ck_assert_int_eq(cl_context_set_timezone(ctx, "Europe/Berlin"), CL_OK);
    ck_assert_str_eq(ctx->zone->name, "Europe/Berlin");
    cl_context_free(ctx);
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("json");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_tree);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_deep);
    tcase_add_test(tc, test_bom_and_space);
    tcase_add_test(tc, test_same_as_yaml);
    tcase_add_test(tc, test_context_fallback);
    tcase_add_test(tc, test_zone_reuse);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(json_suite)
