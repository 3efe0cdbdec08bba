/*
 * test_oom.c - out-of-memory sweeps over every public entry point of
 * couponlib.h that allocates, as SQLite and Lua run them.
 *
 * Each sweep runs one operation with an environment over the test allocator
 * (oomalloc.h) failing the Nth allocation, for N = 1, 2, ... until the
 * operation makes fewer than N allocations. Every run must
 *
 *   - end with the operation's normal outcome (the same status and the same
 *     output as without failures: an allocation the library can do without,
 *     such as PCRE2's JIT, may fail unnoticed) or with CL_ENOMEM, the error
 *     struct saying so; never another status, a crash or a half-made object;
 *   - leave the objects it was given usable: the same call without failures
 *     then gives the normal outcome;
 *   - free every block it allocated, with the size it allocated (the
 *     allocator checks every free and realloc against its records), once
 *     the objects are freed.
 *
 * Memory errors fail the test under ASan and valgrind; leaks of what does
 * not go through the allocator (libyaml's malloc) fail it there too.
 */
#include "oomalloc.h"

#include "couponlib/couponlib.h"

#include <check.h>
#include <stdarg.h>

#ifndef TEST_SRCDIR
#error "TEST_SRCDIR must be defined"
#endif

/* ------------------------------------------------------------------------
 * Text buffers: outputs to compare, and write callbacks
 * ------------------------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static int text_write(void *ud, const char *p, size_t n)
{
    text *t = ud;
    if (t->n + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 1024;
        while (cap < t->n + n + 1)
            cap *= 2;
        char *q = realloc(t->p, cap);
        if (q == NULL)
            return -1;
        t->p = q;
        t->cap = cap;
    }
    memcpy(t->p + t->n, p, n);
    t->n += n;
    t->p[t->n] = '\0';
    return 0;
}

static void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(text *t, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    ck_assert(k >= 0 && (size_t)k < sizeof buf);
    ck_assert_int_eq(text_write(t, buf, (size_t)k), 0);
}

static void text_free(text *t)
{
    free(t->p);
    t->p = NULL;
    t->n = t->cap = 0;
}

static char *slurp(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TEST_SRCDIR, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    text t = {NULL, 0, 0};
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        ck_assert_int_eq(text_write(&t, buf, k), 0);
    fclose(f);
    if (t.p == NULL)
        ck_assert_int_eq(text_write(&t, "", 0), 0);
    *len = t.n;
    return t.p;
}

/* ------------------------------------------------------------------------
 * Fixtures: what the operations work on, made without failures
 * ------------------------------------------------------------------------ */

static char *catalog_src, *context_src, *small_src;
static size_t catalog_len, context_len, small_len;

static const char small_yaml[] =
    "version: 1\n"
    "currency: USD\n"
    "coupons:\n"
    "  - { code: EXTRA, automatic: true, priority: 1, discount: { percent: 5 } }\n"
    "  - { code: LATE, when: { user.email: { matches: \"@example\\\\.(com|org)$\" } },\n"
    "      discount: { amount: \"2.00\", target: { items: { sku: [MUG] } } } }\n";

static void fixtures_load(void)
{
    catalog_src = slurp("tests/oom/catalog.yaml", &catalog_len);
    context_src = slurp("tests/oom/context.json", &context_len);
    small_src = strdup(small_yaml);
    small_len = strlen(small_yaml);
}

static void fixtures_free(void)
{
    free(catalog_src);
    free(context_src);
    free(small_src);
}

static cl_env *env_over(oom_alloc *a)
{
    cl_env *env = cl_env_new(oom_fn, a);
    ck_assert(env != NULL);
    return env;
}

static cl_program *compile_ok(const cl_env *env, const char *src, size_t len)
{
    cl_error err;
    cl_program *p = cl_compile(env, src, len, "fixture.yaml", &err);
    ck_assert_msg(p != NULL, "fixture: %u:%u: %s", err.line, err.column, err.message);
    return p;
}

static cl_context *context_ok(const cl_env *env)
{
    cl_context *ctx = cl_context_new(env);
    ck_assert(ctx != NULL);
    cl_error err;
    ck_assert_msg(cl_context_parse(ctx, context_src, context_len, &err) == CL_OK, "context: %s",
                  err.message);
    return ctx;
}

/* ------------------------------------------------------------------------
 * Digests: everything observable about an outcome, as text
 * ------------------------------------------------------------------------ */

static void digest_error(text *d, const cl_error *err)
{
    text_printf(d, "error %s %u:%u @%zu [%s] %s (%s)\n", cl_status_name(err->code), err->line,
                err->column, err->offset, err->path, err->message, err->source);
}

