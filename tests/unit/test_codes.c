/*
 * test_codes.c - campaign codes (codes.c): shape, uniqueness, the check
 * character's power (every single mistyped character, every swap of two
 * neighbours but Luhn mod N's one pair), options and their errors.
 */
#include "testutil.h"

#include "couponlib/couponlib.h"

#include <stdio.h>
#include <string.h>

#define COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct lines {
    char *p;
    size_t n, cap;
    int fail_after;       /* calls before the writer fails; < 0: never */
} lines;

static int collect(void *ud, const char *buf, size_t len)
{
    lines *l = ud;
    if (l->fail_after == 0)
        return -1;
    if (l->fail_after > 0)
        l->fail_after--;
    if (l->n + len + 1 > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->n + len + 1)
            cap *= 2;
        l->p = realloc(l->p, cap);
        ck_assert(l->p != NULL);
        l->cap = cap;
    }
    memcpy(l->p + l->n, buf, len);
    l->n += len;
    l->p[l->n] = '\0';
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits l into its lines (in place); returns how many. */
static size_t split(lines *l, char ***out)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += l->p[i] == '\n';
    char **v = malloc((n + 1) * sizeof *v);
    size_t k = 0;
    char *s = l->p;
    for (size_t i = 0; i < l->n; i++)
        if (l->p[i] == '\n') {
            l->p[i] = '\0';
            v[k++] = s;
            s = l->p + i + 1;
        }
    *out = v;
    return n;
}

START_TEST(test_shape_and_unique)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_code_spec spec = {8, "SUMMER-", NULL, true};
    lines l = {NULL, 0, 0, -1};
    cl_error err;
    size_t want = (size_t)test_rounds(200000);   /* a fifth under valgrind */
    ck_assert_int_eq(cl_codes_generate(env, &spec, want, collect, &l, &err), CL_OK);
    char **v;
    size_t n = split(&l, &v);
    ck_assert_uint_eq(n, want);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(strlen(v[i]) == 7 + 8 + 1 && strncmp(v[i], "SUMMER-", 7) == 0, "%s", v[i]);
        for (const char *c = v[i] + 7; *c; c++)
            REQUIRE(strchr("23456789ABCDEFGHJKMNPQRSTUVWXYZ", *c) != NULL, "%s", v[i]);
        REQUIRE(cl_code_valid(&spec, v[i]), "%s", v[i]);
    }
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 1; i < n; i++)
        REQUIRE(strcmp(v[i - 1], v[i]) != 0, "repeated %s", v[i]);
    /* Every symbol shows up in every position (uniform enough to see). */
    for (size_t pos = 7; pos < 15; pos++) {
        int seen[256] = {0};
        for (size_t i = 0; i < n; i++)
            seen[(unsigned char)v[i][pos]]++;
        for (const char *c = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; *c; c++)
            ck_assert_int_gt(seen[(unsigned char)*c], (int)(want / 31 / 2));
    }
    free(v);
    free(l.p);
    cl_env_free(env);
}
END_TEST

/* Asking for nearly every code of a tiny space still gives unique ones;
 * more than half of the space is refused. */
START_TEST(test_small_space)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_code_spec spec = {2, NULL, "ABCD", false};   /* 16 codes */
    lines l = {NULL, 0, 0, -1};
    cl_error err;
    ck_assert_int_eq(cl_codes_generate(env, &spec, 8, collect, &l, &err), CL_OK);
    char **v;
    size_t n = split(&l, &v);
    ck_assert_uint_eq(n, 8);
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 1; i < n; i++)
        ck_assert(strcmp(v[i - 1], v[i]) != 0);
    free(v);
    free(l.p);
    l = (lines){NULL, 0, 0, -1};
    ck_assert_int_eq(cl_codes_generate(env, &spec, 9, collect, &l, &err), CL_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "too many to be unique"));
    ck_assert_uint_eq(l.n, 0);
    free(l.p);
    cl_env_free(env);
}
END_TEST

