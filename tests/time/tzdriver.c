/*
 * tzdriver.c - couponlib's answers about time, for tests/time/crosscheck.py
 * to compare with Python's zoneinfo, the holidays package and dateutil.
 *
 *   tzdriver [--tzdir DIR] offset ZONE   lines of instants (Unix seconds) in;
 *                                        "OFFSET YYYY-MM-DD WEEKDAY SECONDS" out
 *   tzdriver [--tzdir DIR] local ZONE    lines of wall-clock local seconds in;
 *                                        the instant clT_local_to_instant gives out
 *   tzdriver [--tzdir DIR] eval FILE     lines of instants in; the codes of the
 *                                        coupons of FILE applicable then out
 *                                        (space-separated, "-" for none)
 *   tzdriver easter FIRST LAST           "YEAR WESTERN ORTHODOX" (YYYY-MM-DD)
 *
 * eval builds a context of one line (USD 10.00) at each instant and runs
 * the library's own evaluation (cl_vm_eval), so the decisions compared are
 * the VM's. Exit status 0, or 2 on bad usage or input.
 */
#include "tz.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: tzdriver [--tzdir DIR] offset|local ZONE | eval FILE | "
                    "easter FIRST LAST\n");
    return 2;
}

static void print_date(int64_t days)
{
    clT_date d = clT_civil_from_days(days);
    printf("%04d-%02d-%02d", (int)d.year, d.month, d.day);
}

static clT_zone *zone(const cl_env *env, const char *name)
{
    clT_zone *z = NULL;
    cl_error err;
    clE_clear(&err);
    if (clT_zone_load(env, name, strlen(name), &z, &err) != CL_OK)
        fprintf(stderr, "tzdriver: %s\n", err.message);
    return z;
}

static int cmd_offset(const cl_env *env, const char *name)
{
    clT_zone *z = zone(env, name);
    if (z == NULL)
        return 2;
    long long t;
    while (scanf("%lld", &t) == 1) {
        clT_local l = clT_localize(z, t);
        printf("%" PRId32 " ", clT_offset_at(z, t));
        print_date(l.days);
        printf(" %d %" PRId32 "\n", l.weekday, l.seconds);
    }
    clT_zone_free(env, z);
    return 0;
}

static int cmd_local(const cl_env *env, const char *name)
{
    clT_zone *z = zone(env, name);
    if (z == NULL)
        return 2;
    long long local;
    while (scanf("%lld", &local) == 1)
        printf("%" PRId64 "\n", clT_local_to_instant(z, local));
    clT_zone_free(env, z);
    return 0;
}

static int cmd_eval(const cl_env *env, const char *file)
{
    cl_error err;
    cl_program *p = cl_compile_file(env, file, &err);
    if (p == NULL) {
        fprintf(stderr, "tzdriver: %s:%u:%u: %s\n", file, err.line, err.column, err.message);
        return 2;
    }
    cl_context *ctx = cl_context_new(env);
    cl_vm *vm = cl_vm_new(env);
    int rc = ctx && vm && cl_context_set_currency(ctx, "USD") == CL_OK &&
                     cl_context_add_item(ctx, "X", 1, 1000, NULL) == CL_OK ? 0 : 2;
    long long t;
    while (rc == 0 && scanf("%lld", &t) == 1) {
        const cl_result *res;
        if (cl_context_set_now(ctx, t) != CL_OK ||
            cl_vm_eval(vm, p, ctx, 0, &res, &err) != CL_OK) {
            fprintf(stderr, "tzdriver: evaluation failed at %lld: %s\n", t, err.message);
            rc = 2;
            break;
        }
        int k = 0;
        for (size_t i = 0; i < cl_result_count(res); i++)
            if (cl_result_applicable(res, i))
                printf("%s%s", k++ ? " " : "", cl_result_code(res, i));
        printf("%s\n", k ? "" : "-");
    }
    cl_vm_free(vm);
    cl_context_free(ctx);
    cl_program_free(p);
    return rc;
}

static int cmd_easter(const char *first, const char *last)
{
    int a = atoi(first), b = atoi(last);
    if (a < 1583 || b > 9999 || a > b)
        return usage();
    for (int y = a; y <= b; y++) {
        printf("%d ", y);
        print_date(clT_easter(y));
        printf(" ");
        print_date(clT_orthodox_easter(y));
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    const char *tzdir = NULL;
    if (i + 1 < argc && strcmp(argv[i], "--tzdir") == 0) {
        tzdir = argv[i + 1];
        i += 2;
    }
    if (argc - i != 2 && !(argc - i == 3 && strcmp(argv[i], "easter") == 0))
        return usage();
    cl_env *env = cl_env_new(NULL, NULL);
    if (env == NULL || (tzdir != NULL && cl_env_set_tzdir(env, tzdir) != CL_OK)) {
        fprintf(stderr, "tzdriver: out of memory\n");
        return 2;
    }
    int rc;
    if (strcmp(argv[i], "offset") == 0)
        rc = cmd_offset(env, argv[i + 1]);
    else if (strcmp(argv[i], "local") == 0)
        rc = cmd_local(env, argv[i + 1]);
    else if (strcmp(argv[i], "eval") == 0)
        rc = cmd_eval(env, argv[i + 1]);
    else if (strcmp(argv[i], "easter") == 0)
        rc = cmd_easter(argv[i + 1], argv[i + 2]);
    else
        rc = usage();
    cl_env_free(env);
    if (fflush(stdout) != 0)
        rc = 2;
    return rc;
}
