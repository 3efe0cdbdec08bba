/*
 * test_build.c - unit tests of build.c, the unit builder: interning of
 * strings, numbers, sets and integer sets, regexes compiled at load time
 * (PCRE2's offset shifted onto the file), messages and instructions, and
 * clC_finish() turning it all into a verified unit, or refusing it.
 */
#include "build.h"
#include "oomalloc.h"
#include "testutil.h"

#include <stdio.h>

static test_alloc A;
static cl_env *env;
static clB_arena arena;
static clC_builder b;
static cl_error err;

static void setup(void)
{
    memset(&A, 0, sizeof A);
    env = cl_env_new(test_alloc_fn, &A);
    clB_arena_init(&arena, env);
    clE_clear(&err);
    clC_init(&b, env, &arena, "unit.yaml", &err);
}

static void teardown(void)
{
    clC_free(&b);
    clB_arena_free(&arena);
    cl_env_free(env);
    ck_assert_uint_eq(A.live_blocks, 0);
    ck_assert_int_eq(A.bad, 0);
}

static const char *text_of(uint32_t s)
{
    return b.pool.p + b.strs.v[s].off;
}

/* ------------------------------------------------------------------------
 * Constants
 * ------------------------------------------------------------------------ */

START_TEST(test_strings)
{
    uint32_t a, a2, c, e, z;
    ck_assert_int_eq(clC_str(&b, "alpha", 5, &a), CL_OK);
    ck_assert_int_eq(clC_str(&b, "beta", 4, &c), CL_OK);
    ck_assert_int_eq(clC_str(&b, "alphabet", 5, &a2), CL_OK); /* counted: "alpha" again */
    ck_assert_uint_eq(a, a2);
    ck_assert_uint_ne(a, c);
    ck_assert_int_eq(clC_str(&b, "", 0, &e), CL_OK);
    ck_assert_int_eq(clC_str(&b, "a\0b", 3, &z), CL_OK); /* bytes, not C strings */
    ck_assert_uint_ne(z, a);
    ck_assert_uint_eq(b.strs.v[z].len, 3);
    ck_assert_str_eq(text_of(a), "alpha");
    ck_assert_str_eq(text_of(e), "");
    ck_assert_int_eq(memcmp(text_of(z), "a\0b", 4), 0); /* NUL-terminated in the pool */
    /* case matters for interning */
    uint32_t up;
    ck_assert_int_eq(clC_str(&b, "ALPHA", 5, &up), CL_OK);
    ck_assert_uint_ne(up, a);
    /* thousands of strings: the table grows, every one keeps its index */
    uint32_t idx[5000];
    for (int i = 0; i < 5000; i++) {
        char s[16];
        int n = snprintf(s, sizeof s, "s%d", i);
        ck_assert_int_eq(clC_str(&b, s, (size_t)n, &idx[i]), CL_OK);
    }
    for (int i = 0; i < 5000; i++) {
        char s[16];
        int n = snprintf(s, sizeof s, "s%d", i);
        uint32_t again;
        ck_assert_int_eq(clC_str(&b, s, (size_t)n, &again), CL_OK);
        REQUIRE(again == idx[i], "s%d: %u, then %u", i, idx[i], again);
        REQUIRE(strcmp(text_of(again), s) == 0, "s%d: text %s", i, text_of(again));
    }
    ck_assert_uint_eq(b.strs.n, 5000 + 5);
}
END_TEST

START_TEST(test_numbers)
{
    uint32_t i, j, k;
    ck_assert_int_eq(clC_int(&b, 42, &i), CL_OK);
    ck_assert_int_eq(clC_int(&b, 42, &j), CL_OK); /* numbers are not interned */
    ck_assert_uint_eq(j, i + 1);
    ck_assert_int_eq(clC_int2(&b, -7, INT64_MAX, &k), CL_OK);
    ck_assert_int_eq(b.ints.v[k], -7);
    ck_assert_int_eq(b.ints.v[k + 1], INT64_MAX);
    uint32_t set;
    const int64_t v[] = {5, -1, 5, 3, INT64_MIN, 3, 5};
    ck_assert_int_eq(clC_iset(&b, v, CL_COUNTOF(v), &set), CL_OK);
    const clP_iset *s = &b.isets.v[set];
    ck_assert_uint_eq(s->count, 4);
    const int64_t want[] = {INT64_MIN, -1, 3, 5};
    for (uint32_t x = 0; x < 4; x++)
        ck_assert_int_eq(b.ints.v[s->first + x], want[x]);
    /* numbers after the set do not disturb it */
    ck_assert_int_eq(clC_int(&b, 9, &i), CL_OK);
    ck_assert_uint_eq(i, s->first + 4);
    ck_assert_int_eq(clC_iset(&b, v, 0, &set), CL_OK);
    ck_assert_uint_eq(b.isets.v[set].count, 0);
}
END_TEST

