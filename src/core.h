/*
 * core.h - what every module of couponlib shares: the environment, memory
 * through the caller's allocator, growable arrays, and error reporting.
 *
 * Module prefixes (Lua's habit): clB_ buffers and memory, clE_ errors,
 * clY_ YAML documents, clM_ money, clT_ time, clH_ hash sets, clR_ regex,
 * clL_ loader, clC_ compiler, clK_ verifier, clV_ VM, clD_ discounts,
 * clS_ selection, clX_ contexts, clJ_ JSON output, clP_ programs.
 */
#ifndef CL_CORE_H
#define CL_CORE_H

#include "couponlib/couponlib.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CL_UNUSED(x) ((void)(x))
#define CL_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))
#define CL_NONE UINT32_MAX /* "no index" in 32-bit index fields */

#if defined(__GNUC__)
#define CL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CL_LIKELY(x) __builtin_expect(!!(x), 1)
#define CL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CL_PRINTF(f, a)
#define CL_LIKELY(x) (x)
#define CL_UNLIKELY(x) (x)
#endif

/* ------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------ */

struct cl_env {
    cl_alloc_fn alloc;                 /* never NULL */
    void *ud;                          /* passed to alloc */
    uint64_t limits[CL_LIMIT_COUNT];   /* current limits */
    char *tzdir;                       /* owned; tz database directory */
    size_t tzdir_size;                 /* bytes allocated for tzdir */
    void *re_gctx;                     /* PCRE2 general context over alloc */
};

/* ------------------------------------------------------------------------
 * Memory (buf.c)
 * ------------------------------------------------------------------------ */

void *clB_alloc(const cl_env *env, size_t n);
void *clB_calloc(const cl_env *env, size_t n, size_t size);
void *clB_realloc(const cl_env *env, void *p, size_t osize, size_t nsize);
void clB_free(const cl_env *env, void *p, size_t size);
/* A NUL-terminated copy of s[0..n), or NULL. Freed with clB_free(env, p, n+1). */
char *clB_strndup(const cl_env *env, const char *s, size_t n);

/* Grows *p (an array of *cap elements of size bytes) to hold at least need
 * elements. Returns false when out of memory or on overflow (*p untouched). */
bool clB_grow(const cl_env *env, void **p, size_t *cap, size_t need, size_t size);

/* A growable array: CL_VEC(int) v = {0}; CL_PUSH(env, v, x) */
#define CL_VEC(T) struct { T *v; size_t n, cap; }
#define CL_RESERVE(env, vec, k) \
    ((vec).n + (k) <= (vec).cap || \
     clB_grow((env), (void **)&(vec).v, &(vec).cap, (vec).n + (k), sizeof(*(vec).v)))
/* Evaluates to true on success. */
#define CL_PUSH(env, vec, x) \
    (CL_RESERVE(env, vec, 1) ? ((vec).v[(vec).n++] = (x), true) : false)
#define CL_VEC_FREE(env, vec) \
    (clB_free((env), (vec).v, (vec).cap * sizeof(*(vec).v)), (vec).v = NULL, \
     (vec).n = (vec).cap = 0)

/* An arena: many small blocks freed at once. Used for YAML trees and ASTs. */
typedef struct clB_block clB_block;
typedef struct clB_arena {
    const cl_env *env;
    clB_block *head;   /* newest block */
    size_t used;       /* bytes used in head */
    size_t total;      /* bytes allocated in all blocks */
} clB_arena;

void clB_arena_init(clB_arena *a, const cl_env *env);
void *clB_arena_alloc(clB_arena *a, size_t n); /* zeroed, 16-byte aligned; NULL if OOM */
char *clB_arena_strndup(clB_arena *a, const char *s, size_t n);
/* Forgets everything allocated but keeps the newest block for reuse. */
void clB_arena_reset(clB_arena *a);
void clB_arena_free(clB_arena *a);

/* A growable byte string. */
typedef struct clB_str {
    char *p;
    size_t n, cap;
} clB_str;

bool clB_str_append(const cl_env *env, clB_str *s, const char *p, size_t n);
bool clB_str_printf(const cl_env *env, clB_str *s, const char *fmt, ...) CL_PRINTF(3, 4);
void clB_str_free(const cl_env *env, clB_str *s);

/* ------------------------------------------------------------------------
 * Errors (error.c)
 * ------------------------------------------------------------------------ */

/* A position in a source text, 1-based; 0 = unknown. */
typedef struct cl_pos {
    uint32_t line;
    uint32_t col;
    size_t offset;
} cl_pos;

/* Clears err (may be NULL). */
void clE_clear(cl_error *err);

/* Fills err (may be NULL) with code, position and a formatted message;
 * returns code, so that `return clE_set(...)` reads naturally. The source name
 * and path are left as they are. */
int clE_set(cl_error *err, int code, cl_pos pos, const char *fmt, ...) CL_PRINTF(4, 5);
int clE_vset(cl_error *err, int code, cl_pos pos, const char *fmt, va_list ap) CL_PRINTF(4, 0);

/* Sets the source name of err (may be NULL) when it is still empty. */
void clE_source(cl_error *err, const char *name);

/* Sets the document path of err (may be NULL). */
void clE_path(cl_error *err, const char *path);

/* The width of the line break at s[i] of s[0..len), 0 when there is none.
 * Line breaks are YAML's (and so libyaml's, whose line numbers every
 * position carries): "\r\n", "\n", "\r", and U+0085, U+2028, U+2029. */
size_t clE_line_break(const char *s, size_t len, size_t i);

/* The closest of candidates[0..n) to word by edit distance, or NULL when
 * none is close enough to be a useful "did you mean". */
const char *clE_suggest(const char *word, const char *const *candidates, size_t n);

/* ------------------------------------------------------------------------
 * Small string helpers
 * ------------------------------------------------------------------------ */

/* Case-insensitive (ASCII) equality of two counted strings. */
bool clB_ieq(const char *a, size_t an, const char *b, size_t bn);
/* strcasecmp order of two counted strings. */
int clB_icmp(const char *a, size_t an, const char *b, size_t bn);
/* Exact equality of two counted strings. */
static inline bool clB_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

#endif /* CL_CORE_H */