static void digest_result(text *d, const cl_result *r)
{
    ck_assert_int_eq(cl_result_write_json(r, text_write, d), CL_OK);
    text_printf(d, "\n%zu applied/evaluated, %zu rejected, total %lld\n", cl_result_count(r),
                cl_result_rejected_count(r), (long long)cl_result_total(r, CL_TOTAL_TOTAL));
}

/* A program's listing, and its evaluation and best choice on the fixture
 * context. */
static void digest_program(text *d, const cl_env *env, const cl_program *p)
{
    ck_assert_int_eq(cl_program_disasm(p, text_write, d), CL_OK);
    for (size_t i = 0; i < cl_program_count(p); i++)
        text_printf(d, "%s|%s|%s|%s|%d|%d|%lld|%ld\n", cl_program_code(p, i),
                    cl_program_name(p, i), cl_program_group(p, i), cl_program_currency(p, i),
                    cl_program_automatic(p, i), cl_program_exclusive(p, i),
                    (long long)cl_program_priority(p, i), cl_program_find(p, cl_program_code(p, i)));
    cl_context *ctx = context_ok(env);
    cl_vm *vm = cl_vm_new(env);
    ck_assert(vm != NULL);
    const cl_result *r;
    cl_error err;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, &err), CL_OK);
    digest_result(d, r);
    ck_assert_int_eq(cl_vm_best(vm, p, ctx, &r, &err), CL_OK);
    digest_result(d, r);
    cl_vm_free(vm);
    cl_context_free(ctx);
}

/* A context's evaluation against the catalog, and its line count. */
static void digest_context(text *d, const cl_env *env, const cl_context *ctx)
{
    cl_program *p = compile_ok(env, catalog_src, catalog_len);
    cl_vm *vm = cl_vm_new(env);
    ck_assert(vm != NULL);
    const cl_result *r;
    cl_error err;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, &r, &err), CL_OK);
    digest_result(d, r);
    ck_assert_int_eq(cl_vm_best(vm, p, ctx, &r, &err), CL_OK);
    digest_result(d, r);
    text_printf(d, "%zu lines\n", cl_context_item_count(ctx));
    cl_vm_free(vm);
    cl_program_free(p);
}

/* Fails the test when two outcomes differ, showing where. */
static void same_text(const char *what, long n, const text *want, const text *got)
{
    if (got->n == want->n && (got->n == 0 || memcmp(got->p, want->p, got->n) == 0))
        return;
    size_t at = 0;
    while (at < got->n && at < want->n && got->p[at] == want->p[at])
        at++;
    size_t from = at > 80 ? at - 80 : 0;
    ck_abort_msg("%s, allocation %ld failed: the outcome differs at byte %zu:\n"
                 "--- expected\n%.240s\n--- got\n%.240s", what, n, at,
                 want->p ? want->p + (from < want->n ? from : want->n) : "",
                 got->p ? got->p + (from < got->n ? from : got->n) : "");
}

/* ------------------------------------------------------------------------
 * The sweep
 * ------------------------------------------------------------------------ */

/* One run of an operation: does its setup without failures, calls the
 * entry point under test between oom_arm(a, n) and oom_stop(a), and
 * fills *d with the outcome (status, error, output). When the call ran out
 * of memory it calls again without failures, on the same objects, and
 * digests that: the objects (the environment, a context, a vm) must still
 * work, so *d is always the normal outcome. It frees everything, the
 * environment last. Returns the status of the armed call. */
typedef int (*op_fn)(oom_alloc *a, long n, text *d);

/* The step from the nth allocation to the next one to fail: 1, except past
 * the first 100 when CL_TEST_QUICK is set (the valgrind setup sets it, where
 * a sweep, quadratic in its allocations, costs thirty times more; the gcc and
 * ASan runs sweep every allocation). */
static long sweep_step(long n)
{
    static int quick = -1;
    if (quick < 0) {
        const char *q = getenv("CL_TEST_QUICK");
        quick = q != NULL && q[0] != '\0' && q[0] != '0';
    }
    return quick && n >= 100 ? 5 : 1;
}

