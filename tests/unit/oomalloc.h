/*
 * oomalloc.h - a test allocator in the shape of cl_alloc_fn that counts
 * blocks and bytes, checks that every free and realloc names the block's
 * true size, and can fail the Nth allocation: the tool of the out-of-memory
 * sweeps (SQLite's and Lua's habit).
 *
 *   test_alloc a = {0};
 *   cl_env *env = cl_env_new(test_alloc_fn, &a);
 *   test_alloc_fail_at(&a, 3);     the 3rd allocation from now fails
 *   ...
 *   test_alloc_fail_at(&a, 0);     no more failures
 *
 * An "allocation" is every call that asks for bytes (a new block or a
 * realloc, growing or shrinking). Frees never fail. Each block carries a
 * header with its size and a magic number, so a free of a foreign pointer,
 * a double free or a wrong osize is caught (test_alloc.bad counts them).
 *
 * test_oom_sweep() runs a step with N = 1, 2, ... failing until the step
 * succeeds, checking after every failed run that the step reported a clean
 * error and that nothing it allocated is still live.
 */
#ifndef CL_OOMALLOC_H
#define CL_OOMALLOC_H

#include <check.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct test_alloc {
    long fail_at;        /* the allocation that fails, counted from arming; 0 = none */
    long count;          /* allocations since arming */
    long failed;         /* allocations refused since arming */
    long total;          /* allocations ever */
    size_t live_blocks;  /* blocks not yet freed */
    size_t live_bytes;   /* their bytes (as the library asked for them) */
    size_t peak_bytes;   /* the largest live_bytes seen */
    long bad;            /* frees or reallocs with a wrong size or a foreign block */
} test_alloc;

#define TEST_ALLOC_MAGIC 0xC0FFEE5EC0DEull

typedef union test_block {
    struct {
        uint64_t magic;
        size_t size;
    } h;
    max_align_t align;
} test_block;

static inline void test_alloc_fail_at(test_alloc *a, long n)
{
    a->fail_at = n;
    a->count = 0;
    a->failed = 0;
}

/* Checks a block handed back by the library; returns its header or NULL. */
static inline test_block *test_alloc_check(test_alloc *a, void *ptr, size_t osize)
{
    test_block *b = (test_block *)ptr - 1;
    if (b->h.magic != TEST_ALLOC_MAGIC) {
        a->bad++;
        return NULL;
    }
    if (b->h.size != osize)
        a->bad++;
    return b;
}

static inline void *test_alloc_fn(void *ud, void *ptr, size_t osize, size_t nsize)
{
    test_alloc *a = ud;
    if (nsize == 0) {
        if (ptr == NULL)
            return NULL;
        test_block *b = test_alloc_check(a, ptr, osize);
        if (b == NULL)
            return NULL;
        a->live_blocks--;
        a->live_bytes -= b->h.size;
        b->h.magic = 0;
        free(b);
        return NULL;
    }
    a->total++;
    a->count++;
    if (a->fail_at > 0 && a->count == a->fail_at) {
        a->failed++;
        return NULL;
    }
    /* a request no real machine grants fails as malloc's would (ASan would
     * abort on it instead) */
    if (nsize > ((size_t)1 << 40))
        return NULL;
    test_block *old = NULL;
    if (ptr != NULL && (old = test_alloc_check(a, ptr, osize)) == NULL)
        return NULL;
    size_t had = old ? old->h.size : 0;
    test_block *b = realloc(old, sizeof(test_block) + nsize);
    if (b == NULL)
        return NULL;
    if (old == NULL) {
        b->h.magic = TEST_ALLOC_MAGIC;
        a->live_blocks++;
    }
    a->live_bytes = a->live_bytes - had + nsize;
    if (a->live_bytes > a->peak_bytes)
        a->peak_bytes = a->live_bytes;
    b->h.size = nsize;
    return b + 1;
}

/*
 * A step of an out-of-memory sweep: does its work with the allocator armed
 * and undoes it (frees what it made) before returning. It returns 0 when
 * the work succeeded, 1 when it failed cleanly with an out-of-memory error,
 * and calls ck_abort_msg() itself for anything else.
 */
typedef int (*test_oom_step)(void *ud);

/* Runs step with the 1st, 2nd, ... allocation failing until it succeeds
 * without reaching the failing allocation (at most max runs). After each run no block allocated during it may be
 * live, no size may have been wrong, and a failed run must have seen its
 * failure. Returns the number of failing runs (allocations swept). */
static inline long test_oom_sweep(test_alloc *a, test_oom_step step, void *ud, long max)
{
    for (long n = 1; n <= max; n++) {
        size_t blocks = a->live_blocks, bytes = a->live_bytes;
        long bad = a->bad;
        test_alloc_fail_at(a, n);
        int rc = step(ud);
        long failed = a->failed;
        test_alloc_fail_at(a, 0);
        ck_assert_msg(a->bad == bad, "allocation %ld: a free or realloc gave a wrong size", n);
        ck_assert_msg(a->live_blocks == blocks && a->live_bytes == bytes,
                      "allocation %ld failing: %zu blocks (%zu bytes) leaked", n,
                      a->live_blocks - blocks, a->live_bytes - bytes);
        if (rc == 0 && failed == 0)
            return n - 1; /* the step no longer reaches its n-th allocation */
        /* A step may survive a failed allocation it can do without (an
         * optimisation such as a shrinking realloc): that run passes too. */
        ck_assert_msg(rc == 0 || failed == 1,
                      "the step failed without its allocation %ld failing", n);
    }
    ck_abort_msg("the step still fails after %ld allocations", max);
    return max;
}

#endif /* CL_OOMALLOC_H */
