/*
 * fuzz.h - what the fuzz targets share (tests/fuzz, docs/robustness.md).
 *
 * Each target defines LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize);
 * built with clang -fsanitize=fuzzer it is a libFuzzer binary, and linked
 * with replay.c it is a plain program that runs the seed corpus and the
 * regression cases once, so that they run in the normal test suite (gcc,
 * valgrind, ASan) too.
 *
 * Every target works in one environment over the checking allocator of
 * tests/oom/oomalloc.h: a free or realloc with the wrong size, or a block
 * still live after an input (beyond what the target keeps from its
 * initialisation), aborts, so the fuzzer reports it as a crash.
 */
#ifndef CL_FUZZ_H
#define CL_FUZZ_H

#include "../oom/oomalloc.h"

#include "couponlib/couponlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_SRCDIR
#error "FUZZ_SRCDIR must be defined (the source tree)"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message: a finding. */
static inline void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

#define FZ_CHECK(cond, ...)          \
    do {                             \
        if (!(cond))                 \
            fz_fail(__VA_ARGS__);    \
    } while (0)

/* ------------------------------------------------------------------------
 * The environment
 * ------------------------------------------------------------------------ */

static oom_alloc fz_alloc;
static cl_env *fz_env;
static size_t fz_baseline; /* blocks live after initialisation */

/* The environment, with a step budget small enough that no input can make
 * one run slow (the limits' own tests use the defaults). */
static inline void fz_env_init(void)
{
    fz_env = cl_env_new(oom_fn, &fz_alloc);
    FZ_CHECK(fz_env != NULL, "no environment");
    cl_env_set_limit(fz_env, CL_LIMIT_STEPS, 200000);
    cl_env_set_limit(fz_env, CL_LIMIT_MATCH, 20000);
}

/* Called once initialisation has made what the target keeps. */
static inline void fz_env_ready(void)
{
    fz_baseline = fz_alloc.live;
}

/* After an input: every block it made is freed, with the right sizes. */
static inline void fz_env_check(void)
{
    FZ_CHECK(fz_alloc.violations == 0, "allocator contract broken: %s", fz_alloc.first);
    FZ_CHECK(fz_alloc.live == fz_baseline, "%zu blocks leaked",
             fz_alloc.live - fz_baseline);
}

/* ------------------------------------------------------------------------
 * Positions
 * ------------------------------------------------------------------------ */

