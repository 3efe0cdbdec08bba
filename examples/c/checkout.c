/*
 * checkout.c - couponlib from a C checkout: compile the shop's coupons once,
 * build the checkout's context with the C setters (no JSON), choose the best
 * combination, and print what applies and why the rest does not.
 *
 *     checkout COUPONS.yaml [--json]
 *
 * Built by meson as examples/c/checkout and run by the test suite
 * (tests/meson.build, test "example-c"); docs/c-api.md walks through it.
 */
#include <couponlib/couponlib.h>

#include <stdio.h>
#include <string.h>

static int out(void *ud, const char *buf, size_t len)
{
    return fwrite(buf, 1, len, ud) == len ? 0 : -1;
}

/* Prints an amount of minor units with the currency's decimals. */
static const char *money(int64_t minor, const char *currency, char *buf, size_t size)
{
    cl_amount_format(minor, currency, buf, size);
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--json") != 0)) {
        fprintf(stderr, "usage: checkout COUPONS.yaml [--json]\n");
        return 2;
    }
    cl_env *env = cl_env_new(NULL, NULL);             /* malloc, default limits */
    if (env == NULL)
        return 2;
    cl_error err;
    cl_program *prog = cl_compile_file(env, argv[1], &err);
    if (prog == NULL) {
        char msg[2048];
        cl_error_format(&err, NULL, 0, msg, sizeof msg);
        fprintf(stderr, "%s\n", msg);
        cl_env_free(env);
        return 1;
    }

    /* Tuesday 24 November 2026, 18:30 in New York: a customer's first order. */
    cl_context *ctx = cl_context_new(env);
    cl_context_set_now(ctx, 1795563000);
    cl_context_set_timezone(ctx, "America/New_York");
    cl_context_set_currency(ctx, "USD");               /* amounts below are cents */
    cl_context_set_string(ctx, CL_FIELD_USER_ID, "u-100");
    cl_context_set_string(ctx, CL_FIELD_USER_EMAIL, "sam@example.com");
    cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, 0);
    cl_context_set_string(ctx, CL_FIELD_PAYMENT_METHOD, "card");
    cl_context_set_string(ctx, CL_FIELD_PAYMENT_BIN, "411111");
    cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, 799);
    size_t line;
    cl_context_add_item(ctx, "TV-55", 1, 49999, &line);
    cl_context_item_add_category(ctx, line, "electronics/tv");
    cl_context_add_item(ctx, "HDMI-1M", 3, 999, &line);
    cl_context_item_add_category(ctx, line, "electronics/cables");
    cl_context_add_code(ctx, "TV50");
    cl_context_add_code(ctx, "HAPPYHOUR");

    cl_vm *vm = cl_vm_new(env);                       /* one per thread */
    const cl_result *res;
    int status = 0;
    if (cl_vm_best(vm, prog, ctx, &res, &err) != CL_OK) {
        fprintf(stderr, "best: %s\n", err.message);
        status = 1;
    } else {
        const char *cur = cl_result_currency(res);
        char a[32], b[32];
        printf("pays %s of %s\n", money(cl_result_total(res, CL_TOTAL_TOTAL), cur, a, sizeof a),
               money(cl_result_total(res, CL_TOTAL_SUBTOTAL) +
                         cl_result_total(res, CL_TOTAL_SHIPPING), cur, b, sizeof b));
        for (size_t i = 0; i < cl_result_count(res); i++)
            printf("  %-10s -%s\n", cl_result_code(res, i),
                   money(cl_result_discount(res, i), cur, a, sizeof a));
        size_t n = cl_result_count(res);
        for (size_t i = n; i < n + cl_result_rejected_count(res); i++) {
            printf("  %-10s not used:", cl_result_code(res, i));
            for (size_t k = 0; k < cl_result_reason_count(res, i); k++)
                printf(" %s%s", k ? "; " : "", cl_result_reason_message(res, i, k));
            printf("\n");
        }
        if (argc == 3)
            cl_result_write_json(res, out, stdout);
    }
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(prog);
    cl_env_free(env);
    return status;
}
