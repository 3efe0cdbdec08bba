/*
 * test_regex.c - unit tests of regex.c: PCRE2 behind the environment's
 * allocator (every byte comes back, a failing allocator fails cleanly),
 * compile errors with their offsets, UTF-8 mode, search semantics, and the
 * match and depth limits that keep a hostile pattern from hanging.
 */
#include "regex.h"
#include "oomalloc.h"
#include "testutil.h"

#include <stdio.h>

static test_alloc A;
static cl_env *env;

static void setup(void)
{
    memset(&A, 0, sizeof A);
    env = cl_env_new(test_alloc_fn, &A);
}

static void teardown(void)
{
    cl_env_free(env);
    ck_assert_uint_eq(A.live_blocks, 0);
    ck_assert_int_eq(A.bad, 0);
}

static pcre2_code *compile(const char *p)
{
    char msg[256];
    size_t off = 99;
    pcre2_code *re = clR_compile(env, p, strlen(p), msg, sizeof msg, &off);
    ck_assert_msg(re != NULL, "%s: %s at %zu", p, msg, off);
    return re;
}

START_TEST(test_compile_and_match)
{
    long before = A.total;
    pcre2_code *re = compile("^TV-[0-9]+$");
    ck_assert_int_gt(A.total, before); /* PCRE2 allocates through the env */
    clR_matcher m;
    ck_assert(clR_matcher_init(env, &m));
    ck_assert_int_eq(clR_match(&m, re, "TV-55", 5), 1);
    ck_assert_int_eq(clR_match(&m, re, "TV-55X", 6), 0);
    ck_assert_int_eq(clR_match(&m, re, "TV-55X", 5), 1); /* counted subjects */
    ck_assert_int_eq(clR_match(&m, re, "", 0), 0);
    pcre2_code_free(re);
    /* search semantics: anywhere in the subject */
    re = compile("pay");
    ck_assert_int_eq(clR_match(&m, re, "apple_pay", 9), 1);
    ck_assert_int_eq(clR_match(&m, re, "PAY", 3), 0);
    pcre2_code_free(re);
    /* UTF-8 mode: one character, several bytes */
    re = compile("^.{2}$");
    ck_assert_int_eq(clR_match(&m, re, "\xc3\xa9\xe2\x82\xac", 5), 1);
    ck_assert_int_eq(clR_match(&m, re, "ab", 2), 1);
    ck_assert_int_eq(clR_match(&m, re, "abc", 3), 0);
    /* a subject that is not UTF-8 is an error, not a crash */
    ck_assert_int_lt(clR_match(&m, re, "\xff\xfe", 2), 0);
    pcre2_code_free(re);
    /* a NUL inside the subject is a character like any other */
    re = compile("a\\x00b");
    ck_assert_int_eq(clR_match(&m, re, "a\0b", 3), 1);
    pcre2_code_free(re);
    clR_matcher_free(&m);
    clR_matcher_free(&m); /* twice is harmless */
}
END_TEST

START_TEST(test_compile_errors)
{
    static const struct {
        const char *pattern;
        size_t offset;
        const char *message;
    } bad[] = {
        {"(ab", 3, "missing closing parenthesis"},
        {"a[b", 3, "missing terminating ] for character class"},
        {"*a", 0, "quantifier does not follow a repeatable item"},
        {"a{3,1}", 5, "numbers out of order in {} quantifier"},
        {"\\", 1, "\\ at end of pattern"},
        {"(?<n>a)(?<n>b)", 12, "two named subpatterns have the same name"},
        {"\xc3(", 0, "UTF-8 error"},
    };
    for (size_t i = 0; i < CL_COUNTOF(bad); i++) {
        char msg[256] = "";
        size_t off = 99;
        pcre2_code *re = clR_compile(env, bad[i].pattern, strlen(bad[i].pattern), msg, sizeof msg,
                                     &off);
        ck_assert_ptr_null(re);
        ck_assert_msg(strstr(msg, bad[i].message) != NULL, "%s: \"%s\"", bad[i].pattern, msg);
        ck_assert_msg(off == bad[i].offset, "%s: offset %zu, want %zu", bad[i].pattern, off,
                      bad[i].offset);
    }
    /* a short message buffer is cut, not overrun */
    char small[8];
    size_t off;
    ck_assert_ptr_null(clR_compile(env, "(", 1, small, sizeof small, &off));
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

/* Catastrophic backtracking meets the match limit; deep recursion the depth
 * limit. Both are reported as errors, quickly. */
START_TEST(test_limits)
{
    cl_env_set_limit(env, CL_LIMIT_MATCH, 5000);
    cl_env_set_limit(env, CL_LIMIT_MATCH_DEPTH, 50);
    clR_matcher m;
    ck_assert(clR_matcher_init(env, &m));
    pcre2_code *re = compile("^(a|aa)+$");
    char subject[64];
    memset(subject, 'a', 40);
    subject[40] = 'b';
    int rc = clR_match(&m, re, subject, 41);
    ck_assert_msg(rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                      rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT,
                  "status %d", rc);
    ck_assert_int_eq(clR_match(&m, re, subject, 40), 1);
    pcre2_code_free(re);
    clR_matcher_free(&m);
    /* limits beyond 32 bits are clamped, not wrapped */
    cl_env_set_limit(env, CL_LIMIT_MATCH, (uint64_t)1 << 40);
    cl_env_set_limit(env, CL_LIMIT_MATCH_DEPTH, (uint64_t)1 << 40);
    ck_assert(clR_matcher_init(env, &m));
    re = compile("^(a|aa)+$");
    ck_assert_int_eq(clR_match(&m, re, subject, 20), 1);
    pcre2_code_free(re);
    clR_matcher_free(&m);
}
END_TEST

static int compile_step(void *ud)
{
    CL_UNUSED(ud);
    char msg[256];
    size_t off;
    pcre2_code *re = clR_compile(env, "^(?<k>[A-Z]+)-\\d{2,}$", 21, msg, sizeof msg, &off);
    if (re == NULL) {
        /* out of memory is told apart from a bad pattern */
        ck_assert_msg(off == CLR_OOM, "%s at %zu", msg, off);
        return 1;
    }
    pcre2_code_free(re);
    return 0;
}

static int matcher_step(void *ud)
{
    CL_UNUSED(ud);
    clR_matcher m;
    if (!clR_matcher_init(env, &m))
        return 1;
    clR_matcher_free(&m);
    return 0;
}

START_TEST(test_oom)
{
    ck_assert_int_ge(test_oom_sweep(&A, compile_step, NULL, 200), 1);
    ck_assert_int_ge(test_oom_sweep(&A, matcher_step, NULL, 200), 1);
    /* the env's own PCRE2 context is made by cl_env_new */
    for (long n = 1; n < 10; n++) {
        test_alloc b = {0};
        test_alloc_fail_at(&b, n);
        cl_env *e = cl_env_new(test_alloc_fn, &b);
        cl_env_free(e);
        ck_assert_uint_eq(b.live_blocks, 0);
        if (e != NULL)
            break;
    }
}
END_TEST

static Suite *regex_suite(void)
{
    const test_entry tests[] = {
        {"regex", test_compile_and_match},
        {"regex", test_compile_errors},
        {"regex", test_limits},
        {"regex", test_oom},
    };
    return test_suite_fx("regex", tests, CL_COUNTOF(tests), 60, setup, teardown);
}

TEST_MAIN(regex_suite)
