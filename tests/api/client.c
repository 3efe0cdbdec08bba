/*
 * client.c - a program that uses couponlib the way an embedder does: only
 * through <couponlib/couponlib.h>, linked against the shared library (it
 * cannot see a hidden symbol). It compiles coupons, builds a checkout with
 * the C setters, evaluates, chooses the best combination and reads every
 * kind of result. Prints one line per check and "N passed, M failed".
 */
#include <couponlib/couponlib.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                  \
    } while (0)

typedef struct text {
    char buf[8192];
    size_t n;
} text;

static int collect(void *ud, const char *buf, size_t len)
{
    text *t = ud;
    if (t->n + len >= sizeof t->buf)
        return -1;
    memcpy(t->buf + t->n, buf, len);
    t->n += len;
    t->buf[t->n] = '\0';
    return 0;
}

static const char coupons[] =
    "version: 1\n"
    "currency: USD\n"
    "coupons:\n"
    "  - code: CARD5\n"
    "    automatic: true\n"
    "    when: { payment.method: card, cart.subtotal: { gte: \"20.00\" } }\n"
    "    discount: { percent: 5 }\n"
    "  - code: TV50\n"
    "    when: { items: { category: [electronics/tv] } }\n"
    "    discount: { amount: \"50.00\", target: { items: { category: [electronics] } } }\n"
    "  - code: VIP\n"
    "    automatic: true\n"
    "    when: { user.tags: [vip], order.sequence: 1 }\n"
    "    discount: { free_shipping: true }\n"
    "  - code: FIRST\n"
    "    automatic: true\n"
    "    combine: exclusive\n"
    "    when: { user.orders_completed: 0 }\n"
    "    discount: { amount: \"10.00\" }\n";

