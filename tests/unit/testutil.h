/*
 * testutil.h - what the Check unit tests share: a main() that runs one suite,
 * and a deterministic pseudo-random generator for property tests.
 */
#ifndef CL_TESTUTIL_H
#define CL_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: deterministic, so a failing property test can be replayed. */
typedef struct test_rng {
    uint64_t s;
} test_rng;

static inline uint64_t test_rand(test_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ull;
}

/* A uniform-enough integer in [lo, hi]. */
static inline int64_t test_range(test_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(test_rand(r) % (uint64_t)(hi - lo + 1));
}

/* Aborts the running test with a message when cond is false. Used inside
 * long loops, where ck_assert's bookkeeping on every success would cost. */
#define REQUIRE(cond, ...)              \
    do {                                \
        if (!(cond))                    \
            ck_abort_msg(__VA_ARGS__);  \
    } while (0)

/* The number of rounds a property test runs: n, or a fifth of it when
 * CL_TEST_QUICK is set (the valgrind setup sets it, where every round costs
 * some thirty times more). */
static inline long test_rounds(long n)
{
    const char *q = getenv("CL_TEST_QUICK");
    return q != NULL && q[0] != '\0' && q[0] != '0' ? (n / 5 > 0 ? n / 5 : 1) : n;
}

/* A growing text buffer, and a cl_write_fn that appends to it. */
typedef struct test_text {
    char *p;
    size_t n, cap;
} test_text;

static inline int test_text_write(void *ud, const char *buf, size_t len)
{
    test_text *t = ud;
    if (t->n + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->n + len + 1)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (p == NULL)
            return -1;
        t->p = p;
        t->cap = cap;
    }
    memcpy(t->p + t->n, buf, len);
    t->n += len;
    t->p[t->n] = '\0';
    return 0;
}

static inline void test_text_free(test_text *t)
{
    free(t->p);
    t->p = NULL;
    t->n = t->cap = 0;
}

/* A table of tests grouped by test case, made into a suite. */
typedef struct test_entry {
    const char *tcase;
    const TTest *test;
} test_entry;

/* Each test case gets setup and teardown (may be NULL) as a checked fixture:
 * around every test, in the test's own process when Check forks. */
static inline Suite *test_suite_fx(const char *name, const test_entry *tests, size_t n,
                                   int timeout, void (*setup)(void), void (*teardown)(void))
{
    Suite *s = suite_create(name);
    TCase *tc = NULL;
    const char *current = "";
    for (size_t i = 0; i < n; i++) {
        if (strcmp(current, tests[i].tcase) != 0) {
            current = tests[i].tcase;
            tc = tcase_create(current);
            tcase_set_timeout(tc, timeout);
            if (setup != NULL || teardown != NULL)
                tcase_add_checked_fixture(tc, setup, teardown);
            suite_add_tcase(s, tc);
        }
        tcase_add_test(tc, tests[i].test);
    }
    return s;
}

static inline Suite *test_suite(const char *name, const test_entry *tests, size_t n,
                                int timeout)
{
    return test_suite_fx(name, tests, n, timeout, NULL, NULL);
}

/* Runs the suite made by make_suite and exits 0 when every test passed. */
#define TEST_MAIN(make_suite)                                   \
    int main(void)                                              \
    {                                                           \
        SRunner *sr = srunner_create(make_suite());             \
        srunner_run_all(sr, CK_NORMAL);                         \
        int failed = srunner_ntests_failed(sr);                 \
        srunner_free(sr);                                       \
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;       \
    }

#endif /* CL_TESTUTIL_H */
