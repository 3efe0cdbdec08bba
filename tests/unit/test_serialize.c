/*
 * test_serialize.c - saved programs: a saved and loaded program evaluates
 * exactly as the compiled one did; every byte flipped and every truncation
 * of a saved program is refused cleanly, or (when the checksum is mended so
 * that the structure parser and the verifier see the damage) loads and then
 * evaluates safely. Memory errors in any of this fail the test under ASan
 * and valgrind.
 */
#include "testutil.h"

#include "couponlib/couponlib.h"

#include <stdio.h>
#include <string.h>

#define COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

#ifndef TEST_SRCDIR
#error "TEST_SRCDIR must be defined"
#endif

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int buf_write(void *ud, const char *p, size_t n)
{
    buf *b = ud;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (q == NULL)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static char *slurp(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TEST_SRCDIR, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    ck_assert(p != NULL);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return p;
}

static cl_program *compile_rel(const cl_env *env, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", TEST_SRCDIR, rel);
    cl_error err;
    cl_program *p = cl_compile_file(env, path, &err);
    ck_assert_msg(p != NULL, "%s: %s", rel, err.message);
    return p;
}

static buf save(const cl_program *p)
{
    buf b = {NULL, 0, 0};
    ck_assert_int_eq(cl_program_save(p, buf_write, &b), CL_OK);
    return b;
}

/* The JSON of eval (both modes) and best of p against ctx, concatenated. */
static buf results(cl_vm *vm, const cl_program *p, const cl_context *ctx)
{
    buf b = {NULL, 0, 0};
    const cl_result *res;
    cl_error err;
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, 0, &res, &err), CL_OK);
    cl_result_write_json(res, buf_write, &b);
    ck_assert_int_eq(cl_vm_eval(vm, p, ctx, CL_EVAL_ENTERED, &res, &err), CL_OK);
    cl_result_write_json(res, buf_write, &b);
    ck_assert_int_eq(cl_vm_best(vm, p, ctx, &res, &err), CL_OK);
    cl_result_write_json(res, buf_write, &b);
    return b;
}

static const char *const carts[] = {
    "examples/carts/black-friday.json",
    "examples/carts/first-order.json",
    "examples/carts/staff-weekend.json",
};

static cl_context **load_carts(const cl_env *env)
{
    cl_context **ctx = calloc(COUNTOF(carts), sizeof *ctx);
    for (size_t i = 0; i < COUNTOF(carts); i++) {
        size_t n;
        char *text = slurp(carts[i], &n);
        ctx[i] = cl_context_new(env);
        cl_error err;
        ck_assert_msg(cl_context_parse(ctx[i], text, n, &err) == CL_OK, "%s: %s", carts[i],
                      err.message);
        free(text);
    }
    return ctx;
}

static void free_carts(cl_context **ctx)
{
    for (size_t i = 0; i < COUNTOF(carts); i++)
        cl_context_free(ctx[i]);
    free(ctx);
}

/* The reference CRC-32 (IEEE), bit by bit, to mend mutated blobs. */
static uint32_t ref_crc(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* Rewrites the header's length and checksum to match the payload. */
static void mend(unsigned char *p, size_t n)
{
    uint64_t len = n - 32;
    uint32_t crc = ref_crc(p + 32, n - 32);
    for (int i = 0; i < 8; i++)
        p[16 + i] = (unsigned char)(len >> (8 * i));
    for (int i = 0; i < 4; i++)
        p[24 + i] = (unsigned char)(crc >> (8 * i));
}

/* ------------------------------------------------------------------------
 * Round trips
 * ------------------------------------------------------------------------ */

static const char *const sources[] = {
    "examples/coupons/shop.yaml",     "tests/cases/order.yaml",    "tests/cases/payment.yaml",
    "tests/cases/personal.yaml",      "tests/cases/items.yaml",    "tests/cases/category.yaml",
    "tests/cases/discounts.yaml",     "tests/cases/stacking.yaml", "tests/cases/limits.yaml",
    "tests/cases/currency.yaml",      "tests/cases/rounding.yaml",
};

START_TEST(test_roundtrip_same_results)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_vm *vm = cl_vm_new(env);
    cl_context **ctx = load_carts(env);
    cl_program *p = compile_rel(env, sources[_i]);
    buf saved = save(p);
    cl_error err;
    cl_program *q = cl_program_load(env, saved.p, saved.n, &err);
    ck_assert_msg(q != NULL, "%s: %s", sources[_i], err.message);
    ck_assert_uint_eq(cl_program_count(q), cl_program_count(p));
    for (size_t i = 0; i < cl_program_count(p); i++) {
        ck_assert_str_eq(cl_program_code(q, i), cl_program_code(p, i));
        ck_assert_str_eq(cl_program_name(q, i), cl_program_name(p, i));
        ck_assert_int_eq(cl_program_priority(q, i), cl_program_priority(p, i));
    }
    for (size_t c = 0; c < COUNTOF(carts); c++) {
        buf a = results(vm, p, ctx[c]), b = results(vm, q, ctx[c]);
        ck_assert_uint_eq(a.n, b.n);
        ck_assert_msg(memcmp(a.p, b.p, a.n) == 0, "%s on %s differs after loading",
                      sources[_i], carts[c]);
        free(a.p);
        free(b.p);
    }
    /* Saving the loaded program gives the same bytes. */
    buf again = save(q);
    ck_assert_uint_eq(again.n, saved.n);
    ck_assert(memcmp(again.p, saved.p, saved.n) == 0);
    free(again.p);
    free(saved.p);
    cl_program_free(q);
    cl_program_free(p);
    free_carts(ctx);
    cl_vm_free(vm);
    cl_env_free(env);
}
END_TEST

