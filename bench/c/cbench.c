/*
 * cbench.c - couponlib through its C API on the workloads of issue 8, and
 * the hand-written floor of W1 (floor.c).
 *
 *   cbench DATA_DIR W1_YAML [--quick] [WORKLOAD...]
 *
 * DATA_DIR is what bench/workloads.py wrote (w2.yaml). Workloads: W1,
 * W1-floor, W2, W2-full, W3, W3-floor, W4, W5 (default: all of them). Each
 * prints one JSON line for bench/report.py:
 *
 *   {"w": "W1", "runner": "couponlib", "lang": "C", "ns": ..., ...}
 *
 * ns is the median over the runs of the thread's CPU time per operation
 * (CLOCK_THREAD_CPUTIME_ID: the time other programs take on a shared
 * machine is not counted); wall the median of the wall-clock time, min and
 * max the extremes of the CPU figures. check describes what was decided, so
 * that the report can tell that every runner decided the same. A
 * benchmark, not a test: it asserts no timing.
 */
#include <couponlib/couponlib.h>

#include "cart.h"
#include "floor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool quick;

/* ------------------------------------------------------------------------
 * Timing
 * ------------------------------------------------------------------------ */

static double clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef struct timer {
    double cpu0, wall0;
} timer;

static timer start(void)
{
    return (timer){clock_ns(CLOCK_THREAD_CPUTIME_ID), clock_ns(CLOCK_MONOTONIC)};
}

typedef struct runs {
    double cpu[64], wall[64];
    int n;
} runs;

/* Adds a run of ops operations that began at t. */
static void lap(runs *r, timer t, double ops)
{
    r->cpu[r->n] = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - t.cpu0) / ops;
    r->wall[r->n] = (clock_ns(CLOCK_MONOTONIC) - t.wall0) / ops;
    r->n++;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void emit(const char *w, const char *runner, runs *r, const char *check, const char *note)
{
    qsort(r->cpu, (size_t)r->n, sizeof *r->cpu, cmp_double);
    qsort(r->wall, (size_t)r->n, sizeof *r->wall, cmp_double);
    printf("{\"w\": \"%s\", \"runner\": \"%s\", \"lang\": \"C\", \"ns\": %.1f, \"wall\": %.1f, "
           "\"min\": %.1f, \"max\": %.1f, \"runs\": %d, \"check\": \"%s\", \"note\": \"%s\"}\n",
           w, runner, r->cpu[r->n / 2], r->wall[r->n / 2], r->cpu[0], r->cpu[r->n - 1], r->n,
           check, note);
    fflush(stdout);
}

/* ------------------------------------------------------------------------
 * Set-up
 * ------------------------------------------------------------------------ */

