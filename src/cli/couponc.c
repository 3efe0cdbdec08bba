/*
 * couponc.c - the couponlib command line (SPEC section 7).
 *
 *   couponc check FILE...
 *   couponc eval  --context CTX.json [--entered] FILE...
 *   couponc best  --context CTX.json [--indexed] FILE...
 *   couponc test  FILE.test.yaml...
 *   couponc disasm FILE...
 *   couponc compile FILE... -o OUT
 *   couponc gen-codes --count N [--length L] [--prefix P] [--alphabet A] [--check]
 *   couponc bench [--quick] [NAME...]
 *   couponc simulate --orders ORDERS.jsonl [--best|--both] [--json] [--threads N] FILE...
 *   couponc simulate --synthesize N [--seed S] [--out FILE]
 *
 * Wherever a coupon file is accepted, a program saved by `couponc compile`
 * is accepted too, and a directory stands for its coupon files (*.yaml,
 * *.yml, *.clp, in name order); several are linked into one catalog.
 *
 * All JSON goes to standard output, diagnostics to standard error. Exit
 * status: 0 success, 1 a check or test failed, 2 bad usage or unreadable
 * input.
 */
#include "couponc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: couponc <command> [options] FILE...\n"
    "\n"
    "commands:\n"
    "  check FILE...                          compile; report errors as FILE:LINE:COL\n"
    "  eval --context CTX.json [--entered] FILE...\n"
    "                                         evaluate every coupon (JSON array)\n"
    "  best --context CTX.json [--indexed] FILE...\n"
    "                                         choose the best combination (JSON object);\n"
    "                                         --indexed skips automatic coupons the catalog\n"
    "                                         index rules out (not listed in rejected)\n"
    "  test FILE.test.yaml...                 run coupon test files\n"
    "  disasm FILE...                         list the compiled bytecode\n"
    "  compile FILE... -o OUT                 save the compiled (linked) program\n"
    "  gen-codes --count N [--length L] [--prefix P] [--alphabet A] [--check]\n"
    "                                         unique random codes, one per line\n"
    "  bench [--quick] [NAME...]              built-in micro benchmarks (medians)\n"
    "  simulate --orders ORDERS.jsonl [--best|--both] [--json] [--threads N] FILE...\n"
    "                                         what the coupons would have cost over past\n"
    "                                         orders (couponc simulate --help)\n"
    "  simulate --synthesize N [--seed S] [--out FILE]\n"
    "                                         synthetic order history, one context a line\n"
    "\n"
    "  --context - reads the context from standard input.\n"
    "  --format text prints eval and best for people instead of JSON.\n"
    "  couponc --version prints the version.\n";

/* ------------------------------------------------------------------------
 * Shared helpers
 * ------------------------------------------------------------------------ */

char *cc_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "couponc: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n + 1 >= cap) {
            char *nb = cap < ((size_t)1 << 30) ? realloc(buf, cap * 2) : NULL;
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                fprintf(stderr, "couponc: %s is too large\n", path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0)
            break;
    }
    if (buf != NULL && ferror(f)) {
        fprintf(stderr, "couponc: cannot read %s\n", path);
        free(buf);
        buf = NULL;
    }
    if (f != stdin)
        fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

void cc_print_error(const cl_error *err, const char *src, size_t len)
{
    char buf[4096];
    cl_error_format(err, src, len, buf, sizeof buf);
    fprintf(stderr, "%s\n", buf);
    if (err->path[0])
        fprintf(stderr, "      = at %s\n", err->path);
}

int cc_write_file(void *ud, const char *buf, size_t len)
{
    return fwrite(buf, 1, len, ud) == len ? 0 : -1;
}

/* Compiles one coupon file, or loads a saved program (couponc compile -o),
 * printing its error with the source line. */
