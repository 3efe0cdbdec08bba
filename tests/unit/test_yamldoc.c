/*
 * test_yamldoc.c - unit tests of yamldoc.c: scalars kept as written (SPEC 9:
 * only plain true and false are booleans, and the tree converts nothing),
 * positions, aliases and alias bombs under CL_LIMIT_ALIASES, merge keys,
 * duplicate keys, every limit, syntax errors, several documents, and
 * loading while allocations fail.
 */
#include "yamldoc.h"
#include "oomalloc.h"
#include "testutil.h"

#include <stdio.h>

static test_alloc A;
static cl_env *env;
static clY_doc doc;
static cl_error err;

static void setup(void)
{
    memset(&A, 0, sizeof A);
    env = cl_env_new(test_alloc_fn, &A);
    memset(&doc, 0, sizeof doc);
}

static void teardown(void)
{
    clY_free(&doc);
    cl_env_free(env);
    ck_assert_uint_eq(A.live_blocks, 0);
    ck_assert_int_eq(A.bad, 0);
}

/* Loads text (freeing the previous document); returns the status. */
static int load(const char *text)
{
    clY_free(&doc);
    clE_clear(&err);
    return clY_load(env, text, strlen(text), &doc, &err);
}

/* Loads text that must parse, and returns its only root. */
static const clY_node *root_of(const char *text)
{
    int rc = load(text);
    ck_assert_msg(rc == CL_OK, "%u:%u: %s", err.line, err.column, err.message);
    ck_assert_uint_eq(doc.nroots, 1);
    return doc.roots[0];
}

/* Loads text that must fail with code at line:col, its message containing what. */
static void refused(const char *text, int code, unsigned line, unsigned col, const char *what)
{
    int rc = load(text);
    ck_assert_msg(rc == code, "status %s, want %s (%s)", cl_status_name(rc),
                  cl_status_name(code), err.message);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(line == 0 || err.line == line, "line %u, want %u (%s)", err.line, line,
                  err.message);
    ck_assert_msg(col == 0 || err.column == col, "column %u, want %u (%s)", err.column, col,
                  err.message);
    ck_assert_msg(strstr(err.message, what) != NULL, "message \"%s\" lacks \"%s\"",
                  err.message, what);
    ck_assert_uint_eq(doc.nroots, 0);
    ck_assert_ptr_null(doc.roots);
}

/* ------------------------------------------------------------------------
 * Scalars
 * ------------------------------------------------------------------------ */

START_TEST(test_scalar_styles)
{
    const clY_node *r = root_of("a: plain\n"
                                "b: 'single'\n"
                                "c: \"double\\tx\"\n"
                                "d: |\n  block\n  text\n"
                                "e: >\n  folded\n  text\n"
                                "f: !!str 12\n"
                                "g: ! 13\n"
                                "h: ''\n"
                                "i:\n");
    ck_assert_int_eq(r->kind, CLY_MAP);
    ck_assert_uint_eq(r->n, 9);
    static const struct {
        const char *key, *text;
        int quoted;
    } want[] = {
        {"a", "plain", 0},          {"b", "single", 1},        {"c", "double\tx", 1},
        {"d", "block\ntext\n", 1},  {"e", "folded text\n", 1}, {"f", "12", 1},
        {"g", "13", 1},             {"h", "", 1},              {"i", "", 0},
    };
    for (size_t i = 0; i < CL_COUNTOF(want); i++) {
        const clY_node *v = clY_get(r, want[i].key);
        ck_assert_ptr_nonnull(v);
        ck_assert_int_eq(v->kind, CLY_SCALAR);
        ck_assert_str_eq(v->str, want[i].text);
        ck_assert_uint_eq(v->n, strlen(want[i].text));
        ck_assert_msg(v->quoted == want[i].quoted, "%s: quoted %d", want[i].key, v->quoted);
    }
}
END_TEST

/* SPEC 9: booleans are only plain true and false; nothing else converts,
 * and keys are never converted either. */