static void die(const char *what, const cl_error *err)
{
    fprintf(stderr, "cbench: %s: %s:%u:%u: %s\n", what, err ? err->source : "", err ? err->line : 0,
            err ? err->column : 0, err ? err->message : "failed");
    exit(2);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    size_t k;
    while (p != NULL && (k = fread(p + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    if (p == NULL) {
        fprintf(stderr, "cbench: out of memory\n");
        exit(2);
    }
    *len = n;
    return p;
}

static cl_program *compile_path(const cl_env *env, const char *path)
{
    cl_error err;
    cl_program *p = cl_compile_file(env, path, &err);
    if (p == NULL)
        die(path, &err);
    return p;
}

/* Fills ctx from cart c, with the C setters, as a shop's code would. */
static void context_of(cl_context *ctx, const cart *c)
{
    cl_context_clear(ctx);
    cl_context_set_now(ctx, c->now);
    cl_context_set_currency(ctx, "USD");
    cl_context_set_string(ctx, CL_FIELD_USER_ID, c->user_id);
    for (int i = 0; i < c->ntags; i++)
        cl_context_add_user_tag(ctx, c->tags[i]);
    cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, c->orders_completed);
    cl_context_set_string(ctx, CL_FIELD_PAYMENT_METHOD, c->method);
    cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, c->shipping);
    cl_context_set_usage(ctx, "SEVEN", c->uses_total, c->uses_user, 0);
    for (int i = 0; i < c->nlines; i++) {
        size_t idx;
        const cart_line *l = &c->lines[i];
        cl_context_add_item(ctx, l->sku, l->quantity, l->unit_price, &idx);
        cl_context_item_add_category(ctx, idx, l->category);
    }
}

/* "discount;index:share,..." of outcome i of res. */
static void check_of(const cl_result *res, size_t i, char *buf, size_t size)
{
    if (!cl_result_applicable(res, i)) {
        snprintf(buf, size, "not applicable");
        return;
    }
    size_t k = (size_t)snprintf(buf, size, "%lld;", (long long)cl_result_discount(res, i));
    for (size_t j = 0; j < cl_result_line_count(res, i) && k < size; j++) {
        size_t idx;
        int64_t d;
        cl_result_line(res, i, j, &idx, &d);
        k += (size_t)snprintf(buf + k, size - k, "%s%zu:%lld", j ? "," : "", idx, (long long)d);
    }
}

/* ------------------------------------------------------------------------
 * W1: one coupon of seven conditions, a 10-line cart
 * ------------------------------------------------------------------------ */

static void w1(const cl_env *env, const char *w1_yaml)
{
    cl_program *p = compile_path(env, w1_yaml);
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    cart c;
    cart_make(&c, CART_W1_SEED, 10);
    context_of(ctx, &c);
    const cl_result *res;
    cl_error err;
    if (cl_vm_eval(vm, p, ctx, 0, &res, &err) != CL_OK)
        die("W1", &err);
    char check[256];
    check_of(res, 0, check, sizeof check);
    runs r = {.n = 0};
    const int iters = quick ? 20000 : 200000, nruns = quick ? 5 : 15;
    for (int k = 0; k < nruns; k++) {
        timer t = start();
        for (int i = 0; i < iters; i++)
            cl_vm_eval(vm, p, ctx, 0, &res, NULL);
        lap(&r, t, iters);
    }
    emit("W1", "couponlib", &r, check, "cl_vm_eval, context built once");
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
}

/* Where the floor's results go, so that no compiler drops the calls. */
static volatile int64_t floor_sink;

static void w1_floor(void)
{
    cart c;
    cart_make(&c, CART_W1_SEED, 10);
    int64_t shares[CART_MAX_LINES];
    int64_t d = floor_w1(&c, shares);
    char check[256];
    floor_check(d, shares, c.nlines, check, sizeof check);
    runs r = {.n = 0};
    const int iters = quick ? 200000 : 2000000, nruns = quick ? 5 : 15;
    for (int k = 0; k < nruns; k++) {
        timer t = start();
        for (int i = 0; i < iters; i++) {
            /* the compiler must not hoist the call out of the loop */
            __asm__ volatile("" : : "r"(&c) : "memory");
            floor_sink += floor_w1(&c, shares);
        }
        lap(&r, t, iters);
    }
    emit("W1", "hand-written C", &r, check, "floor_w1(): the coupon hard-coded");
}

/* ------------------------------------------------------------------------
 * W2: the best choice among 10,000 coupons
 * ------------------------------------------------------------------------ */

static void w2(const cl_env *env, const char *dir, bool full)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/w2.yaml", dir);
    cl_program *p = compile_path(env, path);
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    cart c;
    cart_make(&c, CART_W2_SEED, 10);
    context_of(ctx, &c);
    cl_context_add_code(ctx, "C00004");
    cl_context_add_code(ctx, "C00015");
    unsigned flags = full ? 0 : CL_BEST_INDEXED;
    const cl_result *res;
    cl_error err;
    if (cl_vm_best_flags(vm, p, ctx, flags, &res, &err) != CL_OK)
        die("W2", &err);
    char check[128];
    snprintf(check, sizeof check, "%zu coupons, discount %lld",
             cl_result_count(res), (long long)cl_result_total(res, CL_TOTAL_DISCOUNT));
    runs r = {.n = 0};
    const int iters = full ? (quick ? 3 : 20) : (quick ? 200 : 2000), nruns = quick ? 5 : 11;
    for (int k = 0; k < nruns; k++) {
        timer t = start();
        for (int i = 0; i < iters; i++)
            cl_vm_best_flags(vm, p, ctx, flags, &res, NULL);
        lap(&r, t, iters);
    }
    emit(full ? "W2-full" : "W2", "couponlib", &r, check,
         full ? "cl_vm_best, every automatic coupon evaluated" : "cl_vm_best_flags(CL_BEST_INDEXED)");
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
}

/* ------------------------------------------------------------------------
 * W3: one coupon, a million distinct carts
 * ------------------------------------------------------------------------ */

#define CHUNK 10000
#define CARTS 1000000

