/*
 * cmd_bench.c - `couponc bench`: built-in micro benchmarks.
 *
 *   eval1       one coupon of seven conditions (weekday, payment method, user
 *               segment, order sequence, a category with a minimum quantity,
 *               subtotal, usage limit) and a capped percent discount, against
 *               a 10-line cart
 *   best10k     the best combination among 10,000 active coupons for a
 *               10-line cart with two codes entered, through the catalog
 *               index, and (best10k-full) evaluating every candidate
 *   compile10k  compiling 10,000 coupons from one YAML document
 *   carts1m     one coupon against one million distinct carts, each built
 *               with the C setters and evaluated
 *   codes1m     one million unique codes (couponc gen-codes)
 *
 * Each is run several times; the median is printed, with the fastest and
 * slowest run. Timings come from CLOCK_MONOTONIC (the library itself never
 * reads a clock). --quick runs fewer repetitions.
 */
#include "couponc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Prints the median, fastest and slowest of runs[0..n) (each in ns per op),
 * scaled to unit. */
static void report(const char *name, const char *what, double *runs, int n, const char *unit)
{
    double scale = strcmp(unit, "us") == 0 ? 1e3 : strcmp(unit, "ms") == 0 ? 1e6
                 : strcmp(unit, "s") == 0  ? 1e9 : 1;
    qsort(runs, (size_t)n, sizeof *runs, cmp_double);
    printf("%-14s %12.1f %-3s  (min %.1f, max %.1f, %d runs)  %s\n", name, runs[n / 2] / scale,
           unit, runs[0] / scale, runs[n - 1] / scale, n, what);
    fflush(stdout);
}

/* ------------------------------------------------------------------------
 * Text and contexts
 * ------------------------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(t->p + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < t->cap - t->n) {
            t->n += (size_t)k;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)(k > 0 ? k : 0) + 4096;
        char *p = realloc(t->p, cap);
        if (p == NULL) {
            fprintf(stderr, "couponc: out of memory\n");
            exit(EXIT_USAGE);
        }
        t->p = p;
        t->cap = cap;
    }
}

static cl_program *compile_text(const cl_env *env, const text *t, const char *name)
{
    cl_error err;
    cl_program *p = cl_compile(env, t->p, t->n, name, &err);
    if (p == NULL) {
        fprintf(stderr, "couponc: bench: %s:%u:%u: %s\n", name, err.line, err.column,
                err.message);
        exit(EXIT_USAGE);
    }
    return p;
}

static const char coupon7[] =
    "version: 1\n"
    "currency: USD\n"
    "timezone: America/New_York\n"
    "coupons:\n"
    "  - code: SEVEN\n"
    "    automatic: true\n"
    "    when:\n"
    "      weekday: [fri, sat, sun]\n"
    "      payment.method: [card, wallet]\n"
    "      user.tags: { any: [vip, gold] }\n"
    "      order.sequence: { gte: 2 }\n"
    "      items: { category: [electronics], min_quantity: 2 }\n"
    "      cart.subtotal: { gte: \"100.00\" }\n"
    "    limits: { uses: 100000, per_user: 5 }\n"
    "    discount: { percent: 15, max_amount: \"75.00\" }\n";

static const char *const depts[] = {"electronics", "home", "fashion", "toys", "garden"};

/* Category path number i of 40: "electronics/c0", ..., "garden/c7". */
static const char *category(unsigned i, char *buf, size_t size)
{
    snprintf(buf, size, "%s/c%u", depts[i % 40 / 8], i % 8);
    return buf;
}

/* Fills ctx with a 10-line cart (seed varies the lines). */
static void fill_cart(cl_context *ctx, unsigned seed, size_t lines)
{
    cl_context_clear(ctx);
    cl_context_set_now(ctx, 1795000000 + (int64_t)(seed % 604800)); /* Nov 2026, any day */
    cl_context_set_currency(ctx, "USD");
    char id[32];
    snprintf(id, sizeof id, "u-%u", seed % 5000);
    cl_context_set_string(ctx, CL_FIELD_USER_ID, id);
    cl_context_add_user_tag(ctx, seed % 3 ? "vip" : "new");
    cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, seed % 20);
    cl_context_set_string(ctx, CL_FIELD_PAYMENT_METHOD, seed % 4 ? "card" : "paypal");
    cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, 499);
    cl_context_set_usage(ctx, "SEVEN", 1000, seed % 7, 0);
    for (size_t i = 0; i < lines; i++) {
        char sku[32];
        unsigned v = seed * 2654435761u + (unsigned)i * 40503u;
        snprintf(sku, sizeof sku, "SKU-%u", v % 5000);
        size_t idx;
        char cat[48];
        cl_context_add_item(ctx, sku, 1 + v % 3, 199 + (int64_t)(v % 20000), &idx);
        cl_context_item_add_category(ctx, idx, category(v >> 8, cat, sizeof cat));
    }
}

