/*
 * test_buf.c - unit tests of buf.c: plain blocks, growable arrays, arenas,
 * byte strings and the counted-string helpers. Everything runs over the
 * counting allocator of oomalloc.h, so a wrong size handed back to the
 * allocator, a leak or a write past a block shows up here.
 */
#include "core.h"
#include "oomalloc.h"
#include "testutil.h"

#include <stdio.h>
#include <strings.h>

static test_alloc A;
static cl_env *env;

static void setup(void)
{
    memset(&A, 0, sizeof A);
    env = cl_env_new(test_alloc_fn, &A);
    ck_assert_ptr_nonnull(env);
}

static void teardown(void)
{
    cl_env_free(env);
    ck_assert_uint_eq(A.live_blocks, 0);
    ck_assert_int_eq(A.bad, 0);
}

/* ------------------------------------------------------------------------
 * Plain blocks
 * ------------------------------------------------------------------------ */

START_TEST(test_alloc_blocks)
{
    size_t blocks = A.live_blocks;
    void *p = clB_alloc(env, 0); /* a zero-size request still gets a block */
    ck_assert_ptr_nonnull(p);
    clB_free(env, p, 1);
    unsigned char *z = clB_calloc(env, 10, 7);
    ck_assert_ptr_nonnull(z);
    for (int i = 0; i < 70; i++)
        ck_assert_int_eq(z[i], 0);
    z = clB_realloc(env, z, 70, 700);
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(z[69], 0);
    clB_free(env, z, 700);
    clB_free(env, NULL, 123); /* no-op */
    ck_assert_uint_eq(A.live_blocks, blocks);
    /* n * size overflows: refused before asking the allocator */
    long asked = A.total;
    ck_assert_ptr_null(clB_calloc(env, SIZE_MAX / 2, 3));
    ck_assert_int_eq(A.total, asked);
    void *one = clB_calloc(env, 0, 8);
    ck_assert_ptr_nonnull(one);
    clB_free(env, one, 1);
}
END_TEST

