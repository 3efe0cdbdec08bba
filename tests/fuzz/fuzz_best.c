/*
 * fuzz_best.c - the best combination (SPEC section 6) on small random
 * catalogs and carts, against a brute-force reference.
 *
 * The input bytes drive a generator of catalogs (up to 8 coupons of every
 * discount kind, with priorities, groups, stops, exclusives, max_coupons
 * and conditions the catalog index can and cannot read) and of carts. The
 * reference enumerates every option (each applicable exclusive coupon
 * alone; every set of applicable stackables with at most one per group, at
 * most max_coupons, none after a `stop` one), applies each in priority
 * order on what the ones before left, with the library's own discount
 * arithmetic, and picks the best by SPEC sections 6 and 9. cl_vm_best and
 * cl_vm_best_flags(CL_BEST_INDEXED) must both choose exactly that: the
 * fuzzer searches for catalogs that defeat the search's pruning.
 */
#include "fuzz.h"

#include "index.h"
#include "vm.h"

#include <strings.h>

#define MAXC 8

typedef struct gen {
    const uint8_t *p;
    size_t n, at;
    fz_buf out;
} gen;

/* A number in [lo, hi] from the next input byte (lo once they run out). */
static int rnd(gen *g, int lo, int hi)
{
    if (g->at >= g->n)
        return lo;
    return lo + g->p[g->at++] % (hi - lo + 1);
}