static void sweep(const char *what, op_fn op)
{
    oom_alloc a;
    memset(&a, 0, sizeof a);
    text ref = {NULL, 0, 0};
    int want = op(&a, 0, &ref);
    ck_assert_msg(a.violations == 0, "%s: %s", what, a.first);
    ck_assert_msg(a.live == 0, "%s: %zu blocks (%zu bytes) not freed without failures", what,
                  a.live, a.bytes);
    long n, last = 0;
    for (n = 1;; n += sweep_step(n)) {
        text d = {NULL, 0, 0};
        last = n;
        a.injected = 0;
        int rc = op(&a, n, &d);
        bool hit = a.injected > 0;
        ck_assert_msg(a.violations == 0, "%s, allocation %ld failed: %s", what, n, a.first);
        ck_assert_msg(a.live == 0, "%s, allocation %ld failed: %zu blocks (%zu bytes) leaked",
                      what, n, a.live, a.bytes);
        ck_assert_msg(rc == want || (hit && rc == CL_ENOMEM),
                      "%s, allocation %ld failed: status %s, expected %s or no-memory", what, n,
                      cl_status_name(rc), cl_status_name(want));
        same_text(what, n, &ref, &d);
        text_free(&d);
        if (!hit)
            break;
    }
    text_free(&ref);
    oom_done(&a);
    printf("%-40s %6ld allocations swept%s\n", what, last - 1,
           sweep_step(last) > 1 ? " (the first 100, then every fifth)" : "");
}

/* The status of an armed call that returned an object: CL_ENOMEM must be
 * what the error says. */
static int status_of(const void *obj, const cl_error *err)
{
    if (obj != NULL) {
        ck_assert_int_eq(err->code, CL_OK);
        return CL_OK;
    }
    ck_assert_int_ne(err->code, CL_OK);
    return err->code;
}

/* ------------------------------------------------------------------------
 * Environment
 * ------------------------------------------------------------------------ */

static int op_env_new(oom_alloc *a, long n, text *d)
{
    oom_arm(a, n);
    cl_env *env = cl_env_new(oom_fn, a);
    oom_stop(a);
    int rc = env ? CL_OK : CL_ENOMEM;
    if (env == NULL)
        env = env_over(a);
    text_printf(d, "steps %llu\n", (unsigned long long)cl_env_limit(env, CL_LIMIT_STEPS));
    cl_env_free(env);
    return rc;
}

static int op_env_set_tzdir(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    oom_arm(a, n);
    int rc = cl_env_set_tzdir(env, "/usr/share/zoneinfo/");
    oom_stop(a);
    if (rc != CL_OK)
        ck_assert_int_eq(cl_env_set_tzdir(env, "/usr/share/zoneinfo/"), CL_OK);
    cl_context *ctx = cl_context_new(env);
    text_printf(d, "zone %s\n", cl_status_name(cl_context_set_timezone(ctx, "Europe/Paris")));
    cl_context_free(ctx);
    cl_env_free(env);
    return rc;
}

/* ------------------------------------------------------------------------
 * Programs
 * ------------------------------------------------------------------------ */

static int compile_src(oom_alloc *a, long n, text *d, const char *src, size_t len)
{
    cl_env *env = env_over(a);
    cl_error err;
    oom_arm(a, n);
    cl_program *p = cl_compile(env, src, len, "src.yaml", &err);
    oom_stop(a);
    int rc = status_of(p, &err);
    if (rc == CL_ENOMEM) {
        ck_assert_msg(strstr(err.message, "out of memory") != NULL, "%s", err.message);
        p = cl_compile(env, src, len, "src.yaml", &err);
    }
    if (p != NULL)
        digest_program(d, env, p);
    else
        digest_error(d, &err);
    cl_program_free(p);
    cl_env_free(env);
    return rc;
}

static int op_compile_catalog(oom_alloc *a, long n, text *d)
{
    return compile_src(a, n, d, catalog_src, catalog_len);
}

static int op_compile_small(oom_alloc *a, long n, text *d)
{
    return compile_src(a, n, d, small_src, small_len);
}

/* Sources that must not compile: the error must survive failures. */
static const char *const bad_sources[] = {
    "coupons: [ { code: A\n",
    "currency: USD\ncoupons:\n  - code: A\n    when: { payment.metod: card }\n"
    "    discount: { amount: \"1.00\" }\n",
    "currency: USD\ncoupons:\n  - code: A\n    when: { user.email: { matches: \"(\" } }\n"
    "    discount: { percent: 5 }\n",
    "currency: USD\ntimezone: Mars/Olympus\ncoupons:\n  - { code: A, discount: { percent: 5 } }\n",
    "currency: USD\ncoupons:\n  - { code: A, discount: { percent: 5 } }\n"
    "  - { code: a, discount: { percent: 6 } }\n",
    "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    "currency: USD\ncalendars: [no-such-calendar]\ncoupons: []\n",
};

