/*
 * test_messages.c - every error message the loader can produce is exercised
 * by at least one compile_errors case of the project's couponc test files.
 *
 * The test reads the loader's sources (load.c, load_cond.c,
 * load_discount.c, build.c, yamldoc.c) and collects the format string of
 * every clL_fail(), clE_set() and fail() call, with the function it is in.
 * It compiles the source of every compile_errors case of tests/cases/ and
 * keeps the messages. Each format string must match one of those messages,
 * its conversions (%s, %llu, ...) standing for any text. Messages of the
 * time conditions, zones and calendars belong to the time tests (test_tz.c
 * and their case files); a few messages cannot be reached through a compile
 * (they guard limits another check enforces first, or an allocation): both
 * lists are below, each with its reason, and the test fails when an entry of
 * them no longer exists, so they cannot go stale.
 */
#include "core.h"
#include "yamldoc.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>

/* ------------------------------------------------------------------------
 * Format strings in the sources
 * ------------------------------------------------------------------------ */

typedef struct fmt {
    char text[512];       /* the format, C escapes undone */
    char func[64];        /* the function it is in */
    char file[32];
    int line;
} fmt;

static fmt fmts[600];
static size_t nfmts;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Reads adjacent string literals at *p (after blanks) into out. */
static bool literals(const char **p, char *out, size_t size)
{
    const char *s = *p;
    size_t k = 0;
    bool any = false;
    for (;;) {
        while (*s == ' ' || *s == '\n' || *s == '\t')
            s++;
        if (*s != '"')
            break;
        any = true;
        for (s++; *s && *s != '"'; s++) {
            char c = *s;
            if (c == '\\') {
                s++;
                c = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
            }
            if (k + 1 < size)
                out[k++] = c;
        }
        if (*s == '"')
            s++;
    }
    out[k] = '\0';
    *p = s;
    return any;
}

/* The name of the function whose body contains position at of text. */
static void enclosing(const char *text, const char *at, char *out, size_t size)
{
    snprintf(out, size, "?");
    for (const char *l = at; l > text; l--) {
        if (l[-1] != '\n')
            continue;
        /* a definition starts at column 0 with a type and has '(' on its line */
        if ((*l >= 'a' && *l <= 'z') && strncmp(l, "static const", 12) != 0) {
            const char *paren = strchr(l, '(');
            const char *nl = strchr(l, '\n');
            if (paren != NULL && (nl == NULL || paren < nl)) {
                const char *e = paren;
                const char *b = e;
                while (b > l && (b[-1] == '_' || (b[-1] >= 'a' && b[-1] <= 'z') ||
                                 (b[-1] >= 'A' && b[-1] <= 'Z') || (b[-1] >= '0' && b[-1] <= '9')))
                    b--;
                snprintf(out, size, "%.*s", (int)(e - b), b);
                return;
            }
        }
    }
}

static void collect(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/src/%s", TEST_SRCDIR, file);
    size_t len;
    char *text = slurp(path, &len);
    static const char *const calls[] = {"clL_fail(", "clE_set(", "fail(b, ", "fail(&b, "};
    for (size_t c = 0; c < CL_COUNTOF(calls); c++) {
        for (const char *p = text; (p = strstr(p, calls[c])) != NULL; p++) {
            if (c == 0 && p > text && (p[-1] == '_' || p[-1] == 't'))
                continue; /* "int clL_fail(" is the definition */
            /* the format is the first run of literals among the arguments */
            const char *q = p + strlen(calls[c]);
            int depth = 0;
            char buf[512];
            bool found = false;
            for (; *q && !(depth == 0 && *q == ')'); q++) {
                if (*q == '(')
                    depth++;
                else if (*q == ')')
                    depth--;
                else if (*q == '"' && depth == 0) {
                    found = literals(&q, buf, sizeof buf);
                    break;
                } else if (*q == '"') {
                    /* a literal inside a nested call (clY_get(node, "key")): skip it */
                    for (q++; *q && *q != '"'; q++)
                        q += *q == '\\';
                }
            }
            /* a bare "%s" passes a message made elsewhere through */
            if (!found || strcmp(buf, "%s") == 0)
                continue;
            ck_assert_uint_lt(nfmts, CL_COUNTOF(fmts));
            fmt *f = &fmts[nfmts++];
            snprintf(f->text, sizeof f->text, "%s", buf);
            enclosing(text, p, f->func, sizeof f->func);
            snprintf(f->file, sizeof f->file, "%s", file);
            f->line = 1;
            for (const char *x = text; x < p; x++)
                f->line += *x == '\n';
        }
    }
    free(text);
}