static cl_program *compile_one(const cl_env *env, const char *path)
{
    size_t len;
    char *src = cc_read_file(path, &len);
    if (src == NULL)
        return NULL;
    cl_error err;
    cl_program *p;
    if (cl_program_is_saved(src, len)) {
        p = cl_program_load(env, src, len, &err);
        if (p == NULL) {
            snprintf(err.source, sizeof err.source, "%s", path);
            cc_print_error(&err, NULL, 0);
        }
    } else {
        p = cl_compile(env, src, len, path, &err);
        if (p == NULL)
            cc_print_error(&err, src, len);
    }
    free(src);
    return p;
}

/* A growable list of paths (owned strings). */
typedef struct paths {
    char **v;
    size_t n, cap;
} paths;

static bool paths_add(paths *p, const char *s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char **v = realloc(p->v, cap * sizeof *v);
        if (v == NULL)
            return false;
        p->v = v;
        p->cap = cap;
    }
    return (p->v[p->n] = strdup(s)) != NULL && ++p->n;
}

static void paths_free(paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool coupon_file_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' &&
           ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
            (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
            (n > 4 && strcmp(name + n - 4, ".clp") == 0));
}

/* A directory's coupon files (*.yaml, *.yml, saved *.clp; not .test.yaml),
 * in name order, added to out. */
static bool add_directory(paths *out, const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "couponc: cannot open %s: %s\n", dir, strerror(errno));
        return false;
    }
    size_t first = out->n;
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (!coupon_file_name(e->d_name) || (n > 10 && strcmp(e->d_name + n - 10, ".test.yaml") == 0))
            continue;
        size_t len = strlen(dir) + n + 2;
        char *path = malloc(len);
        ok = path != NULL;
        if (ok) {
            snprintf(path, len, "%s/%s", dir, e->d_name);
            ok = paths_add(out, path);
            free(path);
        }
    }
    closedir(d);
    if (!ok)
        fprintf(stderr, "couponc: out of memory\n");
    else if (out->n == first)
        fprintf(stderr, "couponc: %s holds no coupon files (*.yaml, *.yml, *.clp)\n", dir);
    qsort(out->v + first, out->n - first, sizeof *out->v, cmp_path);
    return ok && out->n > first;
}

/* The paths of the arguments, directories expanded; false after printing
 * why (an unreadable directory, or memory). */
static bool expand(char **files, int n, paths *out)
{
    for (int i = 0; i < n; i++) {
        struct stat st;
        bool dir = strcmp(files[i], "-") != 0 && stat(files[i], &st) == 0 && S_ISDIR(st.st_mode);
        if (dir ? !add_directory(out, files[i]) : !paths_add(out, files[i]))
            return false;
    }
    return true;
}

/* Compiles (or loads) every file, a directory standing for its coupon
 * files, and links them into one program; NULL after printing why. */