START_TEST(test_booleans_spec9)
{
    const clY_node *r = root_of("t: true\nf: false\nq: 'true'\nyes: yes\nno: NO\n"
                                "on: on\nOff: Off\ny: y\nT: True\nn: null\ntilde: ~\n"
                                "num: 012\nhex: 0x1F\nfloat: 1e3\n");
    ck_assert(clY_plain_is(clY_get(r, "t"), "true"));
    ck_assert(clY_plain_is(clY_get(r, "f"), "false"));
    ck_assert(!clY_plain_is(clY_get(r, "q"), "true")); /* quoted: text */
    ck_assert_str_eq(clY_get(r, "q")->str, "true");
    ck_assert_str_eq(clY_get(r, "yes")->str, "yes");
    ck_assert_str_eq(clY_get(r, "no")->str, "NO");
    ck_assert_str_eq(clY_get(r, "on")->str, "on");
    ck_assert_str_eq(clY_get(r, "Off")->str, "Off");
    ck_assert_str_eq(clY_get(r, "T")->str, "True");
    ck_assert(!clY_plain_is(clY_get(r, "T"), "true"));
    ck_assert_str_eq(clY_get(r, "n")->str, "null");
    ck_assert_str_eq(clY_get(r, "tilde")->str, "~");
    ck_assert_str_eq(clY_get(r, "num")->str, "012");
    ck_assert_str_eq(clY_get(r, "hex")->str, "0x1F");
    ck_assert_str_eq(clY_get(r, "float")->str, "1e3");
    ck_assert_ptr_null(clY_get(r, "missing"));
    ck_assert_ptr_null(clY_get(NULL, "t"));
    ck_assert_ptr_null(clY_get(clY_get(r, "t"), "t")); /* not a mapping */
    ck_assert(!clY_plain_is(NULL, "true"));
}
END_TEST

START_TEST(test_tags_and_nul)
{
    refused("a: !!int 5\n", CL_ETYPE, 1, 4, "YAML tag tag:yaml.org,2002:int is not supported");
    refused("a: !custom x\n", CL_ETYPE, 1, 4, "is not supported");
    refused("a: !!set { x }\n", CL_ETYPE, 1, 4, "is not supported");
    refused("a: \"x\\0y\"\n", CL_EVALUE, 1, 4, "NUL character");
    const clY_node *r = root_of("a: !!map { b: !!seq [c] }\n");
    ck_assert_int_eq(clY_get(clY_get(r, "a"), "b")->kind, CLY_SEQ);
    ck_assert_str_eq(clY_kind_name(r), "a mapping");
    ck_assert_str_eq(clY_kind_name(clY_get(clY_get(r, "a"), "b")), "a list");
    ck_assert_str_eq(clY_kind_name(clY_get(clY_get(r, "a"), "b")->items[0]), "text");
    ck_assert_str_eq(clY_kind_name(NULL), "nothing");
}
END_TEST

START_TEST(test_positions)
{
    static const char text[] = "version: 1\n"
                               "coupons:\n"
                               "  - code: \xc3\x89T\xc3\x89\n"
                               "    when: { x: [1, \"two\"] }\n";
    const clY_node *r = root_of(text);
    ck_assert_uint_eq(r->line, 1);
    ck_assert_uint_eq(r->col, 1);
    const clY_node *list = clY_get(r, "coupons");
    ck_assert_uint_eq(list->line, 3);
    ck_assert_uint_eq(list->col, 3);
    const clY_node *c = list->items[0];
    ck_assert_uint_eq(c->line, 3);
    ck_assert_uint_eq(c->col, 5);
    const clY_node *code = clY_get(c, "code");
    ck_assert_uint_eq(code->col, 11);
    ck_assert_uint_eq(clY_pos(&doc, code).offset, (size_t)(strstr(text, "\xc3\x89T") - text));
    const clY_node *x = clY_get(clY_get(c, "when"), "x");
    ck_assert_uint_eq(x->line, 4);
    ck_assert_uint_eq(x->col, 16);
    ck_assert_uint_eq(x->items[1]->col, 20);
    cl_pos p = clY_pos(&doc, x->items[1]);
    ck_assert_uint_eq(p.line, 4);
    ck_assert_uint_eq(p.col, 20);
    ck_assert_int_eq(text[p.offset], '"');
    /* columns count characters: the key after "ÉTÉ" on line 3 */
    r = root_of("a: \xc3\xa9\xc3\xa9\n" "b: [\xc3\xa9, z]\n");
    const clY_node *z = clY_get(r, "b")->items[1];
    ck_assert_uint_eq(z->col, 8);
    ck_assert_int_eq(doc.src[clY_pos(&doc, z).offset], 'z');
    /* a node without a document gets no offset */
    ck_assert_uint_eq(clY_pos(NULL, z).offset, 0);
    ck_assert_uint_eq(clY_pos(NULL, z).line, 2);
}
END_TEST

