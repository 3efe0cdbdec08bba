/*
 * test_oom.c - out-of-memory sweeps (SQLite's and Lua's habit) over the
 * public entry points: cl_compile(), cl_context_parse(), cl_vm_eval() and
 * cl_vm_best(). Each is run with its 1st, 2nd, ... allocation failing until
 * it succeeds; every failing run must return CL_ENOMEM with the error
 * struct saying so, leak nothing and give every byte back at its true size
 * (oomalloc.h checks); a VM that failed must then evaluate correctly.
 * Under valgrind (suite core) the runs are checked for invalid accesses too.
 *
 * The sweep is reusable: test_oom_sweep() in oomalloc.h takes any step.
 */
#include "context.h"
#include "core.h"
#include "oomalloc.h"
#include "testutil.h"

#include <stdio.h>

static test_alloc A;
static cl_env *env;

static void setup(void)
{
    memset(&A, 0, sizeof A);
    env = cl_env_new(test_alloc_fn, &A);
}

static void teardown(void)
{
    cl_env_free(env);
    ck_assert_uint_eq(A.live_blocks, 0);
    ck_assert_int_eq(A.bad, 0);
}

/* A file using most of the language (no time conditions: tz has its own). */
static const char rich[] =
    "version: 1\n"
    "currency: USD\n"
    "rounding: half_up\n"
    "selection: { max_coupons: 3 }\n"
    "coupons:\n"
    "  - code: FIRST\n"
    "    name: first order\n"
    "    automatic: true\n"
    "    when: { order.sequence: 1, payment.method: [card, upi], payment.bin: { prefix: ['4111'] } }\n"
    "    discount: { percent: 10, max_amount: \"25.00\" }\n"
    "  - code: VIP\n"
    "    owner: u-1\n"
    "    group: g\n"
    "    when:\n"
    "      user.tags: { any: [vip], none: [blocked] }\n"
    "      user.email: { domain: [example.com] }\n"
    "      any: [ { order.number: { matches: '^ORD-[0-9]+$' } }, { not: { cart.quantity: { lt: 2 } } } ]\n"
    "    discount: { amount_per_item: \"1.00\", max_units: 3, target: { items: { category: [home], tags: [x] } } }\n"
    "    limits: { uses: 100, per_user: 2, budget: \"500.00\" }\n"
    "  - code: BOGO\n"
    "    automatic: true\n"
    "    priority: 5\n"
    "    when: { items: { sku: { prefix: [HDMI-] }, min_quantity: 2, unit_price: { gte: \"1.00\" } } }\n"
    "    discount: { buy_get: { buy: 1, get: 1, percent: 50 }, target: { items: { sku: { matches: '^HDMI' } } } }\n"
    "  - code: TIERS\n"
    "    automatic: true\n"
    "    stop: true\n"
    "    when: { cart.subtotal: { gte: \"10.00\" }, shipping.country: [US, CA] }\n"
    "    discount: { tiers: [ { min: \"10.00\", amount: \"1.00\" }, { min: \"50.00\", percent: 5 } ] }\n"
    "  - code: SHIP\n"
    "    automatic: true\n"
    "    combine: exclusive\n"
    "    discount: { free_shipping: { max_amount: \"4.00\" } }\n"
    "  - code: FIXED\n"
    "    automatic: true\n"
    "    group: g\n"
    "    discount: { fixed_price: \"2.00\", exclude_sale_items: true }\n";

static const char cart[] =
    "{\"now\": \"2026-05-05T10:00:00Z\", \"currency\": \"USD\", \"codes\": [\"vip\", \"BOGUS\"],"
    " \"user\": {\"id\": \"u-1\", \"email\": \"a@example.com\", \"tags\": [\"vip\"], \"orders_completed\": 0},"
    " \"order\": {\"number\": \"ORD-1\"}, \"payment\": {\"method\": \"card\", \"bin\": \"411111\"},"
    " \"shipping\": {\"country\": \"US\", \"amount\": \"5.99\"},"
    " \"usage\": {\"VIP\": {\"total\": 1, \"user\": 0, \"spent\": \"10.00\"}},"
    " \"items\": ["
    "  {\"sku\": \"HDMI-1\", \"quantity\": 3, \"unit_price\": \"7.99\", \"categories\": [\"cables\"]},"
    "  {\"sku\": \"MUG\", \"quantity\": 4, \"unit_price\": \"3.50\", \"categories\": [\"home/kitchen\"], \"tags\": [\"x\"]},"
    "  {\"sku\": \"TV\", \"quantity\": 1, \"unit_price\": \"399.00\", \"on_sale\": true}]}";