int main(void)
{
    CHECK(strcmp(cl_version(), CL_VERSION_STRING) == 0);
    cl_env *env = cl_env_new(NULL, NULL);
    CHECK(env != NULL);
    CHECK(cl_env_set_limit(env, CL_LIMIT_STEPS, 50000) == CL_OK);
    CHECK(cl_env_limit(env, CL_LIMIT_STEPS) == 50000);

    /* a mistake, rendered for people */
    static const char bad[] = "currency: USD\ncode: X\ndiscount: { amout: \"1.00\" }\n";
    cl_error err;
    CHECK(cl_compile(env, bad, sizeof bad - 1, "bad.yaml", &err) == NULL);
    CHECK(err.code == CL_EKEY && err.line == 3 && err.column == 13);
    char msg[1024];
    cl_error_format(&err, bad, sizeof bad - 1, msg, sizeof msg);
    CHECK(strstr(msg, "bad.yaml:3:13: error[unknown-key]: unknown key \"amout\"; did you mean "
                      "\"amount\"?") == msg);
    CHECK(strstr(msg, "    3 | discount: { amout: \"1.00\" }") != NULL);
    CHECK(strcmp(cl_strerror(CL_EKEY), "an unknown key") == 0);

    cl_program *prog = cl_compile(env, coupons, sizeof coupons - 1, "shop.yaml", &err);
    CHECK(prog != NULL);
    if (prog == NULL) {
        printf("%s\n", err.message);
        return 1;
    }
    CHECK(cl_program_count(prog) == 4);
    CHECK(cl_program_find(prog, "tv50") == 1);
    CHECK(cl_program_exclusive(prog, 3));
    CHECK(strcmp(cl_program_currency(prog, 0), "USD") == 0);
    text listing = {{0}, 0};
    CHECK(cl_program_disasm(prog, collect, &listing) == CL_OK);
    CHECK(strstr(listing.buf, "coupon TV50 (line 8)") != NULL);

    /* a checkout, built with the setters */
    cl_context *ctx = cl_context_new(env);
    CHECK(cl_context_set_now(ctx, 1795879800) == CL_OK);
    CHECK(cl_context_set_currency(ctx, "USD") == CL_OK);
    CHECK(cl_context_set_string(ctx, CL_FIELD_PAYMENT_METHOD, "card") == CL_OK);
    CHECK(cl_context_set_string(ctx, CL_FIELD_USER_ID, "u-1") == CL_OK);
    CHECK(cl_context_add_user_tag(ctx, "vip") == CL_OK);
    CHECK(cl_context_set_int(ctx, CL_FIELD_USER_ORDERS_COMPLETED, 3) == CL_OK);
    CHECK(cl_context_set_amount(ctx, CL_FIELD_SHIPPING_AMOUNT, 499) == CL_OK);
    CHECK(cl_context_set_date(ctx, CL_FIELD_USER_BIRTHDAY, 1990, 11, 28) == CL_OK);
    CHECK(cl_context_add_code(ctx, "TV50") == CL_OK);
    size_t tv, cable;
    CHECK(cl_context_add_item(ctx, "TV-55", 1, 49999, &tv) == CL_OK);
    CHECK(cl_context_item_add_category(ctx, tv, "electronics/tv") == CL_OK);
    CHECK(cl_context_add_item(ctx, "HDMI", 2, 1000, &cable) == CL_OK);
    CHECK(cl_context_item_add_category(ctx, cable, "electronics/cables") == CL_OK);
    CHECK(cl_context_item_set_on_sale(ctx, cable, true) == CL_OK);
    CHECK(cl_context_set_usage(ctx, "CARD5", 3, 0, 0) == CL_OK);
    CHECK(cl_context_item_count(ctx) == 2);
    CHECK(cl_context_set_int(ctx, CL_FIELD_PAYMENT_METHOD, 1) == CL_EINVAL);

    /* every coupon on its own */
    cl_vm *vm = cl_vm_new(env);
    const cl_result *res = NULL;
    CHECK(cl_vm_eval(vm, prog, ctx, CL_EVAL_ENTERED, &res, &err) == CL_OK);
    CHECK(cl_result_count(res) == 4);
    CHECK(strcmp(cl_result_currency(res), "USD") == 0);
    CHECK(cl_result_applicable(res, 0) && cl_result_discount(res, 0) == 2600); /* 5% of 519.99 */
    CHECK(cl_result_applicable(res, 1) && cl_result_discount(res, 1) == 5000);
    CHECK(cl_result_line_count(res, 1) == 2);
    size_t index;
    int64_t share;
    CHECK(cl_result_line(res, 1, 0, &index, &share) == CL_OK && index == 0 && share == 4808);
    CHECK(cl_result_line(res, 1, 1, &index, &share) == CL_OK && index == 1 && share == 192);
    CHECK(!cl_result_applicable(res, 2));
    CHECK(cl_result_reason_count(res, 2) == 1);
    CHECK(cl_result_reason(res, 2, 0) == CL_R_ORDER_SEQUENCE);
    CHECK(strcmp(cl_reason_name(cl_result_reason(res, 2, 0)), "ORDER_SEQUENCE") == 0);
    CHECK(cl_result_reason_line(res, 2, 0) == 13);
    CHECK(strcmp(cl_result_reason_message(res, 2, 0), "only for a customer's first order") == 0);
    CHECK(!cl_result_applicable(res, 3) && cl_result_reason(res, 3, 0) == CL_R_USER);

    /* the best combination */
    CHECK(cl_vm_best(vm, prog, ctx, &res, &err) == CL_OK);
    CHECK(cl_result_count(res) == 2);
    CHECK(strcmp(cl_result_code(res, 0), "CARD5") == 0);
    CHECK(strcmp(cl_result_code(res, 1), "TV50") == 0);
    CHECK(cl_result_total(res, CL_TOTAL_SUBTOTAL) == 51999);
    CHECK(cl_result_total(res, CL_TOTAL_DISCOUNT) == 2600 + 5000);
    CHECK(cl_result_total(res, CL_TOTAL_TOTAL) == 51999 - 7600 + 499);
    CHECK(cl_result_rejected_count(res) == 2);
    text json = {{0}, 0};
    CHECK(cl_result_write_json(res, collect, &json) == CL_OK);
    CHECK(strstr(json.buf, "\"coupons\": [\"CARD5\", \"TV50\"]") != NULL);
    CHECK(strstr(json.buf, "\"total\": \"448.98\"") != NULL);

    /* money helpers */
    int64_t minor;
    CHECK(cl_amount_parse("12.5", 4, "USD", &minor) == CL_OK && minor == 1250);
    char buf[32];
    cl_amount_format(1250, "JPY", buf, sizeof buf);
    CHECK(strcmp(buf, "1250") == 0);
    CHECK(cl_currency_exponent("KWD") == 3);

    /* linking a second file */
    static const char more[] = "code: EXTRA\nautomatic: true\ndiscount: { percent: 1 }\n";
    cl_program *extra = cl_compile(env, more, sizeof more - 1, "more.yaml", &err);
    const cl_program *both[] = {prog, extra};
    cl_program *all = cl_program_link(env, both, 2, &err);
    CHECK(all != NULL && cl_program_count(all) == 5);
    cl_program_free(extra);
    CHECK(cl_vm_eval(vm, all, ctx, 0, &res, &err) == CL_OK && cl_result_count(res) == 5);

    /* a context from JSON */
    static const char jctx[] = "{\"now\": \"2026-11-28T15:30:00Z\", \"currency\": \"USD\","
                               " \"items\": [{\"sku\": \"A\", \"quantity\": 0, \"unit_price\": \"1\"}]}";
    CHECK(cl_context_parse(ctx, jctx, sizeof jctx - 1, &err) == CL_EVALUE);
    CHECK(strcmp(err.path, "items[0].quantity") == 0 && err.line == 1);

    cl_program_free(all);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(prog);
    cl_env_free(env);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