START_TEST(test_json)
{
    const clY_node *r = root_of("{\"now\": \"2026-11-28T15:30:00Z\", \"items\": "
                                "[{\"sku\": \"A\", \"quantity\": 1, \"on_sale\": false}],\n"
                                " \"n\": null}");
    ck_assert_int_eq(r->kind, CLY_MAP);
    const clY_node *it = clY_get(r, "items")->items[0];
    ck_assert(clY_get(it, "sku")->quoted);
    ck_assert_str_eq(clY_get(it, "quantity")->str, "1");
    ck_assert(!clY_get(it, "quantity")->quoted);
    ck_assert(clY_plain_is(clY_get(it, "on_sale"), "false"));
    ck_assert(clY_plain_is(clY_get(r, "n"), "null"));
    ck_assert_uint_eq(clY_get(r, "n")->line, 2);
}
END_TEST

/* ------------------------------------------------------------------------
 * Aliases
 * ------------------------------------------------------------------------ */

START_TEST(test_aliases)
{
    const clY_node *r = root_of("base: &b { percent: 10, target: order }\n"
                                "s: &s hello\n"
                                "one: *b\n"
                                "two: [*b, *s, *s]\n");
    const clY_node *base = clY_get(r, "base");
    ck_assert_ptr_eq(clY_get(r, "one"), base); /* shared, not copied */
    ck_assert_ptr_eq(clY_get(r, "two")->items[0], base);
    ck_assert_ptr_eq(clY_get(r, "two")->items[1], clY_get(r, "s"));
    ck_assert_uint_eq(base->weight, 5); /* the mapping and its four scalars */
    /* the root counts aliased subtrees in full */
    ck_assert_uint_eq(clY_get(r, "two")->weight, 1 + 5 + 1 + 1);
    refused("a: *nope\n", CL_EVALUE, 1, 4, "unknown anchor *nope");
    refused("a: &x [1, *x]\n", CL_EVALUE, 1, 11, "refers to a node that contains it");
    refused("a: &x { b: { c: *x } }\n", CL_EVALUE, 1, 17, "contains it");
    /* a later anchor of the same name wins */
    r = root_of("a: &x 1\nb: &x 2\nc: *x\n");
    ck_assert_str_eq(clY_get(r, "c")->str, "2");
}
END_TEST

/* The billion laughs, scaled: each level aliases the one before ten times. */
START_TEST(test_alias_bomb)
{
    static const char bomb[] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                               "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                               "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                               "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                               "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                               "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                               "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    /* the default limit of 10000 aliased nodes is crossed at level d */
    refused(bomb, CL_ELIMIT, 4, 0, "aliases expand to more than 10000 nodes");
    ck_assert_uint_lt(A.peak_bytes, 4u << 20);
    /* a smaller limit stops it earlier */
    cl_env_set_limit(env, CL_LIMIT_ALIASES, 50);
    refused(bomb, CL_ELIMIT, 2, 0, "more than 50 nodes");
    /* a generous limit lets the first levels through */
    cl_env_set_limit(env, CL_LIMIT_ALIASES, 200);
    const clY_node *r = root_of("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                                "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n");
    ck_assert_uint_eq(clY_get(r, "b")->weight, 1 + 10 * 11);
    /* exactly at the limit passes; one node more does not */
    cl_env_set_limit(env, CL_LIMIT_ALIASES, 3);
    root_of("a: &a x\nb: [*a, *a, *a]\n");
    refused("a: &a x\nb: [*a, *a, *a, *a]\n", CL_ELIMIT, 2, 17, "more than 3 nodes");
}
END_TEST

/* ------------------------------------------------------------------------
 * Merge keys and duplicate keys
 * ------------------------------------------------------------------------ */

START_TEST(test_merge)
{
    const clY_node *r = root_of("base: &b { percent: 10, target: order }\n"
                                "more: &m { max_amount: 5, percent: 20 }\n"
                                "one: { <<: *b, percent: 15 }\n"
                                "two: { <<: [*m, *b] }\n"
                                "three: { '<<': x }\n");
    const clY_node *one = clY_get(r, "one");
    ck_assert_uint_eq(one->n, 2);
    ck_assert_str_eq(clY_get(one, "percent")->str, "15"); /* explicit keys win */
    ck_assert_str_eq(clY_get(one, "target")->str, "order");
    ck_assert_ptr_null(clY_get(one, "<<"));
    const clY_node *two = clY_get(r, "two");
    ck_assert_uint_eq(two->n, 3);
    ck_assert_str_eq(clY_get(two, "percent")->str, "20"); /* the first merged mapping wins */
    ck_assert_str_eq(clY_get(two, "max_amount")->str, "5");
    ck_assert_str_eq(clY_get(two, "target")->str, "order");
    /* a quoted << is an ordinary key */
    ck_assert_str_eq(clY_get(clY_get(r, "three"), "<<")->str, "x");
    refused("a: { <<: x }\n", CL_ETYPE, 0, 0, "a merge key (<<) takes a mapping");
    refused("a: { <<: [x] }\n", CL_ETYPE, 0, 0, "takes a mapping or a list of mappings");
}
END_TEST

START_TEST(test_duplicates)
{
    refused("a: 1\nb: 2\na: 3\n", CL_EDUPLICATE, 3, 1, "duplicate key \"a\" (first at line 1)");
    refused("x: { k: 1, j: 2, k: 3 }\n", CL_EDUPLICATE, 1, 18, "duplicate key \"k\"");
    refused("- { a: 1 }\n- { b: 1, b: 2 }\n", CL_EDUPLICATE, 2, 11, "duplicate key \"b\"");
    refused("? [a]\n: 1\n", CL_ETYPE, 1, 3, "a mapping key must be text, not a list");
    refused("? { a: 1 }\n: 1\n", CL_ETYPE, 1, 3, "not a mapping");
    /* quoting does not change a key's text; case does */
    refused("a: 1\n'a': 2\n", CL_EDUPLICATE, 2, 1, "duplicate key \"a\"");
    const clY_node *r = root_of("A: 1\na: 2\n");
    ck_assert_uint_eq(r->n, 2);
    /* a key given through a merge and explicitly is not a duplicate */
    r = root_of("b: &b { k: 1 }\nc: { <<: *b, k: 2 }\n");
    ck_assert_str_eq(clY_get(clY_get(r, "c"), "k")->str, "2");
    /* many keys, one duplicate far apart */
    char big[8192];
    size_t n = 0;
    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "k%d: %d\n", i, i);
    snprintf(big + n, sizeof big - n, "k250: again\n");
    refused(big, CL_EDUPLICATE, 501, 1, "duplicate key \"k250\" (first at line 251)");
}
END_TEST