/* ------------------------------------------------------------------------
 * Compiling
 * ------------------------------------------------------------------------ */

typedef struct source {
    const char *text;
    size_t len;
} source;

static int compile_step(void *ud)
{
    const source *s = ud;
    cl_error err;
    cl_program *p = cl_compile(env, s->text, s->len, "rich.yaml", &err);
    if (p != NULL) {
        cl_program_free(p);
        return 0;
    }
    ck_assert_msg(err.code == CL_ENOMEM, "a failed allocation gave %s: %s",
                  cl_status_name(err.code), err.message);
    ck_assert_msg(strncmp(err.message, "out of memory", 13) == 0, "%s", err.message);
    return 1;
}

START_TEST(test_compile)
{
    source s = {rich, sizeof rich - 1};
    long n = test_oom_sweep(&A, compile_step, &s, 100000);
    ck_assert_int_gt(n, 50);
}
END_TEST

/* The example shop's coupons (with its time zone and calendars). */
START_TEST(test_compile_example)
{
    FILE *f = fopen(TEST_SRCDIR "/examples/coupons/shop.yaml", "rb");
    ck_assert_ptr_nonnull(f);
    static char text[65536];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    source s = {text, len};
    ck_assert_int_gt(test_oom_sweep(&A, compile_step, &s, 100000), 50);
}
END_TEST

/* ------------------------------------------------------------------------
 * Contexts
 * ------------------------------------------------------------------------ */

/* ud: NULL for cl_context_parse() (its fast way, for plain JSON as this
 * cart is), non-NULL for its general way (the tree). */
static int parse_step(void *ud)
{
    cl_context *ctx = cl_context_new(env);
    if (ctx == NULL)
        return 1;
    cl_error err;
    int rc = ud == NULL ? (int)cl_context_parse(ctx, cart, sizeof cart - 1, &err)
                        : clX_parse(ctx, cart, sizeof cart - 1, &err, false);
    cl_context_free(ctx);
    if (rc == CL_OK)
        return 0;
    ck_assert_msg(rc == CL_ENOMEM && err.code == CL_ENOMEM, "%s: %s", cl_status_name(rc),
                  err.message);
    return 1;
}

START_TEST(test_parse)
{
    /* The fast way allocates little: the context, a block of its pool and
     * its two line arrays. */
    ck_assert_int_gt(test_oom_sweep(&A, parse_step, NULL, 100000), 3);
    ck_assert_int_gt(test_oom_sweep(&A, parse_step, &A, 100000), 10);
}
END_TEST

/* ------------------------------------------------------------------------
 * Evaluating
 * ------------------------------------------------------------------------ */

typedef struct evalrun {
    cl_program *prog;
    cl_context *ctx;
    int best;             /* cl_vm_best, else cl_vm_eval */
    const char *want;     /* the JSON of a run without failures */
    cl_vm *warm;          /* evaluate with this VM (kept), or a new one each run */
} evalrun;

static char *json(const cl_result *r)
{
    test_text t = {0};
    ck_assert_int_eq(cl_result_write_json(r, test_text_write, &t), CL_OK);
    return t.p;
}