/* Mutates every code of spec's kind: every single substitution and every
 * swap of two different neighbours (the check character's included).
 * Returns the swaps tried; *missed gets the swaps that still validate,
 * each of which must be of the pair `a`/`b` (NUL: none allowed). */
static size_t mutate(const cl_env *env, const cl_code_spec *spec, size_t *missed, char a, char b)
{
    const char *alpha = spec->alphabet ? spec->alphabet : "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    size_t na = strlen(alpha), pre = spec->prefix ? strlen(spec->prefix) : 0;
    lines l = {NULL, 0, 0, -1};
    cl_error err;
    ck_assert_int_eq(cl_codes_generate(env, spec, (size_t)test_rounds(300), collect, &l, &err),
                     CL_OK);
    char **v;
    size_t n = split(&l, &v), swaps = 0;
    *missed = 0;
    for (size_t i = 0; i < n; i++) {
        char code[96];
        strcpy(code, v[i]);
        size_t len = strlen(code);
        for (size_t pos = pre; pos < len; pos++) {
            char keep = code[pos];
            for (size_t s = 0; s < na; s++) {
                if (alpha[s] == keep)
                    continue;
                code[pos] = alpha[s];
                REQUIRE(!cl_code_valid(spec, code), "%s with %c at %zu passes", v[i], alpha[s],
                        pos);
            }
            code[pos] = keep;
        }
        for (size_t pos = pre; pos + 1 < len; pos++) {
            if (code[pos] == code[pos + 1])
                continue;
            char t = code[pos];
            code[pos] = code[pos + 1];
            code[pos + 1] = t;
            swaps++;
            if (cl_code_valid(spec, code)) {
                char x = code[pos], y = code[pos + 1];
                REQUIRE(a != '\0' && ((x == a && y == b) || (x == b && y == a)),
                        "swap of %c%c in %s went unseen", y, x, v[i]);
                (*missed)++;
            }
            code[pos + 1] = code[pos];
            code[pos] = t;
        }
    }
    free(v);
    free(l.p);
    return swaps;
}

/* With the default 31 symbols the check catches every single substitution
 * and every swap of neighbours. */
START_TEST(test_check_odd)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_code_spec spec = {10, "X-", NULL, true};
    size_t missed, swaps = mutate(env, &spec, &missed, '\0', '\0');
    ck_assert_uint_gt(swaps, (size_t)test_rounds(2000));
    ck_assert_uint_eq(missed, 0);
    cl_code_spec seven = {12, NULL, "ABCDEFG", true};
    swaps = mutate(env, &seven, &missed, '\0', '\0');
    ck_assert_uint_gt(swaps, (size_t)test_rounds(2000));
    ck_assert_uint_eq(missed, 0);
    cl_env_free(env);
}
END_TEST

/* Over an even alphabet (Luhn mod N) every single substitution, and every
 * swap but of the first and last symbols. */
START_TEST(test_check_even)
{
    cl_env *env = cl_env_new(NULL, NULL);
    cl_code_spec spec = {10, NULL, "0123456789", true};
    size_t missed, swaps = mutate(env, &spec, &missed, '0', '9');
    ck_assert_uint_gt(swaps, (size_t)test_rounds(2000));
    ck_assert_uint_lt(missed * 20, swaps);
    cl_code_spec hex = {16, "H", "0123456789ABCDEF", true};
    swaps = mutate(env, &hex, &missed, '0', 'F');
    ck_assert_uint_gt(swaps, (size_t)test_rounds(2000));
    cl_env_free(env);
}
END_TEST

/* The decimal check agrees with the published Luhn algorithm: 7992739871
 * has the check digit 3. */
START_TEST(test_luhn_reference)
{
    cl_code_spec spec = {10, NULL, "0123456789", true};
    ck_assert(cl_code_valid(&spec, "79927398713"));
    ck_assert(!cl_code_valid(&spec, "79927398710"));
}
END_TEST

