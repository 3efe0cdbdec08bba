/*
 * eval_one.c - a first timing of the core engine (issue 2): one coupon of
 * seven conditions evaluated against a ten-line cart, over and over.
 *
 *   build/gcc/bench/eval_one [RUNS [EVALS]]      or  ninja -C build/gcc bench
 *
 * Prints the median, the fastest and the slowest run in nanoseconds per
 * evaluation. A benchmark, not a test: it asserts no timing.
 */
#include <couponlib/couponlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char coupon[] =
    "version: 1\n"
    "currency: USD\n"
    "coupons:\n"
    "  - code: BENCH7\n"
    "    automatic: true\n"
    "    when:\n"
    "      payment.method: [card, wallet]\n"
    "      payment.bin: { prefix: ['4111', '5522'] }\n"
    "      user.tags: { any: [vip, gold] }\n"
    "      user.email: { domain: [example.com] }\n"
    "      order.sequence: { gte: 2 }\n"
    "      cart.subtotal: { gte: \"50.00\" }\n"
    "      items: { category: [electronics], min_quantity: 2 }\n"
    "    discount: { percent: 12.5, max_amount: \"80.00\", target: { items: { category: [electronics] } } }\n";

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 15;
    long evals = argc > 2 ? atol(argv[2]) : 20000;
    if (runs < 1 || runs > 1000 || evals < 1) {
        fprintf(stderr, "usage: eval_one [RUNS [EVALS]]\n");
        return 2;
    }
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    cl_program *prog = cl_compile(env, coupon, sizeof coupon - 1, "bench.yaml", &err);
    if (prog == NULL) {
        fprintf(stderr, "bench.yaml:%u:%u: %s\n", err.line, err.column, err.message);
        return 1;
    }
    cl_context *ctx = cl_context_new(env);
    cl_context_set_now(ctx, 1795879800);
    cl_context_set_currency(ctx, "USD");
    cl_context_set_string(ctx, CL_FIELD_PAYMENT_METHOD, "card");
    cl_context_set_string(ctx, CL_FIELD_PAYMENT_BIN, "411111");
    cl_context_set_string(ctx, CL_FIELD_USER_EMAIL, "ann@example.com");
    cl_context_add_user_tag(ctx, "gold");
    cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, 4);
    static const char *const cats[] = {"electronics/tv", "home/kitchen", "electronics/audio",
                                       "fashion", "books"};
    for (int i = 0; i < 10; i++) {
        char sku[16];
        size_t index;
        snprintf(sku, sizeof sku, "SKU-%02d", i);
        cl_context_add_item(ctx, sku, 1 + i % 3, 999 + 1500 * i, &index);
        cl_context_item_add_category(ctx, index, cats[i % 5]);
    }
    cl_vm *vm = cl_vm_new(env);
    const cl_result *res = NULL;
    if (cl_vm_eval(vm, prog, ctx, 0, &res, &err) != CL_OK || !cl_result_applicable(res, 0)) {
        fprintf(stderr, "the benchmark coupon does not apply: %s\n", err.message);
        return 1;
    }
    int64_t discount = cl_result_discount(res, 0);
    for (long i = 0; i < evals; i++) /* warm up */
        cl_vm_eval(vm, prog, ctx, 0, &res, NULL);
    int64_t *ns = calloc((size_t)runs, sizeof *ns);
    for (int r = 0; r < runs; r++) {
        int64_t t0 = now_ns();
        for (long i = 0; i < evals; i++)
            cl_vm_eval(vm, prog, ctx, 0, &res, NULL);
        ns[r] = (now_ns() - t0) / evals;
    }
    if (cl_result_discount(res, 0) != discount)
        fprintf(stderr, "warning: the result changed between evaluations\n");
    qsort(ns, (size_t)runs, sizeof *ns, cmp_i64);
    printf("eval_one: one coupon of 7 conditions, a 10-line cart: median %lld ns per evaluation "
           "(min %lld, max %lld; %d runs of %ld)\n", (long long)ns[runs / 2], (long long)ns[0],
           (long long)ns[runs - 1], runs, evals);
    free(ns);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(prog);
    cl_env_free(env);
    return 0;
}