static int op_compile_bad(oom_alloc *a, long n, text *d)
{
    int rc = CL_EKEY; /* any error but no-memory: the digests hold the errors */
    for (size_t i = 0; i < sizeof bad_sources / sizeof *bad_sources; i++) {
        long before = a->injected;
        if (compile_src(a, n, d, bad_sources[i], strlen(bad_sources[i])) == CL_ENOMEM)
            rc = CL_ENOMEM;
        /* The counter runs across the sources; after the failure, none. */
        n = n == 0 || a->injected > before ? 0 : n - a->count;
    }
    return rc;
}

static int op_compile_file(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_error err;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/oom/catalog.yaml", TEST_SRCDIR);
    oom_arm(a, n);
    cl_program *p = cl_compile_file(env, path, &err);
    oom_stop(a);
    int rc = status_of(p, &err);
    if (rc == CL_ENOMEM)
        p = cl_compile_file(env, path, &err);
    ck_assert(p != NULL);
    digest_program(d, env, p);
    cl_program_free(p);
    /* A file that is not there is an I/O error, however memory goes. */
    oom_arm(a, n > 0 && rc == CL_OK ? n - a->count : 0);
    p = cl_compile_file(env, "/nonexistent/coupons.yaml", &err);
    oom_stop(a);
    ck_assert(p == NULL);
    ck_assert_int_eq(err.code, CL_EIO);
    cl_env_free(env);
    return rc;
}

static int op_link(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    const cl_program *in[2] = {compile_ok(env, catalog_src, catalog_len),
                               compile_ok(env, small_src, small_len)};
    cl_error err;
    oom_arm(a, n);
    cl_program *p = cl_program_link(env, in, 2, &err);
    oom_stop(a);
    int rc = status_of(p, &err);
    if (rc == CL_ENOMEM)
        p = cl_program_link(env, in, 2, &err);
    ck_assert(p != NULL);
    digest_program(d, env, p);
    cl_program_free(p);
    /* A duplicate code is reported whatever fails. */
    const cl_program *twice[2] = {in[1], in[1]};
    oom_arm(a, n > 0 && rc == CL_OK ? n - a->count : 0);
    p = cl_program_link(env, twice, 2, &err);
    oom_stop(a);
    ck_assert(p == NULL);
    ck_assert_msg(err.code == CL_EDUPLICATE || err.code == CL_ENOMEM, "%s", err.message);
    cl_program_free((cl_program *)in[0]);
    cl_program_free((cl_program *)in[1]);
    cl_env_free(env);
    return rc;
}

static int op_save(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_program *p = compile_ok(env, catalog_src, catalog_len);
    text out = {NULL, 0, 0};
    oom_arm(a, n);
    int rc = cl_program_save(p, text_write, &out);
    oom_stop(a);
    if (rc == CL_OK) {
        ck_assert_int_eq(text_write(d, out.p, out.n), 0);
    } else {
        text again = {NULL, 0, 0};
        ck_assert_int_eq(cl_program_save(p, text_write, &again), CL_OK);
        ck_assert_int_eq(text_write(d, again.p, again.n), 0);
        text_free(&again);
    }
    text_free(&out);
    cl_program_free(p);
    cl_env_free(env);
    return rc;
}

static text saved;       /* the catalog and small linked, saved */

static void saved_make(void)
{
    oom_alloc a;
    memset(&a, 0, sizeof a);
    cl_env *env = env_over(&a);
    const cl_program *in[2] = {compile_ok(env, catalog_src, catalog_len),
                               compile_ok(env, small_src, small_len)};
    cl_error err;
    cl_program *p = cl_program_link(env, in, 2, &err);
    ck_assert(p != NULL);
    ck_assert_int_eq(cl_program_save(p, text_write, &saved), CL_OK);
    cl_program_free(p);
    cl_program_free((cl_program *)in[0]);
    cl_program_free((cl_program *)in[1]);
    cl_env_free(env);
    oom_done(&a);
}

static int op_load(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_error err;
    oom_arm(a, n);
    cl_program *p = cl_program_load(env, saved.p, saved.n, &err);
    oom_stop(a);
    int rc = status_of(p, &err);
    if (rc == CL_ENOMEM)
        p = cl_program_load(env, saved.p, saved.n, &err);
    ck_assert(p != NULL);
    ck_assert(cl_program_is_saved(saved.p, saved.n));
    digest_program(d, env, p);
    cl_program_free(p);
    cl_env_free(env);
    return rc;
}