/* YAML's line breaks (CR LF, LF, CR, NEL, LS, PS): their width at s[i]. */
static inline size_t fz_break(const unsigned char *s, size_t len, size_t i)
{
    if (s[i] == '\r')
        return i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
    if (s[i] == '\n')
        return 1;
    if (s[i] == 0xC2 && i + 1 < len && s[i + 1] == 0x85)
        return 2;
    if (s[i] == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
        return 3;
    return 0;
}

/* An error's position is inside the text, and its byte offset (when it has
 * one) lies on the line it names. */
static inline void fz_check_position(const cl_error *err, const char *text, size_t len)
{
    const unsigned char *u = (const unsigned char *)text;
    FZ_CHECK(err->offset <= len, "error offset %zu of %zu", err->offset, len);
    unsigned lines = 1, line_at = 1;
    for (size_t i = 0, w; i < len; i += w ? w : 1) {
        w = fz_break(u, len, i);
        lines += w > 0;
        if (w > 0 && i < err->offset)
            line_at++;
    }
    FZ_CHECK(err->line <= lines, "error line %u of %u", err->line, lines);
    FZ_CHECK(err->offset == 0 || err->line == line_at, "error at line %u, offset %zu on line %u",
             err->line, err->offset, line_at);
}

/* ------------------------------------------------------------------------
 * Buffers and files
 * ------------------------------------------------------------------------ */

typedef struct fz_buf {
    char *p;
    size_t n, cap;
} fz_buf;

static inline int fz_write(void *ud, const char *p, size_t n)
{
    fz_buf *b = ud;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        FZ_CHECK(q != NULL, "out of memory in the fuzzer");
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
    return 0;
}

static inline int fz_discard(void *ud, const char *p, size_t n)
{
    (void)ud;
    (void)p;
    (void)n;
    return 0;
}

static inline void fz_buf_free(fz_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static inline bool fz_same(const fz_buf *a, const fz_buf *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* A file of the source tree, whole (NUL-terminated), or abort. */
static inline char *fz_slurp(const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", FUZZ_SRCDIR, rel);
    FILE *f = fopen(path, "rb");
    FZ_CHECK(f != NULL, "cannot open %s", path);
    fz_buf b = {NULL, 0, 0};
    char chunk[8192];
    size_t k;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
        fz_write(&b, chunk, k);
    fclose(f);
    if (b.p == NULL)
        fz_write(&b, "", 0);
    *len = b.n;
    return b.p;
}

/* ------------------------------------------------------------------------
 * Fixed programs and contexts
 * ------------------------------------------------------------------------ */

static inline cl_program *fz_compile_file(const char *rel)
{
    size_t n;
    char *src = fz_slurp(rel, &n);
    cl_error err;
    cl_program *p = cl_compile(fz_env, src, n, rel, &err);
    FZ_CHECK(p != NULL, "%s:%u:%u: %s", rel, err.line, err.column, err.message);
    free(src);
    return p;
}

static inline cl_context *fz_context_file(const char *rel)
{
    size_t n;
    char *src = fz_slurp(rel, &n);
    cl_context *ctx = cl_context_new(fz_env);
    cl_error err;
    FZ_CHECK(ctx != NULL && cl_context_parse(ctx, src, n, &err) == CL_OK, "%s: %s", rel,
             err.message);
    free(src);
    return ctx;
}

/* Every evaluation of p on ctx, and its JSON into out (may be NULL). A
 * failure must be a clean status with the error filled. */
static inline void fz_evaluate(cl_vm *vm, const cl_program *p, const cl_context *ctx, fz_buf *out)
{
    static const unsigned kinds[] = {0, 1, 2, 3};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        const cl_result *r = NULL;
        cl_error err;
        int rc;
        switch (kinds[k]) {
        case 0: rc = cl_vm_eval(vm, p, ctx, 0, &r, &err); break;
        case 1: rc = cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, &r, &err); break;
        case 2: rc = cl_vm_best(vm, p, ctx, &r, &err); break;
        default: rc = cl_vm_best_flags(vm, p, ctx, CL_BEST_INDEXED, &r, &err); break;
        }
        if (rc != CL_OK) {
            FZ_CHECK(rc == err.code && err.message[0] != '\0', "status %d, error %d (%s)", rc,
                     err.code, err.message);
            FZ_CHECK(rc == CL_ESTEPS || rc == CL_ELIMIT || rc == CL_EINVAL ||
                         rc == CL_EOVERFLOW, "evaluation failed with %s: %s",
                     cl_status_name(rc), err.message);
            if (out != NULL) {
                char line[640];
                int n = snprintf(line, sizeof line, "error %s %u:%u %s\n", cl_status_name(rc),
                                 err.line, err.column, err.message);
                fz_write(out, line, (size_t)n);
            }
            continue;
        }
        /* The accessors agree with each other. */
        size_t n = cl_result_count(r) + cl_result_rejected_count(r);
        for (size_t i = 0; i < n; i++) {
            FZ_CHECK(cl_result_code(r, i) != NULL, "outcome %zu has no code", i);
            for (size_t j = 0; j < cl_result_line_count(r, i); j++) {
                size_t index;
                int64_t d;
                FZ_CHECK(cl_result_line(r, i, j, &index, &d) == CL_OK &&
                             index < cl_context_item_count(ctx), "line %zu of outcome %zu", j, i);
            }
            for (size_t j = 0; j < cl_result_reason_count(r, i); j++)
                FZ_CHECK(cl_result_reason_message(r, i, j) != NULL, "reason without message");
        }
        FZ_CHECK(cl_result_total(r, CL_TOTAL_TOTAL) >= 0, "a negative total");
        if (out != NULL)
            FZ_CHECK(cl_result_write_json(r, fz_write, out) == CL_OK, "JSON");
        else
            FZ_CHECK(cl_result_write_json(r, fz_discard, NULL) == CL_OK, "JSON");
    }
}

#endif /* CL_FUZZ_H */