START_TEST(test_strndup)
{
    char *s = clB_strndup(env, "hello world", 5);
    ck_assert_str_eq(s, "hello");
    clB_free(env, s, 6);
    s = clB_strndup(env, NULL, 0);
    ck_assert_str_eq(s, "");
    clB_free(env, s, 1);
    ck_assert_ptr_null(clB_strndup(env, "x", SIZE_MAX));
    test_alloc_fail_at(&A, 1);
    ck_assert_ptr_null(clB_strndup(env, "abc", 3));
    test_alloc_fail_at(&A, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * Growable arrays
 * ------------------------------------------------------------------------ */

START_TEST(test_grow)
{
    int *v = NULL;
    size_t cap = 0;
    ck_assert(clB_grow(env, (void **)&v, &cap, 1, sizeof *v));
    ck_assert_uint_eq(cap, 8);
    ck_assert(clB_grow(env, (void **)&v, &cap, 8, sizeof *v)); /* fits: no change */
    ck_assert_uint_eq(cap, 8);
    ck_assert(clB_grow(env, (void **)&v, &cap, 9, sizeof *v));
    ck_assert_uint_eq(cap, 16);
    ck_assert(clB_grow(env, (void **)&v, &cap, 100, sizeof *v));
    ck_assert_uint_eq(cap, 128);
    for (int i = 0; i < 128; i++)
        v[i] = i;
    /* overflow of the element count and of the byte size: refused, untouched */
    int *keep = v;
    ck_assert(!clB_grow(env, (void **)&v, &cap, SIZE_MAX, sizeof *v));
    ck_assert(!clB_grow(env, (void **)&v, &cap, SIZE_MAX / 2 + 2, 1));
    ck_assert(!clB_grow(env, (void **)&v, &cap, SIZE_MAX / 4, 64));
    ck_assert_ptr_eq(v, keep);
    ck_assert_uint_eq(cap, 128);
    /* out of memory: untouched */
    test_alloc_fail_at(&A, 1);
    ck_assert(!clB_grow(env, (void **)&v, &cap, 129, sizeof *v));
    test_alloc_fail_at(&A, 0);
    ck_assert_ptr_eq(v, keep);
    ck_assert_uint_eq(cap, 128);
    ck_assert_int_eq(v[127], 127);
    clB_free(env, v, cap * sizeof *v);
}
END_TEST

START_TEST(test_vec_macros)
{
    CL_VEC(int64_t) v = {0};
    for (int64_t i = 0; i < 1000; i++)
        ck_assert(CL_PUSH(env, v, i * i));
    ck_assert_uint_eq(v.n, 1000);
    ck_assert_uint_ge(v.cap, 1000);
    for (int64_t i = 0; i < 1000; i++)
        REQUIRE(v.v[i] == i * i, "element %lld", (long long)i);
    ck_assert(CL_RESERVE(env, v, 5000));
    ck_assert_uint_ge(v.cap, 6000);
    ck_assert_uint_eq(v.n, 1000);
    /* a failed push leaves the vector as it was */
    size_t cap = v.cap;
    v.n = v.cap;
    test_alloc_fail_at(&A, 1);
    ck_assert(!CL_PUSH(env, v, 7));
    test_alloc_fail_at(&A, 0);
    ck_assert_uint_eq(v.n, cap);
    ck_assert_uint_eq(v.cap, cap);
    CL_VEC_FREE(env, v);
    ck_assert_ptr_null(v.v);
    ck_assert_uint_eq(v.n + v.cap, 0);
    CL_VEC_FREE(env, v); /* twice is harmless */
}
END_TEST

/* ------------------------------------------------------------------------
 * Arenas
 * ------------------------------------------------------------------------ */

START_TEST(test_arena_basics)
{
    clB_arena a;
    clB_arena_init(&a, env);
    ck_assert_uint_eq(a.total, 0);
    size_t blocks = A.live_blocks;
    for (size_t n = 0; n < 300; n++) {
        unsigned char *p = clB_arena_alloc(&a, n);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < n; i++)
            REQUIRE(p[i] == 0, "byte %zu of block %zu not zeroed", i, n);
        memset(p, 0xAB, n);
    }
    ck_assert_uint_gt(A.live_blocks, blocks);
    /* a block larger than the arena's blocks gets one of its own */
    unsigned char *big = clB_arena_alloc(&a, 100000);
    ck_assert_ptr_nonnull(big);
    big[99999] = 1;
    ck_assert_uint_ge(a.total, 100000);
    char *s = clB_arena_strndup(&a, "abcdef", 3);
    ck_assert_str_eq(s, "abc");
    ck_assert_ptr_null(clB_arena_strndup(&a, "x", SIZE_MAX));
    clB_arena_free(&a);
    ck_assert_uint_eq(A.live_blocks, blocks);
    ck_assert_uint_eq(a.total, 0);
    clB_arena_free(&a); /* twice is harmless */
}
END_TEST

START_TEST(test_arena_reset)
{
    clB_arena a;
    clB_arena_init(&a, env);
    clB_arena_reset(&a); /* empty: nothing to keep */
    size_t blocks = A.live_blocks;
    for (int i = 0; i < 100; i++)
        ck_assert_ptr_nonnull(clB_arena_alloc(&a, 1000));
    ck_assert_uint_gt(A.live_blocks, blocks + 1);
    clB_arena_reset(&a);
    ck_assert_uint_eq(A.live_blocks, blocks + 1); /* the newest block stays */
    ck_assert_uint_eq(a.used, 0);
    long asked = A.total;
    unsigned char *p = clB_arena_alloc(&a, 500);
    ck_assert_int_eq(A.total, asked); /* reused, no new block */
    for (int i = 0; i < 500; i++)
        REQUIRE(p[i] == 0, "byte %d of a reused block not zeroed", i);
    clB_arena_free(&a);
    ck_assert_uint_eq(A.live_blocks, blocks);
}
END_TEST

/* Sizes whose rounding to 16 bytes would wrap around are refused, not
 * turned into tiny blocks. */
START_TEST(test_arena_overflow)
{
    clB_arena a;
    clB_arena_init(&a, env);
    ck_assert_ptr_null(clB_arena_alloc(&a, SIZE_MAX));
    ck_assert_ptr_null(clB_arena_alloc(&a, SIZE_MAX - 14));
    ck_assert_ptr_null(clB_arena_alloc(&a, SIZE_MAX - 100));
    ck_assert_ptr_null(clB_arena_strndup(&a, "x", SIZE_MAX - 1));
    test_alloc_fail_at(&A, 1);
    ck_assert_ptr_null(clB_arena_alloc(&a, 10));
    test_alloc_fail_at(&A, 0);
    ck_assert_ptr_nonnull(clB_arena_alloc(&a, 10));
    clB_arena_free(&a);
}
END_TEST

/* ------------------------------------------------------------------------
 * Byte strings
 * ------------------------------------------------------------------------ */

START_TEST(test_str)
{
    clB_str s = {0};
    ck_assert(clB_str_append(env, &s, "", 0));
    ck_assert_str_eq(s.p, "");
    ck_assert(clB_str_append(env, &s, "abc", 3));
    ck_assert(clB_str_append(env, &s, "defgh", 2));
    ck_assert_str_eq(s.p, "abcde");
    ck_assert_uint_eq(s.n, 5);
    ck_assert(clB_str_printf(env, &s, "-%d-%s", 42, "x"));
    ck_assert_str_eq(s.p, "abcde-42-x");
    /* longer than printf's small buffer */
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert(clB_str_printf(env, &s, "[%s]", big));
    ck_assert_uint_eq(s.n, 10 + 1001);
    ck_assert_int_eq(s.p[s.n], '\0');
    ck_assert_int_eq(s.p[s.n - 1], ']');
    ck_assert_int_eq(s.p[11], 'z');
    /* overflow and out of memory leave the string as it was */
    ck_assert(!clB_str_append(env, &s, "x", SIZE_MAX - 2));
    size_t n = s.n, cap = s.cap;
    test_alloc_fail_at(&A, 1);
    ck_assert(!clB_str_append(env, &s, big, cap));
    test_alloc_fail_at(&A, 1);
    ck_assert(!clB_str_printf(env, &s, "%*s", (int)cap, ""));
    test_alloc_fail_at(&A, 0);
    ck_assert_uint_eq(s.n, n);
    ck_assert_int_eq(s.p[n], '\0');
    clB_str_free(env, &s);
    ck_assert_ptr_null(s.p);
    clB_str_free(env, &s);
}
END_TEST

/* ------------------------------------------------------------------------
 * Counted strings
 * ------------------------------------------------------------------------ */

START_TEST(test_ieq_icmp)
{
    ck_assert(clB_ieq("Hello", 5, "hELLO", 5));
    ck_assert(!clB_ieq("Hello", 5, "Hell", 4));
    ck_assert(clB_ieq("", 0, "", 0));
    ck_assert(clB_ieq("abcX", 3, "ABCY", 3));
    ck_assert(!clB_ieq("a-b", 3, "a_b", 3));
    ck_assert(!clB_ieq("[", 1, "{", 1)); /* only letters fold */
    ck_assert(!clB_ieq("\xc3\x89", 2, "\xc3\xa9", 2)); /* no Unicode folding */
    ck_assert(clB_eq("ab", 2, "ab", 2));
    ck_assert(!clB_eq("ab", 2, "aB", 2));
    ck_assert(clB_eq(NULL, 0, "", 0));
    ck_assert_int_eq(clB_icmp("abc", 3, "ABC", 3), 0);
    ck_assert_int_lt(clB_icmp("ab", 2, "abc", 3), 0);
    ck_assert_int_gt(clB_icmp("abd", 3, "ABC", 3), 0);
    ck_assert_int_lt(clB_icmp("A_", 2, "a{", 2), 0);
    /* "_" (0x5F) sorts before letters when they are folded to lower case */
    ck_assert_int_lt(clB_icmp("_", 1, "a", 1), 0);
    ck_assert_int_gt(clB_icmp("a", 1, "_", 1), 0);
}
END_TEST

/* clB_icmp orders as strcasecmp does (SPEC 9, code order), on random codes. */
START_TEST(test_icmp_random)
{
    static const char alphabet[] = "aAbBzZ09-_.";
    test_rng r = {0x1234567};
    for (int k = 0; k < 20000; k++) {
        char a[8], b[8];
        size_t an = (size_t)test_range(&r, 0, 6), bn = (size_t)test_range(&r, 0, 6);
        for (size_t i = 0; i < an; i++)
            a[i] = alphabet[test_range(&r, 0, sizeof alphabet - 2)];
        for (size_t i = 0; i < bn; i++)
            b[i] = alphabet[test_range(&r, 0, sizeof alphabet - 2)];
        a[an] = b[bn] = '\0';
        int want = strcasecmp(a, b), got = clB_icmp(a, an, b, bn);
        REQUIRE((want < 0) == (got < 0) && (want > 0) == (got > 0), "\"%s\" vs \"%s\": %d, want %d",
                a, b, got, want);
        REQUIRE(clB_ieq(a, an, b, bn) == (want == 0), "\"%s\" ieq \"%s\"", a, b);
    }
}
END_TEST

static Suite *buf_suite(void)
{
    const test_entry tests[] = {
        {"blocks", test_alloc_blocks}, {"blocks", test_strndup},
        {"vectors", test_grow},        {"vectors", test_vec_macros},
        {"arena", test_arena_basics},  {"arena", test_arena_reset},
        {"arena", test_arena_overflow}, {"strings", test_str},
        {"compare", test_ieq_icmp},    {"compare", test_icmp_random},
    };
    return test_suite_fx("buf", tests, CL_COUNTOF(tests), 60, setup, teardown);
}

TEST_MAIN(buf_suite)