START_TEST(test_sets)
{
    const char *s[] = {"b", "a", "b", "Card", "c"};
    size_t lens[] = {1, 1, 1, 4, 1};
    uint32_t set, fset;
    ck_assert_int_eq(clC_set(&b, s, lens, 5, false, &set), CL_OK);
    const clP_set *st = &b.sets.v[set];
    ck_assert_uint_eq(st->count, 4);
    ck_assert_int_eq(st->fold, 0);
    /* members are distinct and sorted by string index */
    for (uint32_t i = 1; i < st->count; i++)
        ck_assert_uint_lt(b.items.v[st->first + i - 1], b.items.v[st->first + i]);
    ck_assert_int_eq(clC_set(&b, s, lens, 5, true, &fset), CL_OK);
    st = &b.sets.v[fset];
    ck_assert_int_eq(st->fold, 1);
    bool lower = false;
    for (uint32_t i = 0; i < st->count; i++)
        lower |= strcmp(text_of(b.items.v[st->first + i]), "card") == 0;
    ck_assert(lower);
    /* a folded member longer than the small buffer */
    char longs[600];
    memset(longs, 'Q', sizeof longs);
    const char *ls[] = {longs};
    size_t ll[] = {sizeof longs};
    ck_assert_int_eq(clC_set(&b, ls, ll, 1, true, &fset), CL_OK);
    const char *m = text_of(b.items.v[b.sets.v[fset].first]);
    ck_assert_int_eq(m[0], 'q');
    ck_assert_int_eq(m[599], 'q');
    ck_assert_int_eq(m[600], '\0');
    /* an empty set */
    ck_assert_int_eq(clC_set(&b, NULL, NULL, 0, false, &set), CL_OK);
    ck_assert_uint_eq(b.sets.v[set].count, 0);
}
END_TEST

START_TEST(test_regex)
{
    uint32_t r;
    cl_pos at = {3, 10, 40};
    ck_assert_int_eq(clC_regex(&b, "^A[0-9]+$", 9, at, &r), CL_OK);
    ck_assert_uint_eq(r, 0);
    ck_assert_uint_eq(b.regexes.v[0].line, 3);
    ck_assert_uint_eq(b.regexes.v[0].col, 10);
    ck_assert_str_eq(text_of(b.regexes.v[0].pattern), "^A[0-9]+$");
    ck_assert_ptr_nonnull(b.re.v[0]);
    /* PCRE2's offset is in bytes of the pattern; the column counts characters */
    ck_assert_int_eq(clC_regex(&b, "\xc3\xa9\xc3\xa9(x", 6, at, &r), CL_EREGEX);
    ck_assert_uint_eq(err.line, 3);
    ck_assert_uint_eq(err.column, 10 + 4);
    ck_assert_uint_eq(err.offset, 40 + 6);
    ck_assert_msg(strstr(err.message, "bad regex: missing closing parenthesis (at offset 6 of "
                                      "the pattern)") != NULL, "%s", err.message);
    ck_assert_int_eq(clC_regex(&b, "a{2,1}", 6, at, &r), CL_EREGEX);
    ck_assert_uint_gt(err.column, 10);
    /* invalid UTF-8 in a pattern is PCRE2's error too */
    ck_assert_int_eq(clC_regex(&b, "a\xff", 2, at, &r), CL_EREGEX);
    cl_env_set_limit(env, CL_LIMIT_REGEX_LENGTH, 4);
    ck_assert_int_eq(clC_regex(&b, "abcde", 5, at, &r), CL_ELIMIT);
    ck_assert_uint_eq(err.column, 10);
    ck_assert_uint_eq(b.regexes.n, 1);
    ck_assert_uint_eq(b.re.n, 1);
}
END_TEST

START_TEST(test_msgs_and_ops)
{
    uint32_t m, m2, at;
    ck_assert_int_eq(clC_msg(&b, CL_R_PAYMENT, "pay by card", 7, &m), CL_OK);
    ck_assert_int_eq(clC_msg(&b, CL_R_USER, "pay by card", 8, &m2), CL_OK);
    ck_assert_uint_eq(m2, m + 1);
    ck_assert_uint_eq(b.msgs.v[m].text, b.msgs.v[m2].text); /* the text is interned */
    ck_assert_int_eq(b.msgs.v[m2].reason, CL_R_USER);
    ck_assert_uint_eq(b.msgs.v[m2].line, 8);
    ck_assert_int_eq(clC_op(&b, OP_TRUE, 0, 0, 0, &at), CL_OK);
    ck_assert_uint_eq(at, 0);
    ck_assert_int_eq(clC_op(&b, OP_REQUIRE, CL_R_USER, 0, m2, NULL), CL_OK);
    ck_assert_int_eq(clC_op(&b, OP_HALT, 0, 0, 0, &at), CL_OK);
    ck_assert_uint_eq(at, 2);
    ck_assert_int_eq(b.code.v[1].op, OP_REQUIRE);
    ck_assert_int_eq(b.code.v[1].a, CL_R_USER);
    ck_assert_uint_eq(b.code.v[1].c, m2);
    ck_assert_int_eq(clC_oom(&b), CL_ENOMEM);
    ck_assert_int_eq(err.code, CL_ENOMEM);
}
END_TEST

/* ------------------------------------------------------------------------
 * Finishing
 * ------------------------------------------------------------------------ */