/* ------------------------------------------------------------------------
 * Matching a format against a message
 * ------------------------------------------------------------------------ */

/* Skips one printf conversion at f (just after '%'); returns past it. */
static const char *conversion(const char *f)
{
    while (*f && strchr("-+ #0", *f))
        f++;
    while (*f && (strchr("0123456789*", *f)))
        f++;
    if (*f == '.') {
        f++;
        while (*f && strchr("0123456789*", *f))
            f++;
    }
    while (*f && strchr("hlzjtL", *f))
        f++;
    return *f ? f + 1 : f;
}

/* Whether message m matches format f (conversions match any text). */
static bool matches(const char *f, const char *m)
{
    while (*f) {
        if (f[0] == '%' && f[1] == '%') {
            if (*m != '%')
                return false;
            f += 2;
            m++;
            continue;
        }
        if (*f == '%') {
            const char *rest = conversion(f + 1);
            for (const char *t = m;; t++) {
                if (matches(rest, t))
                    return true;
                if (*t == '\0')
                    return false;
            }
        }
        if (*f != *m)
            return false;
        f++;
        m++;
    }
    return *m == '\0';
}

/* ------------------------------------------------------------------------
 * Messages the compile_errors cases produce
 * ------------------------------------------------------------------------ */

static char *messages[2000];
static size_t nmessages;

static void run_cases(const cl_env *env, const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    clY_doc doc;
    cl_error err;
    ck_assert_msg(clY_load(env, text, len, &doc, &err) == CL_OK, "%s: %s", path, err.message);
    const clY_node *list = doc.nroots == 1 ? clY_get(doc.roots[0], "compile_errors") : NULL;
    for (uint32_t i = 0; list != NULL && list->kind == CLY_SEQ && i < list->n; i++) {
        const clY_node *src = clY_get(list->items[i], "source");
        if (src == NULL || src->kind != CLY_SCALAR)
            continue;
        cl_program *p = cl_compile(env, src->str, src->n, "<source>", &err);
        ck_assert_msg(p == NULL, "%s: compile_errors case %u compiles", path, i + 1);
        ck_assert_uint_lt(nmessages, CL_COUNTOF(messages));
        size_t n = strlen(err.message);
        messages[nmessages] = malloc(n + 1);
        memcpy(messages[nmessages++], err.message, n + 1);
    }
    clY_free(&doc);
    free(text);
}

/* ------------------------------------------------------------------------
 * What is not covered here, and why
 * ------------------------------------------------------------------------ */

/* Messages no compile can produce, with the reason. */
static const struct {
    const char *text;
    const char *why;
} unreachable[] = {
    {"out of memory", "allocation failures: tests/unit/test_oom.c sweeps them"},
    {"out of memory in the YAML parser", "allocation failures in libyaml, which has no hook"},
    {"list longer than the limit", "yamldoc refuses a list over CL_LIMIT_LIST first"},
    {"more than %d tests on one value", "a predicate mapping has at most 11 distinct keys"},
    {"unknown condition \"%s\"", "clL_check_keys refuses an unknown key first"},
    {"conditions nested deeper than %llu levels",
     "each level of conditions is a YAML level too: yamldoc's depth limit comes first"},
    {"too many strings in one file", "needs over 4 GiB of strings, past CL_LIMIT_INPUT_BYTES"},
    {"too many numbers in one file", "needs 2^32 numbers, past CL_LIMIT_INPUT_BYTES"},
    {"too much code in one file", "needs 2^32 instructions, past CL_LIMIT_INPUT_BYTES"},
    {"cl_compile needs an env and a source", "an API misuse, tested in test_compile.c"},
    {"cl_compile_file needs an env and a path", "an API misuse, tested in test_compile.c"},
    {"cannot open %s: %s", "cl_compile_file's I/O, tested in test_compile.c"},
    {"cannot read %s", "a read error of an open file (test_compile.c opens a directory)"},
    {"%s is larger than the limit of %llu bytes", "cl_compile_file, tested in test_compile.c"},
    {"conditions nested too deeply", "the loader's depth limit comes first"},
    /* limits that a test file cannot cross with couponc's default env (the
     * file itself would cross them first): the unit tests set small limits */
    {"document has more than %llu nodes", "4000000 nodes: test_yamldoc.c, with a small limit"},
    {"more than %llu entries in one %s", "2000000 entries: test_yamldoc.c, with a small limit"},
    {"text of %zu bytes exceeds the limit of %llu", "64 KiB of text would be the test file's "
     "own scalar: test_yamldoc.c and test_load.c, with a small limit"},
    {"input of %zu bytes exceeds the limit of %llu", "16 MiB: test_yamldoc.c, with a small limit"},
    {"more than %llu coupons", "100000 coupons: test_load.c, with a small limit"},
    /* the shipped calendars are the project's own data, compiled into the
     * library: tests/time/holidays.test.yaml and test_tz.c load each one */
    {"not one YAML document", "a broken shipped calendar"},
    {"its `calendar` is not \"%s\"", "a broken shipped calendar"},
    {"no days", "a broken shipped calendar"},
    {"shipped calendar %s is broken: line %u: %s", "a broken shipped calendar"},
};