static int eval_step(void *ud)
{
    evalrun *e = ud;
    cl_vm *vm = e->warm ? e->warm : cl_vm_new(env);
    if (vm == NULL)
        return 1;
    cl_error err;
    const cl_result *r = NULL;
    int rc = e->best ? cl_vm_best(vm, e->prog, e->ctx, &r, &err)
                     : cl_vm_eval(vm, e->prog, e->ctx, CL_EVAL_ENTERED, &r, &err);
    if (rc == CL_OK) {
        char *got = json(r);
        ck_assert_str_eq(got, e->want);
        free(got);
    } else {
        ck_assert_msg(rc == CL_ENOMEM && err.code == CL_ENOMEM, "a failed allocation gave %s: %s",
                      cl_status_name(rc), err.message);
        if (e->warm != NULL) {
            /* the VM recovers: the next evaluation is whole and right */
            test_alloc_fail_at(&A, 0);
            rc = e->best ? cl_vm_best(vm, e->prog, e->ctx, &r, &err)
                         : cl_vm_eval(vm, e->prog, e->ctx, CL_EVAL_ENTERED, &r, &err);
            ck_assert_int_eq(rc, CL_OK);
            char *got = json(r);
            ck_assert_str_eq(got, e->want);
            free(got);
            /* re-arm what test_oom_sweep counts: this run did fail once */
            A.failed = 1;
        }
    }
    if (e->warm == NULL)
        cl_vm_free(vm);
    return rc == CL_OK ? 0 : 1;
}

static void sweep_eval(int best, bool warm)
{
    cl_error err;
    evalrun e = {cl_compile(env, rich, sizeof rich - 1, "rich.yaml", &err), cl_context_new(env),
                 best, NULL, NULL};
    ck_assert_ptr_nonnull(e.prog);
    ck_assert_int_eq(cl_context_parse(e.ctx, cart, sizeof cart - 1, &err), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *r;
    ck_assert_int_eq(best ? cl_vm_best(vm, e.prog, e.ctx, &r, &err)
                          : cl_vm_eval(vm, e.prog, e.ctx, CL_EVAL_ENTERED, &r, &err), CL_OK);
    char *want = json(r);
    e.want = want;
    if (best) /* the choice is not empty: the sweep reaches the search and the reasons */
        ck_assert_uint_ge(cl_result_count(r), 2);
    if (warm) {
        /* a VM that has evaluated a smaller cart must grow for this one */
        cl_context *small = cl_context_new(env);
        cl_context_set_now(small, 0);
        cl_context_set_currency(small, "USD");
        cl_context_add_item(small, "A", 1, 100, NULL);
        cl_vm_best(vm, e.prog, small, &r, &err);
        cl_context_free(small);
        e.warm = vm;
    }
    long n = test_oom_sweep(&A, eval_step, &e, 100000);
    /* a warm VM may need nothing more for this cart */
    ck_assert_int_ge(n, warm ? 0 : 5);
    free(want);
    cl_vm_free(vm);
    cl_context_free(e.ctx);
    cl_program_free(e.prog);
}

START_TEST(test_eval_new_vm)
{
    sweep_eval(0, false);
}
END_TEST

START_TEST(test_eval_warm_vm)
{
    sweep_eval(0, true);
}
END_TEST

START_TEST(test_best_new_vm)
{
    sweep_eval(1, false);
}
END_TEST

START_TEST(test_best_warm_vm)
{
    sweep_eval(1, true);
}
END_TEST

/* Linking two programs while allocations fail. */
static int link_step(void *ud)
{
    const cl_program *const *both = ud;
    cl_error err;
    cl_program *p = cl_program_link(env, both, 2, &err);
    if (p != NULL) {
        cl_program_free(p);
        return 0;
    }
    ck_assert_int_eq(err.code, CL_ENOMEM);
    return 1;
}

START_TEST(test_link)
{
    cl_error err;
    cl_program *a = cl_compile(env, rich, sizeof rich - 1, "a.yaml", &err);
    cl_program *b = cl_compile(env, "code: OTHER\ndiscount: { percent: 1 }\n", 37, "b.yaml", &err);
    ck_assert(a != NULL && b != NULL);
    const cl_program *both[] = {a, b};
    ck_assert_int_ge(test_oom_sweep(&A, link_step, both, 1000), 3);
    cl_program_free(a);
    cl_program_free(b);
}
END_TEST

static Suite *oom_suite(void)
{
    const test_entry tests[] = {
        {"compile", test_compile},        {"compile", test_compile_example},
        {"context", test_parse},          {"eval", test_eval_new_vm},
        {"eval", test_eval_warm_vm},      {"best", test_best_new_vm},
        {"best", test_best_warm_vm},      {"link", test_link},
    };
    return test_suite_fx("oom", tests, CL_COUNTOF(tests), 600, setup, teardown);
}

TEST_MAIN(oom_suite)