/* One coupon whose code is TRUE, REQUIRE, TARGET, HALT, plus a set. */
static int build_small(bool halt)
{
    uint32_t code = 0, m = 0, dm = 0, set = 0;
    const char *members[] = {"x", "y", "z"};
    size_t lens[] = {1, 1, 1};
    int rc = clC_str(&b, "SMALL", 5, &code);
    if (rc == CL_OK)
        rc = clC_set(&b, members, lens, 3, false, &set);
    if (rc == CL_OK)
        rc = clC_msg(&b, CL_R_CONDITION, "always", 1, &m);
    if (rc == CL_OK)
        rc = clC_msg(&b, CL_R_ITEMS, "requires an item", 1, &dm);
    clP_discount d = {0};
    d.kind = DK_PERCENT;
    d.target = TG_ORDER;
    d.filter = CL_NONE;
    d.value = 500;
    d.max_amount = d.max_units = d.max_groups = -1;
    d.msg = dm;
    d.msg2 = CL_NONE;
    if (rc == CL_OK && !CL_PUSH(env, b.discounts, d))
        rc = clC_oom(&b);
    if (rc == CL_OK)
        rc = clC_op(&b, OP_TRUE, 0, 0, 0, NULL);
    if (rc == CL_OK)
        rc = clC_op(&b, OP_REQUIRE, CL_R_CONDITION, 0, m, NULL);
    if (rc == CL_OK)
        rc = clC_op(&b, OP_TARGET, 0, 0, 0, NULL);
    if (rc == CL_OK && halt)
        rc = clC_op(&b, OP_HALT, 0, 0, 0, NULL);
    clP_coupon c = {0};
    c.code = code;
    c.name = c.group = c.zone = CL_NONE;
    c.uses = c.per_user = c.budget = -1;
    c.exponent = -1;
    if (rc == CL_OK && !CL_PUSH(env, b.coupons, c))
        rc = clC_oom(&b);
    return rc;
}

START_TEST(test_finish)
{
    ck_assert_int_eq(build_small(true), CL_OK);
    clP_unit *u = NULL;
    ck_assert_int_eq(clC_finish(&b, &u), CL_OK);
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(u->source, "unit.yaml");
    ck_assert_uint_eq(u->n_code, 4);
    ck_assert_uint_eq(u->n_coupons, 1);
    ck_assert_uint_eq(u->n_sets, 1);
    ck_assert_uint_eq(u->sets[0].nslots, 8); /* a power of two, at least twice the members */
    ck_assert(clP_set_has(u, 0, "y", 1));
    ck_assert(!clP_set_has(u, 0, "w", 1));
    ck_assert(!clP_set_has(u, 0, "Y", 1));
    ck_assert_uint_eq(u->n_pool, b.pool.n + u->n_pool); /* the pool moved to the unit */
    ck_assert_ptr_null(b.code.v); /* the builder is empty */
    ck_assert_uint_eq(b.code.n, 0);
    /* the unit is a program's */
    cl_program *p = clP_program_of_unit(env, u, &err);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(cl_program_find(p, "small"), 0);
    cl_program_free(p);
}
END_TEST

/* A unit that fails verification is freed by clC_finish, which reports why. */
START_TEST(test_finish_refuses)
{
    ck_assert_int_eq(build_small(false), CL_OK);
    clP_unit *u = NULL;
    ck_assert_int_eq(clC_finish(&b, &u), CL_EVERIFY);
    ck_assert_ptr_null(u);
    ck_assert_msg(strstr(err.message, "does not end in HALT") != NULL, "%s", err.message);
}
END_TEST

static int oom_step(void *ud)
{
    CL_UNUSED(ud);
    clC_builder x;
    clB_arena ar;
    cl_error e;
    clB_arena_init(&ar, env);
    clE_clear(&e);
    clC_builder keep = b;
    clC_init(&x, env, &ar, "unit.yaml", &e);
    b = x;
    b.err = &e;
    int rc = build_small(true);
    clP_unit *u = NULL;
    if (rc == CL_OK)
        rc = clC_finish(&b, &u);
    clC_free(&b);
    clB_arena_free(&ar);
    b = keep;
    if (rc == CL_OK) {
        clP_unit_release(u);
        return 0;
    }
    ck_assert_msg(rc == CL_ENOMEM && e.code == CL_ENOMEM, "%s: %s", cl_status_name(rc),
                  e.message);
    return 1;
}

START_TEST(test_oom)
{
    ck_assert_int_gt(test_oom_sweep(&A, oom_step, NULL, 1000), 10);
}
END_TEST

static Suite *build_suite(void)
{
    const test_entry tests[] = {
        {"constants", test_strings},     {"constants", test_numbers},
        {"constants", test_sets},        {"constants", test_regex},
        {"constants", test_msgs_and_ops}, {"finish", test_finish},
        {"finish", test_finish_refuses}, {"finish", test_oom},
    };
    return test_suite_fx("build", tests, CL_COUNTOF(tests), 60, setup, teardown);
}

TEST_MAIN(build_suite)