/* The CRC-32 (IEEE) a saved program's header carries of its payload. */
static uint32_t crc32(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

/* Blobs that must not load, whatever memory does: one truncated (refused
 * by the header), and one whose checksum is right but whose coupon code
 * holds a NUL (refused by the verifier after every table is read: a
 * fuzz_load regression case, its header mended). */
static int op_load_bad(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_error err;
    size_t len;
    unsigned char *blob = (unsigned char *)slurp("tests/fuzz/regress/load/code-with-nul", &len);
    uint64_t payload = len - 32;
    uint32_t crc = crc32(blob + 32, len - 32);
    for (int i = 0; i < 8; i++)
        blob[16 + i] = (unsigned char)(payload >> (8 * i));
    for (int i = 0; i < 4; i++)
        blob[24 + i] = (unsigned char)(crc >> (8 * i));
    int rc = CL_EFORMAT;
    const struct {
        const void *p;
        size_t n;
    } bad[] = {{saved.p, saved.n / 2}, {blob, len}};
    for (size_t k = 0; k < 2; k++) {
        oom_arm(a, n);
        cl_program *p = cl_program_load(env, bad[k].p, bad[k].n, &err);
        long used = a->count;
        bool hit = a->injected > 0;
        oom_stop(a);
        ck_assert(p == NULL);
        if (err.code == CL_ENOMEM) {
            rc = CL_ENOMEM;
            ck_assert(cl_program_load(env, bad[k].p, bad[k].n, &err) == NULL);
        }
        ck_assert_msg(err.code == (k == 0 ? CL_EFORMAT : CL_EVERIFY), "%s", err.message);
        digest_error(d, &err);
        n = n == 0 || hit ? 0 : n - used;
    }
    free(blob);
    cl_env_free(env);
    return rc;
}

static int op_disasm(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_program *p = compile_ok(env, catalog_src, catalog_len);
    oom_arm(a, n);
    int rc = cl_program_disasm(p, text_write, d);
    oom_stop(a);
    if (rc != CL_OK) {
        d->n = 0;
        ck_assert_int_eq(cl_program_disasm(p, text_write, d), CL_OK);
    }
    cl_program_free(p);
    cl_env_free(env);
    return rc;
}

/* ------------------------------------------------------------------------
 * Contexts
 * ------------------------------------------------------------------------ */

static int op_context_new(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    oom_arm(a, n);
    cl_context *ctx = cl_context_new(env);
    oom_stop(a);
    int rc = ctx ? CL_OK : CL_ENOMEM;
    if (ctx == NULL)
        ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_parse(ctx, context_src, context_len, NULL), CL_OK);
    digest_context(d, env, ctx);
    cl_context_free(ctx);
    cl_env_free(env);
    return rc;
}

/* cl_context_parse on a fresh context, then again on the same one (which
 * reuses its memory), each armed in turn. */
static int op_context_parse(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_context *ctx = cl_context_new(env);
    ck_assert(ctx != NULL);
    int rc = CL_OK;
    for (int round = 0; round < 2; round++) {
        cl_error err;
        oom_arm(a, n);
        int r = cl_context_parse(ctx, context_src, context_len, &err);
        long used = a->count;
        bool hit = a->injected > 0;
        oom_stop(a);
        ck_assert_int_eq(r, err.code);
        if (r != CL_OK) {
            ck_assert_int_eq(cl_context_item_count(ctx), 0); /* left cleared */
            ck_assert_int_eq(cl_context_parse(ctx, context_src, context_len, &err), CL_OK);
            rc = r;
        }
        digest_context(d, env, ctx);
        n = n == 0 || hit ? 0 : n - used;
    }
    cl_context_free(ctx);
    cl_env_free(env);
    return rc;
}

static int op_context_parse_bad(oom_alloc *a, long n, text *d)
{
    static const char bad[] =
        "{ \"now\": \"2026-11-28T15:30:00Z\", \"currency\": \"USD\",\n"
        "  \"user\": { \"tags\": [\"a\", \"b\"] },\n"
        "  \"items\": [ { \"sku\": \"A\", \"quantity\": 1, \"unit_price\": \"1.00\" },\n"
        "             { \"sku\": \"B\", \"quantity\": 1, \"unit_price\": \"1.005\" } ] }\n";
    cl_env *env = env_over(a);
    cl_context *ctx = cl_context_new(env);
    cl_error err;
    oom_arm(a, n);
    int rc = cl_context_parse(ctx, bad, sizeof bad - 1, &err);
    oom_stop(a);
    if (rc == CL_ENOMEM)
        rc = cl_context_parse(ctx, bad, sizeof bad - 1, &err) == CL_ENOMEM ? CL_EINVAL : CL_ENOMEM;
    digest_error(d, &err);
    cl_context_free(ctx);
    cl_env_free(env);
    return rc;
}