static void out(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(gen *g, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fz_write(&g->out, line, (size_t)k);
}

static const char *const skus[] = {"A", "B", "C", "D", "E", "F"};

static void gen_discount(gen *g)
{
    out(g, "    discount: { ");
    int kind = rnd(g, 0, 8);
    switch (kind) {
    case 0: case 1:
        out(g, "percent: %d", rnd(g, 1, 60));
        break;
    case 2: case 3:
        out(g, "amount: \"%d.%02d\"", rnd(g, 1, 30), rnd(g, 0, 3) * 25);
        break;
    case 4:
        out(g, "amount_per_item: \"%d.50\"", rnd(g, 0, 4));
        break;
    case 5:
        out(g, "fixed_price: \"%d.99\"", rnd(g, 1, 40));
        break;
    case 6:
        out(g, "buy_get: { buy: %d, get: %d, percent: %d }", rnd(g, 1, 3), rnd(g, 1, 2),
            rnd(g, 0, 1) ? 100 : 50);
        break;
    case 7:
        out(g, "tiers: [ { min: \"%d.00\", amount: \"%d.00\" }, { min: \"%d.00\", percent: %d } ]",
            rnd(g, 10, 40), rnd(g, 5, 25), rnd(g, 50, 120), rnd(g, 5, 20));
        break;
    default:
        out(g, "free_shipping: true");
        break;
    }
    int t = kind == 8 ? 5 : rnd(g, 0, 6);
    bool shipping = t == 2 && kind <= 3;
    if (t == 0)
        out(g, ", target: { items: { sku: [%s, %s] } }", skus[rnd(g, 0, 5)], skus[rnd(g, 0, 5)]);
    else if (t == 1)
        out(g, ", target: { items: { category: [cat%d] } }", rnd(g, 0, 2));
    else if (shipping)
        out(g, ", target: shipping");
    if (rnd(g, 0, 3) == 0)
        out(g, ", max_amount: \"%d.00\"", rnd(g, 1, 30));
    if (!shipping && kind != 8 && rnd(g, 0, 5) == 0)
        out(g, ", exclude_sale_items: true");
    out(g, " }\n");
}

static void gen_catalog(gen *g, int n)
{
    out(g, "currency: USD\n");
    if (rnd(g, 0, 2) == 0)
        out(g, "selection: { max_coupons: %d }\n", rnd(g, 1, 4));
    out(g, "coupons:\n");
    for (int i = 0; i < n; i++) {
        out(g, "  - code: C%c%d\n", "ab"[rnd(g, 0, 1)], i);
        out(g, "    automatic: %s\n", rnd(g, 0, 4) ? "true" : "false");
        out(g, "    priority: %d\n", rnd(g, 0, 3));
        if (rnd(g, 0, 5) == 0)
            out(g, "    combine: exclusive\n");
        if (rnd(g, 0, 3) == 0)
            out(g, "    group: g%d\n", rnd(g, 0, 1));
        if (rnd(g, 0, 6) == 0)
            out(g, "    stop: true\n");
        switch (rnd(g, 0, 9)) {
        case 0:
            out(g, "    when: { items: { sku: [%s, %s] } }\n", skus[rnd(g, 0, 5)], skus[rnd(g, 0, 5)]);
            break;
        case 1:
            out(g, "    when: { category: [cat%d] }\n", rnd(g, 0, 2));
            break;
        case 2:
            out(g, "    when: { payment.method: [%s] }\n", rnd(g, 0, 1) ? "card" : "paypal");
            break;
        case 3:
            out(g, "    when: { user.id: [u%d, u%d] }\n", rnd(g, 0, 3), rnd(g, 0, 3));
            break;
        case 4:
            out(g, "    when: { weekday: [%s] }\n", rnd(g, 0, 1) ? "mon, tue" : "sat, sun");
            break;
        case 5:
            out(g, "    valid: { %s: 2026-06-%02d }\n", rnd(g, 0, 1) ? "from" : "until",
                rnd(g, 1, 28));
            break;
        case 6:
            out(g, "    when: { cart.subtotal: { gte: \"%d.00\" } }\n", rnd(g, 10, 150));
            break;
        case 7:
            out(g, "    when: { any: [ { payment.method: card }, { items: { sku: [%s] } } ] }\n",
                skus[rnd(g, 0, 5)]);
            break;
        default:
            break;
        }
        gen_discount(g);
    }
}

static void gen_cart(gen *g, fz_buf *b)
{
    char line[512];
    int k = snprintf(line, sizeof line,
                     "{\"now\":\"2026-06-%02dT12:00:00Z\",\"currency\":\"USD\",\"codes\":[",
                     rnd(g, 1, 28));
    fz_write(b, line, (size_t)k);
    for (int i = 0, m = rnd(g, 0, 4); i < m; i++) {
        k = snprintf(line, sizeof line, "%s\"c%c%d\"", i ? "," : "", "ab"[rnd(g, 0, 1)],
                     rnd(g, 0, MAXC - 1));
        fz_write(b, line, (size_t)k);
    }
    k = snprintf(line, sizeof line, "],\"user\":{\"id\":\"u%d\"},\"payment\":{\"method\":\"%s\"},"
                 "\"shipping\":{\"amount\":\"%d.99\"},\"items\":[", rnd(g, 0, 3),
                 rnd(g, 0, 1) ? "card" : "cash", rnd(g, 0, 9));
    fz_write(b, line, (size_t)k);
    for (int i = 0, n = rnd(g, 1, 6); i < n; i++) {
        k = snprintf(line, sizeof line,
                     "%s{\"sku\":\"%s\",\"quantity\":%d,\"unit_price\":\"%d.%02d\","
                     "\"categories\":[\"cat%d/x\"],\"on_sale\":%s}",
                     i ? "," : "", skus[rnd(g, 0, 5)], rnd(g, 1, 4), rnd(g, 1, 60), rnd(g, 0, 99),
                     rnd(g, 0, 2), rnd(g, 0, 4) ? "false" : "true");
        fz_write(b, line, (size_t)k);
    }
    fz_write(b, "]}", 2);
}

/* ------------------------------------------------------------------------
 * The reference
 * ------------------------------------------------------------------------ */

#define REF_LINES 8
#define REF_CHECK(cond, what) FZ_CHECK(cond, "%s", what)
#include "../reference_best.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_env_init();
    cl_env_set_limit(fz_env, CL_LIMIT_STEPS, 10000000);
    fz_env_ready();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gen g = {data, size, 0, {NULL, 0, 0}};
    gen_catalog(&g, rnd(&g, 1, MAXC));
    fz_buf cart = {NULL, 0, 0};
    gen_cart(&g, &cart);
    cl_error err;
    cl_program *p = cl_compile(fz_env, g.out.p, g.out.n, "random.yaml", &err);
    FZ_CHECK(p != NULL, "random.yaml:%u: %s\n%s", err.line, err.message, g.out.p);
    cl_context *ctx = cl_context_new(fz_env);
    FZ_CHECK(cl_context_parse(ctx, cart.p, cart.n, &err) == CL_OK, "cart: %s", err.message);
    cl_vm *vm = cl_vm_new(fz_env);
    const cl_result *res;
    FZ_CHECK(cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, &res, &err) == CL_OK, "eval: %s",
             err.message);
    bool ok[MAXC];
    for (size_t i = 0; i < cl_program_count(p); i++)
        ok[i] = cl_result_applicable(res, i);
    ref want = reference(vm, p, ctx, ok, p->max_coupons);
    static const unsigned modes[] = {0, CL_BEST_INDEXED};
    for (int m = 0; m < 2; m++) {
        FZ_CHECK(cl_vm_best_flags(vm, p, ctx, modes[m], &res, &err) == CL_OK, "best: %s",
                 err.message);
        int64_t got = cl_result_total(res, CL_TOTAL_DISCOUNT) +
                      cl_result_total(res, CL_TOTAL_SHIPPING_DISCOUNT);
        bool same = cl_result_count(res) == want.n && got == want.total;
        for (size_t i = 0; same && i < want.n; i++)
            same = strcmp(cl_result_code(res, i), cl_program_code(p, want.idx[i])) == 0;
        if (!same) {
            fprintf(stderr, "mode %d: want", m);
            for (size_t i = 0; i < want.n; i++)
                fprintf(stderr, " %s", cl_program_code(p, want.idx[i]));
            fprintf(stderr, " (%lld), got", (long long)want.total);
            for (size_t i = 0; i < cl_result_count(res); i++)
                fprintf(stderr, " %s", cl_result_code(res, i));
            fz_fail(" (%lld)\n%s\n%s", (long long)got, g.out.p, cart.p);
        }
    }
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    fz_buf_free(&cart);
    fz_buf_free(&g.out);
    fz_env_check();
    return 0;
}