/* ------------------------------------------------------------------------
 * The benchmarks
 * ------------------------------------------------------------------------ */

static void bench_eval1(const cl_env *env, int runs)
{
    text t = {NULL, 0, 0};
    add(&t, "%s", coupon7);
    cl_program *p = compile_text(env, &t, "seven.yaml");
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    fill_cart(ctx, 12345, 10);
    double r[15];
    const int iters = 200000;
    const cl_result *res;
    for (int k = 0; k < runs; k++) {
        double t0 = now_ns();
        for (int i = 0; i < iters; i++)
            cl_vm_eval(vm, p, ctx, 0, &res, NULL);
        r[k] = (now_ns() - t0) / iters;
    }
    report("eval1", "one coupon, seven conditions, 10-line cart", r, runs, "ns");
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    free(t.p);
}

/* 10,000 coupons as a large shop runs them: 6,000 that need their code,
 * and 4,000 automatic ones: product promotions on one or two SKUs,
 * category promotions (a handful for each of 40 categories, one of which
 * applies: a group per category), personal ones, payment partner offers and
 * weekend offers (a group each). */
static void catalog10k(text *t)
{
    add(t, "version: 1\ncurrency: USD\ntimezone: America/New_York\ncoupons:\n");
    for (int i = 0; i < 10000; i++) {
        add(t, "  - code: C%05d\n", i);
        if (i % 10 >= 4) {
            add(t, "    when: { cart.subtotal: { gte: \"%d.00\" } }\n", 20 + i % 200);
            add(t, "    discount: { percent: %d, max_amount: \"%d.00\" }\n", 5 + i % 20, 10 + i % 50);
            continue;
        }
        add(t, "    automatic: true\n");
        switch (i % 16) {
        case 0:
            add(t, "    group: weekend\n    when: { weekday: [sat, sun], cart.subtotal: { gte: "
                   "\"%d.00\" } }\n    discount: { amount: \"%d.00\" }\n", 50 + i % 100, 5 + i % 10);
            break;
        case 1:
            add(t, "    group: partner\n    when: { payment.method: [upi, klarna] }\n"
                   "    discount: { percent: %d }\n", 2 + i % 5);
            break;
        case 2:
        case 3:
            add(t, "    owner: u-%d\n    discount: { amount: \"7.00\" }\n", i % 5000);
            break;
        case 10: {
            char cat[48];
            category((unsigned)i / 16, cat, sizeof cat);
            add(t, "    group: %s\n    when: { category: [%s] }\n    discount: { percent: %d, "
                   "target: { items: { category: [%s] } } }\n", cat, cat, 3 + i % 7, cat);
            break;
        }
        default:
            add(t, "    discount: { percent: %d, target: { items: { sku: [SKU-%d, SKU-%d] } } }\n",
                5 + i % 15, (i * 7) % 5000, (i * 13) % 5000);
            break;
        }
    }
}

static void bench_best10k(const cl_env *env, int runs)
{
    text t = {NULL, 0, 0};
    catalog10k(&t);
    cl_program *p = compile_text(env, &t, "catalog10k.yaml");
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    fill_cart(ctx, 777, 10);
    cl_context_add_code(ctx, "C00004");
    cl_context_add_code(ctx, "C00015");
    double r[15];
    const cl_result *res;
    cl_error err;
    if (cl_vm_best_flags(vm, p, ctx, CL_BEST_INDEXED, &res, &err) != CL_OK) {
        fprintf(stderr, "couponc: bench: %s\n", err.message);
        exit(EXIT_USAGE);
    }
    size_t applied = cl_result_count(res);
    int iters = 2000;
    for (int k = 0; k < runs; k++) {
        double t0 = now_ns();
        for (int i = 0; i < iters; i++)
            cl_vm_best_flags(vm, p, ctx, CL_BEST_INDEXED, &res, NULL);
        r[k] = (now_ns() - t0) / iters;
    }
    char what[160];
    snprintf(what, sizeof what, "best of 10,000 coupons, 10-line cart, indexed (%zu applied)",
             applied);
    report("best10k", what, r, runs, "us");
    iters = 20;
    for (int k = 0; k < runs; k++) {
        double t0 = now_ns();
        for (int i = 0; i < iters; i++)
            cl_vm_best_flags(vm, p, ctx, 0, &res, NULL);
        r[k] = (now_ns() - t0) / iters;
    }
    report("best10k-full", "the same, every automatic coupon evaluated", r, runs, "us");
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    free(t.p);
}