/* ------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------ */

START_TEST(test_depth_limit)
{
    cl_env_set_limit(env, CL_LIMIT_DEPTH, 5);
    root_of("[[[[[x]]]]]");
    refused("[[[[[[x]]]]]]", CL_ELIMIT, 1, 6, "nesting deeper than 5 levels");
    refused("a: { b: { c: { d: { e: { f: 1 } } } } }\n", CL_ELIMIT, 1, 24, "deeper than 5");
    /* the default limit holds against a deep document, without recursion */
    cl_env_set_limit(env, CL_LIMIT_DEPTH, 64);
    char deep[20001];
    memset(deep, '[', 10000);
    memset(deep + 10000, ']', 10000);
    deep[20000] = '\0';
    refused(deep, CL_ELIMIT, 1, 65, "nesting deeper than 64 levels");
}
END_TEST

START_TEST(test_node_list_string_limits)
{
    cl_env_set_limit(env, CL_LIMIT_NODES, 5);
    root_of("[a, b, c, d]");
    refused("[a, b, c, d, e]", CL_ELIMIT, 1, 14, "document has more than 5 nodes");
    cl_env_set_limit(env, CL_LIMIT_NODES, 1000);
    cl_env_set_limit(env, CL_LIMIT_LIST, 3);
    root_of("[a, b, c]");
    refused("[a, b, c, d]", CL_ELIMIT, 1, 11, "more than 3 entries in one list");
    root_of("{a: 1, b: 2, c: 3}");
    refused("{a: 1, b: 2, c: 3, d: 4}", CL_ELIMIT, 1, 20, "more than 3 entries in one mapping");
    cl_env_set_limit(env, CL_LIMIT_LIST, 100);
    cl_env_set_limit(env, CL_LIMIT_STRING, 4);
    root_of("abcd");
    refused("x: abcde", CL_ELIMIT, 1, 4, "text of 5 bytes exceeds the limit of 4");
    refused("abcde: x", CL_ELIMIT, 1, 1, "exceeds the limit");
    cl_env_set_limit(env, CL_LIMIT_STRING, 100);
    cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, 10);
    root_of("a: 1234567");
    refused("a: 12345678", CL_ELIMIT, 0, 0, "input of 11 bytes exceeds the limit of 10");
}
END_TEST