cl_program *cc_load_programs(const cl_env *env, char **files, int n)
{
    paths all = {NULL, 0, 0};
    bool ok = expand(files, n, &all);
    cl_program *prog = NULL;
    if (ok && all.n == 1) {
        prog = compile_one(env, all.v[0]);
    } else if (ok) {
        cl_program **progs = calloc(all.n, sizeof *progs);
        ok = progs != NULL;
        for (size_t i = 0; i < all.n && ok; i++)
            ok = (progs[i] = compile_one(env, all.v[i])) != NULL;
        if (ok) {
            cl_error err;
            prog = cl_program_link(env, (const cl_program *const *)progs, all.n, &err);
            if (prog == NULL)
                cc_print_error(&err, NULL, 0);
        }
        for (size_t i = 0; progs != NULL && i < all.n; i++)
            cl_program_free(progs[i]);
        free(progs);
    }
    paths_free(&all);
    return prog;
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

/* couponc check FILE...: each file compiled (or loaded) and reported; when
 * they all compile, linked too, so that a code two files define is found. */
static int cmd_check(const cl_env *env, int argc, char **argv)
{
    if (argc < 1) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    paths all = {NULL, 0, 0};
    if (!expand(argv, argc, &all)) {
        paths_free(&all);
        return EXIT_USAGE;
    }
    int status = EXIT_OK;
    cl_program **progs = calloc(all.n ? all.n : 1, sizeof *progs);
    for (size_t i = 0; progs != NULL && i < all.n; i++) {
        size_t len;
        char *src = cc_read_file(all.v[i], &len);
        if (src == NULL) {
            status = EXIT_USAGE;
            continue;
        }
        cl_error err;
        bool saved = cl_program_is_saved(src, len);
        cl_program *p = saved ? cl_program_load(env, src, len, &err)
                              : cl_compile(env, src, len, all.v[i], &err);
        if (p == NULL) {
            if (saved)
                snprintf(err.source, sizeof err.source, "%s", all.v[i]);
            cc_print_error(&err, saved ? NULL : src, len);
            if (status == EXIT_OK)
                status = EXIT_FAILED;
        } else {
            printf("%s: ok, %zu coupon%s\n", all.v[i], cl_program_count(p),
                   cl_program_count(p) == 1 ? "" : "s");
        }
        progs[i] = p;
        free(src);
    }
    if (progs != NULL && status == EXIT_OK && all.n > 1) {
        cl_error err;
        cl_program *linked = cl_program_link(env, (const cl_program *const *)progs, all.n, &err);
        if (linked == NULL) {
            cc_print_error(&err, NULL, 0);
            status = EXIT_FAILED;
        }
        cl_program_free(linked);
    }
    for (size_t i = 0; progs != NULL && i < all.n; i++)
        cl_program_free(progs[i]);
    if (progs == NULL) {
        fprintf(stderr, "couponc: out of memory\n");
        status = EXIT_USAGE;
    }
    free(progs);
    paths_free(&all);
    return status;
}

/* Parses --context, --entered and --format; returns the index of the first
 * file or -1 after printing usage. */
static int eval_options(int argc, char **argv, const char **context, bool *entered,
                        bool allow_entered, bool *text, bool *indexed)
{
    int i = 0;
    *context = NULL;
    *entered = false;
    *text = false;
    *indexed = false;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--context") == 0 && i + 1 < argc)
            *context = argv[++i];
        else if (strncmp(argv[i], "--context=", 10) == 0)
            *context = argv[i] + 10;
        else if (allow_entered && strcmp(argv[i], "--entered") == 0)
            *entered = true;
        else if (!allow_entered && strcmp(argv[i], "--indexed") == 0)
            *indexed = true;
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "text") == 0 || strcmp(argv[i + 1], "json") == 0))
            *text = strcmp(argv[++i], "text") == 0;
        else {
            fprintf(stderr, "couponc: unknown option %s\n", argv[i]);
            return -1;
        }
    }
    if (*context == NULL || i >= argc) {
        fputs(usage, stderr);
        return -1;
    }
    return i;
}

/* One outcome for people: code, verdict, amounts, and every reason. */
static void text_outcome(const cl_program *prog, const cl_result *r, size_t i)
{
    char d[40], s[40];
    const char *cur = cl_result_currency(r);
    long c = cl_result_coupon(r, i);
    const char *name = c >= 0 ? cl_program_name(prog, (size_t)c) : "";
    cl_amount_format(cl_result_discount(r, i), cur, d, sizeof d);
    cl_amount_format(cl_result_shipping_discount(r, i), cur, s, sizeof s);
    if (cl_result_applicable(r, i)) {
        printf("  %-14s applies   -%s%s%s%s  %s\n", cl_result_code(r, i), d,
               cl_result_shipping_discount(r, i) ? " (shipping -" : "",
               cl_result_shipping_discount(r, i) ? s : "",
               cl_result_shipping_discount(r, i) ? ")" : "", name);
        return;
    }
    printf("  %-14s does not apply%s%s\n", cl_result_code(r, i), name[0] ? ": " : "", name);
    for (size_t k = 0; k < cl_result_reason_count(r, i); k++) {
        unsigned line = cl_result_reason_line(r, i, k);
        printf("      - %s: %s", cl_reason_name(cl_result_reason(r, i, k)),
               cl_result_reason_message(r, i, k));
        if (line)
            printf(" (line %u)", line);
        printf("\n");
    }
}