static void w3(const cl_env *env, const char *w1_yaml, bool floor)
{
    cl_program *p = floor ? NULL : compile_path(env, w1_yaml);
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    cart *chunk = malloc(CHUNK * sizeof *chunk);
    if (chunk == NULL || ctx == NULL || vm == NULL) {
        fprintf(stderr, "cbench: out of memory\n");
        exit(2);
    }
    runs r = {.n = 0};
    const int nruns = quick ? 1 : 5;
    long applicable = 0;
    long long total = 0;
    int64_t shares[CART_MAX_LINES];
    /* What the first carts decide, for the runners that time a sample. */
    static const uint32_t marks[] = {1000, 5000, 10000, 20000, 100000, 200000};
    char samples[512] = "";
    size_t ns = 0;
    for (int k = 0; k < nruns; k++) {
        applicable = 0;
        total = 0;
        double cpu = 0, wall = 0;
        size_t mark = 0;
        /* The carts are made beforehand, a chunk at a time (untimed), as
         * plain data; the timed part builds each context and decides. */
        for (uint32_t base = 0; base < CARTS; base += CHUNK) {
            for (uint32_t i = 0; i < CHUNK; i++)
                cart_make(&chunk[i], base + i + 1, cart_lines_of(base + i + 1));
            timer t = start();
            for (uint32_t i = 0; i < CHUNK; i++) {
                if (k == 0 && mark < sizeof marks / sizeof marks[0] && base + i == marks[mark]) {
                    ns += (size_t)snprintf(samples + ns, sizeof samples - ns,
                                           "%s\"%u\": \"%u carts: %ld apply, discount %lld\"",
                                           mark ? ", " : "", marks[mark], marks[mark], applicable,
                                           total);
                    mark++;
                }
                if (floor) {
                    int64_t d = floor_w1(&chunk[i], shares);
                    if (d >= 0) {
                        applicable++;
                        total += d;
                    }
                    continue;
                }
                const cl_result *res;
                context_of(ctx, &chunk[i]);
                if (cl_vm_eval(vm, p, ctx, 0, &res, NULL) == CL_OK && cl_result_applicable(res, 0)) {
                    applicable++;
                    total += cl_result_discount(res, 0);
                }
            }
            cpu += clock_ns(CLOCK_THREAD_CPUTIME_ID) - t.cpu0;
            wall += clock_ns(CLOCK_MONOTONIC) - t.wall0;
        }
        r.cpu[r.n] = cpu;
        r.wall[r.n++] = wall;
    }
    char check[96];
    snprintf(check, sizeof check, "1000000 carts: %ld apply, discount %lld", applicable, total);
    emit("W3", floor ? "hand-written C" : "couponlib", &r, check,
         floor ? "floor_w1() on each cart" : "C setters and cl_vm_eval for each cart");
    if (!floor)
        printf("{\"w\": \"W3-samples\", \"runner\": \"couponlib\", \"lang\": \"C\", "
               "\"samples\": {%s}}\n", samples);
    free(chunk);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
}

/* ------------------------------------------------------------------------
 * W4: compiling 10,000 coupons; W5: a million codes
 * ------------------------------------------------------------------------ */

static void w4(const cl_env *env, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/w2.yaml", dir);
    size_t len;
    char *text = slurp(path, &len);
    runs r = {.n = 0};
    const int nruns = quick ? 3 : 7;
    size_t count = 0;
    for (int k = 0; k < nruns; k++) {
        cl_error err;
        timer t = start();
        cl_program *p = cl_compile(env, text, len, "w2.yaml", &err);
        lap(&r, t, 1);
        if (p == NULL)
            die("W4", &err);
        count = cl_program_count(p);
        cl_program_free(p);
    }
    char check[64];
    snprintf(check, sizeof check, "%zu coupons", count);
    emit("W4", "couponlib", &r, check, "cl_compile of the YAML text");
    free(text);
}

static int count_lines(void *ud, const char *buf, size_t len)
{
    size_t *n = ud;
    for (const char *p = buf; (p = memchr(p, '\n', len - (size_t)(p - buf))) != NULL; p++)
        ++*n;
    return 0;
}

static void w5(const cl_env *env)
{
    cl_code_spec spec = {10, "BF-", NULL, true};
    runs r = {.n = 0};
    const int nruns = quick ? 3 : 7;
    size_t lines = 0;
    for (int k = 0; k < nruns; k++) {
        cl_error err;
        lines = 0;
        timer t = start();
        if (cl_codes_generate(env, &spec, 1000000, count_lines, &lines, &err) != CL_OK)
            die("W5", &err);
        lap(&r, t, 1);
    }
    char check[64];
    snprintf(check, sizeof check, "%zu unique codes", lines);
    emit("W5", "couponlib", &r, check, "cl_codes_generate: 10 characters and a check character");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cbench DATA_DIR W1_YAML [--quick] [WORKLOAD...]\n");
        return 2;
    }
    const char *dir = argv[1], *w1_yaml = argv[2];
    static const char *const all[] = {"W1", "W1-floor", "W2", "W2-full", "W3", "W3-floor", "W4",
                                      "W5"};
    const char *want[16];
    int nwant = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (nwant < 16)
            want[nwant++] = argv[i];
    }
    if (nwant == 0)
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            want[nwant++] = all[i];
    cl_env *env = cl_env_new(NULL, NULL);
    for (int i = 0; i < nwant; i++) {
        const char *w = want[i];
        if (strcmp(w, "W1") == 0)
            w1(env, w1_yaml);
        else if (strcmp(w, "W1-floor") == 0)
            w1_floor();
        else if (strcmp(w, "W2") == 0)
            w2(env, dir, false);
        else if (strcmp(w, "W2-full") == 0)
            w2(env, dir, true);
        else if (strcmp(w, "W3") == 0)
            w3(env, w1_yaml, false);
        else if (strcmp(w, "W3-floor") == 0)
            w3(env, w1_yaml, true);
        else if (strcmp(w, "W4") == 0)
            w4(env, dir);
        else if (strcmp(w, "W5") == 0)
            w5(env);
        else {
            fprintf(stderr, "cbench: unknown workload %s\n", w);
            return 2;
        }
    }
    cl_env_free(env);
    return 0;
}