/* ------------------------------------------------------------------------
 * Syntax errors, streams
 * ------------------------------------------------------------------------ */

START_TEST(test_syntax_errors)
{
    refused("a: [1, 2\n", CL_ESYNTAX, 2, 1, "did not find expected ',' or ']'");
    refused("a: b: c\n", CL_ESYNTAX, 1, 5, "mapping values are not allowed");
    refused("a: 1\n b: 2\n", CL_ESYNTAX, 2, 3, "mapping values are not allowed");
    refused("a: 'open\n", CL_ESYNTAX, 2, 1, "found unexpected end of stream");
    refused("\t- x\n", CL_ESYNTAX, 1, 1, "cannot start any token");
    refused("{\"a\": 1,, }", CL_ESYNTAX, 1, 0, "");
    /* the context of the problem is named with its line */
    refused("a:\n  - b\n  c: d\n", CL_ESYNTAX, 3, 3, "(while parsing a block collection at line 2)");
    /* invalid UTF-8 is a syntax error, not a crash */
    refused("a: \xff\xfe\n", CL_ESYNTAX, 0, 0, "");
}
END_TEST

START_TEST(test_streams)
{
    ck_assert_int_eq(load(""), CL_OK);
    ck_assert_uint_eq(doc.nroots, 0);
    ck_assert_int_eq(load("# only a comment\n"), CL_OK);
    ck_assert_uint_eq(doc.nroots, 0);
    ck_assert_int_eq(load("---\na: 1\n---\nb: &x 2\n...\n---\n- c\n"), CL_OK);
    ck_assert_uint_eq(doc.nroots, 3);
    ck_assert_str_eq(clY_get(doc.roots[1], "b")->str, "2");
    ck_assert_int_eq(doc.roots[2]->kind, CLY_SEQ);
    /* anchors do not reach across documents */
    refused("---\na: &x 1\n---\nb: *x\n", CL_EVALUE, 4, 4, "unknown anchor *x");
    /* a scalar document */
    const clY_node *r = root_of("just text");
    ck_assert_str_eq(r->str, "just text");
}
END_TEST

/* Texts are copied: the tree does not point into the source, except for
 * doc->src used for positions. */
START_TEST(test_copies)
{
    char text[] = "k: value\n";
    const clY_node *r = root_of(text);
    memset(text, 'x', 8);
    ck_assert_str_eq(clY_get(r, "k")->str, "value");
}
END_TEST

/* ------------------------------------------------------------------------
 * Out of memory
 * ------------------------------------------------------------------------ */

static const char oom_text[] = "base: &b { percent: 10, target: order, tiers: [1, 2, 3] }\n"
                               "list: [*b, *b, { <<: *b, percent: 5 }]\n"
                               "more: { a: [1, [2, [3, [4]]]], b: 'q' }\n"
                               "text: |\n  a block\n  scalar\n";

static int oom_step(void *ud)
{
    CL_UNUSED(ud);
    clY_doc d;
    cl_error e;
    int rc = clY_load(env, oom_text, sizeof oom_text - 1, &d, &e);
    if (rc == CL_OK)
        ck_assert_uint_eq(d.nroots, 1);
    else {
        ck_assert_msg(rc == CL_ENOMEM && e.code == CL_ENOMEM, "status %s: %s",
                      cl_status_name(rc), e.message);
        ck_assert_uint_eq(d.nroots, 0);
    }
    clY_free(&d);
    return rc == CL_OK ? 0 : 1;
}

START_TEST(test_oom)
{
    long n = test_oom_sweep(&A, oom_step, NULL, 10000);
    ck_assert_int_gt(n, 5);
}
END_TEST

static Suite *yamldoc_suite(void)
{
    const test_entry tests[] = {
        {"scalars", test_scalar_styles},   {"scalars", test_booleans_spec9},
        {"scalars", test_tags_and_nul},    {"scalars", test_positions},
        {"scalars", test_json},            {"aliases", test_aliases},
        {"aliases", test_alias_bomb},      {"keys", test_merge},
        {"keys", test_duplicates},         {"limits", test_depth_limit},
        {"limits", test_node_list_string_limits}, {"errors", test_syntax_errors},
        {"errors", test_streams},          {"errors", test_copies},
        {"oom", test_oom},
    };
    return test_suite_fx("yamldoc", tests, CL_COUNTOF(tests), 120, setup, teardown);
}

TEST_MAIN(yamldoc_suite)