START_TEST(test_every_message_is_exercised)
{
    static const char *const files[] = {"load.c",  "load_cond.c", "load_discount.c", "load_cal.c",
                                        "build.c", "yamldoc.c",   "compile.c"};
    for (size_t i = 0; i < CL_COUNTOF(files); i++)
        collect(files[i]);
    ck_assert_uint_gt(nfmts, 100);
    cl_env *env = cl_env_new(NULL, NULL);
    static const char *const dirs[] = {"tests/cases", "tests/time"};
    for (size_t k = 0; k < CL_COUNTOF(dirs); k++) {
        char dir[512];
        snprintf(dir, sizeof dir, "%s/%s", TEST_SRCDIR, dirs[k]);
        DIR *d = opendir(dir);
        ck_assert_ptr_nonnull(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n > 10 && strcmp(e->d_name + n - 10, ".test.yaml") == 0) {
                char path[1024];
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                run_cases(env, path);
            }
        }
        closedir(d);
    }
    ck_assert_uint_gt(nmessages, 50);
    size_t missing = 0, skipped = 0;
    bool used[CL_COUNTOF(unreachable)] = {false};
    for (size_t i = 0; i < nfmts; i++) {
        const fmt *f = &fmts[i];
        bool skip = false;
        for (size_t k = 0; k < CL_COUNTOF(unreachable) && !skip; k++)
            if (strcmp(f->text, unreachable[k].text) == 0)
                skip = used[k] = true;
        if (skip) {
            skipped++;
            continue;
        }
        bool hit = false;
        for (size_t m = 0; m < nmessages && !hit; m++)
            hit = matches(f->text, messages[m]);
        if (!hit) {
            if (missing++ == 0)
                fprintf(stderr, "loader messages exercised by no compile_errors case:\n");
            fprintf(stderr, "  %s:%d (%s): \"%s\"\n", f->file, f->line, f->func, f->text);
        }
    }
    for (size_t k = 0; k < CL_COUNTOF(unreachable); k++)
        ck_assert_msg(used[k], "stale entry of the unreachable list: \"%s\"", unreachable[k].text);
    for (size_t m = 0; m < nmessages; m++)
        free(messages[m]);
    cl_env_free(env);
    ck_assert_msg(missing == 0, "%zu of %zu loader messages (%zu "
                  "unreachable) are exercised by no compile_errors case (listed on stderr)",
                  missing, nfmts, skipped);
}
END_TEST

/* The matcher itself. */
START_TEST(test_matcher)
{
    ck_assert(matches("unknown key \"%s\"", "unknown key \"amout\""));
    ck_assert(matches("a %s b %llu c", "a xx b 12 c"));
    ck_assert(matches("%s", ""));
    ck_assert(matches("100%% %d", "100% 7"));
    ck_assert(matches("\"%.*s\" is", "\"abc\" is"));
    ck_assert(!matches("unknown key \"%s\"", "unknown key \"amout\"; did you mean"));
    ck_assert(!matches("abc", "abd"));
    ck_assert_str_eq(conversion("zu rest"), " rest");
    ck_assert_str_eq(conversion("-08.3lld!"), "!");
}
END_TEST

static Suite *messages_suite(void)
{
    const test_entry tests[] = {
        {"messages", test_matcher},
        {"messages", test_every_message_is_exercised},
    };
    return test_suite("messages", tests, CL_COUNTOF(tests), 120);
}

TEST_MAIN(messages_suite)