/* The fixture context again, through the setters. Each setter is armed in
 * turn (the failure counter runs across them); a failed setter must leave
 * the context as it was, so that calling it again completes the context. */
static int op_setters(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_context *ctx = cl_context_new(env);
    ck_assert(ctx != NULL);
    int rc = CL_OK;
    size_t i0 = 0, i1 = 0, i2 = 0;
#define SET(call)                                                  \
    do {                                                           \
        oom_arm(a, n);                                             \
        int r_ = (call);                                           \
        long used_ = a->count;                                     \
        bool hit_ = a->injected > 0;                               \
        oom_stop(a);                                               \
        if (r_ != CL_OK) {                                         \
            ck_assert_int_eq(r_, CL_ENOMEM);                       \
            rc = r_;                                               \
            ck_assert_int_eq((call), CL_OK);                       \
        }                                                          \
        n = hit_ || n == 0 ? 0 : n - used_;                        \
    } while (0)
    SET(cl_context_set_now(ctx, 1795879800));
    SET(cl_context_set_timezone(ctx, "America/New_York"));
    SET(cl_context_set_currency(ctx, "USD"));
    SET(cl_context_add_code(ctx, "FIRST5"));
    SET(cl_context_add_code(ctx, "card"));
    SET(cl_context_add_code(ctx, "PERSONAL"));
    SET(cl_context_add_code(ctx, "ITEMS"));
    SET(cl_context_add_code(ctx, "DAYS"));
    SET(cl_context_add_code(ctx, "SHIPFREE"));
    SET(cl_context_add_code(ctx, "NOPE"));
    SET(cl_context_set_string(ctx, CL_FIELD_USER_ID, "u-42"));
    SET(cl_context_set_string(ctx, CL_FIELD_USER_EMAIL, "ann@example.com"));
    SET(cl_context_add_user_tag(ctx, "vip"));
    SET(cl_context_add_user_tag(ctx, "eu"));
    SET(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1990, 11, 29));
    SET(cl_context_set_date(ctx, CL_FIELD_USER_SIGNUP_DATE, 2021, 11, 28));
    SET(cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, 9));
    SET(cl_context_set_string(ctx, CL_FIELD_ORDER_NUMBER, "ORD-000123"));
    SET(cl_context_set_int(ctx, CL_FIELD_ORDER_SERIAL, 123));
    SET(cl_context_set_int(ctx, CL_FIELD_ORDER_SEQUENCE, 1));
    SET(cl_context_set_string(ctx, CL_FIELD_PAYMENT_METHOD, "card"));
    SET(cl_context_set_string(ctx, CL_FIELD_PAYMENT_NETWORK, "visa"));
    SET(cl_context_set_string(ctx, CL_FIELD_PAYMENT_BIN, "411111"));
    SET(cl_context_set_string(ctx, CL_FIELD_PAYMENT_WALLET, "apple_pay"));
    SET(cl_context_set_string(ctx, CL_FIELD_SHIPPING_METHOD, "standard"));
    SET(cl_context_set_string(ctx, CL_FIELD_SHIPPING_COUNTRY, "US"));
    SET(cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, 499));
    SET(cl_context_add_item(ctx, "TV-55", 3, 49999, &i0));
    SET(cl_context_item_add_category(ctx, i0, "electronics/tv"));
    SET(cl_context_item_add_tag(ctx, i0, "4k"));
    SET(cl_context_item_set_on_sale(ctx, i0, false));
    SET(cl_context_add_item(ctx, "MUG", 2, 1250, &i1));
    SET(cl_context_item_add_category(ctx, i1, "home/kitchen"));
    SET(cl_context_item_add_tag(ctx, i1, "sale"));
    SET(cl_context_item_set_on_sale(ctx, i1, true));
    SET(cl_context_add_item(ctx, "CUP", 1, 300, &i2));
    SET(cl_context_item_add_category(ctx, i2, "home"));
    SET(cl_context_set_usage(ctx, "SHIPFREE", 3, 1, 1500));
    SET(cl_context_set_usage(ctx, "WEEKEND10", 1, 0, 0));
    SET(cl_context_set_usage(ctx, "weekend10", 1, 0, 0)); /* the same code again */
#undef SET
    ck_assert_uint_eq(i2, 2);
    digest_context(d, env, ctx);
    /* The same as parsing the fixture's JSON. */
    text parsed = {NULL, 0, 0};
    cl_context *ctx2 = context_ok(env);
    digest_context(&parsed, env, ctx2);
    same_text("setters against parsing", n, &parsed, d);
    text_free(&parsed);
    cl_context_free(ctx2);
    cl_context_free(ctx);
    cl_env_free(env);
    return rc;
}