START_TEST(test_valid)
{
    cl_code_spec spec = {4, "P-", "ABC", true};
    ck_assert(!cl_code_valid(&spec, NULL));
    ck_assert(!cl_code_valid(&spec, ""));
    ck_assert(!cl_code_valid(&spec, "P-ABCA"));    /* no check character */
    ck_assert(!cl_code_valid(&spec, "Q-ABCAB"));   /* wrong prefix */
    ck_assert(!cl_code_valid(&spec, "P-ABCDB"));   /* not in the alphabet */
    cl_code_spec plain = {4, NULL, "ABC", false};
    ck_assert(cl_code_valid(&plain, "ABCA"));
    ck_assert(!cl_code_valid(&plain, "ABCAB"));
    ck_assert(!cl_code_valid(&plain, "abca"));      /* case matters: the alphabet is given */
    cl_code_spec bad = {4, NULL, "AA", false};
    ck_assert(!cl_code_valid(&bad, "AAAA"));        /* an invalid spec validates nothing */
    ck_assert(cl_code_valid(NULL, "23456789AB"));   /* the defaults: 10 characters */
    ck_assert(!cl_code_valid(NULL, "0123456789"));  /* 0 and 1 are look-alikes, left out */
}
END_TEST

START_TEST(test_errors)
{
    cl_env *env = cl_env_new(NULL, NULL);
    lines l = {NULL, 0, 0, -1};
    cl_error err;
    ck_assert_int_eq(cl_codes_generate(NULL, NULL, 1, collect, &l, &err), CL_EINVAL);
    ck_assert_int_eq(cl_codes_generate(env, NULL, 1, NULL, &l, &err), CL_EINVAL);
    static const struct {
        cl_code_spec spec;
        const char *message;
    } bad[] = {
        {{0, NULL, "A", false}, "an alphabet has 2 to 64 characters"},
        {{0, NULL, "ABA", false}, "distinct printable ASCII"},
        {{0, NULL, "AB C", false}, "distinct printable ASCII"},
        {{0, NULL, "AB\xc3\xa9", false}, "distinct printable ASCII"},
        {{65, NULL, NULL, false}, "at most 64 random characters"},
        {{0, "0123456789012345678901234567890123456789012345678901234567890123456789", NULL, false},
         "a prefix has at most 64 characters"},
    };
    for (size_t i = 0; i < COUNTOF(bad); i++) {
        ck_assert_int_eq(cl_codes_generate(env, &bad[i].spec, 1, collect, &l, &err), CL_EINVAL);
        ck_assert_msg(strstr(err.message, bad[i].message) != NULL, "%zu: %s", i, err.message);
    }
    /* The list limit. */
    cl_env_set_limit(env, CL_LIMIT_LIST, 10);
    ck_assert_int_eq(cl_codes_generate(env, NULL, 11, collect, &l, &err), CL_ELIMIT);
    ck_assert_int_eq(cl_codes_generate(env, NULL, 10, collect, &l, &err), CL_OK);
    /* Zero codes is nothing at all. */
    free(l.p);
    l = (lines){NULL, 0, 0, -1};
    ck_assert_int_eq(cl_codes_generate(env, NULL, 0, collect, &l, &err), CL_OK);
    ck_assert_uint_eq(l.n, 0);
    /* A writer that fails: CL_EIO, at once or later. */
    cl_env_set_limit(env, CL_LIMIT_LIST, 1000000);
    l.fail_after = 0;
    ck_assert_int_eq(cl_codes_generate(env, NULL, 10, collect, &l, &err), CL_EIO);
    l.fail_after = 1;
    ck_assert_int_eq(cl_codes_generate(env, NULL, 100000, collect, &l, &err), CL_EIO);
    ck_assert_ptr_nonnull(strstr(err.message, "cannot write"));
    free(l.p);
    cl_env_free(env);
}
END_TEST

static Suite *codes_suite(void)
{
    Suite *s = suite_create("codes");
    TCase *tc = tcase_create("codes");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_shape_and_unique);
    tcase_add_test(tc, test_small_space);
    tcase_add_test(tc, test_check_odd);
    tcase_add_test(tc, test_check_even);
    tcase_add_test(tc, test_luhn_reference);
    tcase_add_test(tc, test_valid);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(codes_suite)
