/*
 * cmd_test.c - `couponc test`: coupon test files (SPEC section 7).
 *
 *   coupons: weekend.yaml            # or a list; paths relative to this file
 *   cases:
 *     - name: ...
 *       context: { ... }             # SPEC section 3
 *       expect:                      # per code; only the keys given are compared
 *         CODE: { applicable, discount, shipping_discount, reasons, lines }
 *       best: { coupons, discount, shipping_discount, subtotal, shipping, total,
 *               rejected }
 *       context_error: { code, line, column, message }     # extension
 *       eval_error: { code, line, column, message }        # extension
 *       best_error: { code, line, column, message }        # extension
 *   compile_errors:                  # extension: sources that must not compile
 *     - { name, source, error: { code, line, column, message, path } }
 *   limits: { steps: 100, depth: 8, ... }   # extension: the file runs under these
 *
 * Extensions (docs/testing.md): a reason in `reasons` may be a mapping
 * { code, line, message } (message: a substring); `rejected` lists codes that
 * must be among best's rejected ones; `context_error` and `compile_errors`
 * test error messages, `eval_error` and `best_error` the errors of
 * evaluating and choosing. A `context` given as text (a block scalar of
 * JSON) is parsed by cl_context_parse, as a caller's would be, rather than
 * read from the test file's tree. `limits` sets the file's environment
 * limits (SPEC section 8; names as in docs/robustness.md): its coupons,
 * compile errors and text contexts are compiled and parsed under them.
 * Prints one line per case and ends with "N passed, M failed".
 */
#include "couponc.h"

#include "context.h"
#include "yamldoc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct tester {
    const cl_env *env;
    const char *file;          /* the test file */
    const clY_doc *doc;
    cl_program *prog;
    cl_context *ctx;
    cl_vm *vm;
    cl_env *own_env;           /* the environment of a file with `limits` */
    const cl_env *saved_env;   /* what it replaced, with the context and vm */
    cl_context *saved_ctx;
    cl_vm *saved_vm;
    char why[4096];            /* what failed in the current case */
    size_t whylen;
    int passed, failed;
} tester;

static void note(tester *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(tester *t, const char *fmt, ...)
{
    if (t->whylen + 8 >= sizeof t->why)
        return;
    t->why[t->whylen++] = '\n';
    memcpy(t->why + t->whylen, "    ", 4);
    t->whylen += 4;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->why + t->whylen, sizeof t->why - t->whylen, fmt, ap);
    va_end(ap);
    if (k > 0)
        t->whylen += (size_t)k < sizeof t->why - t->whylen ? (size_t)k
                                                            : sizeof t->why - t->whylen - 1;
}

/* A malformed test file: report and give up on it. */
static int bad(tester *t, const clY_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(tester *t, const clY_node *n, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n != NULL)
        fprintf(stderr, "%s:%u:%u: error: %s\n", t->file, n->line, n->col, msg);
    else
        fprintf(stderr, "%s: error: %s\n", t->file, msg);
    return -1;
}