static void text_result(const cl_program *prog, const cl_result *r, bool best)
{
    const char *cur = cl_result_currency(r);
    char a[40], b[40], c[40], d[40], e[40];
    if (!best) {
        for (size_t i = 0; i < cl_result_count(r); i++)
            text_outcome(prog, r, i);
        return;
    }
    cl_amount_format(cl_result_total(r, CL_TOTAL_SUBTOTAL), cur, a, sizeof a);
    cl_amount_format(cl_result_total(r, CL_TOTAL_SHIPPING), cur, b, sizeof b);
    cl_amount_format(cl_result_total(r, CL_TOTAL_DISCOUNT), cur, c, sizeof c);
    cl_amount_format(cl_result_total(r, CL_TOTAL_SHIPPING_DISCOUNT), cur, d, sizeof d);
    cl_amount_format(cl_result_total(r, CL_TOTAL_TOTAL), cur, e, sizeof e);
    printf("  best combination:");
    for (size_t i = 0; i < cl_result_count(r); i++)
        printf("%s%s", i ? " + " : " ", cl_result_code(r, i));
    if (cl_result_count(r) == 0)
        printf(" none");
    printf("\n  subtotal %s, shipping %s, discount -%s, shipping discount -%s, total %s %s\n",
           a, b, c, d, e, cur);
    for (size_t i = 0; i < cl_result_count(r); i++)
        text_outcome(prog, r, i);
    size_t n = cl_result_count(r), m = cl_result_rejected_count(r);
    if (m)
        printf("  not used:\n");
    for (size_t i = n; i < n + m; i++)
        text_outcome(prog, r, i);
}

static int cmd_eval(const cl_env *env, int argc, char **argv, bool best)
{
    const char *ctx_path;
    bool entered, as_text, indexed;
    int first = eval_options(argc, argv, &ctx_path, &entered, !best, &as_text, &indexed);
    if (first < 0)
        return EXIT_USAGE;
    size_t len;
    char *text = cc_read_file(ctx_path, &len);
    if (text == NULL)
        return EXIT_USAGE;
    int status = EXIT_USAGE;
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    cl_program *prog = NULL;
    cl_error err;
    if (ctx == NULL || vm == NULL) {
        fprintf(stderr, "couponc: out of memory\n");
        goto done;
    }
    if (cl_context_parse(ctx, text, len, &err) != CL_OK) {
        strcpy(err.source, strcmp(ctx_path, "-") == 0 ? "<stdin>" : ctx_path);
        cc_print_error(&err, text, len);
        goto done;
    }
    if ((prog = cc_load_programs(env, argv + first, argc - first)) == NULL)
        goto done;
    const cl_result *res;
    cl_status rc = best ? cl_vm_best_flags(vm, prog, ctx, indexed ? CL_BEST_INDEXED : 0, &res,
                                           &err)
                        : cl_vm_eval(vm, prog, ctx, entered ? CL_EVAL_ENTERED : 0, &res, &err);
    if (rc != CL_OK) {
        cc_print_error(&err, NULL, 0);
        goto done;
    }
    if (as_text)
        text_result(prog, res, best);
    else
        cl_result_write_json(res, cc_write_file, stdout);
    status = EXIT_OK;
done:
    cl_program_free(prog);
    cl_vm_free(vm);
    cl_context_free(ctx);
    free(text);
    return status;
}