/* ------------------------------------------------------------------------
 * Evaluation
 * ------------------------------------------------------------------------ */

static int op_vm_new(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    oom_arm(a, n);
    cl_vm *vm = cl_vm_new(env);
    oom_stop(a);
    int rc = vm ? CL_OK : CL_ENOMEM;
    if (vm == NULL)
        vm = cl_vm_new(env);
    cl_program *p = compile_ok(env, catalog_src, catalog_len);
    cl_context *ctx = context_ok(env);
    const cl_result *r;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &r, NULL), CL_OK);
    digest_result(d, r);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_vm_free(vm);
    cl_env_free(env);
    return rc;
}

enum { EV_EVAL, EV_EVAL_ENTERED, EV_SOME, EV_BEST, EV_BEST_INDEXED };

static int run_eval(int kind, cl_vm *vm, const cl_program *p, const cl_context *ctx,
                    const cl_result **r, cl_error *err)
{
    static const size_t some[] = {9, 0, 3, 3, 5};
    switch (kind) {
    case EV_EVAL:
        return cl_vm_eval(vm, p, ctx, 0, r, err);
    case EV_EVAL_ENTERED:
        return cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, r, err);
    case EV_SOME:
        return cl_vm_eval_some(vm, p, ctx, some, sizeof some / sizeof *some, 0, r, err);
    case EV_BEST:
        return cl_vm_best(vm, p, ctx, r, err);
    default:
        return cl_vm_best_flags(vm, p, ctx, CL_BEST_INDEXED, r, err);
    }
}

/* An evaluation on a fresh vm, then on the same (warm) vm, then on a vm
 * that last evaluated a smaller program; each armed in turn. */
static int eval_sweep(oom_alloc *a, long n, text *d, int kind)
{
    cl_env *env = env_over(a);
    const cl_program *in[2] = {compile_ok(env, catalog_src, catalog_len),
                               compile_ok(env, small_src, small_len)};
    cl_error err;
    cl_program *p = cl_program_link(env, in, 2, &err);
    ck_assert(p != NULL);
    cl_context *ctx = context_ok(env);
    cl_vm *vm = cl_vm_new(env);
    ck_assert(vm != NULL);
    int rc = CL_OK;
    for (int round = 0; round < 3; round++) {
        const cl_result *r;
        if (round == 2)
            ck_assert_int_eq(cl_vm_best(vm, in[1], ctx, &r, NULL), CL_OK);
        oom_arm(a, n);
        int st = run_eval(kind, vm, p, ctx, &r, &err);
        long used = a->count;
        bool hit = a->injected > 0;
        oom_stop(a);
        ck_assert_int_eq(st, err.code);
        if (st != CL_OK) {
            ck_assert_int_eq(st, CL_ENOMEM);
            rc = st;
            ck_assert_int_eq(run_eval(kind, vm, p, ctx, &r, &err), CL_OK);
        }
        digest_result(d, r);
        n = n == 0 || hit ? 0 : n - used;
    }
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_program_free((cl_program *)in[0]);
    cl_program_free((cl_program *)in[1]);
    cl_env_free(env);
    return rc;
}

static int op_eval(oom_alloc *a, long n, text *d)
{
    return eval_sweep(a, n, d, EV_EVAL);
}
static int op_eval_entered(oom_alloc *a, long n, text *d)
{
    return eval_sweep(a, n, d, EV_EVAL_ENTERED);
}
static int op_eval_some(oom_alloc *a, long n, text *d)
{
    return eval_sweep(a, n, d, EV_SOME);
}
static int op_best(oom_alloc *a, long n, text *d)
{
    return eval_sweep(a, n, d, EV_BEST);
}
static int op_best_indexed(oom_alloc *a, long n, text *d)
{
    return eval_sweep(a, n, d, EV_BEST_INDEXED);
}

static int op_write_json(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_program *p = compile_ok(env, catalog_src, catalog_len);
    cl_context *ctx = context_ok(env);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    int rc = CL_OK;
    for (int kind = EV_EVAL; kind <= EV_BEST; kind += EV_BEST - EV_EVAL) {
        ck_assert_int_eq(run_eval(kind, vm, p, ctx, &r, NULL), CL_OK);
        text out = {NULL, 0, 0};
        oom_arm(a, n);
        int st = cl_result_write_json(r, text_write, &out);
        long used = a->count;
        bool hit = a->injected > 0;
        oom_stop(a);
        if (st != CL_OK) {
            ck_assert_int_eq(st, CL_ENOMEM);
            rc = st;
            out.n = 0;
            ck_assert_int_eq(cl_result_write_json(r, text_write, &out), CL_OK);
        }
        ck_assert_int_eq(text_write(d, out.p, out.n), 0);
        text_free(&out);
        n = n == 0 || hit ? 0 : n - used;
    }
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    cl_env_free(env);
    return rc;
}

