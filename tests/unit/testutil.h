/*
 * testutil.h - what the Check unit tests share: a main() that runs one suite,
 * and a deterministic pseudo-random generator for property tests.
 */
#ifndef CL_TESTUTIL_H
#define CL_TESTUTIL_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

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
