/*
 * test_env.c - unit tests of env.c: the version, the allocator hook, every
 * limit's default and setter, the tz directory, and environments made while
 * allocations fail.
 */
#include "core.h"
#include "oomalloc.h"
#include "testutil.h"

START_TEST(test_version)
{
    ck_assert_str_eq(cl_version(), CL_VERSION_STRING);
    ck_assert_str_eq(cl_version(), "0.1.0");
    ck_assert_int_eq(CL_VERSION_MAJOR, 0);
    ck_assert_int_eq(CL_VERSION_MINOR, 1);
}
END_TEST

START_TEST(test_default_limits)
{
    static const struct {
        cl_limit which;
        uint64_t value;
    } defaults[] = {
        {CL_LIMIT_INPUT_BYTES, 16u << 20}, {CL_LIMIT_DEPTH, 64},
        {CL_LIMIT_COUPONS, 100000},        {CL_LIMIT_LIST, 2000000},
        {CL_LIMIT_STRING, 65536},          {CL_LIMIT_REGEX_LENGTH, 1024},
        {CL_LIMIT_ALIASES, 10000},         {CL_LIMIT_NODES, 4000000},
        {CL_LIMIT_MATCH, 100000},          {CL_LIMIT_MATCH_DEPTH, 1000},
        {CL_LIMIT_STEPS, 1000000},         {CL_LIMIT_ITEMS, 10000},
    };
    ck_assert_int_eq(CL_COUNTOF(defaults), CL_LIMIT_COUNT);
    cl_env *env = cl_env_new(NULL, NULL);
    ck_assert_ptr_nonnull(env);
    for (size_t i = 0; i < CL_COUNTOF(defaults); i++)
        ck_assert_msg(cl_env_limit(env, defaults[i].which) == defaults[i].value,
                      "limit %d: %llu", (int)defaults[i].which,
                      (unsigned long long)cl_env_limit(env, defaults[i].which));
    ck_assert_str_eq(env->tzdir, "/usr/share/zoneinfo");
    cl_env_free(env);
}
END_TEST

START_TEST(test_set_limits)
{
    cl_env *env = cl_env_new(NULL, NULL);
    for (int w = 0; w < CL_LIMIT_COUNT; w++) {
        ck_assert_int_eq(cl_env_set_limit(env, (cl_limit)w, 1234 + (uint64_t)w), CL_OK);
        ck_assert_uint_eq(cl_env_limit(env, (cl_limit)w), 1234 + (uint64_t)w);
        ck_assert_int_eq(cl_env_set_limit(env, (cl_limit)w, 0), CL_EINVAL);
        ck_assert_uint_eq(cl_env_limit(env, (cl_limit)w), 1234 + (uint64_t)w);
    }
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_COUNT, 5), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_limit(env, (cl_limit)-1, 5), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_limit(NULL, CL_LIMIT_DEPTH, 5), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_STEPS, UINT64_MAX), CL_OK);
    ck_assert_uint_eq(cl_env_limit(env, CL_LIMIT_STEPS), UINT64_MAX);
    ck_assert_uint_eq(cl_env_limit(env, CL_LIMIT_COUNT), 0);
    ck_assert_uint_eq(cl_env_limit(NULL, CL_LIMIT_DEPTH), 0);
    cl_env_free(env);
}
END_TEST

START_TEST(test_tzdir)
{
    test_alloc a = {0};
    cl_env *env = cl_env_new(test_alloc_fn, &a);
    char dir[64] = "/tmp/zones";
    ck_assert_int_eq(cl_env_set_tzdir(env, dir), CL_OK);
    dir[1] = 'X'; /* the string was copied */
    ck_assert_str_eq(env->tzdir, "/tmp/zones");
    ck_assert_int_eq(cl_env_set_tzdir(env, ""), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_tzdir(env, NULL), CL_EINVAL);
    ck_assert_int_eq(cl_env_set_tzdir(NULL, "/x"), CL_EINVAL);
    ck_assert_str_eq(env->tzdir, "/tmp/zones");
    test_alloc_fail_at(&a, 1);
    ck_assert_int_eq(cl_env_set_tzdir(env, "/elsewhere"), CL_ENOMEM);
    test_alloc_fail_at(&a, 0);
    ck_assert_str_eq(env->tzdir, "/tmp/zones");
    cl_env_free(env);
    ck_assert_uint_eq(a.live_blocks, 0);
    ck_assert_int_eq(a.bad, 0);
}
END_TEST

/* The hook gets the caller's ud on every call, and every byte comes back. */
typedef struct hook {
    int calls;
    test_alloc inner;
} hook;

static void *hook_fn(void *ud, void *ptr, size_t osize, size_t nsize)
{
    hook *h = ud;
    h->calls++;
    return test_alloc_fn(&h->inner, ptr, osize, nsize);
}

START_TEST(test_hook)
{
    hook h = {0};
    cl_env *env = cl_env_new(hook_fn, &h);
    ck_assert_ptr_nonnull(env);
    ck_assert_int_gt(h.calls, 0);
    ck_assert_ptr_eq(env->ud, &h);
    int before = h.calls;
    void *p = clB_alloc(env, 100);
    clB_free(env, p, 100);
    ck_assert_int_eq(h.calls, before + 2);
    cl_env_free(env);
    cl_env_free(NULL);
    ck_assert_uint_eq(h.inner.live_blocks, 0);
    ck_assert_int_eq(h.inner.bad, 0);
}
END_TEST

static test_alloc sweep_alloc;

static int make_env(void *ud)
{
    CL_UNUSED(ud);
    cl_env *env = cl_env_new(test_alloc_fn, &sweep_alloc);
    if (env == NULL)
        return 1;
    cl_env_free(env);
    return 0;
}

START_TEST(test_env_oom)
{
    memset(&sweep_alloc, 0, sizeof sweep_alloc);
    long n = test_oom_sweep(&sweep_alloc, make_env, NULL, 100);
    ck_assert_int_ge(n, 2); /* the env, its tz directory, PCRE2's context */
    ck_assert_uint_eq(sweep_alloc.live_blocks, 0);
}
END_TEST

static Suite *env_suite(void)
{
    const test_entry tests[] = {
        {"env", test_version}, {"env", test_default_limits}, {"env", test_set_limits},
        {"env", test_tzdir},   {"env", test_hook},           {"oom", test_env_oom},
    };
    return test_suite("env", tests, CL_COUNTOF(tests), 60);
}

TEST_MAIN(env_suite)