/* couponc compile FILE... -o OUT: the linked program, saved. */
static int cmd_compile(const cl_env *env, int argc, char **argv)
{
    const char *out = NULL;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int n = 0;
    if (files == NULL)
        return EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strncmp(argv[i], "--output=", 9) == 0)
            out = argv[i] + 9;
        else
            files[n++] = argv[i];
    }
    if (out == NULL || n == 0) {
        free(files);
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    cl_program *p = cc_load_programs(env, files, n);
    free(files);
    if (p == NULL)
        return EXIT_FAILED;
    FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "wb");
    if (f == NULL) {
        fprintf(stderr, "couponc: cannot create %s: %s\n", out, strerror(errno));
        cl_program_free(p);
        return EXIT_USAGE;
    }
    cl_status rc = cl_program_save(p, cc_write_file, f);
    int closed = f == stdout ? fflush(f) : fclose(f);
    cl_program_free(p);
    if (rc != CL_OK || closed != 0) {
        fprintf(stderr, "couponc: cannot write %s: %s\n", out, cl_strerror(rc ? rc : CL_EIO));
        if (f != stdout)
            remove(out);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* couponc gen-codes --count N [--length L] [--prefix P] [--alphabet A] [--check] */
static int cmd_gen_codes(const cl_env *env, int argc, char **argv)
{
    cl_code_spec spec = {0, NULL, NULL, false};
    long long count = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (strcmp(a, "--count") == 0 && v) {
            count = strtoll(v, &end, 10);
        } else if (strcmp(a, "--length") == 0 && v) {
            long long n = strtoll(v, &end, 10);
            spec.length = n > 0 ? (size_t)n : 65;
        } else if (strcmp(a, "--prefix") == 0 && v) {
            spec.prefix = v;
            end = (char *)"";
        } else if (strcmp(a, "--alphabet") == 0 && v) {
            spec.alphabet = v;
            end = (char *)"";
        } else if (strcmp(a, "--check") == 0) {
            spec.check = true;
            continue;
        } else {
            fprintf(stderr, "couponc: unknown option %s\n%s", a, usage);
            return EXIT_USAGE;
        }
        if (end == NULL || *end != '\0') {
            fprintf(stderr, "couponc: %s needs a number, not \"%s\"\n", a, v);
            return EXIT_USAGE;
        }
        i++;
    }
    if (count < 0) {
        fprintf(stderr, "couponc: gen-codes needs --count N\n%s", usage);
        return EXIT_USAGE;
    }
    cl_error err;
    if (cl_codes_generate(env, &spec, (size_t)count, cc_write_file, stdout, &err) != CL_OK) {
        fprintf(stderr, "couponc: gen-codes: %s\n", err.message);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int cmd_disasm(const cl_env *env, int argc, char **argv)
{
    if (argc < 1) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    cl_program *p = cc_load_programs(env, argv, argc);
    if (p == NULL)
        return EXIT_USAGE;
    cl_status rc = cl_program_disasm(p, cc_write_file, stdout);
    cl_program_free(p);
    return rc == CL_OK ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("couponc %s\n", cl_version());
        return EXIT_OK;
    }
    cl_env *env = cl_env_new(NULL, NULL);
    if (env == NULL) {
        fprintf(stderr, "couponc: out of memory\n");
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    int status;
    if (strcmp(cmd, "check") == 0)
        status = cmd_check(env, argc - 2, argv + 2);
    else if (strcmp(cmd, "eval") == 0)
        status = cmd_eval(env, argc - 2, argv + 2, false);
    else if (strcmp(cmd, "best") == 0)
        status = cmd_eval(env, argc - 2, argv + 2, true);
    else if (strcmp(cmd, "test") == 0)
        status = cc_cmd_test(env, argc - 2, argv + 2);
    else if (strcmp(cmd, "gen-codes") == 0)
        status = cmd_gen_codes(env, argc - 2, argv + 2);
    else if (strcmp(cmd, "bench") == 0)
        status = cc_cmd_bench(env, argc - 2, argv + 2);
    else if (strcmp(cmd, "compile") == 0)
        status = cmd_compile(env, argc - 2, argv + 2);
    else if (strcmp(cmd, "disasm") == 0)
        status = cmd_disasm(env, argc - 2, argv + 2);
    else if (strcmp(cmd, "simulate") == 0)
        status = cc_cmd_simulate(env, argc - 2, argv + 2);
    else {
        fprintf(stderr, "couponc: unknown command \"%s\"\n%s", cmd, usage);
        status = EXIT_USAGE;
    }
    cl_env_free(env);
    fflush(stdout);
    return status;
}