static bool keys_ok(tester *t, const clY_node *map, const char *const *keys, size_t n)
{
    if (map->kind != CLY_MAP) {
        bad(t, map, "expected a mapping");
        return false;
    }
    for (uint32_t i = 0; i < map->n; i++) {
        bool ok = false;
        for (size_t k = 0; k < n && !ok; k++)
            ok = strcmp(map->items[2 * i]->str, keys[k]) == 0;
        if (!ok) {
            bad(t, map->items[2 * i], "unknown key \"%s\"", map->items[2 * i]->str);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------
 * Comparisons
 * ------------------------------------------------------------------------ */

static void compare_amount(tester *t, const char *what, const clY_node *want, int64_t got,
                           const char *currency)
{
    int64_t w;
    char g[40];
    cl_amount_format(got, currency, g, sizeof g);
    if (want->kind != CLY_SCALAR ||
        cl_amount_parse(want->str, want->n, currency, &w) != CL_OK) {
        note(t, "%s: expected amount \"%s\" is not an amount of %s", what,
             want->kind == CLY_SCALAR ? want->str : "?", currency);
        return;
    }
    if (w != got)
        note(t, "%s: expected %s, got %s", what, want->str, g);
}

static void compare_bool(tester *t, const char *what, const clY_node *want, bool got)
{
    bool w = clY_plain_is(want, "true");
    if (!w && !clY_plain_is(want, "false"))
        note(t, "%s: expected true or false in the test", what);
    else if (w != got)
        note(t, "%s: expected %s, got %s", what, w ? "true" : "false", got ? "true" : "false");
}

/* Every listed reason must be among the outcome's reasons. */
static void compare_reasons(tester *t, const char *code, const clY_node *want,
                            const cl_result *r, size_t i)
{
    if (want->kind != CLY_SEQ) {
        note(t, "%s.reasons: expected a list in the test", code);
        return;
    }
    for (uint32_t k = 0; k < want->n; k++) {
        const clY_node *w = want->items[k];
        const clY_node *wc = w->kind == CLY_MAP ? clY_get(w, "code") : w;
        const clY_node *wm = w->kind == CLY_MAP ? clY_get(w, "message") : NULL;
        const clY_node *wl = w->kind == CLY_MAP ? clY_get(w, "line") : NULL;
        bool found = false;
        for (size_t j = 0; j < cl_result_reason_count(r, i) && !found; j++) {
            found = wc && wc->kind == CLY_SCALAR &&
                    strcmp(cl_reason_name(cl_result_reason(r, i, j)), wc->str) == 0 &&
                    (!wm || strstr(cl_result_reason_message(r, i, j), wm->str) != NULL) &&
                    (!wl || (unsigned)atoi(wl->str) == cl_result_reason_line(r, i, j));
        }
        if (found)
            continue;
        char got[512] = "";
        for (size_t j = 0; j < cl_result_reason_count(r, i); j++) {
            size_t len = strlen(got);
            snprintf(got + len, sizeof got - len, "%s%s (\"%s\", line %u)", j ? ", " : "",
                     cl_reason_name(cl_result_reason(r, i, j)), cl_result_reason_message(r, i, j),
                     cl_result_reason_line(r, i, j));
        }
        note(t, "%s.reasons: expected %s%s%s, got [%s]", code, wc ? wc->str : "?",
             wm ? " with message containing " : "", wm ? wm->str : "", got);
    }
}

static void compare_lines(tester *t, const char *code, const clY_node *want, const cl_result *r,
                          size_t i)
{
    if (want->kind != CLY_SEQ) {
        note(t, "%s.lines: expected a list in the test", code);
        return;
    }
    size_t n = cl_result_line_count(r, i);
    if (want->n != n) {
        note(t, "%s.lines: expected %u lines, got %zu", code, want->n, n);
        return;
    }
    for (uint32_t k = 0; k < want->n; k++) {
        size_t index;
        int64_t amount;
        cl_result_line(r, i, k, &index, &amount);
        const clY_node *wi = clY_get(want->items[k], "index");
        const clY_node *wd = clY_get(want->items[k], "discount");
        const clY_node *ws = clY_get(want->items[k], "sku");
        char what[128];
        snprintf(what, sizeof what, "%s.lines[%u]", code, k);
        if (wi && (size_t)strtoull(wi->str, NULL, 10) != index)
            note(t, "%s.index: expected %s, got %zu", what, wi->str, index);
        if (wd)
            compare_amount(t, what, wd, amount, cl_result_currency(r));
        if (ws && index < t->ctx->items.n && strcmp(ws->str, t->ctx->items.v[index].sku.p) != 0)
            note(t, "%s.sku: expected %s, got %s", what, ws->str, t->ctx->items.v[index].sku.p);
    }
}

static long find_outcome(const cl_result *r, const char *code)
{
    for (size_t i = 0; i < cl_result_count(r); i++)
        if (strcasecmp(cl_result_code(r, i), code) == 0)
            return (long)i;
    return -1;
}

static int compare_expect(tester *t, const clY_node *expect, const cl_result *r)
{
    static const char *const keys[] = {"applicable", "discount", "shipping_discount", "reasons",
                                       "lines"};
    if (expect->kind != CLY_MAP)
        return bad(t, expect, "expect: expected a mapping of codes");
    for (uint32_t k = 0; k < expect->n; k++) {
        const char *code = expect->items[2 * k]->str;
        const clY_node *w = expect->items[2 * k + 1];
        if (!keys_ok(t, w, keys, sizeof keys / sizeof *keys))
            return -1;
        long i = find_outcome(r, code);
        if (i < 0) {
            note(t, "%s: no such coupon", code);
            continue;
        }
        char what[160];
        const clY_node *v;
        if ((v = clY_get(w, "applicable")) != NULL) {
            snprintf(what, sizeof what, "%s.applicable", code);
            compare_bool(t, what, v, cl_result_applicable(r, (size_t)i));
        }
        if ((v = clY_get(w, "discount")) != NULL) {
            snprintf(what, sizeof what, "%s.discount", code);
            compare_amount(t, what, v, cl_result_discount(r, (size_t)i), cl_result_currency(r));
        }
        if ((v = clY_get(w, "shipping_discount")) != NULL) {
            snprintf(what, sizeof what, "%s.shipping_discount", code);
            compare_amount(t, what, v, cl_result_shipping_discount(r, (size_t)i),
                           cl_result_currency(r));
        }
        if ((v = clY_get(w, "reasons")) != NULL)
            compare_reasons(t, code, v, r, (size_t)i);
        if ((v = clY_get(w, "lines")) != NULL)
            compare_lines(t, code, v, r, (size_t)i);
    }
    return 0;
}

static void compare_codes(tester *t, const clY_node *want, const cl_result *r)
{
    char got[512] = "";
    size_t n = cl_result_count(r);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(got);
        snprintf(got + len, sizeof got - len, "%s%s", i ? ", " : "", cl_result_code(r, i));
    }
    bool same = want->kind == CLY_SEQ && want->n == n;
    for (size_t i = 0; same && i < n; i++)
        same = strcasecmp(want->items[i]->str, cl_result_code(r, i)) == 0;
    if (!same)
        note(t, "best.coupons: expected a different choice, got [%s]", got);
}

static int compare_best(tester *t, const clY_node *best, const cl_result *r)
{
    static const char *const keys[] = {"coupons", "discount", "shipping_discount", "subtotal",
                                       "shipping", "total", "rejected"};
    static const struct {
        const char *key;
        cl_total total;
    } amounts[] = {{"discount", CL_TOTAL_DISCOUNT}, {"shipping_discount", CL_TOTAL_SHIPPING_DISCOUNT},
                   {"subtotal", CL_TOTAL_SUBTOTAL}, {"shipping", CL_TOTAL_SHIPPING},
                   {"total", CL_TOTAL_TOTAL}};
    if (!keys_ok(t, best, keys, sizeof keys / sizeof *keys))
        return -1;
    const clY_node *v;
    if ((v = clY_get(best, "coupons")) != NULL)
        compare_codes(t, v, r);
    for (size_t k = 0; k < sizeof amounts / sizeof *amounts; k++) {
        char what[64];
        snprintf(what, sizeof what, "best.%s", amounts[k].key);
        if ((v = clY_get(best, amounts[k].key)) != NULL)
            compare_amount(t, what, v, cl_result_total(r, amounts[k].total),
                           cl_result_currency(r));
    }
    if ((v = clY_get(best, "rejected")) != NULL && v->kind == CLY_SEQ) {
        size_t first = cl_result_count(r), n = cl_result_rejected_count(r);
        for (uint32_t k = 0; k < v->n; k++) {
            bool found = false;
            for (size_t i = first; i < first + n && !found; i++)
                found = strcasecmp(cl_result_code(r, i), v->items[k]->str) == 0;
            if (!found)
                note(t, "best.rejected: %s is not rejected", v->items[k]->str);
        }
    }
    return 0;
}

/* Compares an error with its expectation { code, line, column, message, path }. */
static void compare_error(tester *t, const clY_node *want, const cl_error *err)
{
    const clY_node *v;
    if ((v = clY_get(want, "code")) != NULL && strcmp(v->str, cl_status_name(err->code)) != 0)
        note(t, "error code: expected %s, got %s (%s)", v->str, cl_status_name(err->code),
             err->message);
    if ((v = clY_get(want, "line")) != NULL && (unsigned)atoi(v->str) != err->line)
        note(t, "error line: expected %s, got %u (%s)", v->str, err->line, err->message);
    if ((v = clY_get(want, "column")) != NULL && (unsigned)atoi(v->str) != err->column)
        note(t, "error column: expected %s, got %u (%s)", v->str, err->column, err->message);
    if ((v = clY_get(want, "message")) != NULL && strstr(err->message, v->str) == NULL)
        note(t, "error message: expected to contain \"%s\", got \"%s\"", v->str, err->message);
    if ((v = clY_get(want, "path")) != NULL && strcmp(v->str, err->path) != 0)
        note(t, "error path: expected %s, got %s", v->str, err->path);
}

/* ------------------------------------------------------------------------
 * Running cases
 * ------------------------------------------------------------------------ */

static void report(tester *t, const char *name)
{
    if (t->whylen == 0) {
        t->passed++;
        printf("ok   %s: %s\n", t->file, name);
    } else {
        t->failed++;
        t->why[t->whylen] = '\0';
        printf("FAIL %s: %s%s\n", t->file, name, t->why);
    }
    t->whylen = 0;
}

/* Runs an evaluation that must fail as want describes. */
static void expect_failure(tester *t, const char *what, const clY_node *want, bool best)
{
    const cl_result *r;
    cl_error err;
    clE_clear(&err);
    int rc = best ? (int)cl_vm_best(t->vm, t->prog, t->ctx, &r, &err)
                  : (int)cl_vm_eval(t->vm, t->prog, t->ctx, 0, &r, &err);
    if (rc == CL_OK)
        note(t, "%s: expected an error, but it succeeded", what);
    else
        compare_error(t, want, &err);
}

static int run_case(tester *t, const clY_node *c, uint32_t index)
{
    static const char *const keys[] = {"name", "context", "expect", "best", "context_error",
                                       "eval_error", "best_error"};
    if (!keys_ok(t, c, keys, sizeof keys / sizeof *keys))
        return -1;
    const clY_node *name = clY_get(c, "name"), *context = clY_get(c, "context");
    char fallback[32];
    snprintf(fallback, sizeof fallback, "case %u", index + 1);
    const char *title = name && name->kind == CLY_SCALAR ? name->str : fallback;
    if (context == NULL)
        return bad(t, c, "a case needs a context");
    cl_error err;
    clE_clear(&err);
    int rc = context->kind == CLY_SCALAR
                 ? (int)cl_context_parse(t->ctx, context->str, context->n, &err)
                 : clX_from_node(t->ctx, t->doc, context, &err);
    const clY_node *cerr = clY_get(c, "context_error");
    if (cerr != NULL) {
        if (rc == CL_OK)
            note(t, "context: expected an error, but it parsed");
        else
            compare_error(t, cerr, &err);
        report(t, title);
        return 0;
    }
    if (rc != CL_OK) {
        note(t, "context:%u:%u: %s (at %s)", err.line, err.column, err.message, err.path);
        report(t, title);
        return 0;
    }
    const clY_node *expect = clY_get(c, "expect"), *best = clY_get(c, "best");
    const clY_node *eerr = clY_get(c, "eval_error"), *berr = clY_get(c, "best_error");
    if (eerr != NULL)
        expect_failure(t, "eval", eerr, false);
    if (berr != NULL)
        expect_failure(t, "best", berr, true);
    const cl_result *r;
    if (expect != NULL) {
        if (cl_vm_eval(t->vm, t->prog, t->ctx, 0, &r, &err) != CL_OK)
            note(t, "eval failed: %s", err.message);
        else if (compare_expect(t, expect, r) < 0)
            return -1;
    }
    if (best != NULL) {
        if (cl_vm_best(t->vm, t->prog, t->ctx, &r, &err) != CL_OK)
            note(t, "best failed: %s", err.message);
        else if (compare_best(t, best, r) < 0)
            return -1;
    }
    report(t, title);
    return 0;
}

/* compile_errors: each source must fail to compile as described. */
static int run_compile_errors(tester *t, const clY_node *list)
{
    static const char *const keys[] = {"name", "source", "error"};
    if (list->kind != CLY_SEQ)
        return bad(t, list, "compile_errors: expected a list");
    for (uint32_t i = 0; i < list->n; i++) {
        const clY_node *c = list->items[i];
        if (!keys_ok(t, c, keys, sizeof keys / sizeof *keys))
            return -1;
        const clY_node *name = clY_get(c, "name"), *src = clY_get(c, "source");
        const clY_node *want = clY_get(c, "error");
        if (src == NULL || src->kind != CLY_SCALAR || want == NULL || want->kind != CLY_MAP)
            return bad(t, c, "a compile error case needs source (text) and error (a mapping)");
        cl_error err;
        cl_program *p = cl_compile(t->env, src->str, src->n, "<source>", &err);
        if (p != NULL)
            note(t, "expected a compile error, but it compiled");
        else
            compare_error(t, want, &err);
        cl_program_free(p);
        char fallback[48];
        snprintf(fallback, sizeof fallback, "compile error %u", i + 1);
        report(t, name && name->kind == CLY_SCALAR ? name->str : fallback);
    }
    return 0;
}

/* Compiles the `coupons` of a test file, relative to its directory. */
static cl_program *load_coupons(tester *t, const clY_node *node)
{
    const clY_node *one = node;
    const clY_node *const *v = &one;
    size_t n = 1;
    if (node->kind == CLY_SEQ) {
        v = (const clY_node *const *)node->items;
        n = node->n;
    }
    char **paths = calloc(n ? n : 1, sizeof *paths);
    const char *slash = strrchr(t->file, '/');
    size_t dirlen = slash ? (size_t)(slash - t->file) + 1 : 0;
    bool ok = paths != NULL;
    for (size_t i = 0; i < n && ok; i++) {
        if (v[i]->kind != CLY_SCALAR) {
            bad(t, v[i], "coupons: expected file names");
            ok = false;
            break;
        }
        bool abs = v[i]->str[0] == '/';
        paths[i] = malloc(dirlen + v[i]->n + 1);
        if ((ok = paths[i] != NULL)) {
            memcpy(paths[i], t->file, abs ? 0 : dirlen);
            memcpy(paths[i] + (abs ? 0 : dirlen), v[i]->str, v[i]->n + 1);
        }
    }
    cl_program *p = ok && n > 0 ? cc_load_programs(t->env, paths, (int)n) : NULL;
    for (size_t i = 0; paths && i < n; i++)
        free(paths[i]);
    free(paths);
    return p;
}

/* `limits: { steps: 100, ... }`: a new environment with those limits, and a
 * context and a vm made from it, replace the tester's for this file. */
static int apply_limits(tester *t, const clY_node *limits)
{
    static const char *const names[CL_LIMIT_COUNT] = {
        [CL_LIMIT_INPUT_BYTES] = "input_bytes", [CL_LIMIT_DEPTH] = "depth",
        [CL_LIMIT_COUPONS] = "coupons", [CL_LIMIT_LIST] = "list", [CL_LIMIT_STRING] = "string",
        [CL_LIMIT_REGEX_LENGTH] = "regex_length", [CL_LIMIT_ALIASES] = "aliases",
        [CL_LIMIT_NODES] = "nodes", [CL_LIMIT_MATCH] = "match",
        [CL_LIMIT_MATCH_DEPTH] = "match_depth", [CL_LIMIT_STEPS] = "steps",
        [CL_LIMIT_ITEMS] = "items",
    };
    if (limits->kind != CLY_MAP)
        return bad(t, limits, "limits: expected a mapping such as { steps: 100 }");
    cl_env *env = cl_env_new(NULL, NULL);
    if (env == NULL)
        return bad(t, limits, "out of memory");
    for (uint32_t i = 0; i < limits->n; i++) {
        const clY_node *k = limits->items[2 * i], *v = limits->items[2 * i + 1];
        int which = -1;
        for (int l = 0; l < CL_LIMIT_COUNT && which < 0; l++)
            if (strcmp(k->str, names[l]) == 0)
                which = l;
        char *end = NULL;
        unsigned long long x = v->kind == CLY_SCALAR ? strtoull(v->str, &end, 10) : 0;
        if (which < 0 || end == v->str || (end && *end != '\0') ||
            cl_env_set_limit(env, (cl_limit)which, x) != CL_OK) {
            cl_env_free(env);
            return bad(t, k, "limits: bad limit %s", k->str);
        }
    }
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    if (ctx == NULL || vm == NULL) {
        cl_context_free(ctx);
        cl_vm_free(vm);
        cl_env_free(env);
        return bad(t, limits, "out of memory");
    }
    t->own_env = env;
    t->saved_env = t->env;
    t->saved_ctx = t->ctx;
    t->saved_vm = t->vm;
    t->env = env;
    t->ctx = ctx;
    t->vm = vm;
    return 0;
}

/* Puts back the tester's own environment after a file with `limits`. */
static void restore_limits(tester *t)
{
    if (t->own_env == NULL)
        return;
    cl_context_free(t->ctx);
    cl_vm_free(t->vm);
    cl_env_free(t->own_env);
    t->env = t->saved_env;
    t->ctx = t->saved_ctx;
    t->vm = t->saved_vm;
    t->own_env = NULL;
}

static int run_file(tester *t)
{
    static const char *const keys[] = {"coupons", "cases", "compile_errors", "limits"};
    size_t len;
    char *src = cc_read_file(t->file, &len);
    if (src == NULL)
        return -1;
    clY_doc doc;
    cl_error err;
    clE_clear(&err);
    clE_source(&err, t->file);
    int rc = clY_load(t->env, src, len, &doc, &err);
    t->doc = &doc;
    if (rc != CL_OK) {
        cc_print_error(&err, src, len);
        rc = -1;
    } else if (doc.nroots != 1) {
        rc = bad(t, NULL, "expected one YAML document");
    } else if (!keys_ok(t, doc.roots[0], keys, sizeof keys / sizeof *keys)) {
        rc = -1;
    }
    const clY_node *root = rc == CL_OK ? doc.roots[0] : NULL;
    const clY_node *coupons = root ? clY_get(root, "coupons") : NULL;
    const clY_node *cases = root ? clY_get(root, "cases") : NULL;
    const clY_node *errors = root ? clY_get(root, "compile_errors") : NULL;
    const clY_node *limits = root ? clY_get(root, "limits") : NULL;
    if (rc == CL_OK && limits != NULL)
        rc = apply_limits(t, limits);
    if (rc == CL_OK && errors != NULL)
        rc = run_compile_errors(t, errors);
    if (rc == CL_OK && cases != NULL && coupons == NULL)
        rc = bad(t, root, "cases need coupons");
    if (rc == CL_OK && coupons != NULL && (t->prog = load_coupons(t, coupons)) == NULL)
        rc = -1;
    if (rc == CL_OK && cases != NULL && cases->kind != CLY_SEQ)
        rc = bad(t, cases, "cases: expected a list");
    for (uint32_t i = 0; rc == CL_OK && cases != NULL && i < cases->n; i++)
        rc = run_case(t, cases->items[i], i);
    cl_program_free(t->prog);
    t->prog = NULL;
    restore_limits(t);
    clY_free(&doc);
    free(src);
    return rc;
}

int cc_cmd_test(const cl_env *env, int argc, char **argv)
{
    if (argc < 1) {
        fprintf(stderr, "usage: couponc test FILE.test.yaml...\n");
        return EXIT_USAGE;
    }
    tester t = {.env = env};
    t.ctx = cl_context_new(env);
    t.vm = cl_vm_new(env);
    if (t.ctx == NULL || t.vm == NULL) {
        fprintf(stderr, "couponc: out of memory\n");
        cl_context_free(t.ctx);
        cl_vm_free(t.vm);
        return EXIT_USAGE;
    }
    int broken = 0;
    for (int i = 0; i < argc; i++) {
        t.file = argv[i];
        if (run_file(&t) != 0) {
            broken++;
            t.failed++;
            printf("FAIL %s: the test file could not be run\n", t.file);
        }
    }
    printf("%d passed, %d failed\n", t.passed, t.failed);
    cl_context_free(t.ctx);
    cl_vm_free(t.vm);
    return broken ? EXIT_USAGE : t.failed ? EXIT_FAILED : EXIT_OK;
}
