/*
 * buf.c - memory through the environment's allocator: plain blocks, growable
 * arrays, arenas and byte strings.
 */
#include "core.h"

#include <stdio.h>
#include <stdlib.h>

/* ------------------------------------------------------------------------
 * Plain blocks
 * ------------------------------------------------------------------------ */

void *clB_alloc(const cl_env *env, size_t n)
{
    if (n == 0)
        n = 1;
    return env->alloc(env->ud, NULL, 0, n);
}

void *clB_calloc(const cl_env *env, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = clB_alloc(env, n * size);
    if (p != NULL)
        memset(p, 0, (n * size) != 0 ? n * size : 1);
    return p;
}

void *clB_realloc(const cl_env *env, void *p, size_t osize, size_t nsize)
{
    if (nsize == 0)
        nsize = 1;
    return env->alloc(env->ud, p, p ? osize : 0, nsize);
}

void clB_free(const cl_env *env, void *p, size_t size)
{
    if (p != NULL)
        env->alloc(env->ud, p, size, 0);
}

char *clB_strndup(const cl_env *env, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = clB_alloc(env, n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/*
 * Grows an array to at least `need` elements, doubling so that a sequence of
 * pushes costs amortised O(1). On failure nothing changes.
 */
bool clB_grow(const cl_env *env, void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return false;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / size)
        return false;
    void *np = clB_realloc(env, *p, *cap * size, ncap * size);
    if (np == NULL)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

/* ------------------------------------------------------------------------
 * Arenas
 * ------------------------------------------------------------------------ */

struct clB_block {
    clB_block *prev;   /* older block */
    size_t size;       /* bytes of data[] */
    _Alignas(16) unsigned char data[];
};

#define ARENA_BLOCK 16384

void clB_arena_init(clB_arena *a, const cl_env *env)
{
    a->env = env;
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

void *clB_arena_alloc(clB_arena *a, size_t n)
{
    if (n > SIZE_MAX - 15)
        return NULL;
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    if (a->head == NULL || a->head->size - a->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        if (size > SIZE_MAX - sizeof(clB_block))
            return NULL;
        clB_block *b = clB_alloc(a->env, sizeof(clB_block) + size);
        if (b == NULL)
            return NULL;
        b->prev = a->head;
        b->size = size;
        a->head = b;
        a->used = 0;
        a->total += size;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *clB_arena_strndup(clB_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = clB_arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void clB_arena_reset(clB_arena *a)
{
    if (a->head == NULL)
        return;
    clB_block *keep = a->head, *b = keep->prev;
    while (b != NULL) {
        clB_block *prev = b->prev;
        clB_free(a->env, b, sizeof(clB_block) + b->size);
        b = prev;
    }
    keep->prev = NULL;
    a->used = 0;
    a->total = keep->size;
}

void clB_arena_free(clB_arena *a)
{
    clB_block *b = a->head;
    while (b != NULL) {
        clB_block *prev = b->prev;
        clB_free(a->env, b, sizeof(clB_block) + b->size);
        b = prev;
    }
    a->head = NULL;
    a->used = 0;
    a->total = 0;
}

/* ------------------------------------------------------------------------
 * Byte strings
 * ------------------------------------------------------------------------ */

/* Appends p[0..n) and keeps the string NUL-terminated. */
bool clB_str_append(const cl_env *env, clB_str *s, const char *p, size_t n)
{
    if (n > SIZE_MAX - s->n - 1)
        return false;
    if (!clB_grow(env, (void **)&s->p, &s->cap, s->n + n + 1, 1))
        return false;
    if (n > 0)
        memcpy(s->p + s->n, p, n);
    s->n += n;
    s->p[s->n] = '\0';
    return true;
}

bool clB_str_printf(const cl_env *env, clB_str *s, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (k < 0)
        return false;
    if ((size_t)k < sizeof small)
        return clB_str_append(env, s, small, (size_t)k);
    if (!clB_grow(env, (void **)&s->p, &s->cap, s->n + (size_t)k + 1, 1))
        return false;
    va_start(ap, fmt);
    vsnprintf(s->p + s->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    s->n += (size_t)k;
    return true;
}

void clB_str_free(const cl_env *env, clB_str *s)
{
    clB_free(env, s->p, s->cap);
    s->p = NULL;
    s->n = s->cap = 0;
}

/* ------------------------------------------------------------------------
 * Small string helpers
 * ------------------------------------------------------------------------ */

static inline int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

bool clB_ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return false;
    return true;
}

int clB_icmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int ca = lower((unsigned char)a[i]), cb = lower((unsigned char)b[i]);
        if (ca != cb)
            return ca - cb;
    }
    return an < bn ? -1 : an > bn ? 1 : 0;
}
