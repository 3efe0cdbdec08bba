/*
 * test_program.c - unit tests of program.c: finding coupons by code
 * (ignoring case), the accessors, linking programs into a catalog
 * (duplicate codes across programs with both positions, max_coupons,
 * limits, inputs freed after linking), the sets' hash tables, and sharing
 * one program between threads.
 */
#include "program.h"
#include "oomalloc.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>

static test_alloc A;
static cl_env *env;
static cl_error err;

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

static cl_program *compile_ok(const char *src, const char *name)
{
    cl_program *p = cl_compile(env, src, strlen(src), name, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    return p;
}

static const char first[] =
    "currency: USD\n"
    "selection: { max_coupons: 3 }\n"
    "coupons:\n"
    "  - code: Save10\n"
    "    name: ten off\n"
    "    automatic: true\n"
    "    priority: 7\n"
    "    group: g\n"
    "    discount: { percent: 10 }\n"
    "  - code: EXCL\n"
    "    combine: exclusive\n"
    "    priority: -2\n"
    "    discount: { percent: 5 }\n";
static const char second[] =
    "selection: { max_coupons: 2 }\n"
    "coupons:\n"
    "  - code: other\n"
    "    discount: { percent: 1 }\n";

START_TEST(test_accessors)
{
    cl_program *p = compile_ok(first, "a.yaml");
    ck_assert_uint_eq(cl_program_count(p), 2);
    ck_assert_str_eq(cl_program_code(p, 0), "Save10");
    ck_assert_str_eq(cl_program_name(p, 0), "ten off");
    ck_assert_str_eq(cl_program_group(p, 0), "g");
    ck_assert_str_eq(cl_program_currency(p, 0), "USD");
    ck_assert(cl_program_automatic(p, 0));
    ck_assert(!cl_program_exclusive(p, 0));
    ck_assert_int_eq(cl_program_priority(p, 0), 7);
    ck_assert_str_eq(cl_program_name(p, 1), "");
    ck_assert_str_eq(cl_program_group(p, 1), "");
    ck_assert(!cl_program_automatic(p, 1));
    ck_assert(cl_program_exclusive(p, 1));
    ck_assert_int_eq(cl_program_priority(p, 1), -2);
    /* out of range and NULL */
    ck_assert_ptr_null(cl_program_code(p, 2));
    ck_assert_ptr_null(cl_program_name(p, 2));
    ck_assert_ptr_null(cl_program_group(p, 2));
    ck_assert_ptr_null(cl_program_currency(p, 2));
    ck_assert(!cl_program_automatic(p, 2));
    ck_assert(!cl_program_exclusive(p, 2));
    ck_assert_int_eq(cl_program_priority(p, 2), 0);
    ck_assert_uint_eq(cl_program_count(NULL), 0);
    ck_assert_ptr_null(cl_program_code(NULL, 0));
    cl_program_free(p);
    cl_program_free(NULL);
    /* a file without currency */
    p = compile_ok(second, "b.yaml");
    ck_assert_str_eq(cl_program_currency(p, 0), "");
    cl_program_free(p);
}
END_TEST

START_TEST(test_find)
{
    cl_program *p = compile_ok(first, "a.yaml");
    ck_assert_int_eq(cl_program_find(p, "Save10"), 0);
    ck_assert_int_eq(cl_program_find(p, "SAVE10"), 0);
    ck_assert_int_eq(cl_program_find(p, "save10"), 0);
    ck_assert_int_eq(cl_program_find(p, "excl"), 1);
    ck_assert_int_eq(cl_program_find(p, "Save1"), -1);
    ck_assert_int_eq(cl_program_find(p, "Save100"), -1);
    ck_assert_int_eq(cl_program_find(p, ""), -1);
    ck_assert_int_eq(cl_program_find(p, NULL), -1);
    ck_assert_int_eq(cl_program_find(NULL, "x"), -1);
    cl_program_free(p);
    /* many codes: every one is found, nothing else is */
    char src[200000];
    size_t k = (size_t)snprintf(src, sizeof src, "coupons:\n");
    for (int i = 0; i < 3000; i++)
        k += (size_t)snprintf(src + k, sizeof src - k,
                              "  - { code: C%d-x, discount: { percent: 1 } }\n", i);
    p = compile_ok(src, "many.yaml");
    for (int i = 0; i < 3000; i++) {
        char code[32];
        snprintf(code, sizeof code, "c%d-X", i);
        REQUIRE(cl_program_find(p, code) == i, "%s: %ld", code, cl_program_find(p, code));
        snprintf(code, sizeof code, "C%d-y", i);
        REQUIRE(cl_program_find(p, code) == -1, "%s found", code);
    }
    cl_program_free(p);
    /* an empty program */
    p = compile_ok("coupons: []\n", "e.yaml");
    ck_assert_int_eq(cl_program_find(p, "x"), -1);
    cl_program_free(p);
}
END_TEST

START_TEST(test_link)
{
    cl_program *a = compile_ok(first, "a.yaml"), *b = compile_ok(second, "b.yaml");
    const cl_program *both[] = {a, b};
    cl_program *all = cl_program_link(env, both, 2, &err);
    ck_assert_msg(all != NULL, "%s", err.message);
    ck_assert_uint_eq(cl_program_count(all), 3);
    ck_assert_str_eq(cl_program_code(all, 2), "other");
    ck_assert_int_eq(cl_program_find(all, "OTHER"), 2);
    ck_assert_int_eq(cl_program_find(all, "save10"), 0);
    ck_assert_uint_eq(all->max_coupons, 2); /* the smallest of the inputs */
    ck_assert_uint_eq(all->nunits, 2);
    /* the inputs may go; the catalog keeps its units */
    cl_program_free(a);
    cl_program_free(b);
    ck_assert_str_eq(cl_program_name(all, 0), "ten off");
    /* a catalog links again, sharing the same units */
    cl_program *c = compile_ok("code: NEW\ndiscount: { percent: 2 }\n", "c.yaml");
    const cl_program *again[] = {all, c};
    cl_program *bigger = cl_program_link(env, again, 2, &err);
    ck_assert_ptr_nonnull(bigger);
    ck_assert_uint_eq(cl_program_count(bigger), 4);
    ck_assert_ptr_eq(bigger->units[0], all->units[0]);
    ck_assert_uint_eq(atomic_load(&all->units[0]->refs), 2);
    ck_assert_uint_eq(bigger->max_coupons, 2);
    cl_program_free(all);
    cl_program_free(c);
    ck_assert_int_eq(cl_program_find(bigger, "new"), 3);
    cl_program_free(bigger);
    /* nothing to link: an empty catalog */
    cl_program *none = cl_program_link(env, NULL, 0, &err);
    ck_assert_ptr_nonnull(none);
    ck_assert_uint_eq(cl_program_count(none), 0);
    ck_assert_uint_eq(none->max_coupons, 0);
    cl_program_free(none);
}
END_TEST

START_TEST(test_link_duplicates)
{
    cl_program *a = compile_ok(first, "a.yaml");
    cl_program *b = compile_ok("version: 1\ncoupons:\n  - code: x\n    discount: { percent: 1 }\n"
                               "  - code: SAVE10\n    discount: { percent: 1 }\n", "b.yaml");
    const cl_program *both[] = {a, b};
    ck_assert_ptr_null(cl_program_link(env, both, 2, &err));
    ck_assert_int_eq(err.code, CL_EDUPLICATE);
    ck_assert_str_eq(err.message, "duplicate coupon code SAVE10 (also defined at a.yaml:4:5)");
    ck_assert_str_eq(err.source, "b.yaml");
    ck_assert_uint_eq(err.line, 5);
    ck_assert_uint_eq(err.column, 5);
    /* a program linked with itself repeats every code */
    const cl_program *twice[] = {a, a};
    ck_assert_ptr_null(cl_program_link(env, twice, 2, &err));
    ck_assert_int_eq(err.code, CL_EDUPLICATE);
    ck_assert_ptr_null(cl_program_link(env, twice, 2, NULL));
    cl_program_free(a);
    cl_program_free(b);
}
END_TEST

START_TEST(test_link_refusals)
{
    cl_program *a = compile_ok(first, "a.yaml"), *b = compile_ok(second, "b.yaml");
    const cl_program *both[] = {a, b};
    ck_assert_ptr_null(cl_program_link(NULL, both, 2, &err));
    ck_assert_int_eq(err.code, CL_EINVAL);
    ck_assert_ptr_null(cl_program_link(env, NULL, 2, &err));
    ck_assert_int_eq(err.code, CL_EINVAL);
    const cl_program *holes[] = {a, NULL};
    ck_assert_ptr_null(cl_program_link(env, holes, 2, &err));
    ck_assert_int_eq(err.code, CL_EINVAL);
    cl_env_set_limit(env, CL_LIMIT_COUPONS, 2);
    ck_assert_ptr_null(cl_program_link(env, both, 2, &err));
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_str_eq(err.message, "more than 2 coupons");
    cl_env_set_limit(env, CL_LIMIT_COUPONS, 100);
    /* out of memory at each allocation of the link */
    for (long n = 1;; n++) {
        test_alloc_fail_at(&A, n);
        size_t blocks = A.live_blocks;
        cl_program *p = cl_program_link(env, both, 2, &err);
        test_alloc_fail_at(&A, 0);
        if (p != NULL) {
            ck_assert_int_gt(n, 2);
            cl_program_free(p);
            break;
        }
        ck_assert_int_eq(err.code, CL_ENOMEM);
        ck_assert_uint_eq(A.live_blocks, blocks);
    }
    cl_program_free(a);
    cl_program_free(b);
}
END_TEST

START_TEST(test_sets)
{
    cl_program *p = compile_ok("code: A\nwhen: { payment.method: [a, b, c, d, e, f, g, h, i, j,"
                               " k, l, m, n, o, p, q, r, s, t] }\ndiscount: { percent: 1 }\n",
                               "s.yaml");
    const clP_unit *u = p->units[0];
    ck_assert_uint_eq(u->n_sets, 1);
    ck_assert_uint_eq(u->sets[0].count, 20);
    ck_assert_uint_eq(u->sets[0].nslots, 64);
    static const char *const in[] = {"a", "j", "t"};
    static const char *const out[] = {"u", "A", "", "ab", "a "};
    for (size_t i = 0; i < CL_COUNTOF(in); i++)
        ck_assert(clP_set_has(u, 0, in[i], strlen(in[i])));
    for (size_t i = 0; i < CL_COUNTOF(out); i++)
        ck_assert(!clP_set_has(u, 0, out[i], strlen(out[i])));
    /* folded hashing ignores case on both sides */
    ck_assert_uint_eq(clP_hash("AbC", 3, true), clP_hash("abc", 3, true));
    ck_assert_uint_ne(clP_hash("AbC", 3, false), clP_hash("abc", 3, false));
    cl_program_free(p);
}
END_TEST

/* ------------------------------------------------------------------------
 * One program, many threads
 * ------------------------------------------------------------------------ */

typedef struct worker {
    const cl_program *prog;
    const cl_env *env;
    int64_t seed;
    int mismatches;
} worker;

static void *work(void *ud)
{
    worker *w = ud;
    cl_vm *vm = cl_vm_new(w->env);
    cl_context *ctx = cl_context_new(w->env);
    for (int i = 0; i < 300; i++) {
        cl_context_clear(ctx);
        cl_context_set_now(ctx, 1700000000);
        cl_context_set_currency(ctx, "USD");
        int64_t price = 100 + (w->seed * 7919 + i * 104729) % 10000;
        cl_context_add_item(ctx, "A", 1 + i % 3, price, NULL);
        cl_context_add_code(ctx, "EXCL");
        const cl_result *r;
        if (cl_vm_best(vm, w->prog, ctx, &r, NULL) != CL_OK) {
            w->mismatches++;
            continue;
        }
        int64_t amount = price * (1 + i % 3);
        int64_t want = amount / 10 + (amount % 10 > 5 || (amount % 10 == 5 && (amount / 10) % 2));
        if (cl_result_total(r, CL_TOTAL_DISCOUNT) != want)
            w->mismatches++;
    }
    cl_context_free(ctx);
    cl_vm_free(vm);
    return NULL;
}

START_TEST(test_threads)
{
    /* the default allocator is thread-safe; the counting one is not */
    cl_env *shared = cl_env_new(NULL, NULL);
    cl_program *p = cl_compile(shared, first, sizeof first - 1, "a.yaml", &err);
    ck_assert_ptr_nonnull(p);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){p, shared, i, 0};
        ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w[i].mismatches, 0);
    }
    cl_program_free(p);
    cl_env_free(shared);
}
END_TEST

static Suite *program_suite(void)
{
    const test_entry tests[] = {
        {"program", test_accessors},      {"program", test_find},
        {"link", test_link},              {"link", test_link_duplicates},
        {"link", test_link_refusals},     {"program", test_sets},
        {"threads", test_threads},
    };
    return test_suite_fx("program", tests, CL_COUNTOF(tests), 120, setup, teardown);
}

TEST_MAIN(program_suite)