/* ------------------------------------------------------------------------
 * Campaign codes
 * ------------------------------------------------------------------------ */

static int op_codes(oom_alloc *a, long n, text *d)
{
    cl_env *env = env_over(a);
    cl_code_spec spec = {8, "OOM-", NULL, true};
    text out = {NULL, 0, 0};
    cl_error err;
    oom_arm(a, n);
    int rc = cl_codes_generate(env, &spec, 300, text_write, &out, &err);
    oom_stop(a);
    if (rc == CL_ENOMEM) {
        ck_assert_int_eq(err.code, rc);
        out.n = 0;
        ck_assert_int_eq(cl_codes_generate(env, &spec, 300, text_write, &out, &err), CL_OK);
    }
    {
        /* Random, so the outcome is their count and shape. */
        size_t lines = 0;
        for (char *s = out.p, *nl; s != NULL && (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
            *nl = '\0';
            ck_assert_msg(cl_code_valid(&spec, s), "%s", s);
            lines++;
        }
        text_printf(d, "%zu codes\n", lines);
    }
    text_free(&out);
    cl_env_free(env);
    return rc;
}

/* ------------------------------------------------------------------------
 * The suite
 * ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    op_fn op;
} ops[] = {
    {"cl_env_new", op_env_new},
    {"cl_env_set_tzdir", op_env_set_tzdir},
    {"cl_compile (every feature)", op_compile_catalog},
    {"cl_compile (small, regex)", op_compile_small},
    {"cl_compile (errors)", op_compile_bad},
    {"cl_compile_file", op_compile_file},
    {"cl_program_link", op_link},
    {"cl_program_save", op_save},
    {"cl_program_load", op_load},
    {"cl_program_load (malformed)", op_load_bad},
    {"cl_program_disasm", op_disasm},
    {"cl_context_new", op_context_new},
    {"cl_context_parse", op_context_parse},
    {"cl_context_parse (error)", op_context_parse_bad},
    {"cl_context_set_* / add_*", op_setters},
    {"cl_vm_new", op_vm_new},
    {"cl_vm_eval", op_eval},
    {"cl_vm_eval (entered)", op_eval_entered},
    {"cl_vm_eval_some", op_eval_some},
    {"cl_vm_best", op_best},
    {"cl_vm_best_flags (indexed)", op_best_indexed},
    {"cl_result_write_json", op_write_json},
    {"cl_codes_generate", op_codes},
};

START_TEST(test_sweep)
{
    /* OOM_ONLY=text runs only the sweeps whose name holds it. */
    const char *only = getenv("OOM_ONLY");
    if (only != NULL && strstr(ops[_i].name, only) == NULL)
        return;
    sweep(ops[_i].name, ops[_i].op);
}
END_TEST

/* The allocator itself: a wrong size is caught, so the sweeps can trust it. */
START_TEST(test_allocator_checks_sizes)
{
    oom_alloc a;
    memset(&a, 0, sizeof a);
    void *p = oom_fn(&a, NULL, 0, 10);
    ck_assert(p != NULL);
    p = oom_fn(&a, p, 10, 20);
    ck_assert_int_eq(a.violations, 0);
    oom_fn(&a, p, 19, 0);
    ck_assert_int_eq(a.violations, 1);
    ck_assert_int_eq(a.live, 0);
    oom_arm(&a, 2);
    void *q = oom_fn(&a, NULL, 0, 8);
    ck_assert(q != NULL);
    ck_assert(oom_fn(&a, q, 8, 16) == NULL); /* the second allocation fails */
    ck_assert_int_eq(a.injected, 1);
    oom_fn(&a, q, 8, 0);
    ck_assert_int_eq(a.violations, 1);
    ck_assert_int_eq(a.live, 0);
    oom_done(&a);
}
END_TEST

static void setup(void)
{
    fixtures_load();
    saved_make();
}

static void teardown(void)
{
    text_free(&saved);
    fixtures_free();
}

static Suite *oom_suite(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("sweeps");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 0);
    tcase_add_test(tc, test_allocator_checks_sizes);
    tcase_add_loop_test(tc, test_sweep, 0, (int)(sizeof ops / sizeof *ops));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(oom_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