/* A linked catalog of many files saves and loads as one program. */
START_TEST(test_roundtrip_catalog)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_vm *vm = cl_vm_new(env);
    cl_context **ctx = load_carts(env);
    const char *files[] = {"examples/coupons/shop.yaml", "tests/cases/order.yaml",
                           "tests/cases/payment.yaml"};
    cl_program *parts[3];
    for (int i = 0; i < 3; i++)
        parts[i] = compile_rel(env, files[i]);
    cl_error err;
    cl_program *p = cl_program_link(env, (const cl_program *const *)parts, 3, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    buf saved = save(p);
    cl_program *q = cl_program_load(env, saved.p, saved.n, &err);
    ck_assert_msg(q != NULL, "%s", err.message);
    ck_assert_uint_eq(cl_program_count(q), cl_program_count(p));
    ck_assert_int_eq(cl_program_find(q, "welcome10"), cl_program_find(p, "WELCOME10"));
    for (size_t c = 0; c < COUNTOF(carts); c++) {
        buf a = results(vm, p, ctx[c]), b = results(vm, q, ctx[c]);
        ck_assert(a.n == b.n && memcmp(a.p, b.p, a.n) == 0);
        free(a.p);
        free(b.p);
    }
    free(saved.p);
    cl_program_free(q);
    cl_program_free(p);
    for (int i = 0; i < 3; i++)
        cl_program_free(parts[i]);
    free_carts(ctx);
    cl_vm_free(vm);
    cl_env_free(env);
}
END_TEST

