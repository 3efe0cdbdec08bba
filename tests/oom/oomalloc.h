/*
 * oomalloc.h - a test allocator in the library's (Lua's) shape that fails
 * the Nth allocation on request and checks the caller's bookkeeping.
 *
 * Every block it hands out is recorded with its size. It then holds the
 * library to the allocator contract of couponlib.h:
 *
 *   - a free (nsize == 0) or a realloc names a block it handed out and not
 *     yet freed, and passes as osize exactly the size that block has;
 *   - freeing NULL is allowed (osize is then not looked at);
 *   - nothing is allocated with nsize == 0 (that is a free).
 *
 * A violation is recorded (the first one's description is kept) and the
 * call still does what the C library would, so that the test can report
 * it instead of crashing. Every call with nsize > 0 counts as one
 * allocation, growing and shrinking reallocs included (the contract lets
 * any of them fail); between oom_arm(a, N) and oom_stop(a) they are
 * counted and the Nth one returns NULL.
 *
 * Header-only, used by the OOM sweeps (tests/oom), the limits tests and
 * the fuzz targets.
 */
#ifndef CL_OOMALLOC_H
#define CL_OOMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct oom_slot {
    void *p;          /* NULL: empty; OOM_TOMB: deleted */
    size_t size;
} oom_slot;

typedef struct oom_alloc {
    bool armed;         /* counting allocations (between oom_arm and oom_stop) */
    long fail_at;       /* fail the fail_at-th allocation counted (1-based); 0: never */
    long count;         /* allocations counted since the last oom_arm() */
    long injected;      /* failures injected (the caller resets it) */
    size_t live;        /* blocks live */
    size_t bytes;       /* bytes live */
    size_t peak;        /* most bytes live at once */
    long violations;    /* contract violations */
    char first[256];    /* the first violation, described */
    oom_slot *slots;    /* open addressing by pointer */
    size_t nslots;      /* a power of two */
    size_t used;        /* slots not empty (live or tombstones) */
} oom_alloc;

#define OOM_TOMB ((void *)&oom_tomb_marker)
static char oom_tomb_marker;

static inline size_t oom_hash(const void *p, size_t mask)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= (uintptr_t)0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    return (size_t)x & mask;
}

static inline void oom_violation(oom_alloc *a, const char *what, const void *p, size_t osize,
                                 size_t real)
{
    if (a->violations++ == 0)
        snprintf(a->first, sizeof a->first, "%s: block %p, osize %zu, allocated %zu", what, p,
                 osize, real);
}

/* The slot of p, or NULL. */
static inline oom_slot *oom_find(oom_alloc *a, const void *p)
{
    if (a->nslots == 0)
        return NULL;
    size_t mask = a->nslots - 1;
    for (size_t h = oom_hash(p, mask);; h = (h + 1) & mask) {
        if (a->slots[h].p == NULL)
            return NULL;
        if (a->slots[h].p == p)
            return &a->slots[h];
    }
}

static inline void oom_insert(oom_alloc *a, void *p, size_t size);

static inline void oom_rehash(oom_alloc *a)
{
    oom_slot *old = a->slots;
    size_t n = a->nslots;
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        live += old[i].p != NULL && old[i].p != OOM_TOMB;
    size_t size = 1024;
    while (size < 4 * (live + 1))
        size *= 2;
    a->slots = calloc(size, sizeof *a->slots);
    if (a->slots == NULL) {
        fprintf(stderr, "oomalloc: out of memory for the block table\n");
        abort();
    }
    a->nslots = size;
    a->used = 0;
    for (size_t i = 0; i < n; i++)
        if (old[i].p != NULL && old[i].p != OOM_TOMB)
            oom_insert(a, old[i].p, old[i].size);
    free(old);
}

static inline void oom_insert(oom_alloc *a, void *p, size_t size)
{
    if ((a->used + 1) * 2 > a->nslots)
        oom_rehash(a);
    size_t mask = a->nslots - 1;
    size_t h = oom_hash(p, mask);
    while (a->slots[h].p != NULL && a->slots[h].p != OOM_TOMB)
        h = (h + 1) & mask;
    if (a->slots[h].p == NULL)
        a->used++;
    a->slots[h].p = p;
    a->slots[h].size = size;
}

/* The allocator: pass it to cl_env_new() with the oom_alloc as ud. */
static inline void *oom_fn(void *ud, void *ptr, size_t osize, size_t nsize)
{
    oom_alloc *a = ud;
    oom_slot *s = NULL;
    if (ptr != NULL) {
        s = oom_find(a, ptr);
        if (s == NULL) {
            oom_violation(a, nsize == 0 ? "free of an unknown block" : "realloc of an unknown block",
                          ptr, osize, 0);
            return NULL; /* nothing safe can be done with it */
        }
        if (s->size != osize)
            oom_violation(a, nsize == 0 ? "free with the wrong size" : "realloc with the wrong size",
                          ptr, osize, s->size);
    }
    if (nsize == 0) {
        if (ptr != NULL) {
            a->live--;
            a->bytes -= s->size;
            s->p = OOM_TOMB;
            free(ptr);
        }
        return NULL;
    }
    if (a->armed && ++a->count == a->fail_at) {
        a->injected++;
        return NULL;
    }
    void *np = realloc(ptr, nsize);
    if (np == NULL)
        return NULL;
    if (ptr != NULL) {
        a->bytes -= s->size;
        s->p = OOM_TOMB;
        a->live--;
    }
    oom_insert(a, np, nsize);
    a->live++;
    a->bytes += nsize;
    if (a->bytes > a->peak)
        a->peak = a->bytes;
    return np;
}

/* Starts counting allocations afresh and fails the fail_at-th counted
 * (0: none). */
static inline void oom_arm(oom_alloc *a, long fail_at)
{
    a->armed = true;
    a->fail_at = fail_at;
    a->count = 0;
}

/* Stops counting (and failing); a->count keeps what the window counted. */
static inline void oom_stop(oom_alloc *a)
{
    a->armed = false;
    a->fail_at = 0;
}

/* Frees the block table (every block should have been freed by now). */
static inline void oom_done(oom_alloc *a)
{
    free(a->slots);
    a->slots = NULL;
    a->nslots = a->used = 0;
}

#endif /* CL_OOMALLOC_H */