static void bench_compile10k(const cl_env *env, int runs)
{
    text t = {NULL, 0, 0};
    catalog10k(&t);
    double r[15];
    for (int k = 0; k < runs; k++) {
        double t0 = now_ns();
        cl_program *p = compile_text(env, &t, "catalog10k.yaml");
        r[k] = now_ns() - t0;
        cl_program_free(p);
    }
    char what[96];
    snprintf(what, sizeof what, "compiling 10,000 coupons (%zu KiB of YAML)", t.n / 1024);
    report("compile10k", what, r, runs, "ms");
    free(t.p);
}

static void bench_carts1m(const cl_env *env, int runs)
{
    text t = {NULL, 0, 0};
    add(&t, "%s", coupon7);
    cl_program *p = compile_text(env, &t, "seven.yaml");
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    double r[15];
    const unsigned n = 1000000;
    long applicable = 0;
    for (int k = 0; k < runs; k++) {
        const cl_result *res;
        applicable = 0;
        double t0 = now_ns();
        for (unsigned i = 0; i < n; i++) {
            fill_cart(ctx, i, 1 + i % 10);
            if (cl_vm_eval(vm, p, ctx, 0, &res, NULL) == CL_OK)
                applicable += cl_result_applicable(res, 0);
        }
        r[k] = now_ns() - t0;
    }
    char what[128];
    snprintf(what, sizeof what, "one coupon, 1,000,000 distinct carts of 1-10 lines, built and "
             "evaluated (%ld apply)", applicable);
    report("carts1m", what, r, runs, "s");
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    free(t.p);
}

static int discard(void *ud, const char *buf, size_t len)
{
    size_t *count = ud;
    for (size_t i = 0; i < len; i++)
        *count += buf[i] == '\n';
    return 0;
}

static void bench_codes1m(const cl_env *env, int runs)
{
    double r[15];
    cl_code_spec spec = {10, "BF-", NULL, true};
    for (int k = 0; k < runs; k++) {
        size_t lines = 0;
        cl_error err;
        double t0 = now_ns();
        if (cl_codes_generate(env, &spec, 1000000, discard, &lines, &err) != CL_OK ||
            lines != 1000000) {
            fprintf(stderr, "couponc: bench: %s\n", err.message);
            exit(EXIT_USAGE);
        }
        r[k] = now_ns() - t0;
    }
    report("codes1m", "1,000,000 unique codes, 10 characters and a check character", r, runs,
           "ms");
}

int cc_cmd_bench(const cl_env *env, int argc, char **argv)
{
    static const struct {
        const char *name;
        void (*run)(const cl_env *, int);
        int runs, quick;
    } all[] = {
        {"eval1", bench_eval1, 11, 5},        {"best10k", bench_best10k, 7, 3},
        {"compile10k", bench_compile10k, 7, 3}, {"carts1m", bench_carts1m, 3, 1},
        {"codes1m", bench_codes1m, 7, 3},
    };
    bool quick = false, any = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            known = known || strcmp(argv[i], all[k].name) == 0;
        if (!known) {
            fprintf(stderr, "couponc: bench: unknown benchmark %s (eval1, best10k, "
                    "compile10k, carts1m, codes1m)\n", argv[i]);
            return EXIT_USAGE;
        }
        any = true;
    }
    printf("couponlib %s, medians of repeated runs\n", cl_version());
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        bool want = !any;
        for (int i = 0; i < argc && !want; i++)
            want = strcmp(argv[i], all[k].name) == 0;
        if (want)
            all[k].run(env, quick ? all[k].quick : all[k].runs);
    }
    return EXIT_OK;
}