/* Regexes and sets are rebuilt on load and still match. */
START_TEST(test_roundtrip_regex_and_sets)
{
    static const char src[] =
        "currency: USD\n"
        "coupons:\n"
        "  - code: VIP\n"
        "    when:\n"
        "      order.number: { matches: \"^VIP-[0-9]+$\" }\n"
        "      user.email: { domain: [Example.COM] }\n"
        "      user.id: [u1, u2, u3, u4, u5]\n"
        "    discount: { percent: 10 }\n";
    static const char ctx_ok[] =
        "{\"now\":\"2026-01-01T00:00:00Z\",\"currency\":\"USD\",\"items\":[{\"sku\":\"A\","
        "\"quantity\":1,\"unit_price\":\"10.00\"}],\"order\":{\"number\":\"VIP-12\"},"
        "\"user\":{\"id\":\"u4\",\"email\":\"ann@example.com\"}}";
    cl_env *env = cl_env_new(NULL, NULL);
    cl_error err;
    cl_program *p = cl_compile(env, src, sizeof src - 1, "vip.yaml", &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    buf saved = save(p);
    cl_program_free(p);
    cl_program *q = cl_program_load(env, saved.p, saved.n, &err);
    ck_assert_msg(q != NULL, "%s", err.message);
    cl_context *ctx = cl_context_new(env);
    ck_assert_int_eq(cl_context_parse(ctx, ctx_ok, sizeof ctx_ok - 1, &err), CL_OK);
    cl_vm *vm = cl_vm_new(env);
    const cl_result *res;
    ck_assert_int_eq(cl_vm_eval(vm, q, ctx, 0, &res, &err), CL_OK);
    ck_assert(cl_result_applicable(res, 0));
    ck_assert_int_eq(cl_result_discount(res, 0), 100);
    ck_assert_int_eq(cl_context_set_string(ctx, CL_FIELD_ORDER_NUMBER, "VIP-12x"), CL_OK);
    ck_assert_int_eq(cl_vm_eval(vm, q, ctx, 0, &res, &err), CL_OK);
    ck_assert(!cl_result_applicable(res, 0));
    ck_assert_int_eq(cl_result_reason(res, 0, 0), CL_R_ORDER_NUMBER);
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(q);
    free(saved.p);
    cl_env_free(env);
}
END_TEST

/* ------------------------------------------------------------------------
 * Damage
 * ------------------------------------------------------------------------ */

START_TEST(test_header_errors)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_program *p = compile_rel(env, "tests/cases/order.yaml");
    buf b = save(p);
    cl_program_free(p);
    cl_error err;
    ck_assert(cl_program_is_saved(b.p, b.n));
    ck_assert(!cl_program_is_saved("code: A\n", 8));
    ck_assert(cl_program_load(env, "code: A\n", 8, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EFORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "bad magic"));
    ck_assert(cl_program_load(env, NULL, 0, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EFORMAT);
    ck_assert(cl_program_load(NULL, b.p, b.n, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EINVAL);
    /* Another bytecode version. */
    b.p[8] ^= 0x40;
    ck_assert(cl_program_load(env, b.p, b.n, &err) == NULL);
    ck_assert_ptr_nonnull(strstr(err.message, "bytecode version"));
    b.p[8] ^= 0x40;
    /* Another opcode table. */
    b.p[12] ^= 0x01;
    ck_assert(cl_program_load(env, b.p, b.n, &err) == NULL);
    ck_assert_ptr_nonnull(strstr(err.message, "other opcodes"));
    b.p[12] ^= 0x01;
    /* A corrupted payload. */
    b.p[b.n - 3] ^= 0x10;
    ck_assert(cl_program_load(env, b.p, b.n, &err) == NULL);
    ck_assert_ptr_nonnull(strstr(err.message, "checksum"));
    b.p[b.n - 3] ^= 0x10;
    /* Trailing bytes. */
    ck_assert_int_eq(buf_write(&b, "xx", 2), 0);
    ck_assert(cl_program_load(env, b.p, b.n, &err) == NULL);
    ck_assert_int_eq(err.code, CL_EFORMAT);
    mend((unsigned char *)b.p, b.n);
    ck_assert(cl_program_load(env, b.p, b.n, &err) == NULL);
    ck_assert_ptr_nonnull(strstr(err.message, "after the last unit"));
    b.n -= 2;
    mend((unsigned char *)b.p, b.n);
    /* The input limit holds. */
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, b.n - 1), CL_OK);
    ck_assert(cl_program_load(env, b.p, b.n, &err) == NULL);
    ck_assert_int_eq(err.code, CL_ELIMIT);
    ck_assert_int_eq(cl_env_set_limit(env, CL_LIMIT_INPUT_BYTES, b.n), CL_OK);
    p = cl_program_load(env, b.p, b.n, &err);
    ck_assert_msg(p != NULL, "%s", err.message);
    cl_program_free(p);
    free(b.p);
    cl_env_free(env);
}
END_TEST

/* Loads blob; when it loads, evaluates it against every cart. Either way
 * nothing may crash or leak. Returns whether it loaded. */
static bool load_and_run(const cl_env *env, cl_vm *vm, cl_context **ctx, const char *p,
                         size_t n)
{
    cl_error err;
    cl_program *q = cl_program_load(env, p, n, &err);
    if (q == NULL) {
        REQUIRE(err.code == CL_EFORMAT || err.code == CL_EVERIFY || err.code == CL_ELIMIT,
                "unexpected status %d: %s", err.code, err.message);
        REQUIRE(err.message[0] != '\0', "no message");
        return false;
    }
    for (size_t c = 0; c < COUNTOF(carts); c++) {
        const cl_result *res;
        cl_status rc = cl_vm_eval(vm, q, ctx[c], CL_EVAL_ENTERED, &res, &err);
        REQUIRE(rc == CL_OK || rc == CL_ESTEPS || rc == CL_ELIMIT || rc == CL_EOVERFLOW,
                "eval: %d", rc);
        rc = cl_vm_best(vm, q, ctx[c], &res, &err);
        REQUIRE(rc == CL_OK || rc == CL_ESTEPS || rc == CL_ELIMIT || rc == CL_EOVERFLOW,
                "best: %d", rc);
        if (rc == CL_OK) {
            buf out = {NULL, 0, 0};
            cl_result_write_json(res, buf_write, &out);
            free(out.p);
        }
    }
    cl_program_free(q);
    return true;
}

START_TEST(test_every_byte_flipped)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_vm *vm = cl_vm_new(env);
    cl_context **ctx = load_carts(env);
    cl_program *p = compile_rel(env, "examples/coupons/shop.yaml");
    buf b = save(p);
    cl_program_free(p);
    char *m = malloc(b.n);
    size_t loaded = 0, mended = 0;
    /* Every byte (under valgrind, where CL_TEST_QUICK is set, every fifth:
     * the gcc and ASan runs see them all). */
    size_t stride = (size_t)(5 / test_rounds(5));
    for (size_t i = 0; i < b.n; i += stride) {
        static const unsigned char flips[] = {0xff, 0x01};
        for (size_t f = 0; f < COUNTOF(flips); f++) {
            memcpy(m, b.p, b.n);
            m[i] = (char)(m[i] ^ flips[f]);
            /* As damaged: the checksum or the header catches every flip. */
            cl_error err;
            cl_program *q = cl_program_load(env, m, b.n, &err);
            REQUIRE(q == NULL && err.code == CL_EFORMAT, "a flip at byte %zu went unnoticed", i);
            /* With the checksum mended, the parser and verifier see it. */
            if (i >= 32) {
                mend((unsigned char *)m, b.n);
                mended++;
                loaded += load_and_run(env, vm, ctx, m, b.n);
            }
        }
    }
    /* Flips in messages and names load; the rest must not all pass. */
    ck_assert_uint_gt(loaded, 0);
    ck_assert_uint_lt(loaded, mended);
    free(m);
    free(b.p);
    free_carts(ctx);
    cl_vm_free(vm);
    cl_env_free(env);
}
END_TEST

START_TEST(test_every_truncation)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_vm *vm = cl_vm_new(env);
    cl_context **ctx = load_carts(env);
    cl_program *p = compile_rel(env, "examples/coupons/shop.yaml");
    buf b = save(p);
    cl_program_free(p);
    char *m = malloc(b.n);
    size_t stride = (size_t)(5 / test_rounds(5));
    for (size_t n = 0; n < b.n; n += stride) {
        memcpy(m, b.p, n);
        cl_error err;
        REQUIRE(cl_program_load(env, m, n, &err) == NULL && err.code == CL_EFORMAT,
                "truncated at %zu loaded", n);
        if (n >= 32) {
            mend((unsigned char *)m, n);
            REQUIRE(!load_and_run(env, vm, ctx, m, n), "mended truncation at %zu loaded", n);
        }
    }
    free(m);
    free(b.p);
    free_carts(ctx);
    cl_vm_free(vm);
    cl_env_free(env);
}
END_TEST

/* A hostile count cannot make the loader allocate what the bytes cannot
 * hold: every count field set to its maximum is refused. */
START_TEST(test_hostile_counts)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_vm *vm = cl_vm_new(env);
    cl_context **ctx = load_carts(env);
    cl_program *p = compile_rel(env, "tests/cases/discounts.yaml");
    buf b = save(p);
    cl_program_free(p);
    char *m = malloc(b.n);
    size_t stride = (size_t)(5 / test_rounds(5));
    for (size_t i = 32; i + 4 <= b.n; i += stride) {
        memcpy(m, b.p, b.n);
        memset(m + i, 0xff, 4);
        mend((unsigned char *)m, b.n);
        load_and_run(env, vm, ctx, m, b.n);
        memcpy(m, b.p, b.n);
        memset(m + i, 0x7f, 1);
        mend((unsigned char *)m, b.n);
        load_and_run(env, vm, ctx, m, b.n);
    }
    free(m);
    free(b.p);
    free_carts(ctx);
    cl_vm_free(vm);
    cl_env_free(env);
}
END_TEST

static Suite *serialize_suite(void)
{
    Suite *s = suite_create("serialize");
    TCase *tc = tcase_create("roundtrip");
    tcase_add_loop_test(tc, test_roundtrip_same_results, 0, (int)COUNTOF(sources));
    tcase_add_test(tc, test_roundtrip_catalog);
    tcase_add_test(tc, test_roundtrip_regex_and_sets);
    suite_add_tcase(s, tc);
    tc = tcase_create("damage");
    tcase_set_timeout(tc, 1200); /* every byte, under valgrind */
    tcase_add_test(tc, test_header_errors);
    tcase_add_test(tc, test_every_byte_flipped);
    tcase_add_test(tc, test_every_truncation);
    tcase_add_test(tc, test_hostile_counts);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(serialize_suite)
